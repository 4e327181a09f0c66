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

use std::collections::HashMap;

use parking_lot::RwLock;

use crate::db::RevocationNotice;
use crate::db::tokens::ActiveRevocations;
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

#[derive(Debug, Default)]
struct Entries {
    /// Id -> last second (expiry plus leeway) at which a matching token could be accepted.
    tokens: HashMap<TokenId, i64>,
    sessions: HashMap<SessionId, i64>,
    next_sweep: i64,
}

/// Sweeping costs a pass over the map; doing it at most this often keeps writes cheap.
const SWEEP_INTERVAL_SECONDS: i64 = 30;

impl RevocationList {
    pub fn new(leeway: i64) -> Self {
        Self {
            inner: RwLock::default(),
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

    /// Replaces the whole list, as loaded from the database.
    pub fn load(&self, active: ActiveRevocations, now: i64) {
        let leeway = self.leeway;
        self.write(now, |e| {
            e.tokens.clear();
            e.sessions.clear();
            for (jti, expires_at) in active.tokens {
                insert_max(&mut e.tokens, jti, expires_at.saturating_add(leeway));
            }
            for (sid, expires_at) in active.sessions {
                insert_max(&mut e.sessions, sid, expires_at.saturating_add(leeway));
            }
        });
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

fn insert_max(map: &mut HashMap<TokenId, i64>, id: TokenId, until: i64) {
    let entry = map.entry(id).or_insert(until);
    *entry = (*entry).max(until);
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
