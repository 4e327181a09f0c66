//! Token and session ids: 128 bits written as 32 lowercase hex characters (the format of
//! simplejwt's `jti`, a uuid4 there; a uuid7 here, see [`TokenId::generate`]).
//!
//! An id is parsed once, where it enters (a verified token, a database row, a notification),
//! into a fixed-size value: the hot path then hashes and compares integers and never
//! allocates for an id.

use std::fmt;

use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A token's `jti` or a session's `sid`. One type for both: a session id in a token-id slot is
/// simply not found, which the revocation tests check.
///
/// Two `u64` halves packed to an alignment of 4 rather than a `u128` (alignment 16): a
/// revocation-list entry (id and a 4-byte expiry) then takes 20 bytes instead of 32, which
/// matters at a million entries.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(C, packed(4))]
pub struct TokenId {
    high: u64,
    low: u64,
}

/// The id shared by a login session's tokens (the `sid` claim).
pub type SessionId = TokenId;

impl TokenId {
    /// A fresh id: a uuid7, 48 bits of milliseconds then 74 random bits. Unique and
    /// unguessable like a uuid4, but in time order, so the database's unique indexes on ids
    /// grow at their right edge: a batch of writes dirties a few index pages instead of one
    /// random page per row (which made SQLite write several pages per refresh).
    pub fn generate() -> Self {
        Self::from_u128(uuid::Uuid::now_v7().as_u128())
    }

    pub const fn from_u128(value: u128) -> Self {
        Self {
            high: (value >> 64) as u64,
            low: value as u64,
        }
    }

    /// The millisecond a uuid7 id was generated at; `None` for other ids (uuid4 `jti`s of
    /// tokens minted by older versions).
    pub fn millis(&self) -> Option<i64> {
        let high = self.high;
        let version = (high >> 12) & 0xf;
        (version == 7).then_some((high >> 16) as i64)
    }

    /// Exactly 32 lowercase hex characters, the only form bouncer writes: no sign, no prefix,
    /// no uppercase, so one id has one spelling.
    pub fn parse(s: &str) -> Option<Self> {
        let canonical = s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !canonical {
            return None;
        }
        u128::from_str_radix(s, 16).ok().map(Self::from_u128)
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copies first: a packed field cannot be borrowed.
        let (high, low) = (self.high, self.low);
        write!(f, "{high:016x}{low:016x}")
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

/// Lets tests compare an id with its hex spelling.
#[cfg(test)]
impl PartialEq<&str> for TokenId {
    fn eq(&self, other: &&str) -> bool {
        Self::parse(other) == Some(*self)
    }
}

impl Serialize for TokenId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TokenId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&text)
            .ok_or_else(|| D::Error::invalid_value(Unexpected::Str(&text), &"32 lowercase hex"))
    }
}

#[cfg(test)]
#[path = "ids_tests.rs"]
mod tests;
