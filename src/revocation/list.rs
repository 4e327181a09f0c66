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
//! Sized for millions of entries: an entry is a 16-byte id and an 8-byte expiry in a hash map
//! keyed with FxHash (the ids are random bits bouncer made itself, so a fast non-keyed hash
//! cannot be steered by a client), about 50 bytes per entry with the map's spare room. A
//! reload builds the new maps beside the live ones and swaps them in, so requests never wait
//! for a reload.

use parking_lot::RwLock;
use rustc_hash::FxHashMap;

use crate::db::RevocationNotice;
use crate::db::tokens::Revocation;
use crate::tokens::{SessionId, TokenId};

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Token,
    Session,
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
    tokens: FxHashMap<TokenId, i64>,
    sessions: FxHashMap<SessionId, i64>,
    next_sweep: i64,
    leeway: i64,
}

impl Entries {
    /// Adds one revocation as loaded from the database (expiry without leeway).
    pub fn insert(&mut self, kind: Revocation, id: TokenId, expires_at: i64) {
        let until = expires_at.saturating_add(self.leeway);
        match kind {
            Revocation::Token => insert_max(&mut self.tokens, id, until),
            Revocation::Session => insert_max(&mut self.sessions, id, until),
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

    pub fn is_session_revoked(&self, sid: SessionId) -> bool {
        self.inner.read().sessions.contains_key(&sid)
    }

    /// Records a revoked access token that expires at `expires_at`.
    pub fn revoke_token(&self, jti: TokenId, expires_at: i64, now: i64) {
        let until = expires_at.saturating_add(self.leeway);
        self.write(now, |e| insert_max(&mut e.tokens, jti, until));
    }

    /// Records a revoked session whose last token expires at `expires_at`.
    pub fn revoke_session(&self, sid: SessionId, expires_at: i64, now: i64) {
        let until = expires_at.saturating_add(self.leeway);
        self.write(now, |e| insert_max(&mut e.sessions, sid, until));
    }

    /// Applies a revocation announced by any instance (this one included: it is idempotent).
    pub fn apply(&self, notice: RevocationNotice, now: i64) {
        match notice {
            RevocationNotice::Token { jti, until } => self.revoke_token(jti, until, now),
            RevocationNotice::Session { sid, until } => self.revoke_session(sid, until, now),
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
            entries.tokens.retain(|_, until| *until >= now);
            entries.sessions.retain(|_, until| *until >= now);
            entries.next_sweep = now + SWEEP_INTERVAL_SECONDS;
        }
    }
}

fn insert_max(map: &mut FxHashMap<TokenId, i64>, id: TokenId, until: i64) {
    let entry = map.entry(id).or_insert(until);
    *entry = (*entry).max(until);
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
