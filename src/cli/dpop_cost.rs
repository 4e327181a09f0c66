//! `bouncer verify-cost`'s DPoP lines: what checking one DPoP proof costs (RFC 9449: header,
//! key, signature, claims, `ath`; `tokens::verify_proof`, the code every DPoP request runs),
//! for ES256 and EdDSA client keys. The replay cache's round trip to Redis or the database
//! comes on top, and is measured by the load test rather than here.

use std::hint::black_box;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::support::CliError;
use super::verify_cost::timed;
use crate::tokens::{ProofCheck, verify_proof};

const URL: &str = "https://auth.example.com/api/secret/";
const ACCESS: &str = "eyJhbGciOiJIUzI1NiJ9.e30.an-access-token-stands-here";

/// A fresh client key of `alg`: its signing key and public JWK.
fn client_key(alg: Algorithm) -> Result<(EncodingKey, Value), String> {
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    match alg {
        Algorithm::ES256 => {
            use p256::elliptic_curve::sec1::ToEncodedPoint;
            use p256::pkcs8::EncodePrivateKey;
            let key = p256::SecretKey::random(&mut rand_core::OsRng);
            let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
            let point = key.public_key().to_encoded_point(false);
            let (Some(x), Some(y)) = (point.x(), point.y()) else {
                return Err("no public point".into());
            };
            let jwk = json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)});
            Ok((EncodingKey::from_ec_der(der.as_bytes()), jwk))
        }
        _ => {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| e.to_string())?;
            let key = ed25519_dalek::SigningKey::from_bytes(&seed);
            let der = key.to_pkcs8_der().map_err(|e| e.to_string())?;
            let jwk = json!({"kty": "OKP", "crv": "Ed25519",
                "x": b64(key.verifying_key().as_bytes())});
            Ok((EncodingKey::from_ed_der(der.as_bytes()), jwk))
        }
    }
}

/// Prints `dpop alg=... proof_verify_us=... proof_verify_cpu_us=... proofs=...` per client
/// key algorithm, each the mean over about `budget`.
pub fn run(budget: Duration) -> Result<(), CliError> {
    let failed = |e: String| CliError::Failed(format!("verify-cost: DPoP proof: {e}"));
    for (alg, name) in [(Algorithm::ES256, "ES256"), (Algorithm::EdDSA, "EdDSA")] {
        let (key, jwk) = client_key(alg).map_err(failed)?;
        let mut header = Header::new(alg);
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(serde_json::from_value(jwk).map_err(|e| failed(e.to_string()))?);
        let now = crate::clock::now();
        let ath = crate::tokens::access_token_hash(ACCESS);
        let claims = json!({"jti": "a-proof", "htm": "GET", "htu": URL, "iat": now, "ath": ath});
        let proof =
            jsonwebtoken::encode(&header, &claims, &key).map_err(|e| failed(e.to_string()))?;
        let check = ProofCheck {
            method: "GET",
            url: URL,
            now,
            window: 60,
            algorithms: &[alg],
            access_token: Some(ACCESS),
        };
        verify_proof(&proof, &check).map_err(|e| failed(e.into()))?;
        let (proofs, micros, cpu) = timed(budget, || {
            black_box(verify_proof(black_box(&proof), &check).ok());
        });
        println!(
            "dpop alg={name} proof_verify_us={micros:.2} proof_verify_cpu_us={cpu:.2} proofs={proofs} proof_bytes={}",
            proof.len()
        );
    }
    Ok(())
}
