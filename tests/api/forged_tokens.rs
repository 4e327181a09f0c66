//! Forged and malformed tokens (RFC 8725, the jwt_tool attack list, docs/security.md "Tokens"):
//! each is a 401 `token_not_valid` that changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::jwt;

/// Tokens that are refused wherever an access token is expected.
fn forgeries(access: &str) -> Vec<(&'static str, String)> {
    let claims = jwt::claims(access);
    let with = |key: &str, value: Value| resigned(access, &[(key, value)], TEST_SECRET);
    let without = |key: &str| {
        let mut c = claims.clone();
        c.as_object_mut().unwrap().remove(key);
        jwt::sign(&hs256(), &c, TEST_SECRET)
    };
    let header_with = |key: &str, value: Value| {
        let mut h = hs256();
        h[key] = value;
        jwt::sign(&h, &claims, TEST_SECRET)
    };
    let (signed, _) = access.rsplit_once('.').unwrap();
    let mut tampered = claims.clone();
    tampered["user_id"] = json!("2");
    let now = now();
    vec![
        ("alg none", jwt::unsigned(&claims)),
        ("empty signature", format!("{signed}.")),
        (
            "HS512 with the right secret",
            jwt::sign(&json!({"alg": "HS512", "typ": "JWT"}), &claims, TEST_SECRET),
        ),
        (
            "lowercase alg",
            jwt::sign(&json!({"alg": "hs256", "typ": "JWT"}), &claims, TEST_SECRET),
        ),
        (
            "HS256 with another secret",
            resigned(access, &[], OTHER_SECRET),
        ),
        ("tampered payload", jwt::with_payload(access, &tampered)),
        (
            "jku header",
            header_with("jku", json!("http://evil.example/jwks.json")),
        ),
        (
            "x5u header",
            header_with("x5u", json!("http://evil.example/cert.pem")),
        ),
        (
            "jwk header",
            header_with(
                "jwk",
                json!({"kty": "oct", "k": jwt::b64_encode(OTHER_SECRET.as_bytes())}),
            ),
        ),
        (
            "kid path",
            header_with("kid", json!("../../../../../dev/null")),
        ),
        (
            "kid sql",
            header_with("kid", json!("' UNION SELECT 'key' --")),
        ),
        ("kid huge", header_with("kid", json!("k".repeat(3000)))),
        ("user_id number", with("user_id", json!(1))),
        ("user_id float", with("user_id", json!(1.0))),
        ("user_id bool", with("user_id", json!(true))),
        ("user_id null", with("user_id", Value::Null)),
        ("user_id sql", with("user_id", json!("1 OR 1=1"))),
        ("user_id missing", without("user_id")),
        (
            "iat in the future",
            resigned(
                access,
                &[("iat", json!(now + 3600)), ("exp", json!(now + 3900))],
                TEST_SECRET,
            ),
        ),
        ("nbf in the future", with("nbf", json!(now + 3600))),
        (
            "exp as a string",
            with("exp", json!((now + 3600).to_string())),
        ),
        ("exp missing", without("exp")),
        ("iat missing", without("iat")),
        ("jti missing", without("jti")),
        ("token_type missing", without("token_type")),
        ("token_type admin", with("token_type", json!("admin"))),
        ("expired", expired_since(access, 10)),
        ("garbage", "not-a-jwt".to_owned()),
        ("three dots", "a.b.c".to_owned()),
        ("dots only", "....".to_owned()),
        ("header only", jwt::b64_encode(br#"{"alg":"HS256"}"#)),
        ("not base64", "%%%.%%%.%%%".to_owned()),
        (
            "json payload not an object",
            jwt::sign(&hs256(), &json!([1, 2]), TEST_SECRET),
        ),
        ("long garbage", "A".repeat(4000)),
    ]
}

#[tokio::test]
async fn the_forging_machinery_itself_produces_accepted_tokens() {
    // Control: re-signing unchanged claims with the test secret yields a token the service takes,
    // so every refusal below is caused by the one thing each forgery changes.
    let (app, tokens) = spawn_app_and_alice().await;
    let resigned = resigned(&tokens.access, &[], TEST_SECRET);

    app.secret(&resigned).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn forged_access_tokens_are_refused_on_protected_routes() {
    let (app, tokens) = spawn_app_and_alice().await;

    for (name, token) in forgeries(&tokens.access) {
        let reply = app.secret(&token).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {}",
            reply.text
        );
        assert_eq!(
            reply.body["code"], "token_not_valid",
            "{name}: {}",
            reply.text
        );
        assert!(reply.body["messages"].is_array(), "{name}: {}", reply.text);
    }
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn forged_tokens_fail_verification() {
    let (app, tokens) = spawn_app_and_alice().await;

    for (name, token) in forgeries(&tokens.access) {
        let reply = app.verify(&token).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{name}: {}",
            reply.text
        );
        assert_eq!(
            reply.body["code"], "token_not_valid",
            "{name}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn forged_refresh_tokens_are_refused_and_do_not_consume_the_real_one() {
    let (app, tokens) = spawn_app_and_alice().await;

    for (name, token) in forgeries(&tokens.refresh) {
        for path in ["/api/token/refresh/", "/api/token/blacklist/"] {
            let reply = app.post_json(path, &json!({ "refresh": token })).await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{name} {path}: {}",
                reply.text
            );
            assert_eq!(
                reply.body["code"], "token_not_valid",
                "{name} {path}: {}",
                reply.text
            );
        }
    }
    let new = app.rotate(&tokens.refresh).await;
    app.secret(&new.access).await.assert_status(StatusCode::OK);
}

#[tokio::test]
async fn an_expired_token_is_reported_as_expired() {
    let (app, tokens) = spawn_app_and_alice().await;
    let expired = expired_since(&tokens.access, 10);

    let messages = app.secret(&expired).await.assert_token_not_valid();

    assert!(
        messages.iter().any(|m| m == "Token is expired"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn leeway_tolerates_a_recently_expired_token_only_when_configured() {
    let app = spawn_app_with(&[("leeway", "60s")]).await;
    let (_, tokens) = app.alice().await;
    let recently_expired = expired_since(&tokens.access, 10);
    let long_expired = expired_since(&tokens.access, 100);

    app.secret(&recently_expired)
        .await
        .assert_status(StatusCode::OK);
    app.secret(&long_expired).await.assert_token_not_valid();
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token() {
    let (app, tokens) = spawn_app_and_alice().await;

    for reply in [
        app.secret(&tokens.refresh).await,
        app.me(&tokens.refresh).await,
    ] {
        let messages = reply.assert_token_not_valid();
        assert!(
            messages.iter().any(|m| m == "Token has wrong type"),
            "{messages:?}"
        );
    }
}
