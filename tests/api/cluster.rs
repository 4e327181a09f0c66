//! Several real `bouncer serve` processes on one PostgreSQL database (issue 3, "Correctness
//! across instances"): single-use rotation across instances, revocations made through one
//! instance enforced by another within 1 s (or at once in strict mode), and a concurrent start
//! on an empty database. PostgreSQL only: skipped without `BOUNCER_TEST_POSTGRES_URL`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Barrier;

use crate::database::postgres_or_skip;
use crate::helpers::*;
use crate::process::*;

/// The bound the README promises for propagation with the default settings.
const PROPAGATION_BOUND: Duration = Duration::from_secs(1);

/// Polls `GET /api/secret/` until the Bearer `access` is refused with `token_not_valid`;
/// returns how long that took (see [`time_until_unauthorized`]).
async fn time_until_refused(api: &Api, access: &str, what: &str) -> Duration {
    let delay = time_until_unauthorized(api, &format!("Bearer {access}"), what).await;
    api.secret(access).await.assert_token_not_valid();
    delay
}

/// Two instances on one fresh database, and alice registered through the first.
async fn two_instances(admin: &str, settings: &[(&str, &str)]) -> (SharedDb, Served, Served) {
    let shared = SharedDb::create(admin);
    let a = shared.serve("a", settings).await;
    let b = shared.serve("b", settings).await;
    a.create_user("alice", PASSWORD).await;
    (shared, a, b)
}

#[tokio::test]
async fn ten_concurrent_refreshes_of_one_token_over_two_instances_succeed_once() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let (_db, a, b) = two_instances(&admin, &[]).await;
    let tokens = a.tokens("alice", PASSWORD).await;
    let barrier = Arc::new(Barrier::new(10));

    let replies = futures::future::join_all((0..10).map(|i| {
        let (api, barrier, refresh) = (if i % 2 == 0 { &a } else { &b }, &barrier, &tokens.refresh);
        async move {
            barrier.wait().await;
            api.refresh(refresh).await
        }
    }))
    .await;

    let count = |status| replies.iter().filter(|r| r.status == status).count();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert!(
        replies.iter().all(|r| !r.status.is_server_error()),
        "{replies:#?}"
    );
    assert_eq!(
        (count(StatusCode::OK), count(StatusCode::UNAUTHORIZED)),
        (1, 9),
        "statuses: {statuses:?}"
    );
}

#[tokio::test]
async fn a_logout_through_one_instance_is_enforced_by_the_other_within_a_second() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let (_db, a, b) = two_instances(&admin, &[]).await;
    let tokens = a.tokens("alice", PASSWORD).await;
    b.secret(&tokens.access).await.assert_status(StatusCode::OK);

    a.logout(&tokens.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    time_until_refused(&b, &tokens.access, "logout").await;
    b.refresh(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn a_blacklisted_session_is_enforced_by_the_other_instance_within_a_second() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let (_db, a, b) = two_instances(&admin, &[]).await;
    let tokens = a.tokens("alice", PASSWORD).await;
    b.secret(&tokens.access).await.assert_status(StatusCode::OK);

    a.blacklist(&tokens.refresh)
        .await
        .assert(StatusCode::OK, json!({}));

    time_until_refused(&b, &tokens.access, "blacklist").await;
}

#[tokio::test]
async fn a_session_revoked_by_reuse_detection_is_enforced_by_the_other_instance_within_a_second() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let (_db, a, b) = two_instances(&admin, &[]).await;
    let stolen = a.tokens("alice", PASSWORD).await;
    let newest = a.rotate(&stolen.refresh).await;
    b.secret(&newest.access).await.assert_status(StatusCode::OK);

    a.refresh(&stolen.refresh)
        .await
        .assert_token_endpoint_refused();

    time_until_refused(&b, &newest.access, "reuse detection").await;
}

#[tokio::test]
async fn in_strict_mode_the_other_instance_refuses_a_logged_out_token_at_once() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    // Notifications are taken in only once an hour: only the strict check can refuse.
    let strict = [
        ("revocation_check", "strict"),
        ("revocation_sync_interval", "1h"),
    ];
    let (_db, a, b) = two_instances(&admin, &strict).await;
    let tokens = a.tokens("alice", PASSWORD).await;
    b.secret(&tokens.access).await.assert_status(StatusCode::OK);

    a.logout(&tokens.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    b.secret(&tokens.access).await.assert_token_not_valid();

    // A user change through A is also refused by B at once: alice deletes herself.
    let other = b.tokens("alice", PASSWORD).await;
    let key = b.key("alice", PASSWORD).await;
    b.secret(&other.access).await.assert_status(StatusCode::OK);
    a.call(
        reqwest::Method::DELETE,
        "/auth/users/me/",
        &format!("Bearer {}", other.access),
        Some(&json!({ "current_password": PASSWORD })),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    b.secret(&other.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User not found", "code": "user_not_found"}),
    );
    b.call(
        reqwest::Method::GET,
        "/api/secret/",
        &format!("Token {key}"),
        None,
    )
    .await
    .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn three_instances_started_at_once_on_an_empty_database_all_serve_and_migrate_once() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let shared = SharedDb::create(&admin);
    let mut instances: Vec<Served> = ["a", "b", "c"]
        .iter()
        .map(|name| shared.spawn(name, shared.command(None, &[])))
        .collect();

    futures::future::join_all(instances.iter_mut().map(Served::wait_until_ready)).await;

    instances[0].create_user("alice", PASSWORD).await;
    for instance in &instances {
        let tokens = instance.tokens("alice", PASSWORD).await;
        instance
            .secret(&tokens.access)
            .await
            .assert_status(StatusCode::OK);
    }
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .expect("migrations/postgres")
        .filter(|entry| entry.as_ref().is_ok_and(|e| e.path().is_dir()))
        .count();
    let applied = shared
        .database
        .number("SELECT count(*) FROM __diesel_schema_migrations");
    assert_eq!(applied, migrations as i64);
}

/// Polls `GET /api/secret/` on `api` until `authorization` is refused with a 401; panics past
/// [`PROPAGATION_BOUND`] or on any other answer than 200 and 401.
async fn time_until_unauthorized(api: &Api, authorization: &str, what: &str) -> Duration {
    let start = Instant::now();
    loop {
        let reply = api
            .call(reqwest::Method::GET, "/api/secret/", authorization, None)
            .await;
        if reply.status == StatusCode::UNAUTHORIZED {
            let delay = start.elapsed();
            eprintln!("propagation delay ({what}): {delay:?}");
            return delay;
        }
        reply.assert_status(StatusCode::OK);
        assert!(
            start.elapsed() < PROPAGATION_BOUND,
            "{what} through instance A was not enforced by instance B within {PROPAGATION_BOUND:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn deactivation_and_group_removal_through_one_instance_are_enforced_by_the_other() {
    let Some(admin_url) = postgres_or_skip() else {
        return;
    };
    let (shared, a, b) = two_instances(&admin_url, &[]).await;
    a.create_user("admin", PASSWORD).await;
    a.create_user("bob", PASSWORD).await;
    shared
        .database
        .connect()
        .execute("UPDATE users SET is_staff = TRUE WHERE username = 'admin'");
    let admin = a.tokens("admin", PASSWORD).await;
    let staff = format!("Bearer {}", admin.access);
    let members = json!({"username": "alice"});
    a.call(
        reqwest::Method::POST,
        "/api/groups/manager/users",
        &staff,
        Some(&members),
    )
    .await
    .assert_status(StatusCode::CREATED);
    let alice = b.tokens("alice", PASSWORD).await;
    let alice_key = b.key("alice", PASSWORD).await;
    let bob = b.tokens("bob", PASSWORD).await;
    let manager = format!("Bearer {}", alice.access);
    b.call(reqwest::Method::GET, "/api/manager-view/", &manager, None)
        .await
        .assert_status(StatusCode::OK);
    b.call(
        reqwest::Method::GET,
        "/api/secret/",
        &format!("Token {alice_key}"),
        None,
    )
    .await
    .assert_status(StatusCode::OK);

    // Group removal: alice's access token, minted with the group, stops on B.
    a.call(
        reqwest::Method::DELETE,
        "/api/groups/manager/users",
        &staff,
        Some(&members),
    )
    .await
    .assert_status(StatusCode::OK);
    time_until_unauthorized(&b, &manager, "group removal").await;
    let refreshed = b.rotate(&alice.refresh).await;
    b.call(
        reqwest::Method::GET,
        "/api/manager-view/",
        &format!("Bearer {}", refreshed.access),
        None,
    )
    .await
    .assert_status(StatusCode::FORBIDDEN);

    // Deactivation of bob, and deletion of alice, through A: B refuses their credentials.
    let bob_id = b.me(&bob.access).await.assert_status(StatusCode::OK)["id"].clone();
    a.call(
        reqwest::Method::PATCH,
        &format!("/auth/users/{bob_id}/"),
        &staff,
        Some(&json!({"is_active": false})),
    )
    .await
    .assert_status(StatusCode::OK);
    time_until_unauthorized(&b, &format!("Bearer {}", bob.access), "deactivation").await;
    b.secret(&bob.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User is inactive", "code": "user_inactive"}),
    );
    a.call(
        reqwest::Method::DELETE,
        "/auth/users/me/",
        &format!("Bearer {}", refreshed.access),
        Some(&json!({ "current_password": PASSWORD })),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    time_until_unauthorized(&b, &format!("Token {alice_key}"), "deletion (key)").await;
}

#[tokio::test]
async fn a_key_logged_out_through_one_instance_is_refused_by_the_other_within_a_second() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let (_db, a, b) = two_instances(&admin, &[]).await;
    let key = a.key("alice", PASSWORD).await;
    let token = format!("Token {key}");
    // B reads the key once and caches it.
    b.call(reqwest::Method::GET, "/api/secret/", &token, None)
        .await
        .assert_status(StatusCode::OK);

    a.call(reqwest::Method::POST, "/auth/token/logout/", &token, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    time_until_unauthorized(&b, &token, "key logout").await;
    b.call(reqwest::Method::GET, "/api/secret/", &token, None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Invalid token."}),
        );
}
