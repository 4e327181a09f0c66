//! The settings, typed: one flat struct whose fields keep simplejwt's names, grouped by
//! feature. Every key is documented in `config/default.toml`.

use std::time::Duration;

use serde::Deserialize;

use super::admin::AdminSettings;
use super::cors::CorsSettings;
use super::django_tokens::DjangoTokensSettings;
use super::dpop::DpopSettings;
use super::lists::list_or_comma_separated;
use super::mail::MailSettings;
use super::mfa::MfaSettings;
use super::refresh_cookie::RefreshCookieSettings;
use super::secret::Secret;
use super::signing::{SigningKeySource, path_list, secret_list};
use super::throttle::ThrottleSettings;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    // HTTP server
    pub bind: String,
    pub workers: usize,
    pub max_body_size: usize,
    pub max_header_size: usize,

    // Storage: the URL is parsed by `db::DatabaseUrl`, which knows the schemes.
    pub database_url: String,
    pub database_pool_size: u32,
    #[serde(with = "humantime_serde")]
    pub database_connect_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub database_statement_timeout: Duration,

    // Revocation: how instances learn of each other's revocations.
    pub revocation_check: RevocationCheck,
    #[serde(with = "humantime_serde")]
    pub revocation_sync_interval: Duration,

    // Clean-up of expired token rows.
    #[serde(with = "humantime_serde")]
    pub cleanup_interval: Duration,
    pub cleanup_batch_size: u32,

    // Tokens: simplejwt's SIMPLE_JWT keys.
    pub algorithm: SigningAlgorithm,
    pub signing_secret: Option<Secret>,
    // Keys, key ids and their publication (`signing.rs`, `keyring/`).
    pub signing_keys: SigningKeySource,
    #[serde(deserialize_with = "secret_list")]
    pub previous_signing_secrets: Vec<Secret>,
    #[serde(deserialize_with = "path_list")]
    pub signing_key_files: Vec<std::path::PathBuf>,
    pub key_encryption_secret: Option<Secret>,
    #[serde(with = "humantime_serde")]
    pub jwks_max_age: Duration,
    #[serde(default, with = "humantime_serde")]
    pub key_rotation_interval: Option<Duration>,
    #[serde(with = "humantime_serde")]
    pub access_token_lifetime: Duration,
    #[serde(with = "humantime_serde")]
    pub refresh_token_lifetime: Duration,
    #[serde(with = "humantime_serde")]
    pub session_lifetime: Duration,
    pub rotate_refresh_tokens: bool,
    pub blacklist_after_rotation: bool,
    /// How long after a rotation the rotated token may be presented again and get the same
    /// successor pair; zero turns the window off.
    #[serde(with = "humantime_serde")]
    pub refresh_reuse_grace: Duration,
    #[serde(with = "humantime_serde")]
    pub leeway: Duration,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub auth_header_types: Vec<String>,
    pub user_id_claim: String,
    /// The user fields access tokens carry (`access_claims.rs`); checked in `validate.rs`.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub access_token_claims: Vec<String>,
    /// Opaque `Token` keys expire after this long; `None`: never (DRF's behaviour).
    #[serde(default, with = "humantime_serde")]
    pub token_key_lifetime: Option<Duration>,

    // djoser's e-mail flows (the mail itself: the `[mail]` table).
    /// New users are inactive until they follow the link mailed to them.
    pub send_activation_email: bool,
    /// How long a password-reset or activation link works (Django's PASSWORD_RESET_TIMEOUT).
    #[serde(with = "humantime_serde")]
    pub password_reset_timeout: Duration,

    // Passwords.
    pub bcrypt_cost: u32,
    pub max_concurrent_hashes: usize,

    // The audit trail: one line per security event on the `bouncer::audit` log target.
    pub audit_format: AuditFormat,

    // Operations (issue 15): every log line's format, and how long a stop waits for requests.
    pub log_format: LogFormat,
    #[serde(with = "humantime_serde")]
    pub shutdown_timeout: Duration,

    // E-mail: a table of its own, `[mail]` (`BOUNCER_MAIL__SMTP_HOST` in the environment).
    pub mail: MailSettings,
    // Browsers on other origins: the `[cors]` table.
    pub cors: CorsSettings,
    // The refresh token in an HttpOnly cookie (cookie mode): the `[refresh_cookie]` table.
    pub refresh_cookie: RefreshCookieSettings,
    // Throttling and failed-login limits: the `[throttle]` table.
    pub throttle: ThrottleSettings,
    // simplejwt's tokens from before a move off Django: the `[django_tokens]` table.
    pub django_tokens: DjangoTokensSettings,

    // Prometheus metrics at `GET /metrics` (`src/metrics/`).
    pub metrics: bool,
    /// Serve `/metrics` on this address only, rather than on `bind`.
    #[serde(default)]
    pub metrics_bind: Option<String>,
    // The staff-only admin web page: the `[admin]` table.
    pub admin: AdminSettings,
    // Two-factor login with an authenticator app: the `[mfa]` table.
    pub mfa: MfaSettings,
    // OWASP device cookies, the per-account bound on failed logins: `[device_tokens]`.
    pub device_tokens: super::device_tokens::DeviceTokenSettings,
    // Sender-constrained (DPoP-bound) tokens: the `[dpop]` table.
    pub dpop: DpopSettings,
}

/// Algorithms bouncer can sign with. Each key verifies only with its own algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SigningAlgorithm {
    HS256,
    HS384,
    HS512,
    RS256,
    ES256,
    EdDSA,
}

impl SigningAlgorithm {
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::HS256 | Self::HS384 | Self::HS512)
    }
}

/// Where the extractor looks for revocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationCheck {
    /// The in-memory list: no database round trip, propagation within the sync interval.
    Memory,
    /// The database on every request: no propagation delay.
    Strict,
}

/// How audit lines (log target `bouncer::audit`) are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditFormat {
    /// `event=login.failure username="alice" ip="203.0.113.7"`, strings quoted and escaped.
    Plain,
    /// `{"event":"login.failure","username":"alice","ip":"203.0.113.7"}`.
    Json,
}

/// How every log line is written (`log_format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// `[2026-12-03T13:45:00.123Z INFO  bouncer::access request_id=...] message`.
    Plain,
    /// One JSON object per line: `time`, `level`, `target`, `message`, `request_id`.
    Json,
}
