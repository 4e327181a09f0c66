//! Device tokens (OWASP device cookies): failed logins spread over many addresses are bounded
//! per account for clients without the account's device token, while its owner, presenting
//! one, still logs in; another user's token, an expired one, one from before the user's
//! sessions were all ended, and garbage give no exemption (and never a 500).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::process::{Served, bouncer};
use crate::redis::{TestRedis, redis_or_skip};

const WRONG: &str = "not-the-password-1";
const DEVICE_HEADER: &str = "x-device-token";
const DEVICE_COOKIE: &str = "__Host-bouncer_device";

/// How a client presents its device token.
#[derive(Clone, Copy)]
enum Device<'a> {
    None,
    Header(&'a str),
    Cookie(&'a str),
}

/// `POST path` `{username, password}` from `address` (through one trusted proxy).
async fn login_at(
    app: &Api,
    path: &str,
    address: &str,
    username: &str,
    password: &str,
    device: Device<'_>,
) -> Reply {
    let mut request = app
        .client
        .post(app.url(path))
        .header("X-Forwarded-For", address)
        .json(&json!({"username": username, "password": password}));
    request = match device {
        Device::None => request,
        Device::Header(token) => request.header(DEVICE_HEADER, token),
        Device::Cookie(token) => request.header("Cookie", format!("{DEVICE_COOKIE}={token}")),
    };
    app.send(request).await
}

async fn login_from(
    app: &Api,
    address: &str,
    username: &str,
    password: &str,
    device: Device<'_>,
) -> Reply {
    login_at(app, "/api/token/", address, username, password, device).await
}

/// The device token a successful JWT login handed out, checking that the body, the header
/// and the cookie all carry the same one.
fn device_token_of(reply: &Reply) -> String {
    reply.assert_status(StatusCode::OK);
    let token = reply.body["device_token"].as_str().expect("device_token");
    assert_eq!(reply.header(DEVICE_HEADER), Some(token));
    let cookie = reply.header("set-cookie").expect("the device cookie");
    assert!(
        cookie.starts_with(&format!("{DEVICE_COOKIE}={token};")),
        "{cookie}"
    );
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=",
    ] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    token.to_owned()
}

#[track_caller]
fn assert_locked_out(reply: &Reply) {
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = reply.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&wait), "Retry-After {wait}");
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Request was throttled. Expected available in "),
        "{detail}"
    );
}

/// A distinct loopback-range address for attempt `i` (as the proxy reports it).
fn address(i: usize) -> String {
    format!("127.0.{}.{}", i / 250, i % 250 + 1)
}

async fn app_with(redis: Option<&TestRedis>, extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![("throttle.num_proxies", "1")];
    if let Some(redis) = redis {
        settings.push(("throttle.redis_url", &redis.url));
        settings.push(("throttle.redis_key_prefix", &redis.prefix));
    }
    settings.extend_from_slice(extra);
    spawn_app_with(&settings).await
}

/// Makes `n` failed logins as `username`, each from an address of its own.
async fn spread_failures(app: &TestApp, username: &str, n: usize) -> Vec<Reply> {
    let mut replies = Vec::with_capacity(n);
    for i in 0..n {
        replies.push(login_from(app, &address(i), username, WRONG, Device::None).await);
    }
    replies
}

async fn spread_guessing_is_bounded_per_account(redis: Option<&TestRedis>) {
    let app = app_with(redis, &[]).await;
    app.create_user("alice", PASSWORD).await;
    app.create_user("bob", PASSWORD).await;
    let home = "198.51.100.7";
    let alice_device =
        device_token_of(&login_from(&app, home, "alice", PASSWORD, Device::None).await);
    let bob_device =
        device_token_of(&login_from(&app, "198.51.100.8", "bob", PASSWORD, Device::None).await);

    // 120 failures, one address each: no pair or address limit is ever met, but the account's
    // bound (100 an hour) is.
    let replies = spread_failures(&app, "alice", 120).await;
    for reply in &replies[..100] {
        reply.assert(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": BAD_CREDENTIALS }),
        );
    }
    for reply in &replies[100..] {
        assert_locked_out(reply);
    }
    // Untrusted clients are refused even with the right password, from a fresh address.
    assert_locked_out(&login_from(&app, "192.0.2.1", "alice", PASSWORD, Device::None).await);
    // An account that does not exist locks out the same way (the same body but for the wait,
    // which counts down).
    let nobody = spread_failures(&app, "nobody", 101).await;
    assert_locked_out(&nobody[100]);
    assert_eq!(keys(&nobody[100].body), keys(&replies[100].body));
    // Bob's device token is no exemption for alice; garbage and forged tokens are ignored.
    let forged = format!("{}x", &alice_device[..alice_device.len() - 1]);
    for device in [
        Device::Header(&bob_device),
        Device::Cookie(&bob_device),
        Device::Header("garbage"),
        Device::Header(&forged),
        Device::Header("eyJhbGciOiJIUzI1NiJ9.e30.x"),
    ] {
        assert_locked_out(&login_from(&app, "192.0.2.2", "alice", PASSWORD, device).await);
    }
    // Alice, with her device token (header or cookie), still logs in, and gets a new one.
    let renewed = login_from(&app, home, "alice", PASSWORD, Device::Header(&alice_device)).await;
    assert_ne!(device_token_of(&renewed), alice_device);
    login_from(
        &app,
        "192.0.2.3",
        "alice",
        PASSWORD,
        Device::Cookie(&alice_device),
    )
    .await
    .assert_status(StatusCode::OK);
    // Bob's account is untouched.
    login_from(&app, "192.0.2.4", "bob", PASSWORD, Device::None)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn spread_guessing_is_bounded_per_account_but_the_owners_device_still_logs_in() {
    spread_guessing_is_bounded_per_account(None).await;
}

#[tokio::test]
async fn spread_guessing_is_bounded_per_account_with_the_counters_in_redis() {
    let Some(redis) = redis_or_skip() else { return };
    spread_guessing_is_bounded_per_account(Some(&redis)).await;
    let keys = redis.keys();
    assert!(keys.iter().any(|k| k.contains("account:alice")), "{keys:?}");
}

/// 120 guesses at once, one address each: exactly 100 are checked, whatever their order.
async fn concurrent_guessing_meets_the_exact_bound(redis: Option<&TestRedis>) {
    // A Redis answer later than the timeout lets the request through uncounted
    // (`on_store_failure = "open"`): give a busy test machine time enough.
    let app = app_with(redis, &[("throttle.redis_timeout", "5s")]).await;
    app.create_user("alice", PASSWORD).await;
    let attempts = (0..120).map(|i| {
        let address = address(i);
        let app = &app;
        async move { login_from(app, &address, "alice", WRONG, Device::None).await }
    });
    let replies = futures::future::join_all(attempts).await;
    let refused = replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    let failed = replies
        .iter()
        .filter(|r| r.status == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((failed, refused), (100, 20));
}

#[tokio::test]
async fn concurrent_guessing_meets_the_exact_bound_in_memory() {
    concurrent_guessing_meets_the_exact_bound(None).await;
}

#[tokio::test]
async fn concurrent_guessing_meets_the_exact_bound_in_redis() {
    let Some(redis) = redis_or_skip() else { return };
    concurrent_guessing_meets_the_exact_bound(Some(&redis)).await;
}

#[tokio::test]
async fn a_device_token_has_a_limit_of_its_own() {
    let app = app_with(
        None,
        &[
            ("device_tokens.failures_per_account", "3"),
            ("device_tokens.failures_per_device", "2"),
        ],
    )
    .await;
    app.create_user("alice", PASSWORD).await;
    let device =
        device_token_of(&login_from(&app, "198.51.100.7", "alice", PASSWORD, Device::None).await);
    // Failures with the device token count against it, not against the account.
    for i in 0..2 {
        login_from(&app, &address(i), "alice", WRONG, Device::Header(&device))
            .await
            .assert_status(StatusCode::UNAUTHORIZED);
    }
    assert_locked_out(
        &login_from(
            &app,
            &address(3),
            "alice",
            PASSWORD,
            Device::Header(&device),
        )
        .await,
    );
    let metrics = app.send(app.client.get(app.url("/metrics"))).await.text;
    let series = r#"bouncer_logins_total{credential="jwt",result="locked_out_device"} 1"#;
    assert!(metrics.contains(series), "{metrics}");
    // The account is not locked for others: three untrusted failures are still allowed.
    login_from(&app, &address(4), "alice", PASSWORD, Device::None)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn device_tokens_expire() {
    let app = app_with(
        None,
        &[
            ("device_tokens.failures_per_account", "2"),
            ("device_tokens.lifetime", "2s"),
        ],
    )
    .await;
    app.create_user("alice", PASSWORD).await;
    let device =
        device_token_of(&login_from(&app, "198.51.100.7", "alice", PASSWORD, Device::None).await);
    spread_failures(&app, "alice", 2).await;
    login_from(
        &app,
        "198.51.100.7",
        "alice",
        PASSWORD,
        Device::Header(&device),
    )
    .await
    .assert_status(StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_locked_out(
        &login_from(
            &app,
            "198.51.100.7",
            "alice",
            PASSWORD,
            Device::Header(&device),
        )
        .await,
    );
}

#[tokio::test]
async fn device_tokens_end_with_the_users_sessions() {
    let app = app_with(None, &[("device_tokens.failures_per_account", "2")]).await;
    app.create_user("alice", PASSWORD).await;
    let first = login_from(&app, "198.51.100.7", "alice", PASSWORD, Device::None).await;
    let device = device_token_of(&first);
    let access = first.body["access"].as_str().unwrap().to_owned();
    // Logging out of this session alone leaves the device token trusted.
    spread_failures(&app, "alice", 2).await;
    let second = login_from(
        &app,
        "198.51.100.7",
        "alice",
        PASSWORD,
        Device::Header(&device),
    )
    .await;
    let newer = device_token_of(&second);
    app.logout(&access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let access = second.body["access"].as_str().unwrap().to_owned();
    login_from(
        &app,
        "198.51.100.7",
        "alice",
        PASSWORD,
        Device::Header(&newer),
    )
    .await
    .assert_status(StatusCode::OK);
    // Ending every session ends every device token issued before.
    app.send(
        app.client
            .post(app.url("/auth/logout/"))
            .bearer_auth(&access)
            .json(&json!({"scope": "global"})),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    for token in [&device, &newer] {
        assert_locked_out(
            &login_from(
                &app,
                "198.51.100.7",
                "alice",
                PASSWORD,
                Device::Header(token),
            )
            .await,
        );
    }
}

#[tokio::test]
async fn key_logins_keep_drfs_body_and_obey_the_bound() {
    let app = app_with(None, &[("device_tokens.failures_per_account", "2")]).await;
    app.create_user("alice", PASSWORD).await;
    let reply = login_at(
        &app,
        "/api/api-token-auth/",
        "198.51.100.7",
        "alice",
        PASSWORD,
        Device::None,
    )
    .await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(keys(&reply.body), ["token"]);
    let device = reply
        .header(DEVICE_HEADER)
        .expect("X-Device-Token")
        .to_owned();
    assert!(
        reply
            .header("set-cookie")
            .unwrap()
            .starts_with(DEVICE_COOKIE)
    );
    for i in 0..2 {
        login_at(
            &app,
            "/auth/token/login/",
            &address(i),
            "alice",
            WRONG,
            Device::None,
        )
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    }
    for path in ["/api/api-token-auth/", "/auth/token/login/"] {
        assert_locked_out(
            &login_at(&app, path, "192.0.2.1", "alice", PASSWORD, Device::None).await,
        );
        let trusted = login_at(
            &app,
            path,
            "192.0.2.1",
            "alice",
            PASSWORD,
            Device::Header(&device),
        )
        .await;
        trusted.assert_status(StatusCode::OK);
    }
    // The JWT login shares the account's count.
    assert_locked_out(&login_from(&app, "192.0.2.1", "alice", PASSWORD, Device::None).await);
}

#[tokio::test]
async fn without_device_tokens_logins_answer_as_before() {
    let app = app_with(None, &[("device_tokens.enabled", "false")]).await;
    app.create_user("alice", PASSWORD).await;
    let reply = login_from(&app, "198.51.100.7", "alice", PASSWORD, Device::None).await;
    reply.assert_status(StatusCode::OK);
    assert!(reply.body.get("device_token").is_none());
    assert!(reply.header(DEVICE_HEADER).is_none());
    let replies = spread_failures(&app, "alice", 101).await;
    replies[100].assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_password_change_or_a_rename_ends_the_device_tokens() {
    let app = app_with(None, &[("device_tokens.failures_per_account", "2")]).await;
    app.create_user("alice", PASSWORD).await;
    let login = login_from(&app, "198.51.100.7", "alice", PASSWORD, Device::None).await;
    let device = device_token_of(&login);
    let access = login.body["access"].as_str().unwrap().to_owned();
    spread_failures(&app, "alice", 2).await;
    const NEW: &str = "a-new-horse-battery-staple-43";
    let body = json!({"current_password": PASSWORD, "new_password": NEW});
    app.call(
        reqwest::Method::POST,
        "/auth/users/set_password/",
        &format!("Bearer {access}"),
        Some(&body),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    assert_locked_out(
        &login_from(&app, "198.51.100.7", "alice", NEW, Device::Header(&device)).await,
    );

    // Bob renames himself away; carol takes the name: bob's device token is not hers.
    app.create_user("bob", PASSWORD).await;
    let bob = login_from(&app, "198.51.100.8", "bob", PASSWORD, Device::None).await;
    let bob_device = device_token_of(&bob);
    let bob_access = bob.body["access"].as_str().unwrap().to_owned();
    let body = json!({"new_username": "robert", "current_password": PASSWORD});
    app.call(
        reqwest::Method::POST,
        "/auth/users/set_username/",
        &format!("Bearer {bob_access}"),
        Some(&body),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    app.create_user("bob", PASSWORD).await;
    spread_failures(&app, "bob", 2).await;
    assert_locked_out(
        &login_from(
            &app,
            "192.0.2.9",
            "bob",
            PASSWORD,
            Device::Header(&bob_device),
        )
        .await,
    );
}

#[tokio::test]
async fn the_audit_trail_names_the_bound_and_never_holds_a_device_token() {
    let dir = tempfile::tempdir().unwrap();
    let (db, log) = (TestDb::new(), dir.path().join("serve.log"));
    let mut command = bouncer(&db);
    command
        .env("RUST_LOG", "bouncer=trace,info")
        .env("BOUNCER_DEVICE_TOKENS__FAILURES_PER_ACCOUNT", "1");
    let served = Served::start(command, log).await;
    served.create_user("alice", PASSWORD).await;
    let here = "127.0.0.1";
    let first = device_token_of(&login_from(&served, here, "alice", PASSWORD, Device::None).await);
    login_from(&served, here, "alice", WRONG, Device::None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    assert_locked_out(&login_from(&served, here, "alice", PASSWORD, Device::Header("junk")).await);
    let second = device_token_of(
        &login_from(&served, here, "alice", PASSWORD, Device::Header(&first)).await,
    );
    let logs = served.logs();
    drop(served);

    for token in [&first, &second] {
        assert!(
            !logs.contains(token.as_str()),
            "the log holds a device token:\n{logs}"
        );
    }
    let line = |event: &str| {
        logs.lines()
            .find(|l| l.contains(&format!("event={event} ")))
            .unwrap_or_else(|| panic!("no {event} line in:\n{logs}"))
            .to_owned()
    };
    let locked = line("login.locked_out");
    assert!(locked.contains(r#"reason="account""#), "{locked}");
    assert!(locked.contains(r#"username="alice""#), "{locked}");
    assert!(line("device_token.issued").contains(r#"credential="jwt""#));
    assert!(line("device_token.refused").contains(r#"username="alice""#));
}
