//! DPoP proofs (RFC 9449): a JWT the client signs with its own key for each request, which
//! binds tokens to that key so a stolen token is useless without it.
//!
//! What a proof must be to pass ([`verify_proof`], RFC 9449 §4.3):
//! - header `typ: dpop+jwt`, an `alg` from the configured allow-list (asymmetric only: never
//!   `none` or HMAC, which would let anyone holding the token forge proofs), and a `jwk` that
//!   is a public key of that algorithm (`dpop_jwk.rs`); no other key-locating member;
//! - a valid signature by that key;
//! - claims `jti` (bounded), `htm` equal to the request's method, `htu` equal to its URL
//!   without query and fragment, `iat` within the window of now; `ath`, the hash of the
//!   access token, on resource requests; `nonce` when the server asks for one.
//!
//! Replay (the `jti` seen before) and nonces are the service's (`src/dpop/`): they need
//! shared state.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

pub use super::dpop_jwk::Thumbprint;
use super::dpop_jwk::proof_key;

/// Far above a proof with a 4096-bit RSA key (~2.5 KB); refuses absurd input before decoding.
pub const MAX_PROOF_BYTES: usize = 8192;
/// A `jti` longer than this is refused: it is stored until the proof expires.
pub const MAX_JTI_BYTES: usize = 128;
/// A proof's algorithm (one of `settings::DPOP_ALGORITHMS`, which lists the same names);
/// `None` for any other, HMAC and `none` included.
pub fn proof_algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        _ => return None,
    })
}

/// What the request the proof came with must match.
pub struct ProofCheck<'a> {
    /// The request's method, upper-case (`POST`).
    pub method: &'a str,
    /// The request's URL as the client addressed it, without query or fragment.
    pub url: &'a str,
    pub now: i64,
    /// Seconds `iat` may differ from `now`, either way.
    pub window: i64,
    /// The algorithms accepted (`dpop.algorithms`).
    pub algorithms: &'a [Algorithm],
    /// On a resource request: the access token the proof must name in `ath`.
    pub access_token: Option<&'a str>,
}

/// A proof that passed every check but replay and nonce.
#[derive(Debug, Clone)]
pub struct VerifiedProof {
    /// The key that signed it: the one tokens are bound to.
    pub jkt: Thumbprint,
    pub jti: String,
    pub iat: i64,
    pub nonce: Option<String>,
}

/// The proof's JOSE header. Other members are refused: a `kid`, `jku` or `x5c` would point
/// at a key other than the one in `jwk`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProofHeader {
    typ: String,
    alg: String,
    jwk: Map<String, Value>,
}

/// The claims a proof must or may carry; others are ignored (RFC 9449 §4.2 allows them).
#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    iat: i64,
    #[serde(default)]
    ath: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

/// `ath`: base64url of the SHA-256 of the access token's ASCII text (RFC 9449 §4.2).
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Checks one proof against the request; the error says which check failed, in words fit
/// for the client (`error_description`).
pub fn verify_proof(proof: &str, check: &ProofCheck<'_>) -> Result<VerifiedProof, &'static str> {
    if proof.len() > MAX_PROOF_BYTES {
        return Err("the DPoP proof is too long");
    }
    let malformed = "the DPoP proof is not a signed JWT";
    let (message, signature) = proof.rsplit_once('.').ok_or(malformed)?;
    let (header, payload) = message.split_once('.').ok_or(malformed)?;
    let header = URL_SAFE_NO_PAD.decode(header).map_err(|_| malformed)?;
    let header: ProofHeader =
        serde_json::from_slice(&header).map_err(|_| "the DPoP proof's header is not valid")?;
    if header.typ != "dpop+jwt" {
        return Err("the DPoP proof's typ must be dpop+jwt");
    }
    let algorithm = proof_algorithm(&header.alg)
        .filter(|a| check.algorithms.contains(a))
        .ok_or("the DPoP proof's alg is not supported")?;
    let key = proof_key(&header.jwk, algorithm)?;
    let signed =
        jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key.decoding, algorithm)
            .unwrap_or(false);
    if !signed {
        return Err("the DPoP proof's signature does not verify");
    }
    let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| malformed)?;
    let claims: ProofClaims =
        serde_json::from_slice(&payload).map_err(|_| "the DPoP proof's claims are not valid")?;
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_BYTES {
        return Err("the DPoP proof's jti is missing or too long");
    }
    if claims.htm != check.method {
        return Err("the DPoP proof's htm does not match the request method");
    }
    if normalize_url(&claims.htu).as_deref() != normalize_url(check.url).as_deref() {
        return Err("the DPoP proof's htu does not match the request URL");
    }
    if claims.iat.abs_diff(check.now) > check.window.unsigned_abs() {
        return Err("the DPoP proof's iat is outside the accepted window");
    }
    match (check.access_token, &claims.ath) {
        (Some(token), Some(ath)) if *ath == access_token_hash(token) => {}
        (Some(_), _) => return Err("the DPoP proof's ath does not match the access token"),
        (None, _) => {}
    }
    Ok(VerifiedProof {
        jkt: key.thumbprint,
        jti: claims.jti,
        iat: claims.iat,
        nonce: claims.nonce,
    })
}

/// A URL compared as RFC 9449 §4.3 asks: without query and fragment, scheme and host
/// lower-cased, the scheme's default port dropped (RFC 3986 §6.2.2, §6.2.3). `None` for
/// anything not `http(s)://host/path`.
pub fn normalize_url(url: &str) -> Option<String> {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let authority = authority.strip_suffix(default_port).unwrap_or(&authority);
    Some(format!("{scheme}://{authority}{path}"))
}

#[cfg(test)]
#[path = "dpop_tests.rs"]
mod tests;
