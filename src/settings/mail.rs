//! The `[mail]` table: how bouncer sends e-mail (password reset, account activation).
//!
//! With no `smtp_host` nothing leaves the machine: each message is written to `outbox_dir`
//! as a `.eml` file, which is what a developer wants and what a forgotten setting should
//! do in production rather than fail. Defaults come from `config/default.toml`, like every
//! other key; `validate.rs` checks the values.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::secret::Secret;

/// The placeholders a link template may use: `{frontend}` is `frontend_url`, `{uid}` and
/// `{token}` come from the caller. Rendering lives in `mail::links`; validation here.
pub(super) const LINK_PLACEHOLDERS: &[&str] = &["frontend", "uid", "token"];

/// Placeholders every link template must use: a link without them cannot identify anyone.
pub(super) const REQUIRED_LINK_PLACEHOLDERS: &[&str] = &["uid", "token"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    /// The SMTP server; unset means "write to `outbox_dir` instead".
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_security: SmtpSecurity,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// `From:` of every message, an address or `Name <address>`.
    pub from: String,
    /// The longest one delivery may take, from connecting to the end of the session.
    #[serde(with = "humantime_serde")]
    pub timeout: Duration,
    pub outbox_dir: PathBuf,
    /// Where the frontend lives; `{frontend}` in the link templates.
    pub frontend_url: String,
    /// djoser's `PASSWORD_RESET_CONFIRM_URL`, with the frontend in front.
    pub password_reset_url: String,
    /// djoser's `ACTIVATION_URL`, with the frontend in front.
    pub activation_url: String,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// TLS from the first byte, "implicit TLS" (port 465).
    Tls,
    /// No encryption at all: only for a relay on the same machine.
    None,
}

/// The placeholders in `template`, in order, or the byte offset of the first stray brace.
/// A URL never needs a literal brace (RFC 3986 has them percent-encoded), so every brace
/// must belong to a `{name}`.
pub(super) fn link_placeholders(template: &str) -> Result<Vec<&str>, usize> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        let at = template.len() - rest.len() + open;
        let inner = &rest[open + 1..];
        let close = inner
            .find(['{', '}'])
            .filter(|&i| inner[i..].starts_with('}'));
        let (true, Some(close)) = (rest[open..].starts_with('{'), close) else {
            return Err(at);
        };
        names.push(&inner[..close]);
        rest = &inner[close + 1..];
    }
    Ok(names)
}
