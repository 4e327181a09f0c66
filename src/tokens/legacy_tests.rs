//! Unit tests for Django's tokens: what simplejwt mints verifies, nothing else does.

use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

use super::*;

const KEY: &[u8] = b"django-insecure-test-key";
const NOW: i64 = 1_800_000_000;
const JTI: &str = "0123456789abcdef0123456789abcdef";

fn keys() -> LegacyKeys {
    LegacyKeys::new(LegacyConfig {
        algorithm: Algorithm::HS256,
        key: KEY.to_vec(),
        user_id_claim: "user_id".into(),
        token_type_claim: "token_type".into(),
        jti_claim: "jti".into(),
        issuer: None,
        audience: None,
        max_lifetime: 86_400,
        accept_until: None,
        leeway: 0,
    })
}

fn payload(token_type: &str) -> Value {
    json!({"token_type": token_type, "exp": NOW + 300, "iat": NOW - 10, "jti": JTI, "user_id": 42})
}

fn sign(header: Header, payload: &Value, key: &[u8]) -> String {
    encode(&header, payload, &EncodingKey::from_secret(key)).unwrap()
}

fn simplejwt(payload: &Value) -> String {
    sign(Header::new(Algorithm::HS256), payload, KEY)
}

fn refused(token: &str) -> LegacyRefusal {
    keys().verify(token, TokenType::Access, NOW).unwrap_err()
}

#[test]
fn a_simplejwt_access_token_verifies_with_an_integer_or_string_user_id() {
    let claims = keys()
        .verify(&simplejwt(&payload("access")), TokenType::Access, NOW)
        .unwrap();
    assert_eq!(claims.user_id, 42);
    assert_eq!(claims.jti, JTI);
    assert_eq!(claims.issued_at_ms(), (NOW - 10) * 1000);
    let mut text_id = payload("refresh");
    text_id["user_id"] = json!("42");
    let claims = keys()
        .verify(&simplejwt(&text_id), TokenType::Refresh, NOW)
        .unwrap();
    assert_eq!(claims.to_claims().sid, claims.jti);
}

#[test]
fn a_token_with_a_kid_is_never_taken_for_a_django_token() {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("nothing".into());
    let token = sign(header, &payload("access"), KEY);
    assert_eq!(refused(&token), LegacyRefusal::NotLegacy);
}

#[test]
fn the_algorithm_is_pinned_and_the_key_must_match() {
    let invalid = LegacyRefusal::Refused(TokenError::Invalid);
    let other_size = sign(Header::new(Algorithm::HS512), &payload("access"), KEY);
    assert_eq!(refused(&other_size), invalid);
    let other_key = sign(
        Header::new(Algorithm::HS256),
        &payload("access"),
        b"another key",
    );
    assert_eq!(refused(&other_key), invalid);
    let body = URL_SAFE_NO_PAD.encode(payload("access").to_string());
    let none = format!(
        "{}.{body}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#)
    );
    assert_eq!(refused(&none), invalid);
}

#[test]
fn every_claim_is_required_and_typed() {
    let cases = [
        ("exp", json!("1900000000")),
        ("iat", json!(null)),
        ("jti", json!("not-a-uuid")),
        ("user_id", json!(4.2)),
        ("user_id", json!(true)),
        ("user_id", json!("042")),
        ("user_id", json!(-3)),
        ("token_type", json!(7)),
    ];
    for (claim, value) in cases {
        let mut p = payload("access");
        p[claim] = value;
        assert_eq!(
            refused(&simplejwt(&p)),
            LegacyRefusal::Refused(TokenError::Invalid),
            "{claim}"
        );
    }
}

#[test]
fn expiry_type_lifetime_and_the_end_date_are_enforced() {
    let mut expired = payload("access");
    expired["exp"] = json!(NOW);
    assert_eq!(
        refused(&simplejwt(&expired)),
        LegacyRefusal::Refused(TokenError::Expired)
    );
    assert_eq!(
        refused(&simplejwt(&payload("refresh"))),
        LegacyRefusal::Refused(TokenError::WrongType)
    );
    assert_eq!(
        refused(&simplejwt(&payload("sliding"))),
        LegacyRefusal::Refused(TokenError::WrongType)
    );
    let mut long = payload("access");
    long["exp"] = json!(NOW - 10 + 86_401);
    assert_eq!(
        refused(&simplejwt(&long)),
        LegacyRefusal::Refused(TokenError::Invalid)
    );
    let ended = LegacyKeys::new(LegacyConfig {
        accept_until: Some(NOW - 1),
        ..keys().config
    });
    let token = simplejwt(&payload("access"));
    assert!(ended.verify(&token, TokenType::Access, NOW).is_err());
}

#[test]
fn a_configured_audience_is_required() {
    let keys = LegacyKeys::new(LegacyConfig {
        audience: Some("api".into()),
        ..keys().config
    });
    let token = simplejwt(&payload("access"));
    assert!(keys.verify(&token, TokenType::Access, NOW).is_err());
    let mut p = payload("access");
    p["aud"] = json!(["other", "api"]);
    assert!(keys.verify(&simplejwt(&p), TokenType::Access, NOW).is_ok());
}

#[test]
fn a_users_django_session_is_stable_and_no_generated_id() {
    let sid = LegacyKeys::user_session(42);
    assert_eq!(sid, LegacyKeys::user_session(42));
    assert_ne!(sid, LegacyKeys::user_session(43));
    assert_eq!(sid.millis(), None, "not a uuid7");
    assert_eq!(&sid.to_string()[12..13], "8");
}

#[test]
fn voids_last_past_every_token_issued_before_them_or_to_the_end_date() {
    assert_eq!(keys().void_until(NOW), NOW + 86_400);
    let ending = LegacyKeys::new(LegacyConfig {
        accept_until: Some(NOW + 60),
        ..keys().config
    });
    assert_eq!(ending.void_until(NOW), NOW + 60);
}
