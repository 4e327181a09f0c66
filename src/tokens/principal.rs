//! Who is calling: what every credential source proves, whatever it was.
//!
//! Handlers and services see a [`Principal`], never the credential itself, so a new kind of
//! credential (an opaque `Token` key, a session cookie, a JWT signed by another `kid`) adds a
//! variant to [`AuthMethod`] and a verifier, and touches no handler.

use super::claims::Claims;
use super::ids::{SessionId, TokenId};
use super::rights::Rights;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: i64,
    /// The login session the credential belongs to; ending it ends the credential.
    pub session_id: SessionId,
    pub method: AuthMethod,
    /// What the user may do, as the credential says (permission extractors read this).
    pub rights: Rights,
    /// When the credential (or, for a key, the cached copy of its rights) was issued, in
    /// milliseconds: a change to the user at or after it voids it.
    pub issued_at_ms: i64,
}

/// How the caller authenticated, with what is needed to revoke exactly that credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// An access JWT (from the `Authorization` header).
    AccessToken {
        jti: TokenId,
        /// Its `exp`: the revocation of this token can be forgotten after it.
        expires_at: i64,
    },
    /// An opaque key (`Authorization: Token <key>`); `session_id` is the key's own.
    Key,
}

impl Principal {
    /// The principal an access token proves; no rights unless its claims hold them (the
    /// authenticator fills in those of a token that does not carry them).
    pub fn from_access(claims: Claims) -> Self {
        Self {
            user_id: claims.user_id,
            session_id: claims.sid,
            method: AuthMethod::AccessToken {
                jti: claims.jti,
                expires_at: claims.exp,
            },
            issued_at_ms: claims.issued_at_ms(),
            rights: claims.rights.unwrap_or_default(),
        }
    }
}
