//! Layering the sources: `config/default.toml` (compiled in) -> `--config FILE` ->
//! `BOUNCER_*` environment variables -> explicit overrides; then validation.

use std::path::PathBuf;

use config::{Config, File, FileFormat};

use super::error::SettingsError;
use super::schema::Settings;
use super::validate;

/// The documented defaults, compiled in so the binary runs from any directory.
const DEFAULTS: &str = include_str!("../../config/default.toml");

/// Environment variables with the `BOUNCER_` prefix that are not settings.
const NON_SETTING_ENV: &[&str] = &["BOUNCER_CONFIG", "BOUNCER_PASSWORD"];

/// Where settings come from besides the compiled-in defaults.
#[derive(Debug, Default, Clone)]
pub struct LoadOptions {
    /// A TOML file layered over the defaults.
    pub config_file: Option<PathBuf>,
    /// Read `BOUNCER_*` environment variables (off in tests, so the host cannot leak in).
    pub read_env: bool,
    /// Values applied last, keyed by setting name, `table.key` for nested ones (used by tests
    /// and the CLI).
    pub overrides: Vec<(String, String)>,
}

impl Settings {
    pub fn load(options: &LoadOptions) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = &options.config_file {
            if !path.is_file() {
                return Err(SettingsError::new(format!(
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
                .map_err(|e| SettingsError::new(format!("setting `{key}`: {e}")))?;
        }
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| SettingsError::new(e.to_string()))?;
        validate::all(&settings)?;
        Ok(settings)
    }
}

/// `BOUNCER_ACCESS_TOKEN_LIFETIME=10m` -> (`access_token_lifetime`, `10m`); a double underscore
/// reaches into a table: `BOUNCER_CORS__MAX_AGE=10m` -> (`cors.max_age`, `10m`).
fn env_overrides() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with("BOUNCER_") && !is_non_setting_env(name))
        .map(|(name, value)| (setting_key(&name["BOUNCER_".len()..]), value))
        .collect()
}

/// The setting path of an environment variable name without its prefix. Single underscores
/// stay (they are part of key names); `__` separates a table from its key.
pub(super) fn setting_key(env_name: &str) -> String {
    env_name.to_ascii_lowercase().replace("__", ".")
}

fn is_non_setting_env(name: &str) -> bool {
    NON_SETTING_ENV.contains(&name) || name.starts_with("BOUNCER_TEST_")
}
