//! Queries on the token tables: issuing, rotation, revocation, and loading the revocations.
//!
//! Revocation is by `jti` and `sid`, never by token text (which is never stored). Ids are
//! stored as their 32-hex spelling and parsed back into fixed-size ids as they are read.

use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::backend::BackendOps;
use super::conn::{DbConn, on_backend};
use super::error::StorageError;
use super::groups::UserRights;
use super::models::{NewBlacklistedToken, NewOutstandingToken, NewRevokedSession};
use super::notify::RevocationNotice;
use super::schema::{blacklisted_tokens, outstanding_tokens, revoked_sessions, sessions, users};
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

/// What became of a rotation attempt.
#[derive(Debug)]
pub enum RotationOutcome {
    /// The old token is now blacklisted and the new one recorded; with the user's rights when
    /// the rotation could read them in its own transaction (SQLite), for the access token.
    Rotated(Option<UserRights>),
    /// The session was revoked earlier (logout, blacklist, an earlier replay).
    SessionRevoked,
    /// The user is gone or deactivated.
    NoActiveUser,
    /// The old token had already been used: a replay. The session is now revoked.
    Replayed(SessionRevoked),
    /// The old token was rotated within the grace window into the session's current token:
    /// a retry. Nothing was written; the caller re-signs the successor pair. With the user's
    /// rights as for `Rotated`.
    Reissued(Successor, Option<UserRights>),
}

/// What a rotated refresh token was rotated into: enough to re-sign the very same pair (both
/// tokens were minted at `minted_at`; the other claims come from the old token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Successor {
    pub refresh_jti: TokenId,
    pub access_jti: TokenId,
    pub minted_at: i64,
}

/// One refresh's write: retire `old`, record `new` (absent when rotation is off).
#[derive(Debug, Clone)]
pub struct Rotation {
    pub old: Claims,
    pub new: Option<Claims>,
    /// The jti of the access token minted with `new` (remembered for the grace window).
    pub new_access_jti: TokenId,
    /// simplejwt's `BLACKLIST_AFTER_ROTATION` (with rotation on).
    pub blacklist_old: bool,
    /// `refresh_reuse_grace` in seconds; 0: every reuse is a replay.
    pub grace: i64,
    /// How long a session revoked by a replay must stay revoked at least (a fresh access
    /// token's expiry plus leeway).
    pub access_horizon: i64,
    pub now: i64,
}

/// Checks the user is active, retires `old` and records `new`, as one atomic write (run it
/// through `Db::rotate`). Only one caller can insert `old.jti` into the blacklist (unique
/// index, `ON CONFLICT DO NOTHING`): the others see zero rows inserted, which is exactly the
/// replay signal, and the revocation of the session commits with it.
///
/// These are SQLite's steps, run inside the writer's savepoint for this job. On PostgreSQL the
/// same steps are the function `bouncer_rotate` (migration `2026-12-01-000001`), which
/// `Db::rotate` calls for several refreshes at once through `bouncer_rotate_batch`
/// (`rotation_batch.rs`).
pub fn rotate(conn: &mut DbConn, rotation: &Rotation) -> Result<RotationOutcome, StorageError> {
    let Rotation {
        ref old,
        ref new,
        new_access_jti,
        blacklist_old,
        grace,
        access_horizon,
        now,
    } = *rotation;
    let new = new.as_ref();
    let c = match conn {
        DbConn::Sqlite(c) => &mut **c,
        DbConn::Postgres(_) => {
            return Err(StorageError::Failed(
                "on PostgreSQL rotations go through Db::rotate, in batches".into(),
            ));
        }
    };
    // The user's state and the session's in one statement.
    let state: Option<(bool, bool, bool)> = users::table
        .find(old.user_id)
        .select((
            users::is_active,
            users::is_staff,
            diesel::dsl::exists(revoked_sessions::table.find(old.sid.to_string())),
        ))
        .first(c)
        .optional()?;
    let is_staff = match state {
        Some((true, is_staff, false)) => is_staff,
        Some((true, _, true)) => return Ok(RotationOutcome::SessionRevoked),
        _ => return Ok(RotationOutcome::NoActiveUser),
    };
    let first_use = if blacklist_old {
        let mut entry = blacklist_entry(old.into(), now);
        entry.successor_jti = new.map(|n| n.jti.to_string());
        entry.successor_access_jti = new.map(|_| new_access_jti.to_string());
        diesel::insert_into(blacklisted_tokens::table)
            .values(&entry)
            .on_conflict_do_nothing()
            .execute(c)?
            == 1
    } else {
        blacklisted_tokens::table
            .filter(blacklisted_tokens::jti.eq(old.jti.to_string()))
            .count()
            .get_result::<i64>(c)?
            == 0
    };
    if !first_use {
        if let Some(successor) = grace_successor(c, old.jti, grace, now)? {
            let groups = super::groups::group_names!(c, old.user_id)?;
            let rights = UserRights {
                is_active: true,
                is_staff,
                groups,
            };
            return Ok(RotationOutcome::Reissued(successor, Some(rights)));
        }
        let session = revoke_session_body!(c, old.sid, old.user_id, access_horizon, now)?;
        return Ok(RotationOutcome::Replayed(session));
    }
    if let Some(new) = new {
        diesel::insert_into(outstanding_tokens::table)
            .values(&outstanding(new))
            .execute(c)?;
    }
    diesel::update(sessions::table.find(old.sid.to_string()))
        .set(sessions::last_used_at.eq(now))
        .execute(c)?;
    // Read in the writer's transaction, which serialises with every change to the user: the
    // rights are current as of the rotation's commit.
    let groups = super::groups::group_names!(c, old.user_id)?;
    Ok(RotationOutcome::Rotated(Some(UserRights {
        is_active: true,
        is_staff,
        groups,
    })))
}

/// The successor of `old_jti` when a retry may have it: `old_jti` was rotated at most `grace`
/// seconds ago and its successor has not been rotated since (it is the session's current
/// token). Any older ancestor, or a retry after the window, is a replay.
fn grace_successor(
    c: &mut diesel::sqlite::SqliteConnection,
    old_jti: TokenId,
    grace: i64,
    now: i64,
) -> QueryResult<Option<Successor>> {
    if grace <= 0 {
        return Ok(None);
    }
    let row: Option<(Option<String>, Option<String>, i64)> = blacklisted_tokens::table
        .filter(blacklisted_tokens::jti.eq(old_jti.to_string()))
        .select((
            blacklisted_tokens::successor_jti,
            blacklisted_tokens::successor_access_jti,
            blacklisted_tokens::blacklisted_at,
        ))
        .first(c)
        .optional()?;
    let Some((Some(refresh), Some(access), minted_at)) = row else {
        return Ok(None);
    };
    let (Some(refresh_jti), Some(access_jti)) = (TokenId::parse(&refresh), TokenId::parse(&access))
    else {
        return Ok(None);
    };
    if now.saturating_sub(minted_at) > grace {
        return Ok(None);
    }
    let successor_rotated: i64 = blacklisted_tokens::table
        .filter(blacklisted_tokens::jti.eq(&refresh))
        .count()
        .get_result(c)?;
    Ok((successor_rotated == 0).then_some(Successor {
        refresh_jti,
        access_jti,
        minted_at,
    }))
}

/// What `bouncer_rotate`'s answer says (migration `2026-12-03-000001`): `0` rotated, `-1` no
/// active user, `-2` session revoked, `R <until>` a replay that revoked the session until
/// then, `G <refresh jti> <access jti> <minted at>` a retry inside the grace window; `-3`
/// (from the batch function) the rotation failed in its subtransaction and wrote nothing.
pub(super) fn rotation_answer(old: &Claims, answer: &str) -> Result<RotationOutcome, StorageError> {
    let mut parts = answer.split(' ');
    let outcome = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("0"), None, ..) => Some(RotationOutcome::Rotated(None)),
        (Some("-1"), None, ..) => Some(RotationOutcome::NoActiveUser),
        (Some("-2"), None, ..) => Some(RotationOutcome::SessionRevoked),
        (Some("R"), Some(until), None, _) => until.parse().ok().map(|expires_at| {
            RotationOutcome::Replayed(SessionRevoked {
                sid: old.sid,
                user_id: old.user_id,
                expires_at,
            })
        }),
        (Some("G"), Some(refresh), Some(access), Some(minted_at)) => {
            match (
                TokenId::parse(refresh),
                TokenId::parse(access),
                minted_at.parse(),
            ) {
                (Some(refresh_jti), Some(access_jti), Ok(minted_at)) => {
                    Some(RotationOutcome::Reissued(
                        Successor {
                            refresh_jti,
                            access_jti,
                            minted_at,
                        },
                        None,
                    ))
                }
                _ => None,
            }
        }
        _ => None,
    };
    // Otherwise nothing was written (`-3`): the client may simply try again.
    outcome.ok_or_else(|| {
        StorageError::Unavailable(format!("a rotation failed in its batch (answer {answer})"))
    })
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

fn blacklist_entry(token: TokenToRevoke, now: i64) -> NewBlacklistedToken {
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
/// `Db::write_announcing`, whose writer gives every job its own savepoint in a batch (so no
/// transaction of its own here, which on PostgreSQL would cost two more round trips). Returns
/// whether the token was newly blacklisted (false: it already was) and the session's
/// revocation.
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
