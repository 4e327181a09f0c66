//! The home page, recent revocations, and a summary of the settings without secrets.

use super::docs::{AdminNotFound, HtmlPage, SeeOther};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::html;

use super::page::{AdminError, html, layout};
use super::session::Staff;
use crate::clock::rfc3339;
use crate::service::Sessions;
use crate::settings::{Settings, SigningKeySource};

/// `GET /admin/`.
#[utoipa::path(get, path = "/admin/", tag = "admin", operation_id = "admin_home",
    summary = "The admin home page",
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn home(staff: Staff) -> HttpResponse {
    let content = html! {
        ul.sections {
            li { a href="/admin/users/" { "Users" } ": search, add, activate or deactivate, staff, groups, passwords, sessions and Token keys." }
            li { a href="/admin/groups/" { "Groups" } ": groups and their members (the tutorials' Manager)." }
            li { a href="/admin/revocations/" { "Revocations" } ": sessions ended recently." }
            li { a href="/admin/settings/" { "Settings" } ": how this instance is configured (no secrets)." }
        }
    };
    html(
        StatusCode::OK,
        layout("Administration", Some(&staff.viewer()), content),
    )
}

const MAX_REVOCATIONS: i64 = 200;

/// `GET /admin/revocations/`: the newest session revocations still in force.
#[utoipa::path(get, path = "/admin/revocations/", tag = "admin", operation_id = "admin_revocations",
    summary = "Session revocations still in force",
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn revocations(
    staff: Staff,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, AdminError> {
    let revoked = sessions.recent_revocations(MAX_REVOCATIONS).await?;
    let content = html! {
        p { "A revoked session's tokens are refused until they would have expired anyway. End a live session from its user's page." }
        @if revoked.is_empty() { p { "No session revocation in force." } } @else {
            table {
                caption { "Newest first, at most " (MAX_REVOCATIONS) }
                thead { tr { th scope="col" { "Session" } th scope="col" { "User" } th scope="col" { "Revoked" } th scope="col" { "Kept until" } } }
                tbody {
                    @for r in &revoked {
                        tr {
                            td { code { (r.sid) } }
                            td { a href={ "/admin/users/" (r.user_id) "/" } { "user " (r.user_id) } }
                            td { (rfc3339(r.revoked_at)) }
                            td { (rfc3339(r.expires_at)) }
                        }
                    }
                }
            }
        }
    };
    Ok(html(
        StatusCode::OK,
        layout("Revocations", Some(&staff.viewer()), content),
    ))
}

/// A URL with its password and query string left out (`postgres://bouncer:****@db/bouncer`).
pub fn redact_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or("");
    let hidden = if without_query.len() < url.len() {
        "?…"
    } else {
        ""
    };
    let Some((scheme, rest)) = without_query.split_once("://") else {
        return format!("{without_query}{hidden}");
    };
    // The last `@` ends the user info even when a password holds `/` or `@`.
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host_and_path)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:****@{host_and_path}"),
            None => format!("{userinfo}@{host_and_path}"),
        },
        None => rest.to_owned(),
    };
    format!("{scheme}://{rest}{hidden}")
}

fn duration(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn set(present: bool) -> String {
    (if present { "set (hidden)" } else { "not set" }).to_owned()
}

/// Every setting a reader may see: secrets only say whether they are set, URLs lose their
/// passwords.
pub fn summary(s: &Settings) -> Vec<(&'static str, String)> {
    let t = &s.throttle;
    vec![
        ("bind", s.bind.clone()),
        ("workers", s.workers.to_string()),
        ("max_body_size", s.max_body_size.to_string()),
        ("max_header_size", s.max_header_size.to_string()),
        ("database_url", redact_url(&s.database_url)),
        ("database_pool_size", s.database_pool_size.to_string()),
        ("revocation_check", format!("{:?}", s.revocation_check)),
        (
            "revocation_sync_interval",
            duration(s.revocation_sync_interval),
        ),
        ("cleanup_interval", duration(s.cleanup_interval)),
        ("algorithm", format!("{:?}", s.algorithm)),
        ("signing_keys", format!("{:?}", s.signing_keys)),
        (
            "signing_secret",
            match (&s.signing_secret, s.signing_keys) {
                (Some(_), _) => set(true),
                (None, SigningKeySource::Secret) => "not set (generated into <db>.secret)".into(),
                (None, _) => set(false),
            },
        ),
        (
            "previous_signing_secrets",
            format!("{} (hidden)", s.previous_signing_secrets.len()),
        ),
        (
            "signing_key_files",
            format!("{} file(s)", s.signing_key_files.len()),
        ),
        (
            "key_encryption_secret",
            set(s.key_encryption_secret.is_some()),
        ),
        (
            "key_rotation_interval",
            s.key_rotation_interval.map_or("off".into(), duration),
        ),
        ("access_token_lifetime", duration(s.access_token_lifetime)),
        ("refresh_token_lifetime", duration(s.refresh_token_lifetime)),
        ("session_lifetime", duration(s.session_lifetime)),
        ("rotate_refresh_tokens", s.rotate_refresh_tokens.to_string()),
        (
            "blacklist_after_rotation",
            s.blacklist_after_rotation.to_string(),
        ),
        ("refresh_reuse_grace", duration(s.refresh_reuse_grace)),
        ("leeway", duration(s.leeway)),
        (
            "issuer",
            s.issuer.clone().unwrap_or_else(|| "not set".into()),
        ),
        (
            "audience",
            s.audience.clone().unwrap_or_else(|| "not set".into()),
        ),
        ("auth_header_types", s.auth_header_types.join(", ")),
        (
            "token_key_lifetime",
            s.token_key_lifetime.map_or("never expire".into(), duration),
        ),
        ("send_activation_email", s.send_activation_email.to_string()),
        ("bcrypt_cost", s.bcrypt_cost.to_string()),
        ("audit_format", format!("{:?}", s.audit_format)),
        (
            "mail.smtp_host",
            s.mail
                .smtp_host
                .clone()
                .unwrap_or_else(|| "not set (outbox directory)".into()),
        ),
        ("mail.smtp_port", s.mail.smtp_port.to_string()),
        ("mail.smtp_password", set(s.mail.smtp_password.is_some())),
        ("mail.from", s.mail.from.clone()),
        ("cors.allowed_origins", s.cors.allowed_origins.join(", ")),
        (
            "cors.allow_credentials",
            s.cors.allow_credentials.to_string(),
        ),
        ("refresh_cookie.secure", s.refresh_cookie.secure.to_string()),
        (
            "throttle.anon",
            t.anon.clone().unwrap_or_else(|| "off".into()),
        ),
        (
            "throttle.user",
            t.user.clone().unwrap_or_else(|| "off".into()),
        ),
        (
            "throttle.redis_url",
            t.redis_url
                .as_deref()
                .map_or("not set (memory)".into(), redact_url),
        ),
        (
            "throttle.num_proxies",
            t.num_proxies.unwrap_or(0).to_string(),
        ),
        (
            "throttle.login_failures_per_user_and_address",
            t.login_failures_per_user_and_address.to_string(),
        ),
        (
            "throttle.login_failures_per_address",
            t.login_failures_per_address.to_string(),
        ),
        (
            "throttle.login_failure_window",
            duration(t.login_failure_window),
        ),
        ("admin.enabled", s.admin.enabled.to_string()),
    ]
}

/// `GET /admin/settings/`.
#[utoipa::path(get, path = "/admin/settings/", tag = "admin", operation_id = "admin_settings",
    summary = "A summary of the settings, without secrets",
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn settings(staff: Staff, settings: web::Data<Settings>) -> HttpResponse {
    let rows = summary(&settings);
    let content = html! {
        p { "Secrets are never shown: only whether they are set. URLs are shown without their passwords and query strings." }
        table {
            thead { tr { th scope="col" { "Setting" } th scope="col" { "Value" } } }
            tbody {
                @for (key, value) in &rows {
                    tr { th scope="row" { code { (key) } } td { (value) } }
                }
            }
        }
    };
    html(
        StatusCode::OK,
        layout("Settings", Some(&staff.viewer()), content),
    )
}

#[cfg(test)]
mod tests {
    use super::{redact_url, summary};
    use crate::settings::{LoadOptions, Settings};

    #[test]
    fn the_settings_summary_shows_no_secret() {
        let secrets = [
            (
                "signing_secret",
                "4f1d0c9b8a7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c",
            ),
            (
                "key_encryption_secret",
                "5fc0d1b9b69f00128367992090d8e49d715cc5f8b3b40d8b699436f672a9076d",
            ),
            ("mail.smtp_password", "smtp-pass-Q7"),
        ];
        let mut overrides: Vec<(String, String)> = secrets
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        overrides.push(("mail.smtp_username".into(), "mailer".into()));
        overrides.push(("mail.smtp_host".into(), "smtp.example.com".into()));
        overrides.push(("database_url".into(), "postgres://u:db-pass-Z9@h/db".into()));
        overrides.push((
            "throttle.redis_url".into(),
            "redis://:redis-pass-K2@h:6379".into(),
        ));
        let settings = Settings::load(&LoadOptions {
            overrides,
            ..LoadOptions::default()
        })
        .expect("settings");
        let shown = format!("{:?}", summary(&settings));
        for secret in secrets
            .iter()
            .map(|(_, v)| *v)
            .chain(["db-pass-Z9", "redis-pass-K2"])
        {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
        assert!(shown.contains("set (hidden)"));
    }

    #[test]
    fn a_url_loses_its_password_and_query_but_keeps_user_host_and_path() {
        assert_eq!(
            redact_url("postgres://bouncer:s3cret@db:5432/auth?sslpassword=x"),
            "postgres://bouncer:****@db:5432/auth?…"
        );
        assert_eq!(
            redact_url("redis://:pw@127.0.0.1:6379/0"),
            "redis://:****@127.0.0.1:6379/0"
        );
        assert_eq!(redact_url("sqlite://bouncer.db"), "sqlite://bouncer.db");
        assert_eq!(redact_url("bouncer.db"), "bouncer.db");
        assert_eq!(
            redact_url("postgres://u:p/w@h/db"),
            "postgres://u:****@h/db"
        );
        assert_eq!(
            redact_url("postgres://a:b@c@host/db"),
            "postgres://a:****@host/db"
        );
    }
}
