//! Checks that serde cannot express, one function per feature. Each failure names its
//! setting and says what a valid value looks like, on one line.

use lettre::message::Mailbox;

use super::cors::{KNOWN_METHODS, is_header_name, origin_problem};
use super::error::SettingsError;
use super::mail::{LINK_PLACEHOLDERS, MailSettings, REQUIRED_LINK_PLACEHOLDERS, link_placeholders};
use super::schema::Settings;
use super::secret::signing_secret_problem;
use super::throttle::{ThrottleSettings, parse_rate};

/// Claims bouncer writes itself; the user id claim may not shadow one of them.
const RESERVED_CLAIMS: &[&str] = &[
    "token_type",
    "exp",
    "iat",
    "nbf",
    "jti",
    "sid",
    "iss",
    "aud",
    "auth_time",
];

fn fail(key: &str, why: &str) -> Result<(), SettingsError> {
    Err(SettingsError::new(format!("setting `{key}`: {why}")))
}

/// Every check, feature by feature; the first failure is reported.
pub(super) fn all(s: &Settings) -> Result<(), SettingsError> {
    tokens(s)?;
    super::signing_checks::validate(s)?;
    passwords(s)?;
    storage(s)?;
    revocation(s)?;
    http(s)?;
    mail(&s.mail)?;
    cors(s)?;
    super::refresh_cookie::validate(&s.refresh_cookie, &s.bind, &s.cors)?;
    throttle(&s.throttle)?;
    super::django_tokens::validate(&s.django_tokens)?;
    super::dpop::validate(&s.dpop)?;
    operations(s)?;
    super::mfa::validate(&s.mfa)?;
    super::device_tokens::validate(&s.device_tokens)?;
    metrics(s)
}

/// `shutdown_timeout`: actix counts it in whole seconds; a stop must not hang for hours.
fn operations(s: &Settings) -> Result<(), SettingsError> {
    let t = s.shutdown_timeout;
    if t.subsec_nanos() != 0 || !(1..=3600).contains(&t.as_secs()) {
        return fail(
            "shutdown_timeout",
            "must be whole seconds between 1s and 1h, e.g. 30s",
        );
    }
    Ok(())
}

/// Metrics: `metrics_bind` is an address and port other than `bind`, and only with metrics on.
fn metrics(s: &Settings) -> Result<(), SettingsError> {
    let Some(address) = &s.metrics_bind else {
        return Ok(());
    };
    if !s.metrics {
        return fail(
            "metrics_bind",
            "is set while metrics = false; remove metrics_bind or set metrics = true",
        );
    }
    let Ok(parsed) = address.parse::<std::net::SocketAddr>() else {
        return fail(
            "metrics_bind",
            "must be an address and port such as 127.0.0.1:9100",
        );
    };
    if parsed.port() != 0 && s.bind.parse::<std::net::SocketAddr>().ok() == Some(parsed) {
        return fail(
            "metrics_bind",
            "must differ from bind; leave it unset to serve /metrics on bind",
        );
    }
    Ok(())
}

/// Throttling: every rate parses, the Redis URL names Redis, limits and windows are positive.
fn throttle(t: &ThrottleSettings) -> Result<(), SettingsError> {
    let rates = [("throttle.anon", &t.anon), ("throttle.user", &t.user)];
    for (key, rate) in rates {
        if let Some(Err(why)) = rate.as_deref().map(parse_rate) {
            return fail(key, &why);
        }
    }
    for (scope, rate) in &t.scopes {
        if let Err(why) = parse_rate(rate) {
            return fail(&format!("throttle.scopes.{scope}"), &why);
        }
    }
    if let Some(url) = &t.redis_url {
        if url.starts_with("rediss://") {
            return fail(
                "throttle.redis_url",
                "rediss:// (TLS) is not built in; reach Redis over a private network or a TLS \
                 tunnel and use redis://",
            );
        }
        if !url.starts_with("redis://") {
            return fail(
                "throttle.redis_url",
                "must be a redis:// URL such as redis://127.0.0.1:6379/0",
            );
        }
    }
    if t.redis_timeout.is_zero() {
        return fail(
            "throttle.redis_timeout",
            "must be longer than 0s, e.g. 100ms",
        );
    }
    if t.login_failures_per_user_and_address == 0 {
        return fail(
            "throttle.login_failures_per_user_and_address",
            "must be at least 1",
        );
    }
    if t.login_failures_per_address < t.login_failures_per_user_and_address {
        return fail(
            "throttle.login_failures_per_address",
            "must be at least throttle.login_failures_per_user_and_address",
        );
    }
    if t.login_failure_window.is_zero() {
        return fail(
            "throttle.login_failure_window",
            "must be longer than 0s, e.g. 15m",
        );
    }
    Ok(())
}

fn tokens(s: &Settings) -> Result<(), SettingsError> {
    if let Some(problem) = s
        .signing_secret
        .as_ref()
        .and_then(|secret| signing_secret_problem(secret.expose()))
    {
        return fail("signing_secret", &problem);
    }
    if s.access_token_lifetime.is_zero() {
        return fail("access_token_lifetime", "must be longer than 0s");
    }
    if s.refresh_token_lifetime.is_zero() {
        return fail("refresh_token_lifetime", "must be longer than 0s");
    }
    if s.session_lifetime < s.refresh_token_lifetime {
        return fail(
            "session_lifetime",
            "must be at least refresh_token_lifetime",
        );
    }
    if s.auth_header_types.is_empty()
        || s.auth_header_types
            .iter()
            .any(|t| t.is_empty() || t.contains(char::is_whitespace))
    {
        return fail(
            "auth_header_types",
            "must list one or more words like \"Bearer\"",
        );
    }
    if s.user_id_claim.is_empty() || RESERVED_CLAIMS.contains(&s.user_id_claim.as_str()) {
        return fail(
            "user_id_claim",
            "must be a claim name bouncer does not use itself",
        );
    }
    if let Err(why) = super::access_claims::parse_access_claims(&s.access_token_claims) {
        return fail("access_token_claims", &why);
    }
    if s.access_token_claims.contains(&s.user_id_claim) {
        return fail(
            "access_token_claims",
            "lists the user_id_claim's name: choose another user_id_claim or leave that field out",
        );
    }
    Ok(())
}

fn passwords(s: &Settings) -> Result<(), SettingsError> {
    if !(4..=31).contains(&s.bcrypt_cost) {
        return fail("bcrypt_cost", "must be between 4 and 31");
    }
    Ok(())
}

/// The URL's scheme and path are checked where they are understood: `db::DatabaseUrl`.
fn storage(s: &Settings) -> Result<(), SettingsError> {
    if s.database_connect_timeout.is_zero() {
        return fail("database_connect_timeout", "must be longer than 0s");
    }
    if s.database_statement_timeout.is_zero() {
        return fail("database_statement_timeout", "must be longer than 0s");
    }
    if s.database_pool_size == 0 {
        return fail("database_pool_size", "must be at least 1");
    }
    if s.cleanup_batch_size == 0 {
        return fail("cleanup_batch_size", "must be at least 1");
    }
    Ok(())
}

fn revocation(s: &Settings) -> Result<(), SettingsError> {
    if s.revocation_sync_interval.is_zero() {
        return fail("revocation_sync_interval", "must be longer than 0s");
    }
    Ok(())
}

fn http(s: &Settings) -> Result<(), SettingsError> {
    if s.max_body_size < 64 {
        return fail("max_body_size", "must be at least 64 bytes");
    }
    if s.max_header_size < 1024 {
        return fail("max_header_size", "must be at least 1024 bytes");
    }
    if s.bind.parse::<std::net::SocketAddr>().is_err() {
        return fail("bind", "must be an address and port such as 127.0.0.1:8000");
    }
    Ok(())
}

fn mail(m: &MailSettings) -> Result<(), SettingsError> {
    if m.smtp_host.as_deref().is_some_and(|h| h.trim().is_empty()) {
        return fail(
            "mail.smtp_host",
            "must be a host name; leave it unset to write mail to mail.outbox_dir",
        );
    }
    if m.smtp_port == 0 {
        return fail("mail.smtp_port", "must be a port between 1 and 65535");
    }
    match (&m.smtp_username, &m.smtp_password) {
        (Some(_), None) => return fail("mail.smtp_password", "must be set with smtp_username"),
        (None, Some(_)) => return fail("mail.smtp_username", "must be set with smtp_password"),
        _ => {}
    }
    if m.from.parse::<Mailbox>().is_err() {
        return fail(
            "mail.from",
            "must be an e-mail address, optionally with a name: \"bouncer <noreply@example.com>\"",
        );
    }
    if m.timeout.is_zero() {
        return fail("mail.timeout", "must be longer than 0s");
    }
    if m.outbox_dir.as_os_str().is_empty() {
        return fail("mail.outbox_dir", "must name a directory");
    }
    if !(m.frontend_url.starts_with("http://") || m.frontend_url.starts_with("https://")) {
        return fail(
            "mail.frontend_url",
            "must be an http:// or https:// URL such as https://app.example.com",
        );
    }
    link_template("mail.password_reset_url", &m.password_reset_url)?;
    link_template("mail.activation_url", &m.activation_url)
}

/// A link template uses `{uid}` and `{token}`, and no placeholder bouncer does not fill in.
fn link_template(key: &str, template: &str) -> Result<(), SettingsError> {
    let names = match link_placeholders(template) {
        Ok(names) => names,
        Err(at) => {
            return fail(
                key,
                &format!("has a brace outside a {{placeholder}} at byte {at}"),
            );
        }
    };
    if let Some(unknown) = names.iter().find(|n| !LINK_PLACEHOLDERS.contains(n)) {
        return fail(
            key,
            &format!(
                "has an unknown placeholder {{{unknown}}}; use {{frontend}}, {{uid}}, {{token}}"
            ),
        );
    }
    if let Some(missing) = REQUIRED_LINK_PLACEHOLDERS
        .iter()
        .find(|r| !names.contains(r))
    {
        return fail(key, &format!("must contain {{{missing}}}"));
    }
    Ok(())
}

/// CORS: exact origins, no wildcard with credentials, known methods and header names.
fn cors(s: &Settings) -> Result<(), SettingsError> {
    let c = &s.cors;
    let wildcard = c.any_origin();
    if wildcard && c.allowed_origins.len() > 1 {
        return fail(
            "cors.allowed_origins",
            "`*` allows every origin; list it alone or list the origins",
        );
    }
    if wildcard && c.allow_credentials {
        return fail(
            "cors.allowed_origins",
            "`*` together with cors.allow_credentials = true: browsers refuse it and it would \
             let any site act as the user; list the origins",
        );
    }
    for origin in c.allowed_origins.iter().filter(|o| *o != "*") {
        if let Some(problem) = origin_problem(origin) {
            return fail(
                "cors.allowed_origins",
                &format!(
                    "{origin:?} {problem}; write origins as scheme://host[:port], \
                     e.g. https://app.example.com"
                ),
            );
        }
    }
    if let Some(method) = c
        .allowed_methods
        .iter()
        .find(|m| !KNOWN_METHODS.contains(&m.as_str()))
    {
        return fail(
            "cors.allowed_methods",
            &format!(
                "{method:?} is not a method name; use {}",
                KNOWN_METHODS.join(", ")
            ),
        );
    }
    if let Some(header) = c.allowed_headers.iter().find(|h| !is_header_name(h)) {
        return fail(
            "cors.allowed_headers",
            &format!("{header:?} is not a header name"),
        );
    }
    Ok(())
}
