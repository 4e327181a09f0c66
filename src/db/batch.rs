//! What the batching threads (the writer, PostgreSQL's rotation and revocation batchers)
//! share: wait for work, then take everything that queued up meanwhile, so a batch grows with
//! the load and nothing waits for a timer.

use tokio::sync::mpsc;

/// Blocks until something is queued, then moves it and whatever else is waiting (up to `max`
/// in all) into `batch`. False once every sender is gone.
pub(super) fn next_batch<T>(queue: &mut mpsc::Receiver<T>, batch: &mut Vec<T>, max: usize) -> bool {
    let Some(first) = queue.blocking_recv() else {
        return false;
    };
    batch.push(first);
    while batch.len() < max {
        match queue.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
    true
}
