//! Failed-login limits (SECURITY.md "Credentials"): per (username, client address) pair and
//! per client address, counted in fixed windows. Past a limit the pair (or the address) is
//! locked out until its window ends, whatever the password: a guesser learns nothing more,
//! and the answer is the same whether or not the account exists. An attacker elsewhere cannot
//! lock the user out of their own address, as nothing is counted per username alone. A
//! successful login clears its pair.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::redis_store::RedisStore;
use super::store_failure::{StoreUnavailable, store_failed};
use crate::settings::{StoreFailure, ThrottleSettings};

/// Who is trying to log in: the username as the service looks it up, and the address.
#[derive(Debug, Clone)]
pub struct LoginSubject {
    pub username: String,
    pub address: String,
}

impl LoginSubject {
    fn pair_key(&self) -> String {
        // The username is the last part: it may contain anything but a NUL.
        format!("pair:{}:{}", self.address, self.username)
    }

    fn address_key(&self) -> String {
        format!("address:{}", self.address)
    }
}

/// Locked out: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lockout {
    pub retry_after: Duration,
}

pub struct LoginGuard {
    per_pair: u32,
    per_address: u32,
    window: Duration,
    redis: Option<RedisStore>,
    on_failure: StoreFailure,
    last_warning: Mutex<Option<Instant>>,
    /// Key -> failures and the end of their window (when the counters are in memory).
    memory: Mutex<HashMap<String, (u32, Instant)>>,
}

/// Map size above which expired windows are swept on the next failure.
const SWEEP_ABOVE: usize = 10_000;

impl LoginGuard {
    pub(super) fn new(settings: &ThrottleSettings, redis: Option<RedisStore>) -> Self {
        Self {
            per_pair: settings.login_failures_per_user_and_address,
            per_address: settings.login_failures_per_address,
            window: settings.login_failure_window,
            redis,
            on_failure: settings.on_store_failure,
            last_warning: Mutex::new(None),
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(Lockout)` when the pair or the address is locked out; checked before the password.
    pub async fn check(
        &self,
        subject: &LoginSubject,
    ) -> Result<Result<(), Lockout>, StoreUnavailable> {
        let keys = [subject.pair_key(), subject.address_key()];
        let counts = match &self.redis {
            Some(redis) => match redis.read_failures(&keys).await {
                Ok(counts) => counts,
                Err(failure) => {
                    store_failed(self.on_failure, &self.last_warning, &failure)?;
                    return Ok(Ok(()));
                }
            },
            None => {
                let now = Instant::now();
                let memory = self.memory.lock();
                keys.iter()
                    .map(|key| match memory.get(key) {
                        Some(&(count, ends)) if ends > now => (count, ends - now),
                        _ => (0, Duration::ZERO),
                    })
                    .collect()
            }
        };
        let limits = [self.per_pair, self.per_address];
        let locked = counts
            .iter()
            .zip(limits)
            .filter(|((count, _), limit)| count >= limit)
            .map(|((_, left), _)| *left)
            .max();
        Ok(match locked {
            Some(retry_after) => Err(Lockout {
                retry_after: retry_after.max(Duration::from_secs(1)),
            }),
            None => Ok(()),
        })
    }

    /// Counts a failed login of `subject`.
    pub async fn failed(&self, subject: &LoginSubject) -> Result<(), StoreUnavailable> {
        for key in [subject.pair_key(), subject.address_key()] {
            match &self.redis {
                Some(redis) => {
                    if let Err(failure) = redis.count_failure(&key, self.window).await {
                        return store_failed(self.on_failure, &self.last_warning, &failure);
                    }
                }
                None => self.count_in_memory(key),
            }
        }
        Ok(())
    }

    /// A successful login clears its pair (not the address: a guesser who also owns an
    /// account must not reset their own address's count by logging in).
    pub async fn succeeded(&self, subject: &LoginSubject) -> Result<(), StoreUnavailable> {
        let key = subject.pair_key();
        match &self.redis {
            Some(redis) => match redis.clear_failures(&key).await {
                Ok(()) => Ok(()),
                Err(failure) => store_failed(self.on_failure, &self.last_warning, &failure),
            },
            None => {
                self.memory.lock().remove(&key);
                Ok(())
            }
        }
    }

    fn count_in_memory(&self, key: String) {
        let now = Instant::now();
        let mut memory = self.memory.lock();
        if memory.len() > SWEEP_ABOVE {
            memory.retain(|_, (_, ends)| *ends > now);
        }
        let entry = memory.entry(key).or_insert((0, now + self.window));
        if entry.1 <= now {
            *entry = (0, now + self.window);
        }
        entry.0 += 1;
    }
}
