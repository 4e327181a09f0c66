//! Keeping the in-memory revocation list in step with the database, and periodic clean-up.
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
//! memory within the sync interval plus one round trip.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::revocation::{Announcement, RevocationList};
use crate::db::backend::REVOCATION_CHANNEL;
use crate::db::{Db, cleanup, now_ts, tokens};
use crate::error::ApiError;

/// How often the listener proves its connection alive with a query.
const LIVENESS_CHECK: Duration = Duration::from_secs(2);
/// Longest pause between attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(1);

/// Loads every revocation that can still match a token, replacing the list's contents.
pub fn reload(db: &Db, list: &RevocationList, leeway: i64) -> Result<(), ApiError> {
    let now = now_ts();
    let (tokens, sessions) = tokens::load_active_revocations(&mut db.get()?, now - leeway)?;
    let with_leeway = |rows: Vec<(String, i64)>| -> Vec<(String, i64)> {
        rows.into_iter()
            .map(|(id, until)| (id, until + leeway))
            .collect()
    };
    list.load(with_leeway(tokens), with_leeway(sessions), now);
    Ok(())
}

/// Background threads that stop when this is dropped or [`Background::stop`] is called.
#[derive(Debug, Default)]
pub struct Background {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Background {
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }

    /// Starts the PostgreSQL revocation listener.
    pub fn spawn_revocation_sync(
        &mut self,
        db: Db,
        list: Arc<RevocationList>,
        leeway: i64,
        interval: Duration,
    ) {
        let stop = self.stop.clone();
        self.spawn("revocation-sync", move || {
            listen(&db, &list, leeway, interval, &stop)
        });
    }

    /// Starts the periodic deletion of expired token rows.
    pub fn spawn_cleanup(&mut self, db: Db, leeway: i64, interval: Duration, batch: u32) {
        let stop = self.stop.clone();
        self.spawn("cleanup", move || {
            while sleep_unless_stopped(interval, &stop) {
                let before = now_ts() - leeway;
                match db
                    .get()
                    .and_then(|mut c| Ok(cleanup::flush_expired(&mut c, before, i64::from(batch))?))
                {
                    Ok(Some(flushed)) if flushed.total() > 0 => {
                        log::info!(
                            "cleanup: deleted {} expired token rows ({flushed:?})",
                            flushed.total()
                        );
                    }
                    Ok(_) => {}
                    Err(e) => log::warn!("cleanup: skipped this round: {e}"),
                }
            }
        });
    }

    fn spawn(&mut self, name: &str, work: impl FnOnce() + Send + 'static) {
        match std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(work)
        {
            Ok(handle) => self.threads.push(handle),
            Err(e) => log::error!("cannot start the {name} thread: {e}"),
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sleeps in short steps so a stop request is honoured quickly; false once stopped.
fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) -> bool {
    let deadline = Instant::now() + total;
    while !stop.load(Ordering::SeqCst) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
    false
}

fn listen(db: &Db, list: &RevocationList, leeway: i64, interval: Duration, stop: &AtomicBool) {
    let initial_backoff = Duration::from_millis(100);
    let mut backoff = initial_backoff;
    while !stop.load(Ordering::SeqCst) {
        let mut connected = false;
        let Err(e) = listen_once(db, list, leeway, interval, stop, &mut connected) else {
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
        if !sleep_unless_stopped(backoff, stop) {
            return;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// One connection's life: LISTEN, reload, then drain notifications until it fails or we stop.
fn listen_once(
    db: &Db,
    list: &RevocationList,
    leeway: i64,
    interval: Duration,
    stop: &AtomicBool,
    connected: &mut bool,
) -> Result<(), String> {
    let mut conn = PgConnection::establish(db.url()).map_err(|e| e.to_string())?;
    diesel::sql_query(format!("LISTEN {REVOCATION_CHANNEL}"))
        .execute(&mut conn)
        .map_err(|e| e.to_string())?;
    reload(db, list, leeway).map_err(|e| e.to_string())?;
    let (t, s) = list.len();
    log::info!("revocation sync connected: {t} access tokens and {s} sessions revoked");
    *connected = true;
    let mut last_check = Instant::now();
    loop {
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            match notification.payload.parse::<Announcement>() {
                Ok(announcement) => list.apply(&announcement, leeway, now_ts()),
                Err(e) => log::warn!("revocation sync: ignoring {e}"),
            }
        }
        if !sleep_unless_stopped(interval, stop) {
            return Ok(());
        }
        if last_check.elapsed() >= LIVENESS_CHECK {
            diesel::sql_query("SELECT 1")
                .execute(&mut conn)
                .map_err(|e| e.to_string())?;
            last_check = Instant::now();
        }
    }
}
