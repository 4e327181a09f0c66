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
/// An entry never outlives its key: it remembers until when the key verified and which key
/// ring it was verified with, and is verified afresh once the ring has been replaced.
const VERIFIED_TOKENS: usize = 10_000;

/// A verified token's claims, the ring generation and its key's last second.
#[derive(Clone)]
struct Verified {
    claims: Claims,
    generation: u64,
    key_until: i64,
}

pub struct JwtVerifier {
    keys: Arc<JwtKeys>,
    /// Token text -> its verified claims (fixed-size, copied out without allocating).
    verified: quick_cache::sync::Cache<String, Verified>,
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
    /// token, its session, or its user's credentials of its age). A token issued before its
    /// user's latest change of rights answers with the rights the user has now instead of
    /// those it carries: a grant takes effect on the next request, as in Django (see
    /// `revocation/user_entries.rs` for why that never grants what was taken away).
    pub fn verify(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        let bad = |reason| ApiError::token(reason, TokenContext::Header);
        let generation = self.keys.generation();
        let hit = self
            .verified
            .get(token)
            .filter(|v| v.generation == generation && now <= v.key_until);
        let claims = match hit {
            Some(Verified { claims, .. }) => {
                self.keys.check_unexpired(&claims, now).map_err(bad)?;
                claims
            }
            None => {
                let (claims, key_until) = self.keys.verify_access_until(token, now).map_err(bad)?;
                let entry = Verified {
                    claims: claims.clone(),
                    generation,
                    key_until,
                };
                self.verified.insert(token.to_owned(), entry);
                claims
            }
        };
        let standing = self.revocations.check_access(
            claims.jti,
            claims.sid,
            claims.user_id,
            claims.issued_at_ms(),
        );
        match standing {
            Ok(None) => Ok(claims),
            Ok(Some(rights)) => Ok(Claims {
                rights: Some(rights),
                ..claims
            }),
            Err(Revoked::Token | Revoked::Session | Revoked::User(UserChange::RightsChanged)) => {
                Err(bad(TokenError::Blacklisted))
            }
            Err(Revoked::User(UserChange::Deactivated)) => Err(ApiError::UserInactive),
            Err(Revoked::User(UserChange::Deleted)) => Err(ApiError::UserNotFound),
        }
    }
}

#[cfg(test)]
#[path = "jwt_verifier_tests.rs"]
mod tests;
