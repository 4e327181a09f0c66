//! Reading and forging JWTs by hand, independent of the service's own JWT code, so the tests
//! check the wire format rather than agree with the implementation.

use serde_json::Value;
use sha2::{Digest, Sha256, Sha512};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding (RFC 7515 §2).
pub fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

pub fn b64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("not base64url: {text}")) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn part(token: &str, index: usize) -> Value {
    let segment = token
        .split('.')
        .nth(index)
        .unwrap_or_else(|| panic!("not a JWT: {token}"));
    serde_json::from_slice(&b64_decode(segment)).expect("segment is JSON")
}

pub fn header(token: &str) -> Value {
    part(token, 0)
}

pub fn claims(token: &str) -> Value {
    part(token, 1)
}

fn hmac<D: Digest>(block: usize, key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut key = if key.len() > block {
        D::digest(key).to_vec()
    } else {
        key.to_vec()
    };
    key.resize(block, 0);
    let ipad: Vec<u8> = key.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = key.iter().map(|b| b ^ 0x5c).collect();
    let inner = D::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    D::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// The base64url HMAC of a signing input (`header.payload`) for an `HS256`/`HS512` algorithm.
fn signature(alg: &str, secret: &str, message: &str) -> String {
    // Case-insensitive, so a test can write `"alg": "hs256"` in a header and still sign it.
    let mac = match alg.to_ascii_uppercase().as_str() {
        "HS256" => hmac::<Sha256>(64, secret.as_bytes(), message.as_bytes()),
        "HS512" => hmac::<Sha512>(128, secret.as_bytes(), message.as_bytes()),
        other => panic!("cannot sign with {other:?}"),
    };
    b64_encode(&mac)
}

/// Signs `claims` under `header` with an HMAC key; the algorithm is taken from `header.alg`
/// (HS256 or HS512), so the test decides exactly what the header says.
pub fn sign(header: &Value, claims: &Value, secret: &str) -> String {
    let message = format!(
        "{}.{}",
        b64_encode(header.to_string().as_bytes()),
        b64_encode(claims.to_string().as_bytes())
    );
    let alg = header["alg"].as_str().unwrap_or_default();
    format!("{message}.{}", signature(alg, secret, &message))
}

/// Whether `token` carries a valid HS256 signature under `secret`, computed independently.
pub fn hs256_signature_is_valid(token: &str, secret: &str) -> bool {
    let Some((message, sig)) = token.rsplit_once('.') else {
        return false;
    };
    signature("HS256", secret, message) == sig
}

/// `{"alg": "none"}` and an empty signature.
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        b64_encode(br#"{"alg":"none","typ":"JWT"}"#),
        b64_encode(claims.to_string().as_bytes())
    )
}

/// The signature segment of `original` on a new payload: a tampered token.
pub fn with_payload(original: &str, claims: &Value) -> String {
    let parts: Vec<&str> = original.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        b64_encode(claims.to_string().as_bytes()),
        parts[2]
    )
}

#[test]
fn base64url_round_trips_and_hmac_matches_rfc_4231() {
    for input in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
        assert_eq!(b64_decode(&b64_encode(input)), input);
    }
    assert_eq!(b64_encode(b"foobar"), "Zm9vYmFy");
    assert_eq!(b64_encode(&[0xfb, 0xff]), "-_8");
    // RFC 4231 test case 2.
    let mac = hmac::<Sha256>(64, b"Jefe", b"what do ya want for nothing?");
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}
