//! Counters in Redis, shared by every instance: one script call (one round trip) per check,
//! keys that expire on their own, and a bounded wait.
//!
//! The throttle scripts are the in-memory algorithms written for Redis's atomic Lua, timed by
//! the server's clock (`TIME`) so instances with skewed clocks agree: `lua/sliding_window.lua`
//! is `window.rs` (DRF's window, the default), `lua/gcra.lua` is `gcra.rs`. Their keys differ
//! (`window:` in front of the sliding window's), so instances configured differently count
//! apart rather than misread each other's keys.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, Script};

use super::decision::Decision;
use super::window::Window;
use crate::settings::{Algorithm, Rate};

const SLIDING_WINDOW: &str = include_str!("lua/sliding_window.lua");
const GCRA: &str = include_str!("lua/gcra.lua");

/// Adds one failure to KEYS[1], starting its window of ARGV[1] ms on the first; answers the
/// count and the milliseconds left in the window.
const COUNT_FAILURE: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
";

/// Answers, for each key, its count and the milliseconds left in its window.
const READ_FAILURES: &str = r"
local out = {}
for i, key in ipairs(KEYS) do
  out[2 * i - 1] = tonumber(redis.call('GET', key) or 0)
  out[2 * i] = redis.call('PTTL', key)
end
return out
";

/// Sets KEYS[1] to ARGV[1] unless it holds a larger number, expiring in ARGV[2] ms.
const RAISE_MARK: &str = r"
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) >= held then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return {1}
";

#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
    sliding_window: Script,
    gcra: Script,
    count_failure: Script,
    read_failures: Script,
}

/// Redis did not answer in time, or answered with an error.
#[derive(Debug)]
pub struct RedisFailure(pub String);

impl RedisStore {
    /// Connects lazily (start-up never waits for Redis) and reconnects on its own.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, String> {
        let client = Client::open(url).map_err(|e| format!("throttle.redis_url: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("throttle.redis_url: {e}"))?;
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            timeout,
            sliding_window: Script::new(SLIDING_WINDOW),
            gcra: Script::new(GCRA),
            count_failure: Script::new(COUNT_FAILURE),
            read_failures: Script::new(READ_FAILURES),
        })
    }

    fn key(&self, name: &str, key: &str) -> String {
        format!("{}{name}:{key}", self.prefix)
    }

    /// Runs `script` with `keys` and `args` within the timeout.
    async fn run(
        &self,
        script: &Script,
        keys: &[String],
        args: &[i64],
    ) -> Result<Vec<i64>, RedisFailure> {
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(key);
        }
        for arg in args {
            invocation.arg(*arg);
        }
        let mut connection = self.connection.clone();
        match tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection)).await {
            Ok(Ok(values)) => Ok(values),
            Ok(Err(e)) => Err(RedisFailure(e.to_string())),
            Err(_) => Err(RedisFailure(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    /// One `PING` within the timeout (the readiness probe).
    pub async fn ping(&self) -> Result<(), RedisFailure> {
        let mut connection = self.connection.clone();
        let command = redis::cmd("PING");
        let ping = command.query_async::<String>(&mut connection);
        match tokio::time::timeout(self.timeout, ping).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(RedisFailure(e.to_string())),
            Err(_) => Err(RedisFailure("no answer in time".into())),
        }
    }

    /// Counts one request of `key` against the throttle `name` at `rate`.
    pub async fn check(
        &self,
        name: &str,
        rate: Rate,
        key: &str,
        algorithm: Algorithm,
    ) -> Result<Decision, RedisFailure> {
        let answer = match algorithm {
            Algorithm::SlidingWindow => {
                let window = Window::new(rate);
                let key = format!("{}window:{name}:{key}", self.prefix);
                let args = [window.period_us(), rate.count.into(), window.slot_us()];
                self.run(&self.sliding_window, &[key], &args.map(saturate))
                    .await?
            }
            Algorithm::Gcra => {
                let interval = (rate.period.as_micros() / u128::from(rate.count)).max(1);
                let args = [saturate(interval), i64::from(rate.count)];
                self.run(&self.gcra, &[self.key(name, key)], &args).await?
            }
        };
        let [allowed, remaining, retry_us, reset_us] = answer[..] else {
            return Err(RedisFailure(format!("unexpected script answer {answer:?}")));
        };
        let micros = |n: i64| Duration::from_micros(u64::try_from(n).unwrap_or(0));
        Ok(Decision {
            allowed: allowed == 1,
            limit: rate.count,
            remaining: u32::try_from(remaining).unwrap_or(0),
            retry_after: micros(retry_us),
            reset_after: micros(reset_us),
        })
    }

    /// Adds a failure to `key`; its count and the time left in its window.
    pub async fn count_failure(
        &self,
        key: &str,
        window: Duration,
    ) -> Result<(u32, Duration), RedisFailure> {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let answer = self
            .run(&self.count_failure, &[self.key("login", key)], &[window_ms])
            .await?;
        let [count, left_ms] = answer[..] else {
            return Err(RedisFailure(format!("unexpected script answer {answer:?}")));
        };
        Ok(counted(count, left_ms))
    }

    /// The counts of `keys` and the time left in each window.
    pub async fn read_failures(
        &self,
        keys: &[String],
    ) -> Result<Vec<(u32, Duration)>, RedisFailure> {
        let keys: Vec<String> = keys.iter().map(|k| self.key("login", k)).collect();
        let answer = self.run(&self.read_failures, &keys, &[]).await?;
        Ok(answer
            .chunks_exact(2)
            .map(|pair| counted(pair[0], pair[1]))
            .collect())
    }

    /// Forgets the failures of `key`.
    pub async fn clear_failures(&self, key: &str) -> Result<(), RedisFailure> {
        let mut connection = self.connection.clone();
        let mut del = redis::cmd("DEL");
        del.arg(self.key("login", key));
        match tokio::time::timeout(self.timeout, del.query_async::<i64>(&mut connection)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(RedisFailure(e.to_string())),
            Err(_) => Err(RedisFailure("no answer in time".into())),
        }
    }
}

/// Takes back one failure of KEYS[1] (an attempt counted ahead that did not fail), keeping
/// its expiry; nothing when the window is over.
const UNCOUNT_FAILURE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return {redis.call('DECR', KEYS[1])} end
return {0}
";

impl RedisStore {
    /// Takes back one failure of `key` ([`RedisStore::count_failure`]'s key).
    pub async fn uncount_failure(&self, key: &str) -> Result<(), RedisFailure> {
        // Built per call, as `raise_mark`'s: a field would grow every `Store` value.
        let script = Script::new(UNCOUNT_FAILURE);
        self.run(&script, &[self.key("login", key)], &[])
            .await
            .map(|_| ())
    }

    /// Sets the mark `key` to `value` for `ttl` (`device_tokens`: when a user's devices were
    /// ended), keeping the later value when one is already there.
    pub async fn raise_mark(
        &self,
        key: &str,
        value: i64,
        ttl: Duration,
    ) -> Result<(), RedisFailure> {
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        // Built per call (a SHA-1 of a short text): marks are rare (a user's sessions all
        // ended), and a field would grow every `Store` value.
        let script = Script::new(RAISE_MARK);
        self.run(&script, &[self.key("mark", key)], &[value, ttl_ms])
            .await
            .map(|_| ())
    }

    /// The mark `key`, when set.
    pub async fn read_mark(&self, key: &str) -> Result<Option<i64>, RedisFailure> {
        let mut connection = self.connection.clone();
        let mut get = redis::cmd("GET");
        get.arg(self.key("mark", key));
        match tokio::time::timeout(
            self.timeout,
            get.query_async::<Option<i64>>(&mut connection),
        )
        .await
        {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(RedisFailure(e.to_string())),
            Err(_) => Err(RedisFailure("no answer in time".into())),
        }
    }
}

fn saturate(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

fn counted(count: i64, left_ms: i64) -> (u32, Duration) {
    (
        u32::try_from(count).unwrap_or(u32::MAX),
        Duration::from_millis(u64::try_from(left_ms).unwrap_or(0)),
    )
}
