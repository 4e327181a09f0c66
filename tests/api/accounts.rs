//! djoser's account endpoints beyond registration: listing and editing users, deleting,
//! set_password and set_username, and their effect on credentials already issued.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

const INVALID_PASSWORD: &str = "Invalid password.";
const NEW_PASSWORD: &str = "another-fine-passphrase-77";

fn bearer(tokens: &Tokens) -> String {
    format!("Bearer {}", tokens.access)
}

#[tokio::test]
async fn non_staff_see_only_themselves_and_staff_see_everyone() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice_id, alice) = app.alice().await;
    let bob_id = app.create_user("bob", PASSWORD).await;

    app.call(Method::GET, "/auth/users/", &bearer(&alice), None)
        .await
        .assert(
            StatusCode::OK,
            json!([{"email": "", "id": alice_id, "username": "alice"}]),
        );
    let all = app
        .call(Method::GET, "/auth/users/", &bearer(&admin), None)
        .await;
    assert_eq!(
        all.assert_status(StatusCode::OK).as_array().unwrap().len(),
        3
    );

    let bobs = format!("/auth/users/{bob_id}/");
    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        app.call(
            method.clone(),
            &bobs,
            &bearer(&alice),
            Some(&json!({"current_password": PASSWORD})),
        )
        .await
        .assert(StatusCode::NOT_FOUND, json!({"detail": "Not found."}));
    }
    app.call(Method::GET, &bobs, &bearer(&admin), None)
        .await
        .assert(
            StatusCode::OK,
            json!({"email": "", "id": bob_id, "username": "bob"}),
        );
    app.call(Method::GET, "/auth/users/", "", None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn staff_edit_email_and_flags_but_users_change_only_their_email() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice_id, alice) = app.alice().await;
    let alices = format!("/auth/users/{alice_id}/");

    app.call(
        Method::PATCH,
        &alices,
        &bearer(&alice),
        Some(&json!({"email": "a@example.com", "is_staff": true})),
    )
    .await
    .assert_status(StatusCode::OK);
    assert_eq!(
        app.db_number(&format!(
            "SELECT count(*) FROM users WHERE id = {alice_id} AND is_staff"
        )),
        0,
        "is_staff is read-only for non-staff"
    );
    app.call(
        Method::PUT,
        &alices,
        &bearer(&admin),
        Some(&json!({"email": "b@example.com", "is_staff": "true"})),
    )
    .await
    .assert(
        StatusCode::OK,
        json!({"email": "b@example.com", "id": alice_id, "username": "alice"}),
    );
    app.call(
        Method::PATCH,
        &alices,
        &bearer(&admin),
        Some(&json!({"is_active": "maybe", "email": "not an address"})),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"email": ["Enter a valid email address."], "is_active": ["Must be a valid boolean."]}),
    );
}

#[tokio::test]
async fn deactivating_a_user_stops_their_tokens_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice_id, alice) = app.alice().await;
    app.call(
        Method::PATCH,
        &format!("/auth/users/{alice_id}/"),
        &bearer(&admin),
        Some(&json!({"is_active": false})),
    )
    .await
    .assert_status(StatusCode::OK);

    app.secret(&alice.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User is inactive", "code": "user_inactive"}),
    );
    app.refresh(&alice.refresh).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": NO_ACCOUNT_FOR_TOKEN }),
    );
}

#[tokio::test]
async fn deleting_yourself_needs_the_current_password_and_ends_every_credential() {
    let app = spawn_app().await;
    let (_, alice) = app.alice().await;
    let key = app.key("alice", PASSWORD).await;

    app.call(
        Method::DELETE,
        "/auth/users/me/",
        &bearer(&alice),
        Some(&json!({})),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"current_password": ["This field is required."]}),
    );
    app.call(
        Method::DELETE,
        "/auth/users/me/",
        &bearer(&alice),
        Some(&json!({"current_password": "wrong-password-9"})),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({ "current_password": [INVALID_PASSWORD] }),
    );
    app.call(
        Method::DELETE,
        "/auth/users/me/",
        &bearer(&alice),
        Some(&json!({ "current_password": PASSWORD })),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);

    app.secret(&alice.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({"detail": "User not found", "code": "user_not_found"}),
    );
    app.call(Method::GET, "/api/secret/", &format!("Token {key}"), None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Invalid token."}),
        );
    app.refresh(&alice.refresh).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": NO_ACCOUNT_FOR_TOKEN }),
    );
    app.login("alice", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn staff_delete_other_users_without_a_password() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (alice_id, alice) = app.alice().await;
    app.call(
        Method::DELETE,
        &format!("/auth/users/{alice_id}/"),
        &bearer(&admin),
        None,
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    app.secret(&alice.access)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.call(
        Method::DELETE,
        &format!("/auth/users/{alice_id}/"),
        &bearer(&admin),
        None,
    )
    .await
    .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn set_password_checks_both_passwords_and_ends_every_other_session() {
    let app = spawn_app().await;
    let (this, other) = app.alice_in_two_sessions().await;
    let key = app.key("alice", PASSWORD).await;

    let set = async |current: &str, new: &str| {
        let body = json!({"current_password": current, "new_password": new});
        app.call(
            Method::POST,
            "/auth/users/set_password/",
            &bearer(&this),
            Some(&body),
        )
        .await
    };
    set("wrong-password-9", NEW_PASSWORD).await.assert(
        StatusCode::BAD_REQUEST,
        json!({ "current_password": [INVALID_PASSWORD] }),
    );
    set(PASSWORD, "12345678").await.assert(
        StatusCode::BAD_REQUEST,
        json!({"new_password": ["This password is too common.", "This password is entirely numeric."]}),
    );
    app.call(Method::POST, "/auth/users/set_password/", &bearer(&this), Some(&json!({})))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"current_password": ["This field is required."], "new_password": ["This field is required."]}),
        );
    app.secret(&other.access)
        .await
        .assert_status(StatusCode::OK);

    set(PASSWORD, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    // The caller's session stays; the other session and the key end at once.
    app.secret(&this.access).await.assert_status(StatusCode::OK);
    app.rotate(&this.refresh).await;
    app.secret(&other.access).await.assert_token_not_valid();
    app.refresh(&other.refresh)
        .await
        .assert_token_endpoint_refused();
    app.call(Method::GET, "/api/secret/", &format!("Token {key}"), None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login("alice", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login("alice", NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn set_username_follows_the_registration_rules() {
    let app = spawn_app().await;
    let (_, alice) = app.alice().await;
    app.create_user("bob", PASSWORD).await;
    let rename = async |name: &str, password: &str| {
        let body = json!({"new_username": name, "current_password": password});
        app.call(
            Method::POST,
            "/auth/users/set_username/",
            &bearer(&alice),
            Some(&body),
        )
        .await
    };
    rename("bob", PASSWORD).await.assert(
        StatusCode::BAD_REQUEST,
        json!({"new_username": ["A user with that username already exists."]}),
    );
    rename("no spaces allowed", PASSWORD)
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    rename("alice2", "wrong-password-9").await.assert(
        StatusCode::BAD_REQUEST,
        json!({ "current_password": [INVALID_PASSWORD] }),
    );
    rename("alice2", PASSWORD)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.login("alice2", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    app.login("alice", PASSWORD)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}
