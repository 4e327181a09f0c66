//! Queries on the second factor's tables: `totp_devices` (one authenticator per user, pending
//! until confirmed), `recovery_codes` (hashes only) and `mfa_challenges` (logins waiting for
//! their code, by the hash of their `mfa_token`). Every single-use rule here is one
//! conditional statement, so two racing requests cannot both win.

use diesel::prelude::*;

use super::conn::{DbConn, on_backend};
use super::import::atomically;
use super::schema::{mfa_challenges, recovery_codes, totp_devices};

/// A user's authenticator as stored: `secret` as written (sealed or plain, see the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpDevice {
    pub secret: String,
    pub confirmed: bool,
    /// The newest step whose code was accepted (0: none yet).
    pub last_step: i64,
}

/// A login waiting for its second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Challenge {
    pub user_id: i64,
    /// The login asked for cookie mode: the verification answers in it too.
    pub cookie_mode: bool,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = mfa_challenges)]
pub struct NewChallenge {
    pub token_hash: String,
    pub user_id: i64,
    pub cookie_mode: bool,
    pub created_at: i64,
    pub expires_at: i64,
}

pub fn find_device(conn: &mut DbConn, user_id: i64) -> QueryResult<Option<TotpDevice>> {
    let row: Option<(String, bool, i64)> = on_backend!(conn, c => totp_devices::table
        .find(user_id)
        .select((totp_devices::secret, totp_devices::confirmed, totp_devices::last_step))
        .first(c)
        .optional())?;
    Ok(row.map(|(secret, confirmed, last_step)| TotpDevice {
        secret,
        confirmed,
        last_step,
    }))
}

/// Whether the user has a confirmed authenticator (logins then need a code).
pub fn is_enabled(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::select(diesel::dsl::exists(
        totp_devices::table
            .filter(totp_devices::user_id.eq(user_id))
            .filter(totp_devices::confirmed.eq(true)),
    ))
    .get_result(c))
}

/// Stores a pending authenticator with `secret`, replacing a pending one; `false` (and
/// nothing written) when the user already has a confirmed one. When a concurrent enrolment
/// inserted its row between the delete and the insert, this one overwrites it (the last
/// enrolment wins, as if they had come one after the other).
pub fn put_pending(conn: &mut DbConn, user_id: i64, secret: &str, now: i64) -> QueryResult<bool> {
    atomically(conn, |conn| {
        on_backend!(conn, c => diesel::delete(
            totp_devices::table
                .filter(totp_devices::user_id.eq(user_id))
                .filter(totp_devices::confirmed.eq(false)),
        )
        .execute(c))?;
        let inserted = on_backend!(conn, c => diesel::insert_into(totp_devices::table)
            .values((
                totp_devices::user_id.eq(user_id),
                totp_devices::secret.eq(secret),
                totp_devices::confirmed.eq(false),
                totp_devices::created_at.eq(now),
                totp_devices::last_step.eq(0_i64),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
        if inserted == 1 {
            return Ok((true, true));
        }
        let replaced = on_backend!(conn, c => diesel::update(
            totp_devices::table
                .filter(totp_devices::user_id.eq(user_id))
                .filter(totp_devices::confirmed.eq(false)),
        )
        .set((
            totp_devices::secret.eq(secret),
            totp_devices::created_at.eq(now),
            totp_devices::last_step.eq(0_i64),
        ))
        .execute(c))?;
        Ok((replaced == 1, true))
    })
}

/// Confirms the pending authenticator with the code of `step` and stores the recovery codes'
/// hashes (replacing any), as one write; `false` (nothing written) when there was no pending
/// authenticator whose last step is older than `step`.
pub fn confirm(
    conn: &mut DbConn,
    user_id: i64,
    step: i64,
    code_hashes: &[String],
    now: i64,
) -> QueryResult<bool> {
    atomically(conn, |conn| {
        let confirmed = on_backend!(conn, c => diesel::update(
            totp_devices::table
                .filter(totp_devices::user_id.eq(user_id))
                .filter(totp_devices::confirmed.eq(false))
                .filter(totp_devices::last_step.lt(step)),
        )
        .set((
            totp_devices::confirmed.eq(true),
            totp_devices::confirmed_at.eq(Some(now)),
            totp_devices::last_step.eq(step),
        ))
        .execute(c))?;
        if confirmed != 1 {
            return Ok((false, false));
        }
        replace_codes(conn, user_id, code_hashes, now)?;
        Ok((true, true))
    })
}

/// Accepts the code of `step` for a confirmed authenticator: only if no code of this step or
/// a later one was accepted before (RFC 6238 §5.2), which makes each code single use.
pub fn accept_step(conn: &mut DbConn, user_id: i64, step: i64) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::update(
        totp_devices::table
            .filter(totp_devices::user_id.eq(user_id))
            .filter(totp_devices::confirmed.eq(true))
            .filter(totp_devices::last_step.lt(step)),
    )
    .set(totp_devices::last_step.eq(step))
    .execute(c))
    .map(|n| n == 1)
}

/// Removes the user's authenticator (pending or confirmed), recovery codes and waiting
/// logins; whether there was an authenticator.
pub fn disable(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    atomically(conn, |conn| {
        let removed = on_backend!(conn, c => diesel::delete(
            totp_devices::table.filter(totp_devices::user_id.eq(user_id)),
        )
        .execute(c))?;
        on_backend!(conn, c => diesel::delete(
            recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)),
        )
        .execute(c))?;
        on_backend!(conn, c => diesel::delete(
            mfa_challenges::table.filter(mfa_challenges::user_id.eq(user_id)),
        )
        .execute(c))?;
        Ok((removed == 1, true))
    })
}

/// Replaces the user's recovery codes with these hashes.
pub fn replace_codes(
    conn: &mut DbConn,
    user_id: i64,
    code_hashes: &[String],
    now: i64,
) -> QueryResult<()> {
    let rows: Vec<_> = code_hashes
        .iter()
        .map(|hash| {
            (
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(now),
            )
        })
        .collect();
    on_backend!(conn, c => diesel::delete(
        recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)),
    )
    .execute(c))?;
    on_backend!(conn, c => diesel::insert_into(recovery_codes::table)
        .values(&rows)
        .execute(c))
    .map(drop)
}

/// Spends one recovery code: whether it existed (a used code's row is gone, so the second
/// use of a code finds nothing).
pub fn use_code(conn: &mut DbConn, user_id: i64, code_hash: &str) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::delete(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(code_hash)),
    )
    .execute(c))
    .map(|n| n == 1)
}

pub fn codes_left(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    on_backend!(conn, c => recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .count()
        .get_result(c))
}

/// Stores a challenge, first deleting every expired one (an index range on `expires_at`): the
/// table never holds more than one lifetime's logins, with no clean-up job of its own.
pub fn insert_challenge(conn: &mut DbConn, challenge: &NewChallenge) -> QueryResult<()> {
    delete_expired_challenges(conn, challenge.created_at)?;
    on_backend!(conn, c => diesel::insert_into(mfa_challenges::table)
        .values(challenge)
        .execute(c))
    .map(drop)
}

/// The unexpired challenge with this token hash.
pub fn find_challenge(
    conn: &mut DbConn,
    token_hash: &str,
    now: i64,
) -> QueryResult<Option<Challenge>> {
    let row: Option<(i64, bool)> = on_backend!(conn, c => mfa_challenges::table
        .filter(mfa_challenges::token_hash.eq(token_hash))
        .filter(mfa_challenges::expires_at.gt(now))
        .select((mfa_challenges::user_id, mfa_challenges::cookie_mode))
        .first(c)
        .optional())?;
    Ok(row.map(|(user_id, cookie_mode)| Challenge {
        user_id,
        cookie_mode,
    }))
}

/// Spends the challenge: whether this call did (it existed and was unexpired).
pub fn spend_challenge(conn: &mut DbConn, token_hash: &str, now: i64) -> QueryResult<bool> {
    on_backend!(conn, c => diesel::delete(
        mfa_challenges::table
            .filter(mfa_challenges::token_hash.eq(token_hash))
            .filter(mfa_challenges::expires_at.gt(now)),
    )
    .execute(c))
    .map(|n| n == 1)
}

/// Deletes expired challenges; how many.
pub fn delete_expired_challenges(conn: &mut DbConn, now: i64) -> QueryResult<usize> {
    on_backend!(conn, c => diesel::delete(
        mfa_challenges::table.filter(mfa_challenges::expires_at.le(now)),
    )
    .execute(c))
}
