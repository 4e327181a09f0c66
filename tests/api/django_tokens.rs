//! The live cut-over from Django (`[django_tokens]`): the access and refresh tokens
//! simplejwt issued keep working, a refresh token becomes a bouncer session once, and nothing
//! else signed with the Django key gets in. The tokens are minted here as simplejwt mints
//! them, with the `jsonwebtoken` crate.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::jwt;

/// Django's `SECRET_KEY`: weak by bouncer's rules, as such keys often are.
const DJANGO_KEY: &str = "django-insecure-cut-over-tests-7#x";
const ON: (&str, &str) = ("django_tokens.signing_key", DJANGO_KEY);
const MANAGER_VIEW: &str = "/api/manager-view/";

/// simplejwt's claims for a token of `token_type` for `user_id`, issued `age` seconds ago and
/// living `lifetime` seconds.
fn claims(token_type: &str, user_id: i64, age: i64, lifetime: i64) -> Value {
    let iat = now() - age;
    json!({
        "token_type": token_type,
        "exp": iat + lifetime,
        "iat": iat,
        "jti": uuid::Uuid::new_v4().simple().to_string(),
        "user_id": user_id,
    })
}

fn sign_with(claims: &Value, algorithm: Algorithm, key: &str) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key.as_bytes()),
    )
    .expect("jsonwebtoken signs")
}

/// A token as simplejwt mints it with the Django key: HS256, `{"alg", "typ"}`.
fn simplejwt(claims: &Value) -> String {
    sign_with(claims, Algorithm::HS256, DJANGO_KEY)
}

fn access_for(user_id: i64) -> String {
    simplejwt(&claims("access", user_id, 10, 300))
}

fn refresh_for(user_id: i64) -> String {
    simplejwt(&claims("refresh", user_id, 3600, 86_400))
}

async fn spawn_on() -> TestApp {
    spawn_app_with(&[ON]).await
}

#[tokio::test]
async fn a_django_access_token_works_on_protected_routes_with_current_rights() {
    let app = spawn_on().await;
    let admin = app.admin().await;
    let id = app.create_user("alice", PASSWORD).await;
    let access = access_for(id);
    app.secret(&access).await.assert_status(StatusCode::OK);
    let me = app.me(&access).await;
    assert_eq!(me.assert_status(StatusCode::OK)["username"], "alice");
    let bearer = format!("Bearer {access}");
    app.call(Method::GET, MANAGER_VIEW, &bearer, None)
        .await
        .assert_status(StatusCode::FORBIDDEN);
    app.call(
        Method::POST,
        "/api/groups/manager/users",
        &format!("Bearer {}", admin.access),
        Some(&json!({"username": "alice"})),
    )
    .await
    .assert_status(StatusCode::CREATED);
    app.call(Method::GET, MANAGER_VIEW, &bearer, None)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_django_refresh_token_becomes_a_bouncer_session_once() {
    let app = spawn_on().await;
    let id = app.create_user("alice", PASSWORD).await;
    let refresh = refresh_for(id);
    let pair = app.rotate(&refresh).await;
    // A bouncer pair: it names its key and session, and works like any other.
    assert!(jwt::header(&pair.access)["kid"].is_string());
    assert!(jwt::claims(&pair.refresh)["sid"].is_string());
    app.secret(&pair.access).await.assert_status(StatusCode::OK);
    let next = app.rotate(&pair.refresh).await;
    app.secret(&next.access).await.assert_status(StatusCode::OK);
    let sessions = app
        .send(
            app.client
                .get(app.url("/auth/sessions/"))
                .bearer_auth(&next.access),
        )
        .await;
    assert_eq!(
        sessions
            .assert_status(StatusCode::OK)
            .as_array()
            .map(Vec::len),
        Some(1),
        "{}",
        sessions.text
    );
    // The Django token is spent: its reuse is a replay, which ends the session it became.
    app.verify(&refresh).await.assert_token_endpoint_refused();
    app.refresh(&refresh).await.assert_token_endpoint_refused();
    app.refresh(&next.refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn with_rotation_off_a_django_refresh_token_keeps_working_as_in_django() {
    let app = spawn_app_with(&[ON, ("rotate_refresh_tokens", "false")]).await;
    let id = app.create_user("alice", PASSWORD).await;
    let refresh = refresh_for(id);
    for _ in 0..2 {
        let reply = app.refresh(&refresh).await;
        let body = reply.assert_status(StatusCode::OK);
        assert!(body["refresh"].is_null(), "{}", reply.text);
        let access = body["access"].as_str().unwrap();
        app.secret(access).await.assert_status(StatusCode::OK);
    }
    app.blacklist(&refresh).await.assert_status(StatusCode::OK);
    app.refresh(&refresh).await.assert_token_endpoint_refused();
}

#[tokio::test]
async fn the_djoser_refresh_alias_converts_too_and_cookie_mode_works() {
    let app = spawn_on().await;
    let id = app.create_user("alice", PASSWORD).await;
    let reply = app
        .post_json("/auth/jwt/refresh/", &json!({"refresh": refresh_for(id)}))
        .await;
    tokens_of(&reply);
    let cookie = app
        .send(
            app.client
                .post(app.url("/api/token/refresh/"))
                .header("X-Refresh-Cookie", "1")
                .json(&json!({"refresh": refresh_for(id)})),
        )
        .await;
    let body = cookie.assert_status(StatusCode::OK);
    assert!(body["refresh"].is_null(), "{}", cookie.text);
    assert!(body["csrf_token"].is_string(), "{}", cookie.text);
    assert!(
        cookie
            .header("set-cookie")
            .is_some_and(|c| c.contains("HttpOnly")),
        "{cookie:?}"
    );
}

#[tokio::test]
async fn two_concurrent_conversions_of_one_token_give_exactly_one_session() {
    let app = Arc::new(spawn_on().await);
    let id = app.create_user("alice", PASSWORD).await;
    let refresh = refresh_for(id);
    let attempts = (0..4).map(|_| {
        let (app, refresh) = (app.clone(), refresh.clone());
        tokio::spawn(async move { app.refresh(&refresh).await })
    });
    let replies = futures::future::join_all(attempts).await;
    let ok = replies
        .iter()
        .filter(|r| r.as_ref().unwrap().status == StatusCode::OK)
        .count();
    assert_eq!(ok, 1, "exactly one conversion wins");
    for reply in replies.iter().map(|r| r.as_ref().unwrap()) {
        if reply.status != StatusCode::OK {
            reply.assert_token_endpoint_refused();
        }
    }
}

#[tokio::test]
async fn inside_the_grace_window_concurrent_conversions_all_get_the_one_session() {
    let app = Arc::new(spawn_app_with(&[ON, ("refresh_reuse_grace", "10s")]).await);
    let id = app.create_user("alice", PASSWORD).await;
    let refresh = refresh_for(id);
    let attempts = (0..4).map(|_| {
        let (app, refresh) = (app.clone(), refresh.clone());
        tokio::spawn(async move { app.refresh(&refresh).await })
    });
    let replies = futures::future::join_all(attempts).await;
    let pairs: Vec<Tokens> = replies
        .iter()
        .map(|r| tokens_of(r.as_ref().unwrap()))
        .collect();
    assert!(
        pairs.iter().all(|p| p.refresh == pairs[0].refresh),
        "one successor pair"
    );
    assert_eq!(
        app.db_number(
            "SELECT COUNT(*) FROM sessions WHERE user_agent = 'converted from a Django token'"
        ),
        1
    );
    app.secret(&pairs[0].access)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_blacklisted_django_token_is_refused_everywhere() {
    let app = spawn_on().await;
    let id = app.create_user("alice", PASSWORD).await;
    // As `import-django` stores simplejwt's blacklist.
    let refresh = refresh_for(id);
    let jti = jwt::claims(&refresh)["jti"].as_str().unwrap().to_owned();
    app.db_execute(&format!(
        "INSERT INTO blacklisted_tokens (jti, token_type, expires_at, blacklisted_at) \
         VALUES ('{jti}', 'refresh', {}, {})",
        now() + 86_400,
        now()
    ));
    app.refresh(&refresh).await.assert_token_endpoint_refused();
    app.verify(&refresh).await.assert_token_endpoint_refused();
    // Blacklisting through bouncer does the same.
    let other = refresh_for(id);
    app.verify(&other).await.assert_status(StatusCode::OK);
    app.blacklist(&other).await.assert_status(StatusCode::OK);
    app.refresh(&other).await.assert_token_endpoint_refused();
    app.verify(&other).await.assert_token_endpoint_refused();
}

#[tokio::test]
async fn logging_out_with_django_tokens_ends_them() {
    let app = spawn_on().await;
    let id = app.create_user("alice", PASSWORD).await;
    let (access, refresh) = (access_for(id), refresh_for(id));
    app.verify(&access).await.assert_status(StatusCode::OK);
    app.logout(&access, Some(&refresh))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.secret(&access).await.assert_token_not_valid();
    app.verify(&access).await.assert_token_endpoint_refused();
    app.refresh(&refresh).await.assert_token_endpoint_refused();
}

#[tokio::test]
async fn a_password_change_or_logout_everywhere_voids_every_django_token() {
    let app = spawn_on().await;
    let id = app.create_user("alice", PASSWORD).await;
    let own = app.tokens("alice", PASSWORD).await;
    let (access, refresh) = (access_for(id), refresh_for(id));
    app.secret(&access).await.assert_status(StatusCode::OK);
    let changed = app
        .call(
            Method::POST,
            "/auth/users/set_password/",
            &format!("Bearer {}", own.access),
            Some(
                &json!({"current_password": PASSWORD, "new_password": "another-horse-battery-43"}),
            ),
        )
        .await;
    changed.assert_status(StatusCode::NO_CONTENT);
    app.secret(&access).await.assert_token_not_valid();
    app.refresh(&refresh).await.assert_token_endpoint_refused();
    // The caller's own bouncer session stays.
    app.secret(&own.access).await.assert_status(StatusCode::OK);

    let bob = app.create_user("bob", PASSWORD).await;
    let bob_own = app.tokens("bob", PASSWORD).await;
    let bob_refresh = refresh_for(bob);
    app.call(
        Method::POST,
        "/auth/logout/",
        &format!("Bearer {}", bob_own.access),
        Some(&json!({"scope": "global"})),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    app.refresh(&bob_refresh)
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn a_deactivated_or_unknown_user_gets_nothing_from_a_django_token() {
    let app = spawn_on().await;
    let admin = app.admin().await;
    let id = app.create_user("alice", PASSWORD).await;
    let access = access_for(id);
    app.secret(&access).await.assert_status(StatusCode::OK);
    app.call(
        Method::PATCH,
        &format!("/auth/users/{id}/"),
        &format!("Bearer {}", admin.access),
        Some(&json!({"is_active": false})),
    )
    .await
    .assert_status(StatusCode::OK);
    let inactive = app.secret(&access).await;
    inactive.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(inactive.body["code"], "user_inactive", "{}", inactive.text);
    let refused = app.refresh(&refresh_for(id)).await;
    refused.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": NO_ACCOUNT_FOR_TOKEN }),
    );
    let unknown = app.secret(&access_for(9_999)).await;
    unknown.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["code"], "user_not_found", "{}", unknown.text);
    app.refresh(&refresh_for(9_999))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

/// Tokens of `token_type` for `user_id` that simplejwt would not have signed with the Django
/// key as configured, or that are no longer good.
fn forgeries(token_type: &str, user_id: i64) -> Vec<(&'static str, String)> {
    let good = claims(token_type, user_id, 10, 300);
    let mut with_kid = Header::new(Algorithm::HS256);
    with_kid.kid = Some("nothing-here".into());
    let kid = encode(
        &with_kid,
        &good,
        &EncodingKey::from_secret(DJANGO_KEY.as_bytes()),
    )
    .unwrap();
    let none = format!(
        "{}.{}.",
        jwt::b64_encode(br#"{"alg":"none","typ":"JWT"}"#),
        jwt::b64_encode(good.to_string().as_bytes())
    );
    let mut expired = good.clone();
    expired["iat"] = json!(now() - 400);
    expired["exp"] = json!(now() - 100);
    let mut float_id = good.clone();
    float_id["user_id"] = json!(user_id as f64 + 0.5);
    let mut too_long = good.clone();
    too_long["exp"] = json!(now() + 2 * 86_400);
    vec![
        (
            "wrong key",
            sign_with(&good, Algorithm::HS256, "not-the-django-key"),
        ),
        ("alg none", none),
        (
            "HS512 header",
            sign_with(&good, Algorithm::HS512, DJANGO_KEY),
        ),
        ("kid pointing at nothing", kid),
        ("expired", simplejwt(&expired)),
        ("float user id", simplejwt(&float_id)),
        ("longer than REFRESH_TOKEN_LIFETIME", simplejwt(&too_long)),
    ]
}

#[tokio::test]
async fn tokens_not_exactly_as_simplejwt_signs_them_are_refused() {
    let app = spawn_on().await;
    let id = app.create_user("alice", PASSWORD).await;
    let mut access = forgeries("access", id);
    access.push(("refresh as access", refresh_for(id)));
    for (what, token) in &access {
        let reply = app.secret(token).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            reply.text
        );
        let messages = reply.assert_token_not_valid();
        let expected = match *what {
            "expired" => "Token is expired",
            "refresh as access" => "Token has wrong type",
            _ => "Token is invalid",
        };
        assert!(
            messages.iter().any(|m| m == expected),
            "{what}: {messages:?}"
        );
        if *what != "refresh as access" {
            app.verify(token).await.assert_token_endpoint_refused();
        }
    }
    let mut refresh = forgeries("refresh", id);
    refresh.push(("access as refresh", access_for(id)));
    for (what, token) in &refresh {
        let reply = app.refresh(token).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            reply.text
        );
        reply.assert_token_endpoint_refused();
        app.blacklist(token).await.assert_token_endpoint_refused();
    }
    // None of it consumed anything: a good token still converts.
    app.rotate(&refresh_for(id)).await;
}

#[tokio::test]
async fn with_the_feature_off_django_tokens_are_refused() {
    let app = spawn_app().await;
    let id = app.create_user("alice", PASSWORD).await;
    app.secret(&access_for(id)).await.assert_token_not_valid();
    app.refresh(&refresh_for(id))
        .await
        .assert_token_endpoint_refused();
    app.verify(&access_for(id))
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn the_end_date_ends_django_tokens() {
    let app = spawn_app_with(&[ON, ("django_tokens.accept_until", "2020-01-01")]).await;
    let id = app.create_user("alice", PASSWORD).await;
    app.secret(&access_for(id)).await.assert_token_not_valid();
    app.refresh(&refresh_for(id))
        .await
        .assert_token_endpoint_refused();
}

#[tokio::test]
async fn claim_names_and_algorithm_follow_simple_jwt_settings() {
    let app = spawn_app_with(&[
        ON,
        ("django_tokens.algorithm", "HS512"),
        ("django_tokens.user_id_claim", "uid"),
        ("django_tokens.jti_claim", "token_id"),
        ("django_tokens.audience", "api"),
    ])
    .await;
    let id = app.create_user("alice", PASSWORD).await;
    let iat = now();
    let token = sign_with(
        &json!({"token_type": "access", "exp": iat + 300, "iat": iat, "aud": "api",
                "token_id": uuid::Uuid::new_v4().simple().to_string(), "uid": id.to_string()}),
        Algorithm::HS512,
        DJANGO_KEY,
    );
    app.secret(&token).await.assert_status(StatusCode::OK);
    // The default names and HS256 are not accepted any more.
    app.secret(&access_for(id)).await.assert_token_not_valid();
}

#[test]
fn a_bad_django_setting_stops_start_up_naming_it() {
    for (key, value) in [
        ("django_tokens.algorithm", "RS256"),
        ("django_tokens.accept_until", "soon"),
        ("django_tokens.jti_claim", "user_id"),
    ] {
        let error = bouncer::Settings::load(&bouncer::LoadOptions {
            config_file: Some(CONFIG_FILE.into()),
            read_env: false,
            overrides: vec![(ON.0.into(), ON.1.into()), (key.into(), value.into())],
        })
        .unwrap_err()
        .to_string();
        assert!(error.contains(key), "{key}: {error}");
    }
}
