//! Verifying an access token simplejwt issued before the cut-over (`[django_tokens]`).
//!
//! Reached only after bouncer's own verification refused a token, and only for a token shaped
//! like simplejwt's (no `kid`), so bouncer's tokens never pay for it. Django's access tokens
//! carry no rights: the user's are read from the database, as for a `Token` key, and the
//! answer is cached by the token's jti on the rules of `key_verifier.rs` (trusted while no
//! change to the user is newer than the read, and for [`RECHECK_AFTER_MS`] at most). The
//! signature is checked on every request (one HMAC: these tokens live minutes).
//!
//! Revocation: the token's jti (logout), every Django token of its user
//! ([`LegacyKeys::user_session`]: password change, "log out everywhere"), and its user's
//! changes after its `iat` (deactivation, deletion, a lost right).

use std::sync::Arc;

use crate::clock;
use crate::db::{Db, UserChange, groups, tokens};
use crate::error::{ApiError, TokenContext};
use crate::revocation::{KEY_RECHECK_AFTER_MS as RECHECK_AFTER_MS, RevocationList, Revoked};
use crate::tokens::{
    AuthMethod, LegacyClaims, LegacyKeys, LegacyRefusal, Principal, Rights, TokenError, TokenId,
    TokenType,
};

/// Rights remembered, by jti: ~100 bytes each.
const CACHED_TOKENS: usize = 10_000;

#[derive(Debug, Clone)]
struct CachedRights {
    rights: Rights,
    read_at_ms: i64,
}

pub struct DjangoVerifier {
    keys: Arc<LegacyKeys>,
    cache: quick_cache::sync::Cache<TokenId, CachedRights>,
    revocations: Arc<RevocationList>,
    db: Db,
    /// `revocation_check = "strict"`: read the database on every request.
    strict: bool,
}

impl std::fmt::Debug for DjangoVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DjangoVerifier").finish_non_exhaustive()
    }
}

/// The outcome of a check from memory: known, or to be read from the database.
pub enum DjangoCheck {
    Known(Result<Principal, ApiError>),
    Lookup(DjangoLookup),
}

/// A Django token whose user must be read from the database ([`DjangoVerifier::lookup`]).
pub struct DjangoLookup {
    claims: LegacyClaims,
}

fn bad(reason: TokenError) -> ApiError {
    ApiError::token(reason, TokenContext::Header)
}

impl DjangoVerifier {
    pub fn new(
        keys: Arc<LegacyKeys>,
        revocations: Arc<RevocationList>,
        db: Db,
        strict: bool,
    ) -> Self {
        Self {
            keys,
            cache: quick_cache::sync::Cache::new(CACHED_TOKENS),
            revocations,
            db,
            strict,
        }
    }

    /// `None` when `token` is not a Django token (bouncer's own answer stands); otherwise the
    /// outcome from memory, or a lookup to make.
    pub fn check(&self, token: &str, now: i64) -> Option<DjangoCheck> {
        let claims = match self.keys.verify(token, TokenType::Access, now) {
            Ok(claims) => claims,
            Err(LegacyRefusal::NotLegacy) => return None,
            Err(LegacyRefusal::Refused(reason)) => {
                return Some(DjangoCheck::Known(Err(bad(reason))));
            }
        };
        let changed = match self.standing(&claims) {
            Ok(changed) => changed,
            Err(e) => return Some(DjangoCheck::Known(Err(e))),
        };
        if !self.strict
            && let Some(cached) = self.cache.get(&claims.jti)
        {
            let recent = clock::now_ms().saturating_sub(cached.read_at_ms) < RECHECK_AFTER_MS;
            let unchanged = self
                .revocations
                .user_standing(claims.user_id, cached.read_at_ms)
                .is_ok();
            if recent && unchanged {
                let rights = changed.unwrap_or(cached.rights);
                return Some(DjangoCheck::Known(Ok(principal(&claims, rights))));
            }
            self.cache.remove(&claims.jti);
        }
        Some(DjangoCheck::Lookup(DjangoLookup { claims }))
    }

    /// The revocation list's word: `Ok(Some(rights))` the user's rights changed since the
    /// token was issued (always the current ones: a Django token carries none).
    fn standing(&self, claims: &LegacyClaims) -> Result<Option<Rights>, ApiError> {
        let all_of_user = LegacyKeys::user_session(claims.user_id);
        let standing = self.revocations.check_access(
            claims.jti,
            all_of_user,
            claims.user_id,
            claims.issued_at_ms(),
        );
        match standing {
            Ok(changed) => Ok(changed),
            Err(Revoked::Token | Revoked::Session | Revoked::User(UserChange::RightsChanged)) => {
                Err(bad(TokenError::Blacklisted))
            }
            Err(Revoked::User(UserChange::Deactivated)) => Err(ApiError::UserInactive),
            Err(Revoked::User(UserChange::Deleted)) => Err(ApiError::UserNotFound),
        }
    }

    /// Reads the user (and in strict mode the token's revocations), caches the rights, and
    /// answers.
    pub async fn lookup(&self, lookup: DjangoLookup, _now: i64) -> Result<Principal, ApiError> {
        let claims = lookup.claims;
        // Taken before the read: a user change committed after it voids this answer.
        let read_at_ms = clock::now_ms();
        let (jti, user_id, strict) = (claims.jti, claims.user_id, self.strict);
        let all_of_user = LegacyKeys::user_session(user_id);
        let (revoked, rights) = self
            .db
            .run(move |conn| {
                let revoked = strict && tokens::is_revoked(conn, jti, all_of_user)?;
                let rights = groups::rights_of(conn, user_id)?;
                Ok::<_, diesel::result::Error>((revoked, rights))
            })
            .await?;
        if revoked {
            return Err(bad(TokenError::Blacklisted));
        }
        let rights = rights.ok_or(ApiError::UserNotFound)?;
        if !rights.is_active {
            return Err(ApiError::UserInactive);
        }
        let rights = Rights::new(rights.is_staff, rights.groups);
        // A change committed around the read is in the list by now.
        let changed = self.standing(&claims)?;
        self.cache.insert(
            jti,
            CachedRights {
                rights: rights.clone(),
                read_at_ms,
            },
        );
        Ok(principal(&claims, changed.unwrap_or(rights)))
    }
}

/// What a Django access token proves. Its session is its own jti, so logging out with it ends
/// just this token; every Django token of the user ends through their user session instead.
fn principal(claims: &LegacyClaims, rights: Rights) -> Principal {
    Principal {
        user_id: claims.user_id,
        session_id: claims.jti,
        method: AuthMethod::AccessToken {
            jti: claims.jti,
            expires_at: claims.exp,
        },
        rights,
        issued_at_ms: claims.issued_at_ms(),
    }
}
