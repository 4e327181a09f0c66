//! Two-factor login with an authenticator app (RFC 6238): enrolment, confirmation, the codes
//! that finish a login or disable the factor, recovery codes, and the `mfa_token` of a login
//! waiting for its code.
//!
//! Invariants, each enforced by one conditional write in `db/mfa.rs`:
//! - a TOTP code is accepted at most once: the step it belongs to must be newer than the last
//!   accepted one (RFC 6238 §5.2), so a code seen over a shoulder or replayed is refused;
//! - a recovery code works once: using it deletes its row;
//! - an `mfa_token` works once: finishing the login deletes its row; a wrong code leaves it
//!   (the failed-login limits count wrong codes instead, in the route);
//! - the secret never leaves the server after enrolment and is sealed at rest when
//!   `key_encryption_secret` is set (AES-256-GCM, the user id as associated data, so a sealed
//!   secret copied to another user's row does not open).
//!
//! The `mfa_token` of a login waiting for its code: `mfa_challenge.rs`.
//!
//! Wrong codes come back as `ApiError::InvalidCredentials`, the error the failed-login
//! limits count (`service::bad_credentials`); the route words them for the client.

use std::sync::Arc;

use crate::clock;
use crate::credentials::{
    TotpSecret, generate_recovery_codes, is_totp_code, qr_svg, recovery_code_hash,
};
use crate::db::mfa;
use crate::db::models::User;
use crate::db::{Db, users};
use crate::error::ApiError;
use crate::keyring::Sealer;
use crate::settings::MfaSettings;

/// The stored secret's prefixes: sealed under `key_encryption_secret`, or as it is.
const SEALED: &str = "sealed:";
const PLAIN: &str = "plain:";
/// The sealer's "algorithm" slot: associated data naming what is sealed.
const SEAL_PURPOSE: &str = "TOTP";

/// What `POST /auth/mfa/totp/` answers: everything an authenticator app can be set up from.
#[derive(Debug)]
pub struct Enrolment {
    /// Base32, for typing into the app.
    pub secret: String,
    pub otpauth_uri: String,
    pub qr_svg: String,
}

/// `GET /auth/mfa/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MfaStatus {
    pub totp_enabled: bool,
    pub recovery_codes_left: i64,
}

/// What proved the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
}

impl SecondFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Totp => "totp",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

#[derive(Clone)]
pub struct Mfa {
    pub(super) db: Db,
    sealer: Option<Arc<Sealer>>,
    issuer: String,
    /// Seconds an `mfa_token` is valid (`mfa_challenge.rs`).
    pub(super) challenge_lifetime: i64,
}

impl std::fmt::Debug for Mfa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mfa")
            .field("issuer", &self.issuer)
            .field("sealed", &self.sealer.is_some())
            .finish_non_exhaustive()
    }
}

pub(super) fn internal(e: String) -> ApiError {
    ApiError::Internal(e)
}

impl Mfa {
    /// `sealer`: from `key_encryption_secret`, when set.
    pub fn new(db: Db, sealer: Option<Sealer>, settings: &MfaSettings) -> Self {
        Self {
            db,
            sealer: sealer.map(Arc::new),
            issuer: settings.issuer.clone(),
            challenge_lifetime: clock::seconds(settings.challenge_lifetime),
        }
    }

    fn seal(&self, user_id: i64, secret: &TotpSecret) -> Result<String, ApiError> {
        match &self.sealer {
            Some(sealer) => {
                let sealed = sealer
                    .seal(&format!("totp:{user_id}"), SEAL_PURPOSE, secret.as_bytes())
                    .map_err(internal)?;
                Ok(format!("{SEALED}{sealed}"))
            }
            None => Ok(format!("{PLAIN}{}", secret.to_base32())),
        }
    }

    fn open(&self, user_id: i64, stored: &str) -> Result<TotpSecret, ApiError> {
        if let Some(sealed) = stored.strip_prefix(SEALED) {
            let sealer = self.sealer.as_ref().ok_or_else(|| {
                internal(format!(
                    "user {user_id}'s TOTP secret is sealed, and key_encryption_secret is unset"
                ))
            })?;
            let bytes = sealer
                .open(&format!("totp:{user_id}"), SEAL_PURPOSE, sealed)
                .map_err(|e| internal(format!("user {user_id}'s TOTP secret: {e}")))?;
            return Ok(TotpSecret::from_bytes(bytes));
        }
        stored
            .strip_prefix(PLAIN)
            .and_then(TotpSecret::from_base32)
            .ok_or_else(|| internal(format!("user {user_id}'s TOTP secret is unreadable")))
    }

    pub async fn status(&self, user_id: i64) -> Result<MfaStatus, ApiError> {
        Ok(self
            .db
            .run(move |conn| {
                let enabled = mfa::is_enabled(conn, user_id)?;
                let left = mfa::codes_left(conn, user_id)?;
                diesel::QueryResult::Ok(MfaStatus {
                    totp_enabled: enabled,
                    recovery_codes_left: if enabled { left } else { 0 },
                })
            })
            .await?)
    }

    /// Whether the user's logins need a code.
    pub async fn is_enabled(&self, user_id: i64) -> Result<bool, ApiError> {
        Ok(self
            .db
            .run(move |conn| mfa::is_enabled(conn, user_id))
            .await?)
    }

    /// A new pending secret for `user` (replacing a pending one); a 400 when TOTP is on.
    pub async fn start_enrolment(&self, user: &User) -> Result<Enrolment, ApiError> {
        let secret = TotpSecret::generate().map_err(internal)?;
        let otpauth_uri = secret
            .otpauth_uri(&self.issuer, &user.username)
            .map_err(internal)?;
        let qr_svg = qr_svg(&otpauth_uri).map_err(internal)?;
        let stored = self.seal(user.id, &secret)?;
        let (user_id, now) = (user.id, clock::now());
        let stored_pending = self
            .db
            .write(move |conn| mfa::put_pending(conn, user_id, &stored, now))
            .await?;
        if !stored_pending {
            return Err(ApiError::BadRequest(
                "Two-factor authentication is already on: disable it first.".into(),
            ));
        }
        Ok(Enrolment {
            secret: secret.to_base32(),
            otpauth_uri,
            qr_svg,
        })
    }

    /// Confirms the pending enrolment with a first code: TOTP is on, and the answer is the
    /// recovery codes, in clear this once (only their hashes are kept).
    pub async fn confirm(&self, user_id: i64, code: &str) -> Result<Vec<String>, ApiError> {
        let device = self
            .db
            .run(move |conn| mfa::find_device(conn, user_id))
            .await?
            .filter(|device| !device.confirmed)
            .ok_or_else(|| {
                ApiError::BadRequest(
                    "No two-factor enrolment is pending: start one at /auth/mfa/totp/.".into(),
                )
            })?;
        let secret = self.open(user_id, &device.secret)?;
        let step = secret
            .check(code, clock::now())
            .ok_or(ApiError::InvalidCredentials)?;
        let codes = generate_recovery_codes().map_err(internal)?;
        let hashes: Vec<String> = codes
            .iter()
            .map(|code| recovery_code_hash(user_id, code))
            .collect();
        let now = clock::now();
        let confirmed = self
            .db
            .write(move |conn| mfa::confirm(conn, user_id, step, &hashes, now))
            .await?;
        // Lost a race with another confirmation or a new enrolment: that one decides.
        if !confirmed {
            return Err(ApiError::InvalidCredentials);
        }
        Ok(codes)
    }

    /// Checks a second factor of a user with TOTP on: a TOTP code (its step then used up) or
    /// a recovery code (then spent). `InvalidCredentials` for anything else.
    pub async fn check_second_factor(
        &self,
        user_id: i64,
        code: &str,
    ) -> Result<SecondFactor, ApiError> {
        if is_totp_code(code) {
            let device = self
                .db
                .run(move |conn| mfa::find_device(conn, user_id))
                .await?
                .filter(|device| device.confirmed)
                .ok_or(ApiError::InvalidCredentials)?;
            let secret = self.open(user_id, &device.secret)?;
            let step = secret
                .check(code, clock::now())
                .filter(|step| *step > device.last_step)
                .ok_or(ApiError::InvalidCredentials)?;
            let accepted = self
                .db
                .write(move |conn| mfa::accept_step(conn, user_id, step))
                .await?;
            return if accepted {
                Ok(SecondFactor::Totp)
            } else {
                Err(ApiError::InvalidCredentials)
            };
        }
        let hash = recovery_code_hash(user_id, code);
        let spent = self
            .db
            .write(move |conn| {
                // Only while TOTP is on: a code left over from a disabled enrolment is void.
                if !mfa::is_enabled(conn, user_id)? {
                    return diesel::QueryResult::Ok(false);
                }
                mfa::use_code(conn, user_id, &hash)
            })
            .await?;
        if spent {
            Ok(SecondFactor::RecoveryCode)
        } else {
            Err(ApiError::InvalidCredentials)
        }
    }

    /// Turns TOTP off with a code of its own (or a recovery code); a 400 when it is off.
    pub async fn disable(&self, user_id: i64, code: &str) -> Result<SecondFactor, ApiError> {
        self.require_enabled(user_id).await?;
        let factor = self.check_second_factor(user_id, code).await?;
        self.db
            .write(move |conn| mfa::disable(conn, user_id))
            .await?;
        Ok(factor)
    }

    /// Staff turn a user's TOTP off (a lost phone and lost recovery codes): no code needed.
    /// `NotFound` for an unknown user; whether TOTP (or a pending enrolment) was there.
    pub async fn reset_by_staff(&self, user_id: i64) -> Result<bool, ApiError> {
        self.db
            .write(move |conn| {
                if users::find_by_id(conn, user_id)?.is_none() {
                    return diesel::QueryResult::Ok(None);
                }
                mfa::disable(conn, user_id).map(Some)
            })
            .await?
            .ok_or(ApiError::NotFound)
    }

    /// New recovery codes (the old ones void), after a code; a 400 when TOTP is off.
    pub async fn regenerate_codes(
        &self,
        user_id: i64,
        code: &str,
    ) -> Result<(Vec<String>, SecondFactor), ApiError> {
        self.require_enabled(user_id).await?;
        let factor = self.check_second_factor(user_id, code).await?;
        let codes = generate_recovery_codes().map_err(internal)?;
        let hashes: Vec<String> = codes
            .iter()
            .map(|code| recovery_code_hash(user_id, code))
            .collect();
        let now = clock::now();
        self.db
            .write(move |conn| mfa::replace_codes(conn, user_id, &hashes, now))
            .await?;
        Ok((codes, factor))
    }

    async fn require_enabled(&self, user_id: i64) -> Result<(), ApiError> {
        if self.is_enabled(user_id).await? {
            Ok(())
        } else {
            Err(ApiError::BadRequest(
                "Two-factor authentication is not on for this account.".into(),
            ))
        }
    }
}
