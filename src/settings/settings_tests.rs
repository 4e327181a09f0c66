//! Unit tests for layered settings: defaults, unknown keys, bad values, redaction.
use std::time::Duration;

use super::*;

fn load(overrides: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::load(&LoadOptions {
        overrides: overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    })
}

#[test]
fn defaults_match_the_documented_values() {
    let s = load(&[]).expect("defaults load");
    assert_eq!(s.bind, "127.0.0.1:8000");
    assert_eq!(s.access_token_lifetime, Duration::from_secs(300));
    assert_eq!(s.refresh_token_lifetime, Duration::from_secs(86_400));
    assert_eq!(s.leeway, Duration::ZERO);
    assert_eq!(s.auth_header_types, vec!["Bearer"]);
    assert_eq!(s.bcrypt_cost, 12);
    assert!(s.signing_secret.is_none());
    assert!(s.rotate_refresh_tokens && s.blacklist_after_rotation);
}

#[test]
fn unknown_keys_are_refused() {
    let err = load(&[("acess_token_lifetime", "5m")]).unwrap_err();
    assert!(err.to_string().contains("acess_token_lifetime"), "{err}");
}

#[test]
fn a_bad_duration_names_the_setting() {
    let err = load(&[("leeway", "five seconds")]).unwrap_err();
    assert!(err.to_string().contains("leeway"), "{err}");
}

#[test]
fn a_short_secret_is_refused() {
    let err = load(&[("signing_secret", "short")]).unwrap_err();
    assert!(err.to_string().contains("signing_secret"), "{err}");
}

#[test]
fn header_types_accept_a_comma_separated_string() {
    let s = load(&[("auth_header_types", "Bearer, JWT")]).unwrap();
    assert_eq!(s.auth_header_types, vec!["Bearer", "JWT"]);
}

#[test]
fn the_secret_is_redacted_in_debug_output() {
    let s = load(&[("signing_secret", "x".repeat(40).as_str())]).unwrap();
    assert!(!format!("{s:?}").contains("xxxx"));
}
