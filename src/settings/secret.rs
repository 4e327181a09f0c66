//! The signing secret as a setting: a string whose `Debug` never prints it.

use std::fmt;

use serde::Deserialize;

/// The minimum HMAC key length: RFC 7518 §3.2 requires a key at least as long as the hash.
pub const MIN_SECRET_BYTES: usize = 32;

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
