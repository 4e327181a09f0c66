//! Every acknowledged revocation survives a restart on the same database (docs/security.md
//! "Durability"); the in-memory revocation state is reloaded before traffic is accepted.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_logged_out_session_stays_revoked_after_a_restart() {
    let mut app = spawn_app().await;
    let (tokens, other) = app.alice_in_two_sessions().await;
    app.logout(&tokens.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.restart().await;

    app.secret(&tokens.access).await.assert_token_not_valid();
    app.verify(&tokens.access)
        .await
        .assert_token_endpoint_refused();
    app.refresh(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
    // Tokens that were never revoked survive the restart too (same secret).
    app.secret(&other.access)
        .await
        .assert_status(StatusCode::OK);
    app.rotate(&other.refresh).await;
}

#[tokio::test]
async fn a_blacklisted_refresh_token_stays_refused_after_a_restart() {
    let (mut app, tokens) = spawn_app_and_alice().await;
    app.blacklist(&tokens.refresh)
        .await
        .assert(StatusCode::OK, json!({}));

    app.restart().await;

    app.refresh(&tokens.refresh).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "Token is blacklisted", "code": "token_not_valid"}),
    );
    app.secret(&tokens.access).await.assert_token_not_valid();
}

#[tokio::test]
async fn a_rotated_refresh_token_stays_single_use_after_a_restart() {
    let (mut app, tokens) = spawn_app_and_alice().await;
    let rotated = app.rotate(&tokens.refresh).await;

    app.restart().await;

    app.refresh(&tokens.refresh).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "Token is blacklisted", "code": "token_not_valid"}),
    );
    // ...and the replay, even across the restart, revokes the session.
    app.secret(&rotated.access).await.assert_token_not_valid();
    app.refresh(&rotated.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn a_session_revoked_by_a_replay_stays_revoked_after_a_restart() {
    let (mut app, tokens) = spawn_app_and_alice().await;
    let rotated = app.rotate(&tokens.refresh).await;
    app.refresh(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();

    app.restart().await;

    app.secret(&rotated.access).await.assert_token_not_valid();
    app.refresh(&rotated.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn users_and_tokens_survive_a_restart() {
    let mut app = spawn_app().await;
    let (id, tokens) = app.alice().await;

    app.restart().await;

    app.me(&tokens.access).await.assert(
        StatusCode::OK,
        json!({"email": "", "id": id, "username": "alice"}),
    );
    app.rotate(&tokens.refresh).await;
    app.tokens("alice", PASSWORD).await;
}
