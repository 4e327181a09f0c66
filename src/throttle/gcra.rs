//! `algorithm = "gcra"` in this process's memory: one `governor` keyed limiter per throttle.
//! A burst of N, then one more every period / N (see `window.rs` for the default, DRF's).

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use rustc_hash::FxHashMap;

use super::decision::Decision;
use crate::settings::Rate;

type Limiter<C> =
    RateLimiter<String, DefaultKeyedStateStore<String>, C, StateInformationMiddleware>;

/// Checks between two sweeps of keys whose limit is whole again: bounds the memory a stream
/// of one-off clients (addresses) can take, at the cost of one pass over the map.
const SWEEP_EVERY: u64 = 10_000;

pub struct GcraMemory<C: Clock = DefaultClock> {
    limiters: FxHashMap<String, (Rate, Limiter<C>)>,
    clock: C,
    checks: AtomicU64,
}

/// GCRA's parameters for "N per period": a burst of N, then one every period / N.
fn quota(rate: Rate) -> Quota {
    let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
    let interval = (rate.period / count.get()).max(Duration::from_nanos(1));
    Quota::with_period(interval)
        .unwrap_or_else(|| Quota::per_second(count))
        .allow_burst(count)
}

impl GcraMemory {
    pub fn new(rates: &FxHashMap<String, Rate>) -> Self {
        Self::with_clock(rates, DefaultClock::default())
    }
}

impl<C: Clock + Clone> GcraMemory<C> {
    pub fn with_clock(rates: &FxHashMap<String, Rate>, clock: C) -> Self {
        let limiters = rates
            .iter()
            .map(|(name, rate)| {
                let limiter = RateLimiter::dashmap_with_clock(quota(*rate), clock.clone())
                    .with_middleware::<StateInformationMiddleware>();
                (name.clone(), (*rate, limiter))
            })
            .collect();
        Self {
            limiters,
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of `key` against the throttle `name`; `None` for an unknown name.
    pub fn check(&self, name: &str, key: &str) -> Option<Decision> {
        let (rate, limiter) = self.limiters.get(name)?;
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for (_, limiter) in self.limiters.values() {
                limiter.retain_recent();
            }
        }
        let interval = rate.period / rate.count;
        Some(match limiter.check_key(&key.to_owned()) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                Decision {
                    allowed: true,
                    limit: rate.count,
                    remaining,
                    retry_after: Duration::ZERO,
                    reset_after: interval * (rate.count - remaining.min(rate.count)),
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(self.clock.now());
                Decision {
                    allowed: false,
                    limit: rate.count,
                    remaining: 0,
                    retry_after: wait,
                    reset_after: wait + interval * rate.count.saturating_sub(1),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use governor::clock::FakeRelativeClock;

    use super::*;

    /// The difference README's throttling section describes: under GCRA, "5/minute" lets a
    /// sixth request through 12 s after five, and a seventh 24 s after them.
    #[test]
    fn gcra_refills_one_request_every_period_over_n() {
        let clock = FakeRelativeClock::default();
        let rate = Rate {
            count: 5,
            period: Duration::from_secs(60),
        };
        let store = GcraMemory::with_clock(
            &FxHashMap::from_iter([("anon".into(), rate)]),
            clock.clone(),
        );
        let check = || store.check("anon", "ip:192.0.2.1").unwrap();
        for _ in 0..5 {
            assert!(check().allowed);
        }
        let refused = check();
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after, Duration::from_secs(12));
        clock.advance(Duration::from_secs(12));
        assert!(check().allowed, "a sixth within the minute");
        clock.advance(Duration::from_secs(12));
        assert!(check().allowed, "a seventh within the minute");
        assert!(!check().allowed);
    }
}
