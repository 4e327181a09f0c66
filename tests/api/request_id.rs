//! `X-Request-Id` (issue 15 §5): kept when it is 1-128 characters of `[A-Za-z0-9._:-]`,
//! replaced by a new UUIDv7 otherwise (and never logged as sent), generated when absent,
//! returned on every response, and written in every log and audit line of its request.

use std::time::Duration;

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::process::*;

const HEADER: &str = "x-request-id";

async fn get_with_id(app: &Api, path: &str, id: Option<HeaderValue>) -> Reply {
    let mut request = app.client.get(app.url(path));
    if let Some(id) = id {
        request = request.header(HEADER, id);
    }
    app.send(request).await
}

#[track_caller]
fn assert_generated(reply: &Reply) -> String {
    let id = reply.header(HEADER).expect("an X-Request-Id header");
    let uuid = uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id:?}: {e}"));
    assert_eq!(uuid.get_version_num(), 7, "{id}");
    id.to_owned()
}

#[tokio::test]
async fn a_well_formed_request_id_is_echoed() {
    let app = spawn_app().await;
    for id in [
        "abc",
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "svc:node_1.req-42",
    ] {
        let reply = get_with_id(&app, "/healthz", Some(HeaderValue::from_static(id))).await;
        assert_eq!(reply.header(HEADER), Some(id));
    }
    let longest = "a".repeat(128);
    let reply = get_with_id(&app, "/healthz", Some(longest.parse().unwrap())).await;
    assert_eq!(reply.header(HEADER), Some(longest.as_str()));
}

#[tokio::test]
async fn an_absent_request_id_is_generated_and_differs_per_request() {
    let app = spawn_app().await;
    let first = assert_generated(&get_with_id(&app, "/healthz", None).await);
    let second = assert_generated(&get_with_id(&app, "/healthz", None).await);
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_malformed_request_id_is_replaced() {
    let app = spawn_app().await;
    let bad: Vec<HeaderValue> = vec![
        HeaderValue::from_static(""),
        "a".repeat(129).parse().unwrap(),
        HeaderValue::from_static("tab\there"),
        HeaderValue::from_static("a b"),
        HeaderValue::from_static("id=forged;x"),
        HeaderValue::from_bytes("caf\u{e9}".as_bytes()).unwrap(),
    ];
    for id in bad {
        let reply = get_with_id(&app, "/healthz", Some(id.clone())).await;
        let used = assert_generated(&reply);
        assert_ne!(used.as_bytes(), id.as_bytes());
    }
}

/// Bytes an HTTP client library refuses to send: actix's parser either refuses the request
/// or the id is replaced; it is never echoed.
#[tokio::test]
async fn a_request_id_with_control_characters_is_never_echoed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    for id in [&b"a\x01b"[..], b"a\x7fb", b"a\x1b[31mb"] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let mut request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: ".to_vec();
        request.extend_from_slice(id);
        request.extend_from_slice(b"\r\nConnection: close\r\n\r\n");
        stream.write_all(&request).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let text = String::from_utf8_lossy(&response).to_lowercase();
        assert!(
            !response.windows(id.len()).any(|w| w == id),
            "echoed: {text}"
        );
        if text.starts_with("http/1.1 200") {
            let line = text.lines().find(|l| l.starts_with(HEADER)).expect("an id");
            let value = line.split_once(": ").map(|(_, v)| v.trim()).unwrap_or("");
            assert!(uuid::Uuid::parse_str(value).is_ok(), "{line}");
        }
    }
}

#[tokio::test]
async fn errors_throttled_replies_and_preflights_carry_the_request_id_too() {
    let app = spawn_app_with(&[
        ("throttle.anon", "1/minute"),
        ("cors.allowed_origins", "https://app.example.com"),
    ])
    .await;
    let id = || Some(HeaderValue::from_static("trace-1"));
    // 404, then 200 and 429 on a throttled route, then a wrong method.
    let not_found = get_with_id(&app, "/no/such/route", id()).await;
    not_found.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(not_found.header(HEADER), Some("trace-1"));
    get_with_id(&app, "/api/throttle-check", id()).await;
    let throttled = get_with_id(&app, "/api/throttle-check", id()).await;
    throttled.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.header(HEADER), Some("trace-1"));
    let wrong = app
        .send(
            app.client
                .request(Method::PUT, app.url("/api/token/"))
                .header(HEADER, "trace-2"),
        )
        .await;
    assert!(wrong.status.is_client_error(), "{}", wrong.status);
    assert_eq!(wrong.header(HEADER), Some("trace-2"));
    let preflight = app
        .send(
            app.client
                .request(Method::OPTIONS, app.url("/api/token/"))
                .header("Origin", "https://app.example.com")
                .header("Access-Control-Request-Method", "POST")
                .header(HEADER, "trace-3"),
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(preflight.header(HEADER), Some("trace-3"));
}

// ------------------------------------------------------------ the logs of a real process

/// `bouncer serve` logging everything at info, in `format`.
async fn served(db: &TestDb, dir: &tempfile::TempDir, format: &str) -> Served {
    let mut command = bouncer(db);
    command
        .env("RUST_LOG", "info")
        .env("BOUNCER_LOG_FORMAT", format);
    Served::start(command, dir.path().join("serve.log")).await
}

async fn login_with_id(api: &Api, id: HeaderValue) -> Reply {
    let body = json!({"username": "alice", "password": PASSWORD});
    api.send(
        api.client
            .post(api.url("/api/token/"))
            .header(HEADER, id)
            .json(&body),
    )
    .await
}

/// The log, once the access line of the last request is in it.
async fn logs_with(served: &Served, needle: &str) -> String {
    for _ in 0..100 {
        let logs = served.logs();
        if logs.contains(needle) {
            return logs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{needle:?} never logged:\n{}", served.logs());
}

#[tokio::test]
async fn the_audit_line_of_a_login_carries_the_request_id_and_a_bad_one_is_never_logged() {
    let (db, dir) = (TestDb::new(), tempfile::tempdir().unwrap());
    let served = served(&db, &dir, "plain").await;
    served.create_user("alice", PASSWORD).await;

    let reply = login_with_id(&served, HeaderValue::from_static("login-7f3a")).await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(reply.header(HEADER), Some("login-7f3a"));
    let too_long = format!("forged{}", "x".repeat(123));
    let tab = "forged\tinjected";
    let generated = [
        login_with_id(&served, too_long.parse().unwrap()).await,
        login_with_id(&served, HeaderValue::from_static(tab)).await,
    ]
    .map(|reply| assert_generated(&reply));

    let logs = logs_with(&served, &generated[1]).await;
    let audit: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains(" bouncer::audit] event=login.success"))
        .collect();
    assert_eq!(audit.len(), 3, "{logs}");
    assert!(
        audit[0].ends_with(" request_id=\"login-7f3a\""),
        "{}",
        audit[0]
    );
    for (line, id) in audit[1..].iter().zip(&generated) {
        assert!(line.ends_with(&format!(" request_id=\"{id}\"")), "{line}");
    }
    let access = logs
        .lines()
        .find(|l| l.contains("bouncer::access") && l.contains("POST /api/token/"))
        .expect("an access line");
    assert!(access.ends_with(" request_id=login-7f3a"), "{access}");
    assert!(
        !logs.contains("forged"),
        "a rejected id was logged:\n{logs}"
    );
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_the_request_id() {
    let (db, dir) = (TestDb::new(), tempfile::tempdir().unwrap());
    let mut served = served(&db, &dir, "json").await;
    served.create_user("alice", PASSWORD).await;
    login_with_id(&served, HeaderValue::from_static("json-1"))
        .await
        .assert_status(StatusCode::OK);
    let logs = logs_with(&served, "POST /api/token/").await;
    served.kill();

    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}")))
        .collect();
    for line in &lines {
        for key in ["time", "level", "target", "message", "request_id"] {
            assert!(line.get(key).is_some(), "no {key} in {line}");
        }
    }
    let audit = lines
        .iter()
        .find(|l| {
            l["target"] == "bouncer::audit"
                && l["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("login.success"))
        })
        .expect("the login's audit line");
    assert_eq!(audit["request_id"], "json-1");
    assert_eq!(audit["level"], "INFO");
    assert!(
        lines
            .iter()
            .any(|l| l["target"] == "bouncer::startup" && l["request_id"].is_null()),
        "start-up lines have no request"
    );
}
