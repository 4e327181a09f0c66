//! Failed-login limits: per (username, client address) and per address, the same answer
//! whether or not the account exists, a successful login clears its pair, and an attacker on
//! another address cannot lock the user out of theirs.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::redis::{TestRedis, redis_or_skip};

const WRONG: &str = "not-the-password-1";

/// `POST /api/token/` from `address` (through one trusted proxy).
async fn login_from(app: &TestApp, address: &str, username: &str, password: &str) -> Reply {
    app.send(
        app.client
            .post(app.url("/api/token/"))
            .header("X-Forwarded-For", address)
            .json(&json!({"username": username, "password": password})),
    )
    .await
}

async fn app_with(redis: Option<&TestRedis>) -> TestApp {
    let mut settings = vec![
        ("throttle.num_proxies", "1"),
        ("throttle.login_failures_per_user_and_address", "3"),
        ("throttle.login_failures_per_address", "6"),
    ];
    if let Some(redis) = redis {
        settings.push(("throttle.redis_url", &redis.url));
        settings.push(("throttle.redis_key_prefix", &redis.prefix));
    }
    spawn_app_with(&settings).await
}

#[track_caller]
fn assert_locked_out(reply: &Reply) {
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&wait), "Retry-After {wait}");
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Request was throttled. Expected available in "),
        "{detail}"
    );
}

async fn lockout_rules(redis: Option<&TestRedis>) {
    let app = app_with(redis).await;
    app.create_user("alice", PASSWORD).await;
    let attacker = "203.0.113.66";
    for _ in 0..3 {
        login_from(&app, attacker, "alice", WRONG).await.assert(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": BAD_CREDENTIALS }),
        );
    }
    // Locked for this pair, even with the right password; the body says nothing of alice.
    let locked = login_from(&app, attacker, "alice", PASSWORD).await;
    assert_locked_out(&locked);
    // An account that does not exist locks out the same way.
    for _ in 0..3 {
        login_from(&app, attacker, "nobody", WRONG).await;
    }
    let locked_nobody = login_from(&app, attacker, "nobody", WRONG).await;
    assert_locked_out(&locked_nobody);
    assert_eq!(locked_nobody.body, locked.body);
    // Alice, from her own address, is not locked out by the attacker.
    login_from(&app, "198.51.100.7", "alice", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    // The attacker's address, after 6 failures in all, is locked for every username.
    let other = login_from(&app, attacker, "carol", WRONG).await;
    assert_locked_out(&other);
}

#[tokio::test]
async fn failed_logins_lock_the_pair_and_the_address_in_memory() {
    lockout_rules(None).await;
}

#[tokio::test]
async fn failed_logins_lock_the_pair_and_the_address_in_redis() {
    let Some(redis) = redis_or_skip() else {
        return;
    };
    lockout_rules(Some(&redis)).await;
}

#[tokio::test]
async fn a_successful_login_clears_the_pair() {
    let app = app_with(None).await;
    app.create_user("alice", PASSWORD).await;
    let home = "198.51.100.7";
    for _ in 0..2 {
        login_from(&app, home, "alice", WRONG).await;
    }
    login_from(&app, home, "alice", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    for _ in 0..2 {
        login_from(&app, home, "alice", WRONG)
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    login_from(&app, home, "alice", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn key_logins_and_reset_confirmations_are_limited_too() {
    let app = app_with(None).await;
    app.create_user("alice", PASSWORD).await;
    let from = "203.0.113.9";
    let key_login = async || {
        app.send(
            app.client
                .post(app.url("/api/api-token-auth/"))
                .header("X-Forwarded-For", from)
                .form(&[("username", "alice"), ("password", WRONG)]),
        )
        .await
    };
    for _ in 0..3 {
        key_login().await.assert_status(StatusCode::BAD_REQUEST);
    }
    assert_locked_out(&key_login().await);

    let confirm = async || {
        app.send(
            app.client
                .post(app.url("/auth/users/reset_password_confirm/"))
                .header("X-Forwarded-For", "203.0.113.10")
                .json(&json!({"uid": "MQ", "token": "1-00000000000000000000000000000000", "new_password": "a-long-new-passphrase-1"})),
        )
        .await
    };
    for _ in 0..3 {
        confirm().await.assert_status(StatusCode::BAD_REQUEST);
    }
    assert_locked_out(&confirm().await);
}
