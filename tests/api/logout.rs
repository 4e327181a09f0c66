//! `POST /auth/logout/` and `POST /api/token/blacklist/`: revocation takes effect before the
//! response is sent, covers the whole session, and leaves the user's other sessions alone.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn logout_answers_204_with_no_content() {
    let (app, tokens) = spawn_app_and_alice().await;

    let reply = app.logout(&tokens.access, None).await;

    reply.assert_status(StatusCode::NO_CONTENT);
    assert!(reply.text.is_empty(), "body: {}", reply.text);
}

#[tokio::test]
async fn logout_revokes_the_access_token_and_its_session_at_once() {
    let (app, tokens) = spawn_app_and_alice().await;
    let rotated = app.rotate(&tokens.refresh).await;

    app.logout(&rotated.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.secret(&rotated.access).await.assert_token_not_valid();
    app.me(&rotated.access).await.assert_token_not_valid();
    app.verify(&rotated.access)
        .await
        .assert_token_endpoint_refused();
    // Every token of the session goes, not only the one presented.
    app.secret(&tokens.access).await.assert_token_not_valid();
    app.refresh(&rotated.refresh)
        .await
        .assert_token_endpoint_refused();
    app.verify(&rotated.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn a_logged_out_access_token_cannot_log_out_again() {
    let (app, tokens) = spawn_app_and_alice().await;
    app.logout(&tokens.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.logout(&tokens.access, None)
        .await
        .assert_token_not_valid();
}

#[tokio::test]
async fn logout_leaves_the_users_other_sessions_working() {
    let app = spawn_app().await;
    let (phone, laptop) = app.alice_in_two_sessions().await;

    app.logout(&phone.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.secret(&laptop.access)
        .await
        .assert_status(StatusCode::OK);
    let next = app.rotate(&laptop.refresh).await;
    app.secret(&next.access).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn logout_with_the_refresh_token_in_the_body_revokes_it() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.logout(&tokens.access, Some(&tokens.refresh))
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.refresh(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
    app.secret(&tokens.access).await.assert_token_not_valid();
}

#[tokio::test]
async fn logout_requires_an_access_token() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.request_with_header(Method::POST, "/auth/logout/", None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": NO_CREDENTIALS }),
        );
    // A refresh token is not an access token, here as anywhere.
    let messages = app
        .logout(&tokens.refresh, None)
        .await
        .assert_token_not_valid();
    assert!(
        messages.iter().any(|m| m == "Token has wrong type"),
        "{messages:?}"
    );
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn blacklisting_a_refresh_token_answers_an_empty_object_and_revokes_it() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.blacklist(&tokens.refresh)
        .await
        .assert(StatusCode::OK, json!({}));

    app.refresh(&tokens.refresh).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "Token is blacklisted", "code": "token_not_valid"}),
    );
    app.verify(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn blacklisting_a_refresh_token_revokes_the_sessions_access_tokens() {
    let (app, tokens) = spawn_app_and_alice().await;
    let rotated = app.rotate(&tokens.refresh).await;

    app.blacklist(&rotated.refresh)
        .await
        .assert(StatusCode::OK, json!({}));

    for access in [&tokens.access, &rotated.access] {
        app.secret(access).await.assert_token_not_valid();
        app.verify(access).await.assert_token_endpoint_refused();
    }
}

#[tokio::test]
async fn blacklisting_leaves_the_users_other_sessions_working() {
    let app = spawn_app().await;
    let (phone, laptop) = app.alice_in_two_sessions().await;

    app.blacklist(&phone.refresh)
        .await
        .assert(StatusCode::OK, json!({}));

    app.secret(&laptop.access)
        .await
        .assert_status(StatusCode::OK);
    app.rotate(&laptop.refresh).await;
}

#[tokio::test]
async fn blacklisting_an_access_token_is_refused_as_the_wrong_type() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.blacklist(&tokens.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "Token has wrong type", "code": "token_not_valid"}),
    );
    // Nothing was revoked by the refused request.
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
    app.rotate(&tokens.refresh).await;
}

#[tokio::test]
async fn blacklist_requires_the_refresh_field_and_refuses_garbage() {
    let app = spawn_app().await;

    app.post_json("/api/token/blacklist/", &json!({}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"refresh": ["This field is required."]}),
        );
    app.blacklist("garbage")
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn blacklisting_twice_is_refused_the_second_time() {
    let (app, tokens) = spawn_app_and_alice().await;
    app.blacklist(&tokens.refresh)
        .await
        .assert(StatusCode::OK, json!({}));

    app.blacklist(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
}
