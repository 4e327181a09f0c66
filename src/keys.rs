//! The signing keys: the secret (configured, or generated once and kept beside the SQLite
//! database) and the token policy, turned from settings into [`JwtKeys`] in one place.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::clock::seconds;
use crate::db::DatabaseUrl;
use crate::settings::{Secret, Settings, SettingsError, SigningAlgorithm, signing_secret_problem};
use crate::tokens::{JwtKeys, KeyConfig};

/// The keys and claim policy the settings describe.
pub fn jwt_keys(settings: &Settings, secret: &Secret) -> JwtKeys {
    JwtKeys::new(KeyConfig {
        algorithm: match settings.algorithm {
            SigningAlgorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        },
        secret: secret.expose().as_bytes(),
        access_lifetime: seconds(settings.access_token_lifetime),
        refresh_lifetime: seconds(settings.refresh_token_lifetime),
        session_lifetime: seconds(settings.session_lifetime),
        leeway: seconds(settings.leeway),
        issuer: settings.issuer.clone(),
        audience: settings.audience.clone(),
        user_id_claim: settings.user_id_claim.clone(),
    })
}

/// Resolves the secret (see [`resolve_secret`]) and builds the keys.
pub fn load(settings: &Settings, create_secret: bool) -> Result<JwtKeys, SettingsError> {
    Ok(jwt_keys(
        settings,
        &resolve_secret(settings, create_secret)?,
    ))
}

/// The configured secret, or the one stored in `<database file>.secret`, created (mode 0600)
/// with 32 random bytes on first use. `create` is false for commands that must not invent one.
pub fn resolve_secret(settings: &Settings, create: bool) -> Result<Secret, SettingsError> {
    if let Some(secret) = &settings.signing_secret {
        return Ok(secret.clone());
    }
    let url = DatabaseUrl::parse(&settings.database_url).map_err(SettingsError::new)?;
    let Some(db_path) = url.sqlite_path() else {
        return Err(SettingsError::new(
            "setting `signing_secret` is required unless the database is SQLite",
        ));
    };
    let path = secret_path(db_path);
    match std::fs::read_to_string(&path) {
        Ok(stored) => {
            let stored = stored.trim().to_owned();
            // The file may have been edited by hand: the same rule as a configured secret.
            if let Some(problem) = signing_secret_problem(&stored) {
                return Err(SettingsError::new(format!(
                    "setting `signing_secret`: the secret in {} {problem}; or delete the file",
                    path.display()
                )));
            }
            Ok(Secret::new(stored))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => generate(&path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(SettingsError::new(format!(
            "setting `signing_secret` is unset and {} does not exist yet; run `bouncer serve` once or set it",
            path.display()
        ))),
        Err(e) => Err(SettingsError::new(format!(
            "setting `signing_secret`: cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn secret_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".secret");
    PathBuf::from(name)
}

/// A new signing secret: 32 bytes from the operating system's random source, as 64 lower-case
/// hex characters (what `bouncer generate-secret` prints and `serve` stores when none is set).
pub fn new_secret() -> Result<String, SettingsError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| SettingsError::new(format!("setting `signing_secret`: no randomness: {e}")))?;
    Ok(hex::encode(bytes))
}

fn generate(path: &Path) -> Result<Secret, SettingsError> {
    let secret = new_secret()?;
    // create_new: two instances starting at once must not overwrite each other's secret.
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(secret.as_bytes()).and_then(|()| f.sync_all()));
    match written {
        Ok(()) => {
            log::warn!(
                "no signing_secret configured: generated one and stored it in {} (mode 0600); \
                 set signing_secret explicitly in production and when running several instances",
                path.display()
            );
            Ok(Secret::new(secret))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path)
            .map(|s| Secret::new(s.trim()))
            .map_err(|e| SettingsError::new(format!("setting `signing_secret`: {e}"))),
        Err(e) => Err(SettingsError::new(format!(
            "setting `signing_secret`: cannot write {}: {e}",
            path.display()
        ))),
    }
}
