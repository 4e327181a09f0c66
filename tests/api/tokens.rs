//! `POST /api/token/`, `/api/token/refresh/`, `/api/token/verify/`, their djoser aliases, and
//! the claims the tokens carry (docs/wire-contract.md "Token endpoints" and "Claims").

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;
use crate::jwt;

#[tokio::test]
async fn login_with_valid_credentials_returns_a_refresh_and_an_access_token() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    let reply = app.login("alice", PASSWORD).await;

    reply.assert_status(StatusCode::OK);
    // simplejwt's two tokens, and the expiry of each (issue 13, part 3).
    assert_eq!(
        keys(&reply.body),
        [
            "access",
            "access_expires_at",
            // `[device_tokens]`: this device's token (README "Device tokens").
            "device_token",
            "expires_in",
            "refresh",
            "refresh_expires_at"
        ]
    );
    let tokens = tokens_of(&reply);
    assert_eq!(jwt::claims(&tokens.access)["token_type"], "access");
    assert_eq!(jwt::claims(&tokens.refresh)["token_type"], "refresh");
}

#[tokio::test]
async fn login_accepts_a_form_encoded_body() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    let reply = app
        .post_form(
            "/api/token/",
            &[("username", "alice"), ("password", PASSWORD)],
        )
        .await;

    let tokens = tokens_of(&reply);
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn login_and_refresh_responses_forbid_caching() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    let login = app.login("alice", PASSWORD).await;
    let refresh = app.refresh(&tokens_of(&login).refresh).await;

    for reply in [&login, &refresh] {
        reply.assert_status(StatusCode::OK);
        let cache_control = reply.header("cache-control").unwrap_or_default();
        assert!(
            cache_control.contains("no-store"),
            "Cache-Control: {cache_control:?}"
        );
        assert_eq!(reply.header("pragma"), Some("no-cache"));
    }
}

#[tokio::test]
async fn an_access_token_carries_the_contract_claims() {
    let app = spawn_app().await;
    let (id, tokens) = app.alice().await;

    let header = jwt::header(&tokens.access);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["typ"], "JWT");
    // Every token names its key (the default HMAC key's kid is derived from the secret).
    let kid = header["kid"].as_str().unwrap_or_default();
    assert_eq!(kid.len(), 16, "header: {header}");
    assert!(
        kid.bytes().all(|b| b.is_ascii_hexdigit()),
        "header: {header}"
    );

    let claims = jwt::claims(&tokens.access);
    assert_eq!(claims["token_type"], "access");
    assert_eq!(
        claims["user_id"],
        json!(id.to_string()),
        "user_id is a string"
    );
    assert!(is_lower_hex_32(&claims["jti"]), "jti: {}", claims["jti"]);
    assert!(is_lower_hex_32(&claims["sid"]), "sid: {}", claims["sid"]);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 300, "access lifetime");
    assert!((iat - now()).abs() <= 5, "iat {iat} is now");
    let auth_time = claims["auth_time"].as_i64().expect("auth_time is a number");
    assert!(auth_time <= iat && iat - auth_time <= 5);
}

#[tokio::test]
async fn a_refresh_token_carries_the_contract_claims_and_the_login_session() {
    let app = spawn_app().await;
    let (id, tokens) = app.alice().await;

    assert_eq!(jwt::header(&tokens.refresh)["alg"], "HS256");
    let claims = jwt::claims(&tokens.refresh);
    assert_eq!(claims["token_type"], "refresh");
    assert_eq!(claims["user_id"], json!(id.to_string()));
    assert!(is_lower_hex_32(&claims["jti"]));
    assert_eq!(claims["sid"], jwt::claims(&tokens.access)["sid"]);
    assert_ne!(claims["jti"], jwt::claims(&tokens.access)["jti"]);
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 86_400, "refresh lifetime");
}

#[tokio::test]
async fn tokens_are_signed_with_hs256_under_the_configured_secret() {
    let (_app, tokens) = spawn_app_and_alice().await;

    for token in [&tokens.access, &tokens.refresh] {
        assert!(jwt::hs256_signature_is_valid(token, TEST_SECRET), "{token}");
        assert!(!jwt::hs256_signature_is_valid(
            token,
            "another-secret-that-is-long-enough-000"
        ));
    }
}

#[tokio::test]
async fn each_login_starts_a_new_session() {
    let app = spawn_app().await;
    let (first, second) = app.alice_in_two_sessions().await;

    let (a, b) = (jwt::claims(&first.refresh), jwt::claims(&second.refresh));
    assert_ne!(a["sid"], b["sid"]);
    assert_ne!(a["jti"], b["jti"]);
}

#[tokio::test]
async fn a_wrong_password_is_refused_with_the_generic_message() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    app.login("alice", "not-the-password-at-all").await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );
}

#[tokio::test]
async fn an_unknown_username_gets_exactly_the_answer_of_a_wrong_password() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    let wrong_password = app.login("alice", "not-the-password-at-all").await;
    let unknown_user = app.login("nobody", "not-the-password-at-all").await;

    unknown_user.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );
    assert_eq!(wrong_password.status, unknown_user.status);
    assert_eq!(wrong_password.text, unknown_user.text);
}

#[tokio::test]
async fn an_inactive_user_cannot_log_in_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    app.db_execute("UPDATE users SET is_active = false WHERE username = 'alice'");

    app.login("alice", PASSWORD).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );
}

#[tokio::test]
async fn login_without_fields_lists_every_missing_field() {
    let app = spawn_app().await;

    app.post_json("/api/token/", &json!({})).await.assert(
        StatusCode::BAD_REQUEST,
        json!({
            "username": ["This field is required."],
            "password": ["This field is required."],
        }),
    );
    app.post_json("/api/token/", &json!({"username": "alice"}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"password": ["This field is required."]}),
        );
}

#[tokio::test]
async fn login_records_last_login() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    app.db_execute("UPDATE users SET last_login = NULL");

    app.tokens("alice", PASSWORD).await;

    let recorded = app.db_number("SELECT count(*) FROM users WHERE last_login IS NOT NULL");
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn verify_accepts_a_valid_access_token_and_a_valid_refresh_token() {
    let (app, tokens) = spawn_app_and_alice().await;

    app.verify(&tokens.access)
        .await
        .assert(StatusCode::OK, json!({}));
    app.verify(&tokens.refresh)
        .await
        .assert(StatusCode::OK, json!({}));
}

#[tokio::test]
async fn verify_refuses_garbage_and_requires_the_token_field() {
    let app = spawn_app().await;

    app.verify("not-a-token")
        .await
        .assert_token_endpoint_refused();
    app.post_json("/api/token/verify/", &json!({}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"token": ["This field is required."]}),
        );
}

#[tokio::test]
async fn refresh_returns_a_new_pair_in_the_same_session() {
    let app = spawn_app().await;
    let (id, tokens) = app.alice().await;

    let reply = app.refresh(&tokens.refresh).await;

    assert_eq!(
        keys(reply.assert_status(StatusCode::OK)),
        [
            "access",
            "access_expires_at",
            "expires_in",
            "refresh",
            "refresh_expires_at"
        ]
    );
    let new = tokens_of(&reply);
    assert_ne!(new.refresh, tokens.refresh);
    let (old, rotated, access) = (
        jwt::claims(&tokens.refresh),
        jwt::claims(&new.refresh),
        jwt::claims(&new.access),
    );
    assert_eq!(rotated["token_type"], "refresh");
    assert_eq!(access["token_type"], "access");
    assert_eq!(rotated["sid"], old["sid"]);
    assert_eq!(access["sid"], old["sid"]);
    assert_ne!(rotated["jti"], old["jti"]);
    assert_eq!(access["user_id"], json!(id.to_string()));
    app.secret(&new.access).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_chain_of_rotations_keeps_working_and_keeps_the_session_id() {
    let (app, tokens) = spawn_app_and_alice().await;
    let sid = jwt::claims(&tokens.refresh)["sid"].clone();

    let mut refresh = tokens.refresh;
    for _ in 0..3 {
        let new = app.rotate(&refresh).await;
        assert_eq!(jwt::claims(&new.refresh)["sid"], sid);
        app.secret(&new.access).await.assert_status(StatusCode::OK);
        refresh = new.refresh;
    }
    app.verify(&refresh).await.assert(StatusCode::OK, json!({}));
}

#[tokio::test]
async fn the_djoser_aliases_behave_like_the_simplejwt_endpoints() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    let created = app
        .post_json(
            "/auth/jwt/create/",
            &json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let tokens = tokens_of(&created);
    app.post_json("/auth/jwt/verify/", &json!({"token": tokens.access}))
        .await
        .assert(StatusCode::OK, json!({}));
    let refreshed = app
        .post_json("/auth/jwt/refresh/", &json!({"refresh": tokens.refresh}))
        .await;
    let new = tokens_of(&refreshed);
    app.secret(&new.access).await.assert_status(StatusCode::OK);
    app.post_json("/auth/jwt/refresh/", &json!({"refresh": tokens.refresh}))
        .await
        .assert(
            StatusCode::UNAUTHORIZED,
            json!({"detail": "Token is blacklisted", "code": "token_not_valid"}),
        );
    app.post_json(
        "/auth/jwt/create/",
        &json!({"username": "alice", "password": "wrong-password-here"}),
    )
    .await
    .assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );
}

#[tokio::test]
async fn the_protected_resource_answers_a_valid_access_token() {
    let (app, tokens) = spawn_app_and_alice().await;

    let reply = app.secret(&tokens.access).await;

    assert_eq!(keys(reply.assert_status(StatusCode::OK)), ["message"]);
    assert!(reply.body["message"].is_string());
}

#[tokio::test]
async fn healthz_answers_json_without_authentication() {
    let app = spawn_app().await;

    let reply = app.healthz().await;

    reply.assert_status(StatusCode::OK);
    assert!(reply.body.is_object(), "body: {}", reply.text);
    let content_type = reply.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
}
