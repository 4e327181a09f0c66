//! The key ring from settings (`signing_keys`): the signing secret (the default), PEM files,
//! or keys stored in the database; generating, rotating and retiring stored keys
//! (`store.rs`, sealed by `seal.rs`); keeping every instance's ring current (`sync.rs`).

mod names;
mod seal;
mod store;
pub mod sync;

use crate::db::Db;
use crate::settings::{Secret, Settings, SettingsError, SigningKeySource};
use crate::tokens::{KeyMaterial, KeyRing, KeyState, RingKey, alg_name};

pub use names::{KeyringError, algorithm, parse_algorithm};
pub use seal::Sealer;
pub use store::{Retired, RotateOutcome, generate, list, retire, rotate, stored_ring};

/// `signing_keys = "secret"`: `signing_secret` signs, each of `previous_signing_secrets`
/// only verifies. Kid-less tokens (simplejwt's, older bouncer's) verify with the first.
pub fn secret_ring(settings: &Settings, secret: &Secret) -> Result<KeyRing, SettingsError> {
    let alg = algorithm(settings.algorithm);
    if settings.previous_signing_secrets.is_empty() {
        return Ok(KeyRing::from_secret(alg, secret.expose().as_bytes()));
    }
    let mut keys = vec![RingKey::new(
        KeyMaterial::hmac(alg, secret.expose().as_bytes()),
        KeyState::Active,
        None,
    )];
    for previous in &settings.previous_signing_secrets {
        let material = KeyMaterial::hmac(alg, previous.expose().as_bytes());
        keys.push(RingKey::new(material, KeyState::Retired, None));
    }
    KeyRing::new(keys, true)
        .map_err(|e| SettingsError::new(format!("setting `previous_signing_secrets`: {e}")))
}

/// `signing_keys = "files"`: the first file signs with `algorithm`, the others verify. A
/// file that is missing, malformed, of another kind or too weak stops start-up, named.
pub fn file_ring(settings: &Settings) -> Result<KeyRing, SettingsError> {
    let wanted = algorithm(settings.algorithm);
    let mut keys = Vec::new();
    for (i, path) in settings.signing_key_files.iter().enumerate() {
        let fail = |why: String| {
            SettingsError::new(format!(
                "setting `signing_key_files`: {}: {why}",
                path.display()
            ))
        };
        let pem = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        let material = KeyMaterial::from_pem(&pem).map_err(fail)?;
        if i == 0 && material.algorithm() != wanted {
            return Err(fail(format!(
                "a key for {}, but algorithm = \"{}\"",
                alg_name(material.algorithm()),
                alg_name(wanted)
            )));
        }
        let state = if i == 0 {
            KeyState::Active
        } else {
            KeyState::Retired
        };
        keys.push(RingKey::new(material, state, None));
    }
    KeyRing::new(keys, false)
        .map_err(|e| SettingsError::new(format!("setting `signing_key_files`: {e}")))
}

/// The ring the settings describe. `db` is read for `signing_keys = "database"` only; when
/// it holds no active key yet, one is generated and made active (nothing can depend on a
/// ring that has never signed).
pub fn load_ring(
    settings: &Settings,
    secret: &Secret,
    db: Option<&Db>,
) -> Result<KeyRing, KeyringError> {
    match settings.signing_keys {
        SigningKeySource::Secret => Ok(secret_ring(settings, secret)?),
        SigningKeySource::Files => Ok(file_ring(settings)?),
        SigningKeySource::Database => {
            let db = db.ok_or_else(|| {
                SettingsError::new(
                    "setting `signing_keys`: \"database\" keys are read by bouncer itself; an \
                     app that only validates tokens uses the JWKS or signing_keys = \"files\"",
                )
            })?;
            let sealer = sealer(settings)?;
            let now = crate::clock::now();
            if !list(db)?.iter().any(|k| k.state == KeyState::Active) {
                let made = generate(db, &sealer, algorithm(settings.algorithm), now)?;
                log::info!(
                    "no signing key in the database: generated {} ({})",
                    made.kid,
                    made.state.as_str()
                );
            }
            stored_ring(db, &sealer, now)
        }
    }
}

/// How long a retired key must keep verifying: the longest token lifetime, plus leeway.
pub fn token_window(settings: &Settings) -> i64 {
    crate::clock::seconds(
        settings
            .access_token_lifetime
            .max(settings.refresh_token_lifetime),
    )
    .saturating_add(crate::clock::seconds(settings.leeway))
}

/// The sealer for stored keys; settings validation already required the secret.
pub fn sealer(settings: &Settings) -> Result<Sealer, SettingsError> {
    settings
        .key_encryption_secret
        .as_ref()
        .map(Sealer::new)
        .ok_or_else(|| {
            SettingsError::new("setting `key_encryption_secret` is required for stored keys")
        })
}
