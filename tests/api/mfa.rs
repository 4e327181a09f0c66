//! Two-factor login with an authenticator app (issue 16 §3): enrolment and confirmation,
//! the 401 `mfa_required` login and `POST /auth/mfa/verify/`, recovery codes, disabling,
//! replay and single-use rules, the failed-login limits on codes, and the `amr` claim.
//!
//! Codes are computed here with the `totp-rs` crate from the secret the API hands out, as an
//! authenticator app would. Each accepted code must be of a newer step than the last one, so
//! a test takes codes one step apart (`code(secret, -1)`, then `0`, then `+1`: the server
//! accepts one step either side of its own).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::jwt;

const SECRET_PATTERN_LEN: usize = 32;

/// The code of the step `offset` steps away from now.
fn code(secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_secret(bytes.as_bytes().to_vec())
        .build()
        .expect("a TOTP generator");
    let at = now() + offset * 30;
    totp.generate(u64::try_from(at).unwrap()).to_string()
}

/// What an enrolment sends: the password again.
fn enrol_body() -> Value {
    json!({"current_password": PASSWORD})
}

/// A six-digit code that is none of the codes the server would accept now.
fn wrong_code(secret: &str) -> String {
    let valid: Vec<String> = (-2..=2).map(|k| code(secret, k)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

impl Api {
    async fn mfa_post(&self, path: &str, access: &str, body: &Value) -> Reply {
        self.send(
            self.client
                .post(self.url(path))
                .bearer_auth(access)
                .json(body),
        )
        .await
    }

    async fn mfa_status(&self, access: &str) -> Value {
        let reply = self
            .send(self.client.get(self.url("/auth/mfa/")).bearer_auth(access))
            .await;
        reply.assert_status(StatusCode::OK).clone()
    }

    /// `POST /auth/mfa/totp/` -> the base32 secret.
    async fn enrol(&self, access: &str) -> String {
        let reply = self
            .mfa_post("/auth/mfa/totp/", access, &enrol_body())
            .await;
        let body = reply.assert_status(StatusCode::OK);
        body["secret"].as_str().expect("secret").to_owned()
    }

    /// Enrols and confirms with the previous step's code -> (secret, recovery codes).
    async fn enable_totp(&self, access: &str) -> (String, Vec<String>) {
        let secret = self.enrol(access).await;
        let reply = self
            .mfa_post(
                "/auth/mfa/totp/confirm/",
                access,
                &json!({"code": code(&secret, -1)}),
            )
            .await;
        let body = reply.assert_status(StatusCode::OK);
        let codes = body["recovery_codes"]
            .as_array()
            .expect("recovery_codes")
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (secret, codes)
    }

    /// A password login that must answer `mfa_required` -> its `mfa_token`.
    async fn mfa_token(&self, username: &str) -> String {
        let reply = self.login(username, PASSWORD).await;
        let body = reply.assert_status(StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "mfa_required", "{}", reply.text);
        body["mfa_token"].as_str().expect("mfa_token").to_owned()
    }

    async fn mfa_verify(&self, mfa_token: &str, code: &str) -> Reply {
        self.post_json(
            "/auth/mfa/verify/",
            &json!({"mfa_token": mfa_token, "code": code}),
        )
        .await
    }
}

/// alice, registered, logged in (password only) and with TOTP on.
async fn alice_with_totp() -> (TestApp, Tokens, String, Vec<String>) {
    let (app, tokens) = spawn_app_and_alice().await;
    let (secret, codes) = app.enable_totp(&tokens.access).await;
    (app, tokens, secret, codes)
}

#[track_caller]
fn assert_code_invalid(reply: &Reply) {
    reply.assert(
        StatusCode::UNAUTHORIZED,
        json!({"code": "mfa_code_invalid", "detail": "Invalid two-factor code."}),
    );
}

#[track_caller]
fn assert_mfa_token_refused(reply: &Reply) {
    reply.assert(
        StatusCode::UNAUTHORIZED,
        json!({
            "code": "mfa_token_not_valid",
            "detail": "The mfa_token is invalid, expired or already used: log in again.",
        }),
    );
}

#[tokio::test]
async fn enrolment_confirmation_and_a_login_with_a_code_give_tokens_that_say_otp() {
    let (app, tokens) = spawn_app_and_alice().await;
    assert_eq!(
        app.mfa_status(&tokens.access).await,
        json!({"totp_enabled": false, "recovery_codes_left": 0})
    );
    assert_eq!(jwt::claims(&tokens.access)["amr"], json!(["pwd"]));
    assert_eq!(jwt::claims(&tokens.refresh)["amr"], json!(["pwd"]));

    let reply = app
        .mfa_post("/auth/mfa/totp/", &tokens.access, &enrol_body())
        .await;
    let body = reply.assert_status(StatusCode::OK).clone();
    assert_eq!(keys(&body), ["otpauth_uri", "qr_svg", "secret"]);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let secret = body["secret"].as_str().unwrap();
    assert_eq!(
        secret.len(),
        SECRET_PATTERN_LEN,
        "160 bits in base32: {secret}"
    );
    let uri = body["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/bouncer:alice?"), "{uri}");
    assert!(uri.contains(&format!("secret={secret}")), "{uri}");
    let svg = body["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"));
    // Pending: logins still need only the password.
    tokens_of(&app.login("alice", PASSWORD).await);

    let reply = app
        .mfa_post(
            "/auth/mfa/totp/confirm/",
            &tokens.access,
            &json!({"code": code(secret, -1)}),
        )
        .await;
    let codes = reply.assert_status(StatusCode::OK)["recovery_codes"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        app.mfa_status(&tokens.access).await,
        json!({"totp_enabled": true, "recovery_codes_left": 10})
    );
    // Only hashes are stored.
    for c in &codes {
        let stored = app.db_number(&format!(
            "SELECT count(*) FROM recovery_codes WHERE code_hash = '{}'",
            c.as_str().unwrap()
        ));
        assert_eq!(stored, 0);
    }

    let reply = app.login("alice", PASSWORD).await;
    let body = reply.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(keys(body), ["code", "detail", "mfa_token"]);
    assert_eq!(body["code"], "mfa_required");
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"api\"")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let mfa_token = body["mfa_token"].as_str().unwrap();

    let reply = app.mfa_verify(mfa_token, &code(secret, 0)).await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let pair = tokens_of(&reply);
    assert_eq!(jwt::claims(&pair.access)["amr"], json!(["pwd", "otp"]));
    assert_eq!(jwt::claims(&pair.refresh)["amr"], json!(["pwd", "otp"]));
    app.me(&pair.access).await.assert_status(StatusCode::OK);

    // Refresh carries amr into the successors.
    let rotated = app.rotate(&pair.refresh).await;
    assert_eq!(jwt::claims(&rotated.access)["amr"], json!(["pwd", "otp"]));
    assert_eq!(jwt::claims(&rotated.refresh)["amr"], json!(["pwd", "otp"]));
    // And a password-only session of a user without TOTP says pwd through refresh too.
    app.create_user("bob", PASSWORD).await;
    let bob = app.tokens("bob", PASSWORD).await;
    let bob = app.rotate(&bob.refresh).await;
    assert_eq!(jwt::claims(&bob.access)["amr"], json!(["pwd"]));
}

#[tokio::test]
async fn a_wrong_password_answers_as_before_whether_or_not_totp_is_on() {
    let (app, _, _, _) = alice_with_totp().await;
    app.create_user("bob", PASSWORD).await;
    for user in ["alice", "bob", "nobody"] {
        app.login(user, "wrong-password-1").await.assert(
            StatusCode::UNAUTHORIZED,
            json!({ "detail": BAD_CREDENTIALS }),
        );
    }
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_leaves_the_mfa_token_usable() {
    let (app, _, secret, _) = alice_with_totp().await;
    let mfa_token = app.mfa_token("alice").await;
    assert_code_invalid(&app.mfa_verify(&mfa_token, &wrong_code(&secret)).await);
    assert_code_invalid(&app.mfa_verify(&mfa_token, "not-a-recovery-code").await);
    tokens_of(&app.mfa_verify(&mfa_token, &code(&secret, 0)).await);
}

#[tokio::test]
async fn wrong_codes_past_the_failed_login_limit_lock_the_code_step_out_with_429() {
    let app = spawn_app_with(&[("throttle.login_failures_per_user_and_address", "3")]).await;
    let (_, tokens) = app.alice().await;
    let (secret, _) = app.enable_totp(&tokens.access).await;
    let mfa_token = app.mfa_token("alice").await;
    let wrong = wrong_code(&secret);
    for _ in 0..3 {
        assert_code_invalid(&app.mfa_verify(&mfa_token, &wrong).await);
    }
    // Locked out, even with the right code; a new password login does not reset the count.
    let locked = app.mfa_verify(&mfa_token, &code(&secret, 0)).await;
    locked.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.header("retry-after").is_some());
    let again = app.mfa_token("alice").await;
    app.mfa_verify(&again, &code(&secret, 0))
        .await
        .assert_status(StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_mfa_token_works_once() {
    let (app, _, secret, _) = alice_with_totp().await;
    let mfa_token = app.mfa_token("alice").await;
    tokens_of(&app.mfa_verify(&mfa_token, &code(&secret, 0)).await);
    assert_mfa_token_refused(&app.mfa_verify(&mfa_token, &code(&secret, 1)).await);
}

#[tokio::test]
async fn expired_forged_and_other_kinds_of_token_are_refused_as_mfa_tokens() {
    let (app, tokens, secret, _) = alice_with_totp().await;
    let access = tokens.access.clone();
    let refresh = tokens.refresh.clone();
    let long = "x".repeat(5000);
    let good_code = code(&secret, 0);
    for forged in [
        "forged",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        access.as_str(),
        refresh.as_str(),
        long.as_str(),
    ] {
        assert_mfa_token_refused(&app.mfa_verify(forged, &good_code).await);
    }
    let expired = app.mfa_token("alice").await;
    app.db_execute("UPDATE mfa_challenges SET expires_at = 1");
    assert_mfa_token_refused(&app.mfa_verify(&expired, &good_code).await);
    // The mfa_token is no bearer token either.
    let fresh = app.mfa_token("alice").await;
    app.secret(&fresh)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // The code was never accepted: it still finishes the fresh login.
    tokens_of(&app.mfa_verify(&fresh, &good_code).await);
}

#[tokio::test]
async fn a_recovery_code_finishes_a_login_once_and_the_tokens_say_mfa() {
    let (app, tokens, _, codes) = alice_with_totp().await;
    let mfa_token = app.mfa_token("alice").await;
    // Typed in capitals with spaces instead of dashes, it still matches.
    let typed = codes[0].to_uppercase().replace('-', " ");
    let pair = tokens_of(&app.mfa_verify(&mfa_token, &typed).await);
    assert_eq!(jwt::claims(&pair.access)["amr"], json!(["pwd", "mfa"]));
    assert_eq!(
        app.mfa_status(&tokens.access).await,
        json!({"totp_enabled": true, "recovery_codes_left": 9})
    );
    let again = app.mfa_token("alice").await;
    assert_code_invalid(&app.mfa_verify(&again, &codes[0]).await);
    tokens_of(&app.mfa_verify(&again, &codes[1]).await);
}

#[tokio::test]
async fn a_code_is_refused_the_second_time_within_its_step() {
    let (app, _, secret, _) = alice_with_totp().await;
    let current = code(&secret, 0);
    let first = app.mfa_token("alice").await;
    tokens_of(&app.mfa_verify(&first, &current).await);
    let second = app.mfa_token("alice").await;
    assert_code_invalid(&app.mfa_verify(&second, &current).await);
    // The confirmation's code (an older step) is no good either.
    assert_code_invalid(&app.mfa_verify(&second, &code(&secret, -1)).await);
    tokens_of(&app.mfa_verify(&second, &code(&secret, 1)).await);
}

#[tokio::test]
async fn disabling_needs_a_right_code_and_then_the_password_is_enough_again() {
    let (app, tokens, secret, codes) = alice_with_totp().await;
    let path = "/auth/mfa/totp/disable/";
    app.mfa_post(path, &tokens.access, &json!({})).await.assert(
        StatusCode::BAD_REQUEST,
        json!({"code": ["This field is required."]}),
    );
    assert_code_invalid(
        &app.mfa_post(path, &tokens.access, &json!({"code": wrong_code(&secret)}))
            .await,
    );
    app.post_json(path, &json!({"code": code(&secret, 0)}))
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let reply = app
        .mfa_post(path, &tokens.access, &json!({"code": code(&secret, 0)}))
        .await;
    reply.assert_status(StatusCode::NO_CONTENT);
    assert_eq!(
        app.mfa_status(&tokens.access).await,
        json!({"totp_enabled": false, "recovery_codes_left": 0})
    );
    let pair = tokens_of(&app.login("alice", PASSWORD).await);
    assert_eq!(jwt::claims(&pair.access)["amr"], json!(["pwd"]));
    // Disabling again is a 400; the old recovery codes are void.
    app.mfa_post(path, &tokens.access, &json!({"code": codes[0]}))
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(app.db_number("SELECT count(*) FROM recovery_codes"), 0);
}

#[tokio::test]
async fn a_recovery_code_can_disable_totp_and_new_codes_void_the_old_ones() {
    let (app, tokens, secret, codes) = alice_with_totp().await;
    let reply = app
        .mfa_post(
            "/auth/mfa/recovery-codes/",
            &tokens.access,
            &json!({"code": code(&secret, 0)}),
        )
        .await;
    let new_codes: Vec<String> = reply.assert_status(StatusCode::OK)["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(new_codes.len(), 10);
    let path = "/auth/mfa/totp/disable/";
    assert_code_invalid(
        &app.mfa_post(path, &tokens.access, &json!({"code": codes[0]}))
            .await,
    );
    app.mfa_post(path, &tokens.access, &json!({"code": new_codes[0]}))
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn enrolment_rules_pending_replacement_already_on_and_nothing_pending() {
    let (app, tokens) = spawn_app_and_alice().await;
    app.mfa_post("/auth/mfa/totp/", "", &enrol_body())
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    // Nothing pending: confirm is a 400.
    app.mfa_post(
        "/auth/mfa/totp/confirm/",
        &tokens.access,
        &json!({"code": "123456"}),
    )
    .await
    .assert_status(StatusCode::BAD_REQUEST);
    let first = app.enrol(&tokens.access).await;
    let second = app.enrol(&tokens.access).await;
    assert_ne!(first, second);
    // The replaced secret's code no longer confirms (unless the two codes collide).
    let old = code(&first, 0);
    if old != code(&second, -1) && old != code(&second, 0) && old != code(&second, 1) {
        assert_code_invalid(
            &app.mfa_post(
                "/auth/mfa/totp/confirm/",
                &tokens.access,
                &json!({"code": old}),
            )
            .await,
        );
    }
    app.mfa_post(
        "/auth/mfa/totp/confirm/",
        &tokens.access,
        &json!({"code": code(&second, 0)}),
    )
    .await
    .assert_status(StatusCode::OK);
    app.mfa_post("/auth/mfa/totp/", &tokens.access, &enrol_body())
        .await
        .assert_status(StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn token_key_logins_are_refused_for_an_account_with_totp() {
    let (app, _, _, _) = alice_with_totp().await;
    for path in ["/api/api-token-auth/", "/auth/token/login/"] {
        let reply = app
            .post_json(path, &json!({"username": "alice", "password": PASSWORD}))
            .await;
        let body = reply.assert_status(StatusCode::FORBIDDEN);
        assert_eq!(body["code"], "mfa_required", "{path}: {}", reply.text);
        // A wrong password is DRF's 400 as before.
        app.post_json(path, &json!({"username": "alice", "password": "wrong-1"}))
            .await
            .assert_status(StatusCode::BAD_REQUEST);
    }
    assert_eq!(app.db_number("SELECT count(*) FROM auth_keys"), 0);
}

#[tokio::test]
async fn a_password_change_leaves_totp_on() {
    let (app, tokens, secret, _) = alice_with_totp().await;
    let new_password = "another-horse-battery-staple-7";
    let reply = app
        .mfa_post(
            "/auth/users/set_password/",
            &tokens.access,
            &json!({"current_password": PASSWORD, "new_password": new_password}),
        )
        .await;
    reply.assert_status(StatusCode::NO_CONTENT);
    let reply = app.login("alice", new_password).await;
    let body = reply.assert_status(StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "mfa_required");
    let mfa_token = body["mfa_token"].as_str().unwrap();
    tokens_of(&app.mfa_verify(mfa_token, &code(&secret, 0)).await);
}

#[tokio::test]
async fn malformed_bodies_are_400s_and_change_nothing() {
    let (app, tokens, secret, _) = alice_with_totp().await;
    let mfa_token = app.mfa_token("alice").await;
    for body in [
        json!({}),
        json!({"mfa_token": mfa_token}),
        json!({"code": "123456"}),
        json!({"mfa_token": mfa_token, "code": {"a": 1}}),
        json!({"mfa_token": [1], "code": "123456"}),
        json!({"mfa_token": mfa_token, "code": null}),
        json!({"mfa_token": mfa_token, "code": ""}),
    ] {
        let reply = app.post_json("/auth/mfa/verify/", &body).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.text
        );
    }
    app.post_raw("/auth/mfa/verify/", "application/json", b"{".to_vec())
        .await
        .assert_status(StatusCode::BAD_REQUEST);
    app.post_raw("/auth/mfa/verify/", "text/plain", b"hello".to_vec())
        .await
        .assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    for path in [
        "/auth/mfa/totp/confirm/",
        "/auth/mfa/totp/disable/",
        "/auth/mfa/recovery-codes/",
    ] {
        for body in [json!({"code": true}), json!({"code": [1]}), json!([])] {
            let reply = app.mfa_post(path, &tokens.access, &body).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{path} {body}: {}",
                reply.text
            );
        }
    }
    // Form-encoded works like JSON, and the token is still good.
    let reply = app
        .post_form(
            "/auth/mfa/verify/",
            &[("mfa_token", &mfa_token), ("code", &code(&secret, 0))],
        )
        .await;
    tokens_of(&reply);
}

#[tokio::test]
async fn cookie_mode_asked_at_login_carries_over_to_the_verification() {
    let app = spawn_app().await;
    let (_, tokens) = app.alice().await;
    let (secret, _) = app.enable_totp(&tokens.access).await;
    let reply = app
        .send(
            app.client
                .post(app.url("/api/token/"))
                .header("X-Refresh-Cookie", "1")
                .json(&json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    let mfa_token = reply.assert_status(StatusCode::UNAUTHORIZED)["mfa_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = app.mfa_verify(&mfa_token, &code(&secret, 0)).await;
    let body = reply.assert_status(StatusCode::OK);
    assert!(body.get("refresh").is_none(), "{}", reply.text);
    assert!(body["csrf_token"].is_string(), "{}", reply.text);
    let cookies: Vec<_> = reply.headers.get_all("set-cookie").iter().collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.to_str().unwrap().contains("bouncer_refresh=")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn the_secret_is_sealed_at_rest_when_key_encryption_secret_is_set() {
    let key = "5c1f0e3a9b7d4c2e8f6a1b3d5e7f9a0c2b4d6e8f0a1c3e5b7d9f1a3c5e7b9d0f";
    let app = spawn_app_with(&[("key_encryption_secret", key)]).await;
    let (_, tokens) = app.alice().await;
    let (secret, _) = app.enable_totp(&tokens.access).await;
    let sealed = app.db_number(&format!(
        "SELECT count(*) FROM totp_devices WHERE secret LIKE 'sealed:%' AND secret NOT LIKE '%{secret}%'"
    ));
    assert_eq!(sealed, 1);
    let mfa_token = app.mfa_token("alice").await;
    tokens_of(&app.mfa_verify(&mfa_token, &code(&secret, 0)).await);

    // Without the setting the secret is stored as it is (README: set it in production).
    let (plain_app, plain_tokens) = spawn_app_and_alice().await;
    let (plain_secret, _) = plain_app.enable_totp(&plain_tokens.access).await;
    let plain = plain_app.db_number(&format!(
        "SELECT count(*) FROM totp_devices WHERE secret = 'plain:{plain_secret}'"
    ));
    assert_eq!(plain, 1);
}

#[tokio::test]
async fn the_admin_login_form_refuses_a_password_alone_when_totp_is_on() {
    let app = spawn_app_with(&[("admin.enabled", "true")]).await;
    let staff = app.admin().await;
    app.enable_totp(&staff.access).await;
    let reply = app
        .send(
            app.client
                .post(app.url("/admin/login/"))
                .header("Origin", &app.address)
                .form(&[("username", "admin"), ("password", PASSWORD)]),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.text);
    assert!(
        reply.text.contains("Two-factor authentication is on"),
        "{}",
        reply.text
    );
    assert!(reply.header("set-cookie").is_none());
}

#[tokio::test]
async fn staff_can_turn_a_users_totp_off_and_nobody_else_can() {
    let (app, alice, _, _) = alice_with_totp().await;
    let alice_id = app.db_number("SELECT id FROM users WHERE username = 'alice'");
    let path = format!("/auth/users/{alice_id}/mfa/");
    let delete = |token: String, path: String| {
        let app = &app;
        async move {
            app.send(app.client.delete(app.url(&path)).bearer_auth(token))
                .await
        }
    };
    delete(alice.access.clone(), path.clone())
        .await
        .assert_status(StatusCode::FORBIDDEN);
    let staff = app.admin().await;
    delete(staff.access.clone(), "/auth/users/999999/mfa/".into())
        .await
        .assert_status(StatusCode::NOT_FOUND);
    delete(staff.access.clone(), path.clone())
        .await
        .assert_status(StatusCode::NO_CONTENT);
    tokens_of(&app.login("alice", PASSWORD).await);
    assert_eq!(app.db_number("SELECT count(*) FROM recovery_codes"), 0);
    // Again: nothing left to remove, still 204.
    delete(staff.access, path)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn bad_mfa_settings_stop_start_up_with_one_line_naming_the_setting() {
    for (key, value) in [
        ("mfa.issuer", "Acme:Corp"),
        ("mfa.issuer", ""),
        ("mfa.challenge_lifetime", "1s"),
        ("mfa.challenge_lifetime", "2h"),
        ("mfa.challenge_lifetime", "soon"),
    ] {
        let database = TestDb::new();
        let settings = bouncer::Settings::load(&bouncer::LoadOptions {
            config_file: Some(CONFIG_FILE.into()),
            read_env: false,
            overrides: vec![
                ("database_url".into(), database.url()),
                (key.into(), value.into()),
            ],
        });
        let message = settings.expect_err(value).to_string();
        assert!(message.contains(key), "{key}={value}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
    }
    // A custom issuer reaches the otpauth URI.
    let app = spawn_app_with(&[("mfa.issuer", "Acme Corp")]).await;
    let (_, tokens) = app.alice().await;
    let reply = app
        .mfa_post("/auth/mfa/totp/", &tokens.access, &enrol_body())
        .await;
    let uri = reply.assert_status(StatusCode::OK)["otpauth_uri"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        uri.starts_with("otpauth://totp/Acme%20Corp:alice?"),
        "{uri}"
    );
    assert!(uri.contains("issuer=Acme%20Corp"), "{uri}");
}

#[tokio::test]
async fn concurrent_verifications_with_one_mfa_token_start_one_session() {
    let (app, _, _, codes) = alice_with_totp().await;
    let mfa_token = app.mfa_token("alice").await;
    let replies = futures::future::join_all(
        codes[..5]
            .iter()
            .map(|code| app.mfa_verify(&mfa_token, code)),
    )
    .await;
    let won = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        won,
        1,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
        assert_mfa_token_refused(reply);
    }
}

#[tokio::test]
async fn concurrent_enrolments_all_answer_and_leave_one_pending_secret() {
    let (app, tokens) = spawn_app_and_alice().await;
    let body = enrol_body();
    let replies = futures::future::join_all(
        (0..6).map(|_| app.mfa_post("/auth/mfa/totp/", &tokens.access, &body)),
    )
    .await;
    let secrets: Vec<String> = replies
        .iter()
        .map(|r| {
            r.assert_status(StatusCode::OK)["secret"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(app.db_number("SELECT count(*) FROM totp_devices"), 1);
    // One of them is the pending secret (stored unsealed here), and its code confirms.
    let pending: Vec<&String> = secrets
        .iter()
        .filter(|secret| {
            app.db_number(&format!(
                "SELECT count(*) FROM totp_devices WHERE secret = 'plain:{secret}'"
            )) == 1
        })
        .collect();
    assert_eq!(pending.len(), 1);
    app.mfa_post(
        "/auth/mfa/totp/confirm/",
        &tokens.access,
        &json!({"code": code(pending[0], 0)}),
    )
    .await
    .assert_status(StatusCode::OK);
}

// How two-factor login meets the device tokens and DPoP (issue 16 §1 and §2).

#[tokio::test]
async fn the_mfa_required_answer_hands_out_the_device_token_and_a_proof_at_verify_binds_the_session()
 {
    let (app, _, secret, _) = alice_with_totp().await;
    let reply = app.login("alice", PASSWORD).await;
    let body = reply.assert_status(StatusCode::UNAUTHORIZED).clone();
    assert_eq!(body["code"], "mfa_required");
    // The password was right on this device: it carries its device token from now on, so a
    // guesser elsewhere exhausting the account's bound does not lock the owner out.
    let device = reply.header("x-device-token").expect("a device token");
    assert!(device.starts_with("bd1."), "{device}");
    assert!(body.get("device_token").is_none(), "{}", reply.text);

    let key = crate::dpop::ClientKey::es256();
    let url = app.url("/auth/mfa/verify/");
    let request = app
        .client
        .post(&url)
        .header("DPoP", key.proof("POST", &url, None))
        .json(&json!({"mfa_token": body["mfa_token"], "code": code(&secret, 0)}));
    let reply = app.send(request).await;
    let pair = reply.assert_status(StatusCode::OK);
    assert_eq!(pair["token_type"], "DPoP", "{}", reply.text);
    let claims = jwt::claims(pair["access"].as_str().unwrap());
    assert_eq!(claims["cnf"]["jkt"], json!(key.thumbprint()));
    assert_eq!(claims["amr"], json!(["pwd", "otp"]));
    // Bound: the access token alone, as Bearer, opens nothing.
    let access = pair["access"].as_str().unwrap();
    let bearer = app
        .send(app.client.get(app.url("/api/secret/")).bearer_auth(access))
        .await;
    assert_eq!(bearer.status, StatusCode::UNAUTHORIZED, "{}", bearer.text);
}

#[tokio::test]
async fn wrong_codes_spread_over_many_addresses_meet_the_accounts_bound() {
    // A guesser who has the password can ask for any number of mfa_tokens, from any number
    // of addresses: the pair and address limits alone would never stop the code guesses.
    let app = spawn_app_with(&[
        ("throttle.num_proxies", "1"),
        ("device_tokens.failures_per_account", "6"),
    ])
    .await;
    let (_, tokens) = app.alice().await;
    let (secret, _) = app.enable_totp(&tokens.access).await;
    let wrong = wrong_code(&secret);
    let mut statuses = Vec::new();
    for i in 0..8 {
        let address = format!("127.0.9.{}", i + 1);
        let login = app
            .send(
                app.client
                    .post(app.url("/api/token/"))
                    .header("X-Forwarded-For", &address)
                    .json(&json!({"username": "alice", "password": PASSWORD})),
            )
            .await;
        let body = login.assert_status(StatusCode::UNAUTHORIZED).clone();
        let verify = app
            .send(
                app.client
                    .post(app.url("/auth/mfa/verify/"))
                    .header("X-Forwarded-For", &address)
                    .json(&json!({"mfa_token": body["mfa_token"], "code": wrong})),
            )
            .await;
        statuses.push(verify.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
    // Past the bound even the right code waits out the window.
    let token = app.mfa_token("alice").await;
    let reply = app.mfa_verify(&token, &code(&secret, 0)).await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn enrolling_needs_the_password_again_and_a_wrong_one_changes_nothing() {
    let (app, tokens) = spawn_app_and_alice().await;
    // A stolen access token alone cannot put another authenticator on the account.
    app.mfa_post("/auth/mfa/totp/", &tokens.access, &json!({}))
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"current_password": ["This field is required."]}),
        );
    app.mfa_post(
        "/auth/mfa/totp/",
        &tokens.access,
        &json!({"current_password": "not-the-password-42"}),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({"current_password": ["Invalid password."]}),
    );
    // Nothing is pending: a confirmation has nothing to confirm.
    let reply = app
        .mfa_post(
            "/auth/mfa/totp/confirm/",
            &tokens.access,
            &json!({"code": "123456"}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(
        app.mfa_status(&tokens.access).await,
        json!({"totp_enabled": false, "recovery_codes_left": 0})
    );
}
