//! The signing secret as a setting: a string whose `Debug` never prints it.

use std::fmt;

use serde::Deserialize;

use super::secret_strength::weakness;

/// The minimum HMAC key length: RFC 7518 §3.2 requires a key at least as long as the hash.
pub const MIN_SECRET_BYTES: usize = 32;

/// What is wrong with `secret` as an HMAC key, on one line that says how to make a good one,
/// or `None`. Checked for the configured secret (settings validation) and for the one kept
/// beside the SQLite database (`keys.rs`), so every command that signs gets the same rule.
pub fn signing_secret_problem(secret: &str) -> Option<String> {
    const HOW: &str = "make one with `bouncer generate-secret` (32 random bytes, hex)";
    if secret.len() < MIN_SECRET_BYTES {
        return Some(format!("must be at least {MIN_SECRET_BYTES} bytes; {HOW}"));
    }
    let why = weakness(secret)?;
    Some(format!(
        "is guessable ({why}); it must be random, not just long: {HOW}"
    ))
}

/// A secret whose `Debug` prints nothing, so settings can be logged safely.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}
