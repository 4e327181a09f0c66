//! `GET/PUT/PATCH /auth/users/me/` (djoser): the authenticated user; only the email changes.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn me_answers_the_authenticated_user() {
    let app = spawn_app().await;
    let reply = app
        .post_json(
            "/auth/users/",
            &json!({"username": "alice", "password": PASSWORD, "email": "alice@example.com"}),
        )
        .await;
    let id = reply.assert_status(StatusCode::CREATED)["id"].clone();
    let tokens = app.tokens("alice", PASSWORD).await;

    app.me(&tokens.access).await.assert(
        StatusCode::OK,
        json!({"email": "alice@example.com", "id": id, "username": "alice"}),
    );
}

#[tokio::test]
async fn put_and_patch_on_me_change_the_email() {
    let app = spawn_app().await;
    let (id, tokens) = app.alice().await;

    for (method, email) in [
        (Method::PUT, "put@example.com"),
        (Method::PATCH, "patch@example.com"),
    ] {
        app.update_me(method, &tokens.access, &json!({ "email": email }))
            .await
            .assert(
                StatusCode::OK,
                json!({"email": email, "id": id, "username": "alice"}),
            );
        app.me(&tokens.access).await.assert(
            StatusCode::OK,
            json!({"email": email, "id": id, "username": "alice"}),
        );
    }
}

#[tokio::test]
async fn the_username_is_read_only_on_me() {
    let app = spawn_app().await;
    let (id, tokens) = app.alice().await;

    let reply = app
        .update_me(
            Method::PATCH,
            &tokens.access,
            &json!({"username": "mallory"}),
        )
        .await;

    reply.assert_status(StatusCode::OK);
    app.me(&tokens.access).await.assert(
        StatusCode::OK,
        json!({"email": "", "id": id, "username": "alice"}),
    );
    assert_eq!(
        app.db_number("SELECT count(*) FROM users WHERE username = 'mallory'"),
        0
    );
}

#[tokio::test]
async fn me_refuses_an_invalid_email() {
    let (app, tokens) = spawn_app_and_alice().await;

    let reply = app
        .update_me(Method::PATCH, &tokens.access, &json!({"email": "nope"}))
        .await;

    reply.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(keys(&reply.body), ["email"], "{}", reply.text);
}

#[tokio::test]
async fn me_requires_authentication() {
    let app = spawn_app().await;

    app.request_with_header(Method::GET, "/auth/users/me/", None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": NO_CREDENTIALS }),
        );
    app.request_with_header(Method::PATCH, "/auth/users/me/", None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": NO_CREDENTIALS }),
        );
}
