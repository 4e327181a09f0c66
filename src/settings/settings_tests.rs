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

#[test]
fn mail_defaults_match_the_documented_values() {
    let m = load(&[]).expect("defaults load").mail;
    assert_eq!(m.smtp_host, None, "no SMTP host: the outbox");
    assert_eq!(m.smtp_port, 587);
    assert_eq!(m.smtp_security, SmtpSecurity::Starttls);
    assert_eq!((m.smtp_username, m.smtp_password), (None, None));
    assert_eq!(m.from, "bouncer <noreply@localhost>");
    assert_eq!(m.timeout, Duration::from_secs(10));
    assert_eq!(m.outbox_dir, std::path::Path::new("outbox"));
    assert_eq!(m.frontend_url, "http://localhost:3000");
    assert_eq!(
        m.password_reset_url,
        "{frontend}/password/reset/confirm/{uid}/{token}"
    );
    assert_eq!(m.activation_url, "{frontend}/activate/{uid}/{token}");
}

#[test]
fn environment_variables_reach_nested_keys_through_a_double_underscore() {
    assert_eq!(load::env_key("MAIL__SMTP_HOST"), "mail.smtp_host");
    assert_eq!(
        load::env_key("ACCESS_TOKEN_LIFETIME"),
        "access_token_lifetime"
    );
}

#[test]
fn mail_keys_are_set_as_strings_like_environment_values() {
    let s = load(&[
        ("mail.smtp_host", "smtp.example.com"),
        ("mail.smtp_port", "2525"),
        ("mail.smtp_security", "tls"),
        ("mail.smtp_username", "bouncer"),
        ("mail.smtp_password", "hunter2-hunter2"),
        ("mail.timeout", "3s"),
    ])
    .unwrap();
    assert_eq!(s.mail.smtp_host.as_deref(), Some("smtp.example.com"));
    assert_eq!(s.mail.smtp_port, 2525);
    assert_eq!(s.mail.smtp_security, SmtpSecurity::Tls);
    assert_eq!(s.mail.timeout, Duration::from_secs(3));
    assert!(
        !format!("{s:?}").contains("hunter2"),
        "the password is redacted"
    );
}

#[test]
fn an_unknown_mail_key_is_refused() {
    let err = load(&[("mail.smtp_hots", "x")]).unwrap_err();
    assert!(err.to_string().contains("smtp_hots"), "{err}");
}

/// Each bad value stops loading with an error naming its setting.
#[test]
fn bad_mail_values_name_their_setting() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("mail.from", "not an address")], "mail.from"),
        (&[("mail.from", "")], "mail.from"),
        (&[("mail.smtp_port", "0")], "mail.smtp_port"),
        (&[("mail.timeout", "0s")], "mail.timeout"),
        (&[("mail.smtp_security", "ssl")], "smtp_security"),
        (&[("mail.smtp_host", " ")], "mail.smtp_host"),
        (&[("mail.smtp_username", "u")], "mail.smtp_password"),
        (&[("mail.smtp_password", "p")], "mail.smtp_username"),
        (&[("mail.outbox_dir", "")], "mail.outbox_dir"),
        (
            &[("mail.frontend_url", "localhost:3000")],
            "mail.frontend_url",
        ),
        (
            &[("mail.password_reset_url", "{frontend}/reset/{token}")],
            "mail.password_reset_url",
        ),
        (
            &[("mail.activation_url", "{frontend}/activate/{uid}")],
            "mail.activation_url",
        ),
        (
            &[("mail.activation_url", "{frontend}/a/{uid}/{token}/{user}")],
            "mail.activation_url",
        ),
        (
            &[("mail.activation_url", "{frontend}/a/{uid}/{token")],
            "mail.activation_url",
        ),
        (
            &[("mail.activation_url", "{frontend}/a/{uid}}/{token}")],
            "mail.activation_url",
        ),
    ];
    for (overrides, key) in cases {
        let err = load(overrides).expect_err(&format!("{overrides:?} is refused"));
        let message = err.to_string();
        assert!(message.contains(key), "{overrides:?}: {message}");
        assert!(!message.contains('\n'), "one line: {message}");
    }
}

#[test]
fn an_unknown_placeholder_is_named() {
    let err = load(&[("mail.activation_url", "{frontend}/{uid}/{token}/{user}")]).unwrap_err();
    assert!(err.to_string().contains("{user}"), "{err}");
}

#[test]
fn link_templates_may_be_absolute_urls_without_the_frontend() {
    let s = load(&[(
        "mail.password_reset_url",
        "https://app.example.com/#/reset?uid={uid}&token={token}",
    )])
    .unwrap();
    assert!(
        s.mail
            .password_reset_url
            .starts_with("https://app.example.com")
    );
}

#[test]
fn plain_smtp_and_a_named_sender_are_allowed() {
    let s = load(&[
        ("mail.smtp_host", "localhost"),
        ("mail.smtp_port", "25"),
        ("mail.smtp_security", "none"),
        ("mail.from", "\"Example Support\" <support@example.com>"),
    ])
    .unwrap();
    assert_eq!(s.mail.smtp_security, SmtpSecurity::None);
}
