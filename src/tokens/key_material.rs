//! Key material per algorithm, built from an HMAC secret, from stored bytes (PKCS#8 DER for
//! the asymmetric algorithms) or from a PEM file, and generated fresh.
//!
//! The crates are the RustCrypto ones jsonwebtoken's `rust_crypto` backend signs with, so the
//! bytes handed to it are exactly the forms it reads: PKCS#1 DER for RSA, PKCS#8 DER for P-256
//! and Ed25519 private keys, and raw public keys (modulus/exponent, SEC1 point, 32 bytes).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use rand_core::OsRng;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// NIST SP 800-57 and RFC 7518 §3.3: RSA keys under 2048 bits are refused.
pub const MIN_RSA_BITS: usize = 2048;

/// The DER prefix of a PKCS#8 v1 Ed25519 private key (RFC 8410 §7); the 32-byte seed follows.
/// jsonwebtoken reads exactly this 48-byte form.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// One key: what signs (absent for verification-only keys), what verifies, what is published.
#[derive(Clone)]
pub struct KeyMaterial {
    pub(super) algorithm: Algorithm,
    pub(super) kid: String,
    pub(super) encoding: Option<EncodingKey>,
    pub(super) decoding: DecodingKey,
    /// The public JWK members (`kty`, `crv`, `x`, `y`, `n`, `e`). `None` for HMAC: a shared
    /// secret is never published.
    pub(super) public: Option<Map<String, Value>>,
}

impl KeyMaterial {
    /// An HMAC key. Its kid is the first 8 bytes of SHA-256("bouncer.kid" + secret): stable
    /// across restarts and instances sharing the secret, and telling nothing about it.
    pub fn hmac(algorithm: Algorithm, secret: &[u8]) -> Self {
        Self {
            algorithm,
            kid: kid_of(secret),
            encoding: Some(EncodingKey::from_secret(secret)),
            decoding: DecodingKey::from_secret(secret),
            public: None,
        }
    }

    /// A stored key: the raw secret for HS*, PKCS#8 DER for the others.
    pub fn from_stored(algorithm: Algorithm, bytes: &[u8]) -> Result<Self, String> {
        let material = match algorithm {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
                return Ok(Self::hmac(algorithm, bytes));
            }
            Algorithm::EdDSA => {
                use ed25519_dalek::pkcs8::DecodePrivateKey;
                ed25519(&ed25519_dalek::SigningKey::from_pkcs8_der(bytes).map_err(text)?)
            }
            Algorithm::ES256 => {
                use p256::pkcs8::DecodePrivateKey;
                p256_key(&p256::SecretKey::from_pkcs8_der(bytes).map_err(text)?)?
            }
            Algorithm::RS256 => {
                use rsa::pkcs8::DecodePrivateKey;
                rsa_key(&rsa::RsaPrivateKey::from_pkcs8_der(bytes).map_err(text)?)?
            }
            other => return Err(format!("{other:?} is not supported")),
        };
        Ok(material)
    }

    /// A private key from a PEM file: PKCS#8 (`BEGIN PRIVATE KEY`), PKCS#1 RSA or SEC1 EC.
    /// The error says which kind of problem, for a start-up line.
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        if pem.contains("PUBLIC KEY-----") || pem.contains("CERTIFICATE-----") {
            return Err("holds a public key or certificate; a private key is needed".into());
        }
        if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
            use rsa::pkcs1::DecodeRsaPrivateKey;
            let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem)
                .map_err(|e| format!("malformed RSA private key: {e}"))?;
            return rsa_key(&key);
        }
        if pem.contains("-----BEGIN EC PRIVATE KEY-----") {
            return p256::SecretKey::from_sec1_pem(pem)
                .map_err(|_| {
                    "an EC key that is not on P-256 (ES256's curve) or is malformed".into()
                })
                .and_then(|key| p256_key(&key));
        }
        if !pem.contains("-----BEGIN PRIVATE KEY-----") {
            return Err("not a PEM private key (expected -----BEGIN PRIVATE KEY-----)".into());
        }
        {
            use ed25519_dalek::pkcs8::DecodePrivateKey;
            if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_pem(pem) {
                return Ok(ed25519(&key));
            }
        }
        {
            use p256::pkcs8::DecodePrivateKey;
            if let Ok(key) = p256::SecretKey::from_pkcs8_pem(pem) {
                return p256_key(&key);
            }
        }
        use rsa::pkcs8::DecodePrivateKey;
        match rsa::RsaPrivateKey::from_pkcs8_pem(pem) {
            Ok(key) => rsa_key(&key),
            Err(_) => Err("malformed, or a kind other than Ed25519, P-256 or RSA".into()),
        }
    }

    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }
}

/// New key bytes for `algorithm`, in the form [`KeyMaterial::from_stored`] reads: 64 random
/// bytes for HS*, PKCS#8 DER otherwise.
pub fn generate_key(algorithm: Algorithm) -> Result<Vec<u8>, String> {
    match algorithm {
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => {
            let mut secret = vec![0u8; 64];
            getrandom::fill(&mut secret).map_err(text)?;
            Ok(secret)
        }
        Algorithm::EdDSA => {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(text)?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            Ok(key.to_pkcs8_der().map_err(text)?.as_bytes().to_vec())
        }
        Algorithm::ES256 => {
            use p256::pkcs8::EncodePrivateKey;
            let key = p256::SecretKey::random(&mut OsRng);
            Ok(key.to_pkcs8_der().map_err(text)?.as_bytes().to_vec())
        }
        Algorithm::RS256 => {
            use rsa::pkcs8::EncodePrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut OsRng, MIN_RSA_BITS).map_err(text)?;
            Ok(key.to_pkcs8_der().map_err(text)?.as_bytes().to_vec())
        }
        other => Err(format!("{other:?} is not supported")),
    }
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn b64(bytes: &[u8]) -> Value {
    Value::String(URL_SAFE_NO_PAD.encode(bytes))
}

/// The first 8 bytes of SHA-256("bouncer.kid" + `bytes`), as 16 hex characters.
fn kid_of(bytes: &[u8]) -> String {
    let digest = Sha256::new()
        .chain_update(b"bouncer.kid")
        .chain_update(bytes)
        .finalize();
    hex::encode(&digest[..8])
}

fn public_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn ed25519(key: &ed25519_dalek::SigningKey) -> KeyMaterial {
    let public = key.verifying_key().to_bytes();
    let mut der = ED25519_PKCS8_PREFIX.to_vec();
    der.extend_from_slice(&key.to_bytes());
    KeyMaterial {
        algorithm: Algorithm::EdDSA,
        kid: kid_of(&public),
        encoding: Some(EncodingKey::from_ed_der(&der)),
        decoding: DecodingKey::from_ed_der(&public),
        public: Some(public_map(
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&public)}),
        )),
    }
}

fn p256_key(key: &p256::SecretKey) -> Result<KeyMaterial, String> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::EncodePrivateKey;
    let der = key.to_pkcs8_der().map_err(text)?;
    let point = key.public_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err("an EC key without a public point".into());
    };
    Ok(KeyMaterial {
        algorithm: Algorithm::ES256,
        kid: kid_of(point.as_bytes()),
        encoding: Some(EncodingKey::from_ec_der(der.as_bytes())),
        decoding: DecodingKey::from_ec_der(point.as_bytes()),
        public: Some(public_map(
            json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)}),
        )),
    })
}

fn rsa_key(key: &rsa::RsaPrivateKey) -> Result<KeyMaterial, String> {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;
    let bits = key.size() * 8;
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "an RSA key of {bits} bits is too weak; at least {MIN_RSA_BITS} are required"
        ));
    }
    let (n, e) = (key.n().to_bytes_be(), key.e().to_bytes_be());
    let der = key.to_pkcs1_der().map_err(text)?;
    Ok(KeyMaterial {
        algorithm: Algorithm::RS256,
        kid: kid_of(&n),
        encoding: Some(EncodingKey::from_rsa_der(der.as_bytes())),
        decoding: DecodingKey::from_rsa_raw_components(&n, &e),
        public: Some(public_map(
            json!({"kty": "RSA", "n": b64(&n), "e": b64(&e)}),
        )),
    })
}
