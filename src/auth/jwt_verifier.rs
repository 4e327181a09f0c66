//! Verifying an access JWT: signature and claims once per token, expiry and revocation on
//! every request.

use std::sync::Arc;

use crate::db::UserChange;
use crate::error::{ApiError, TokenContext};
use crate::revocation::{RevocationList, Revoked};
use crate::tokens::{Claims, JwtKeys, TokenError};

/// Access tokens remembered after their signature was verified. Clients send the same token
/// with every request for its whole life, so each is verified once (as Envoy's JWT filter
/// does). A hit still checks expiry and revocation. Only tokens that passed verification
/// enter, so forged tokens cannot fill it; at ~500 bytes an entry it stays under ~5 MiB.
const VERIFIED_TOKENS: usize = 10_000;

pub struct JwtVerifier {
    keys: Arc<JwtKeys>,
    /// Token text -> its verified claims (fixed-size, copied out without allocating).
    verified: quick_cache::sync::Cache<String, Claims>,
    revocations: Arc<RevocationList>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier").finish_non_exhaustive()
    }
}

impl JwtVerifier {
    pub fn new(keys: Arc<JwtKeys>, revocations: Arc<RevocationList>) -> Self {
        Self {
            keys,
            verified: quick_cache::sync::Cache::new(VERIFIED_TOKENS),
            revocations,
        }
    }

    /// Validates an access token: signature, time claims, type, then revocation (of the
    /// token, its session, or its user's credentials of its age).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let bad = |reason| ApiError::token(reason, TokenContext::Header);
        let claims = match self.verified.get(token) {
            Some(claims) => {
                self.keys.check_unexpired(&claims, now).map_err(bad)?;
                claims
            }
            None => {
                let claims = self.keys.verify_access(token, now).map_err(bad)?;
                self.verified.insert(token.to_owned(), claims.clone());
                claims
            }
        };
        let revoked = self.revocations.check_credential(
            claims.jti,
            claims.sid,
            claims.user_id,
            claims.issued_at_ms(),
        );
        match revoked {
            None => Ok(claims),
            Some(Revoked::Token | Revoked::Session | Revoked::User(UserChange::RightsChanged)) => {
                Err(bad(TokenError::Blacklisted))
            }
            Some(Revoked::User(UserChange::Deactivated)) => Err(ApiError::UserInactive),
            Some(Revoked::User(UserChange::Deleted)) => Err(ApiError::UserNotFound),
        }
    }
}

#[cfg(test)]
#[path = "jwt_verifier_tests.rs"]
mod tests;
