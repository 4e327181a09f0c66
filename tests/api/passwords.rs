//! Password handling at registration: Django's four validators, reported together
//! (docs/wire-contract.md "Password validators"), and bcrypt's 72-byte limit never truncating silently.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_weak_password_gets_every_validator_message_at_once() {
    let app = spawn_app().await;

    let reply = app.register("alice", "12345").await;

    reply.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(keys(&reply.body), ["password"], "{}", reply.text);
    let mut messages: Vec<&str> = reply.body["password"]
        .as_array()
        .expect("a list of messages")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    messages.sort();
    assert_eq!(
        messages,
        [
            "This password is entirely numeric.",
            "This password is too common.",
            "This password is too short. It must contain at least 8 characters.",
        ]
    );
    assert_eq!(app.db_number("SELECT count(*) FROM users"), 0);
}

#[tokio::test]
async fn a_common_password_is_refused() {
    let app = spawn_app().await;

    app.register("alice", "password1").await.assert(
        StatusCode::BAD_REQUEST,
        json!({"password": ["This password is too common."]}),
    );
}

#[tokio::test]
async fn a_password_too_similar_to_the_username_or_email_is_refused() {
    let app = spawn_app().await;

    app.register("quixotic_walrus", "quixotic_walrus9")
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"password": ["The password is too similar to the username."]}),
        );
    app.post_json(
        "/auth/users/",
        &json!({
            "username": "mh42",
            "password": "margaret.hamilton@example.co",
            "email": "margaret.hamilton@example.com",
        }),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"password": ["The password is too similar to the email address."]}),
    );
}

#[tokio::test]
async fn a_password_longer_than_72_bytes_is_not_truncated() {
    let app = spawn_app().await;
    let long = "a-long-passphrase-".repeat(5); // 90 bytes
    assert!(long.len() > 72);
    app.create_user("alice", &long).await;

    app.tokens("alice", &long).await;

    let same_first_72 = format!("{}{}", &long[..72], "completely different tail");
    app.login("alice", &same_first_72).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );
    app.login("alice", &long[..72]).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );
}

#[tokio::test]
async fn passwords_are_not_trimmed_or_normalised() {
    let app = spawn_app().await;
    app.create_user("alice", " spaced passphrase 91 ").await;

    app.login("alice", "spaced passphrase 91").await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );
    app.tokens("alice", " spaced passphrase 91 ").await;
}

#[tokio::test]
async fn the_password_is_stored_only_as_a_hash() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    let plaintext = app.db_number(&format!(
        "SELECT count(*) FROM users WHERE password LIKE '%{PASSWORD}%'"
    ));
    assert_eq!(plaintext, 0);
}
