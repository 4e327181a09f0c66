//! Bad input of every kind gets a clear 4xx JSON error, never a 5xx (issue 2 "Bad input",
//! docs/security.md "Transport and input").

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn malformed_json_is_a_400_parse_error() {
    let app = spawn_app().await;

    let reply = app
        .post_raw(
            "/api/token/",
            "application/json",
            b"{\"username\": \"alice\",".to_vec(),
        )
        .await;

    reply.assert_status(StatusCode::BAD_REQUEST);
    assert_eq!(keys(&reply.body), ["detail"], "{}", reply.text);
    let detail = reply.body["detail"].as_str().unwrap();
    assert!(detail.starts_with("JSON parse error - "), "{detail}");
}

#[tokio::test]
async fn a_json_content_type_with_a_charset_is_accepted() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;

    let body = json!({"username": "alice", "password": PASSWORD}).to_string();
    let reply = app
        .post_raw(
            "/api/token/",
            "application/json; charset=utf-8",
            body.into_bytes(),
        )
        .await;

    tokens_of(&reply);
}

#[tokio::test]
async fn a_text_plain_body_is_an_unsupported_media_type() {
    let app = spawn_app().await;

    app.post_raw("/api/token/", "text/plain", b"username=alice".to_vec())
        .await
        .assert(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            json!({"detail": "Unsupported media type \"text/plain\" in request."}),
        );
}

#[tokio::test]
async fn non_string_credentials_are_field_errors() {
    let app = spawn_app().await;

    app.post_json(
        "/api/token/",
        &json!({"username": {"a": 1}, "password": ["x"]}),
    )
    .await
    .assert(
        StatusCode::BAD_REQUEST,
        json!({
            "username": ["Not a valid string."],
            "password": ["Not a valid string."],
        }),
    );
    let mut wrong = Vec::new();
    for (path, field) in [
        ("/api/token/", "username"),
        ("/api/token/", "password"),
        ("/api/token/refresh/", "refresh"),
        ("/api/token/verify/", "token"),
        ("/api/token/blacklist/", "refresh"),
    ] {
        // Numbers are not listed: DRF's CharField accepts them as strings (compat), and a
        // number where a token or password belongs simply fails as a wrong token/password.
        for value in [json!(true), json!({"a": 1}), json!(["x"])] {
            let mut body = json!({"username": "alice", "password": PASSWORD});
            body[field] = value.clone();
            let reply = app.post_json(path, &body).await;
            if (reply.status, &reply.body)
                != (
                    StatusCode::BAD_REQUEST,
                    &json!({ field: ["Not a valid string."] }),
                )
            {
                wrong.push(format!(
                    "{path} {field}={value} -> {} {}",
                    reply.status, reply.text
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "not refused as non-strings: {wrong:#?}");
}

#[tokio::test]
async fn blank_credentials_are_field_errors() {
    let app = spawn_app().await;

    app.login("", "").await.assert(
        StatusCode::BAD_REQUEST,
        json!({
            "username": ["This field may not be blank."],
            "password": ["This field may not be blank."],
        }),
    );
}

#[tokio::test]
async fn form_bodies_report_missing_fields_like_json_bodies() {
    let app = spawn_app().await;

    app.post_form("/api/token/", &[("username", "alice")])
        .await
        .assert(
            StatusCode::BAD_REQUEST,
            json!({"password": ["This field is required."]}),
        );
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_json_error() {
    let app = spawn_app().await;
    let padding = "x".repeat(70 * 1024);
    let body = json!({"username": "alice", "password": padding}).to_string();

    let reply = app
        .post_raw("/api/token/", "application/json", body.into_bytes())
        .await;

    reply.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.body["detail"].is_string(), "{}", reply.text);
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn headers_over_the_limit_are_a_431_json_error() {
    let app = spawn_app().await;

    let request = app
        .client
        .get(app.url("/healthz"))
        .header("X-Padding", "p".repeat(10 * 1024));
    let reply = app.send(request).await;

    reply.assert_status(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(reply.body["detail"].is_string(), "{}", reply.text);
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

#[tokio::test]
async fn an_unknown_path_is_a_404_json_error() {
    let app = spawn_app().await;

    for path in ["/nope", "/api/token/nope/", "/auth/users/me/extra/"] {
        app.send(app.client.get(app.url(path)))
            .await
            .assert(StatusCode::NOT_FOUND, json!({"detail": "Not found."}));
    }
}

#[tokio::test]
async fn a_wrong_method_is_a_405_json_error() {
    let app = spawn_app().await;

    app.send(app.client.get(app.url("/api/token/")))
        .await
        .assert(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"detail": "Method \"GET\" not allowed."}),
        );
    app.send(app.client.delete(app.url("/api/token/refresh/")))
        .await
        .assert(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"detail": "Method \"DELETE\" not allowed."}),
        );
}

#[tokio::test]
async fn every_response_forbids_content_sniffing() {
    let (app, tokens) = spawn_app_and_alice().await;

    let replies = [
        app.healthz().await,
        app.secret(&tokens.access).await,
        app.secret("garbage").await,
        app.register("alice", PASSWORD).await,
        app.register("bob", PASSWORD).await,
        app.login("alice", PASSWORD).await,
        app.send(app.client.get(app.url("/nope"))).await,
        app.send(app.client.get(app.url("/api/token/"))).await,
        app.post_raw("/api/token/", "text/plain", b"x".to_vec())
            .await,
        app.logout(&tokens.access, None).await,
    ];
    for reply in replies {
        assert_eq!(
            reply.header("x-content-type-options"),
            Some("nosniff"),
            "{} {}",
            reply.status,
            reply.text
        );
    }
}

#[tokio::test]
async fn deeply_nested_json_is_refused_without_a_crash() {
    let app = spawn_app().await;
    let body = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));

    let reply = app
        .post_raw("/api/token/", "application/json", body.into_bytes())
        .await;

    assert!(
        reply.status.is_client_error(),
        "{} {}",
        reply.status,
        reply.text
    );
    assert!(
        reply.body["detail"].is_string() || reply.body.is_object(),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn an_overlong_username_is_a_field_error() {
    let app = spawn_app().await;

    let reply = app.register(&"u".repeat(10_000), PASSWORD).await;

    reply.assert_status(StatusCode::BAD_REQUEST);
    assert!(reply.body["username"].is_array(), "{}", reply.text);
    assert_eq!(app.db_number("SELECT count(*) FROM users"), 0);
}

/// A sweep of odd requests across every endpoint: all must answer 4xx JSON, none 5xx.
#[tokio::test]
async fn no_odd_request_produces_a_server_error() {
    let (app, tokens) = spawn_app_and_alice().await;
    let posts = [
        "/api/token/",
        "/api/token/refresh/",
        "/api/token/verify/",
        "/api/token/blacklist/",
        "/auth/jwt/create/",
        "/auth/jwt/refresh/",
        "/auth/jwt/verify/",
        "/auth/users/",
    ];
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        ("application/json", b"".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"\"string\"".to_vec()),
        ("application/json", b"12".to_vec()),
        (
            "application/json",
            b"{\"username\": null, \"password\": null}".to_vec(),
        ),
        (
            "application/json",
            b"{\"username\": \"a\\u0000b\", \"password\": \"\\ud800\"}".to_vec(),
        ),
        ("application/json", b"\xff\xfe{}".to_vec()),
        (
            "application/json",
            b"{\"refresh\": \"\", \"token\": \"\"}".to_vec(),
        ),
        (
            "application/x-www-form-urlencoded",
            b"username=%ff%fe&password=%00".to_vec(),
        ),
        ("application/x-www-form-urlencoded", b"%%%&&&===".to_vec()),
        (
            "application/x-www-form-urlencoded",
            b"username=a&username=b&password=c".to_vec(),
        ),
        ("multipart/form-data; boundary=x", b"--x--".to_vec()),
        ("application/xml", b"<a/>".to_vec()),
        ("", b"{}".to_vec()),
    ];
    for path in posts {
        for (content_type, body) in &bodies {
            let reply = app.post_raw(path, content_type, body.clone()).await;
            assert!(
                reply.status.is_client_error(),
                "POST {path} {content_type} {:?}: {} {}",
                String::from_utf8_lossy(body),
                reply.status,
                reply.text
            );
            assert!(
                reply.body.is_object(),
                "POST {path}: not JSON: {}",
                reply.text
            );
        }
    }
    for method in [Method::PUT, Method::PATCH] {
        for (content_type, body) in &bodies {
            let request = app
                .client
                .request(method.clone(), app.url("/auth/users/me/"))
                .bearer_auth(&tokens.access)
                .header("Content-Type", *content_type)
                .body(body.clone());
            let reply = app.send(request).await;
            assert!(
                !reply.status.is_server_error(),
                "{method} me {content_type}: {} {}",
                reply.status,
                reply.text
            );
        }
    }
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
}
