//! Queries on the token tables: issuing, rotation, revocation, clean-up.
//!
//! Revocation is by `jti` and `sid`, never by token text (which is never stored).

use diesel::prelude::*;

use super::models::{NewBlacklistedToken, NewOutstandingToken, RevokedSession};
use super::schema::{blacklisted_tokens, outstanding_tokens, revoked_sessions, users};
use super::{BackendOps, DbConn};
use crate::auth::jwt::{Claims, TokenType};
use crate::auth::revocation::Announcement;
use crate::error::ApiError;
use crate::on_backend;

/// The session stays revoked until the last of its tokens could expire: the latest recorded
/// refresh token, or an access token minted just now.
// Expanded inside `on_backend!` so it compiles for each backend.
macro_rules! revoke_session_body {
    ($c:ident, $sid:expr, $user_id:expr, $access_horizon:expr, $now:expr) => {{
        let latest_refresh: Option<i64> = outstanding_tokens::table
            .filter(outstanding_tokens::sid.eq($sid))
            .select(diesel::dsl::max(outstanding_tokens::expires_at))
            .first($c)?;
        let session = RevokedSession {
            sid: $sid.to_owned(),
            user_id: $user_id,
            expires_at: latest_refresh.unwrap_or(0).max($access_horizon),
            revoked_at: $now,
        };
        diesel::insert_into(revoked_sessions::table)
            .values(&session)
            .on_conflict_do_nothing()
            .execute($c)?;
        $c.announce_revocation(
            &Announcement::Session {
                sid: session.sid.clone(),
                until: session.expires_at,
            }
            .to_string(),
        )?;
        Ok::<_, diesel::result::Error>(session)
    }};
}

/// A refresh token about to be stored: its claims, as minted.
pub fn outstanding(claims: &Claims) -> NewOutstandingToken<'_> {
    NewOutstandingToken {
        jti: &claims.jti,
        user_id: claims.user_id,
        sid: &claims.sid,
        token_type: claims.token_type.as_str(),
        created_at: claims.iat,
        expires_at: claims.exp,
    }
}

pub fn record_outstanding(
    conn: &mut DbConn,
    tokens: &[NewOutstandingToken<'_>],
) -> QueryResult<()> {
    on_backend!(conn, c => diesel::insert_into(outstanding_tokens::table)
        .values(tokens)
        .execute(c))
    .map(drop)
}

/// What became of a rotation attempt.
#[derive(Debug)]
pub enum Rotation {
    /// The old token is now blacklisted and the new one recorded.
    Rotated,
    /// The session was revoked earlier (logout, blacklist, an earlier replay).
    SessionRevoked,
    /// The user is gone or deactivated.
    NoActiveUser,
    /// The old token had already been used: a replay. The session is now revoked.
    Replayed(RevokedSession),
}

/// Atomically checks the user is active, retires `old` and records `new`. Only one caller can insert `old.jti` into the
/// blacklist (unique index, `ON CONFLICT DO NOTHING`): the others see zero rows inserted,
/// which is exactly the replay signal, and the revocation of the session commits with it.
pub fn rotate(
    conn: &mut DbConn,
    old: &Claims,
    new: Option<&Claims>,
    blacklist_old: bool,
    access_horizon: i64,
    now: i64,
) -> Result<Rotation, ApiError> {
    on_backend!(conn, c => c.write_transaction(|c| {
        let active: Option<bool> = users::table
            .find(old.user_id)
            .select(users::is_active)
            .first(c)
            .optional()?;
        if active != Some(true) {
            return Ok(Rotation::NoActiveUser);
        }
        let revoked: Option<String> = revoked_sessions::table
            .find(&old.sid)
            .select(revoked_sessions::sid)
            .first(c)
            .optional()?;
        if revoked.is_some() {
            return Ok(Rotation::SessionRevoked);
        }
        let first_use = if blacklist_old {
            diesel::insert_into(blacklisted_tokens::table)
                .values(&blacklist_entry(old, now))
                .on_conflict_do_nothing()
                .execute(c)? == 1
        } else {
            blacklisted_tokens::table
                .filter(blacklisted_tokens::jti.eq(&old.jti))
                .count()
                .get_result::<i64>(c)?
                == 0
        };
        if !first_use {
            let session = revoke_session_body!(c, &old.sid, old.user_id, access_horizon, now)?;
            return Ok(Rotation::Replayed(session));
        }
        if let Some(new) = new {
            diesel::insert_into(outstanding_tokens::table)
                .values(&outstanding(new))
                .execute(c)?;
        }
        Ok(Rotation::Rotated)
    }))
}

fn blacklist_entry(claims: &Claims, now: i64) -> NewBlacklistedToken<'_> {
    NewBlacklistedToken {
        jti: &claims.jti,
        token_type: claims.token_type.as_str(),
        expires_at: claims.exp,
        blacklisted_at: now,
    }
}

/// Blacklists `token` and revokes its whole session in one transaction. Returns whether the
/// token was newly blacklisted (false: it already was) and the session row.
pub fn revoke(
    conn: &mut DbConn,
    token: &Claims,
    access_horizon: i64,
    now: i64,
) -> Result<(bool, RevokedSession), ApiError> {
    on_backend!(conn, c => c.write_transaction(|c| {
        let inserted = diesel::insert_into(blacklisted_tokens::table)
            .values(&blacklist_entry(token, now))
            .on_conflict_do_nothing()
            .execute(c)?;
        if token.token_type == TokenType::Access {
            c.announce_revocation(&Announcement::Token {
                jti: token.jti.clone(),
                until: token.exp,
            }.to_string())?;
        }
        let session = revoke_session_body!(c, &token.sid, token.user_id, access_horizon, now)?;
        Ok((inserted == 1, session))
    }))
}

/// Whether `jti` is blacklisted (used for refresh tokens, which the memory list does not hold).
pub fn is_blacklisted(conn: &mut DbConn, jti: &str) -> QueryResult<bool> {
    on_backend!(conn, c => blacklisted_tokens::table
        .filter(blacklisted_tokens::jti.eq(jti))
        .count()
        .get_result::<i64>(c)
        .map(|n| n > 0))
}

/// Whether the token `jti` or its session `sid` is revoked (strict revocation checks).
pub fn is_revoked(conn: &mut DbConn, jti: &str, sid: &str) -> QueryResult<bool> {
    on_backend!(conn, c => {
        let token: i64 = blacklisted_tokens::table
            .filter(blacklisted_tokens::jti.eq(jti))
            .count()
            .get_result(c)?;
        let session: i64 = revoked_sessions::table
            .filter(revoked_sessions::sid.eq(sid))
            .count()
            .get_result(c)?;
        Ok(token + session > 0)
    })
}

/// Revocations that can still match a token at `now`: access-token jtis and sessions.
pub type ActiveRevocations = (Vec<(String, i64)>, Vec<(String, i64)>);

pub fn load_active_revocations(conn: &mut DbConn, now: i64) -> QueryResult<ActiveRevocations> {
    on_backend!(conn, c => {
        let tokens = blacklisted_tokens::table
            .filter(blacklisted_tokens::token_type.eq(TokenType::Access.as_str()))
            .filter(blacklisted_tokens::expires_at.ge(now))
            .select((blacklisted_tokens::jti, blacklisted_tokens::expires_at))
            .load(c)?;
        let sessions = revoked_sessions::table
            .filter(revoked_sessions::expires_at.ge(now))
            .select((revoked_sessions::sid, revoked_sessions::expires_at))
            .load(c)?;
        Ok((tokens, sessions))
    })
}
