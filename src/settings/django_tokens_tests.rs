//! Unit tests for the `[django_tokens]` checks.

use super::*;

fn on() -> DjangoTokensSettings {
    DjangoTokensSettings {
        signing_key: Some(Secret::new("django-insecure-abc")),
        algorithm: DjangoAlgorithm::HS256,
        user_id_claim: "user_id".into(),
        token_type_claim: "token_type".into(),
        jti_claim: "jti".into(),
        issuer: None,
        audience: None,
        refresh_token_lifetime: Duration::from_secs(86_400),
        accept_until: None,
    }
}

fn message(d: &DjangoTokensSettings) -> String {
    validate(d).unwrap_err().to_string()
}

#[test]
fn a_weak_django_key_is_accepted_with_a_warning_that_never_shows_it() {
    let d = on();
    assert!(validate(&d).is_ok());
    let warnings = warnings(&d, None).join("\n");
    assert!(warnings.contains("weak"), "{warnings}");
    assert!(!warnings.contains("django-insecure-abc"));
}

#[test]
fn nothing_is_checked_while_the_feature_is_off() {
    let d = DjangoTokensSettings {
        signing_key: None,
        jti_claim: String::new(),
        ..on()
    };
    assert!(validate(&d).is_ok());
    assert!(warnings(&d, None).is_empty());
}

#[test]
fn bad_values_name_their_setting() {
    let empty = DjangoTokensSettings {
        signing_key: Some(Secret::new("")),
        ..on()
    };
    assert!(message(&empty).contains("django_tokens.signing_key"));
    let clash = DjangoTokensSettings {
        jti_claim: "user_id".into(),
        ..on()
    };
    assert!(message(&clash).contains("django_tokens.jti_claim"));
    let registered = DjangoTokensSettings {
        user_id_claim: "exp".into(),
        ..on()
    };
    assert!(message(&registered).contains("django_tokens.user_id_claim"));
    let date = DjangoTokensSettings {
        accept_until: Some("next tuesday".into()),
        ..on()
    };
    assert!(message(&date).contains("django_tokens.accept_until"));
    let lifetime = DjangoTokensSettings {
        refresh_token_lifetime: Duration::ZERO,
        ..on()
    };
    assert!(message(&lifetime).contains("refresh_token_lifetime"));
}

#[test]
fn the_end_date_is_a_day_or_a_moment() {
    let day = DjangoTokensSettings {
        accept_until: Some("2027-01-31".into()),
        ..on()
    };
    assert_eq!(day.accept_until_seconds(), Some(1_801_353_600));
    let moment = DjangoTokensSettings {
        accept_until: Some("2027-01-31T01:00:00+01:00".into()),
        ..on()
    };
    assert_eq!(moment.accept_until_seconds(), Some(1_801_353_600));
}
