//! Stopping without losing anything: on SIGTERM or SIGINT the server stops accepting
//! connections and lets in-flight requests finish (up to `shutdown_timeout`); then the
//! database writer commits whatever is still queued, and `main` returns (exit status 0).
//!
//! Every write a client saw acknowledged was committed before its answer was sent, so the
//! drain is for the writes of requests that were still running: those cut off at the
//! timeout, whose jobs may sit in the writer's queue. Returning from `main` would end the
//! writer thread mid-batch (nothing half-written, but those writes lost).

use std::time::Duration;

use actix_web::dev::ServerHandle;

use crate::db::Db;

/// Waits for SIGTERM or SIGINT, then stops the server gracefully; a second signal stops it
/// at once. actix's own handlers are disabled: they stop at once on SIGINT.
pub(super) async fn on_signals(server: ServerHandle, timeout: Duration) {
    let Some(name) = next_signal().await else {
        return;
    };
    log::info!(
        "{name} received: no new connections; in-flight requests have {}s to finish \
         (shutdown_timeout); a second signal stops at once",
        timeout.as_secs()
    );
    let graceful = server.stop(true);
    tokio::select! {
        () = graceful => {}
        Some(name) = next_signal() => {
            log::warn!("{name} received again: stopping at once");
            server.stop(false).await;
        }
    }
}

/// The next SIGTERM or SIGINT; `None` when they cannot be listened for (then the server
/// runs until stopped through its handle).
async fn next_signal() -> Option<&'static str> {
    use tokio::signal::unix::{SignalKind, signal};
    let (mut term, mut int) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => (term, int),
        (Err(e), _) | (_, Err(e)) => {
            log::warn!("cannot listen for SIGTERM/SIGINT: {e}");
            return None;
        }
    };
    tokio::select! {
        _ = term.recv() => Some("SIGTERM"),
        _ = int.recv() => Some("SIGINT"),
    }
}

/// Waits (at most `timeout`) until every write queued for the database writer has committed.
pub(super) async fn drain_writes(db: &Db, timeout: Duration) {
    match tokio::time::timeout(timeout, db.drain_writes()).await {
        Ok(Ok(queued)) => log::info!("database writer drained: {queued} queued writes committed"),
        Ok(Err(e)) => log::error!("database writer not drained: {e}"),
        Err(_) => log::error!(
            "database writer not drained within {}s: writes still queued are lost",
            timeout.as_secs()
        ),
    }
}
