//! The `[throttle]` table: DRF's throttle rates, where the counters live, whom to trust for
//! the client address, and how many failed logins lock a client out.
//!
//! Rates are written as DRF writes them, `"10/minute"`: a count, a slash, and a period of
//! which only the first letter counts (`s`, `m`, `h`, `d`). `anon` and `user`, when set, apply
//! to every route that names no throttles of its own (DRF's default throttle classes); named
//! `scopes` apply where a route names them. Malformed rates are refused at start-up
//! (`validate.rs`). `algorithm` says what a rate means: DRF's sliding window (the default) or
//! GCRA's smooth refill (`throttle/mod.rs` explains the difference).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThrottleSettings {
    /// Unauthenticated requests, keyed by client address.
    pub anon: Option<String>,
    /// Authenticated requests, keyed by user id.
    pub user: Option<String>,
    /// Named rates for the routes that name them (`ten = "10/minute"`).
    pub scopes: BTreeMap<String, String>,
    /// What every rate means: at most N in any window of the period, or GCRA.
    pub algorithm: Algorithm,
    /// Counters in Redis, shared by every instance; unset: in this process's memory.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key bouncer writes.
    pub redis_key_prefix: String,
    /// Longest wait for Redis before the counter store counts as unreachable.
    #[serde(with = "humantime_serde")]
    pub redis_timeout: Duration,
    /// What happens while the counter store is unreachable.
    pub on_store_failure: StoreFailure,
    /// Proxies in front of bouncer whose `X-Forwarded-For` entries are trusted; unset or 0:
    /// the socket's address is the client's.
    pub num_proxies: Option<u32>,
    /// Failed logins from one address for one username before that pair is locked out.
    pub login_failures_per_user_and_address: u32,
    /// Failed logins from one address, any usernames, before the address is locked out.
    pub login_failures_per_address: u32,
    /// How long failed logins are remembered, and how long a lockout lasts at most.
    #[serde(with = "humantime_serde")]
    pub login_failure_window: Duration,
}

/// While the counter store is unreachable: let requests through (`open`, logged once a
/// minute) or answer 503 with `Retry-After` (`closed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreFailure {
    Open,
    Closed,
}

/// What `N/period` means. `SlidingWindow` is DRF's: at most N requests in any window of the
/// period, waiting until the oldest leaves it. `Gcra` lets a burst of N through, then refills
/// one every period / N: smoother for high rates, but up to N more in a window than DRF allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    SlidingWindow,
    Gcra,
}

/// A parsed rate: `count` requests per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: u32,
    pub period: Duration,
}

/// Parses DRF's `"N/period"`; only the period's first letter counts, as in DRF.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let help = "write it as DRF does: \"10/minute\" (periods: second, minute, hour, day)";
    let (count, period) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} has no '/'; {help}"))?;
    let count: u32 = count
        .trim()
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{text:?} does not start with a positive whole number; {help}"))?;
    let seconds = match period.trim().chars().next() {
        Some('s') => 1,
        Some('m') => 60,
        Some('h') => 3600,
        Some('d') => 86_400,
        _ => return Err(format!("{text:?} has an unknown period; {help}")),
    };
    Ok(Rate {
        count,
        period: Duration::from_secs(seconds),
    })
}
