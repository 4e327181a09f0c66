//! What a throttle decided, with what the `RateLimit-*` and `Retry-After` headers report.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The throttle's N.
    pub limit: u32,
    /// Requests that would still be let through right now.
    pub remaining: u32,
    /// Until the next request is let through (zero when this one was).
    pub retry_after: Duration,
    /// Until the whole limit is available again.
    pub reset_after: Duration,
}

impl Decision {
    /// Whole seconds, rounded up, as HTTP headers and DRF's message count them.
    pub fn seconds(duration: Duration) -> u64 {
        let whole = duration.as_secs();
        if duration.subsec_nanos() > 0 {
            whole + 1
        } else {
            whole
        }
    }
}
