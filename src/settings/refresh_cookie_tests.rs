//! Unit tests for the `[refresh_cookie]` settings and their start-up checks.
use std::time::Duration;

use super::tests::load;
use super::*;

#[test]
fn the_defaults_are_a_secure_strict_cookie_and_a_ten_second_grace() {
    let s = load(&[]).unwrap();
    assert!(s.refresh_cookie.secure);
    assert_eq!(s.refresh_cookie.same_site, SameSite::Strict);
    assert_eq!(s.refresh_reuse_grace, Duration::from_secs(10));
    assert!(load(&[("refresh_cookie.same_site", "none")]).is_err());
}

#[test]
fn an_insecure_cookie_is_allowed_only_on_loopback() {
    let dev = [
        ("refresh_cookie.secure", "false"),
        (
            "cors.allowed_origins",
            "http://localhost:3000,http://127.0.0.1:8080",
        ),
    ];
    assert!(load(&dev).is_ok());
    for (key, value) in [
        ("bind", "0.0.0.0:8000"),
        ("bind", "192.168.1.10:8000"),
        ("cors.allowed_origins", "https://app.example.com"),
        ("cors.allowed_origins", "http://app.example.com"),
        ("cors.allowed_origins", "https://localhost:3000"),
    ] {
        let mut settings = dev.to_vec();
        settings.retain(|(k, _)| *k != key);
        settings.push((key, value));
        let err = load(&settings).unwrap_err().to_string();
        assert!(
            err.contains("refresh_cookie.secure"),
            "{key}={value}: {err}"
        );
        assert!(err.contains("development"), "{err}");
    }
}

#[test]
fn start_up_warns_when_listed_origins_cannot_use_cookie_mode() {
    let without_credentials = load(&[("cors.allowed_origins", "https://app.example.com")]).unwrap();
    let warnings = cookie_mode_warnings(&without_credentials.cors);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("cors.allow_credentials = true"));
    let without_headers = load(&[
        ("cors.allowed_origins", "https://app.example.com"),
        ("cors.allow_credentials", "true"),
        ("cors.allowed_headers", "Authorization,Content-Type"),
    ])
    .unwrap();
    assert_eq!(cookie_mode_warnings(&without_headers.cors).len(), 2);
    let ready = load(&[
        ("cors.allowed_origins", "https://app.example.com"),
        ("cors.allow_credentials", "true"),
    ])
    .unwrap();
    assert!(cookie_mode_warnings(&ready.cors).is_empty());
    assert!(cookie_mode_warnings(&load(&[]).unwrap().cors).is_empty());
}
