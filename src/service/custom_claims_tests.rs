//! The extra claims: chosen fields, the hook's claims, and reserved names kept out.

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::*;
use crate::tokens::{KeyConfig, KeyRing};

fn keys() -> JwtKeys {
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
        user_id_claim: "uid".to_owned(),
    })
}

fn alice() -> User {
    User {
        id: 42,
        username: "alice".into(),
        email: "alice@example.com".into(),
        password: "pbkdf2_sha256$...".into(),
        is_active: true,
        is_staff: false,
        is_superuser: true,
        date_joined: chrono::DateTime::UNIX_EPOCH.naive_utc(),
        last_login: None,
    }
}

#[test]
fn nothing_is_read_unless_a_field_or_a_hook_asks_for_it() {
    let rights_only = ExtraClaims::new(&[AccessClaim::IsStaff, AccessClaim::Groups], None);
    assert!(!rights_only.reads_user());
    assert!(ExtraClaims::new(&[AccessClaim::Email], None).reads_user());
    let hook: Arc<dyn ClaimsHook> = Arc::new(|_: &User| Map::new());
    assert!(ExtraClaims::new(&[], Some(hook)).reads_user());
}

#[test]
fn the_chosen_fields_are_written_under_djangos_names() {
    let all = ExtraClaims::new(&AccessClaim::ALL, None);
    let claims = all.of(&alice(), &keys());
    assert_eq!(
        Value::Object(claims),
        json!({"username": "alice", "email": "alice@example.com", "is_superuser": true})
    );
}

#[test]
fn the_hooks_claims_are_added_and_reserved_names_are_dropped() {
    let hook: Arc<dyn ClaimsHook> = Arc::new(|user: &User| {
        let mut claims = Map::new();
        claims.insert("tenant".into(), json!(format!("t-{}", user.id)));
        for reserved in [
            "exp",
            "is_staff",
            "groups",
            "uid",
            "token_type",
            "username",
            "cnf",
        ] {
            claims.insert(reserved.into(), json!(true));
        }
        claims
    });
    let extra = ExtraClaims::new(&[AccessClaim::Username], Some(hook));
    let claims = extra.of(&alice(), &keys());
    assert_eq!(
        Value::Object(claims),
        json!({"username": "alice", "tenant": "t-42"}),
        "the hook may not write the username either, even when it is chosen"
    );
}
