//! Queries on `auth_keys`: opaque `Token` keys, stored as the SHA-256 of the key only.

use diesel::prelude::*;

use super::conn::{DbConn, on_backend};
use super::schema::{auth_keys, users};
use crate::tokens::SessionId;

/// A key about to be stored. `key_hash` is the hex SHA-256 of the key the client holds.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = auth_keys)]
pub struct NewKey {
    pub key_hash: String,
    pub sid: String,
    pub user_id: i64,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// A stored key and the state of its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub sid: SessionId,
    pub user_id: i64,
    pub expires_at: Option<i64>,
    pub user_active: bool,
}

pub fn insert(conn: &mut DbConn, key: &NewKey) -> QueryResult<()> {
    on_backend!(conn, c => diesel::insert_into(auth_keys::table).values(key).execute(c)).map(drop)
}

/// The key with this hash, if it exists; a key whose id is not one bouncer wrote is ignored.
pub fn find(conn: &mut DbConn, key_hash: &str) -> QueryResult<Option<StoredKey>> {
    let row: Option<(String, i64, Option<i64>, bool)> = on_backend!(conn, c => auth_keys::table
        .inner_join(users::table)
        .filter(auth_keys::key_hash.eq(key_hash))
        .select((auth_keys::sid, auth_keys::user_id, auth_keys::expires_at, users::is_active))
        .first(c)
        .optional())?;
    Ok(row.and_then(|(sid, user_id, expires_at, user_active)| {
        Some(StoredKey {
            sid: SessionId::parse(&sid)?,
            user_id,
            expires_at,
            user_active,
        })
    }))
}

/// Deletes the key of session `sid`; whether there was one.
pub fn delete(conn: &mut DbConn, sid: SessionId) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::delete(auth_keys::table.filter(auth_keys::sid.eq(sid.to_string())))
        .execute(c))
    .map(|n| n == 1)
}

/// Deletes every key of the user but the one of session `keep`; the deleted keys' sessions.
pub fn delete_all_of(
    conn: &mut DbConn,
    user_id: i64,
    keep: Option<SessionId>,
) -> QueryResult<Vec<SessionId>> {
    let keep = keep.map(|sid| sid.to_string()).unwrap_or_default();
    let sids: Vec<String> = on_backend!(conn, c => diesel::delete(
        auth_keys::table
            .filter(auth_keys::user_id.eq(user_id))
            .filter(auth_keys::sid.ne(&keep)),
    )
    .returning(auth_keys::sid)
    .get_results(c))?;
    Ok(sids.iter().filter_map(|s| SessionId::parse(s)).collect())
}
