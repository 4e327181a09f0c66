//! Writes for users moved from Django (`bouncer import-django`, see
//! `service/django_import.rs`): rows keep their Django ids, and a second run of the same dump
//! changes nothing. Also the one-time upgrade of an imported password hash at login.

use chrono::NaiveDateTime;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;

/// The connection the import's writes take (`Db::write` hands it to the closure).
pub use super::conn::DbConn;
use super::conn::on_backend;
use super::keys::NewKey;
use super::models::{NewBlacklistedToken, NewOutstandingToken};
use super::schema::{
    auth_groups, auth_keys, blacklisted_tokens, outstanding_tokens, sessions, user_groups, users,
};
use super::sessions::NewSession;

/// Replaces the password hash `old` of user `id` by `new` and records the login, in one
/// statement, only if the stored hash is still `old` (compare-and-set): a password change
/// that committed since `old` was verified wins, and of two concurrent logins only one
/// rewrites the hash. Whether the hash was replaced.
pub fn upgrade_password(
    conn: &mut DbConn,
    id: i64,
    old: &str,
    new: &str,
    login_at: NaiveDateTime,
) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::update(
        users::table.filter(users::id.eq(id)).filter(users::password.eq(old)),
    )
    .set((users::password.eq(new), users::last_login.eq(login_at)))
    .execute(c))
    .map(|n| n == 1)
}

/// A user as Django stored them, with Django's id.
#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct ImportedUser<'a> {
    pub id: i64,
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub date_joined: NaiveDateTime,
    pub last_login: Option<NaiveDateTime>,
}

/// What already holds an imported user's id or username.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserSlot {
    /// Neither is taken.
    Free,
    /// This very user (same id, same username) is already there: an earlier import.
    Present,
    /// The id belongs to another username, or the username to another id.
    Conflict { id: i64, username: String },
}

pub fn user_slot(conn: &mut DbConn, id: i64, username: &str) -> QueryResult<UserSlot> {
    let found: Vec<(i64, String)> = on_backend!(conn, c => users::table
        .filter(users::id.eq(id).or(users::username.eq(username)))
        .select((users::id, users::username))
        .limit(2)
        .load(c))?;
    Ok(match found.as_slice() {
        [] => UserSlot::Free,
        [(i, name)] if *i == id && name == username => UserSlot::Present,
        [(i, name), ..] => UserSlot::Conflict {
            id: *i,
            username: name.clone(),
        },
    })
}

/// Inserts the user with their Django id (after `user_slot` said `Free`).
pub fn insert_user(conn: &mut DbConn, user: &ImportedUser<'_>) -> QueryResult<()> {
    on_backend!(conn, c => diesel::insert_into(users::table).values(user).execute(c)).map(drop)
}

/// Makes PostgreSQL's id sequence continue after the highest id, which explicit ids did not
/// advance; otherwise the next registration would collide with an imported user. SQLite's
/// AUTOINCREMENT already follows the largest id.
pub fn advance_user_ids(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Sqlite(_) => Ok(()),
        DbConn::Postgres(c) => diesel::sql_query(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), \
             GREATEST((SELECT MAX(id) FROM users), 1))",
        )
        .execute(&mut **c)
        .map(drop),
    }
}

/// The id of the group with this name, created if missing. Names match case-insensitively,
/// as in `groups.rs`.
pub fn ensure_group(conn: &mut DbConn, name: &str) -> QueryResult<i64> {
    let key = name.to_lowercase();
    on_backend!(conn, c => {
        diesel::insert_into(auth_groups::table)
            .values((auth_groups::name.eq(name), auth_groups::name_key.eq(&key)))
            .on_conflict(auth_groups::name_key)
            .do_nothing()
            .execute(c)?;
        auth_groups::table
            .filter(auth_groups::name_key.eq(&key))
            .select(auth_groups::id)
            .first(c)
    })
}

pub fn add_membership(conn: &mut DbConn, user_id: i64, group_id: i64) -> QueryResult<()> {
    on_backend!(conn, c => diesel::insert_into(user_groups::table)
        .values((user_groups::user_id.eq(user_id), user_groups::group_id.eq(group_id)))
        .on_conflict_do_nothing()
        .execute(c))
    .map(drop)
}

/// Stores a key and its session unless the key is already there; whether it was new.
pub fn insert_key(conn: &mut DbConn, key: &NewKey, session: &NewSession) -> QueryResult<bool> {
    on_backend!(conn, c => {
        let added = diesel::insert_into(auth_keys::table)
            .values(key)
            .on_conflict_do_nothing()
            .execute(c)?;
        if added == 1 {
            diesel::insert_into(sessions::table)
                .values(session)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
        Ok(added == 1)
    })
}

/// Records an outstanding token unless its jti is already there; whether it was new.
pub fn insert_outstanding(conn: &mut DbConn, token: &NewOutstandingToken) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::insert_into(outstanding_tokens::table)
        .values(token)
        .on_conflict_do_nothing()
        .execute(c))
    .map(|n| n == 1)
}

/// Blacklists a jti unless it already is; whether it was new.
pub fn insert_blacklisted(conn: &mut DbConn, token: &NewBlacklistedToken) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::insert_into(blacklisted_tokens::table)
        .values(token)
        .on_conflict_do_nothing()
        .execute(c))
    .map(|n| n == 1)
}

/// Runs `work` in one transaction (a savepoint inside the SQLite writer's) and commits only
/// when it answers `(_, true)`: `--strict` rolls back on the first bad row that way, and an
/// error leaves nothing half-written.
pub fn atomically<T>(
    conn: &mut DbConn,
    work: impl FnOnce(&mut DbConn) -> QueryResult<(T, bool)>,
) -> QueryResult<T> {
    on_backend!(conn, c => AnsiTransactionManager::begin_transaction(c))?;
    match work(conn) {
        Ok((value, true)) => {
            on_backend!(conn, c => AnsiTransactionManager::commit_transaction(c))?;
            Ok(value)
        }
        Ok((value, false)) => {
            on_backend!(conn, c => AnsiTransactionManager::rollback_transaction(c))?;
            Ok(value)
        }
        Err(e) => {
            // The original error is the one worth reporting; a failed rollback ends the
            // connection's transaction state anyway.
            let _ = on_backend!(conn, c => AnsiTransactionManager::rollback_transaction(c));
            Err(e)
        }
    }
}
