//! Queries on the token tables: issuing, revocation, and loading the revocations (rotation:
//! `rotation.rs`).
//!
//! Revocation is by `jti` and `sid`, never by token text (which is never stored). Ids are
//! stored as their 32-hex spelling and parsed back into fixed-size ids as they are read.

use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::backend::BackendOps;
use super::conn::{DbConn, on_backend};
use super::models::{NewBlacklistedToken, NewOutstandingToken, NewRevokedSession};
use super::notify::RevocationNotice;
use super::schema::{blacklisted_tokens, outstanding_tokens, revoked_sessions};
use crate::tokens::{Claims, SessionId, TokenId, TokenType};

/// A session revocation as committed: every token of `sid` is refused until `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionRevoked {
    pub sid: SessionId,
    pub user_id: i64,
    pub expires_at: i64,
}

/// The session stays revoked until the last of its tokens could expire: the latest recorded
/// refresh token, or an access token minted just now.
// Expanded inside `on_backend!` so it compiles for each backend.
macro_rules! revoke_session_body {
    ($c:ident, $sid:expr, $user_id:expr, $access_horizon:expr, $now:expr) => {{
        let sid: SessionId = $sid;
        let latest_refresh: Option<i64> = outstanding_tokens::table
            .filter(outstanding_tokens::sid.eq(sid.to_string()))
            .select(diesel::dsl::max(outstanding_tokens::expires_at))
            .first($c)?;
        let revoked = SessionRevoked {
            sid,
            user_id: $user_id,
            expires_at: latest_refresh.unwrap_or(0).max($access_horizon),
        };
        diesel::insert_into(revoked_sessions::table)
            .values(&NewRevokedSession {
                sid: sid.to_string(),
                user_id: revoked.user_id,
                expires_at: revoked.expires_at,
                revoked_at: $now,
            })
            .on_conflict_do_nothing()
            .execute($c)?;
        $c.announce_revocation(RevocationNotice::Session {
            sid,
            until: revoked.expires_at,
        })?;
        Ok::<_, diesel::result::Error>(revoked)
    }};
}
pub(super) use revoke_session_body;

/// A token about to be stored: its claims, as minted.
pub fn outstanding(claims: &Claims) -> NewOutstandingToken {
    NewOutstandingToken {
        jti: claims.jti.to_string(),
        user_id: claims.user_id,
        sid: claims.sid.to_string(),
        token_type: claims.token_type.as_str(),
        created_at: claims.iat,
        expires_at: claims.exp,
    }
}

pub fn record_outstanding(conn: &mut DbConn, tokens: &[NewOutstandingToken]) -> QueryResult<()> {
    on_backend!(conn, c => diesel::insert_into(outstanding_tokens::table)
        .values(tokens)
        .execute(c))
    .map(drop)
}

/// A token being revoked: what its blacklist row and its session's revocation need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenToRevoke {
    pub jti: TokenId,
    pub token_type: TokenType,
    pub expires_at: i64,
    pub sid: SessionId,
    pub user_id: i64,
}

impl From<&Claims> for TokenToRevoke {
    fn from(claims: &Claims) -> Self {
        Self {
            jti: claims.jti,
            token_type: claims.token_type,
            expires_at: claims.exp,
            sid: claims.sid,
            user_id: claims.user_id,
        }
    }
}

pub(super) fn blacklist_entry(token: TokenToRevoke, now: i64) -> NewBlacklistedToken {
    NewBlacklistedToken {
        jti: token.jti.to_string(),
        token_type: token.token_type.as_str(),
        expires_at: token.expires_at,
        blacklisted_at: now,
        successor_jti: None,
        successor_access_jti: None,
    }
}

/// Blacklists `token` and revokes its whole session, as one atomic write: run it through
/// `Db::revoke`, whose SQLite writer gives every job its own savepoint in a batch (so no
/// transaction of its own here). Returns whether the token was newly blacklisted (false: it
/// already was) and the session's revocation. On PostgreSQL the same steps are the function
/// `bouncer_revoke_batch` (migration `2026-12-03-000009`, `revocation_batch.rs`).
pub fn revoke(
    conn: &mut DbConn,
    token: TokenToRevoke,
    access_horizon: i64,
    now: i64,
) -> QueryResult<(bool, SessionRevoked)> {
    on_backend!(conn, c => {
        let inserted = diesel::insert_into(blacklisted_tokens::table)
            .values(&blacklist_entry(token, now))
            .on_conflict_do_nothing()
            .execute(c)?;
        if token.token_type == TokenType::Access {
            c.announce_revocation(RevocationNotice::Token {
                jti: token.jti,
                until: token.expires_at,
            })?;
        }
        let session = revoke_session_body!(c, token.sid, token.user_id, access_horizon, now)?;
        Ok((inserted == 1, session))
    })
}

/// Revokes every session of the user but `keep` (the caller's, on a password change): the
/// sessions of their unexpired refresh tokens and of their `Token` keys, which are deleted.
/// One atomic write; run it through `Db::write_announcing`.
pub fn revoke_sessions_of_user(
    conn: &mut DbConn,
    user_id: i64,
    keep: Option<SessionId>,
    horizon: i64,
    now: i64,
) -> QueryResult<Vec<SessionRevoked>> {
    let mut sids = super::keys::delete_all_of(conn, user_id, keep)?;
    let keep = keep.map(|sid| sid.to_string()).unwrap_or_default();
    let refresh_sids: Vec<String> = on_backend!(conn, c => outstanding_tokens::table
        .filter(outstanding_tokens::user_id.eq(user_id))
        .filter(outstanding_tokens::expires_at.gt(now))
        .filter(outstanding_tokens::sid.ne(&keep))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            revoked_sessions::table.filter(revoked_sessions::sid.eq(outstanding_tokens::sid)),
        )))
        .select(outstanding_tokens::sid)
        .distinct()
        .load(c))?;
    sids.extend(refresh_sids.iter().filter_map(|s| SessionId::parse(s)));
    let mut revoked = Vec::with_capacity(sids.len());
    for sid in sids {
        revoked.push(on_backend!(conn, c => revoke_session_body!(c, sid, user_id, horizon, now))?);
    }
    Ok(revoked)
}

/// Revokes one session (a logged-out `Token` key, whose row is deleted with it) until at
/// least `horizon`. Run it through `Db::write_announcing`.
pub fn revoke_key_session(
    conn: &mut DbConn,
    sid: SessionId,
    user_id: i64,
    horizon: i64,
    now: i64,
) -> QueryResult<(bool, SessionRevoked)> {
    let deleted = super::keys::delete(conn, sid)?;
    let session = on_backend!(conn, c => revoke_session_body!(c, sid, user_id, horizon, now))?;
    Ok((deleted, session))
}

/// Whether `jti` is blacklisted (used for refresh tokens, which the memory list does not hold).
pub fn is_blacklisted(conn: &mut DbConn, jti: TokenId) -> QueryResult<bool> {
    on_backend!(conn, c => blacklisted_tokens::table
        .filter(blacklisted_tokens::jti.eq(jti.to_string()))
        .count()
        .get_result::<i64>(c)
        .map(|n| n > 0))
}

/// Whether a token with this `jti` was recorded as issued.
#[cfg(test)]
pub fn is_outstanding(conn: &mut DbConn, jti: TokenId) -> QueryResult<bool> {
    on_backend!(conn, c => outstanding_tokens::table
        .filter(outstanding_tokens::jti.eq(jti.to_string()))
        .count()
        .get_result::<i64>(c)
        .map(|n| n > 0))
}

/// Whether the token `jti` or its session `sid` is revoked (strict revocation checks).
pub fn is_revoked(conn: &mut DbConn, jti: TokenId, sid: SessionId) -> QueryResult<bool> {
    on_backend!(conn, c => {
        let token: i64 = blacklisted_tokens::table
            .filter(blacklisted_tokens::jti.eq(jti.to_string()))
            .count()
            .get_result(c)?;
        let session: i64 = revoked_sessions::table
            .filter(revoked_sessions::sid.eq(sid.to_string()))
            .count()
            .get_result(c)?;
        Ok(token + session > 0)
    })
}

/// Which list a revocation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// A revoked access token, by `jti`.
    Token,
    /// A revoked session, by `sid`.
    Session,
}

/// How many access-token and session revocations [`for_each_active_revocation`] would hand
/// out now: lets the caller size its maps once instead of growing them a million times.
pub fn count_active_revocations(conn: &mut DbConn, now: i64) -> QueryResult<(usize, usize)> {
    let (tokens, sessions): (i64, i64) = on_backend!(conn, c => {
        let tokens = blacklisted_tokens::table
            .filter(blacklisted_tokens::token_type.eq(TokenType::Access.as_str()))
            .filter(blacklisted_tokens::expires_at.ge(now))
            .count()
            .get_result(c)?;
        let sessions = revoked_sessions::table
            .filter(revoked_sessions::expires_at.ge(now))
            .count()
            .get_result(c)?;
        Ok::<_, diesel::result::Error>((tokens, sessions))
    })?;
    let size = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok((size(tokens), size(sessions)))
}

/// Rows fetched at a time from PostgreSQL: few round trips for a million rows, while the
/// whole list never sits in memory twice.
const LOAD_BATCH: usize = 200_000;

/// Hands `each` every revocation whose tokens could still be accepted at `now` (access-token
/// jtis and sessions, with their expiry without leeway), streaming: SQLite's cursor, or a
/// PostgreSQL cursor read in batches, so loading a million entries needs no copy of them
/// all. Returns how many rows had an id bouncer could not have written (skipped).
pub fn for_each_active_revocation(
    conn: &mut DbConn,
    now: i64,
    mut each: impl FnMut(Revocation, TokenId, i64),
) -> QueryResult<usize> {
    let mut malformed = 0;
    let mut take = |kind: Revocation, id: &str, expires_at: i64| match TokenId::parse(id) {
        Some(id) => each(kind, id, expires_at),
        None => malformed += 1,
    };
    match conn {
        DbConn::Sqlite(c) => {
            let c: &mut diesel::sqlite::SqliteConnection = c;
            let tokens = blacklisted_tokens::table
                .filter(blacklisted_tokens::token_type.eq(TokenType::Access.as_str()))
                .filter(blacklisted_tokens::expires_at.ge(now))
                .select((blacklisted_tokens::jti, blacklisted_tokens::expires_at));
            for row in tokens.load_iter::<(String, i64), DefaultLoadingMode>(c)? {
                let (id, expires_at) = row?;
                take(Revocation::Token, &id, expires_at);
            }
            let sessions = revoked_sessions::table
                .filter(revoked_sessions::expires_at.ge(now))
                .select((revoked_sessions::sid, revoked_sessions::expires_at));
            for row in sessions.load_iter::<(String, i64), DefaultLoadingMode>(c)? {
                let (id, expires_at) = row?;
                take(Revocation::Session, &id, expires_at);
            }
        }
        DbConn::Postgres(c) => {
            // libpq would buffer a whole result: a cursor hands it over in batches instead.
            c.transaction(|c| {
                let lists = [
                    (
                        Revocation::Token,
                        format!(
                            "SELECT jti AS id, expires_at FROM blacklisted_tokens \
                             WHERE token_type = 'access' AND expires_at >= {now}"
                        ),
                    ),
                    (
                        Revocation::Session,
                        format!(
                            "SELECT sid AS id, expires_at FROM revoked_sessions \
                             WHERE expires_at >= {now}"
                        ),
                    ),
                ];
                for (kind, query) in lists {
                    diesel::sql_query(format!("DECLARE revocations NO SCROLL CURSOR FOR {query}"))
                        .execute(c)?;
                    loop {
                        let rows: Vec<IdRow> =
                            diesel::sql_query(format!("FETCH {LOAD_BATCH} FROM revocations"))
                                .load(c)?;
                        for row in &rows {
                            take(kind, &row.id, row.expires_at);
                        }
                        if rows.len() < LOAD_BATCH {
                            break;
                        }
                    }
                    diesel::sql_query("CLOSE revocations").execute(c)?;
                }
                Ok::<_, diesel::result::Error>(())
            })?;
        }
    }
    Ok(malformed)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = BigInt)]
    expires_at: i64,
}
