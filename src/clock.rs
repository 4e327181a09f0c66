//! Time as tokens and token rows count it: whole seconds since the Unix epoch.
//!
//! Every expiry column and JWT time claim uses this unit, and every configured duration is
//! turned into it by [`seconds`], so no two places round or saturate differently.

use std::time::Duration;

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Milliseconds since the epoch, now: the unit of a uuid7 id's timestamp, which user
/// revocations compare with.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The wall-clock time for `last_login`/`date_joined` columns (Django stores UTC).
pub fn now_utc() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// Seconds since the epoch as RFC 3339 in UTC (`2026-12-03T10:25:00Z`), as responses write
/// times.
pub fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A configured duration in whole seconds. A duration too long to count saturates: it means
/// "for ever", never a negative or wrapped lifetime.
pub fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
