//! Settings that change what tokens carry or how they are presented: issuer and audience, the
//! user id claim name, and the accepted header types.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::jwt;

#[tokio::test]
async fn a_configured_issuer_and_audience_are_issued_and_required() {
    let app = spawn_app_with(&[
        ("issuer", "https://auth.example.com"),
        ("audience", "my-api"),
    ])
    .await;
    let (_, tokens) = app.alice().await;
    let claims = jwt::claims(&tokens.access);
    assert_eq!(claims["iss"], "https://auth.example.com");
    assert_eq!(claims["aud"], "my-api");
    assert_eq!(
        jwt::claims(&tokens.refresh)["iss"],
        "https://auth.example.com"
    );
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let variant = |key: &str, value: Option<&str>| {
        let mut c = claims.clone();
        match value {
            Some(v) => c[key] = json!(v),
            None => {
                c.as_object_mut().unwrap().remove(key);
            }
        }
        jwt::sign(&header, &c, TEST_SECRET)
    };

    // Control: the same claims re-signed are accepted.
    app.secret(&jwt::sign(&header, &claims, TEST_SECRET))
        .await
        .assert_status(StatusCode::OK);
    for forged in [
        variant("iss", None),
        variant("iss", Some("https://evil.example.com")),
        variant("aud", None),
        variant("aud", Some("other-api")),
    ] {
        app.secret(&forged).await.assert_token_not_valid();
    }
    app.rotate(&tokens.refresh).await;
}

#[tokio::test]
async fn the_user_id_claim_name_is_configurable() {
    let app = spawn_app_with(&[("user_id_claim", "uid")]).await;
    let (id, tokens) = app.alice().await;

    let claims = jwt::claims(&tokens.access);
    assert_eq!(claims["uid"], json!(id.to_string()));
    assert!(claims.get("user_id").is_none(), "{claims}");
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn only_the_configured_header_types_are_accepted() {
    let app = spawn_app_with(&[("auth_header_types", "JWT")]).await;
    let (_, tokens) = app.alice().await;

    app.request_with_header(
        Method::GET,
        "/api/secret/",
        Some(&format!("JWT {}", tokens.access)),
    )
    .await
    .assert_status(StatusCode::OK);
    app.secret(&tokens.access).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": NO_CREDENTIALS }),
    );
}
