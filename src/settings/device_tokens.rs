//! The `[device_tokens]` table: OWASP's device cookies ("Slow Down Online Guessing Attacks
//! with Device Cookies"), which bound the failed logins against one account without letting
//! anyone lock its owner out. See `service/devices.rs` for the rules.

use std::time::Duration;

use serde::Deserialize;

use super::error::SettingsError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceTokenSettings {
    /// Off: no device tokens, no per-account bound (only the pair and address limits).
    pub enabled: bool,
    /// How long a device token vouches for its device.
    #[serde(with = "humantime_serde")]
    pub lifetime: Duration,
    /// Failed logins against one account from clients without its device token, per window,
    /// before such clients are refused for the rest of the window.
    pub failures_per_account: u32,
    /// Failed logins made with one device token, per window, before that token is refused.
    pub failures_per_device: u32,
    /// The window of both counts.
    #[serde(with = "humantime_serde")]
    pub failure_window: Duration,
}

fn fail(key: &str, why: &str) -> Result<(), SettingsError> {
    Err(SettingsError::new(format!(
        "setting `device_tokens.{key}`: {why}"
    )))
}

/// ASVS 5 (2.2.1) allows at most 100 failed attempts an hour on one account: a window shorter
/// than an hour must allow proportionally fewer. (The windows are fixed, started by the first
/// failure, like the pair and address limits: each window holds the bound; a guesser who times
/// the boundary gets at most twice the limit within some 60 minutes, never more.)
pub(super) fn validate(s: &DeviceTokenSettings) -> Result<(), SettingsError> {
    if s.lifetime < Duration::from_secs(1) {
        return fail("lifetime", "must be at least 1s, e.g. 30d");
    }
    if s.failure_window < Duration::from_secs(1) {
        return fail("failure_window", "must be at least 1s, e.g. 1h");
    }
    if s.failures_per_account == 0 {
        return fail("failures_per_account", "must be at least 1, e.g. 100");
    }
    if s.failures_per_device == 0 {
        return fail("failures_per_device", "must be at least 1, e.g. 10");
    }
    // Windows per hour, rounded up: at 15m, four windows fit an hour.
    let per_hour = 3600u64.div_ceil(s.failure_window.as_secs().max(1));
    if u64::from(s.failures_per_account).saturating_mul(per_hour) > 100 {
        return fail(
            "failures_per_account",
            "allows more than 100 failures an hour with this failure_window (ASVS 2.2.1): \
             e.g. 100 with failure_window = \"1h\"",
        );
    }
    Ok(())
}
