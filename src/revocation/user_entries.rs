//! The per-user part of the revocation list: voids ("credentials of user U issued up to T are
//! void") and rights entries ("since T, user U's rights are R"), in one map keyed by user id,
//! so what a request needs to know about its user costs one hash lookup, and nothing at all
//! while no user has changed.
//!
//! A credential's user standing, issued at `issued_at_ms`:
//! - void, when a void of its user is at or after it: refused, whatever rights entry there
//!   is (a removal voids and records in one transaction, a deactivation or deletion voids:
//!   neither is ever lifted by a grant, see `db/rights.rs`);
//! - else read with the entry's rights, when a rights entry is at or after it: the credential
//!   may carry rights from before that change, the entry has them as they are now;
//! - else as the credential says (it read its rights after the latest change).
//!
//! "At or after": a credential issued in the change's millisecond may have read the user
//! before the change committed.

use rustc_hash::FxHashMap;

use crate::db::{RightsChange, UserChange, UserRevocation};
use crate::tokens::Rights;

/// Seconds since the epoch until which an entry is kept (the list's `Until`).
type Until = u32;

#[derive(Debug, Default)]
pub(super) struct UserEntries {
    map: FxHashMap<i64, UserEntry>,
}

#[derive(Debug, Default)]
struct UserEntry {
    void: Option<UserVoid>,
    rights: Option<RightsEntry>,
}

#[derive(Debug, Clone, Copy)]
struct UserVoid {
    not_before_ms: i64,
    reason: UserChange,
    until: Until,
}

#[derive(Debug)]
struct RightsEntry {
    changed_at_ms: i64,
    rights: Rights,
    until: Until,
}

impl UserEntries {
    /// Adds a void; a later one replaces an earlier one, and the entry is kept until the
    /// later of their expiries.
    pub(super) fn void(&mut self, revocation: UserRevocation, until: Until) {
        let entry = self.map.entry(revocation.user_id).or_default();
        let void = entry.void.get_or_insert(UserVoid {
            not_before_ms: revocation.not_before_ms,
            reason: revocation.reason,
            until,
        });
        if revocation.not_before_ms >= void.not_before_ms {
            void.not_before_ms = revocation.not_before_ms;
            void.reason = revocation.reason;
        }
        void.until = void.until.max(until);
    }

    /// Adds a rights entry; the one changed last wins whatever order they arrive in (an
    /// instance applies its own at once and hears of it again, maybe after a newer one).
    pub(super) fn change_rights(&mut self, change: RightsChange, until: Until) {
        let entry = self.map.entry(change.user_id).or_default();
        match &mut entry.rights {
            Some(held) => {
                if change.changed_at_ms >= held.changed_at_ms {
                    held.changed_at_ms = change.changed_at_ms;
                    held.rights = change.rights;
                }
                held.until = held.until.max(until);
            }
            None => {
                entry.rights = Some(RightsEntry {
                    changed_at_ms: change.changed_at_ms,
                    rights: change.rights,
                    until,
                });
            }
        }
    }

    /// The standing of a credential of `user_id` issued at `issued_at_ms` (see the module
    /// doc): `Err` void, `Ok(Some)` read with these rights, `Ok(None)` as it says.
    pub(super) fn standing(
        &self,
        user_id: i64,
        issued_at_ms: i64,
    ) -> Result<Option<Rights>, UserChange> {
        if self.map.is_empty() {
            return Ok(None);
        }
        let Some(entry) = self.map.get(&user_id) else {
            return Ok(None);
        };
        if let Some(void) = entry.void
            && issued_at_ms <= void.not_before_ms
        {
            return Err(void.reason);
        }
        Ok(entry
            .rights
            .as_ref()
            .filter(|held| issued_at_ms <= held.changed_at_ms)
            .map(|held| held.rights.clone()))
    }

    /// Why credentials of `user_id` issued at `issued_at_ms` are void, if they are.
    pub(super) fn voided(&self, user_id: i64, issued_at_ms: i64) -> Option<UserChange> {
        self.standing(user_id, issued_at_ms).err()
    }

    /// Forgets what expired before `now`.
    pub(super) fn sweep(&mut self, now: Until) {
        self.map.retain(|_, entry| {
            entry.void = entry.void.filter(|void| void.until >= now);
            if entry.rights.as_ref().is_some_and(|held| held.until < now) {
                entry.rights = None;
            }
            entry.void.is_some() || entry.rights.is_some()
        });
    }

    /// Number of (void, rights) entries held.
    pub(super) fn len(&self) -> (usize, usize) {
        self.map.values().fold((0, 0), |(voids, rights), entry| {
            (
                voids + usize::from(entry.void.is_some()),
                rights + usize::from(entry.rights.is_some()),
            )
        })
    }

    pub(super) fn reserve(&mut self, additional: usize) {
        self.map.reserve(additional);
    }
}
