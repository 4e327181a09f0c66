//! Throttling over HTTP: DRF's rates and rules, exact under concurrency, in memory and in
//! Redis (shared by instances), the headers, the client address, and an unreachable store.
//! What a rate means over time (the sliding window, GCRA), with the headers and DRF's answer
//! that follow from it, is `throttle_window.rs`.

use std::time::{Duration, Instant};

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::redis::{TestRedis, redis_or_skip};

/// A server with `overrides`, counting in `redis` when given, in memory otherwise.
pub async fn app_with(redis: Option<&TestRedis>, overrides: &[(&str, &str)]) -> TestApp {
    let mut all: Vec<(&str, &str)> = overrides.to_vec();
    if let Some(redis) = redis {
        all.push(("throttle.redis_url", &redis.url));
        all.push(("throttle.redis_key_prefix", &redis.prefix));
    }
    spawn_app_with(&all).await
}

pub fn throttled(seconds: u64) -> serde_json::Value {
    let unit = if seconds == 1 { "second" } else { "seconds" };
    json!({ "detail": format!("Request was throttled. Expected available in {seconds} {unit}.") })
}

pub async fn get(app: &TestApp, path: &str) -> Reply {
    app.request_with_header(Method::GET, path, None).await
}

#[tokio::test]
async fn one_second_is_singular_and_the_limit_comes_back() {
    let app = spawn_app_with(&[("throttle.anon", "2/second")]).await;
    get(&app, "/api/throttle-check")
        .await
        .assert_status(StatusCode::OK);
    get(&app, "/api/throttle-check")
        .await
        .assert_status(StatusCode::OK);
    let refused = get(&app, "/api/throttle-check").await;
    refused.assert(StatusCode::TOO_MANY_REQUESTS, throttled(1));
    // The first request left the window a second after it was made.
    tokio::time::sleep(Duration::from_secs(1)).await;
    get(&app, "/api/throttle-check")
        .await
        .assert_status(StatusCode::OK);
}

/// 50 concurrent requests against a limit of 10: exactly 10 through.
async fn fifty_at_once(apps: &[&TestApp]) -> usize {
    let requests = (0..50).map(|i| get(apps[i % apps.len()], "/api/throttle-check"));
    let replies = join_all(requests).await;
    for reply in &replies {
        assert!(
            reply.status == StatusCode::OK || reply.status == StatusCode::TOO_MANY_REQUESTS,
            "{} {}",
            reply.status,
            reply.text
        );
    }
    replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count()
}

#[tokio::test]
async fn fifty_concurrent_requests_against_ten_let_exactly_ten_through_in_memory() {
    let app = spawn_app_with(&[("throttle.anon", "10/hour")]).await;
    assert_eq!(fifty_at_once(&[&app]).await, 10);
}

#[tokio::test]
async fn fifty_concurrent_requests_over_two_instances_sharing_redis_let_exactly_ten_through() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    let settings = [("throttle.anon", "10/hour")];
    let (a, b) = (
        app_with(Some(&redis), &settings).await,
        app_with(Some(&redis), &settings).await,
    );
    assert_eq!(fifty_at_once(&[&a, &b]).await, 10);
}

#[tokio::test]
async fn the_scoped_demo_counts_per_user_and_never_counts_a_401() {
    let app = spawn_app().await;
    let (_, alice) = app.alice().await;
    let bob = {
        app.create_user("bob", PASSWORD).await;
        app.tokens("bob", PASSWORD).await
    };
    let check = async |access: &str| {
        app.call(
            Method::GET,
            "/api/throttle-check-auth",
            &format!("Bearer {access}"),
            None,
        )
        .await
    };
    // Refused credentials are not counted (authentication comes first).
    for _ in 0..20 {
        check("forged.token.here")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
        get(&app, "/api/throttle-check-auth")
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    for _ in 0..10 {
        check(&alice.access).await.assert(
            StatusCode::OK,
            json!({"message": "message for the logged in users only"}),
        );
    }
    let refused = check(&alice.access).await;
    refused.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (50..=60).contains(&wait),
        "10/minute: until the first of the ten leaves the minute ({wait} s)"
    );
    // Per user: bob has his own ten; and a key of alice's shares her count.
    check(&bob.access).await.assert_status(StatusCode::OK);
    let key = app.key("alice", PASSWORD).await;
    app.call(
        Method::GET,
        "/api/throttle-check-auth",
        &format!("Token {key}"),
        None,
    )
    .await
    .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn a_403_is_not_counted() {
    let app = spawn_app_with(&[("throttle.user", "2/minute")]).await;
    let (_, alice) = app.alice().await;
    for _ in 0..5 {
        app.call(
            Method::GET,
            "/api/manager-view/",
            &format!("Bearer {}", alice.access),
            None,
        )
        .await
        .assert_status(StatusCode::FORBIDDEN);
    }
    app.secret(&alice.access)
        .await
        .assert_status(StatusCode::OK);
    app.secret(&alice.access)
        .await
        .assert_status(StatusCode::OK);
    app.secret(&alice.access)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn global_rates_apply_everywhere_and_a_route_s_own_throttles_replace_them() {
    let app = spawn_app_with(&[("throttle.anon", "2/minute"), ("throttle.user", "3/minute")]).await;
    let (_, alice) = app.alice().await; // two anonymous requests: register and log in
    // Anonymous budget spent: even the token endpoints answer 429 now.
    app.verify(&alice.access)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    // Authenticated requests are not counted by `anon`, but by `user`.
    for _ in 0..3 {
        app.secret(&alice.access)
            .await
            .assert_status(StatusCode::OK);
    }
    app.secret(&alice.access)
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
    // /api/throttle-check names `anon` only: `user` does not apply there, and `anon` skips
    // authenticated callers, so alice is not throttled on it at all.
    for _ in 0..5 {
        app.call(
            Method::GET,
            "/api/throttle-check",
            &format!("Bearer {}", alice.access),
            None,
        )
        .await
        .assert_status(StatusCode::OK);
    }
    // Health checks are never throttled.
    for _ in 0..5 {
        app.healthz().await.assert_status(StatusCode::OK);
    }
}

#[tokio::test]
async fn a_spoofed_x_forwarded_for_changes_nothing_without_trusted_proxies() {
    let app = spawn_app_with(&[("throttle.anon", "2/minute")]).await;
    for n in 0..3 {
        let reply = app
            .send(
                app.client
                    .get(app.url("/api/throttle-check"))
                    .header("X-Forwarded-For", format!("203.0.113.{n}")),
            )
            .await;
        let expected = if n < 2 {
            StatusCode::OK
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        reply.assert_status(expected);
    }
}

#[tokio::test]
async fn with_one_trusted_proxy_the_forwarded_address_is_the_client() {
    let app = spawn_app_with(&[("throttle.anon", "1/minute"), ("throttle.num_proxies", "1")]).await;
    let from = async |chain: &str| {
        app.send(
            app.client
                .get(app.url("/api/throttle-check"))
                .header("X-Forwarded-For", chain),
        )
        .await
        .status
    };
    assert_eq!(from("198.51.100.1").await, StatusCode::OK);
    assert_eq!(from("198.51.100.1").await, StatusCode::TOO_MANY_REQUESTS);
    // What the client wrote left of the proxy's entry is ignored.
    assert_eq!(
        from("6.6.6.6, 198.51.100.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(from("198.51.100.2").await, StatusCode::OK);
}

/// A Redis that accepts connections and never answers.
async fn silent_redis() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("redis://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (url, task)
}

#[tokio::test]
async fn an_unreachable_store_fails_open_by_default_and_closed_when_asked_never_hanging() {
    let (url, _silent) = silent_redis().await;
    let open = spawn_app_with(&[("throttle.anon", "1/minute"), ("throttle.redis_url", &url)]).await;
    for _ in 0..3 {
        let (reply, took) = timed(get(&open, "/api/throttle-check")).await;
        reply.assert_status(StatusCode::OK);
        assert!(took < Duration::from_secs(1), "took {took:?}");
    }
    let closed = spawn_app_with(&[
        ("throttle.anon", "1/minute"),
        ("throttle.redis_url", "redis://127.0.0.1:1"),
        ("throttle.on_store_failure", "closed"),
    ])
    .await;
    let started = Instant::now();
    let reply = get(&closed, "/api/throttle-check").await;
    reply.assert_unavailable();
    assert!(reply.header("retry-after").is_some());
    assert!(started.elapsed() < Duration::from_secs(1));
    // Routes without throttles are not affected.
    closed.healthz().await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn malformed_throttle_settings_stop_start_up_with_one_line_naming_the_setting() {
    for (key, value) in [
        ("throttle.anon", "ten/minute"),
        ("throttle.user", "10"),
        ("throttle.scopes.ten", "10/fortnight"),
        ("throttle.anon", "0/minute"),
        ("throttle.redis_url", "http://127.0.0.1:6379"),
        ("throttle.redis_url", "rediss://redis.example.com"),
        ("throttle.on_store_failure", "sometimes"),
        ("throttle.algorithm", "leaky_bucket"),
    ] {
        let database = TestDb::new();
        let settings = bouncer::Settings::load(&bouncer::LoadOptions {
            config_file: Some(CONFIG_FILE.into()),
            read_env: false,
            overrides: vec![
                ("database_url".into(), database.url()),
                (key.into(), value.into()),
            ],
        });
        let message = settings.expect_err(value).to_string();
        assert!(message.contains(key), "{message}");
        assert_eq!(message.lines().count(), 1, "{message}");
    }
}
