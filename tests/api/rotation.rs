//! Refresh-token rotation and reuse detection (RFC 9700 §4.14.2): a rotated refresh token works
//! once; replaying it is a theft signal that revokes the whole session (every token with its sid).

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Barrier;

use crate::helpers::*;
use crate::jwt;

fn blacklisted() -> serde_json::Value {
    json!({"detail": "Token is blacklisted", "code": "token_not_valid"})
}

#[tokio::test]
async fn a_rotated_refresh_token_cannot_be_used_twice() {
    let (app, tokens) = spawn_app_and_alice().await;
    app.rotate(&tokens.refresh).await;

    app.refresh(&tokens.refresh)
        .await
        .assert(StatusCode::UNAUTHORIZED, blacklisted());
}

#[tokio::test]
async fn a_rotated_refresh_token_fails_verification() {
    let (app, tokens) = spawn_app_and_alice().await;
    app.rotate(&tokens.refresh).await;

    app.verify(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn replaying_a_rotated_refresh_token_revokes_the_whole_session() {
    let (app, stolen) = spawn_app_and_alice().await;
    let rotated = app.rotate(&stolen.refresh).await;
    let rotated_again = app.rotate(&rotated.refresh).await;
    // Both tokens work before the replay.
    app.secret(&rotated.access)
        .await
        .assert_status(StatusCode::OK);

    app.refresh(&stolen.refresh)
        .await
        .assert(StatusCode::UNAUTHORIZED, blacklisted());

    app.refresh(&rotated_again.refresh)
        .await
        .assert_token_endpoint_refused();
    for access in [&stolen.access, &rotated.access, &rotated_again.access] {
        app.secret(access).await.assert_token_not_valid();
        app.verify(access).await.assert_token_endpoint_refused();
    }
    app.verify(&rotated_again.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn a_replay_leaves_the_users_other_sessions_working() {
    let app = spawn_app().await;
    let (stolen, other) = app.alice_in_two_sessions().await;
    app.rotate(&stolen.refresh).await;

    app.refresh(&stolen.refresh)
        .await
        .assert(StatusCode::UNAUTHORIZED, blacklisted());

    app.secret(&other.access)
        .await
        .assert_status(StatusCode::OK);
    let next = app.rotate(&other.refresh).await;
    app.secret(&next.access).await.assert_status(StatusCode::OK);
    // And the user can still log in afresh.
    let fresh = app.tokens("alice", PASSWORD).await;
    app.secret(&fresh.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_refreshes_of_one_token_let_exactly_one_succeed() {
    let app = Arc::new(spawn_app().await);
    let (_, tokens) = app.alice().await;
    let barrier = Arc::new(Barrier::new(10));

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, barrier, refresh) = (app.clone(), barrier.clone(), tokens.refresh.clone());
            tokio::spawn(async move {
                let request = app
                    .client
                    .post(app.url("/api/token/refresh/"))
                    .json(&json!({ "refresh": refresh }));
                barrier.wait().await;
                app.send(request).await
            })
        })
        .collect();
    let replies = futures::future::join_all(tasks).await;

    let statuses: Vec<StatusCode> = replies
        .iter()
        .map(|r| r.as_ref().expect("task finished").status)
        .collect();
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let unauthorized = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((ok, unauthorized), (1, 9), "statuses: {statuses:?}");
    for reply in replies.iter().flatten() {
        if reply.status == StatusCode::UNAUTHORIZED {
            assert_eq!(reply.body["code"], "token_not_valid", "{}", reply.text);
        }
    }
}

#[tokio::test]
async fn an_access_token_cannot_be_used_to_refresh() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.refresh(&tokens.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "Token has wrong type", "code": "token_not_valid"}),
    );
    // The failed attempt changed nothing.
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
    app.rotate(&tokens.refresh).await;
}

#[tokio::test]
async fn refresh_requires_the_refresh_field_and_refuses_garbage() {
    let app = spawn_app().await;

    app.post_json("/api/token/refresh/", &json!({}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"refresh": ["This field is required."]}),
        );
    app.refresh("garbage").await.assert_token_endpoint_refused();
    app.refresh("a.b.c").await.assert_token_endpoint_refused();
}

#[tokio::test]
async fn refresh_accepts_a_form_encoded_body() {
    let (app, tokens) = spawn_app_and_alice().await;

    let reply = app
        .post_form("/api/token/refresh/", &[("refresh", &tokens.refresh)])
        .await;

    let new = tokens_of(&reply);
    assert_eq!(
        jwt::claims(&new.refresh)["sid"],
        jwt::claims(&tokens.refresh)["sid"]
    );
}

#[tokio::test]
async fn a_refresh_token_with_a_forged_signature_is_refused_and_changes_nothing() {
    let (app, tokens) = spawn_app_and_alice().await;
    let forged = resigned(&tokens.refresh, &[], OTHER_SECRET);

    app.refresh(&forged).await.assert_token_endpoint_refused();

    // The genuine token was not marked used by the forged attempt.
    app.rotate(&tokens.refresh).await;
}

#[tokio::test]
async fn with_rotation_off_refresh_returns_only_an_access_token() {
    let app = spawn_app_with(&[("rotate_refresh_tokens", "false")]).await;
    let (_, tokens) = app.alice().await;

    for _ in 0..2 {
        let reply = app.refresh(&tokens.refresh).await;
        assert_eq!(
            keys(reply.assert_status(StatusCode::OK)),
            ["access", "access_expires_at", "expires_in"]
        );
        let access = reply.body["access"].as_str().unwrap();
        assert_eq!(
            jwt::claims(access)["sid"],
            jwt::claims(&tokens.refresh)["sid"]
        );
        app.secret(access).await.assert_status(StatusCode::OK);
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_never_outlives_the_session_lifetime() {
    // docs/security.md: refresh tokens have an absolute lifetime from the original login.
    let app = spawn_app_with(&[("refresh_token_lifetime", "1h"), ("session_lifetime", "1h")]).await;
    let (_, tokens) = app.alice().await;
    let login = jwt::claims(&tokens.refresh);
    let login_exp = login["exp"].as_i64().unwrap();
    assert_eq!(login_exp - login["iat"].as_i64().unwrap(), 3600);

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let rotated = app.rotate(&tokens.refresh).await;

    let exp = jwt::claims(&rotated.refresh)["exp"].as_i64().unwrap();
    assert!(
        exp <= login_exp,
        "rotated refresh expires at {exp}, after the session end {login_exp}"
    );
}
