//! CORS for browser front ends on other origins (`[cors]`): allowed origins get the headers on
//! every reply, errors included, and preflights on every route; other origins, and the default
//! settings, get no CORS header at all; `*` with credentials stops start-up.

use bouncer::{LoadOptions, Settings};
use reqwest::{Method, StatusCode};

use crate::helpers::*;
use crate::process::*;

const APP: &str = "https://app.example.com";
const OTHER_APP: &str = "http://localhost:3000";
const EVIL: &str = "https://evil.example.net";

/// A server that lets [`APP`] and [`OTHER_APP`] in, with credentials.
async fn spawn_cors_app() -> TestApp {
    spawn_app_with(&[
        ("cors.allowed_origins", &format!("{APP},{OTHER_APP}")),
        ("cors.allow_credentials", "true"),
    ])
    .await
}

/// The names of the `Access-Control-*` headers of a reply.
fn cors_headers(reply: &Reply) -> Vec<String> {
    reply
        .headers
        .keys()
        .map(|name| name.as_str().to_owned())
        .filter(|name| name.starts_with("access-control-"))
        .collect()
}

impl Api {
    async fn get_from(&self, path: &str, origin: &str) -> Reply {
        self.send(self.client.get(self.url(path)).header("Origin", origin))
            .await
    }

    /// A browser's preflight for a POST with a JSON body and a bearer token.
    async fn preflight(&self, path: &str, origin: &str) -> Reply {
        let request = self
            .client
            .request(Method::OPTIONS, self.url(path))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,authorization",
            );
        self.send(request).await
    }
}

#[track_caller]
fn assert_allows(reply: &Reply, origin: &str) {
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some(origin),
        "{reply:?}"
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true"),
        "{reply:?}"
    );
    let vary = reply
        .header("vary")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        vary.contains("origin"),
        "caches must key on Origin: {reply:?}"
    );
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_on_success_and_on_errors() {
    let app = spawn_cors_app().await;

    let ok = app.get_from("/healthz", APP).await;
    ok.assert_status(StatusCode::OK);
    assert_allows(&ok, APP);
    // A page may read the request id (to quote it) and the throttle's Retry-After.
    let exposed = ok
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for name in ["x-request-id", "retry-after", "ratelimit-reset"] {
        assert!(exposed.contains(name), "{name} not exposed: {ok:?}");
    }

    // The 401's JSON is only readable by the page if the CORS headers are on it too.
    let unauthorized = app.get_from("/api/secret/", OTHER_APP).await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unauthorized.body["detail"], NO_CREDENTIALS);
    assert!(unauthorized.header("www-authenticate").is_some());
    assert_allows(&unauthorized, OTHER_APP);

    // Errors actix makes itself, rewritten to JSON by our error handlers.
    let not_found = app.get_from("/no/such/path/", APP).await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    assert!(not_found.body["detail"].is_string(), "{not_found:?}");
    assert_allows(&not_found, APP);
    let wrong_method = app.get_from("/api/token/", APP).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_allows(&wrong_method, APP);
}

#[tokio::test]
async fn a_preflight_is_answered_on_every_route_even_post_only_ones() {
    let app = spawn_cors_app().await;

    for path in [
        "/api/token/",
        "/api/token/refresh/",
        "/auth/users/me/",
        "/auth/logout/",
    ] {
        let reply = app.preflight(path, APP).await;

        assert!(reply.status.is_success(), "{path}: {reply:?}");
        assert_allows(&reply, APP);
        let methods = reply
            .header("access-control-allow-methods")
            .unwrap_or_default();
        assert!(methods.contains("POST"), "{path}: {reply:?}");
        let headers = reply
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization")
                && headers.contains("content-type")
                && headers.contains("dpop"),
            "{path}: {reply:?}"
        );
        assert_eq!(
            reply.header("access-control-max-age"),
            Some("3600"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_real_request_after_a_preflight_works_from_an_allowed_origin() {
    let app = spawn_cors_app().await;
    app.create_user("alice", PASSWORD).await;

    let request = app
        .client
        .post(app.url("/api/token/"))
        .header("Origin", APP)
        .json(&serde_json::json!({"username": "alice", "password": PASSWORD}));
    let reply = app.send(request).await;

    tokens_of(&reply);
    assert_allows(&reply, APP);
}

#[tokio::test]
async fn a_disallowed_origin_gets_no_cors_headers() {
    let app = spawn_cors_app().await;

    // Served as usual (curl and same-origin forms send Origin too); the browser hides it.
    let reply = app.get_from("/healthz", EVIL).await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(cors_headers(&reply), Vec::<String>::new(), "{reply:?}");

    let unauthorized = app.get_from("/api/secret/", EVIL).await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    assert_eq!(cors_headers(&unauthorized), Vec::<String>::new());

    // Nor does a request without an Origin (curl, server to server).
    assert_eq!(cors_headers(&app.healthz().await), Vec::<String>::new());

    // A near miss is a different origin.
    let preflight = app
        .preflight("/api/token/", "https://app.example.com:8443")
        .await;
    assert!(!preflight.status.is_success(), "{preflight:?}");
    assert_eq!(cors_headers(&preflight), Vec::<String>::new());
    let preflight = app.preflight("/api/token/", EVIL).await;
    assert!(!preflight.status.is_success(), "{preflight:?}");
    assert_eq!(cors_headers(&preflight), Vec::<String>::new());
}

#[tokio::test]
async fn the_default_settings_send_no_cors_headers() {
    let app = spawn_app().await;

    let reply = app.get_from("/healthz", APP).await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(cors_headers(&reply), Vec::<String>::new());

    let preflight = app.preflight("/api/token/", APP).await;
    assert!(!preflight.status.is_success(), "{preflight:?}");
    assert_eq!(cors_headers(&preflight), Vec::<String>::new());
}

#[tokio::test]
async fn a_wildcard_without_credentials_allows_any_origin() {
    let app = spawn_app_with(&[("cors.allowed_origins", "*")]).await;

    let reply = app.get_from("/healthz", EVIL).await;

    reply.assert_status(StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    let preflight = app.preflight("/api/token/", OTHER_APP).await;
    assert!(preflight.status.is_success(), "{preflight:?}");
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn a_wildcard_with_credentials_stops_start_up_with_one_clear_line() {
    let db = TestDb::new();
    let overrides = [
        ("database_url", db.url()),
        ("cors.allowed_origins", "*".into()),
        ("cors.allow_credentials", "true".into()),
    ];
    let loaded = Settings::load(&LoadOptions {
        config_file: Some(CONFIG_FILE.into()),
        read_env: false,
        overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    });
    let message = loaded.unwrap_err().to_string();
    assert!(message.contains("cors.allowed_origins"), "{message}");
    assert!(message.contains("list the origins"), "{message}");

    // The same from the environment, through the binary: `serve` exits with that one line.
    let output = run(bouncer(&db)
        .env("BOUNCER_CORS__ALLOWED_ORIGINS", "*")
        .env("BOUNCER_CORS__ALLOW_CREDENTIALS", "true")
        .arg("serve"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{}", describe(&output));
    assert_eq!(stderr.trim().lines().count(), 1, "{}", describe(&output));
    assert!(
        stderr.contains("cors.allowed_origins"),
        "{}",
        describe(&output)
    );
}

#[tokio::test]
async fn serve_reads_the_cors_table_from_double_underscore_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new();
    let mut command = bouncer(&db);
    command
        .env(
            "BOUNCER_CORS__ALLOWED_ORIGINS",
            format!("{APP},{OTHER_APP}"),
        )
        .env("BOUNCER_CORS__MAX_AGE", "10m");
    let served = Served::start(command, dir.path().join("serve.log")).await;

    let reply = served.get_from("/healthz", OTHER_APP).await;
    assert_eq!(reply.header("access-control-allow-origin"), Some(OTHER_APP));
    assert_eq!(reply.header("access-control-allow-credentials"), None);
    let preflight = served.preflight("/api/token/", APP).await;
    assert_eq!(preflight.header("access-control-max-age"), Some("600"));
}
