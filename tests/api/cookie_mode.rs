//! Cookie mode (issue 13, part 1): with `X-Refresh-Cookie: 1` the refresh token travels in an
//! HttpOnly `__Host-` cookie, never in a body; every use of the cookie needs the CSRF proof
//! and an allowed origin, and a refused cookie is cleared.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const COOKIE: &str = "__Host-bouncer_refresh";
const PAGE: &str = "https://app.example.com";

/// A cookie-mode login: the reply, the cookie's value and the CSRF proof.
struct CookieLogin {
    reply: Reply,
    cookie: String,
    csrf: String,
}

/// The `Set-Cookie` header for `name`, if the reply has one.
fn set_cookie<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// The value a `Set-Cookie` header sets.
fn cookie_value(header: &str) -> String {
    let pair = header.split(';').next().unwrap_or_default();
    pair.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

fn attributes(header: &str) -> Vec<String> {
    header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect()
}

#[track_caller]
fn assert_cleared(reply: &Reply) {
    let header = set_cookie(reply, COOKIE)
        .unwrap_or_else(|| panic!("no cookie cleared; headers: {:?}", reply.headers));
    assert_eq!(cookie_value(header), "", "{header}");
    assert!(
        attributes(header).contains(&"max-age=0".to_owned()),
        "{header}"
    );
}

impl Api {
    async fn cookie_login(&self, username: &str) -> CookieLogin {
        let reply = self
            .send(
                self.client
                    .post(self.url("/api/token/"))
                    .header("X-Refresh-Cookie", "1")
                    .json(&json!({"username": username, "password": PASSWORD})),
            )
            .await;
        reply.assert_status(StatusCode::OK);
        let cookie = cookie_value(set_cookie(&reply, COOKIE).expect("a refresh cookie"));
        let csrf = reply.body["csrf_token"]
            .as_str()
            .expect("csrf_token")
            .to_owned();
        CookieLogin {
            reply,
            cookie,
            csrf,
        }
    }

    /// `POST /api/token/refresh/` with the cookie, and optionally a CSRF proof and an origin.
    async fn cookie_refresh(
        &self,
        cookie: &str,
        csrf: Option<&str>,
        origin: Option<&str>,
    ) -> Reply {
        let mut request = self
            .client
            .post(self.url("/api/token/refresh/"))
            .header("Cookie", format!("{COOKIE}={cookie}"))
            .json(&json!({}));
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        self.send(request).await
    }
}

async fn app_with_page() -> TestApp {
    let app = spawn_app_with(&[
        ("cors.allowed_origins", PAGE),
        ("cors.allow_credentials", "true"),
    ])
    .await;
    app.create_user("alice", PASSWORD).await;
    app
}

#[tokio::test]
async fn a_cookie_mode_login_puts_the_refresh_token_in_a_host_only_httponly_cookie() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;
    let body = &login.reply.body;

    assert_eq!(
        keys(body),
        [
            "access",
            "access_expires_at",
            "csrf_token",
            "expires_in",
            "refresh_expires_at"
        ]
    );
    assert!(
        !login.reply.text.contains(&login.cookie),
        "token in the body"
    );
    let header = set_cookie(&login.reply, COOKIE).unwrap();
    let attributes = attributes(header);
    for expected in [
        "httponly",
        "secure",
        "samesite=strict",
        "path=/",
        "max-age=86400",
    ] {
        assert!(
            attributes.contains(&expected.to_owned()),
            "{expected} in {header}"
        );
    }
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain")),
        "{header}"
    );
    assert_eq!(login.reply.header("cache-control"), Some("no-store"));
    // The cookie holds a working refresh token, and the access token works.
    app.secret(body["access"].as_str().unwrap())
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(crate::jwt::claims(&login.cookie)["token_type"], "refresh");
}

#[tokio::test]
async fn body_mode_is_unchanged_apart_from_the_expiry_fields() {
    let app = app_with_page().await;
    let reply = app.login("alice", PASSWORD).await;
    let body = reply.assert_status(StatusCode::OK);

    assert_eq!(
        keys(body),
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
    assert!(set_cookie(&reply, COOKIE).is_none());
    // The access token's remaining seconds when answered: 300, or 299 if a second ticked
    // between minting and answering.
    let expires_in = body["expires_in"].as_i64().unwrap();
    assert!((299..=300).contains(&expires_in), "{expires_in}");
    let access_exp = crate::jwt::claims(body["access"].as_str().unwrap())["exp"]
        .as_i64()
        .unwrap();
    let stated = chrono::DateTime::parse_from_rfc3339(body["access_expires_at"].as_str().unwrap())
        .expect("RFC 3339");
    assert_eq!(stated.timestamp(), access_exp);
    assert!(body["refresh_expires_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn a_refresh_with_the_cookie_and_its_proof_rotates_the_cookie() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;

    let reply = app
        .cookie_refresh(&login.cookie, Some(&login.csrf), Some(PAGE))
        .await;

    let body = reply.assert_status(StatusCode::OK);
    assert!(body.get("refresh").is_none(), "{}", reply.text);
    assert_eq!(
        body["csrf_token"],
        login.csrf.as_str(),
        "bound to the session"
    );
    let next = cookie_value(set_cookie(&reply, COOKIE).expect("a new cookie"));
    assert_ne!(next, login.cookie);
    app.secret(body["access"].as_str().unwrap())
        .await
        .assert_status(StatusCode::OK);
    // The rotated cookie is spent (reuse detection, the grace window being off here).
    app.cookie_refresh(&login.cookie, Some(&login.csrf), None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refresh_with_the_cookie_but_no_proof_is_refused_and_rotates_nothing() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;

    let reply = app.cookie_refresh(&login.cookie, None, None).await;

    assert_eq!(
        reply.assert_status(StatusCode::FORBIDDEN)["code"],
        "csrf_missing"
    );
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains("X-CSRF-Token")
    );
    assert!(
        set_cookie(&reply, COOKIE).is_none(),
        "the cookie is left alone"
    );
    assert_eq!(app.db_number("SELECT count(*) FROM blacklisted_tokens"), 0);
    app.cookie_refresh(&login.cookie, Some(&login.csrf), None)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn another_sessions_proof_does_not_fit_the_cookie() {
    let app = app_with_page().await;
    let mine = app.cookie_login("alice").await;
    let other = app.cookie_login("alice").await;

    for wrong in [other.csrf.as_str(), "forged-proof", &mine.csrf[..20]] {
        let reply = app.cookie_refresh(&mine.cookie, Some(wrong), None).await;
        assert_eq!(
            reply.assert_status(StatusCode::FORBIDDEN)["code"],
            "csrf_mismatch"
        );
    }
    assert_eq!(app.db_number("SELECT count(*) FROM blacklisted_tokens"), 0);
    app.cookie_refresh(&mine.cookie, Some(&mine.csrf), None)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn the_cookie_is_refused_from_an_origin_that_is_not_listed() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;

    for foreign in ["https://evil.example", "null", "http://app.example.com"] {
        let reply = app
            .cookie_refresh(&login.cookie, Some(&login.csrf), Some(foreign))
            .await;
        assert_eq!(
            reply.assert_status(StatusCode::FORBIDDEN)["code"],
            "origin_not_allowed",
            "{foreign}"
        );
    }
    // bouncer's own origin is fine.
    let own = app.address.clone();
    app.cookie_refresh(&login.cookie, Some(&login.csrf), Some(&own))
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn a_forged_expired_or_foreign_cookie_is_refused_and_cleared() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;
    let forged = resigned(&login.cookie, &[("user_id", json!("2"))], OTHER_SECRET);
    let expired = expired_since(&login.cookie, 10);

    for cookie in [forged.as_str(), expired.as_str(), "not-a-jwt"] {
        let reply = app.cookie_refresh(cookie, Some(&login.csrf), None).await;
        reply.assert_status(StatusCode::UNAUTHORIZED);
        assert_eq!(reply.body["code"], "token_not_valid", "{}", reply.text);
        assert_cleared(&reply);
    }
}

#[tokio::test]
async fn a_refresh_token_in_both_the_body_and_the_cookie_is_a_400() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;

    let reply = app
        .send(
            app.client
                .post(app.url("/api/token/refresh/"))
                .header("Cookie", format!("{COOKIE}={}", login.cookie))
                .header("X-CSRF-Token", &login.csrf)
                .json(&json!({"refresh": login.cookie})),
        )
        .await;

    reply.assert(
        StatusCode::BAD_REQUEST,
        json!({"refresh": ["Send the refresh token in the body or in the cookie, not both."]}),
    );
    assert_eq!(app.db_number("SELECT count(*) FROM blacklisted_tokens"), 0);
}

#[tokio::test]
async fn a_cookie_mode_header_with_another_value_is_a_400() {
    let app = app_with_page().await;
    let reply = app
        .send(
            app.client
                .post(app.url("/api/token/"))
                .header("X-Refresh-Cookie", "yes")
                .json(&json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    let detail = reply.assert_status(StatusCode::BAD_REQUEST)["detail"].clone();
    assert!(
        detail.as_str().unwrap().contains("X-Refresh-Cookie"),
        "{detail}"
    );
}

#[tokio::test]
async fn logout_with_the_cookie_ends_its_session_and_clears_it() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;
    let access = login.reply.body["access"].as_str().unwrap().to_owned();

    let reply = app
        .send(
            app.client
                .post(app.url("/auth/logout/"))
                .bearer_auth(&access)
                .header("Cookie", format!("{COOKIE}={}", login.cookie)),
        )
        .await;

    reply.assert_status(StatusCode::NO_CONTENT);
    assert_cleared(&reply);
    app.secret(&access).await.assert_token_not_valid();
    app.cookie_refresh(&login.cookie, Some(&login.csrf), None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn blacklisting_through_the_cookie_needs_the_proof_and_clears_it() {
    let app = app_with_page().await;
    let login = app.cookie_login("alice").await;
    let blacklist = |csrf: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/api/token/blacklist/"))
            .header("Cookie", format!("{COOKIE}={}", login.cookie));
        if let Some(csrf) = csrf {
            request = request.header("X-CSRF-Token", csrf);
        }
        app.send(request)
    };

    assert_eq!(
        blacklist(None).await.assert_status(StatusCode::FORBIDDEN)["code"],
        "csrf_missing"
    );
    let reply = blacklist(Some(&login.csrf)).await;
    reply.assert(StatusCode::OK, json!({}));
    assert_cleared(&reply);
    app.cookie_refresh(&login.cookie, Some(&login.csrf), None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refresh_without_body_or_cookie_still_says_the_field_is_required() {
    let app = app_with_page().await;
    app.post_json("/api/token/refresh/", &json!({}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"refresh": ["This field is required."]}),
        );
}

#[tokio::test]
async fn lax_and_development_cookies_are_named_and_flagged_as_configured() {
    let app = spawn_app_with(&[
        ("refresh_cookie.same_site", "lax"),
        ("refresh_cookie.secure", "false"),
    ])
    .await;
    app.create_user("alice", PASSWORD).await;
    let reply = app
        .send(
            app.client
                .post(app.url("/api/token/"))
                .header("X-Refresh-Cookie", "1")
                .json(&json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    let header = set_cookie(&reply, "bouncer_refresh").expect("the development cookie");
    let attributes = attributes(header);
    assert!(attributes.contains(&"samesite=lax".to_owned()), "{header}");
    assert!(!attributes.contains(&"secure".to_owned()), "{header}");
    assert!(set_cookie(&reply, COOKIE).is_none());
}

#[tokio::test]
async fn cross_origin_preflights_allow_the_cookie_mode_headers() {
    let app = app_with_page().await;
    let reply = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/token/refresh/"))
                .header("Origin", PAGE)
                .header("Access-Control-Request-Method", "POST")
                .header(
                    "Access-Control-Request-Headers",
                    "content-type,x-csrf-token,x-refresh-cookie",
                ),
        )
        .await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    let allowed = reply
        .header("access-control-allow-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["x-csrf-token", "x-refresh-cookie"] {
        assert!(allowed.contains(header), "{allowed}");
    }
}
