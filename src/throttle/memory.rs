//! DRF's sliding window (`window.rs`) in this process's memory: per throttle, the keys' logs
//! in [`SHARDS`] maps, each behind its own lock.
//!
//! Why shards of plain maps: a check reads and writes one key's log, so it needs that key
//! alone; a lock per shard keeps concurrent checks of different keys apart without a global
//! lock, and holding it across the check is what makes N concurrent requests against a limit
//! of N exact. In the steady state a check allocates nothing: a known key's log is found by
//! `&str`, and its entries stay within the capacity they reached. Keys whose log emptied are
//! swept when a shard has doubled since its last sweep, so one-off clients (addresses) cost
//! amortised O(1) and memory stays within twice the keys that are active.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::Instant;

use parking_lot::Mutex;
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::decision::Decision;
use super::window::{Log, Window};
use crate::settings::Rate;

/// Locks per throttle: enough that the cores of a large machine rarely meet on one.
const SHARDS: usize = 64;

/// A shard is not swept before it holds this many keys.
const SWEEP_FLOOR: usize = 1024;

pub struct WindowMemory {
    throttles: FxHashMap<String, Keyed>,
    /// Time zero of the logs' clock (microseconds since).
    epoch: Instant,
}

struct Keyed {
    window: Window,
    shards: Box<[Mutex<Shard>]>,
}

struct Shard {
    /// SipHash (std's, randomly keyed): the keys come from clients (addresses), so a map an
    /// attacker could fill with colliding keys must not be cheap to build.
    logs: HashMap<String, Log>,
    /// Sweep when a new key would make the map this long.
    sweep_at: usize,
}

impl WindowMemory {
    pub fn new(rates: &FxHashMap<String, Rate>) -> Self {
        let throttles = rates
            .iter()
            .map(|(name, rate)| {
                let shards = (0..SHARDS)
                    .map(|_| {
                        Mutex::new(Shard {
                            logs: HashMap::new(),
                            sweep_at: SWEEP_FLOOR,
                        })
                    })
                    .collect();
                let window = Window::new(*rate);
                (name.clone(), Keyed { window, shards })
            })
            .collect();
        Self {
            throttles,
            epoch: Instant::now(),
        }
    }

    /// Counts one request of `key` against the throttle `name`; `None` for an unknown name.
    pub fn check(&self, name: &str, key: &str) -> Option<Decision> {
        self.check_with(name, key, || {
            u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
        })
    }

    /// [`Self::check`] with the time read by `now` (microseconds on the logs' clock), under
    /// the shard's lock so that one key's requests are logged in the order of their times.
    fn check_with(&self, name: &str, key: &str, now: impl FnOnce() -> u64) -> Option<Decision> {
        let keyed = self.throttles.get(name)?;
        // FxHash only picks the shard: colliding keys would share a lock, nothing worse.
        let mut hasher = FxBuildHasher.build_hasher();
        hasher.write(key.as_bytes());
        let index = (hasher.finish() % SHARDS as u64) as usize;
        let mut shard = keyed.shards[index].lock();
        let now = now();
        if let Some(log) = shard.logs.get_mut(key) {
            return Some(keyed.window.check(log, now));
        }
        if shard.logs.len() >= shard.sweep_at {
            shard.sweep(&keyed.window, now);
        }
        let mut log = Log::default();
        let decision = keyed.window.check(&mut log, now);
        shard.logs.insert(key.to_owned(), log);
        Some(decision)
    }
}

impl Shard {
    /// Forgets the keys with nothing left in the window and trims long logs grown short.
    fn sweep(&mut self, window: &Window, now: u64) {
        self.logs.retain(|_, log| {
            window.expire(log, now);
            log.shrink();
            !log.is_empty()
        });
        self.sweep_at = (2 * self.logs.len()).max(SWEEP_FLOOR);
    }
}

#[cfg(test)]
#[path = "memory_tests.rs"]
mod tests;
