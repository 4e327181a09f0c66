//! Private keys at rest: AES-256-GCM (RustCrypto's aes-gcm) under a key derived from
//! `key_encryption_secret`. The kid and algorithm are the associated data, so a sealed key
//! copied into another row (another kid, another algorithm) fails to open.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use crate::settings::Secret;

/// GCM's standard 96-bit nonce, random per seal: a key is sealed once, so a few thousand
/// keys stay far below the 2^32 random-nonce limit of NIST SP 800-38D §8.3.
const NONCE_BYTES: usize = 12;

/// Seals and opens private keys. `Debug` shows nothing.
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<redacted>)")
    }
}

fn associated_data(kid: &str, algorithm: &str) -> Vec<u8> {
    format!("bouncer.signing_keys\0{kid}\0{algorithm}").into_bytes()
}

impl Sealer {
    /// The secret is random and at least 32 bytes (settings refuse anything weaker), so one
    /// domain-separated SHA-256 is a sound key derivation here.
    pub fn new(secret: &Secret) -> Self {
        let key = Sha256::new()
            .chain_update(b"bouncer.key_encryption\0")
            .chain_update(secret.expose().as_bytes())
            .finalize();
        Self {
            cipher: Aes256Gcm::new(&key),
        }
    }

    /// base64(nonce || ciphertext and tag).
    pub fn seal(&self, kid: &str, algorithm: &str, plaintext: &[u8]) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| format!("no randomness: {e}"))?;
        let aad = associated_data(kid, algorithm);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| "sealing failed".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    /// The plaintext of [`Sealer::seal`]; an error for another secret, kid or algorithm.
    pub fn open(&self, kid: &str, algorithm: &str, sealed: &str) -> Result<Vec<u8>, String> {
        let bytes = STANDARD
            .decode(sealed)
            .map_err(|_| "the stored key is not base64".to_owned())?;
        if bytes.len() <= NONCE_BYTES {
            return Err("the stored key is truncated".into());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| "bad nonce".to_owned())?;
        let aad = associated_data(kid, algorithm);
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                "cannot decrypt it: key_encryption_secret is not the one it was sealed with, \
                 or the row was altered"
                    .to_owned()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_secret_kid_and_algorithm() {
        let sealer = Sealer::new(&Secret::new("a".repeat(40)));
        let sealed = sealer.seal("kid1", "EdDSA", b"private").unwrap();
        assert!(!sealed.contains("private"));
        assert_eq!(sealer.open("kid1", "EdDSA", &sealed).unwrap(), b"private");
        assert!(sealer.open("kid2", "EdDSA", &sealed).is_err());
        assert!(sealer.open("kid1", "ES256", &sealed).is_err());
        let other = Sealer::new(&Secret::new("b".repeat(40)));
        assert!(other.open("kid1", "EdDSA", &sealed).is_err());
    }
}
