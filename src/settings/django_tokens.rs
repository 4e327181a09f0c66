//! The `[django_tokens]` table: accepting the access and refresh tokens that
//! djangorestframework-simplejwt issued before the move (README "Moving from Django",
//! live cut-over). Off while `signing_key` is unset.
//!
//! The keys carry simplejwt's `SIMPLE_JWT` names so they are copied over one to one. The
//! Django key is only ever used to *verify* old tokens, never to sign, so a key that
//! bouncer's own secret rules would refuse (Django's `SECRET_KEY` is often typed by hand) is
//! accepted with a start-up warning instead ([`warnings`]).

use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use serde::Deserialize;

use super::error::SettingsError;
use super::secret::{Secret, signing_secret_problem};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DjangoTokensSettings {
    /// simplejwt's `SIGNING_KEY` (Django's `SECRET_KEY` unless set). `None`: off.
    #[serde(default)]
    pub signing_key: Option<Secret>,
    /// simplejwt's `ALGORITHM`: HMAC only (simplejwt's RSA/EC keys are not supported).
    pub algorithm: DjangoAlgorithm,
    pub user_id_claim: String,
    pub token_type_claim: String,
    pub jti_claim: String,
    /// simplejwt's `ISSUER` / `AUDIENCE`: required and compared when set.
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub audience: Option<String>,
    /// simplejwt's `REFRESH_TOKEN_LIFETIME`: a token whose `exp - iat` is longer is refused,
    /// which bounds how long a revocation of Django's tokens must be kept.
    #[serde(with = "humantime_serde")]
    pub refresh_token_lifetime: Duration,
    /// After this moment (RFC 3339, or a date meaning its midnight UTC) no Django token is
    /// accepted any more. `None`: until they expire.
    #[serde(default)]
    pub accept_until: Option<String>,
}

/// simplejwt's HMAC algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum DjangoAlgorithm {
    HS256,
    HS384,
    HS512,
}

impl DjangoTokensSettings {
    pub fn enabled(&self) -> bool {
        self.signing_key.is_some()
    }

    /// `accept_until` in seconds since the epoch (validated at start-up).
    pub fn accept_until_seconds(&self) -> Option<i64> {
        self.accept_until.as_deref().and_then(parse_moment)
    }
}

/// `2027-01-31T00:00:00Z` (any offset) or `2027-01-31` (midnight UTC starting that day).
fn parse_moment(text: &str) -> Option<i64> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp());
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp())
}

fn fail(key: &str, why: &str) -> Result<(), SettingsError> {
    Err(SettingsError::new(format!(
        "setting `django_tokens.{key}`: {why}"
    )))
}

/// Claims simplejwt or bouncer read themselves: a configured claim name may not be one.
const TIME_CLAIMS: &[&str] = &["exp", "iat", "nbf", "iss", "aud"];

/// Start-up checks; nothing is checked while the feature is off.
pub(super) fn validate(d: &DjangoTokensSettings) -> Result<(), SettingsError> {
    let Some(key) = &d.signing_key else {
        return Ok(());
    };
    if key.expose().is_empty() {
        return fail(
            "signing_key",
            "is empty; copy SIMPLE_JWT[\"SIGNING_KEY\"] (by default Django's SECRET_KEY), or unset it to turn the feature off",
        );
    }
    let claims = [
        ("user_id_claim", &d.user_id_claim),
        ("token_type_claim", &d.token_type_claim),
        ("jti_claim", &d.jti_claim),
    ];
    for (i, (name, value)) in claims.iter().enumerate() {
        if value.is_empty() || value.len() > 64 {
            return fail(
                name,
                "must be a claim name of 1 to 64 characters, as in SIMPLE_JWT",
            );
        }
        if TIME_CLAIMS.contains(&value.as_str()) {
            return fail(
                name,
                &format!("{value:?} is a registered claim; use SIMPLE_JWT's name"),
            );
        }
        if claims[..i].iter().any(|(_, other)| other == value) {
            return fail(
                name,
                &format!("{value:?} is already the name of another claim"),
            );
        }
    }
    for (name, value) in [("issuer", &d.issuer), ("audience", &d.audience)] {
        if value.as_deref() == Some("") {
            return fail(name, "is empty; leave it unset when SIMPLE_JWT has none");
        }
    }
    if d.refresh_token_lifetime.is_zero() {
        return fail(
            "refresh_token_lifetime",
            "must be longer than 0s: SIMPLE_JWT[\"REFRESH_TOKEN_LIFETIME\"], e.g. \"1d\"",
        );
    }
    if let Some(text) = &d.accept_until
        && parse_moment(text).is_none()
    {
        return fail(
            "accept_until",
            &format!("{text:?} is not a date: write 2027-01-31 or 2027-01-31T12:00:00Z"),
        );
    }
    Ok(())
}

/// What start-up should warn about (never the key itself).
pub fn warnings(d: &DjangoTokensSettings, signing_secret: Option<&Secret>) -> Vec<String> {
    let Some(key) = &d.signing_key else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    if let Some(problem) = signing_secret_problem(key.expose()) {
        let problem = problem.split(';').next().unwrap_or_default();
        warnings.push(format!(
            "django_tokens.signing_key is weak by bouncer's rules (it {problem}): accepted because it only verifies the tokens \
             Django issued, but anyone who knows it can mint such tokens until the setting \
             is removed; set django_tokens.accept_until"
        ));
    }
    if signing_secret.is_some_and(|s| s == key) {
        warnings.push(
            "django_tokens.signing_key equals signing_secret: give bouncer a secret of its own \
             (`bouncer generate-secret`), so that removing the Django key ends its tokens"
                .to_owned(),
        );
    }
    if d.accept_until.is_none() {
        warnings.push(
            "django_tokens is on without accept_until: Django's tokens are accepted until they \
             expire; remove django_tokens.signing_key once REFRESH_TOKEN_LIFETIME has passed"
                .to_owned(),
        );
    }
    warnings
}

#[cfg(test)]
#[path = "django_tokens_tests.rs"]
mod tests;
