//! The in-memory revocation list checked on every authenticated request.
//!
//! It holds revoked access-token `jti`s and revoked session `sid`s whose tokens could still be
//! unexpired, so the hot path costs a read lock and two hash lookups, never a database round
//! trip. The database stays the source of truth: the list is loaded before the server accepts
//! traffic and every revocation is committed there first, then applied here before the response
//! is sent. Rotated refresh tokens are not kept here: they are only ever presented to endpoints
//! that consult the database anyway, and at thousands of rotations a second they would swell it.
//!
//! Each entry carries the last second at which a token it matches could be accepted
//! (expiry plus leeway); entries past it are swept out on the next write.

use std::collections::HashMap;

use parking_lot::RwLock;

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Token,
    Session,
}

/// A revocation as announced to other instances (PostgreSQL NOTIFY payload):
/// `t <jti> <until>` or `s <sid> <until>`, `until` being the expiry without leeway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    Token { jti: String, until: i64 },
    Session { sid: String, until: i64 },
}

impl std::fmt::Display for Announcement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token { jti, until } => write!(f, "t {jti} {until}"),
            Self::Session { sid, until } => write!(f, "s {sid} {until}"),
        }
    }
}

impl std::str::FromStr for Announcement {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(' ');
        let (Some(kind), Some(id), Some(until), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("malformed revocation announcement {s:?}"));
        };
        let until = until.parse().map_err(|_| format!("bad expiry in {s:?}"))?;
        if key(id).is_none() {
            return Err(format!("bad id in {s:?}"));
        }
        match kind {
            "t" => Ok(Self::Token {
                jti: id.to_owned(),
                until,
            }),
            "s" => Ok(Self::Session {
                sid: id.to_owned(),
                until,
            }),
            _ => Err(format!("unknown kind in {s:?}")),
        }
    }
}

#[derive(Debug, Default)]
pub struct RevocationList {
    inner: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Keyed by the jti's 128 bits: ids are validated hex, and integers hash faster than strings.
    tokens: HashMap<u128, i64>,
    sessions: HashMap<u128, i64>,
    next_sweep: i64,
}

/// Sweeping costs a pass over the map; doing it at most this often keeps writes cheap.
const SWEEP_INTERVAL_SECONDS: i64 = 30;

fn key(id: &str) -> Option<u128> {
    u128::from_str_radix(id, 16).ok()
}

impl RevocationList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a token with this `jti` in session `sid` has been revoked.
    pub fn check(&self, jti: &str, sid: &str) -> Option<Revoked> {
        let entries = self.inner.read();
        if key(jti).is_some_and(|k| entries.tokens.contains_key(&k)) {
            return Some(Revoked::Token);
        }
        if key(sid).is_some_and(|k| entries.sessions.contains_key(&k)) {
            return Some(Revoked::Session);
        }
        None
    }

    pub fn is_session_revoked(&self, sid: &str) -> bool {
        key(sid).is_some_and(|k| self.inner.read().sessions.contains_key(&k))
    }

    /// Records a revoked token; `until` is the last second it could have been accepted.
    pub fn revoke_token(&self, jti: &str, until: i64, now: i64) {
        self.write(now, |e| insert_max(&mut e.tokens, jti, until));
    }

    /// Records a revoked session; `until` is the last second any of its tokens could be accepted.
    pub fn revoke_session(&self, sid: &str, until: i64, now: i64) {
        self.write(now, |e| insert_max(&mut e.sessions, sid, until));
    }

    /// Applies a revocation announced by any instance (this one included: it is idempotent).
    pub fn apply(&self, announcement: &Announcement, leeway: i64, now: i64) {
        match announcement {
            Announcement::Token { jti, until } => self.revoke_token(jti, until + leeway, now),
            Announcement::Session { sid, until } => self.revoke_session(sid, until + leeway, now),
        }
    }

    /// Replaces the whole list, as loaded from the database at start.
    pub fn load(&self, tokens: Vec<(String, i64)>, sessions: Vec<(String, i64)>, now: i64) {
        self.write(now, |e| {
            e.tokens.clear();
            e.sessions.clear();
            for (jti, until) in tokens {
                insert_max(&mut e.tokens, &jti, until);
            }
            for (sid, until) in sessions {
                insert_max(&mut e.sessions, &sid, until);
            }
        });
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

fn insert_max(map: &mut HashMap<u128, i64>, id: &str, until: i64) {
    match key(id) {
        Some(k) => {
            let entry = map.entry(k).or_insert(until);
            *entry = (*entry).max(until);
        }
        None => log::warn!("ignoring a revocation with a malformed id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JTI: &str = "0123456789abcdef0123456789abcdef";
    const SID: &str = "fedcba9876543210fedcba9876543210";

    #[test]
    fn a_revoked_token_is_reported_until_it_expires() {
        let list = RevocationList::new();
        list.revoke_token(JTI, 100, 10);
        assert_eq!(list.check(JTI, SID), Some(Revoked::Token));
        assert_eq!(list.check(SID, JTI), None);
    }

    #[test]
    fn a_revoked_session_covers_every_token_in_it() {
        let list = RevocationList::new();
        list.revoke_session(SID, 100, 10);
        assert_eq!(list.check(JTI, SID), Some(Revoked::Session));
        assert!(list.is_session_revoked(SID));
    }

    #[test]
    fn expired_entries_drop_out_on_a_later_write() {
        let list = RevocationList::new();
        list.revoke_token(JTI, 100, 10);
        list.revoke_session(SID, 100, 11);
        assert_eq!(list.len(), (1, 1));
        let other = "11111111111111111111111111111111";
        list.revoke_token(other, 500, 200);
        assert_eq!(list.len(), (1, 0));
        assert_eq!(list.check(JTI, SID), None);
    }

    #[test]
    fn revoking_twice_keeps_the_later_expiry() {
        let list = RevocationList::new();
        list.revoke_session(SID, 300, 10);
        list.revoke_session(SID, 100, 10);
        list.revoke_token(JTI, 1000, 200);
        assert!(list.is_session_revoked(SID));
    }

    #[test]
    fn announcements_round_trip_and_apply_with_leeway() {
        let announcement = Announcement::Session {
            sid: SID.to_owned(),
            until: 100,
        };
        let parsed: Announcement = announcement.to_string().parse().unwrap();
        assert_eq!(parsed, announcement);
        let list = RevocationList::new();
        list.apply(&parsed, 50, 120);
        assert!(list.is_session_revoked(SID));
        for bad in [
            "",
            "x y z",
            "t nothex 1",
            "s 0123456789abcdef0123456789abcdef soon",
            "t a b c d",
        ] {
            assert!(bad.parse::<Announcement>().is_err(), "{bad}");
        }
    }

    #[test]
    fn load_replaces_the_previous_contents() {
        let list = RevocationList::new();
        list.revoke_token(JTI, 100, 10);
        list.load(vec![], vec![(SID.to_owned(), 100)], 10);
        assert_eq!(list.check(JTI, "00000000000000000000000000000000"), None);
        assert!(list.is_session_revoked(SID));
    }
}
