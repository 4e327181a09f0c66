//! Verifying an access JWT: signature and claims once per token, expiry and revocation on
//! every request.

use std::sync::Arc;

use crate::revocation::RevocationList;
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

    /// Validates an access token: signature, time claims, type, then revocation.
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let claims = match self.verified.get(token) {
            Some(claims) => {
                self.keys.check_unexpired(&claims, now)?;
                claims
            }
            None => {
                let claims = self.keys.verify_access(token, now)?;
                self.verified.insert(token.to_owned(), claims);
                claims
            }
        };
        if self.revocations.check(claims.jti, claims.sid).is_some() {
            return Err(TokenError::Blacklisted);
        }
        Ok(claims)
    }
}

#[cfg(test)]
#[path = "jwt_verifier_tests.rs"]
mod tests;
