//! What a rate means over time, as DRF means it: at most N requests in any window of the
//! period, a refused client waits until the oldest leaves (DRF's message, `Retry-After`, the
//! `RateLimit-*` headers), and refusals are not counted. In memory and in Redis over two
//! instances, on real time with 1-second periods (the unit tests beside
//! `src/throttle/window.rs` drive a clock by hand); GCRA when asked for; and a huge rate keeps
//! a few entries per key in Redis, not one per request.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::redis::{TestRedis, redis_or_skip};
use crate::throttling::{app_with, get, throttled};

const CHECK: &str = "/api/throttle-check";

/// Exact limit, DRF's 429 body, Retry-After and RateLimit headers, on the anonymous demo, by
/// `algorithm`: the sliding window waits until the first request leaves the minute (60 s, as
/// DRF), GCRA until one request's worth has refilled (20 s).
async fn anonymous_limit_is_exact_with_drf_s_answer_and_the_headers(
    redis: Option<&TestRedis>,
    algorithm: &str,
    wait: u64,
) {
    let settings = [
        ("throttle.anon", "3/minute"),
        ("throttle.algorithm", algorithm),
    ];
    let app = app_with(redis, &settings).await;
    for remaining in [2, 1, 0] {
        let reply = get(&app, "/api/throttle-check").await;
        reply.assert(StatusCode::OK, json!({"message": "successful"}));
        assert_eq!(reply.header("ratelimit-limit"), Some("3"));
        assert_eq!(
            reply.header("ratelimit-remaining"),
            Some(&*remaining.to_string())
        );
        let reset: u64 = reply.header("ratelimit-reset").unwrap().parse().unwrap();
        assert!((1..=60).contains(&reset), "reset {reset}");
    }
    let refused = get(&app, "/api/throttle-check").await;
    refused.assert(StatusCode::TOO_MANY_REQUESTS, throttled(wait));
    assert_eq!(refused.header("retry-after"), Some(&*wait.to_string()));
    assert_eq!(refused.header("ratelimit-remaining"), Some("0"));
    assert_eq!(refused.header("ratelimit-limit"), Some("3"));
    assert_eq!(refused.header("ratelimit-reset"), Some("60"));
}

#[tokio::test]
async fn in_memory_the_anonymous_limit_is_exact_with_drf_s_answer_and_the_headers() {
    anonymous_limit_is_exact_with_drf_s_answer_and_the_headers(None, "sliding_window", 60).await;
}

#[tokio::test]
async fn in_memory_under_gcra_a_refused_request_waits_for_one_request_s_refill() {
    anonymous_limit_is_exact_with_drf_s_answer_and_the_headers(None, "gcra", 20).await;
}

#[tokio::test]
async fn in_redis_the_anonymous_limit_is_exact_with_drf_s_answer_and_the_headers() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    anonymous_limit_is_exact_with_drf_s_answer_and_the_headers(Some(&redis), "sliding_window", 60)
        .await;
    assert!(!redis.keys().is_empty(), "the counters live in Redis");
    for key in redis.keys() {
        let ttl: i64 = redis::cmd("PTTL")
            .arg(&key)
            .query(
                &mut redis::Client::open(redis.url.as_str())
                    .unwrap()
                    .get_connection()
                    .unwrap(),
            )
            .unwrap();
        assert!(
            ttl > 0 && ttl <= 60_000,
            "{key} expires on its own (PTTL {ttl})"
        );
    }
}

#[tokio::test]
async fn in_redis_under_gcra_a_refused_request_waits_for_one_request_s_refill() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    anonymous_limit_is_exact_with_drf_s_answer_and_the_headers(Some(&redis), "gcra", 20).await;
}

async fn until(at: Instant) {
    tokio::time::sleep_until(at.into()).await;
}

/// "3/second", each request to the next of `apps`: the first request at 0, two more at 0.5 s,
/// refusals until 0.8 s, then exactly one more once the first has left the window (after 1 s),
/// and two more once the other two have (after 1.5 s). Each step checks that it ran while its
/// premise held, so a machine too slow for the timing fails loudly instead of passing by luck.
async fn three_a_second_lets_exactly_three_through_in_any_second(apps: &[&TestApp]) {
    let mut turn = 0;
    let mut next = || {
        turn += 1;
        apps[turn % apps.len()]
    };
    let ok = StatusCode::OK;
    let refused = StatusCode::TOO_MANY_REQUESTS;

    let sent_first = Instant::now();
    get(next(), CHECK).await.assert_status(ok);
    let got_first = Instant::now();
    until(sent_first + Duration::from_millis(500)).await;
    let sent_second = Instant::now();
    get(next(), CHECK).await.assert_status(ok);
    let last = get(next(), CHECK).await;
    last.assert_status(ok);
    assert_eq!(last.header("ratelimit-remaining"), Some("0"));
    let got_third = Instant::now();

    // Refused (DRF's message, one second at most to wait) while the first is in the window;
    // none of these refusals is counted.
    let mut refusals = 0;
    while Instant::now() < sent_first + Duration::from_millis(800) {
        let reply = get(next(), CHECK).await;
        assert!(
            Instant::now() < sent_first + Duration::from_secs(1),
            "the machine is too slow for this test"
        );
        reply.assert(refused, throttled(1));
        refusals += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refusals >= 5,
        "only {refusals} refusals: the machine is too slow"
    );

    // The first request has left the window: exactly one more.
    until(got_first + Duration::from_millis(1100)).await;
    get(next(), CHECK).await.assert_status(ok);
    let reply = get(next(), CHECK).await;
    assert!(
        Instant::now() < sent_second + Duration::from_secs(1),
        "the machine is too slow for this test"
    );
    reply.assert(refused, throttled(1));

    // The second and third have left: two more, and the fourth is still in the window.
    until(got_third + Duration::from_millis(1100)).await;
    get(next(), CHECK).await.assert_status(ok);
    get(next(), CHECK).await.assert_status(ok);
    let reply = get(next(), CHECK).await;
    assert!(
        Instant::now() < got_first + Duration::from_millis(2100),
        "the machine is too slow for this test"
    );
    reply.assert(refused, throttled(1));
}

#[tokio::test]
async fn in_memory_a_rate_lets_n_through_in_any_window_and_one_more_as_the_oldest_leaves() {
    let app = app_with(None, &[("throttle.anon", "3/second")]).await;
    three_a_second_lets_exactly_three_through_in_any_second(&[&app]).await;
}

#[tokio::test]
async fn over_two_instances_sharing_redis_a_rate_lets_n_through_in_any_window() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    let settings = [("throttle.anon", "3/second")];
    let (a, b) = (
        app_with(Some(&redis), &settings).await,
        app_with(Some(&redis), &settings).await,
    );
    three_a_second_lets_exactly_three_through_in_any_second(&[&a, &b]).await;
}

/// "1500/second", above the exact limit, so requests share slots of 1 ms: 50 requests, 50
/// more 0.4 s later, and once the first 50 have left the window the next request sees only
/// the second 50 (the Redis script subtracts what it drops through the list's base).
async fn shared_slots_leave_the_window_with_their_requests(apps: &[&TestApp]) {
    let remaining = |reply: &Reply| reply.header("ratelimit-remaining").map(str::to_owned);
    let mut last = None;
    for (i, n) in (1..=100).enumerate() {
        if n == 51 {
            until(last.unwrap() + Duration::from_millis(400)).await;
        }
        let reply = get(apps[i % apps.len()], CHECK).await;
        reply.assert_status(StatusCode::OK);
        assert_eq!(remaining(&reply), Some((1500 - n).to_string()));
        if n == 50 {
            last = Some(Instant::now());
        }
    }
    let sent_second = last.unwrap() + Duration::from_millis(400);
    until(last.unwrap() + Duration::from_millis(1050)).await;
    let reply = get(apps[0], CHECK).await;
    assert!(
        Instant::now() < sent_second + Duration::from_secs(1),
        "the machine is too slow for this test"
    );
    assert_eq!(remaining(&reply), Some("1449".to_owned()));
}

#[tokio::test]
async fn in_memory_requests_sharing_a_slot_leave_the_window_together() {
    let app = app_with(None, &[("throttle.anon", "1500/second")]).await;
    shared_slots_leave_the_window_with_their_requests(&[&app]).await;
}

#[tokio::test]
async fn in_redis_requests_sharing_a_slot_leave_the_window_together() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    let settings = [("throttle.anon", "1500/second")];
    let (a, b) = (
        app_with(Some(&redis), &settings).await,
        app_with(Some(&redis), &settings).await,
    );
    shared_slots_leave_the_window_with_their_requests(&[&a, &b]).await;
}

/// The log of the only key under `redis`'s prefix, `[base, at, end, at, end, ...]`, and the
/// milliseconds before the key expires.
fn only_log(redis: &TestRedis) -> (Vec<i64>, i64) {
    let keys = redis.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let mut connection = redis::Client::open(redis.url.as_str())
        .and_then(|c| c.get_connection())
        .expect("the test Redis answers");
    let log = redis::cmd("LRANGE")
        .arg(&keys[0])
        .arg(0)
        .arg(-1)
        .query(&mut connection)
        .expect("LRANGE");
    let ttl = redis::cmd("PTTL")
        .arg(&keys[0])
        .query(&mut connection)
        .expect("PTTL");
    (log, ttl)
}

/// 300 requests under `rate`; the key's log and its time to live afterwards.
async fn log_after_300(redis: &TestRedis, rate: &str, limit: u64) -> (Vec<i64>, i64) {
    let app = app_with(Some(redis), &[("throttle.anon", rate)]).await;
    for n in 1..=300 {
        let reply = get(&app, CHECK).await;
        reply.assert_status(StatusCode::OK);
        let remaining = (limit - n).to_string();
        assert_eq!(reply.header("ratelimit-remaining"), Some(&*remaining));
    }
    only_log(redis)
}

#[tokio::test]
async fn in_redis_a_huge_rate_keeps_one_entry_per_slot_of_the_period_not_one_per_request() {
    let (Some(huge), Some(exact)) = (redis_or_skip(), redis_or_skip()) else {
        return;
    };
    // The benchmark's rate: slots of a day / 1000 = 86.4 s, so 300 requests made within a few
    // seconds share one entry (two if they straddle a slot's end); the last counts 300.
    let (log, ttl) = log_after_300(&huge, "4000000000/day", 4_000_000_000).await;
    assert!(log.len() == 3 || log.len() == 5, "{log:?}");
    assert_eq!((log[0], log[log.len() - 1]), (0, 300), "{log:?}");
    // The key lives a day past its newest entry's slot, which may take requests until its end.
    let (day_ms, slot_ms) = (86_400_000, 86_400);
    assert!(
        ttl > day_ms - 60_000 && ttl <= day_ms + slot_ms,
        "PTTL {ttl}"
    );
    // Up to 1000 a period, the log is DRF's history: one entry per request.
    let (log, ttl) = log_after_300(&exact, "1000/day", 1000).await;
    assert_eq!(log.len(), 1 + 2 * 300);
    assert!(ttl > day_ms - 60_000 && ttl <= day_ms, "PTTL {ttl}");
    assert_eq!(
        log.iter().skip(2).step_by(2).copied().collect::<Vec<_>>(),
        (1..=300).collect::<Vec<_>>()
    );
}
