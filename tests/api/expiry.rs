//! Real expiry with short lifetimes (leeway 0): an expired token is refused everywhere.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::jwt;

#[tokio::test]
async fn configured_lifetimes_set_exp_minus_iat() {
    let app = spawn_app_with(&[
        ("access_token_lifetime", "90s"),
        ("refresh_token_lifetime", "2h"),
    ])
    .await;
    let (_, tokens) = app.alice().await;

    let lifetime = |token: &str| {
        let c = jwt::claims(token);
        c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()
    };
    assert_eq!(lifetime(&tokens.access), 90);
    assert_eq!(lifetime(&tokens.refresh), 7200);
    let rotated = app.rotate(&tokens.refresh).await;
    assert_eq!(lifetime(&rotated.access), 90);
}

#[tokio::test]
async fn expired_tokens_are_refused_everywhere() {
    let app = spawn_app_with(&[
        ("access_token_lifetime", "1s"),
        ("refresh_token_lifetime", "1s"),
    ])
    .await;
    let (_, tokens) = app.alice().await;
    let claims = jwt::claims(&tokens.access);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        1
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;

    let messages = app.secret(&tokens.access).await.assert_token_not_valid();
    assert!(
        messages.iter().any(|m| m == "Token is expired"),
        "{messages:?}"
    );
    app.me(&tokens.access).await.assert_token_not_valid();
    app.verify(&tokens.access)
        .await
        .assert_token_endpoint_refused();
    app.verify(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
    app.refresh(&tokens.refresh).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "Token is expired", "code": "token_not_valid"}),
    );
    app.blacklist(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
    // Logging in again still works.
    let fresh = app.tokens("alice", PASSWORD).await;
    app.secret(&fresh.access)
        .await
        .assert_status(StatusCode::OK);
}
