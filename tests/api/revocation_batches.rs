//! Logouts and blacklists under concurrency: on PostgreSQL the revocations waiting at a moment
//! are written together (`src/db/revocation_batch.rs`), on SQLite by the single writer. Each
//! must still be answered on its own: every distinct revocation succeeds and holds, one token
//! revoked many times at once is accepted exactly once, and a revocation through one instance
//! holds on another (PostgreSQL only).

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Barrier;

use crate::database::postgres_or_skip;
use crate::helpers::*;
use crate::process::SharedDb;

/// simplejwt's answer to a token already blacklisted.
fn blacklisted() -> serde_json::Value {
    json!({"detail": "Token is blacklisted", "code": "token_not_valid"})
}

/// `count` sessions of `username`, logged in through `api`.
async fn sessions(api: &Api, username: &str, count: usize) -> Vec<Tokens> {
    futures::future::join_all((0..count).map(|_| api.tokens(username, PASSWORD))).await
}

/// How many of `replies` have `status`.
fn count(replies: &[Reply], status: StatusCode) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

/// Every token of `sessions` is refused by `api`: each access token at a protected route and
/// each refresh token at the refresh endpoint.
async fn all_refused(api: &Api, sessions: &[Tokens]) {
    for tokens in sessions {
        api.secret(&tokens.access).await.assert_token_not_valid();
        api.refresh(&tokens.refresh)
            .await
            .assert_token_endpoint_refused();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_concurrent_blacklists_and_logouts_of_distinct_sessions_all_succeed_and_all_hold() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let sessions = sessions(&app, "alice", 40).await;
    let barrier = Barrier::new(sessions.len());

    // Even sessions end by blacklisting their refresh token, odd ones by logging out.
    let replies = futures::future::join_all(sessions.iter().enumerate().map(|(i, tokens)| {
        let (app, barrier) = (&app, &barrier);
        async move {
            barrier.wait().await;
            if i % 2 == 0 {
                app.blacklist(&tokens.refresh).await
            } else {
                app.logout(&tokens.access, None).await
            }
        }
    }))
    .await;

    for (i, reply) in replies.iter().enumerate() {
        if i % 2 == 0 {
            reply.assert(StatusCode::OK, json!({}));
        } else {
            reply.assert_status(StatusCode::NO_CONTENT);
        }
    }
    all_refused(&app, &sessions).await;
    assert_eq!(app.db_number("SELECT count(*) FROM revoked_sessions"), 40);
    assert_eq!(app.db_number("SELECT count(*) FROM blacklisted_tokens"), 40);
    // After a restart the revocations are read back from the database.
    let mut app = app;
    app.restart().await;
    all_refused(&app, &sessions).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refresh_token_blacklisted_twenty_times_at_once_is_accepted_exactly_once() {
    let (app, tokens) = spawn_app_and_alice().await;
    // Bystanders in the same batches: their outcome must not depend on the contested token's.
    let others = sessions(&app, "alice", 10).await;
    let barrier = Barrier::new(20 + others.len());

    let contested = futures::future::join_all((0..20).map(|_| {
        let (app, barrier, refresh) = (&app, &barrier, &tokens.refresh);
        async move {
            barrier.wait().await;
            app.blacklist(refresh).await
        }
    }));
    let bystanders = futures::future::join_all(others.iter().map(|other| {
        let (app, barrier) = (&app, &barrier);
        async move {
            barrier.wait().await;
            app.blacklist(&other.refresh).await
        }
    }));
    let (replies, bystanders) = futures::future::join(contested, bystanders).await;

    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        (
            count(&replies, StatusCode::OK),
            count(&replies, StatusCode::UNAUTHORIZED)
        ),
        (1, 19),
        "statuses: {statuses:?}"
    );
    for reply in &replies {
        if reply.status == StatusCode::OK {
            reply.assert(StatusCode::OK, json!({}));
        } else {
            reply.assert(StatusCode::UNAUTHORIZED, blacklisted());
        }
    }
    for reply in &bystanders {
        reply.assert(StatusCode::OK, json!({}));
    }
    assert_eq!(app.db_number("SELECT count(*) FROM blacklisted_tokens"), 11);
    app.secret(&tokens.access).await.assert_token_not_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_logout_naming_another_sessions_refresh_token_ends_both_under_concurrency() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let pairs = sessions(&app, "alice", 20).await;
    let barrier = Barrier::new(pairs.len() / 2);

    // Session 2k logs out and names session 2k+1's refresh token: two revocations each.
    let replies = futures::future::join_all(pairs.chunks(2).map(|pair| {
        let (app, barrier) = (&app, &barrier);
        async move {
            barrier.wait().await;
            app.logout(&pair[0].access, Some(&pair[1].refresh)).await
        }
    }))
    .await;

    for reply in &replies {
        reply.assert_status(StatusCode::NO_CONTENT);
    }
    all_refused(&app, &pairs).await;
    assert_eq!(app.db_number("SELECT count(*) FROM revoked_sessions"), 20);
}

/// Polls until `api` refuses `access`; panics after the propagation bound the README promises.
async fn refused_within_a_second(api: &Api, access: &str) {
    let start = Instant::now();
    while api.secret(access).await.status == StatusCode::OK {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "a revocation through one instance was not enforced by the other within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    api.secret(access).await.assert_token_not_valid();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_revocations_through_two_instances_each_hold_on_both_and_count_once() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let shared = SharedDb::create(&admin);
    let a = shared.serve("a", &[]).await;
    let b = shared.serve("b", &[]).await;
    a.create_user("alice", PASSWORD).await;
    let sessions = sessions(&a, "alice", 20).await;
    let contested = a.tokens("alice", PASSWORD).await;
    let barrier = Arc::new(Barrier::new(sessions.len() + 10));

    // Even sessions are blacklisted through A, odd ones logged out through B; meanwhile one
    // more refresh token is blacklisted ten times, five through each instance.
    let distinct = futures::future::join_all(sessions.iter().enumerate().map(|(i, tokens)| {
        let (a, b, barrier) = (&a, &b, &barrier);
        async move {
            barrier.wait().await;
            if i % 2 == 0 {
                a.blacklist(&tokens.refresh).await
            } else {
                b.logout(&tokens.access, None).await
            }
        }
    }));
    let same = futures::future::join_all((0..10).map(|i| {
        let (api, barrier, refresh) = (
            if i % 2 == 0 { &a } else { &b },
            &barrier,
            &contested.refresh,
        );
        async move {
            barrier.wait().await;
            api.blacklist(refresh).await
        }
    }));
    let (distinct, same) = futures::future::join(distinct, same).await;

    for (i, reply) in distinct.iter().enumerate() {
        if i % 2 == 0 {
            reply.assert(StatusCode::OK, json!({}));
        } else {
            reply.assert_status(StatusCode::NO_CONTENT);
        }
    }
    let statuses: Vec<u16> = same.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        (
            count(&same, StatusCode::OK),
            count(&same, StatusCode::UNAUTHORIZED)
        ),
        (1, 9),
        "statuses: {statuses:?}"
    );
    for reply in same.iter().filter(|r| r.status != StatusCode::OK) {
        reply.assert(StatusCode::UNAUTHORIZED, blacklisted());
    }
    // Each instance enforces what the other revoked.
    for api in [&*a, &*b] {
        for tokens in sessions.iter().chain([&contested]) {
            refused_within_a_second(api, &tokens.access).await;
            api.refresh(&tokens.refresh)
                .await
                .assert_token_endpoint_refused();
        }
    }
    assert_eq!(
        shared
            .database
            .number("SELECT count(*) FROM blacklisted_tokens"),
        21
    );
}
