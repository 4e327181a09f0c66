//! The in-memory revocation list checked on every authenticated request.
//!
//! It holds revoked access-token `jti`s and revoked session `sid`s whose tokens could still be
//! unexpired, and what changed about users lately (`user_entries.rs`: voids and rights), so the
//! hot path costs a read lock and two or three hash lookups, never a database round trip. The database stays the source of truth: the list is loaded before the
//! server accepts traffic and every revocation is committed there first, then applied here
//! before the response is sent. Rotated refresh tokens are not kept here: they are only ever
//! presented to endpoints that consult the database anyway, and at thousands of rotations a
//! second they would swell it.
//!
//! Each entry is kept until the last second a token it matches could be accepted: its expiry
//! plus the leeway, which this list adds (the one place it is added).
//!
//! Sized for millions of entries: an entry is a 16-byte id and a 4-byte expiry (seconds since
//! the epoch, good until 2106) in a hash map keyed with FxHash (the ids are bits bouncer made
//! itself, so a fast non-keyed hash cannot be steered by a client): 20 to 45 bytes per entry
//! with the map's spare room. A reload sizes the new maps first, builds them beside the live
//! ones and swaps them in, so requests never wait for a reload, and the memory of the old maps
//! goes back to the operating system.

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

use super::user_entries::UserEntries;
use crate::db::tokens::Revocation;
use crate::db::{RevocationNotice, RightsChange, UserChange, UserRevocation};
use crate::tokens::{Rights, SessionId, TokenId};

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Token,
    Session,
    /// The user changed after the credential was issued.
    User(UserChange),
}

#[derive(Debug)]
pub struct RevocationList {
    inner: RwLock<Entries>,
    /// Seconds a token stays acceptable after its `exp` (the `leeway` setting).
    leeway: i64,
}

/// A full set of entries: the live list, or one being loaded to replace it.
#[derive(Debug, Default)]
pub struct Entries {
    /// Id -> last second (expiry plus leeway) at which a matching token could be accepted.
    tokens: FxHashMap<TokenId, Until>,
    sessions: FxHashMap<SessionId, Until>,
    /// Users changed within an access token's lifetime: voids and current rights.
    users: UserEntries,
    /// The newest rights change loaded from the database (see `sync::poll_user_revocations`).
    rights_loaded_up_to: i64,
    next_sweep: i64,
    leeway: i64,
}

/// Seconds since the epoch in 4 bytes; later times are clamped to 2106, earlier ones to 1970.
type Until = u32;

fn until(seconds: i64) -> Until {
    Until::try_from(seconds.max(0)).unwrap_or(Until::MAX)
}

impl Entries {
    /// Adds one revocation as loaded from the database (expiry without leeway).
    pub fn insert(&mut self, kind: Revocation, id: TokenId, expires_at: i64) {
        let until = until(expires_at.saturating_add(self.leeway));
        insert_max(self.map(kind), id, until);
    }

    /// Adds a user revocation (expiry without leeway); a later one replaces an earlier one.
    pub fn insert_user(&mut self, revocation: UserRevocation) {
        let until = until(revocation.until.saturating_add(self.leeway));
        self.users.void(revocation, until);
    }

    /// Adds a user's rights since a change (expiry without leeway); a later change wins.
    pub fn insert_rights(&mut self, change: RightsChange) {
        let until = until(change.until.saturating_add(self.leeway));
        self.users.change_rights(change, until);
    }

    /// Adds a user's rights as loaded from the database.
    pub fn load_rights(&mut self, change: RightsChange) {
        self.rights_loaded_up_to = self.rights_loaded_up_to.max(change.changed_at_ms);
        self.insert_rights(change);
    }

    /// Makes room for `additional` more users at once.
    pub fn reserve_users(&mut self, additional: usize) {
        self.users.reserve(additional);
    }

    /// Makes room for `additional` more entries of `kind` at once (no growth while loading).
    pub fn reserve(&mut self, kind: Revocation, additional: usize) {
        self.map(kind).reserve(additional);
    }

    fn map(&mut self, kind: Revocation) -> &mut FxHashMap<TokenId, Until> {
        match kind {
            Revocation::Token => &mut self.tokens,
            Revocation::Session => &mut self.sessions,
        }
    }
}

/// Sweeping costs a pass over the map; doing it at most this often keeps writes cheap.
const SWEEP_INTERVAL_SECONDS: i64 = 30;

impl RevocationList {
    pub fn new(leeway: i64) -> Self {
        Self {
            inner: RwLock::new(Entries {
                leeway,
                rights_loaded_up_to: i64::MIN,
                ..Entries::default()
            }),
            leeway,
        }
    }

    /// Whether a token with this `jti` in session `sid` has been revoked.
    pub fn check(&self, jti: TokenId, sid: SessionId) -> Option<Revoked> {
        let entries = self.inner.read();
        if entries.tokens.contains_key(&jti) {
            return Some(Revoked::Token);
        }
        if entries.sessions.contains_key(&sid) {
            return Some(Revoked::Session);
        }
        None
    }

    /// Whether a credential of `user_id` with this `jti` and `sid`, issued at `issued_at_ms`,
    /// is revoked: the token, its session, or its user's credentials of that age. One lock.
    pub fn check_credential(
        &self,
        jti: TokenId,
        sid: SessionId,
        user_id: i64,
        issued_at_ms: i64,
    ) -> Option<Revoked> {
        let entries = self.inner.read();
        if entries.tokens.contains_key(&jti) {
            return Some(Revoked::Token);
        }
        if entries.sessions.contains_key(&sid) {
            return Some(Revoked::Session);
        }
        entries
            .users
            .voided(user_id, issued_at_ms)
            .map(Revoked::User)
    }

    /// [`RevocationList::check_credential`] for a credential that proves rights (an access
    /// token on a request): `Ok(Some(rights))` when its user's rights changed at or after
    /// `issued_at_ms`, and the credential is to be read with these current rights instead of
    /// the ones it carries. Still one lock; one more hash lookup only while users changed.
    pub fn check_access(
        &self,
        jti: TokenId,
        sid: SessionId,
        user_id: i64,
        issued_at_ms: i64,
    ) -> Result<Option<Rights>, Revoked> {
        let entries = self.inner.read();
        if entries.tokens.contains_key(&jti) {
            return Err(Revoked::Token);
        }
        if entries.sessions.contains_key(&sid) {
            return Err(Revoked::Session);
        }
        entries
            .users
            .standing(user_id, issued_at_ms)
            .map_err(Revoked::User)
    }

    /// What changed about `user_id` since `issued_at_ms`: `Err` their credentials of that
    /// age are void, `Ok(Some)` their rights are now these, `Ok(None)` nothing.
    pub fn user_standing(
        &self,
        user_id: i64,
        issued_at_ms: i64,
    ) -> Result<Option<Rights>, UserChange> {
        self.inner.read().users.standing(user_id, issued_at_ms)
    }

    /// Records a user revocation made here or announced by another instance.
    pub fn revoke_user(&self, revocation: UserRevocation, now: i64) {
        self.write(now, |e| e.insert_user(revocation));
    }

    /// Records a user's rights after a change, made here or announced by another instance.
    pub fn change_rights(&self, change: RightsChange, now: i64) {
        self.write(now, |e| e.insert_rights(change));
    }

    pub fn is_session_revoked(&self, sid: SessionId) -> bool {
        self.inner.read().sessions.contains_key(&sid)
    }

    /// Records a revoked access token that expires at `expires_at`.
    pub fn revoke_token(&self, jti: TokenId, expires_at: i64, now: i64) {
        self.write(now, |e| e.insert(Revocation::Token, jti, expires_at));
    }

    /// Records a revoked session whose last token expires at `expires_at`.
    pub fn revoke_session(&self, sid: SessionId, expires_at: i64, now: i64) {
        self.write(now, |e| e.insert(Revocation::Session, sid, expires_at));
    }

    /// Applies a revocation announced by any instance (this one included: it is idempotent).
    pub fn apply(&self, notice: RevocationNotice, now: i64) {
        match notice {
            RevocationNotice::Token { jti, until } => self.revoke_token(jti, until, now),
            RevocationNotice::Session { sid, until } => self.revoke_session(sid, until, now),
            RevocationNotice::User(revocation) => self.revoke_user(revocation, now),
            RevocationNotice::Rights(change) => self.change_rights(change, now),
            // Not a revocation: the revocation sync reloads the key ring for it.
            RevocationNotice::Keys => {}
        }
    }

    /// An empty set of entries to fill from the database and then [`RevocationList::replace`]
    /// this list's contents with.
    pub fn empty_entries(&self) -> Entries {
        Entries {
            leeway: self.leeway,
            rights_loaded_up_to: i64::MIN,
            ..Entries::default()
        }
    }

    /// Swaps in entries loaded from the database; the lock is held only for the swap, and the
    /// old maps are freed after it is released.
    pub fn replace(&self, mut fresh: Entries, now: i64) {
        fresh.next_sweep = now;
        let old = std::mem::replace(&mut *self.inner.write(), fresh);
        drop(old);
        return_freed_memory();
    }

    /// Seconds a token stays acceptable after its `exp`.
    pub fn leeway(&self) -> i64 {
        self.leeway
    }

    /// Number of (token, session) entries held.
    pub fn len(&self) -> (usize, usize) {
        let entries = self.inner.read();
        (entries.tokens.len(), entries.sessions.len())
    }

    /// The newest rights change the last reload read from the database (`i64::MIN`: none).
    pub fn rights_loaded_up_to(&self) -> i64 {
        self.inner.read().rights_loaded_up_to
    }

    /// Number of users whose credentials are void, and of users whose rights changed.
    pub fn users_len(&self) -> (usize, usize) {
        self.inner.read().users.len()
    }

    fn write(&self, now: i64, change: impl FnOnce(&mut Entries)) {
        let mut entries = self.inner.write();
        change(&mut entries);
        if now >= entries.next_sweep {
            let now_until = until(now);
            entries.tokens.retain(|_, until| *until >= now_until);
            entries.sessions.retain(|_, until| *until >= now_until);
            entries.users.sweep(now_until);
            entries.next_sweep = now + SWEEP_INTERVAL_SECONDS;
        }
    }
}

/// glibc keeps freed memory for reuse, and after a big free it raises the size above which it
/// hands memory straight back: without this, replacing a list of millions of entries would
/// leave the old maps' memory in the process for good.
fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator; no pointer is involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

fn insert_max(map: &mut FxHashMap<TokenId, Until>, id: TokenId, until: Until) {
    let entry = map.entry(id).or_insert(until);
    *entry = (*entry).max(until);
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
