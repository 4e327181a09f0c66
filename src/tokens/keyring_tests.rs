//! Unit tests for key ids, the key ring and the JWKS: each key verifies only tokens naming
//! its kid and its own algorithm; retired keys end; nothing private is ever published.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;

use super::*;
use crate::tokens::key_material::{KeyMaterial, generate_key};
use crate::tokens::keyring::{KeyRing, KeyState, RingKey, alg_name};

const NOW: i64 = 1_800_000_000;
const SECRET: &[u8] = b"unit-test-secret-that-is-long-enough-0123";

fn keys(ring: KeyRing) -> JwtKeys {
    JwtKeys::new(KeyConfig {
        ring,
        access_lifetime: 300,
        refresh_lifetime: 86_400,
        session_lifetime: 30 * 86_400,
        leeway: 0,
        issuer: None,
        audience: None,
        user_id_claim: "user_id".to_owned(),
    })
}

fn material(alg: Algorithm) -> KeyMaterial {
    KeyMaterial::from_stored(alg, &generate_key(alg).unwrap()).unwrap()
}

fn ring(keys: Vec<(KeyMaterial, KeyState, Option<i64>)>) -> KeyRing {
    let keys = keys
        .into_iter()
        .map(|(m, state, until)| RingKey::new(m, state, until))
        .collect();
    KeyRing::new(keys, false).unwrap()
}

fn header_of(token: &str) -> serde_json::Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

fn mint(keys: &JwtKeys) -> String {
    let sid = SessionId::generate();
    keys.mint(TokenType::Access, 7, sid, NOW, NOW).unwrap().0
}

/// Re-signs `token`'s payload under `header` with `key` and `alg`.
fn resign(token: &str, header: serde_json::Value, key: &EncodingKey, alg: Algorithm) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let message = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header.to_string()));
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), key, alg).unwrap();
    format!("{message}.{signature}")
}

#[test]
fn every_algorithm_mints_tokens_naming_its_kid_that_verify() {
    for alg in [
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::ES256,
        Algorithm::EdDSA,
    ] {
        let key = material(alg);
        let kid = key.kid().to_owned();
        let keys = keys(ring(vec![(key, KeyState::Active, None)]));
        let token = mint(&keys);
        let header = header_of(&token);
        assert_eq!(header["kid"], json!(kid), "{alg:?}");
        assert_eq!(header["alg"], json!(alg_name(alg)));
        assert!(keys.verify_access(&token, NOW).is_ok(), "{alg:?}");
    }
}

#[test]
fn the_default_hmac_key_has_a_kid_derived_from_but_revealing_nothing_of_the_secret() {
    let keys = keys(KeyRing::from_secret(Algorithm::HS256, SECRET));
    let kid = header_of(&mint(&keys))["kid"].as_str().unwrap().to_owned();
    assert_eq!(kid.len(), 16);
    assert_eq!(kid, KeyMaterial::hmac(Algorithm::HS256, SECRET).kid());
    assert!(!String::from_utf8_lossy(SECRET).contains(&kid));
}

#[test]
fn a_kidless_token_verifies_only_with_the_signing_secret_as_simplejwt_made_it() {
    let hs = keys(KeyRing::from_secret(Algorithm::HS256, SECRET));
    let token = mint(&hs);
    let kidless = resign(
        &token,
        json!({"alg": "HS256", "typ": "JWT"}),
        &EncodingKey::from_secret(SECRET),
        Algorithm::HS256,
    );
    assert!(hs.verify_access(&kidless, NOW).is_ok());
    let ed = material(Algorithm::EdDSA);
    let encoding = ed.encoding.clone().unwrap();
    let ed_keys = keys(ring(vec![(ed, KeyState::Active, None)]));
    let token = mint(&ed_keys);
    let kidless = resign(&token, json!({"alg": "EdDSA"}), &encoding, Algorithm::EdDSA);
    assert_eq!(
        ed_keys.verify_access(&kidless, NOW),
        Err(TokenError::Invalid)
    );
}

#[test]
fn an_unknown_kid_or_a_kid_with_another_algorithm_is_refused() {
    let ed = material(Algorithm::EdDSA);
    let (kid, encoding) = (ed.kid().to_owned(), ed.encoding.clone().unwrap());
    let public_x = ed.public.clone().unwrap()["x"].as_str().unwrap().to_owned();
    let keys = keys(ring(vec![(ed, KeyState::Active, None)]));
    let token = mint(&keys);
    let unknown = resign(
        &token,
        json!({"alg": "EdDSA", "kid": "0000000000000000"}),
        &encoding,
        Algorithm::EdDSA,
    );
    assert_eq!(keys.verify_access(&unknown, NOW), Err(TokenError::Invalid));
    // The classic confusion: HS256 "signed" with the published public key as the secret.
    let public = URL_SAFE_NO_PAD.decode(public_x).unwrap();
    let confused = resign(
        &token,
        json!({"alg": "HS256", "kid": kid}),
        &EncodingKey::from_secret(&public),
        Algorithm::HS256,
    );
    assert_eq!(keys.verify_access(&confused, NOW), Err(TokenError::Invalid));
    let relabelled = resign(
        &token,
        json!({"alg": "ES256", "kid": kid}),
        &encoding,
        Algorithm::EdDSA,
    );
    assert_eq!(
        keys.verify_access(&relabelled, NOW),
        Err(TokenError::Invalid)
    );
}

#[test]
fn a_retired_key_verifies_until_its_end_then_neither_verifies_nor_is_published() {
    let (old, new) = (material(Algorithm::ES256), material(Algorithm::EdDSA));
    let old_kid = old.kid().to_owned();
    let keys = keys(ring(vec![(old.clone(), KeyState::Active, None)]));
    let token = mint(&keys);
    let generation = keys.generation();
    keys.replace_ring(ring(vec![
        (old, KeyState::Retired, Some(NOW + 10)),
        (new, KeyState::Active, None),
    ]));
    assert_ne!(keys.generation(), generation, "caches can tell");
    let until = keys
        .verify_access_until(&token, NOW)
        .map(|(_, until)| until);
    assert_eq!(until, Ok(NOW + 10));
    assert_eq!(
        keys.verify_access(&token, NOW + 11),
        Err(TokenError::Invalid)
    );
    assert!(keys.ring().jwks(NOW).to_string().contains(&old_kid));
    assert!(!keys.ring().jwks(NOW + 11).to_string().contains(&old_kid));
    assert_ne!(header_of(&mint(&keys))["kid"], json!(old_kid));
}

#[test]
fn the_jwks_holds_public_parts_only_and_never_an_hmac_key() {
    let hmac = KeyMaterial::hmac(Algorithm::HS256, SECRET);
    let keys = ring(vec![
        (material(Algorithm::EdDSA), KeyState::Active, None),
        (material(Algorithm::ES256), KeyState::Next, None),
        (hmac, KeyState::Retired, None),
    ]);
    let jwks = keys.jwks(NOW);
    let listed = jwks["keys"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    for jwk in listed {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(jwk.get(private).is_none(), "{jwk}");
        }
        assert_eq!(jwk["use"], json!("sig"));
    }
}

#[test]
fn pem_files_that_are_not_usable_private_keys_say_why() {
    use rsa::pkcs8::EncodePrivateKey;
    let weak = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 1024).unwrap();
    let pem = weak.to_pkcs8_pem(Default::default()).unwrap();
    let err = KeyMaterial::from_pem(&pem).err().unwrap();
    assert!(err.contains("1024 bits is too weak"), "{err}");
    let public = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    assert!(
        KeyMaterial::from_pem(public)
            .err()
            .unwrap()
            .contains("public key")
    );
    assert!(
        KeyMaterial::from_pem("hello")
            .err()
            .unwrap()
            .contains("not a PEM")
    );
    let garbage = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
    assert!(
        KeyMaterial::from_pem(garbage)
            .err()
            .unwrap()
            .contains("malformed")
    );
}
