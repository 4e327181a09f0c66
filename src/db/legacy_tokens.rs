//! Queries for the tokens simplejwt issued before the cut-over (`tokens/legacy.rs`): voiding
//! all of a user's at once, and what the database says against one.

use diesel::prelude::*;

use super::backend::BackendOps;
use super::conn::{DbConn, on_backend};
use super::models::NewRevokedSession;
use super::notify::RevocationNotice;
use super::schema::{blacklisted_tokens, revoked_sessions, sessions};
use super::sessions::NewSession;
use super::tokens::SessionRevoked;
use crate::tokens::{SessionId, TokenId};

/// Revokes `user_session`, the session standing for every Django token of `user_id`, until
/// at least `until`. Unlike a login session's revocation, a later one extends an earlier one:
/// each must outlive the Django tokens issued before it. Run it through
/// `Db::write_announcing` (part of the write that ends the user's other sessions).
pub fn void_user_tokens(
    conn: &mut DbConn,
    user_session: SessionId,
    user_id: i64,
    until: i64,
    now: i64,
) -> QueryResult<SessionRevoked> {
    let sid = user_session.to_string();
    on_backend!(conn, c => {
        diesel::insert_into(revoked_sessions::table)
            .values(&NewRevokedSession {
                sid: sid.clone(),
                user_id,
                expires_at: until,
                revoked_at: now,
            })
            .on_conflict_do_nothing()
            .execute(c)?;
        diesel::update(
            revoked_sessions::table
                .filter(revoked_sessions::sid.eq(&sid))
                .filter(revoked_sessions::expires_at.lt(until)),
        )
        .set(revoked_sessions::expires_at.eq(until))
        .execute(c)?;
        c.announce_revocation(RevocationNotice::Session {
            sid: user_session,
            until,
        })
    })?;
    Ok(SessionRevoked {
        sid: user_session,
        user_id,
        expires_at: until,
    })
}

/// Whether a Django token must be refused whatever else holds: its jti was blacklisted other
/// than by a rotation (in Django and imported, or through bouncer's blacklist endpoint), or
/// its own session or all of its user's Django tokens were revoked. A jti spent by a
/// conversion is not refused here: the rotation answers it (a retry, or a replay).
pub fn is_refused(conn: &mut DbConn, jti: TokenId, user_session: SessionId) -> QueryResult<bool> {
    let jti = jti.to_string();
    let user_session = user_session.to_string();
    on_backend!(conn, c => {
        let blacklisted: i64 = blacklisted_tokens::table
            .filter(blacklisted_tokens::jti.eq(&jti))
            .filter(blacklisted_tokens::successor_jti.is_null())
            .count()
            .get_result(c)?;
        let sessions: i64 = revoked_sessions::table
            .filter(revoked_sessions::sid.eq_any([&jti, &user_session]))
            .count()
            .get_result(c)?;
        Ok(blacklisted + sessions > 0)
    })
}

/// Records the session a Django refresh token became, unless it already is (a retry, or a
/// second use with rotation off); whether it was new.
pub fn record_session(conn: &mut DbConn, session: &NewSession) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::insert_into(sessions::table)
        .values(session)
        .on_conflict_do_nothing()
        .execute(c))
    .map(|n| n == 1)
}

/// Whether every Django token of a user was voided ([`void_user_tokens`]).
pub fn is_user_voided(conn: &mut DbConn, user_session: SessionId) -> QueryResult<bool> {
    let sid = user_session.to_string();
    on_backend!(conn, c => revoked_sessions::table
        .filter(revoked_sessions::sid.eq(&sid))
        .count()
        .get_result::<i64>(c)
        .map(|n| n > 0))
}
