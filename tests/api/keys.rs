//! Opaque `Token` keys (DRF authtoken, djoser's token views): one per login, stored hashed,
//! accepted by every protected route, ended one at a time.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

const UNABLE: &str = "Unable to log in with provided credentials.";

fn token(key: &str) -> String {
    format!("Token {key}")
}

#[tokio::test]
async fn both_key_views_issue_a_40_hex_key_that_protected_routes_accept() {
    let app = spawn_app().await;
    let id = app.create_user("alice", PASSWORD).await;

    let drf = app.key("alice", PASSWORD).await;
    let reply = app
        .post_json(
            "/auth/token/login/",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let djoser = reply.assert_status(StatusCode::OK)["auth_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    for key in [&drf, &djoser] {
        assert_eq!(key.len(), 40);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        app.call(Method::GET, "/api/secret/", &token(key), None)
            .await
            .assert(StatusCode::OK, json!({"message": "Some secret message"}));
        let me = app
            .call(Method::GET, "/auth/users/me/", &token(key), None)
            .await;
        assert_eq!(me.assert_status(StatusCode::OK)["id"], id);
    }
    assert_ne!(drf, djoser, "one key per login");
    // The keyword is case-insensitive.
    app.call(Method::GET, "/api/secret/", &format!("tOkEn {drf}"), None)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn keys_are_stored_only_as_their_sha256() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = app.key("alice", PASSWORD).await;
    let stored = app.db_number(&format!(
        "SELECT count(*) FROM auth_keys WHERE key_hash = '{}'",
        sha256_hex(&key)
    ));
    assert_eq!(stored, 1);
    let plain = app.db_number(&format!(
        "SELECT count(*) FROM auth_keys WHERE key_hash = '{key}' OR sid = '{key}'"
    ));
    assert_eq!(plain, 0, "the key itself is nowhere in the table");
}

/// SHA-256 written out by the test (no shared code with the service).
fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[tokio::test]
async fn bad_credentials_get_drf_s_400_on_both_views_and_missing_fields_are_named() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    for path in ["/api/api-token-auth/", "/auth/token/login/"] {
        for (username, password) in [("alice", "wrong-password-1"), ("nobody", PASSWORD)] {
            app.post_form(path, &[("username", username), ("password", password)])
                .await
                .assert(
                    StatusCode::BAD_REQUEST,
                    json!({"non_field_errors": [UNABLE]}),
                );
        }
        app.post_json(path, &json!({"password": PASSWORD}))
            .await
            .assert(
                StatusCode::BAD_REQUEST,
                json!({"username": ["This field is required."]}),
            );
    }
    assert_eq!(app.db_number("SELECT count(*) FROM auth_keys"), 0);
}

#[tokio::test]
async fn malformed_and_unknown_keys_get_drf_s_answers_with_a_token_challenge() {
    let app = spawn_app().await;
    let unknown = "0123456789abcdef0123456789abcdef01234567".to_owned();
    for (header, detail) in [
        (token(&unknown), "Invalid token."),
        ("Token not-a-key".to_owned(), "Invalid token."),
        (
            "Token".to_owned(),
            "Invalid token header. No credentials provided.",
        ),
        (
            "Token abc def".to_owned(),
            "Invalid token header. Token string should not contain spaces.",
        ),
    ] {
        let reply = app.call(Method::GET, "/api/secret/", &header, None).await;
        reply.assert(StatusCode::UNAUTHORIZED, json!({ "detail": detail }));
        assert_eq!(reply.header("www-authenticate"), Some("Token"), "{header}");
    }
}

#[tokio::test]
async fn logging_out_ends_just_that_key_and_a_logged_out_key_stays_refused() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let (phone, laptop) = (
        app.key("alice", PASSWORD).await,
        app.key("alice", PASSWORD).await,
    );
    // Both used once, so both are in the key cache.
    for key in [&phone, &laptop] {
        app.call(Method::GET, "/api/secret/", &token(key), None)
            .await
            .assert_status(StatusCode::OK);
    }

    app.call(Method::POST, "/auth/token/logout/", &token(&phone), None)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    app.call(Method::GET, "/api/secret/", &token(&phone), None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Invalid token."}),
        );
    app.call(Method::GET, "/api/secret/", &token(&laptop), None)
        .await
        .assert_status(StatusCode::OK);
    // Logging out again with the ended key is refused, and after a restart too.
    app.call(Method::POST, "/auth/token/logout/", &token(&phone), None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(app.db_number("SELECT count(*) FROM auth_keys"), 1);
}

#[tokio::test]
async fn a_logged_out_key_is_refused_after_a_restart() {
    let mut app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let key = app.key("alice", PASSWORD).await;
    app.call(Method::POST, "/auth/token/logout/", &token(&key), None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.restart().await;
    app.call(Method::GET, "/api/secret/", &token(&key), None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Invalid token."}),
        );
}

#[tokio::test]
async fn keys_expire_when_a_lifetime_is_set() {
    // Long enough that the first call is inside it even on a loaded machine.
    let app = spawn_app_with(&[("token_key_lifetime", "3s")]).await;
    app.create_user("alice", PASSWORD).await;
    let key = app.key("alice", PASSWORD).await;
    app.call(Method::GET, "/api/secret/", &token(&key), None)
        .await
        .assert_status(StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
    app.call(Method::GET, "/api/secret/", &token(&key), None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Invalid token."}),
        );
}

#[tokio::test]
async fn a_deactivated_user_s_key_is_refused_at_once() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let id = app.create_user("alice", PASSWORD).await;
    let key = app.key("alice", PASSWORD).await;
    app.call(Method::GET, "/api/secret/", &token(&key), None)
        .await
        .assert_status(StatusCode::OK);

    app.call(
        Method::PATCH,
        &format!("/auth/users/{id}/"),
        &format!("Bearer {}", admin.access),
        Some(&json!({"is_active": false})),
    )
    .await
    .assert_status(StatusCode::OK);

    app.call(Method::GET, "/api/secret/", &token(&key), None)
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "User inactive or deleted."}),
        );
    app.post_form(
        "/api/api-token-auth/",
        &[("username", "alice"), ("password", PASSWORD)],
    )
    .await
    .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bearer_tokens_still_work_next_to_keys_and_logout_via_a_key_leaves_jwt_sessions() {
    let app = spawn_app().await;
    let (_, tokens) = app.alice().await;
    let key = app.key("alice", PASSWORD).await;
    app.call(Method::POST, "/auth/token/logout/", &token(&key), None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
    app.refresh(&tokens.refresh)
        .await
        .assert_status(StatusCode::OK);
}
