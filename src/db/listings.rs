//! Read-only listings for the admin page: a user search, a group's members, recent session
//! revocations. Each is bounded by a `limit`, so a large table never loads whole.

use diesel::prelude::*;

use super::conn::{DbConn, on_backend};
use super::models::User;
use super::schema::{auth_groups, revoked_sessions, user_groups, users};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// `%`, `_` and `\` typed by the searcher match themselves, not any character.
fn like_pattern(query: &str) -> String {
    let mut pattern = String::with_capacity(query.len() + 2);
    pattern.push('%');
    for c in query.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Users whose username or e-mail contains `query` (case-insensitively), by id; at most
/// `limit`. An empty query lists the first `limit` users.
pub fn search_users(conn: &mut DbConn, query: &str, limit: i64) -> QueryResult<Vec<User>> {
    let pattern = like_pattern(query);
    on_backend!(conn, c => users::table
        .filter(
            lower(users::username)
                .like(&pattern)
                .escape('\\')
                .or(lower(users::email).like(&pattern).escape('\\')),
        )
        .select(User::as_select())
        .order(users::id)
        .limit(limit)
        .load(c))
}

/// A group's stored name and its members as (id, username).
pub type Members = (String, Vec<(i64, String)>);

/// The members of the group named `group` (compared as the groups table compares names),
/// as (id, username), by username; `None` when there is no such group.
pub fn group_members(conn: &mut DbConn, group: &str, limit: i64) -> QueryResult<Option<Members>> {
    let key = group.to_lowercase();
    on_backend!(conn, c => {
        let Some((group_id, name)) = auth_groups::table
            .filter(auth_groups::name_key.eq(&key))
            .select((auth_groups::id, auth_groups::name))
            .first::<(i64, String)>(c)
            .optional()?
        else {
            return Ok(None);
        };
        let members = user_groups::table
            .inner_join(users::table)
            .filter(user_groups::group_id.eq(group_id))
            .select((users::id, users::username))
            .order(users::username)
            .limit(limit)
            .load(c)?;
        Ok(Some((name, members)))
    })
}

/// A revoked session still on the list (its tokens could otherwise still be accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedSession {
    pub sid: String,
    pub user_id: i64,
    pub revoked_at: i64,
    pub expires_at: i64,
}

/// The newest revocations of sessions still in force at `now`; at most `limit`.
pub fn recent_revocations(
    conn: &mut DbConn,
    now: i64,
    limit: i64,
) -> QueryResult<Vec<RevokedSession>> {
    let rows: Vec<(String, i64, i64, i64)> = on_backend!(conn, c => revoked_sessions::table
        .filter(revoked_sessions::expires_at.gt(now))
        .order((revoked_sessions::revoked_at.desc(), revoked_sessions::sid.desc()))
        .select((
            revoked_sessions::sid,
            revoked_sessions::user_id,
            revoked_sessions::revoked_at,
            revoked_sessions::expires_at,
        ))
        .limit(limit)
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|(sid, user_id, revoked_at, expires_at)| RevokedSession {
            sid,
            user_id,
            revoked_at,
            expires_at,
        })
        .collect())
}
