//! Queries on `user_rights`: each user's rights as they stand since their latest change, so a
//! grant reaches credentials issued before it (which carry the old rights) at once.
//!
//! Why an entry never grants more than its user has (the argument `revocation/list.rs` relies
//! on; "read" means read from the database):
//! - [`record`] runs after the change committed, locks the user's row, takes `changed_at_ms`,
//!   and only then reads the rights: a change committed before `changed_at_ms` is in them.
//! - `changed_at_ms` is greater than every value in the table, whatever the clocks say: so a
//!   user's later entry always has the later time (instances with skewed clocks included), and
//!   on SQLite, whose writes are serialised, it orders the commits, which lets a poll ask for
//!   "changed after the newest I have seen" and miss nothing.
//! - The row lock (PostgreSQL; SQLite has one writer at a time) serialises the writes for one
//!   user, so the last entry written was read last: it holds the rights as they are now.
//! - A removal records the rights *and* voids the user's credentials issued up to the same
//!   `changed_at_ms` (reason `RightsChanged`), in one transaction. The void is checked first,
//!   so an older grant's entry can never lend a removed right back to an old credential, and
//!   a deactivation or deletion (voids too) is never lifted by an entry.
//! - A credential issued after `changed_at_ms` read its rights after the change committed
//!   (its `jti` millisecond precedes that read, see `tokens::Grant`), so it needs no entry.

use std::collections::HashMap;

use diesel::dsl::max;
use diesel::prelude::*;

use super::backend::BackendOps;
use super::conn::{DbConn, on_backend};
use super::groups;
use super::notify::{
    MAX_NOTICE_BYTES, RevocationNotice, RightsChange, UserChange, UserRevocation, decode_groups,
    encode_groups,
};
use super::schema::{user_rights, users};
use super::users::revoke_credentials;
use crate::clock;
use crate::tokens::Rights;

/// What [`record`] wrote, for the caller to apply to its own revocation list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// `None` when the user no longer exists.
    pub change: Option<RightsChange>,
    /// The void written with it: after a removal, or in place of an announcement too long
    /// for `NOTIFY` (the old credentials are then refused and refreshed, never over-granted).
    pub void: Option<UserRevocation>,
}

/// Records user `user_id`'s current rights after a change of them committed (`lost`: a
/// removal, which also voids the user's credentials issued until now), and announces it.
/// `until`: when the entry may be forgotten (without leeway). Run it through
/// `Db::write_announcing`: on PostgreSQL, the row lock is held until the batch commits.
pub fn record(conn: &mut DbConn, user_id: i64, lost: bool, until: i64) -> QueryResult<Recorded> {
    if !lock_user(conn, user_id)? {
        return Ok(Recorded::default());
    }
    let newest: Option<i64> = on_backend!(conn, c => user_rights::table
        .select(max(user_rights::changed_at_ms))
        .first(c))?;
    let changed_at_ms = clock::now_ms().max(newest.map_or(i64::MIN, |t| t.saturating_add(1)));
    let Some(current) = groups::rights_of(conn, user_id)? else {
        return Ok(Recorded::default());
    };
    let rights = Rights::new(current.is_staff, current.groups);
    let json = encode_groups(&rights.groups);
    on_backend!(conn, c => diesel::insert_into(user_rights::table)
        .values((
            user_rights::user_id.eq(user_id),
            user_rights::changed_at_ms.eq(changed_at_ms),
            user_rights::is_staff.eq(rights.is_staff),
            user_rights::group_names.eq(&json),
            user_rights::expires_at.eq(until),
        ))
        .on_conflict(user_rights::user_id)
        .do_update()
        .set((
            user_rights::changed_at_ms.eq(changed_at_ms),
            user_rights::is_staff.eq(rights.is_staff),
            user_rights::group_names.eq(&json),
            user_rights::expires_at.eq(until),
        ))
        .execute(c))?;
    let change = RightsChange {
        user_id,
        changed_at_ms,
        rights,
        until,
    };
    let notice = RevocationNotice::Rights(change.clone());
    let fits = notice.to_string().len() <= MAX_NOTICE_BYTES;
    if fits {
        on_backend!(conn, c => c.announce_revocation(notice))?;
    }
    let void = (lost || !fits).then_some(UserRevocation {
        user_id,
        not_before_ms: changed_at_ms,
        reason: UserChange::RightsChanged,
        until,
    });
    if let Some(void) = void {
        revoke_credentials(conn, void)?;
    }
    Ok(Recorded {
        change: Some(change),
        void,
    })
}

/// Locks the user's row until the transaction ends (PostgreSQL; `FOR NO KEY UPDATE` does not
/// hold up inserts that reference the user, such as a login's tokens). SQLite serialises
/// whole write transactions instead. Whether the user exists.
fn lock_user(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    let query = users::table.find(user_id).select(users::id);
    let found: Option<i64> = match conn {
        DbConn::Postgres(c) => query.for_no_key_update().first(&mut **c).optional()?,
        DbConn::Sqlite(c) => query.first(&mut **c).optional()?,
    };
    Ok(found.is_some())
}

/// Entries still in force at `since` and changed after `changed_after` (`i64::MIN`: all), for
/// loading and polling the revocation list. Users with the same rights share one copy of
/// them. Rows whose groups are not a JSON array of strings are skipped (and counted).
pub fn active(
    conn: &mut DbConn,
    since: i64,
    changed_after: i64,
) -> QueryResult<(Vec<RightsChange>, usize)> {
    let rows: Vec<(i64, i64, bool, String, i64)> = on_backend!(conn, c => user_rights::table
        .filter(user_rights::expires_at.ge(since))
        .filter(user_rights::changed_at_ms.gt(changed_after))
        .select((
            user_rights::user_id,
            user_rights::changed_at_ms,
            user_rights::is_staff,
            user_rights::group_names,
            user_rights::expires_at,
        ))
        .load(c))?;
    let mut shared: HashMap<(bool, String), Rights> = HashMap::new();
    let mut changes = Vec::with_capacity(rows.len());
    let mut malformed = 0;
    for (user_id, changed_at_ms, is_staff, json, until) in rows {
        let key = (is_staff, json);
        let rights = match shared.get(&key) {
            Some(rights) => rights.clone(),
            None => {
                let Some(groups) = decode_groups(&key.1) else {
                    malformed += 1;
                    continue;
                };
                let rights = Rights::new(is_staff, groups);
                shared.insert(key, rights.clone());
                rights
            }
        };
        changes.push(RightsChange {
            user_id,
            changed_at_ms,
            rights,
            until,
        });
    }
    Ok((changes, malformed))
}
