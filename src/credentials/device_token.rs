//! Device tokens (OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a signed
//! statement "this client logged in as user U (username N) at T; it is device D; good until E".
//! It grants nothing but a place in its own failed-login count instead of the account's
//! (`service/devices.rs`), so it is never an access credential.
//!
//! The form is `bd1.<payload>.<mac>`: the payload is JSON in URL-safe base64, the MAC is
//! HMAC-SHA256 over `bd1.<payload>` with a key derived from the signing secret for this
//! purpose only (label `bouncer.device_token`), the way the CSRF proofs are keyed. So a device
//! token is never a JWT bouncer accepts (another form and another key), and no JWT, CSRF proof
//! or reset token is a device token. Nothing is stored; every instance agrees.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use serde::{Deserialize, Serialize};

use super::purpose_key::{HmacSha256, PurposeKey};

const LABEL: &[u8] = b"bouncer.device_token";
const PREFIX: &str = "bd1.";
/// Longer tokens are not even decoded: a real one is about 200 characters (a username is at
/// most 150 characters, some of them 4 bytes in UTF-8, which base64 makes a third longer).
pub const MAX_DEVICE_TOKEN: usize = 1200;

/// What a device token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceClaims {
    /// The user's id.
    pub uid: i64,
    /// The username as the failed-login limits key it (`canonical_username`).
    pub usr: String,
    /// The device: 32 random hex characters.
    pub dev: String,
    /// Issued at, milliseconds since the epoch.
    pub iat: i64,
    /// Expires at, seconds since the epoch.
    pub exp: i64,
}

#[derive(Clone)]
pub struct DeviceTokenKey {
    key: PurposeKey,
}

impl std::fmt::Debug for DeviceTokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceTokenKey(<redacted>)")
    }
}

impl DeviceTokenKey {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: PurposeKey::derive(secret, LABEL),
        }
    }

    /// The signed token of `claims`.
    pub fn sign(&self, claims: &DeviceClaims) -> String {
        // Serialising a struct of strings and integers cannot fail.
        let json = serde_json::to_vec(claims).unwrap_or_default();
        let signed = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(json));
        let mac = URL_SAFE_NO_PAD.encode(self.mac(&signed).finalize().into_bytes());
        format!("{signed}.{mac}")
    }

    /// The claims of `token` when its MAC is right (checked in constant time) and it has not
    /// expired at `now` (seconds); `None` for anything else, never an error: a forged, expired
    /// or garbled device token is simply no device token.
    pub fn verify(&self, token: &str, now: i64) -> Option<DeviceClaims> {
        if token.len() > MAX_DEVICE_TOKEN || !token.starts_with(PREFIX) {
            return None;
        }
        let (signed, mac) = token.rsplit_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        self.mac(signed).verify_slice(&mac).ok()?;
        let json = URL_SAFE_NO_PAD.decode(&signed[PREFIX.len()..]).ok()?;
        let claims: DeviceClaims = serde_json::from_slice(&json).ok()?;
        (claims.exp > now).then_some(claims)
    }

    fn mac(&self, signed: &str) -> HmacSha256 {
        let mut mac = self.key.mac();
        mac.update(signed.as_bytes());
        mac
    }
}

#[cfg(test)]
#[path = "device_token_tests.rs"]
mod tests;
