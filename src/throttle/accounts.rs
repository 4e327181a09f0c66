//! The per-account bound on failed logins (`[device_tokens]`, OWASP's device cookies), in the
//! same store as the other login counters (memory, or Redis shared by every instance).
//!
//! Two kinds of count, in fixed windows like `logins.rs`: per account, for failures from
//! clients without a valid device token for that username (so a guesser spreading tries over
//! many addresses is bounded), and per device token (so a stolen token is bounded too). A
//! locked account refuses untrusted clients only: its owner's devices keep their own count.
//! Neither is cleared by a successful login (a guesser who also knows one password, or owns a
//! device token, must not reset the count); a success only takes back its own attempt. Plus one mark per user: when their device tokens
//! were all ended (their sessions ended), so older tokens are refused.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use super::logins::Lockout;
use super::redis_store::RedisStore;
use super::store_failure::{StoreUnavailable, store_failed};
use crate::settings::{DeviceTokenSettings, StoreFailure, ThrottleSettings};

/// Which count a login falls under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted<'a> {
    /// No valid device token for the username: the account's count (canonical username).
    Account(&'a str),
    /// A valid device token for it: that device's count (its id).
    Device(&'a str),
}

impl Counted<'_> {
    fn key(self) -> String {
        match self {
            Self::Account(username) => format!("account:{username}"),
            Self::Device(device) => format!("device:{device}"),
        }
    }
}

pub struct AccountGuard {
    per_account: u32,
    per_device: u32,
    window: Duration,
    redis: Option<RedisStore>,
    on_failure: StoreFailure,
    last_warning: Mutex<Option<Instant>>,
    /// Key -> failures and the end of their window (when the counters are in memory).
    counts: Mutex<HashMap<String, (u32, Instant)>>,
    /// User id -> when their devices were ended (ms) and until when that matters.
    ended: Mutex<HashMap<i64, (i64, Instant)>>,
}

impl std::fmt::Debug for AccountGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountGuard")
            .field("per_account", &self.per_account)
            .field("per_device", &self.per_device)
            .finish_non_exhaustive()
    }
}

/// Map size above which expired entries are swept on the next write.
const SWEEP_ABOVE: usize = 10_000;

impl AccountGuard {
    /// Counting where `[throttle]` counts (its Redis, key prefix and `on_store_failure`).
    pub fn from_settings(
        throttle: &ThrottleSettings,
        devices: &DeviceTokenSettings,
    ) -> Result<Self, String> {
        let redis = throttle
            .redis_url
            .as_deref()
            .map(|url| RedisStore::new(url, &throttle.redis_key_prefix, throttle.redis_timeout))
            .transpose()?;
        Ok(Self {
            per_account: devices.failures_per_account,
            per_device: devices.failures_per_device,
            window: devices.failure_window,
            redis,
            on_failure: throttle.on_store_failure,
            last_warning: Mutex::new(None),
            counts: Mutex::new(HashMap::new()),
            ended: Mutex::new(HashMap::new()),
        })
    }

    fn limit(&self, counted: Counted<'_>) -> u32 {
        match counted {
            Counted::Account(_) => self.per_account,
            Counted::Device(_) => self.per_device,
        }
    }

    /// Counts an attempt under `counted` ahead of the password check, as if it failed:
    /// `Err(Lockout)` when that makes more than the limit. Counting first, in one atomic
    /// step (a Lua script in Redis, the map's lock in memory), keeps the bound exact under
    /// concurrency: 120 simultaneous guesses cannot all pass a check made before any of them
    /// is counted. An attempt that then does not fail is taken back with [`Self::uncount`].
    pub async fn count_ahead(
        &self,
        counted: Counted<'_>,
    ) -> Result<Result<(), Lockout>, StoreUnavailable> {
        let key = counted.key();
        let (count, left) = match &self.redis {
            Some(redis) => match redis.count_failure(&key, self.window).await {
                Ok(counted) => counted,
                Err(failure) => {
                    store_failed(self.on_failure, &self.last_warning, &failure)?;
                    return Ok(Ok(()));
                }
            },
            None => {
                let now = Instant::now();
                let mut counts = self.counts.lock();
                if counts.len() > SWEEP_ABOVE {
                    counts.retain(|_, (_, ends)| *ends > now);
                }
                let entry = counts.entry(key).or_insert((0, now + self.window));
                if entry.1 <= now {
                    *entry = (0, now + self.window);
                }
                entry.0 = entry.0.saturating_add(1);
                (entry.0, entry.1 - now)
            }
        };
        Ok(if count > self.limit(counted) {
            Err(Lockout {
                retry_after: left.max(Duration::from_secs(1)),
            })
        } else {
            Ok(())
        })
    }

    /// Takes back an attempt counted ahead that did not fail (a success, or an error that is
    /// not a failed login, such as another limit's lockout).
    pub async fn uncount(&self, counted: Counted<'_>) -> Result<(), StoreUnavailable> {
        let key = counted.key();
        match &self.redis {
            Some(redis) => match redis.uncount_failure(&key).await {
                Ok(()) => Ok(()),
                Err(failure) => store_failed(self.on_failure, &self.last_warning, &failure),
            },
            None => {
                let now = Instant::now();
                if let Some(entry) = self.counts.lock().get_mut(&key)
                    && entry.1 > now
                {
                    entry.0 = entry.0.saturating_sub(1);
                }
                Ok(())
            }
        }
    }

    /// Records that the device tokens of `user_id` issued up to `at_ms` are ended, for `keep`
    /// (the tokens' lifetime: after it, they have expired anyway).
    pub async fn end_devices(
        &self,
        user_id: i64,
        at_ms: i64,
        keep: Duration,
    ) -> Result<(), StoreUnavailable> {
        match &self.redis {
            Some(redis) => match redis.raise_mark(&ended_key(user_id), at_ms, keep).await {
                Ok(()) => Ok(()),
                Err(failure) => store_failed(self.on_failure, &self.last_warning, &failure),
            },
            None => {
                let now = Instant::now();
                let mut ended = self.ended.lock();
                if ended.len() > SWEEP_ABOVE {
                    ended.retain(|_, (_, until)| *until > now);
                }
                let entry = ended.entry(user_id).or_insert((at_ms, now + keep));
                *entry = (entry.0.max(at_ms), now + keep);
                Ok(())
            }
        }
    }

    /// When the device tokens of `user_id` were last ended (ms), if within their lifetime.
    /// `Err` only when the store is unreachable and `on_store_failure = "closed"`.
    pub async fn devices_ended_at(&self, user_id: i64) -> Result<Option<i64>, StoreUnavailable> {
        match &self.redis {
            Some(redis) => match redis.read_mark(&ended_key(user_id)).await {
                Ok(at) => Ok(at),
                Err(failure) => {
                    store_failed(self.on_failure, &self.last_warning, &failure)?;
                    // Open: unknown. Trust no device token rather than one that was ended.
                    Ok(Some(i64::MAX))
                }
            },
            None => {
                let now = Instant::now();
                Ok(self
                    .ended
                    .lock()
                    .get(&user_id)
                    .filter(|(_, until)| *until > now)
                    .map(|(at, _)| *at))
            }
        }
    }
}

fn ended_key(user_id: i64) -> String {
    format!("devices_ended:{user_id}")
}

#[cfg(test)]
#[path = "accounts_tests.rs"]
mod tests;
