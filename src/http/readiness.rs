//! The readiness probe behind `GET /readyz`: may this instance take traffic?
//!
//! Ready when the database answers within [`DATABASE_WAIT`], every embedded migration is
//! applied, the signing keys and the revocation list are loaded, and Redis answers when the
//! throttle counters live there. The answer names each part's state and nothing else: no
//! URL, host or error text (a database URL may hold a password).
//!
//! Orchestrators poll every second or so, from several places at once. So one result serves
//! every poll for [`CACHE_FOR`] (concurrent polls wait for the one probe in progress instead
//! of each taking a connection), and a database probe that outlives its wait keeps running
//! on its blocking thread, but no second one is started until it ends: a hung database costs
//! at most one connection and one thread, however often the probe is polled.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::Db;
use crate::throttle::Throttler;

/// How long the database has to answer.
pub const DATABASE_WAIT: Duration = Duration::from_secs(1);
/// How long one probe's result answers later polls.
pub const CACHE_FOR: Duration = Duration::from_secs(1);

/// Each part's state, in the JSON body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Checks {
    /// `ok`, `unreachable` (an error), `timeout` (no answer within 1 s).
    pub database: &'static str,
    /// `ok`, `pending` (the database lacks a migration this binary has), `unknown` (no
    /// database answer to read them from).
    pub migrations: &'static str,
    /// `ok`, `not_loaded`.
    pub keys: &'static str,
    /// `ok`, `not_loaded`.
    pub revocations: &'static str,
    /// `ok`, `unreachable`, `not_configured` (counters in memory).
    pub redis: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    pub checks: Checks,
}

impl Report {
    pub fn is_ready(&self) -> bool {
        self.status == "ok"
    }
}

/// What the probe looks at; registered as app data once per server.
pub struct Readiness {
    db: Db,
    throttler: Arc<Throttler>,
    /// Set by start-up once the key ring and the revocation list are loaded.
    pub keys_loaded: Arc<AtomicBool>,
    pub revocations_loaded: Arc<AtomicBool>,
    /// A database probe is running on a blocking thread (possibly past its wait).
    probing: Arc<AtomicBool>,
    last: tokio::sync::Mutex<Option<(Instant, Report)>>,
}

impl Readiness {
    pub fn new(db: Db, throttler: Arc<Throttler>) -> Self {
        Self {
            db,
            throttler,
            keys_loaded: Arc::new(AtomicBool::new(false)),
            revocations_loaded: Arc::new(AtomicBool::new(false)),
            probing: Arc::new(AtomicBool::new(false)),
            last: tokio::sync::Mutex::new(None),
        }
    }

    /// The latest report, probing again when the cached one is older than [`CACHE_FOR`].
    pub async fn report(&self) -> Report {
        let mut last = self.last.lock().await;
        if let Some((at, report)) = last.as_ref()
            && at.elapsed() < CACHE_FOR
        {
            return report.clone();
        }
        let report = self.probe().await;
        // Once per change, not once per poll.
        let was_ready = last.as_ref().is_none_or(|(_, r)| r.is_ready());
        if was_ready != report.is_ready() {
            match report.is_ready() {
                true => log::info!("ready again"),
                false => log::warn!("not ready: {:?}", report.checks),
            }
        }
        *last = Some((Instant::now(), report.clone()));
        report
    }

    async fn probe(&self) -> Report {
        let ((database, migrations), redis) =
            tokio::join!(self.probe_database(), self.throttler.store_reachable());
        let loaded = |flag: &AtomicBool| match flag.load(Ordering::SeqCst) {
            true => "ok",
            false => "not_loaded",
        };
        let checks = Checks {
            database,
            migrations,
            keys: loaded(&self.keys_loaded),
            revocations: loaded(&self.revocations_loaded),
            redis: match redis {
                None => "not_configured",
                Some(true) => "ok",
                Some(false) => "unreachable",
            },
        };
        let ready = [
            checks.database,
            checks.migrations,
            checks.keys,
            checks.revocations,
        ]
        .iter()
        .all(|state| *state == "ok")
            && matches!(checks.redis, "ok" | "not_configured");
        Report {
            status: if ready { "ok" } else { "unavailable" },
            checks,
        }
    }

    /// (database, migrations): one read of the applied migrations answers both.
    async fn probe_database(&self) -> (&'static str, &'static str) {
        if self.probing.swap(true, Ordering::SeqCst) {
            // The last probe has not come back yet: the database is at least that slow.
            return ("timeout", "unknown");
        }
        let (db, probing) = (self.db.clone(), self.probing.clone());
        let probe = tokio::task::spawn_blocking(move || {
            let pending = db.pending_migrations();
            probing.store(false, Ordering::SeqCst);
            pending
        });
        match tokio::time::timeout(DATABASE_WAIT, probe).await {
            Ok(Ok(Ok(0))) => ("ok", "ok"),
            Ok(Ok(Ok(_))) => ("ok", "pending"),
            Ok(Ok(Err(_)) | Err(_)) => ("unreachable", "unknown"),
            Err(_) => ("timeout", "unknown"),
        }
    }
}

#[cfg(test)]
#[path = "readiness_tests.rs"]
mod tests;
