//! DRF's sliding window on one key's log, with the clock passed in (`memory.rs` reads it; the
//! tests drive it). The Redis script (`lua/sliding_window.lua`) is the same algorithm on a
//! list per key.
//!
//! DRF's `SimpleRateThrottle.allow_request` keeps the times of the requests it let through,
//! drops those at or before `now - duration`, and refuses while N remain; a refusal is not
//! recorded, and its wait is `duration - (now - oldest)`. Here the log holds entries of
//! (time, count): up to [`EXACT_UP_TO`] requests per period each request is its own entry, so
//! the log *is* DRF's history, exactly. Above that a log of every request would grow with N
//! (4,000,000,000/day would keep millions of entries per key), so requests that fall in the
//! same 1/[`EXACT_UP_TO`] of the period (aligned on the clock) share the newest entry, which
//! takes the time of its latest request. Every request then stays counted until at least its
//! own time + period, so no window of the period ever holds more than N, as with DRF; the price
//! is that a request may stay counted up to period/[`EXACT_UP_TO`] longer than DRF would count
//! it. A key's log never exceeds [`EXACT_UP_TO`] + 1 entries: entries in the window have
//! distinct slots, and a period spans at most that many.

use std::collections::VecDeque;
use std::time::Duration;

use super::decision::Decision;
use crate::settings::Rate;

/// Up to this many requests per period the log keeps each request: DRF's exact behaviour.
/// Above it, the period's slots: at most this many entries + 1 per key, at most period / this
/// of extra wait (60 ms for a minute, 3.6 s for an hour, 86.4 s for a day).
pub const EXACT_UP_TO: u32 = 1000;

/// One rate's window: times are microseconds on one monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    limit: u32,
    period: u64,
    /// Width of a shared slot; 0: every request has an entry of its own.
    slot: u64,
}

/// The requests of one key still in the window, oldest first.
#[derive(Debug, Default)]
pub struct Log {
    entries: VecDeque<Entry>,
    /// The sum of the entries' counts: the requests in the window.
    total: u32,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The latest request of the entry: the entry leaves the window at `at + period`.
    at: u64,
    count: u32,
}

impl Window {
    pub fn new(rate: Rate) -> Self {
        let period = u64::try_from(rate.period.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        let slot = if rate.count <= EXACT_UP_TO {
            0
        } else {
            (period / u64::from(EXACT_UP_TO)).max(1)
        };
        Self {
            limit: rate.count,
            period,
            slot,
        }
    }

    /// The period, in microseconds.
    pub fn period_us(&self) -> u64 {
        self.period
    }

    /// The width of a shared slot in microseconds; 0: a request per entry.
    pub fn slot_us(&self) -> u64 {
        self.slot
    }

    /// Counts one request at `now` against `log`: let through and recorded while fewer than
    /// N requests are in the window, refused (and not recorded) otherwise.
    pub fn check(&self, log: &mut Log, now: u64) -> Decision {
        // Concurrent callers may read the clock in one order and lock in the other: never
        // let time run backwards within a log, so it stays sorted.
        let now = log.entries.back().map_or(now, |newest| now.max(newest.at));
        self.expire(log, now);
        if let (Some(oldest), Some(newest)) = (log.entries.front(), log.entries.back())
            && log.total >= self.limit
        {
            return Decision {
                allowed: false,
                limit: self.limit,
                remaining: 0,
                retry_after: micros(oldest.at + self.period - now),
                reset_after: micros(newest.at + self.period - now),
            };
        }
        match log.entries.back_mut() {
            Some(newest) if self.slot > 0 && newest.at / self.slot == now / self.slot => {
                newest.at = now;
                newest.count += 1;
            }
            _ => log.entries.push_back(Entry { at: now, count: 1 }),
        }
        log.total += 1;
        Decision {
            allowed: true,
            limit: self.limit,
            remaining: self.limit - log.total,
            retry_after: Duration::ZERO,
            reset_after: micros(self.period),
        }
    }

    /// Drops the entries that left the window at `now` (DRF: `history[-1] <= now - duration`).
    pub fn expire(&self, log: &mut Log, now: u64) {
        while let Some(oldest) = log.entries.front() {
            if oldest.at.saturating_add(self.period) > now {
                break;
            }
            log.total -= oldest.count;
            log.entries.pop_front();
        }
    }
}

impl Log {
    /// No request of this key is in the window any more: the key can be forgotten.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries held, for the memory bound's tests.
    #[cfg(test)]
    pub fn entries(&self) -> usize {
        self.entries.len()
    }

    /// Gives back the memory of a log that was long and is short again.
    pub fn shrink(&mut self) {
        if self.entries.capacity() > 4 * self.entries.len().max(4) {
            self.entries.shrink_to(2 * self.entries.len());
        }
    }
}

fn micros(n: u64) -> Duration {
    Duration::from_micros(n)
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
