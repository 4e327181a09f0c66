//! The throttles configured in `[throttle]` and the store that counts for them.

use rustc_hash::FxHashMap;
use std::time::Instant;

use parking_lot::Mutex;

use super::decision::Decision;
use super::gcra::GcraMemory;
use super::logins::LoginGuard;
use super::memory::WindowMemory;
use super::redis_store::{RedisFailure, RedisStore};
use super::store_failure::{StoreUnavailable, store_failed};
use crate::settings::{Algorithm, Rate, StoreFailure, ThrottleSettings, parse_rate};

/// Where the counters live, and by which algorithm they count.
pub(super) enum Store {
    Window(WindowMemory),
    Gcra(GcraMemory),
    Redis(RedisStore, Algorithm),
}

pub struct Throttler {
    /// By name; FxHash, as the names come from the settings, not from clients.
    rates: FxHashMap<String, Rate>,
    store: Store,
    on_failure: StoreFailure,
    last_warning: Mutex<Option<Instant>>,
    num_proxies: u32,
    /// `anon` and `user` when they have rates: the throttles of routes that name none.
    global: Vec<&'static str>,
    logins: LoginGuard,
}

impl std::fmt::Debug for Throttler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Throttler")
            .field("rates", &self.rates)
            .finish_non_exhaustive()
    }
}

/// The name a scope's counters and rate are kept under (apart from `anon` and `user`).
pub fn scope_name(scope: &str) -> String {
    format!("scope.{scope}")
}

impl Throttler {
    /// The throttles of `[throttle]` (validated at load), counting in memory or in Redis.
    pub fn from_settings(settings: &ThrottleSettings) -> Result<Self, String> {
        let mut rates = FxHashMap::default();
        for (name, rate) in [("anon", &settings.anon), ("user", &settings.user)] {
            if let Some(rate) = rate {
                rates.insert(name.to_owned(), parse_rate(rate)?);
            }
        }
        for (scope, rate) in &settings.scopes {
            rates.insert(scope_name(scope), parse_rate(rate)?);
        }
        let redis = settings
            .redis_url
            .as_deref()
            .map(|url| RedisStore::new(url, &settings.redis_key_prefix, settings.redis_timeout))
            .transpose()?;
        let store = match (&redis, settings.algorithm) {
            (Some(redis), algorithm) => Store::Redis(redis.clone(), algorithm),
            (None, Algorithm::SlidingWindow) => Store::Window(WindowMemory::new(&rates)),
            (None, Algorithm::Gcra) => Store::Gcra(GcraMemory::new(&rates)),
        };
        let global = ["anon", "user"]
            .into_iter()
            .filter(|name| rates.contains_key(*name))
            .collect();
        Ok(Self {
            global,
            rates,
            store,
            on_failure: settings.on_store_failure,
            last_warning: Mutex::new(None),
            num_proxies: settings.num_proxies.unwrap_or(0),
            logins: LoginGuard::new(settings, redis),
        })
    }

    /// Proxies whose `X-Forwarded-For` entries are trusted.
    pub fn num_proxies(&self) -> u32 {
        self.num_proxies
    }

    /// The throttles of every route that names none of its own (DRF's default classes):
    /// empty unless `anon` or `user` has a rate, so unthrottled requests look nothing up.
    pub fn global(&self) -> &[&'static str] {
        &self.global
    }

    /// Whether the throttle `name` (`anon`, `user`, or a `scope_name`) has a rate.
    pub fn has(&self, name: &str) -> bool {
        self.rates.contains_key(name)
    }

    /// The failed-login limits.
    pub fn logins(&self) -> &LoginGuard {
        &self.logins
    }

    /// Whether the Redis store answers (the readiness probe); `None` when counters are kept
    /// in memory.
    pub async fn store_reachable(&self) -> Option<bool> {
        match &self.store {
            Store::Redis(redis, _) => Some(redis.ping().await.is_ok()),
            _ => None,
        }
    }

    /// Whether checks answer without waiting (counters in memory).
    pub fn is_in_memory(&self) -> bool {
        !matches!(self.store, Store::Redis(..))
    }

    /// Counts one request of `key` against throttle `name`, in memory; `None` for an unknown
    /// throttle or when the counters are in Redis.
    pub fn check_in_memory(&self, name: &str, key: &str) -> Option<Decision> {
        match &self.store {
            Store::Window(memory) => memory.check(name, key),
            Store::Gcra(memory) => memory.check(name, key),
            Store::Redis(..) => None,
        }
    }

    /// Counts one request of `key` against throttle `name`. `Ok(None)`: not counted (unknown
    /// throttle, or the store is unreachable and `on_store_failure = "open"`).
    pub async fn check(&self, name: &str, key: &str) -> Result<Option<Decision>, StoreUnavailable> {
        let Some(rate) = self.rates.get(name) else {
            return Ok(None);
        };
        match &self.store {
            Store::Window(memory) => Ok(memory.check(name, key)),
            Store::Gcra(memory) => Ok(memory.check(name, key)),
            Store::Redis(redis, algorithm) => match redis.check(name, *rate, key, *algorithm).await
            {
                Ok(decision) => Ok(Some(decision)),
                Err(failure) => self.store_failed(&failure).map(|()| None),
            },
        }
    }

    /// Logs (at most once a minute) and applies `on_store_failure`.
    pub(super) fn store_failed(&self, failure: &RedisFailure) -> Result<(), StoreUnavailable> {
        store_failed(self.on_failure, &self.last_warning, failure)
    }
}
