//! Server nonces (RFC 9449 §8, §9) without state: a nonce is an HMAC of the current time
//! bucket, so every instance with the same key makes and accepts the same nonces, and none
//! has to be stored. A nonce is accepted in its own bucket and the next, so one handed out
//! just before a bucket ends stays good for at least a whole lifetime.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use subtle::ConstantTimeEq;

use crate::credentials::PurposeKey;

pub struct Nonces {
    /// Derived from the secret for this one purpose, so a nonce reveals nothing of it.
    key: PurposeKey,
    lifetime: i64,
}

impl fmt::Debug for Nonces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nonces")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl Nonces {
    pub fn new(secret: &[u8], lifetime_seconds: u64) -> Self {
        Self {
            key: PurposeKey::derive(secret, b"bouncer dpop nonce key"),
            lifetime: i64::try_from(lifetime_seconds).unwrap_or(300).max(1),
        }
    }

    fn at(&self, bucket: i64) -> String {
        let mut mac = self.key.mac();
        mac.update(&bucket.to_be_bytes());
        URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..24])
    }

    /// The nonce of the current bucket.
    pub fn current(&self, now: i64) -> String {
        self.at(now.div_euclid(self.lifetime))
    }

    /// Whether `nonce` is the current bucket's or the previous one's (compared in constant
    /// time).
    pub fn accepts(&self, nonce: &str, now: i64) -> bool {
        let bucket = now.div_euclid(self.lifetime);
        [bucket, bucket - 1]
            .iter()
            .any(|b| bool::from(self.at(*b).as_bytes().ct_eq(nonce.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_for_one_to_two_lifetimes_and_by_every_instance_with_the_key() {
        let (a, b) = (Nonces::new(b"secret", 300), Nonces::new(b"secret", 300));
        let nonce = a.current(1_000_000);
        assert!(b.accepts(&nonce, 1_000_000));
        assert!(b.accepts(&nonce, 1_000_000 + 300));
        assert!(!b.accepts(&nonce, 1_000_000 + 600));
        assert!(!Nonces::new(b"other", 300).accepts(&nonce, 1_000_000));
        assert!(!a.accepts("", 1_000_000));
    }
}
