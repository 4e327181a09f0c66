//! Queries on `users`.

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::backend::BackendOps;
use super::conn::{DbConn, on_backend};
use super::models::{NewUser, User};
use super::notify::{RevocationNotice, UserChange, UserRevocation};
use super::schema::{user_revocations, users};

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

/// Every user, by id (staff listing).
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    on_backend!(conn, c => users::table
        .select(User::as_select())
        .order(users::id)
        .load(c))
}

/// The fields a staff member may change on another user (`None`: unchanged).
#[derive(Debug, Default, Clone, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub email: Option<String>,
    pub is_active: Option<bool>,
    pub is_staff: Option<bool>,
}

/// Applies `changes`; the updated user, or `None` when there is no such user.
pub fn update(conn: &mut DbConn, id: i64, changes: &UserChanges) -> QueryResult<Option<User>> {
    if changes.email.is_none() && changes.is_active.is_none() && changes.is_staff.is_none() {
        return find_by_id(conn, id);
    }
    on_backend!(conn, c => diesel::update(users::table.find(id))
        .set(changes)
        .returning(User::as_returning())
        .get_result(c)
        .optional())
}

/// Replaces the password hash; whether the user exists.
pub fn set_password(conn: &mut DbConn, id: i64, hash: &str) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::update(users::table.find(id))
        .set(users::password.eq(hash))
        .execute(c))
    .map(|n| n == 1)
}

/// Renames the user; `Ok(Err(UsernameTaken))` when the unique index refuses the name.
pub fn set_username(
    conn: &mut DbConn,
    id: i64,
    username: &str,
) -> QueryResult<Result<bool, UsernameTaken>> {
    let updated = on_backend!(conn, c => diesel::update(users::table.find(id))
        .set(users::username.eq(username))
        .execute(c));
    match updated {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(Err(UsernameTaken))
        }
        other => other.map(|n| Ok(n == 1)),
    }
}

/// Deletes the user (their groups, keys and outstanding tokens go with them); whether the
/// user existed.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::delete(users::table.find(id)).execute(c)).map(|n| n == 1)
}

/// Records that the user's credentials issued before `revocation.not_before_ms` are void,
/// and announces it to every instance. Run it through `Db::write_announcing`.
pub fn revoke_credentials(conn: &mut DbConn, revocation: UserRevocation) -> QueryResult<()> {
    on_backend!(conn, c => {
        diesel::insert_into(user_revocations::table)
            .values((
                user_revocations::user_id.eq(revocation.user_id),
                user_revocations::not_before_ms.eq(revocation.not_before_ms),
                user_revocations::reason.eq(revocation.reason.code()),
                user_revocations::expires_at.eq(revocation.until),
            ))
            .on_conflict(user_revocations::user_id)
            .do_update()
            .set((
                user_revocations::not_before_ms.eq(revocation.not_before_ms),
                user_revocations::reason.eq(revocation.reason.code()),
                user_revocations::expires_at.eq(revocation.until),
            ))
            .execute(c)?;
        c.announce_revocation(RevocationNotice::User(revocation))
    })
}

/// User revocations still in force at `now`, for loading the revocation list.
pub fn active_user_revocations(conn: &mut DbConn, now: i64) -> QueryResult<Vec<UserRevocation>> {
    let rows: Vec<(i64, i64, i16, i64)> = on_backend!(conn, c => user_revocations::table
        .filter(user_revocations::expires_at.ge(now))
        .select((
            user_revocations::user_id,
            user_revocations::not_before_ms,
            user_revocations::reason,
            user_revocations::expires_at,
        ))
        .load(c))?;
    Ok(rows
        .into_iter()
        .filter_map(|(user_id, not_before_ms, reason, until)| {
            Some(UserRevocation {
                user_id,
                not_before_ms,
                reason: UserChange::from_code(reason.into())?,
                until,
            })
        })
        .collect())
}
/// Activates the user (account activation); whether the user exists.
pub fn activate(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::update(users::table.find(id))
        .set(users::is_active.eq(true))
        .execute(c))
    .map(|n| n == 1)
}
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Vec<User>> {
    on_backend!(conn, c => users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .load(c))
}

/// Why credentials of `user_id` issued at `issued_at_ms` are void, if a user revocation says
/// they are (strict revocation checks).
pub fn user_change_since(
    conn: &mut DbConn,
    user_id: i64,
    issued_at_ms: i64,
) -> QueryResult<Option<UserChange>> {
    let reason: Option<i16> = on_backend!(conn, c => user_revocations::table
        .find(user_id)
        .filter(user_revocations::not_before_ms.ge(issued_at_ms))
        .select(user_revocations::reason)
        .first(c)
        .optional())?;
    Ok(reason.and_then(|code| UserChange::from_code(code.into())))
}
