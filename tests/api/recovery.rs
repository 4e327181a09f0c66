//! djoser's e-mail flows over HTTP: password reset and account activation, with the mail read
//! from the development outbox (real SMTP delivery is tested in `src/mail/`).

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;
use crate::smtp::SmtpServer;

const NEW_PASSWORD: &str = "another-fine-passphrase-77";
const INVALID_TOKEN: &str = "Invalid token for given user.";

/// Every message in the outbox, as text with quoted-printable soft breaks undone.
fn outbox(dir: &Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|path| {
            std::fs::read_to_string(path)
                .unwrap()
                .replace("=\r\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

/// Mail goes out in the background, after the 204: waits until `count` messages are there.
async fn outbox_with(dir: &Path, count: usize) -> Vec<String> {
    for _ in 0..500 {
        let messages = outbox(dir);
        if messages.len() >= count {
            return messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{count} messages did not arrive in the outbox within 5 s");
}

/// The uid and token of the link `…/{kind}/{uid}/{token}` in a message.
fn link_parts(message: &str, kind: &str) -> (String, String) {
    let start = message
        .find(&format!("/{kind}/"))
        .unwrap_or_else(|| panic!("no {kind} link in {message}"))
        + kind.len()
        + 2;
    let rest: String = message[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let (uid, token) = rest.split_once('/').unwrap();
    (uid.to_owned(), token.to_owned())
}

async fn app_with_outbox(extra: &[(&str, &str)]) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().to_str().unwrap().to_owned();
    let mut overrides = vec![("mail.outbox_dir", outbox.as_str())];
    overrides.extend_from_slice(extra);
    (spawn_app_with(&overrides).await, dir)
}

async fn register_with_email(app: &TestApp, username: &str, email: &str) -> Reply {
    app.post_json(
        "/auth/users/",
        &json!({"username": username, "password": PASSWORD, "email": email}),
    )
    .await
}

async fn confirm(app: &TestApp, uid: &str, token: &str, password: &str) -> Reply {
    app.post_json(
        "/auth/users/reset_password_confirm/",
        &json!({"uid": uid, "token": token, "new_password": password}),
    )
    .await
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let (app, dir) = app_with_outbox(&[]).await;
    register_with_email(&app, "alice", "alice@example.com")
        .await
        .assert_status(StatusCode::CREATED);
    let tokens = app.tokens("alice", PASSWORD).await;
    let key = app.key("alice", PASSWORD).await;

    app.post_json(
        "/auth/users/reset_password/",
        &json!({"email": "alice@example.com"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    let messages = outbox_with(dir.path(), 1).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("alice@example.com"));
    let (uid, token) = link_parts(&messages[0], "confirm");
    assert!(
        app.db_number(&format!(
            "SELECT count(*) FROM users WHERE password LIKE '%{token}%' OR email LIKE '%{token}%'"
        )) == 0,
        "the token is stored nowhere"
    );

    confirm(&app, &uid, &token, "12345678").await.assert(
        StatusCode::BAD_REQUEST,
        json!({"new_password": ["This password is too common.", "This password is entirely numeric."]}),
    );
    confirm(&app, &uid, &token, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::NO_CONTENT);

    // Single use; every session and key of the user has ended.
    confirm(&app, &uid, &token, "yet-another-passphrase-5")
        .await
        .assert(StatusCode::BAD_REQUEST, json!({ "token": [INVALID_TOKEN] }));
    app.secret(&tokens.access).await.assert_token_not_valid();
    app.refresh(&tokens.refresh)
        .await
        .assert_token_endpoint_refused();
    app.call(Method::GET, "/api/secret/", &format!("Token {key}"), None)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.login("alice", NEW_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
}

#[tokio::test]
async fn unknown_addresses_get_the_same_204_and_no_mail() {
    let (app, dir) = app_with_outbox(&[]).await;
    register_with_email(&app, "alice", "alice@example.com").await;
    for email in ["nobody@example.com", "", "not an address"] {
        app.post_json("/auth/users/reset_password/", &json!({ "email": email }))
            .await
            .assert_status(if email.is_empty() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::NO_CONTENT
            });
    }
    // A known address, last: once its mail is there, the others' would have been too.
    app.post_json(
        "/auth/users/reset_password/",
        &json!({"email": "alice@example.com"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    let messages = outbox_with(dir.path(), 1).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("alice@example.com"));
}

#[tokio::test]
async fn a_reset_token_dies_with_a_login_a_password_change_or_a_forged_uid() {
    let (app, dir) = app_with_outbox(&[]).await;
    register_with_email(&app, "alice", "alice@example.com").await;
    let bob = register_with_email(&app, "bob", "bob@example.com").await;
    let bob_id = bob.assert_status(StatusCode::CREATED)["id"]
        .as_i64()
        .unwrap();
    app.post_json(
        "/auth/users/reset_password/",
        &json!({"email": "alice@example.com"}),
    )
    .await;
    let (uid, token) = link_parts(&outbox_with(dir.path(), 1).await[0], "confirm");
    // Someone else's uid with alice's token; a uid that names nobody; a forged token.
    let bobs_uid = base64_url(&bob_id.to_string());
    confirm(&app, &bobs_uid, &token, NEW_PASSWORD)
        .await
        .assert(StatusCode::BAD_REQUEST, json!({ "token": [INVALID_TOKEN] }));
    confirm(&app, &base64_url("999999"), &token, NEW_PASSWORD)
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"uid": ["Invalid user id or user doesn't exist."]}),
        );
    confirm(
        &app,
        &uid,
        "1-00000000000000000000000000000000",
        NEW_PASSWORD,
    )
    .await
    .assert(StatusCode::BAD_REQUEST, json!({ "token": [INVALID_TOKEN] }));

    // A login since the mail was sent voids it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    app.tokens("alice", PASSWORD).await;
    confirm(&app, &uid, &token, NEW_PASSWORD)
        .await
        .assert(StatusCode::BAD_REQUEST, json!({ "token": [INVALID_TOKEN] }));
    assert_eq!(app.login("alice", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let (app, dir) = app_with_outbox(&[("password_reset_timeout", "1s")]).await;
    register_with_email(&app, "alice", "alice@example.com").await;
    app.post_json(
        "/auth/users/reset_password/",
        &json!({"email": "alice@example.com"}),
    )
    .await;
    let (uid, token) = link_parts(&outbox_with(dir.path(), 1).await[0], "confirm");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    confirm(&app, &uid, &token, NEW_PASSWORD)
        .await
        .assert(StatusCode::BAD_REQUEST, json!({ "token": [INVALID_TOKEN] }));
}

#[tokio::test]
async fn with_activation_on_new_users_log_in_only_after_following_the_link() {
    let (app, dir) = app_with_outbox(&[("send_activation_email", "true")]).await;
    register_with_email(&app, "alice", "alice@example.com")
        .await
        .assert_status(StatusCode::CREATED);
    app.login("alice", PASSWORD).await.assert(
        StatusCode::UNAUTHORIZED,
        json!({ "detail": BAD_CREDENTIALS }),
    );

    app.post_json(
        "/auth/users/resend_activation/",
        &json!({"email": "alice@example.com"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);
    let messages = outbox_with(dir.path(), 2).await;
    assert_eq!(messages.len(), 2, "the sign-up mail and the resent one");
    let (uid, token) = link_parts(&messages[1], "activate");

    let activate = async |token: String| {
        let body = json!({"uid": uid, "token": token});
        app.post_json("/auth/users/activation/", &body).await
    };
    activate("1-00000000000000000000000000000000".into())
        .await
        .assert(StatusCode::BAD_REQUEST, json!({ "token": [INVALID_TOKEN] }));
    activate(token.clone())
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.login("alice", PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    activate(token).await.assert(
        StatusCode::FORBIDDEN,
        json!({"detail": "Stale token for given user."}),
    );
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn reset_mail_goes_out_over_real_smtp() {
    let smtp = SmtpServer::start().await;
    let port = smtp.port.to_string();
    let app = spawn_app_with(&[
        ("mail.smtp_host", "127.0.0.1"),
        ("mail.smtp_port", &port),
        ("mail.smtp_security", "none"),
        ("mail.from", "Bouncer <noreply@example.com>"),
    ])
    .await;
    register_with_email(&app, "alice", "alice@example.com").await;
    app.post_json(
        "/auth/users/reset_password/",
        &json!({"email": "alice@example.com"}),
    )
    .await
    .assert_status(StatusCode::NO_CONTENT);

    let messages = smtp.messages(1).await;
    assert!(
        messages[0].contains("To: alice@example.com"),
        "{}",
        messages[0]
    );
    assert!(messages[0].contains("From: Bouncer <noreply@example.com>"));
    let (uid, token) = link_parts(&messages[0], "confirm");
    confirm(&app, &uid, &token, NEW_PASSWORD)
        .await
        .assert_status(StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_hanging_mail_server_never_delays_or_fails_the_answer() {
    let (port, _server) = SmtpServer::silent().await;
    let port = port.to_string();
    let app = spawn_app_with(&[
        ("mail.smtp_host", "127.0.0.1"),
        ("mail.smtp_port", &port),
        ("mail.smtp_security", "none"),
        ("mail.timeout", "1s"),
    ])
    .await;
    register_with_email(&app, "alice", "alice@example.com").await;
    for _ in 0..3 {
        let (reply, took) = timed(app.post_json(
            "/auth/users/reset_password/",
            &json!({"email": "alice@example.com"}),
        ))
        .await;
        reply.assert_status(StatusCode::NO_CONTENT);
        assert!(
            took < std::time::Duration::from_millis(500),
            "took {took:?}"
        );
    }
    // After the deliveries have timed out, the service still answers normally.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.healthz().await.assert_status(StatusCode::OK);
}
