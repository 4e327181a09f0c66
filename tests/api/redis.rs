//! Redis for the tests that need a shared throttle store: `BOUNCER_TEST_REDIS_URL` (e.g.
//! `redis://127.0.0.1:6379`). Each test gets a key prefix of its own, and every key under it
//! is deleted when the [`TestRedis`] is dropped. Without the variable the tests say they were
//! skipped; under CI a missing Redis is a failure.

use std::io::Write;

pub const REDIS_URL_VAR: &str = "BOUNCER_TEST_REDIS_URL";
const EXAMPLE_REDIS_URL: &str = "redis://127.0.0.1:6379";

pub struct TestRedis {
    pub url: String,
    pub prefix: String,
}

/// A key prefix of the test's own on the test Redis, or `None` (after one `skipped:` line).
pub fn redis_or_skip() -> Option<TestRedis> {
    let url = std::env::var(REDIS_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty());
    let Some(url) = url else {
        let thread = std::thread::current();
        let test = thread.name().unwrap_or("this test");
        let in_ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
        assert!(
            !in_ci,
            "{test} needs Redis and CI is set: set {REDIS_URL_VAR}={EXAMPLE_REDIS_URL}"
        );
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {test} needs Redis; set {REDIS_URL_VAR}={EXAMPLE_REDIS_URL}"
        );
        return None;
    };
    let prefix = format!("bouncer-test-{}:", uuid::Uuid::new_v4().simple());
    Some(TestRedis { url, prefix })
}

impl TestRedis {
    /// The keys bouncer wrote under this test's prefix.
    pub fn keys(&self) -> Vec<String> {
        let mut connection = redis::Client::open(self.url.as_str())
            .and_then(|c| c.get_connection())
            .expect("the test Redis answers");
        redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut connection)
            .expect("KEYS")
    }
}

impl Drop for TestRedis {
    fn drop(&mut self) {
        let Ok(mut connection) =
            redis::Client::open(self.url.as_str()).and_then(|c| c.get_connection())
        else {
            return;
        };
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", self.prefix))
            .query(&mut connection)
            .unwrap_or_default();
        if !keys.is_empty() {
            let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query(&mut connection);
        }
    }
}
