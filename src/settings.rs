//! Typed, layered settings: `config/default.toml` (compiled in) -> `--config FILE` -> `BOUNCER_*`.
//!
//! Every key is documented in `config/default.toml`; unknown keys are refused so a typo in an
//! environment variable stops start-up instead of being silently ignored.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use config::{Config, File, FileFormat};
use serde::Deserialize;

/// The documented defaults, compiled in so the binary runs from any directory.
const DEFAULTS: &str = include_str!("../config/default.toml");

/// Environment variables with the `BOUNCER_` prefix that are not settings.
const NON_SETTING_ENV: &[&str] = &["BOUNCER_CONFIG", "BOUNCER_PASSWORD"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub bind: String,
    pub workers: usize,
    pub max_body_size: usize,
    pub max_header_size: usize,

    pub database_url: String,
    pub database_pool_size: u32,
    #[serde(with = "humantime_serde")]
    pub database_connect_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub database_statement_timeout: Duration,

    pub revocation_check: RevocationCheck,
    #[serde(with = "humantime_serde")]
    pub revocation_sync_interval: Duration,

    #[serde(with = "humantime_serde")]
    pub cleanup_interval: Duration,
    pub cleanup_batch_size: u32,

    pub algorithm: SigningAlgorithm,
    pub signing_secret: Option<Secret>,
    #[serde(with = "humantime_serde")]
    pub access_token_lifetime: Duration,
    #[serde(with = "humantime_serde")]
    pub refresh_token_lifetime: Duration,
    #[serde(with = "humantime_serde")]
    pub session_lifetime: Duration,
    pub rotate_refresh_tokens: bool,
    pub blacklist_after_rotation: bool,
    #[serde(with = "humantime_serde")]
    pub leeway: Duration,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub auth_header_types: Vec<String>,
    pub user_id_claim: String,

    pub bcrypt_cost: u32,
    pub max_concurrent_hashes: usize,
}

/// Algorithms bouncer can sign with. The one configured is the only one accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum SigningAlgorithm {
    HS256,
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

/// The storage engine, chosen by the scheme of `database_url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A secret whose `Debug` prints nothing, so settings can be logged safely.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Where settings come from besides the compiled-in defaults.
#[derive(Debug, Default, Clone)]
pub struct LoadOptions {
    /// A TOML file layered over the defaults.
    pub config_file: Option<PathBuf>,
    /// Read `BOUNCER_*` environment variables (off in tests, so the host cannot leak in).
    pub read_env: bool,
    /// Values applied last, keyed by setting name (used by tests and the CLI).
    pub overrides: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct SettingsError(String);

impl SettingsError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// The minimum HMAC key length: RFC 7518 §3.2 requires a key at least as long as the hash.
pub const MIN_SECRET_BYTES: usize = 32;

impl Settings {
    pub fn load(options: &LoadOptions) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = &options.config_file {
            if !path.is_file() {
                return Err(SettingsError(format!(
                    "config file {} does not exist or is not a file",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
        }
        let env_pairs = if options.read_env {
            env_overrides()
        } else {
            Vec::new()
        };
        for (key, value) in env_pairs.iter().chain(&options.overrides) {
            builder = builder
                .set_override(key.as_str(), value.as_str())
                .map_err(|e| SettingsError(format!("setting `{key}`: {e}")))?;
        }
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        let fail = |key: &str, why: &str| Err(SettingsError(format!("setting `{key}`: {why}")));
        if let Some(secret) = &self.signing_secret
            && secret.expose().len() < MIN_SECRET_BYTES
        {
            return fail(
                "signing_secret",
                "must be at least 32 bytes; generate one with `openssl rand -hex 32`",
            );
        }
        if !(4..=31).contains(&self.bcrypt_cost) {
            return fail("bcrypt_cost", "must be between 4 and 31");
        }
        self.backend()?;
        if self.database_connect_timeout.is_zero() {
            return fail("database_connect_timeout", "must be longer than 0s");
        }
        if self.database_statement_timeout.is_zero() {
            return fail("database_statement_timeout", "must be longer than 0s");
        }
        if self.revocation_sync_interval.is_zero() {
            return fail("revocation_sync_interval", "must be longer than 0s");
        }
        if self.cleanup_batch_size == 0 {
            return fail("cleanup_batch_size", "must be at least 1");
        }
        if self.database_pool_size == 0 {
            return fail("database_pool_size", "must be at least 1");
        }
        if self.access_token_lifetime.is_zero() {
            return fail("access_token_lifetime", "must be longer than 0s");
        }
        if self.refresh_token_lifetime.is_zero() {
            return fail("refresh_token_lifetime", "must be longer than 0s");
        }
        if self.session_lifetime < self.refresh_token_lifetime {
            return fail(
                "session_lifetime",
                "must be at least refresh_token_lifetime",
            );
        }
        if self.auth_header_types.is_empty()
            || self
                .auth_header_types
                .iter()
                .any(|t| t.is_empty() || t.contains(char::is_whitespace))
        {
            return fail(
                "auth_header_types",
                "must list one or more words like \"Bearer\"",
            );
        }
        if self.user_id_claim.is_empty() || RESERVED_CLAIMS.contains(&self.user_id_claim.as_str()) {
            return fail(
                "user_id_claim",
                "must be a claim name bouncer does not use itself",
            );
        }
        if self.max_body_size < 64 {
            return fail("max_body_size", "must be at least 64 bytes");
        }
        if self.max_header_size < 1024 {
            return fail("max_header_size", "must be at least 1024 bytes");
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return fail("bind", "must be an address and port such as 127.0.0.1:8000");
        }
        Ok(())
    }

    /// The backend named by the scheme of `database_url`.
    pub fn backend(&self) -> Result<Backend, SettingsError> {
        let url = &self.database_url;
        if url.starts_with("sqlite://") && url.len() > "sqlite://".len() {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            // Never echo the URL: it may hold a password.
            let scheme = url
                .split("://")
                .next()
                .filter(|s| *s != url)
                .unwrap_or("(none)");
            Err(SettingsError(format!(
                "setting `database_url`: scheme {scheme:?} is not supported; \
                 use sqlite://PATH or postgres://USER@HOST/DATABASE"
            )))
        }
    }

    /// The SQLite file named by `database_url`, if the URL is a SQLite one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        self.database_url
            .strip_prefix("sqlite://")
            .filter(|p| !p.is_empty())
            .map(Path::new)
    }
}

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

/// `BOUNCER_ACCESS_TOKEN_LIFETIME=10m` -> (`access_token_lifetime`, `10m`).
fn env_overrides() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("BOUNCER_") && !is_non_setting_env(name))
        .map(|(name, value)| (name["BOUNCER_".len()..].to_ascii_lowercase(), value))
        .collect()
}

fn is_non_setting_env(name: &str) -> bool {
    NON_SETTING_ENV.contains(&name) || name.starts_with("BOUNCER_TEST_")
}

/// Lists come as TOML arrays from files and as comma-separated strings from the environment.
fn list_or_comma_separated<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        String(String),
    }
    Ok(match ListOrString::deserialize(deserializer)? {
        ListOrString::List(list) => list,
        ListOrString::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
