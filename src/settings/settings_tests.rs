//! Unit tests for layered settings: defaults, unknown keys, bad values, redaction.
use std::time::Duration;

use super::*;

pub(super) fn load(overrides: &[(&str, &str)]) -> Result<Settings, SettingsError> {
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

/// A fixed random secret (from `bouncer generate-secret`).
const RANDOM_SECRET: &str = "3b8e0f5c9a1d47e2b6c0f83a5d9e17c4a2f6b08d3e5c71a9f4b2d6e08c1a3f57";

#[test]
fn the_secret_is_redacted_in_debug_output() {
    let s = load(&[("signing_secret", RANDOM_SECRET)]).unwrap();
    assert!(!format!("{s:?}").contains(&RANDOM_SECRET[..8]));
}

#[test]
fn a_long_but_guessable_secret_is_refused_with_the_way_to_make_one() {
    let padded = format!("changeme{}", "0".repeat(32));
    for secret in [padded.as_str(), "your-256-bit-secret-your-256-bit-secret"] {
        let message = load(&[("signing_secret", secret)]).unwrap_err().to_string();
        assert!(message.contains("signing_secret"), "{message}");
        assert!(message.contains("bouncer generate-secret"), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn cors_is_off_by_default_with_the_documented_defaults() {
    let c = load(&[]).unwrap().cors;
    assert!(!c.enabled() && c.allowed_origins.is_empty());
    assert_eq!(
        c.allowed_methods,
        ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
    );
    assert_eq!(
        c.allowed_headers,
        [
            "Authorization",
            "Content-Type",
            "X-CSRF-Token",
            "X-Refresh-Cookie",
            "DPoP"
        ]
    );
    assert!(!c.allow_credentials);
    assert_eq!(c.max_age, Duration::from_secs(3600));
}

#[test]
fn cors_lists_accept_comma_separated_strings() {
    let s = load(&[
        (
            "cors.allowed_origins",
            "https://app.example.com, http://localhost:3000",
        ),
        ("cors.allowed_methods", "GET,POST"),
        ("cors.allow_credentials", "true"),
        ("cors.max_age", "10m"),
    ])
    .unwrap();
    assert_eq!(
        s.cors.allowed_origins,
        ["https://app.example.com", "http://localhost:3000"]
    );
    assert_eq!(s.cors.allowed_methods, ["GET", "POST"]);
    assert!(s.cors.allow_credentials);
    assert_eq!(s.cors.max_age, Duration::from_secs(600));
}

#[test]
fn cors_refuses_a_wildcard_with_credentials() {
    let err = load(&[
        ("cors.allowed_origins", "*"),
        ("cors.allow_credentials", "true"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("cors.allowed_origins"), "{err}");
    assert!(err.contains("list the origins"), "{err}");
    // Without credentials, `*` is any origin.
    assert!(
        load(&[("cors.allowed_origins", "*")])
            .unwrap()
            .cors
            .any_origin()
    );
}

#[test]
fn cors_refuses_origins_that_browsers_never_send() {
    for origin in [
        "https://app.example.com/",
        "https://app.example.com/app",
        "app.example.com",
        "//app.example.com",
        "https://App.Example.com",
        "https://app.example.com:99999",
        "https://user@app.example.com",
        "https://",
    ] {
        let err = load(&[("cors.allowed_origins", origin)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cors.allowed_origins"), "{origin}: {err}");
        assert!(err.contains(origin), "{origin}: {err}");
    }
    for origin in [
        "https://app.example.com",
        "http://localhost:3000",
        "http://127.0.0.1:8080",
        "http://[::1]:3000",
        "capacitor://localhost",
    ] {
        load(&[("cors.allowed_origins", origin)]).unwrap_or_else(|e| panic!("{origin}: {e}"));
    }
}

#[test]
fn cors_refuses_unknown_methods_and_bad_header_names() {
    let err = load(&[("cors.allowed_methods", "GET,FETCH")]).unwrap_err();
    assert!(err.to_string().contains("cors.allowed_methods"), "{err}");
    assert!(err.to_string().contains("FETCH"), "{err}");
    let err = load(&[("cors.allowed_headers", "X Token")]).unwrap_err();
    assert!(err.to_string().contains("cors.allowed_headers"), "{err}");
}

#[test]
fn cors_unknown_keys_are_refused() {
    let err = load(&[("cors.allowed_origin", "https://a.example")]).unwrap_err();
    assert!(err.to_string().contains("allowed_origin"), "{err}");
}

#[test]
fn environment_names_reach_into_tables_with_a_double_underscore() {
    assert_eq!(
        load::env_key("ACCESS_TOKEN_LIFETIME"),
        "access_token_lifetime"
    );
    assert_eq!(
        load::env_key("CORS__ALLOWED_ORIGINS"),
        "cors.allowed_origins"
    );
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

#[test]
fn access_token_claims_defaults_to_the_rights_and_takes_a_comma_separated_list() {
    let defaults = load(&[]).unwrap();
    assert_eq!(
        defaults.access_claims(),
        [AccessClaim::IsStaff, AccessClaim::Groups]
    );
    let all = load(&[(
        "access_token_claims",
        "username,email,groups,is_staff,is_superuser",
    )])
    .unwrap();
    assert_eq!(all.access_claims(), AccessClaim::ALL);
    let none = load(&[("access_token_claims", "")]).unwrap();
    assert_eq!(none.access_claims(), []);
}

#[test]
fn a_bad_access_token_claims_list_stops_start_up_naming_the_setting() {
    for bad in ["is_staff,role", "groups,groups", "user_id"] {
        let err = load(&[("access_token_claims", bad)])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("setting `access_token_claims`"),
            "{bad}: {err}"
        );
    }
    let err = load(&[
        ("access_token_claims", "username"),
        ("user_id_claim", "username"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("user_id_claim"), "{err}");
}

#[test]
fn a_published_signing_secret_stops_start_up() {
    let err = load(&[("signing_secret", "!RCR#hJFp*d8nHUZ@U79vC*HndVg292phyZ#5^Xb")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("signing_secret"), "{err}");
    assert!(err.contains("published"), "{err}");
}
