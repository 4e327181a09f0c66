//! Unit tests for minting and verification: each attack from docs/security.md that a single token
//! can carry is refused here, before any HTTP is involved.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;

use super::*;

const SECRET: &str = "unit-test-secret-that-is-long-enough-0123";
const NOW: i64 = 1_800_000_000;
const SID: &str = "0123456789abcdef0123456789abcdef";

/// Keys with the documented default policy (config/default.toml), changed by `adjust`.
fn keys_with(adjust: impl FnOnce(&mut KeyConfig)) -> JwtKeys {
    let mut config = KeyConfig {
        ring: KeyRing::from_secret(Algorithm::HS256, SECRET.as_bytes()),
        access_lifetime: 300,
        refresh_lifetime: 86_400,
        session_lifetime: 30 * 86_400,
        leeway: 0,
        issuer: None,
        audience: None,
        user_id_claim: "user_id".to_owned(),
    };
    adjust(&mut config);
    JwtKeys::new(config)
}

fn keys() -> JwtKeys {
    keys_with(|_| {})
}

fn sid() -> SessionId {
    TokenId::parse(SID).unwrap()
}

/// Signs arbitrary header and payload JSON with `secret` and `alg`.
fn forge(
    header: serde_json::Value,
    payload: serde_json::Value,
    alg: Algorithm,
    secret: &str,
) -> String {
    forge_raw(&header.to_string(), &payload.to_string(), alg, secret)
}

/// Signs header and payload text exactly as given (e.g. with a key repeated).
fn forge_raw(header: &str, payload: &str, alg: Algorithm, secret: &str) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let key = EncodingKey::from_secret(secret.as_bytes());
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, alg).expect("sign");
    format!("{message}.{signature}")
}

fn payload() -> serde_json::Value {
    json!({
        "token_type": "access", "exp": NOW + 300, "iat": NOW, "auth_time": NOW,
        "jti": "fedcba9876543210fedcba9876543210", "sid": SID, "user_id": "42",
    })
}

fn hs256() -> serde_json::Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

#[test]
fn a_minted_access_token_verifies_with_its_claims() {
    let keys = keys();
    let (token, minted) = keys.mint(TokenType::Access, 42, sid(), NOW, NOW).unwrap();
    let claims = keys.verify_access(&token, NOW + 1).unwrap();
    assert_eq!(claims, minted);
    assert_eq!(claims.exp - claims.iat, 300);
    assert!(TokenId::parse(&claims.jti.to_string()).is_some());
    assert_eq!(claims.sid, SID);
}

#[test]
fn the_user_id_travels_as_a_string_under_the_configured_claim() {
    let keys = keys_with(|c| c.user_id_claim = "uid".to_owned());
    let (token, _) = keys.mint(TokenType::Access, 7, sid(), NOW, NOW).unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let decoded: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(decoded["uid"], json!("7"));
    assert!(decoded.get("user_id").is_none());
    assert_eq!(keys.verify_access(&token, NOW).unwrap().user_id, 7);
}

#[test]
fn each_token_type_is_refused_where_the_other_is_expected() {
    let keys = keys();
    let (refresh, _) = keys.mint(TokenType::Refresh, 1, sid(), NOW, NOW).unwrap();
    let (access, _) = keys.mint(TokenType::Access, 1, sid(), NOW, NOW).unwrap();
    assert_eq!(
        keys.verify_access(&refresh, NOW),
        Err(TokenError::WrongType)
    );
    assert_eq!(
        keys.verify_refresh(&access, NOW),
        Err(TokenError::WrongType)
    );
}

#[test]
fn an_expired_token_is_reported_as_expired_and_leeway_is_honoured() {
    let (token, _) = keys().mint(TokenType::Access, 1, sid(), NOW, NOW).unwrap();
    assert_eq!(
        keys().verify_access(&token, NOW + 301),
        Err(TokenError::Expired)
    );
    let lenient = keys_with(|c| c.leeway = 30);
    let (token, _) = lenient.mint(TokenType::Access, 1, sid(), NOW, NOW).unwrap();
    assert!(lenient.verify_access(&token, NOW + 320).is_ok());
}

#[test]
fn a_refresh_token_never_outlives_the_session() {
    let keys = keys_with(|c| (c.refresh_lifetime, c.session_lifetime) = (86_400, 2 * 86_400));
    let login = NOW - 86_400 - 3_600;
    let (_, claims) = keys.mint(TokenType::Refresh, 1, sid(), login, NOW).unwrap();
    assert_eq!(claims.exp, login + 2 * 86_400);
}

#[test]
fn alg_none_and_other_algorithms_are_refused() {
    let keys = keys();
    let segment = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let none = format!(
        "{}.{}.",
        segment(json!({"alg": "none", "typ": "JWT"})),
        segment(payload())
    );
    assert_eq!(keys.verify_access(&none, NOW), Err(TokenError::Invalid));
    let hs512 = forge(
        json!({"alg": "HS512", "typ": "JWT"}),
        payload(),
        Algorithm::HS512,
        SECRET,
    );
    assert_eq!(keys.verify_access(&hs512, NOW), Err(TokenError::Invalid));
    let other_key = forge(
        hs256(),
        payload(),
        Algorithm::HS256,
        "another-secret-another-secret-another!",
    );
    assert_eq!(
        keys.verify_access(&other_key, NOW),
        Err(TokenError::Invalid)
    );
    let genuine = forge(hs256(), payload(), Algorithm::HS256, SECRET);
    assert!(
        keys.verify_access(&genuine, NOW).is_ok(),
        "the forging helper itself works"
    );
}

/// With key ids, a `kid` bouncer did not issue names no key of the ring and is refused (the
/// kid-less form is simplejwt's and is tested as such in `keyring_tests.rs`).
#[test]
fn headers_pointing_at_other_keys_are_refused() {
    let keys = keys();
    for header in [
        json!({"alg": "HS256", "typ": "JWT", "kid": "../../etc/passwd"}),
        json!({"alg": "HS256", "typ": "JWT", "jku": "https://evil.example/keys"}),
        json!({"alg": "HS256", "typ": "JWT", "x5u": "https://evil.example/cert"}),
    ] {
        let token = forge(header.clone(), payload(), Algorithm::HS256, SECRET);
        assert_eq!(
            keys.verify_access(&token, NOW),
            Err(TokenError::Invalid),
            "{header}"
        );
    }
}

#[test]
fn claims_of_the_wrong_type_or_shape_are_refused() {
    let keys = keys();
    let cases = [
        ("user_id", json!(42)),
        ("user_id", json!(42.0)),
        ("user_id", json!(true)),
        ("user_id", json!("1 OR 1=1")),
        ("user_id", json!("042")),
        ("user_id", json!("-1")),
        ("exp", json!((NOW + 300).to_string())),
        ("iat", json!(NOW + 3_600)),
        ("jti", json!("not-hex")),
        ("sid", json!("")),
        ("token_type", json!("admin")),
    ];
    for (claim, value) in cases {
        let mut body = payload();
        body[claim] = value.clone();
        let token = forge(hs256(), body, Algorithm::HS256, SECRET);
        assert_eq!(
            keys.verify_access(&token, NOW),
            Err(TokenError::Invalid),
            "{claim} = {value}"
        );
    }
    for claim in ["exp", "iat", "jti", "sid", "user_id", "token_type"] {
        let mut body = payload();
        body.as_object_mut().unwrap().remove(claim);
        let token = forge(hs256(), body, Algorithm::HS256, SECRET);
        assert!(keys.verify_access(&token, NOW).is_err(), "missing {claim}");
    }
}

#[test]
fn a_future_nbf_is_refused() {
    let mut body = payload();
    body["nbf"] = json!(NOW + 60);
    let token = forge(hs256(), body, Algorithm::HS256, SECRET);
    assert_eq!(keys().verify_access(&token, NOW), Err(TokenError::Invalid));
}

#[test]
fn issuer_and_audience_are_required_once_configured() {
    let keys = keys_with(|c| {
        c.issuer = Some("https://auth.example".to_owned());
        c.audience = Some("api".to_owned());
    });
    let (token, _) = keys.mint(TokenType::Access, 1, sid(), NOW, NOW).unwrap();
    assert!(keys.verify_access(&token, NOW).is_ok());
    let bare = forge(hs256(), payload(), Algorithm::HS256, SECRET);
    assert_eq!(keys.verify_access(&bare, NOW), Err(TokenError::Invalid));
    let mut wrong = payload();
    wrong["iss"] = json!("https://auth.example");
    wrong["aud"] = json!("someone-else");
    let wrong = forge(hs256(), wrong, Algorithm::HS256, SECRET);
    assert_eq!(keys.verify_access(&wrong, NOW), Err(TokenError::Invalid));
}

#[test]
fn garbage_is_invalid_not_a_panic() {
    let keys = keys();
    for garbage in ["", ".", "..", "a.b.c", "eyJ.eyJ.sig", &"A".repeat(10_000)] {
        assert_eq!(
            keys.verify_access(garbage, NOW),
            Err(TokenError::Invalid),
            "{garbage:.20}"
        );
    }
}

#[test]
fn a_claim_or_header_field_given_twice_is_refused() {
    let keys = keys();
    let twice = format!(
        r#"{{"token_type":"access","exp":{},"iat":{NOW},"auth_time":{NOW},"jti":"fedcba9876543210fedcba9876543210","sid":"{SID}","user_id":"42","user_id":"1"}}"#,
        NOW + 300
    );
    let token = forge_raw(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &twice,
        Algorithm::HS256,
        SECRET,
    );
    assert_eq!(keys.verify_access(&token, NOW), Err(TokenError::Invalid));
    let header_twice = r#"{"alg":"HS256","alg":"HS256"}"#;
    let token = forge_raw(
        header_twice,
        &payload().to_string(),
        Algorithm::HS256,
        SECRET,
    );
    assert_eq!(keys.verify_access(&token, NOW), Err(TokenError::Invalid));
}

#[test]
fn only_the_jwt_media_type_and_unknown_claims_are_tolerated() {
    let keys = keys();
    let mut body = payload();
    body["custom"] = json!({"role": "admin"});
    let token = forge(json!({"alg": "HS256"}), body, Algorithm::HS256, SECRET);
    assert!(
        keys.verify_access(&token, NOW).is_ok(),
        "typ is optional, extra claims are skipped"
    );
    let token = forge(
        json!({"alg": "HS256", "typ": "JWE"}),
        payload(),
        Algorithm::HS256,
        SECRET,
    );
    assert_eq!(keys.verify_access(&token, NOW), Err(TokenError::Invalid));
}

#[test]
fn an_oversized_token_is_refused_before_decoding() {
    let mut body = payload();
    body["padding"] = json!("x".repeat(5_000));
    let token = forge(hs256(), body, Algorithm::HS256, SECRET);
    assert_eq!(keys().verify_access(&token, NOW), Err(TokenError::Invalid));
}

#[test]
fn amr_travels_in_both_kinds_of_token_and_only_as_bouncer_writes_it() {
    let keys = keys();
    for kind in [TokenType::Access, TokenType::Refresh] {
        let grant = Grant {
            user_id: 42,
            sid: sid(),
            auth_time: NOW,
            jti: TokenId::generate(),
            rights: Rights::default(),
            extra: serde_json::Map::new(),
            amr: Some(Amr::PasswordOtp),
        };
        let (token, minted) = keys.mint_grant(kind, grant, NOW).unwrap();
        assert_eq!(minted.amr, Some(Amr::PasswordOtp));
        let payload = token.split('.').nth(1).unwrap();
        let decoded: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(decoded["amr"], json!(["pwd", "otp"]));
        assert_eq!(
            keys.verify_any(&token, NOW).unwrap().amr,
            Some(Amr::PasswordOtp)
        );
    }
    // Absent: a token of an older version.
    let plain = forge(hs256(), payload(), Algorithm::HS256, SECRET);
    assert_eq!(keys.verify_access(&plain, NOW).unwrap().amr, None);
    let mut with = payload();
    with["amr"] = json!(["pwd", "mfa"]);
    let token = forge(hs256(), with, Algorithm::HS256, SECRET);
    assert_eq!(
        keys.verify_access(&token, NOW).unwrap().amr,
        Some(Amr::PasswordRecovery)
    );
    // Values bouncer never writes, another order, another type, or the claim twice.
    for bad in [
        json!(["pwd", "hwk"]),
        json!(["otp", "pwd"]),
        json!([]),
        json!("pwd"),
        json!(["pwd", 1]),
        json!(null),
    ] {
        let mut forged = payload();
        forged["amr"] = bad.clone();
        let token = forge(hs256(), forged, Algorithm::HS256, SECRET);
        assert_eq!(
            keys.verify_access(&token, NOW),
            Err(TokenError::Invalid),
            "{bad}"
        );
    }
    let twice = forge_raw(
        &hs256().to_string(),
        &format!(
            "{{\"token_type\":\"access\",\"exp\":{},\"iat\":{NOW},\"auth_time\":{NOW},\
             \"jti\":\"fedcba9876543210fedcba9876543210\",\"sid\":\"{SID}\",\"user_id\":\"42\",\
             \"amr\":[\"pwd\"],\"amr\":[\"pwd\"]}}",
            NOW + 300
        ),
        Algorithm::HS256,
        SECRET,
    );
    assert_eq!(keys.verify_access(&twice, NOW), Err(TokenError::Invalid));
}

#[test]
fn amr_values_parse_back_to_their_variant() {
    for amr in [Amr::Password, Amr::PasswordOtp, Amr::PasswordRecovery] {
        assert_eq!(Amr::parse(amr.values()), Some(amr));
    }
    assert!(!Amr::Password.is_multi_factor());
    assert!(Amr::PasswordOtp.is_multi_factor() && Amr::PasswordRecovery.is_multi_factor());
    assert_eq!(Amr::parse(&["pwd", "otp", "mfa"]), None);
}
