//! What a verified token says, and why a token is refused.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::dpop_jwk::Thumbprint;
use super::ids::{SessionId, TokenId};
use super::rights::Rights;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// Why a token was refused, worded as simplejwt words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
    WrongType,
    Blacklisted,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "Token is invalid",
            Self::Expired => "Token is expired",
            Self::WrongType => "Token has wrong type",
            Self::Blacklisted => "Token is blacklisted",
        }
    }
}

/// The verified claims of a token bouncer issued. Cheap to clone: the verified-token cache
/// hands them out with one reference-count increment (the groups are shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    pub token_type: TokenType,
    pub user_id: i64,
    pub jti: TokenId,
    /// The login session: shared by a refresh token, its rotations and their access tokens.
    pub sid: SessionId,
    pub exp: i64,
    pub iat: i64,
    /// When the session's login happened; bounds refresh rotation (`session_lifetime`).
    pub auth_time: i64,
    /// Access tokens only: the user's rights when the token was minted. `None` when the
    /// token does not carry both `is_staff` and `groups` (`access_token_claims` leaves one
    /// out, or a refresh token): whoever needs them reads them (`auth/rights_lookup.rs`).
    pub rights: Option<Rights>,
    /// `cnf.jkt` (RFC 9449 §6): the token is DPoP-bound to the client key with this
    /// thumbprint, and is accepted only with a proof signed by that key.
    pub cnf: Option<Thumbprint>,
}

impl Claims {
    /// When the token was minted, in milliseconds: from the `jti` (a uuid7 begins with its
    /// millisecond), or `iat` for an id that is not a uuid7.
    pub fn issued_at_ms(&self) -> i64 {
        self.jti.millis().unwrap_or(self.iat.saturating_mul(1000))
    }
}

/// Claims carry identifiers only, but keep them out of logs by default anyway.
impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("token_type", &self.token_type)
            .field("user_id", &self.user_id)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

/// simplejwt's expiry rule, the one place it is written: a token is expired once
/// `exp <= now - leeway`.
pub fn is_expired(exp: i64, now: i64, leeway: i64) -> bool {
    exp <= now.saturating_sub(leeway)
}
