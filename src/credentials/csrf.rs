//! The CSRF proof of cookie mode: a value bound to one login session, which the page holds
//! and sends back as `X-CSRF-Token` whenever the refresh cookie is used.
//!
//! It is `HMAC(key, sid)`, the key derived from the signing secret for this purpose only, so
//! nothing is stored and every instance agrees. A cross-site form can send the cookie but
//! neither this header (a custom header needs a CORS preflight the attacker's origin fails)
//! nor its value (it was only ever given to the page, in a response body the attacker's page
//! cannot read). The value alone is worth nothing: the refresh token stays in the HttpOnly
//! cookie, so a script that reads the value from storage still cannot refresh from elsewhere.
//! It stays the same for the session's life, so tabs and reloads share it without
//! coordination (OWASP CSRF cheat sheet, "signed double-submit cookie", bound to the session).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;

use super::purpose_key::{HmacSha256, PurposeKey};

const LABEL: &[u8] = b"bouncer.csrf";

#[derive(Clone)]
pub struct CsrfProofs {
    key: PurposeKey,
}

impl std::fmt::Debug for CsrfProofs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfProofs(<redacted>)")
    }
}

impl CsrfProofs {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            key: PurposeKey::derive(secret, LABEL),
        }
    }

    /// The proof for session `sid` (its 32-hex spelling): 43 URL-safe characters.
    pub fn for_session(&self, sid: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(sid).finalize().into_bytes())
    }

    /// Whether `presented` is the proof for `sid`, compared in constant time.
    pub fn check(&self, sid: &str, presented: &str) -> bool {
        let Ok(presented) = URL_SAFE_NO_PAD.decode(presented) else {
            return false;
        };
        self.mac(sid).verify_slice(&presented).is_ok()
    }

    fn mac(&self, sid: &str) -> HmacSha256 {
        let mut mac = self.key.mac();
        mac.update(sid.as_bytes());
        mac
    }
}

#[cfg(test)]
#[path = "csrf_tests.rs"]
mod tests;
