//! The public key a DPoP proof carries in its header (RFC 9449 §4.2), and its thumbprint
//! (RFC 7638), which is what a bound token's `cnf.jkt` names.
//!
//! jsonwebtoken's `Jwk` ignores members it does not know, so a private key (`d`) would pass
//! through it unnoticed; the members are therefore checked on the raw JSON object first, and
//! the thumbprint is computed here from exactly the required members (jsonwebtoken's
//! `Jwk::thumbprint` pastes the members into its JSON unescaped and knows no Ed25519 in EC).

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Members that only a private or symmetric key has: a proof carrying one is refused, since
/// its client has just published its secret (RFC 9449 §4.2: "MUST NOT contain a private key").
const PRIVATE_MEMBERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// RSA keys shorter than this are refused (RFC 8725 §3.5, NIST: at least 2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

/// The SHA-256 JWK thumbprint of a client's public key: what `cnf.jkt` carries, base64url.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Thumbprint([u8; 32]);

impl Thumbprint {
    /// `cnf.jkt` as written: base64url without padding (43 characters).
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// A `cnf.jkt` as read; `None` unless it is exactly a base64url SHA-256 digest.
    pub fn decode(text: &str) -> Option<Self> {
        if text.len() != 43 {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Public, but a log has no use for it.
impl fmt::Debug for Thumbprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Thumbprint(..)")
    }
}

/// A proof's key, checked: public only, of the family and curve `alg` names.
pub(super) struct ProofKey {
    pub decoding: DecodingKey,
    pub thumbprint: Thumbprint,
}

/// Checks the `jwk` header member against `alg` and builds its verifying key.
pub(super) fn proof_key(
    jwk: &Map<String, Value>,
    alg: Algorithm,
) -> Result<ProofKey, &'static str> {
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err("the jwk header must hold a public key only");
    }
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let kty = text("kty").ok_or("the jwk header has no kty")?;
    // RFC 7638 §3.2: the required members of each key type, and nothing else.
    let (required, curve): (&[&str], Option<&str>) = match (alg, kty) {
        (Algorithm::ES256, "EC") => (&["crv", "kty", "x", "y"], Some("P-256")),
        (Algorithm::ES384, "EC") => (&["crv", "kty", "x", "y"], Some("P-384")),
        (Algorithm::EdDSA, "OKP") => (&["crv", "kty", "x"], Some("Ed25519")),
        (
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
            "RSA",
        ) => (&["e", "kty", "n"], None),
        _ => return Err("the jwk header's key type does not match alg"),
    };
    if curve.is_some_and(|c| text("crv") != Some(c)) {
        return Err("the jwk header's curve does not match alg");
    }
    let mut members = BTreeMap::new();
    for name in required {
        let value = text(name).ok_or("the jwk header lacks a required member")?;
        if *name != "kty" && *name != "crv" && URL_SAFE_NO_PAD.decode(value).is_err() {
            return Err("the jwk header has a member that is not base64url");
        }
        members.insert(*name, value);
    }
    if kty == "RSA" {
        let n = URL_SAFE_NO_PAD.decode(members["n"]).unwrap_or_default();
        let significant = n.iter().skip_while(|b| **b == 0).count();
        if significant < MIN_RSA_MODULUS_BYTES {
            return Err("the jwk header's RSA key is shorter than 2048 bits");
        }
    }
    let parsed: Jwk = serde_json::from_value(Value::Object(jwk.clone()))
        .map_err(|_| "the jwk header is not a valid key")?;
    let decoding =
        DecodingKey::from_jwk(&parsed).map_err(|_| "the jwk header is not a valid key")?;
    // RFC 7638 §3.3: the required members in lexicographic order, no whitespace; a BTreeMap
    // of strings serializes to exactly that.
    let canonical =
        serde_json::to_vec(&members).map_err(|_| "the jwk header is not a valid key")?;
    let thumbprint = Thumbprint(Sha256::digest(&canonical).into());
    Ok(ProofKey {
        decoding,
        thumbprint,
    })
}
