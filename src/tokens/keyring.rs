//! The key ring: every key that may verify a token, by `kid`, and the one that signs.
//!
//! Security invariants (RFC 8725 §2.1, §3.1):
//! - a token is verified with the key its `kid` names and with *that key's* algorithm; a
//!   header `alg` that differs is refused, so an RSA public key can never be used as an
//!   HMAC secret, nor an HS256 key for HS512;
//! - an unknown `kid` is refused; a missing one is accepted only when the ring holds the
//!   `signing_secret` key (tokens minted by simplejwt and by bouncer before key ids), and
//!   then only with that key and its algorithm;
//! - a retired key verifies until `verify_until`, by when every token it signed has expired,
//!   and then neither verifies nor appears in the JWKS;
//! - the JWKS lists public parts only: HMAC keys have none and are never listed.

use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

use super::key_material::KeyMaterial;

/// A key's place in rotation: published (`Next`), signing (`Active`), verifying only until
/// its tokens have expired (`Retired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Next,
    Active,
    Retired,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "next" => Some(Self::Next),
            "active" => Some(Self::Active),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }
}

/// One key of the ring.
pub struct RingKey {
    pub(super) material: KeyMaterial,
    pub(super) state: KeyState,
    /// Unix seconds after which the key no longer verifies (`i64::MAX`: no limit).
    pub(super) verify_until: i64,
    pub(super) header_alg: &'static str,
    /// Unix seconds since when it signs (or was made), where known: the metrics' key age.
    pub(super) since: Option<i64>,
}

impl RingKey {
    pub fn new(material: KeyMaterial, state: KeyState, verify_until: Option<i64>) -> Self {
        let header_alg = alg_name(material.algorithm);
        Self {
            material,
            state,
            verify_until: verify_until.unwrap_or(i64::MAX),
            header_alg,
            since: None,
        }
    }

    /// The same key, known to sign since `since` (Unix seconds).
    pub fn since(mut self, since: i64) -> Self {
        self.since = Some(since);
        self
    }

    pub fn kid(&self) -> &str {
        &self.material.kid
    }
}

/// Every key by kid, the signing key, and the header it signs with.
pub struct KeyRing {
    keys: Vec<RingKey>,
    signing: usize,
    header: Header,
    /// The key kid-less tokens verify with (see the module's invariants).
    legacy: Option<usize>,
}

impl KeyRing {
    /// A ring of `keys`: exactly one is `Active` and can sign; kids are unique. With
    /// `accept_missing_kid`, kid-less tokens verify with the active key if it is HMAC.
    pub fn new(keys: Vec<RingKey>, accept_missing_kid: bool) -> Result<Self, String> {
        let mut active = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.state == KeyState::Active);
        let (signing, key) = active.next().ok_or("no active signing key")?;
        if active.next().is_some() {
            return Err("more than one active signing key".into());
        }
        if key.material.encoding.is_none() {
            return Err(format!("the active key {} has no private part", key.kid()));
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|other| other.kid() == k.kid()) {
                return Err(format!("two keys have the kid {}", k.kid()));
            }
        }
        let mut header = Header::new(key.material.algorithm);
        header.kid = Some(key.kid().to_owned());
        let legacy = (accept_missing_kid && key.material.public.is_none()).then_some(signing);
        Ok(Self {
            keys,
            signing,
            header,
            legacy,
        })
    }

    /// One HMAC key that signs: `signing_secret` with no configuration beyond it.
    pub fn from_secret(algorithm: Algorithm, secret: &[u8]) -> Self {
        let material = KeyMaterial::hmac(algorithm, secret);
        let mut header = Header::new(algorithm);
        header.kid = Some(material.kid.clone());
        Self {
            keys: vec![RingKey::new(material, KeyState::Active, None)],
            signing: 0,
            header,
            legacy: Some(0),
        }
    }

    /// The key a token's `kid` names, if it still verifies at `now`.
    pub(super) fn find(&self, kid: Option<&str>, now: i64) -> Option<&RingKey> {
        let key = match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid() == kid)?,
            None => &self.keys[self.legacy?],
        };
        (now <= key.verify_until).then_some(key)
    }

    pub(super) fn signing(&self) -> (&RingKey, &Header) {
        (&self.keys[self.signing], &self.header)
    }

    pub fn signing_kid(&self) -> &str {
        self.keys[self.signing].kid()
    }

    /// Since when the signing key signs (Unix seconds), where known.
    pub fn signing_since(&self) -> Option<i64> {
        self.keys[self.signing].since
    }

    pub fn signing_algorithm(&self) -> Algorithm {
        self.keys[self.signing].material.algorithm
    }

    /// `kid state alg` of each key, for a start-up log line (no key material).
    pub fn describe(&self) -> String {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("{} {} {}", k.kid(), k.state.as_str(), k.header_alg))
            .collect();
        keys.join(", ")
    }

    /// The JSON Web Key Set (RFC 7517 §5): the public part of every asymmetric key that
    /// still verifies at `now`. Built from the public members only, never from a private key.
    pub fn jwks(&self, now: i64) -> Value {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .filter(|k| now <= k.verify_until)
            .filter_map(|k| {
                let mut jwk = k.material.public.clone()?;
                jwk.insert("kid".into(), json!(k.kid()));
                jwk.insert("alg".into(), json!(k.header_alg));
                jwk.insert("use".into(), json!("sig"));
                Some(Value::Object(jwk))
            })
            .collect();
        json!({ "keys": keys })
    }
}

/// The JOSE name of an algorithm (RFC 7518 §3.1, RFC 8037 §3.1).
pub fn alg_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::HS256 => "HS256",
        Algorithm::HS384 => "HS384",
        Algorithm::HS512 => "HS512",
        Algorithm::RS256 => "RS256",
        Algorithm::ES256 => "ES256",
        Algorithm::EdDSA => "EdDSA",
        _ => "",
    }
}
