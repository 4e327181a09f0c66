//! Minting with the rights claims chosen, extra claims, and the size bound.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::*;

const NOW: i64 = 1_800_000_000;

fn keys(rights_claims: RightsClaims) -> JwtKeys {
    JwtKeys::new(KeyConfig {
        ring: KeyRing::from_secret(
            Algorithm::HS256,
            b"unit-test-secret-that-is-long-enough-0123",
        ),
        access_lifetime: 300,
        refresh_lifetime: 86_400,
        session_lifetime: 86_400,
        leeway: 0,
        issuer: None,
        audience: None,
        user_id_claim: "user_id".to_owned(),
    })
    .with_rights_claims(rights_claims)
}

fn grant(extra: Value) -> Grant {
    let Value::Object(extra) = extra else {
        panic!("extra claims are an object")
    };
    Grant {
        user_id: 7,
        sid: SessionId::generate(),
        auth_time: NOW,
        jti: TokenId::generate(),
        rights: Rights::new(true, ["Manager".to_owned()]),
        extra,
        amr: None,
    }
}

fn payload(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[test]
fn by_default_access_tokens_carry_both_rights_claims_and_verify_with_them() {
    let keys = keys(RightsClaims::default());
    let (token, _) = keys
        .mint_grant(TokenType::Access, grant(json!({})), NOW)
        .unwrap();
    let body = payload(&token);
    assert_eq!(body["is_staff"], json!(true));
    assert_eq!(body["groups"], json!(["Manager"]));
    let rights = keys.verify_access(&token, NOW).unwrap().rights.unwrap();
    assert!(rights.is_staff && rights.in_group("manager"));
}

#[test]
fn a_token_without_one_rights_claim_verifies_with_its_rights_unknown() {
    for carried in [
        RightsClaims {
            is_staff: true,
            groups: false,
        },
        RightsClaims {
            is_staff: false,
            groups: false,
        },
    ] {
        let keys = keys(carried);
        let (token, _) = keys
            .mint_grant(TokenType::Access, grant(json!({})), NOW)
            .unwrap();
        let body = payload(&token);
        assert_eq!(body.get("is_staff").is_some(), carried.is_staff);
        assert!(body.get("groups").is_none());
        assert_eq!(keys.verify_access(&token, NOW).unwrap().rights, None);
    }
}

#[test]
fn extra_claims_go_into_access_tokens_only_and_never_under_a_reserved_name() {
    let keys = keys(RightsClaims::default());
    let extra =
        json!({"tenant": "lemon", "exp": 9_999_999_999_i64, "user_id": "1", "is_staff": false});
    let (token, claims) = keys
        .mint_grant(TokenType::Access, grant(extra.clone()), NOW)
        .unwrap();
    let body = payload(&token);
    assert_eq!(body["tenant"], json!("lemon"));
    assert_eq!(body["exp"], json!(claims.exp));
    assert_eq!(body["user_id"], json!("7"));
    assert_eq!(body["is_staff"], json!(true));
    let (refresh, _) = keys
        .mint_grant(TokenType::Refresh, grant(extra), NOW)
        .unwrap();
    assert!(payload(&refresh).get("tenant").is_none());
}

#[test]
fn a_token_longer_than_bouncer_verifies_is_never_minted() {
    let keys = keys(RightsClaims::default());
    let huge = json!({"blob": "x".repeat(MAX_TOKEN_BYTES)});
    let refused = keys.mint_grant(TokenType::Access, grant(huge), NOW);
    let Err(MintError::TooLarge { bytes, limit, .. }) = refused else {
        panic!("expected TooLarge, got {refused:?}");
    };
    assert!(bytes > limit && limit == MAX_TOKEN_BYTES);
    // Just under the bound is fine, and verifies.
    let mut fits = None;
    for size in (2_000..3_200).rev().step_by(50) {
        let extra = json!({"blob": "x".repeat(size)});
        if let Ok((token, _)) = keys.mint_grant(TokenType::Access, grant(extra), NOW) {
            fits = Some(token);
            break;
        }
    }
    let token = fits.expect("a token near the bound");
    assert!(token.len() <= MAX_TOKEN_BYTES);
    assert!(keys.verify_access(&token, NOW).is_ok());
}
