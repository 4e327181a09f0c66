//! `POST /auth/users/` registration and `GET/PUT/PATCH /auth/users/me/` (docs/wire-contract.md "Users").

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Barrier;

use crate::helpers::*;

fn taken() -> serde_json::Value {
    json!({"username": ["A user with that username already exists."]})
}

#[tokio::test]
async fn registering_answers_201_with_email_username_and_a_numeric_id() {
    let app = spawn_app().await;

    let reply = app
        .post_json(
            "/auth/users/",
            &json!({"username": "alice", "password": PASSWORD, "email": "alice@example.com"}),
        )
        .await;

    let body = reply.assert_status(StatusCode::CREATED);
    assert_eq!(keys(body), ["email", "id", "username"]);
    assert_eq!(body["username"], "alice");
    assert_eq!(body["email"], "alice@example.com");
    assert!(body["id"].is_i64(), "id: {}", body["id"]);
    let id = body["id"].as_i64().unwrap();
    assert_eq!(
        app.db_number("SELECT id FROM users WHERE username = 'alice'"),
        id
    );
}

#[tokio::test]
async fn registration_without_an_email_answers_an_empty_email() {
    let app = spawn_app().await;

    let reply = app.register("alice", PASSWORD).await;

    assert_eq!(reply.assert_status(StatusCode::CREATED)["email"], "");
}

#[tokio::test]
async fn registration_accepts_a_form_encoded_body() {
    let app = spawn_app().await;

    let reply = app
        .post_form(
            "/auth/users/",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("email", "a@example.com"),
            ],
        )
        .await;

    assert_eq!(
        reply.assert_status(StatusCode::CREATED)["username"],
        "alice"
    );
    app.tokens("alice", PASSWORD).await;
}

#[tokio::test]
async fn registration_lists_every_missing_field() {
    let app = spawn_app().await;

    app.post_json("/auth/users/", &json!({})).await.assert(
        StatusCode::BAD_REQUEST,
        json!({
            "username": ["This field is required."],
            "password": ["This field is required."],
        }),
    );
    assert_eq!(app.db_number("SELECT count(*) FROM users"), 0);
}

#[tokio::test]
async fn a_taken_username_is_refused() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    app.register("alice", "another-fine-password-77")
        .await
        .assert(StatusCode::BAD_REQUEST, taken());
    // The original account is untouched.
    app.tokens("alice", PASSWORD).await;
}

#[tokio::test]
async fn a_fullwidth_username_collides_with_its_nfkc_form() {
    let app = spawn_app().await;
    app.create_user("Alice", PASSWORD).await;

    app.register("\u{FF21}\u{FF4C}\u{FF49}\u{FF43}\u{FF45}", PASSWORD)
        .await
        .assert(StatusCode::BAD_REQUEST, taken());
    assert_eq!(app.db_number("SELECT count(*) FROM users"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_username_create_exactly_one_user() {
    let app = Arc::new(spawn_app().await);
    let barrier = Arc::new(Barrier::new(5));

    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (app, barrier) = (app.clone(), barrier.clone());
            tokio::spawn(async move {
                let request = app
                    .client
                    .post(app.url("/auth/users/"))
                    .json(&json!({"username": "alice", "password": PASSWORD}));
                barrier.wait().await;
                app.send(request).await
            })
        })
        .collect();
    let replies: Vec<Reply> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task finished"))
        .collect();

    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "replies: {replies:?}");
    for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        reply.assert(StatusCode::BAD_REQUEST, taken());
    }
    assert_eq!(app.db_number("SELECT count(*) FROM users"), 1);
}

#[tokio::test]
async fn usernames_with_nul_or_control_characters_are_refused() {
    let app = spawn_app().await;
    let mut accepted = Vec::new();

    for username in [
        "ali\u{0}ce",
        "bob\u{7}",
        "eve\n",
        "mal\u{1b}[31m",
        "tab\tname",
        "del\u{7f}",
    ] {
        let reply = app.register(username, PASSWORD).await;
        if reply.status != StatusCode::BAD_REQUEST || !reply.body["username"].is_array() {
            accepted.push(format!("{username:?} -> {} {}", reply.status, reply.text));
        }
    }
    assert!(accepted.is_empty(), "accepted: {accepted:#?}");
    assert_eq!(app.db_number("SELECT count(*) FROM users"), 0);
}

#[tokio::test]
async fn numbers_are_usernames_too() {
    let app = spawn_app().await;
    let reply = app
        .post_json(
            "/auth/users/",
            &json!({"username": 42, "password": PASSWORD}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.body["username"], json!("42"));
}

#[tokio::test]
async fn a_blank_or_non_string_username_is_refused_with_a_field_error() {
    let app = spawn_app().await;

    app.register("", PASSWORD).await.assert(
        StatusCode::BAD_REQUEST,
        json!({"username": ["This field may not be blank."]}),
    );
    let mut wrong = Vec::new();
    // Numbers are accepted as strings, as DRF's CharField does (see numbers_are_usernames_too).
    for value in [json!({"a": 1}), json!(["alice"]), json!(true)] {
        let reply = app
            .post_json(
                "/auth/users/",
                &json!({"username": value, "password": PASSWORD}),
            )
            .await;
        if (reply.status, &reply.body)
            != (
                StatusCode::BAD_REQUEST,
                &json!({"username": ["Not a valid string."]}),
            )
        {
            wrong.push(format!("{value} -> {} {}", reply.status, reply.text));
        }
    }
    assert!(wrong.is_empty(), "not refused as non-strings: {wrong:#?}");
}

#[tokio::test]
async fn an_invalid_email_is_refused_with_a_field_error() {
    let app = spawn_app().await;

    let reply = app
        .post_json(
            "/auth/users/",
            &json!({"username": "alice", "password": PASSWORD, "email": "not-an-email"}),
        )
        .await;

    reply.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(keys(&reply.body), ["email"], "{}", reply.text);
}
