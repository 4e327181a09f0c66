//! The `[dpop]` table: sender-constrained tokens (RFC 9449). A client that sends a `DPoP`
//! proof at login gets tokens bound to its key; clients that send none are unaffected.

use std::time::Duration;

use serde::Deserialize;

use super::error::SettingsError;
use super::lists::list_or_comma_separated;

/// The proof algorithms bouncer can verify: asymmetric only (an HMAC proof would need a
/// secret shared with the server, and `none` proves nothing).
const DPOP_ALGORITHMS: &[&str] = &[
    "ES256", "ES384", "EdDSA", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DpopSettings {
    /// Bind tokens to the key of a client that sends a proof. Off: `DPoP` headers are ignored
    /// at the token endpoints (RFC 9449 §5: a server without DPoP issues Bearer tokens).
    pub enabled: bool,
    /// The `alg` values a proof may use (`dpop_signing_alg_values_supported`).
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub algorithms: Vec<String>,
    /// How far a proof's `iat` may be from now, either way; a proof's `jti` is remembered
    /// this long (plus the same again) to refuse its replay.
    #[serde(with = "humantime_serde")]
    pub iat_window: Duration,
    /// Require a server nonce (`DPoP-Nonce`, RFC 9449 §8, §9) in every proof.
    pub require_nonce: bool,
    /// How long a server nonce is accepted (it is accepted in its lifetime and the next).
    #[serde(with = "humantime_serde")]
    pub nonce_lifetime: Duration,
    /// The URL clients address bouncer by (`https://auth.example.com`), against which a
    /// proof's `htu` is checked. Unset: `http://` and the request's `Host` header.
    #[serde(default)]
    pub public_url: Option<String>,
}

fn fail(key: &str, why: &str) -> Result<(), SettingsError> {
    Err(SettingsError::new(format!("setting `dpop.{key}`: {why}")))
}

pub(super) fn validate(s: &DpopSettings) -> Result<(), SettingsError> {
    if s.algorithms.is_empty() {
        return fail(
            "algorithms",
            "must name at least one algorithm, e.g. [\"ES256\"]",
        );
    }
    if let Some(bad) = s
        .algorithms
        .iter()
        .find(|a| !DPOP_ALGORITHMS.contains(&a.as_str()))
    {
        return fail(
            "algorithms",
            &format!("\"{bad}\" is not one of {}", DPOP_ALGORITHMS.join(", ")),
        );
    }
    if !(1..=600).contains(&s.iat_window.as_secs()) {
        return fail("iat_window", "must be between 1s and 10m, e.g. 60s");
    }
    if !(10..=86_400).contains(&s.nonce_lifetime.as_secs()) {
        return fail("nonce_lifetime", "must be between 10s and 1d, e.g. 5m");
    }
    if let Some(url) = &s.public_url {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        let ok = rest.is_some_and(|r| {
            let host = r.trim_end_matches('/');
            !host.is_empty() && !host.contains(['/', '?', '#', '@', ' '])
        });
        if !ok {
            return fail(
                "public_url",
                "must be a scheme and host (and port) only, e.g. https://auth.example.com",
            );
        }
    }
    Ok(())
}
