//! The in-memory revocation list checked on every authenticated request.
//!
//! It holds revoked access-token `jti`s and revoked session `sid`s whose tokens could still be
//! unexpired, so the hot path costs a read lock and two hash lookups of fixed-size ids, never a
//! database round trip. The database stays the source of truth: the list is loaded before the
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

use crate::db::tokens::Revocation;
use crate::db::{RevocationNotice, UserChange, UserRevocation};
use crate::tokens::{SessionId, TokenId};

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
    /// User id -> credentials issued before this are void (few: one per changed user).
    users: FxHashMap<i64, UserVoid>,
    next_sweep: i64,
    leeway: i64,
}

#[derive(Debug, Clone, Copy)]
struct UserVoid {
    not_before_ms: i64,
    reason: UserChange,
    until: Until,
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
        let entry = self.users.entry(revocation.user_id).or_insert(UserVoid {
            not_before_ms: revocation.not_before_ms,
            reason: revocation.reason,
            until,
        });
        if revocation.not_before_ms >= entry.not_before_ms {
            entry.not_before_ms = revocation.not_before_ms;
            entry.reason = revocation.reason;
        }
        entry.until = entry.until.max(until);
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
        user_void(&entries, user_id, issued_at_ms).map(Revoked::User)
    }

    /// Why credentials of `user_id` issued at `issued_at_ms` are void, if they are.
    pub fn user_change(&self, user_id: i64, issued_at_ms: i64) -> Option<UserChange> {
        user_void(&self.inner.read(), user_id, issued_at_ms)
    }

    /// Records a user revocation made here or announced by another instance.
    pub fn revoke_user(&self, revocation: UserRevocation, now: i64) {
        self.write(now, |e| e.insert_user(revocation));
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
        }
    }

    /// An empty set of entries to fill from the database and then [`RevocationList::replace`]
    /// this list's contents with.
    pub fn empty_entries(&self) -> Entries {
        Entries {
            leeway: self.leeway,
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

    fn write(&self, now: i64, change: impl FnOnce(&mut Entries)) {
        let mut entries = self.inner.write();
        change(&mut entries);
        if now >= entries.next_sweep {
            let now_until = until(now);
            entries.tokens.retain(|_, until| *until >= now_until);
            entries.sessions.retain(|_, until| *until >= now_until);
            entries.users.retain(|_, void| void.until >= now_until);
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

/// Credentials issued in the same millisecond as the change are void too: the change may have
/// committed after they read the user.
fn user_void(entries: &Entries, user_id: i64, issued_at_ms: i64) -> Option<UserChange> {
    if entries.users.is_empty() {
        return None;
    }
    let void = entries.users.get(&user_id)?;
    (issued_at_ms <= void.not_before_ms).then_some(void.reason)
}

fn insert_max(map: &mut FxHashMap<TokenId, Until>, id: TokenId, until: Until) {
    let entry = map.entry(id).or_insert(until);
    *entry = (*entry).max(until);
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
