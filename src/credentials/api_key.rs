//! Opaque `Token` keys (DRF authtoken's `Authorization: Token <key>`): 40 lowercase hex
//! characters, 160 random bits, as DRF makes them. bouncer keeps only their SHA-256 (as
//! crates.io does with its API tokens): a database reader gets nothing a client could send,
//! and a fast hash is enough because the key itself is random, not a password.

use sha2::{Digest, Sha256};

/// DRF's key length.
pub const KEY_LENGTH: usize = 40;

/// A new random key, from the operating system's generator.
pub fn generate_key() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; KEY_LENGTH / 2];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// The SHA-256 of a key: what is stored and what the cache is keyed by.
pub fn key_digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// The stored form of a key: its digest in hex.
pub fn key_hash(key: &str) -> String {
    hex::encode(key_digest(key))
}

/// Short enough for logs and useless to an attacker: the first 8 hex digits of the digest.
pub fn key_fingerprint(key: &str) -> String {
    hex::encode(&key_digest(key)[..4])
}

/// Whether `key` could be a key bouncer issued; anything else is refused without a lookup.
pub fn is_well_formed(key: &str) -> bool {
    key.len() == KEY_LENGTH
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
#[path = "api_key_tests.rs"]
mod tests;
