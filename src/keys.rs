//! The signing keys: the secret (configured, or generated once and kept beside the SQLite
//! database) and the token policy, turned from settings into [`JwtKeys`] in one place. The
//! key ring itself comes from `keyring/` (secret, PEM files or the database).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::clock::seconds;
use crate::db::DatabaseUrl;
use crate::keyring;
use crate::settings::{DjangoAlgorithm, Secret, Settings, SettingsError, signing_secret_problem};
use crate::tokens::{JwtKeys, KeyConfig, KeyRing, LegacyConfig, LegacyKeys};

/// HMAC keys from `secret` alone, with the settings' claim policy.
pub fn jwt_keys(settings: &Settings, secret: &Secret) -> JwtKeys {
    let ring = KeyRing::from_secret(
        keyring::algorithm(settings.algorithm),
        secret.expose().as_bytes(),
    );
    with_ring(settings, ring)
}

/// The claim policy the settings describe, signing and verifying with `ring`.
pub fn with_ring(settings: &Settings, ring: KeyRing) -> JwtKeys {
    JwtKeys::new(KeyConfig {
        ring,
        access_lifetime: seconds(settings.access_token_lifetime),
        refresh_lifetime: seconds(settings.refresh_token_lifetime),
        session_lifetime: seconds(settings.session_lifetime),
        leeway: seconds(settings.leeway),
        issuer: settings.issuer.clone(),
        audience: settings.audience.clone(),
        user_id_claim: settings.user_id_claim.clone(),
    })
}

/// Resolves the secret (see [`resolve_secret`]) and builds the keys, for an app that only
/// validates tokens: `signing_keys = "secret"` or `"files"` (stored keys need the database).
pub fn load(settings: &Settings, create_secret: bool) -> Result<JwtKeys, SettingsError> {
    let secret = resolve_secret(settings, create_secret)?;
    let ring = keyring::load_ring(settings, &secret, None).map_err(|e| match e {
        keyring::KeyringError::Settings(e) => e,
        other => SettingsError::new(other.to_string()),
    })?;
    Ok(with_ring(settings, ring))
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

/// The Django project's key and claim names (`[django_tokens]`), when the cut-over is on.
pub fn django_keys(settings: &Settings) -> Option<LegacyKeys> {
    let d = &settings.django_tokens;
    let key = d.signing_key.as_ref()?;
    let algorithm = match d.algorithm {
        DjangoAlgorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        DjangoAlgorithm::HS384 => jsonwebtoken::Algorithm::HS384,
        DjangoAlgorithm::HS512 => jsonwebtoken::Algorithm::HS512,
    };
    Some(LegacyKeys::new(LegacyConfig {
        algorithm,
        key: key.expose().as_bytes().to_vec(),
        user_id_claim: d.user_id_claim.clone(),
        token_type_claim: d.token_type_claim.clone(),
        jti_claim: d.jti_claim.clone(),
        issuer: d.issuer.clone(),
        audience: d.audience.clone(),
        max_lifetime: seconds(d.refresh_token_lifetime),
        accept_until: d.accept_until_seconds(),
        leeway: seconds(settings.leeway),
    }))
}
