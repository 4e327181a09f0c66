use std::time::Duration;

use prometheus::{Encoder, Registry, TextEncoder};

use super::events::{Login, LoginCounters, LoginCredential, RevocationCause, RevocationCounters};
use super::requests::Requests;

fn text(registry: &Registry) -> String {
    let mut out = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut out)
        .expect("encodes");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn each_login_pair_counts_in_its_own_series() {
    let registry = Registry::new();
    let logins = LoginCounters::register(&registry).expect("registers");
    logins.get(LoginCredential::Key, Login::LockedOut).inc();
    logins
        .get(LoginCredential::Jwt, Login::BadCredentials)
        .inc();
    logins
        .get(LoginCredential::Jwt, Login::BadCredentials)
        .inc();
    let text = text(&registry);
    assert!(text.contains(r#"bouncer_logins_total{credential="key",result="locked_out"} 1"#));
    assert!(text.contains(r#"bouncer_logins_total{credential="jwt",result="bad_credentials"} 2"#));
    assert!(text.contains(r#"bouncer_logins_total{credential="activation",result="ok"} 0"#));
}

#[test]
fn each_revocation_cause_counts_in_its_own_series() {
    let registry = Registry::new();
    let revocations = RevocationCounters::register(&registry).expect("registers");
    revocations.get(RevocationCause::Reuse).inc();
    revocations.get(RevocationCause::RightsLost).inc();
    let text = text(&registry);
    assert!(text.contains(r#"bouncer_revocations_total{cause="reuse"} 1"#));
    assert!(text.contains(r#"bouncer_revocations_total{cause="rights_lost"} 1"#));
    assert!(text.contains(r#"bouncer_revocations_total{cause="logout"} 0"#));
}

#[test]
fn a_session_ended_by_its_user_is_not_counted_as_an_admin_action() {
    assert_eq!(
        RevocationCause::by(Some(7), 7),
        RevocationCause::SessionEnded
    );
    assert_eq!(RevocationCause::by(Some(1), 7), RevocationCause::Admin);
    assert_eq!(RevocationCause::by(None, 7), RevocationCause::Admin);
}

#[test]
fn requests_are_labelled_by_template_and_odd_methods_share_one_label() {
    let registry = Registry::new();
    let requests = Requests::register(&registry).expect("registers");
    let ms = Duration::from_millis(1);
    requests.record(Some("/auth/users/{id}/"), "GET", 200, ms);
    requests.record(Some("/auth/users/{id}/"), "GET", 200, ms);
    requests.record(None, "BREW", 404, ms);
    let text = text(&registry);
    assert!(text.contains(
        r#"bouncer_http_requests_total{method="GET",route="/auth/users/{id}/",status="200"} 2"#
    ));
    assert!(text.contains(
        r#"bouncer_http_requests_total{method="other",route="unmatched",status="404"} 1"#
    ));
    assert!(text.contains(r#"bouncer_http_request_duration_seconds_count{route="unmatched"} 1"#));
    assert!(!text.contains("BREW"));
}

#[test]
fn a_disabled_handle_renders_nothing() {
    let metrics = super::Metrics::disabled();
    metrics.throttled();
    assert!(!metrics.enabled());
    assert_eq!(metrics.render(), "");
}

#[test]
fn requests_recorded_on_different_threads_add_up_in_one_series() {
    let registry = Registry::new();
    let requests = Requests::register(&registry).expect("registers");
    let ms = Duration::from_millis(1);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                for _ in 0..5 {
                    requests.record(Some("/api/secret/"), "GET", 200, ms);
                }
            });
        }
    });
    requests.record(Some("/api/secret/"), "GET", 401, Duration::from_secs(3));
    let text = text(&registry);
    assert!(text.contains(
        r#"bouncer_http_requests_total{method="GET",route="/api/secret/",status="200"} 15"#
    ));
    assert!(text.contains(
        r#"bouncer_http_requests_total{method="GET",route="/api/secret/",status="401"} 1"#
    ));
    assert!(
        text.contains(r#"bouncer_http_request_duration_seconds_count{route="/api/secret/"} 16"#)
    );
    assert!(text.contains(
        r#"bouncer_http_request_duration_seconds_bucket{route="/api/secret/",le="0.001"} 15"#
    ));
    assert!(text.contains(
        r#"bouncer_http_request_duration_seconds_bucket{route="/api/secret/",le="+Inf"} 16"#
    ));
    // One series per label set, not one per thread.
    assert_eq!(text.matches(r#"status="200"} "#).count(), 1);
}
