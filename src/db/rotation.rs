//! A refresh's write: retiring the old refresh token, recording its successor, detecting a
//! replay (which revokes the session) and answering a retry inside the grace window.

use diesel::prelude::*;

use super::backend::BackendOps;
use super::conn::DbConn;
use super::error::StorageError;
use super::groups::UserRights;
use super::models::NewRevokedSession;
use super::notify::RevocationNotice;
use super::schema::{blacklisted_tokens, outstanding_tokens, revoked_sessions, users};
use super::tokens::{SessionRevoked, blacklist_entry, outstanding, revoke_session_body};
use crate::tokens::{Claims, SessionId, TokenId};

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
