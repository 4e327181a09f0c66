//! What happens when the counter store (Redis) cannot answer: a warning at most once a
//! minute, then `on_store_failure` decides. Shared by the throttles (`throttler.rs`) and the
//! failed-login limits (`logins.rs`), which is why it is a file of its own.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::redis_store::RedisFailure;
use crate::settings::StoreFailure;

/// Longest silence between two warnings that the counter store is unreachable.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The counter store could not answer and `on_store_failure = "closed"`: answer 503.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreUnavailable;

/// What to do when Redis failed: log at most once a minute, then open or closed.
pub(super) fn store_failed(
    on_failure: StoreFailure,
    last_warning: &Mutex<Option<Instant>>,
    failure: &RedisFailure,
) -> Result<(), StoreUnavailable> {
    let mut last = last_warning.lock();
    if last.is_none_or(|at| at.elapsed() >= WARN_EVERY) {
        *last = Some(Instant::now());
        let policy = match on_failure {
            StoreFailure::Open => "letting requests through uncounted (on_store_failure = open)",
            StoreFailure::Closed => "answering 503 (on_store_failure = closed)",
        };
        log::warn!(
            "throttle store (Redis) unreachable: {}; {policy}; next warning in a minute at most",
            failure.0
        );
    }
    match on_failure {
        StoreFailure::Open => Ok(()),
        StoreFailure::Closed => Err(StoreUnavailable),
    }
}
