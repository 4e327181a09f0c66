//! The signing secret: configured, or generated once and kept beside the SQLite database.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::settings::{MIN_SECRET_BYTES, Secret, Settings, SettingsError};

/// The configured secret, or the one stored in `<database file>.secret`, created (mode 0600)
/// with 32 random bytes on first use. `create` is false for commands that must not invent one.
pub fn resolve(settings: &Settings, create: bool) -> Result<Secret, SettingsError> {
    if let Some(secret) = &settings.signing_secret {
        return Ok(secret.clone());
    }
    let Some(db_path) = settings.sqlite_path() else {
        return Err(SettingsError::new(
            "setting `signing_secret` is required unless the database is SQLite",
        ));
    };
    let path = secret_path(db_path);
    match std::fs::read_to_string(&path) {
        Ok(stored) => {
            let stored = stored.trim().to_owned();
            if stored.len() < MIN_SECRET_BYTES {
                return Err(SettingsError::new(format!(
                    "setting `signing_secret`: {} holds fewer than 32 bytes; delete it or set signing_secret",
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

pub fn secret_path(db_path: &Path) -> PathBuf {
    let mut name = db_path.as_os_str().to_owned();
    name.push(".secret");
    PathBuf::from(name)
}

fn generate(path: &Path) -> Result<Secret, SettingsError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| SettingsError::new(format!("setting `signing_secret`: no randomness: {e}")))?;
    let secret = hex::encode(bytes);
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
