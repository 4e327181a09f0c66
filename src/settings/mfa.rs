//! The `[mfa]` table: two-factor login with an authenticator app (`src/service/mfa.rs`).

use std::time::Duration;

use serde::Deserialize;

use super::error::SettingsError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MfaSettings {
    /// The issuer an authenticator app shows next to the account (the `otpauth://` URI's
    /// label prefix and `issuer` parameter).
    pub issuer: String,
    /// How long the `mfa_token` of a login waiting for its code is valid.
    #[serde(with = "humantime_serde")]
    pub challenge_lifetime: Duration,
}

/// Longest issuer name, in UTF-8 bytes: apps show it on one line, and the bound keeps the
/// QR code possible for any username. The URI percent-encodes every byte (3 characters) of
/// the issuer, twice, and of the username (at most 150 characters, 600 bytes): with 64
/// bytes here it is at most about 2,260 characters, under the 2,331 bytes a QR code holds at
/// error-correction level M.
const MAX_ISSUER_BYTES: usize = 64;

/// The issuer is a short printable name without `:` (which ends the label's issuer part in
/// the Key Uri Format); the lifetime leaves time to type a code and stays short (a stolen
/// `mfa_token` is only worth anything with the code anyway).
pub(super) fn validate(mfa: &MfaSettings) -> Result<(), SettingsError> {
    let issuer = &mfa.issuer;
    if issuer.trim().is_empty()
        || issuer.len() > MAX_ISSUER_BYTES
        || issuer.contains(':')
        || issuer.chars().any(char::is_control)
    {
        return Err(SettingsError::new(format!(
            "setting `mfa.issuer`: must be 1 to {MAX_ISSUER_BYTES} bytes of printable \
             characters without `:`, e.g. \"bouncer\""
        )));
    }
    let lifetime = mfa.challenge_lifetime;
    if lifetime < Duration::from_secs(30) || lifetime > Duration::from_secs(30 * 60) {
        return Err(SettingsError::new(
            "setting `mfa.challenge_lifetime`: must be between 30s and 30m, e.g. 5m",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(issuer: &str, seconds: u64) -> MfaSettings {
        MfaSettings {
            issuer: issuer.into(),
            challenge_lifetime: Duration::from_secs(seconds),
        }
    }

    #[test]
    fn issuer_and_lifetime_are_checked() {
        assert!(validate(&settings("bouncer", 300)).is_ok());
        assert!(validate(&settings("Example Corp", 30)).is_ok());
        for bad in [
            "",
            "  ",
            "a:b",
            "tab\there",
            &"x".repeat(65),
            &"é".repeat(33),
        ] {
            assert!(validate(&settings(bad, 300)).is_err(), "{bad:?}");
        }
        assert!(validate(&settings("bouncer", 29)).is_err());
        assert!(validate(&settings("bouncer", 1801)).is_err());
    }
}
