//! Verifying an opaque key (`Authorization: Token <key>`) with no database round trip in
//! steady state.
//!
//! Keys are looked up by their SHA-256; a lookup's answer (user, session, rights) is cached
//! by that digest. A cached answer is trusted while all of these hold:
//! - its session is not revoked (a logged-out key's session is revoked on every instance
//!   through the revocation list, until well after [`RECHECK_AFTER_MS`]);
//! - its user's credentials have not been voided since it was read (a user revocation newer
//!   than the read);
//! - it was read less than [`RECHECK_AFTER_MS`] ago: every cached key is read again that
//!   often, which bounds how long a revocation entry must be kept to cover the caches.
//!
//! Otherwise the key is read again. A grant made since the read (a rights entry newer than
//! it) needs no read: the revocation list holds the user's current rights, which replace the
//! cached ones (see `revocation/user_entries.rs`). Unknown keys are not cached (a flood of random keys costs
//! lookups, not memory); the key login endpoints are where guessing is throttled.

use std::sync::Arc;

use crate::clock;
use crate::credentials::{is_well_formed, key_digest, key_hash};
use crate::db::{Db, groups, keys};
use crate::error::{ApiError, KeyProblem};
use crate::revocation::{KEY_RECHECK_AFTER_MS as RECHECK_AFTER_MS, RevocationList};
use crate::tokens::{AuthMethod, Principal, Rights, SessionId};

/// Keys remembered: ~200 bytes each.
const CACHED_KEYS: usize = 10_000;

#[derive(Debug, Clone)]
struct CachedKey {
    user_id: i64,
    sid: SessionId,
    expires_at: Option<i64>,
    rights: Rights,
    read_at_ms: i64,
}

pub struct KeyVerifier {
    cache: quick_cache::sync::Cache<[u8; 32], CachedKey>,
    revocations: Arc<RevocationList>,
    /// `None` in an app that only validates JWTs (`Authenticator::from_settings`): it has no
    /// database, so every key is refused.
    db: Option<Db>,
}

impl std::fmt::Debug for KeyVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVerifier").finish_non_exhaustive()
    }
}

/// The outcome of a check from memory: known, refused, or to be read from the database.
pub enum KeyCheck {
    Known(Result<Principal, ApiError>),
    Lookup(KeyLookup),
}

/// A key to read from the database ([`KeyLookup::run`]).
pub struct KeyLookup {
    digest: [u8; 32],
    hash: String,
    db: Db,
}

impl KeyVerifier {
    pub fn new(revocations: Arc<RevocationList>, db: Option<Db>) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(CACHED_KEYS),
            revocations,
            db,
        }
    }

    /// Checks `key` against the cache and the revocation list.
    pub fn check(&self, key: &str, now: i64) -> KeyCheck {
        let refused = |problem| KeyCheck::Known(Err(ApiError::InvalidKey(problem)));
        let Some(db) = &self.db else {
            return refused(KeyProblem::Invalid);
        };
        if !is_well_formed(key) {
            return refused(KeyProblem::Invalid);
        }
        let digest = key_digest(key);
        if let Some(cached) = self.cache.get(&digest) {
            let recent = clock::now_ms().saturating_sub(cached.read_at_ms) < RECHECK_AFTER_MS;
            let standing = self
                .revocations
                .user_standing(cached.user_id, cached.read_at_ms);
            if let (true, Ok(changed)) = (recent, standing) {
                return KeyCheck::Known(self.accept(&cached, changed, now));
            }
            self.cache.remove(&digest);
        }
        KeyCheck::Lookup(KeyLookup {
            digest,
            hash: key_hash(key),
            db: db.clone(),
        })
    }

    /// Reads a key from the database, caches what it found, and checks it.
    pub async fn lookup(&self, lookup: KeyLookup, now: i64) -> Result<Principal, ApiError> {
        let KeyLookup { digest, hash, db } = lookup;
        // Taken before the read: a user change committed after it voids this answer.
        let read_at_ms = clock::now_ms();
        let found = db
            .run(move |conn| {
                let Some(key) = keys::find(conn, &hash)? else {
                    return Ok(None);
                };
                let rights = groups::rights_of(conn, key.user_id)?;
                Ok::<_, diesel::result::Error>(Some((key, rights)))
            })
            .await?;
        let Some((key, Some(rights))) = found else {
            return Err(ApiError::InvalidKey(KeyProblem::Invalid));
        };
        if !key.user_active || !rights.is_active {
            return Err(ApiError::InvalidKey(KeyProblem::UserInactiveOrDeleted));
        }
        let cached = CachedKey {
            user_id: key.user_id,
            sid: key.sid,
            expires_at: key.expires_at,
            rights: Rights::new(rights.is_staff, rights.groups),
            read_at_ms,
        };
        // A grant committed around the read is in the list by now: its rights are current.
        let changed = self
            .revocations
            .user_standing(cached.user_id, read_at_ms)
            .ok()
            .flatten();
        let accepted = self.accept(&cached, changed, now);
        if accepted.is_ok() {
            self.cache.insert(digest, cached);
        }
        accepted
    }

    /// The principal a key proves, with `changed` rights when its user's rights changed
    /// since it was read.
    fn accept(
        &self,
        key: &CachedKey,
        changed: Option<Rights>,
        now: i64,
    ) -> Result<Principal, ApiError> {
        let expired = key.expires_at.is_some_and(|at| at <= now);
        if expired || self.revocations.is_session_revoked(key.sid) {
            return Err(ApiError::InvalidKey(KeyProblem::Invalid));
        }
        Ok(Principal {
            user_id: key.user_id,
            session_id: key.sid,
            method: AuthMethod::Key,
            rights: changed.unwrap_or_else(|| key.rights.clone()),
            issued_at_ms: key.read_at_ms,
        })
    }
}
