//! The rights of a user whose access token does not carry them (`access_token_claims` leaves
//! out `is_staff` or `groups`), read from the database and cached per user.
//!
//! Why not always mint them: a token then grows with every group its user joins, and some
//! deployments would rather keep group names out of tokens that clients and logs see. bouncer
//! is the one verifier that can ask the database, so it does; other services that authorise
//! on the claims need them in the token (the default).
//!
//! A cached answer is trusted exactly as a cached opaque key is (`key_verifier.rs`), because
//! the revocation list keeps every user change at least [`RECHECK_AFTER_MS`] (`Revoker`):
//! - a void of the user at or after the read (a right taken away, deactivation): read again;
//! - a grant at or after the read: the list holds the user's current rights, which win;
//! - older than [`RECHECK_AFTER_MS`]: read again.
//!
//! So one read per user per instance per five minutes at most, and no read at all while
//! tokens carry both claims. In an app without a database (`Authenticator::from_settings`)
//! a token without its rights claims proves no rights: permission checks refuse, never allow.

use std::sync::Arc;

use crate::clock;
use crate::db::{Db, groups};
use crate::error::{ApiError, TokenContext};
use crate::revocation::{KEY_RECHECK_AFTER_MS as RECHECK_AFTER_MS, RevocationList};
use crate::tokens::{Rights, TokenError};

/// Users remembered: ~100 bytes each plus their group names.
const CACHED_USERS: usize = 10_000;

#[derive(Debug, Clone)]
struct CachedRights {
    rights: Rights,
    read_at_ms: i64,
}

pub struct RightsLookup {
    cache: quick_cache::sync::Cache<i64, CachedRights>,
    revocations: Arc<RevocationList>,
    db: Option<Db>,
}

impl std::fmt::Debug for RightsLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RightsLookup").finish_non_exhaustive()
    }
}

/// From memory, or to be read ([`RightsLookup::read`]).
pub enum RightsCheck {
    Known(Rights),
    Read(RightsRead),
}

/// A user whose rights must be read from the database.
pub struct RightsRead {
    user_id: i64,
    db: Db,
}

impl RightsLookup {
    pub fn new(revocations: Arc<RevocationList>, db: Option<Db>) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(CACHED_USERS),
            revocations,
            db,
        }
    }

    /// `user_id`'s rights from the cache and the revocation list, if they can be trusted.
    pub fn check(&self, user_id: i64) -> RightsCheck {
        let Some(db) = &self.db else {
            return RightsCheck::Known(Rights::default());
        };
        if let Some(cached) = self.cache.get(&user_id) {
            let recent = clock::now_ms().saturating_sub(cached.read_at_ms) < RECHECK_AFTER_MS;
            match (
                recent,
                self.revocations.user_standing(user_id, cached.read_at_ms),
            ) {
                (true, Ok(None)) => return RightsCheck::Known(cached.rights),
                (true, Ok(Some(current))) => return RightsCheck::Known(current),
                _ => {
                    self.cache.remove(&user_id);
                }
            }
        }
        RightsCheck::Read(RightsRead {
            user_id,
            db: db.clone(),
        })
    }

    /// Reads the user's rights (off the workers) and caches them.
    pub async fn read(&self, read: RightsRead) -> Result<Rights, ApiError> {
        let RightsRead { user_id, db } = read;
        // Taken before the read: a change committed after it is judged against this moment.
        let read_at_ms = clock::now_ms();
        let found = db.run(move |conn| groups::rights_of(conn, user_id)).await?;
        let rights = match found {
            None => return Err(ApiError::UserNotFound),
            Some(row) if !row.is_active => return Err(ApiError::UserInactive),
            Some(row) => Rights::new(row.is_staff, row.groups),
        };
        // The token was checked against the list before the read began, so it predates a
        // void found now: the token is void too, and the read may have missed the change.
        let changed = self
            .revocations
            .user_standing(user_id, read_at_ms)
            .map_err(|_| ApiError::token(TokenError::Blacklisted, TokenContext::Header))?;
        self.cache.insert(
            user_id,
            CachedRights {
                rights: rights.clone(),
                read_at_ms,
            },
        );
        Ok(changed.unwrap_or(rights))
    }
}
