//! Keeping the in-memory revocation list in step with the database.
//!
//! With PostgreSQL, every revocation transaction also sends `NOTIFY bouncer_revocations`,
//! which PostgreSQL delivers to listeners only when (and if) the transaction commits. Each
//! instance keeps one dedicated connection that `LISTEN`s and drains notifications every
//! `revocation_sync_interval`. Why this cannot miss a revocation:
//! - after every (re)connect the listener first runs `LISTEN`, then reloads the whole active
//!   list from the tables: anything committed before the reload's snapshot is in the reload,
//!   anything committed after the `LISTEN` arrives as a notification (overlap is harmless:
//!   applying a revocation twice changes nothing);
//! - a connection that dies (closed, or silent: keepalives and `SELECT 1` every few seconds
//!   detect it) is replaced, and the reload covers whatever was announced meanwhile.
//!
//! So while an instance can reach the database, other instances' revocations reach its
//! memory within the sync interval plus one round trip. Rights changes (grants) travel the
//! same way, as `r` notices, and are reloaded with the rest. So do changes of the signing
//! keys (`k`): `on_keys` reloads the key ring, for each notice and after every reconnect.

use std::time::{Duration, Instant};

use super::list::RevocationList;
use crate::clock;
use crate::db::tokens::{Revocation, count_active_revocations, for_each_active_revocation};
use crate::db::{Db, RevocationListener, RevocationNotice, StorageError, rights, users};
use crate::jobs::StopSignal;

/// How often the listener proves its connection alive with a query.
const LIVENESS_CHECK: Duration = Duration::from_secs(2);
/// Longest pause between attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Loads every revocation that can still match a token, replacing the list's contents.
pub fn reload(db: &Db, list: &RevocationList) -> Result<(), StorageError> {
    let now = clock::now();
    let since = now.saturating_sub(list.leeway());
    let mut conn = db.get()?;
    let mut fresh = list.empty_entries();
    let (tokens, sessions) = count_active_revocations(&mut conn, since)?;
    fresh.reserve(Revocation::Token, tokens);
    fresh.reserve(Revocation::Session, sessions);
    let malformed = for_each_active_revocation(&mut conn, since, |kind, id, expires_at| {
        fresh.insert(kind, id, expires_at)
    })?;
    if malformed > 0 {
        log::warn!("ignoring {malformed} revocation rows with malformed ids");
    }
    let voids = users::active_user_revocations(&mut conn, since)?;
    let (changes, malformed) = rights::active(&mut conn, since, i64::MIN)?;
    if malformed > 0 {
        log::warn!("ignoring {malformed} rights changes whose groups are not a JSON array");
    }
    fresh.reserve_users(voids.len().max(changes.len()));
    for user in voids {
        fresh.insert_user(user);
    }
    for change in changes {
        fresh.load_rights(change);
    }
    list.replace(fresh, now);
    Ok(())
}

/// The PostgreSQL revocation listener job: connects, reloads, takes notifications, and
/// reconnects with back-off after losing the database, until stopped.
pub fn listen(
    db: &Db,
    list: &RevocationList,
    interval: Duration,
    stop: &StopSignal,
    on_keys: &dyn Fn(),
) {
    let initial_backoff = Duration::from_millis(100);
    let mut backoff = initial_backoff;
    while !stop.is_stopped() {
        let mut connected = false;
        let Err(e) = listen_once(db, list, interval, stop, on_keys, &mut connected) else {
            return; // stopped
        };
        if connected {
            // Warn once per outage, not once per reconnect attempt.
            log::warn!(
                "revocation sync lost the database ({e}); other instances' revocations \
                 will be reloaded on reconnect"
            );
            backoff = initial_backoff;
        }
        if !stop.sleep(backoff) {
            return;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: LISTEN, reload, then drain notifications until it fails or we stop.
fn listen_once(
    db: &Db,
    list: &RevocationList,
    interval: Duration,
    stop: &StopSignal,
    on_keys: &dyn Fn(),
    connected: &mut bool,
) -> Result<(), String> {
    let mut listener = RevocationListener::connect(db)?;
    reload(db, list).map_err(|e| e.to_string())?;
    on_keys();
    let (t, s) = list.len();
    let (v, r) = list.users_len();
    log::info!(
        "revocation sync connected: {t} access tokens and {s} sessions revoked, \
         {v} users' credentials void, {r} users' rights changed"
    );
    *connected = true;
    let mut last_check = Instant::now();
    loop {
        listener.drain(|notice| match notice {
            RevocationNotice::Keys => on_keys(),
            notice => list.apply(notice, clock::now()),
        })?;
        if !stop.sleep(interval) {
            return Ok(());
        }
        if last_check.elapsed() >= LIVENESS_CHECK {
            listener.ping()?;
            last_check = Instant::now();
        }
    }
}

/// SQLite: one instance, but other processes (the command line's `group add-user` and
/// `remove-user`) change users too. Their user revocations and rights changes reach this
/// server's list within `interval`. The active revocations are a small table (one row per
/// user voided within an access token's lifetime), read again each time; applying one twice
/// changes nothing. Rights changes may be many (every grant), so only those changed after the
/// newest one seen are read: on SQLite a change committed later always has a later time (see
/// `db/rights.rs`), so none is missed, and the first poll starts where the start-up load ended.
pub fn poll_user_revocations(
    db: &Db,
    list: &RevocationList,
    interval: Duration,
    stop: &StopSignal,
) {
    let mut seen = list.rights_loaded_up_to();
    while stop.sleep(interval) {
        match poll_once(db, list, seen) {
            Ok(newest) => seen = newest,
            Err(e) => log::debug!("user revocations not polled this time: {e}"),
        }
    }
}

/// One poll: applies the active user revocations and the rights changed after `seen`; the
/// newest change seen now.
fn poll_once(db: &Db, list: &RevocationList, seen: i64) -> Result<i64, StorageError> {
    let since = clock::now().saturating_sub(list.leeway());
    let mut conn = db.get()?;
    let voids = users::active_user_revocations(&mut conn, since)?;
    let (changes, _malformed) = rights::active(&mut conn, since, seen)?;
    let now = clock::now();
    for revocation in voids {
        list.revoke_user(revocation, now);
    }
    let mut newest = seen;
    for change in changes {
        newest = newest.max(change.changed_at_ms);
        list.change_rights(change, now);
    }
    Ok(newest)
}
