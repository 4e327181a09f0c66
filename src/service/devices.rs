//! Device tokens and the per-account bound on failed logins (OWASP "Slow Down Online Guessing
//! Attacks with Device Cookies"; README "Device tokens").
//!
//! The pair and address limits (`logins.rs`) stop one address, but a guesser spreading tries
//! over many addresses meets neither. Counting per username alone would stop them, and let
//! anyone lock any user out. So a successful login hands the client a device token
//! (`credentials::DeviceTokenKey`), and failures are counted by who makes them:
//! - a client without a valid device token *for that username* counts toward the account:
//!   past `failures_per_account` in the window, such clients get the lockout's 429 (whatever
//!   the password, and the same whether the account exists or not);
//! - a client with one counts toward that device: past `failures_per_device` the token is
//!   refused (429) for the rest of the window, so a stolen token buys few guesses.
//!
//! So the owner, on a device they logged in from before, still logs in while the account is
//! under attack. A token is trusted only while it verifies, has not expired, names the
//! username being tried, and was issued after the user's sessions were last all ended (then
//! `Revoker` ends their device tokens too) and after any void of their credentials (a
//! deactivation, deletion or lost right, from the revocation list).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::clock;
use crate::credentials::{DeviceClaims, DeviceTokenKey, canonical_username};
use crate::db::models::User;
use crate::error::ApiError;
use crate::revocation::RevocationList;
use crate::settings::{DeviceTokenSettings, Settings};
use crate::throttle::{AccountGuard, Counted, Decision, Lockout, StoreUnavailable};

#[derive(Debug)]
pub struct DeviceTokens {
    key: DeviceTokenKey,
    guard: Arc<AccountGuard>,
    lifetime: Duration,
    revocations: Arc<RevocationList>,
    /// `refresh_cookie.secure`: the cookie's `Secure` flag and `__Host-` name.
    cookie_secure: bool,
}

/// A new device token and its remaining seconds (the cookie's `Max-Age`).
pub struct IssuedDevice {
    pub token: String,
    pub max_age: i64,
}

impl std::fmt::Debug for IssuedDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IssuedDevice(<redacted>)")
    }
}

/// Which bound refused a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Too many failures against the account from untrusted clients.
    Account,
    /// Too many failures with this device token.
    Device,
}

impl Bound {
    /// The audit trail's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Device => "device",
        }
    }
}

/// What a login under the bound came to: the attempt's outcome, which bound refused it (then
/// the outcome is `ApiError::LockedOut` and the attempt never ran), and whether the client
/// presented a valid device token for the username.
pub struct DeviceGuarded<T> {
    pub outcome: Result<T, ApiError>,
    pub refused_by: Option<Bound>,
    pub trusted: bool,
}

fn unavailable(_: StoreUnavailable) -> ApiError {
    ApiError::Unavailable("the throttle store is unreachable (on_store_failure = closed)".into())
}

fn locked_out(lockout: Lockout) -> ApiError {
    ApiError::LockedOut {
        wait: Decision::seconds(lockout.retry_after).max(1),
    }
}

impl DeviceTokens {
    /// Keyed from the signing secret for this purpose only; counting in `guard`.
    pub fn new(
        secret: &[u8],
        settings: &DeviceTokenSettings,
        guard: Arc<AccountGuard>,
        revocations: Arc<RevocationList>,
        cookie_secure: bool,
    ) -> Self {
        Self {
            key: DeviceTokenKey::new(secret),
            guard,
            lifetime: settings.lifetime,
            revocations,
            cookie_secure,
        }
    }

    /// Whether the device cookie is `Secure` (`refresh_cookie.secure`).
    pub fn cookie_secure(&self) -> bool {
        self.cookie_secure
    }

    /// The claims of `presented` when it is a device token to trust for a login as
    /// `username` (as typed); `None` for no token, a bad one, or one of another user.
    pub async fn trusted(
        &self,
        presented: Option<&str>,
        username: &str,
    ) -> Result<Option<DeviceClaims>, ApiError> {
        let Some(claims) = presented.and_then(|t| self.key.verify(t, clock::now())) else {
            return Ok(None);
        };
        if claims.usr != canonical_username(username)
            || self
                .revocations
                .user_standing(claims.uid, claims.iat)
                .is_err()
        {
            return Ok(None);
        }
        let ended = self
            .guard
            .devices_ended_at(claims.uid)
            .await
            .map_err(unavailable)?;
        Ok(match ended {
            // "At or after": a token issued in the millisecond of the ending may predate it.
            Some(at) if claims.iat <= at => None,
            _ => Some(claims),
        })
    }

    /// A new device token for `user`, who just logged in: a fresh random device id.
    pub fn issue(&self, user: &User) -> Result<IssuedDevice, ApiError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| ApiError::Internal(format!("no randomness for a device id: {e}")))?;
        let max_age = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        let claims = DeviceClaims {
            uid: user.id,
            usr: canonical_username(&user.username),
            dev: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            iat: clock::now_ms(),
            exp: clock::now().saturating_add(max_age),
        };
        Ok(IssuedDevice {
            token: self.key.sign(&claims),
            max_age,
        })
    }

    /// Runs `attempt` (a credential check, itself under the pair and address limits) for
    /// `username` unless the account's or the device's bound refuses it; counts it when it
    /// fails as `is_failure` says.
    pub async fn guarded<T>(
        &self,
        username: &str,
        presented: Option<&str>,
        attempt: impl Future<Output = Result<T, ApiError>>,
        is_failure: fn(&ApiError) -> bool,
    ) -> DeviceGuarded<T> {
        let trusted = match self.trusted(presented, username).await {
            Ok(trusted) => trusted,
            Err(e) => {
                return DeviceGuarded {
                    outcome: Err(e),
                    refused_by: None,
                    trusted: false,
                };
            }
        };
        let canonical = canonical_username(username);
        let (counted, bound) = match &trusted {
            Some(claims) => (Counted::Device(&claims.dev), Bound::Device),
            None => (Counted::Account(&canonical), Bound::Account),
        };
        let refusal = match self.guard.count_ahead(counted).await {
            Ok(Ok(())) => None,
            Ok(Err(lockout)) => Some((locked_out(lockout), Some(bound))),
            Err(e) => Some((unavailable(e), None)),
        };
        if let Some((error, refused_by)) = refusal {
            return DeviceGuarded {
                outcome: Err(error),
                refused_by,
                trusted: trusted.is_some(),
            };
        }
        let outcome = attempt.await;
        // Counted ahead as a failure; anything else gives the attempt back. A store that
        // cannot take it back leaves one failure too many counted (logged by the guard): the
        // safe side, and no reason to fail a login that succeeded.
        if !matches!(&outcome, Err(e) if is_failure(e)) {
            let _ = self.guard.uncount(counted).await;
        }
        DeviceGuarded {
            outcome,
            refused_by: None,
            trusted: trusted.is_some(),
        }
    }
}

/// What `Revoker` needs to end a user's device tokens with their sessions.
#[derive(Debug, Clone)]
pub struct DeviceEnds {
    guard: Arc<AccountGuard>,
    lifetime: Duration,
}

impl DeviceEnds {
    pub fn new(guard: Arc<AccountGuard>, settings: &DeviceTokenSettings) -> Self {
        Self {
            guard,
            lifetime: settings.lifetime,
        }
    }

    /// Ends every device token of `user_id` issued until now. A store that cannot answer is
    /// logged, not an error: the sessions have ended, which is what the caller asked for.
    pub async fn end(&self, user_id: i64) {
        // The mark outlives every token it could match, whatever the clock skew of a second.
        let keep = self.lifetime + Duration::from_secs(1);
        if self
            .guard
            .end_devices(user_id, clock::now_ms(), keep)
            .await
            .is_err()
        {
            log::warn!(
                "user {user_id}: device tokens not ended, the throttle store is unreachable"
            );
        }
    }
}

/// `[device_tokens]`: the service the logins use and what the revokers end, both counting in
/// one `AccountGuard` (memory, or the throttle's Redis); `None`s when disabled.
pub fn device_tokens(
    settings: &Settings,
    secret: &[u8],
    revocations: &Arc<RevocationList>,
) -> Result<(Option<DeviceTokens>, Option<DeviceEnds>), String> {
    let config = &settings.device_tokens;
    if !config.enabled {
        return Ok((None, None));
    }
    let guard = Arc::new(AccountGuard::from_settings(&settings.throttle, config)?);
    let devices = DeviceTokens::new(
        secret,
        config,
        guard.clone(),
        revocations.clone(),
        settings.refresh_cookie.secure,
    );
    Ok((Some(devices), Some(DeviceEnds::new(guard, config))))
}

/// What the command line's revoker ends: the running servers' marks, which it can reach only
/// when they are in Redis (in memory they belong to each server process).
pub fn command_line_device_ends(settings: &Settings) -> Option<DeviceEnds> {
    let config = &settings.device_tokens;
    if !config.enabled || settings.throttle.redis_url.is_none() {
        return None;
    }
    let guard = AccountGuard::from_settings(&settings.throttle, config).ok()?;
    Some(DeviceEnds::new(Arc::new(guard), config))
}
