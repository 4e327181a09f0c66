//! Queries on `users`.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::conn::{DbConn, on_backend};
use super::models::{NewUser, User};
use super::schema::users;

/// The username is taken (the unique index said so).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsernameTaken;

/// Inserts a user. The unique index decides whether the name is free, so two concurrent
/// registrations of one name give one user and one `UsernameTaken`.
pub fn create(
    conn: &mut DbConn,
    new_user: &NewUser<'_>,
) -> QueryResult<Result<User, UsernameTaken>> {
    let inserted = on_backend!(conn, c => diesel::insert_into(users::table)
        .values(new_user)
        .returning(User::as_returning())
        .get_result(c));
    match inserted {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(Err(UsernameTaken))
        }
        other => other.map(Ok),
    }
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> QueryResult<Option<User>> {
    on_backend!(conn, c => users::table
        .filter(users::username.eq(username))
        .select(User::as_select())
        .first(c)
        .optional())
}

pub fn find_by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<User>> {
    on_backend!(conn, c => users::table
        .find(id)
        .select(User::as_select())
        .first(c)
        .optional())
}

pub fn update_email(conn: &mut DbConn, id: i64, email: &str) -> QueryResult<Option<User>> {
    on_backend!(conn, c => diesel::update(users::table.find(id))
        .set(users::email.eq(email))
        .returning(User::as_returning())
        .get_result(c)
        .optional())
}

pub fn record_login(conn: &mut DbConn, id: i64, at: chrono::NaiveDateTime) -> QueryResult<()> {
    on_backend!(conn, c => diesel::update(users::table.find(id))
        .set(users::last_login.eq(at))
        .execute(c))
    .map(drop)
}
