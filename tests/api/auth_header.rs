//! Parsing `Authorization: <type> <token>` (RFC 6750, RFC 7235; docs/wire-contract.md "Authenticating a
//! request"): every 401 carries the `WWW-Authenticate` challenge.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn bad_header() -> serde_json::Value {
    json!({
        "detail": "Authorization header must contain two space-delimited values",
        "code": "bad_authorization_header",
    })
}

async fn secret_with(app: &TestApp, header: Option<&str>) -> Reply {
    app.request_with_header(Method::GET, "/api/secret/", header)
        .await
}

#[tokio::test]
async fn no_header_or_another_scheme_means_no_credentials() {
    let (app, tokens) = spawn_app_and_alice().await;

    let no_credentials = json!({ "detail": NO_CREDENTIALS });
    secret_with(&app, None)
        .await
        .assert(StatusCode::UNAUTHORIZED, no_credentials.clone());
    secret_with(&app, Some("Basic YWxpY2U6c2VjcmV0"))
        .await
        .assert(StatusCode::UNAUTHORIZED, no_credentials.clone());
    secret_with(&app, Some("Digest username=alice"))
        .await
        .assert(StatusCode::UNAUTHORIZED, no_credentials);
    // `Token` is DRF's opaque-key scheme: a JWT there is not a key.
    secret_with(&app, Some(&format!("Token {}", tokens.access)))
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Invalid token."}),
        );
}

#[tokio::test]
async fn a_header_without_exactly_two_parts_is_a_bad_authorization_header() {
    let (app, tokens) = spawn_app_and_alice().await;

    for header in [
        "Bearer".to_owned(),
        "Bearer a b".to_owned(),
        format!("Bearer {} extra", tokens.access),
    ] {
        secret_with(&app, Some(&header))
            .await
            .assert(StatusCode::UNAUTHORIZED, bad_header());
    }
}

#[tokio::test]
async fn the_scheme_is_matched_without_regard_to_case() {
    let (app, tokens) = spawn_app_and_alice().await;

    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        secret_with(&app, Some(&format!("{scheme} {}", tokens.access)))
            .await
            .assert_status(StatusCode::OK);
    }
}

#[tokio::test]
async fn every_401_carries_the_bearer_challenge() {
    let (app, tokens) = spawn_app_and_alice().await;

    let replies = [
        secret_with(&app, None).await,
        secret_with(&app, Some("Bearer")).await,
        secret_with(&app, Some("Bearer not-a-token")).await,
        app.secret(&tokens.refresh).await,
        app.me("garbage").await,
        app.login("alice", "wrong-password-123").await,
        app.refresh("garbage").await,
        app.verify("garbage").await,
        app.blacklist(&tokens.access).await,
        app.request_with_header(Method::POST, "/auth/logout/", None)
            .await,
    ];
    for reply in replies {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
        assert_eq!(
            reply.header("www-authenticate"),
            Some(r#"Bearer realm="api""#),
            "401 {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn non_ascii_bytes_in_the_header_are_a_401_not_a_crash() {
    let app = spawn_app().await;

    let request = app.client.get(app.url("/api/secret/")).header(
        "Authorization",
        reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe\xfd").unwrap(),
    );
    let reply = app.send(request).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert!(reply.body["detail"].is_string(), "{}", reply.text);
}

#[tokio::test]
async fn an_invalid_token_on_an_open_route_is_still_a_401() {
    // docs/wire-contract.md: DRF authenticates eagerly, so registration with a bad token is refused.
    let app = spawn_app().await;

    let request = app
        .client
        .post(app.url("/auth/users/"))
        .bearer_auth("not-a-token")
        .json(&json!({"username": "alice", "password": PASSWORD}));
    let reply = app.send(request).await;

    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.body["code"], "token_not_valid", "{}", reply.text);
    assert_eq!(app.db_number("SELECT count(*) FROM users"), 0);
}
