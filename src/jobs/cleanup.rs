//! Deleting rows of expired tokens: every `cleanup_interval` in the background, and once from
//! `bouncer flush-expired-tokens`.

use std::time::Duration;

use super::StopSignal;
use crate::clock;
use crate::db::cleanup::{self, Flushed};
use crate::db::{Db, StorageError};

/// Deletes the rows of tokens that can no longer be accepted (expired more than `leeway` ago),
/// `batch` rows per statement. `None` when another instance is cleaning up right now.
pub fn flush_expired(db: &Db, leeway: i64, batch: u32) -> Result<Option<Flushed>, StorageError> {
    let before = clock::now().saturating_sub(leeway);
    cleanup::flush_expired(db, before, i64::from(batch))
}

/// The periodic job: a failed round is logged and retried at the next interval.
pub fn run_periodically(db: &Db, leeway: i64, interval: Duration, batch: u32, stop: &StopSignal) {
    while stop.sleep(interval) {
        match flush_expired(db, leeway, batch) {
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
}
