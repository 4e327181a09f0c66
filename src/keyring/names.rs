//! The algorithm names bouncer signs with, and the key ring's error.

use jsonwebtoken::Algorithm;

use crate::db::StorageError;
use crate::settings::{SettingsError, SigningAlgorithm};
use crate::tokens::alg_name;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("database unavailable: {0}")]
    Storage(#[from] StorageError),
}

pub fn algorithm(setting: SigningAlgorithm) -> Algorithm {
    match setting {
        SigningAlgorithm::HS256 => Algorithm::HS256,
        SigningAlgorithm::HS384 => Algorithm::HS384,
        SigningAlgorithm::HS512 => Algorithm::HS512,
        SigningAlgorithm::RS256 => Algorithm::RS256,
        SigningAlgorithm::ES256 => Algorithm::ES256,
        SigningAlgorithm::EdDSA => Algorithm::EdDSA,
    }
}

/// The algorithm a JOSE name stands for, among those bouncer signs with.
pub fn parse_algorithm(name: &str) -> Option<Algorithm> {
    [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ]
    .into_iter()
    .find(|a| alg_name(*a) == name)
}
