//! A key derived from the signing secret for one purpose only: `HMAC-SHA256(secret, label)`.
//! The CSRF proofs, device tokens and DPoP nonces each take one with a label of their own,
//! so a value made for one purpose never checks out for another and none reveals the secret.
//! Nothing is stored: every instance with the same secret derives the same key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct PurposeKey([u8; 32]);

impl std::fmt::Debug for PurposeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PurposeKey(<redacted>)")
    }
}

impl PurposeKey {
    pub fn derive(secret: &[u8], label: &[u8]) -> Self {
        let mut derive = keyed(secret);
        derive.update(label);
        Self(derive.finalize().into_bytes().into())
    }

    /// An HMAC keyed with this key, ready for the message.
    pub fn mac(&self) -> HmacSha256 {
        keyed(&self.0)
    }
}

fn keyed(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length")
}
