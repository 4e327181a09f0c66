//! The checks of the key settings: each source needs its own settings, and the secrets that
//! protect keys must be as strong as `signing_secret`.

use super::error::SettingsError;
use super::schema::Settings;
use super::secret::signing_secret_problem;
use super::signing::SigningKeySource;

fn fail(key: &str, why: &str) -> Result<(), SettingsError> {
    Err(SettingsError::new(format!("setting `{key}`: {why}")))
}

/// Each source needs its own settings, and the secrets that protect keys must be strong.
pub(super) fn validate(s: &Settings) -> Result<(), SettingsError> {
    for secret in &s.previous_signing_secrets {
        if let Some(problem) = signing_secret_problem(secret.expose()) {
            return fail("previous_signing_secrets", &problem);
        }
    }
    if let Some(problem) = s
        .key_encryption_secret
        .as_ref()
        .and_then(|secret| signing_secret_problem(secret.expose()))
    {
        return fail("key_encryption_secret", &problem);
    }
    match s.signing_keys {
        SigningKeySource::Secret if !s.algorithm.is_hmac() => {
            return fail(
                "algorithm",
                "RS256, ES256 and EdDSA need signing_keys = \"database\" or \"files\"",
            );
        }
        SigningKeySource::Files if s.signing_key_files.is_empty() => {
            return fail(
                "signing_key_files",
                "must name one or more PEM private key files with signing_keys = \"files\"",
            );
        }
        SigningKeySource::Database if s.key_encryption_secret.is_none() => {
            return fail(
                "key_encryption_secret",
                "is required with signing_keys = \"database\": stored private keys are \
                 encrypted under it; make one with `bouncer generate-secret`",
            );
        }
        _ => {}
    }
    if let Some(interval) = s.key_rotation_interval {
        if s.signing_keys != SigningKeySource::Database {
            return fail(
                "key_rotation_interval",
                "rotates keys stored in the database: set signing_keys = \"database\"",
            );
        }
        if interval <= s.jwks_max_age.saturating_mul(2) {
            return fail(
                "key_rotation_interval",
                "must be longer than twice jwks_max_age: each new key is published that long \
                 before it signs",
            );
        }
    }
    Ok(())
}
