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

/// How the session's login was proved: the `amr` claim (RFC 8176 values), written into
/// every token of the session and carried through refresh. `pwd` is the password; `otp` a
/// code of the authenticator app (RFC 6238); `mfa` a second factor that is neither, which
/// for bouncer means a one-time recovery code (RFC 8176 has no value of its own for those).
/// A token without `amr` comes from an older version or the command line's `issue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amr {
    /// `["pwd"]`: the password alone.
    Password,
    /// `["pwd", "otp"]`: the password and a TOTP code.
    PasswordOtp,
    /// `["pwd", "mfa"]`: the password and a recovery code.
    PasswordRecovery,
}

impl Amr {
    /// The claim's values, in the order bouncer writes them.
    pub fn values(self) -> &'static [&'static str] {
        match self {
            Self::Password => &["pwd"],
            Self::PasswordOtp => &["pwd", "otp"],
            Self::PasswordRecovery => &["pwd", "mfa"],
        }
    }

    /// The variant whose values are exactly `values`; `None` for anything bouncer never writes.
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Option<Self> {
        [Self::Password, Self::PasswordOtp, Self::PasswordRecovery]
            .into_iter()
            .find(|amr| {
                let mine = amr.values();
                mine.len() == values.len() && mine.iter().zip(values).all(|(a, b)| *a == b.as_ref())
            })
    }

    /// Whether a second factor was part of the login.
    pub fn is_multi_factor(self) -> bool {
        self != Self::Password
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
    /// How the session's login was proved (`amr`); `None` in tokens that do not say.
    pub amr: Option<Amr>,
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
