//! `GET /metrics`: Prometheus text, labelled by route templates and fixed reasons, never by
//! anything a client sent; on its own address with `metrics_bind`; off with `metrics = false`.

use bouncer::{Application, LoadOptions, Settings};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

const WRONG: &str = "not-the-password-1";

impl Api {
    async fn metrics(&self) -> Reply {
        let reply = self.send(self.client.get(self.url("/metrics"))).await;
        reply.assert_status(StatusCode::OK);
        reply
    }
}

/// The value of the series written exactly as `series` (name and labels), or 0 when absent.
fn value_of(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().expect("a number"))
}

/// A metric name as the text format allows: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Checks every line of the exposition: a comment (`# HELP`/`# TYPE`) or a sample
/// `name{label="value",...} number`, labels well formed. Returns how many samples there are.
#[track_caller]
fn assert_prometheus_text(text: &str) -> usize {
    let mut samples = 0;
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            let kind = words.next().unwrap();
            assert!(kind == "HELP" || kind == "TYPE", "comment line: {line}");
            assert!(is_metric_name(words.next().unwrap_or("")), "line: {line}");
            if kind == "TYPE" {
                let t = words.next().unwrap_or("");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                    "type in: {line}"
                );
            }
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        assert!(
            value.parse::<f64>().is_ok() || ["+Inf", "-Inf", "NaN"].contains(&value),
            "value in: {line}"
        );
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => (name, rest.strip_suffix('}').expect("closing brace")),
            None => (series, ""),
        };
        assert!(is_metric_name(name), "name in: {line}");
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            let (label, quoted) = pair.split_once('=').expect("label=value");
            assert!(is_metric_name(label), "label in: {line}");
            assert!(quoted.starts_with('"'), "quoted label value in: {line}");
        }
        samples += 1;
    }
    samples
}

#[tokio::test]
async fn metrics_are_prometheus_text_labelled_by_route_templates_not_paths() {
    let app = spawn_app().await;
    let (id, tokens) = app.alice().await;
    let admin = app.admin().await;
    app.call(
        reqwest::Method::GET,
        &format!("/auth/users/{id}/"),
        &format!("Bearer {}", admin.access),
        None,
    )
    .await
    .assert_status(StatusCode::OK);
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
    app.send(app.client.get(app.url("/no/such/path/9f3e")))
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let reply = app.metrics().await;
    let content_type = reply.header("content-type").unwrap();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    assert!(assert_prometheus_text(&reply.text) > 20, "{}", reply.text);
    let text = &reply.text;
    let detail =
        r#"bouncer_http_requests_total{method="GET",route="/auth/users/{id}/",status="200"}"#;
    assert_eq!(value_of(text, detail), 1.0, "{text}");
    let secret = r#"bouncer_http_requests_total{method="GET",route="/api/secret/",status="200"}"#;
    assert_eq!(value_of(text, secret), 1.0, "{text}");
    let unknown = r#"bouncer_http_requests_total{method="GET",route="unmatched",status="404"}"#;
    assert_eq!(value_of(text, unknown), 1.0, "{text}");
    assert!(
        text.contains(
            r#"bouncer_http_request_duration_seconds_bucket{route="/api/secret/",le="+Inf"} 1"#
        ),
        "{text}"
    );
    assert!(
        !text.contains(&format!("/auth/users/{id}/")),
        "a raw path: {text}"
    );
    assert!(!text.contains("9f3e"), "a raw path: {text}");
    // Gauges read at scrape time, and the writer's batches (every write so far went through
    // it on SQLite; on PostgreSQL, only revocations do).
    assert!(
        text.contains(r#"bouncer_db_pool_connections{state="idle"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"bouncer_revocation_list_entries{kind="session"} 0"#),
        "{text}"
    );
    assert!(text.contains("bouncer_db_write_batch_size_count"), "{text}");
}

#[tokio::test]
async fn no_username_token_address_or_request_id_appears_in_the_metrics_and_each_event_counts() {
    let app = spawn_app_with(&[("throttle.num_proxies", "1")]).await;
    let users = ["metrics-user-qx7", "metrics-user-zk4"];
    let addresses = ["203.0.113.77", "198.51.100.23"];
    let mut secrets: Vec<String> = Vec::new();
    for (user, address) in users.iter().zip(addresses) {
        app.create_user(user, PASSWORD).await;
        for password in [WRONG, PASSWORD] {
            let reply = app
                .send(
                    app.client
                        .post(app.url("/api/token/"))
                        .header("X-Forwarded-For", address)
                        .header("X-Request-Id", format!("rid-{user}"))
                        .json(&json!({"username": user, "password": password})),
                )
                .await;
            if password == PASSWORD {
                let tokens = tokens_of(&reply);
                secrets.extend([tokens.access, tokens.refresh]);
            }
        }
    }
    let (access, refresh) = (secrets[0].clone(), secrets[1].clone());
    let rotated = app.rotate(&refresh).await;
    // The rotated token again: a replay, so the whole session is revoked.
    app.refresh(&refresh)
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    app.logout(&secrets[2], Some(&secrets[3]))
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let key = app.key(users[1], PASSWORD).await;
    secrets.extend([rotated.access, rotated.refresh, key, access]);

    let text = app.metrics().await.text;
    assert_prometheus_text(&text);
    let leaks: Vec<String> = users
        .iter()
        .map(|u| u.to_string())
        .chain(addresses.iter().map(|a| a.to_string()))
        .chain(users.iter().map(|u| format!("rid-{u}")))
        .chain(secrets)
        .filter(|s| text.contains(s.as_str()))
        .collect();
    assert!(leaks.is_empty(), "found {leaks:?} in:\n{text}");
    let count = |series: &str| value_of(&text, series);
    assert_eq!(
        count(r#"bouncer_logins_total{credential="jwt",result="bad_credentials"}"#),
        2.0,
        "{text}"
    );
    assert_eq!(
        count(r#"bouncer_logins_total{credential="jwt",result="ok"}"#),
        2.0,
        "{text}"
    );
    assert_eq!(
        count(r#"bouncer_logins_total{credential="key",result="ok"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(count("bouncer_token_refreshes_total"), 1.0, "{text}");
    assert_eq!(
        count("bouncer_refresh_reuse_detections_total"),
        1.0,
        "{text}"
    );
    assert_eq!(
        count(r#"bouncer_revocations_total{cause="reuse"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        count(r#"bouncer_revocations_total{cause="logout"}"#),
        1.0,
        "{text}"
    );
    assert!(
        count(r#"bouncer_revocation_list_entries{kind="session"}"#) >= 2.0,
        "{text}"
    );
}

#[tokio::test]
async fn a_locked_out_login_is_counted_as_such() {
    let app = spawn_app_with(&[
        ("throttle.login_failures_per_user_and_address", "1"),
        ("throttle.login_failures_per_address", "2"),
    ])
    .await;
    app.create_user("locked-user", PASSWORD).await;
    for _ in 0..2 {
        app.login("locked-user", WRONG).await;
    }
    let text = app.metrics().await.text;
    let count = |series: &str| value_of(&text, series);
    assert_eq!(
        count(r#"bouncer_logins_total{credential="jwt",result="bad_credentials"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        count(r#"bouncer_logins_total{credential="jwt",result="locked_out"}"#),
        1.0,
        "{text}"
    );
}

#[tokio::test]
async fn a_throttled_request_is_counted() {
    let (app, tokens) = spawn_app_and_alice().await;
    // The `ten` scope of config/test.toml: 10 a minute.
    for _ in 0..11 {
        app.call(
            reqwest::Method::GET,
            "/api/throttle-check-auth",
            &format!("Bearer {}", tokens.access),
            None,
        )
        .await;
    }
    let text = app.metrics().await.text;
    assert_eq!(
        value_of(&text, "bouncer_throttled_requests_total"),
        1.0,
        "{text}"
    );
    let refused = r#"bouncer_http_requests_total{method="GET",route="/api/throttle-check-auth",status="429"}"#;
    assert_eq!(value_of(&text, refused), 1.0, "{text}");
}

#[tokio::test]
async fn metrics_take_no_input_post_is_405_and_a_query_changes_nothing() {
    let app = spawn_app().await;
    let reply = app.post_json("/metrics", &json!({"reset": true})).await;
    reply.assert_status(StatusCode::METHOD_NOT_ALLOWED);
    let reply = app
        .send(app.client.get(app.url("/metrics?name[]=x&format=json")))
        .await;
    reply.assert_status(StatusCode::OK);
    assert_prometheus_text(&reply.text);
    assert!(!reply.text.contains("format=json"));
}

#[tokio::test]
async fn with_metrics_off_there_is_no_metrics_endpoint() {
    let app = spawn_app_with(&[("metrics", "false")]).await;
    app.send(app.client.get(app.url("/metrics")))
        .await
        .assert_status(StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn metrics_bind_serves_metrics_on_its_own_port_and_the_main_port_answers_404() {
    let database = TestDb::new();
    let settings = test_settings(&database, &[("metrics_bind".into(), "127.0.0.1:0".into())]);
    let application = Application::build(settings).await.expect("builds");
    let main = Api::new(format!("http://127.0.0.1:{}", application.port()));
    let port = application.metrics_port().expect("a metrics port");
    assert_ne!(port, application.port());
    let handle = application.handle();
    tokio::spawn(application.run_until_stopped());
    let metrics = Api::new(format!("http://127.0.0.1:{port}"));

    main.healthz().await.assert_status(StatusCode::OK);
    main.send(main.client.get(main.url("/metrics")))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let text = metrics.metrics().await.text;
    assert_prometheus_text(&text);
    // The main port's requests are what it counts; its own routes are not there.
    let health = r#"bouncer_http_requests_total{method="GET",route="/healthz",status="200"}"#;
    assert_eq!(value_of(&text, health), 1.0, "{text}");
    metrics
        .send(metrics.client.get(metrics.url("/healthz")))
        .await
        .assert_status(StatusCode::NOT_FOUND);
    handle.stop(true).await;
}

#[tokio::test]
async fn the_signing_key_age_is_shown_for_stored_keys_and_absent_for_a_secret() {
    const KEK: &str = "5b1e0c7d9a8f4e2d3c6b7a8091f2e3d4c5b6a7980f1e2d3c4b5a69788f9e0d1c";
    let stored = spawn_app_with(&[
        ("signing_keys", "database"),
        ("algorithm", "ES256"),
        ("key_encryption_secret", KEK),
    ])
    .await;
    let text = stored.metrics().await.text;
    let age = value_of(&text, "bouncer_signing_key_age_seconds");
    assert!(text.contains("bouncer_signing_key_age_seconds "), "{text}");
    assert!((0.0..60.0).contains(&age), "{text}");
    let secret = spawn_app().await;
    let text = secret.metrics().await.text;
    assert!(!text.contains("bouncer_signing_key_age_seconds "), "{text}");
}

fn load_with(overrides: &[(&str, &str)]) -> Result<Settings, String> {
    let overrides = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::load(&LoadOptions {
        config_file: Some(CONFIG_FILE.into()),
        read_env: false,
        overrides,
    })
    .map_err(|e| e.to_string())
}

#[test]
fn a_bad_metrics_bind_stops_start_up_naming_the_setting() {
    for (overrides, why) in [
        (vec![("metrics_bind", "localhost")], "address and port"),
        (
            vec![("metrics_bind", "127.0.0.1:9100"), ("metrics", "false")],
            "metrics = false",
        ),
        (
            vec![
                ("metrics_bind", "127.0.0.1:8000"),
                ("bind", "127.0.0.1:8000"),
            ],
            "differ from bind",
        ),
    ] {
        let error = load_with(&overrides).expect_err("refused");
        assert!(
            error.contains("metrics_bind") && error.contains(why),
            "{error}"
        );
    }
    assert!(load_with(&[("metrics_bind", "127.0.0.1:0")]).is_ok());
}
