//! Unit tests for the verified-token cache: a hit is still checked for expiry and revocation.
use super::*;
use crate::db::UserRevocation;
use crate::settings::{LoadOptions, Secret, Settings};
use crate::tokens::{SessionId, TokenId, TokenType};

/// The outcome as comparable values: the claims' jti, or the token error.
fn outcome(result: Result<Claims, ApiError>) -> Result<TokenId, String> {
    result.map(|c| c.jti).map_err(|e| match e {
        ApiError::InvalidToken { reason, .. } => reason.message().to_owned(),
        other => other.to_string(),
    })
}

const NOW: i64 = 1_800_000_000;
const SID: SessionId = TokenId::from_u128(0x0123456789abcdef0123456789abcdef);

fn verifier() -> (JwtVerifier, Arc<JwtKeys>, Arc<RevocationList>) {
    let settings = Settings::load(&LoadOptions::default()).unwrap();
    let keys = Arc::new(crate::keys::jwt_keys(
        &settings,
        &Secret::new("s".repeat(40)),
    ));
    let revocations = Arc::new(RevocationList::new(keys.leeway()));
    let verifier = JwtVerifier::new(keys.clone(), revocations.clone());
    (verifier, keys, revocations)
}

#[test]
fn a_remembered_token_still_expires_and_can_still_be_revoked() {
    let (auth, keys, revocations) = verifier();
    let (token, claims) = keys.mint(TokenType::Access, 7, SID, NOW, NOW).unwrap();
    assert_eq!(outcome(auth.verify(&token, NOW)), Ok(claims.jti));
    assert_eq!(
        outcome(auth.verify(&token, NOW + 1)),
        Ok(claims.jti),
        "from the cache"
    );
    let expired = Err(TokenError::Expired.message().to_owned());
    assert_eq!(outcome(auth.verify(&token, claims.exp)), expired);
    revocations.revoke_session(SID, NOW + 600, NOW);
    let blacklisted = Err(TokenError::Blacklisted.message().to_owned());
    assert_eq!(outcome(auth.verify(&token, NOW + 2)), blacklisted);
}

#[test]
fn refresh_tokens_are_never_remembered_as_access_tokens() {
    let (auth, keys, _) = verifier();
    let (token, _) = keys.mint(TokenType::Refresh, 7, SID, NOW, NOW).unwrap();
    let wrong_type = Err(TokenError::WrongType.message().to_owned());
    assert_eq!(outcome(auth.verify(&token, NOW)), wrong_type);
    assert_eq!(outcome(auth.verify(&token, NOW)), wrong_type);
}

#[test]
fn a_user_change_voids_the_tokens_issued_before_it_and_only_those() {
    let (auth, keys, revocations) = verifier();
    let (old, claims) = keys.mint(TokenType::Access, 7, SID, NOW, NOW).unwrap();
    let (other_user, _) = keys.mint(TokenType::Access, 8, SID, NOW, NOW).unwrap();
    assert!(auth.verify(&old, NOW).is_ok());
    let change = |reason| UserRevocation {
        user_id: 7,
        not_before_ms: claims.issued_at_ms(),
        reason,
        until: NOW + 600,
    };
    revocations.revoke_user(change(UserChange::Deactivated), NOW);
    assert!(matches!(
        auth.verify(&old, NOW),
        Err(ApiError::UserInactive)
    ));
    revocations.revoke_user(change(UserChange::Deleted), NOW);
    assert!(matches!(
        auth.verify(&old, NOW),
        Err(ApiError::UserNotFound)
    ));
    revocations.revoke_user(change(UserChange::RightsChanged), NOW);
    let blacklisted = Err(TokenError::Blacklisted.message().to_owned());
    assert_eq!(outcome(auth.verify(&old, NOW)), blacklisted);
    assert!(
        auth.verify(&other_user, NOW).is_ok(),
        "another user's token"
    );
    std::thread::sleep(std::time::Duration::from_millis(2));
    let (new, _) = keys.mint(TokenType::Access, 7, SID, NOW, NOW).unwrap();
    assert!(auth.verify(&new, NOW).is_ok(), "minted after the change");
}

#[test]
fn a_token_issued_before_a_grant_answers_with_the_rights_its_user_has_now() {
    let (auth, keys, revocations) = verifier();
    let (old, claims) = keys.mint(TokenType::Access, 7, SID, NOW, NOW).unwrap();
    assert!(
        !auth
            .verify(&old, NOW)
            .unwrap()
            .rights
            .unwrap()
            .in_group("Manager")
    );
    let manager = crate::tokens::Rights::new(false, ["Manager".to_owned()]);
    revocations.change_rights(
        crate::db::RightsChange {
            user_id: 7,
            changed_at_ms: claims.issued_at_ms(),
            rights: manager.clone(),
            until: NOW + 600,
        },
        NOW,
    );
    let verified = auth.verify(&old, NOW).unwrap();
    assert_eq!(
        verified.rights,
        Some(manager),
        "from the cache, with current rights"
    );
    assert_eq!(verified.jti, claims.jti);
    revocations.revoke_user(
        UserRevocation {
            user_id: 7,
            not_before_ms: claims.issued_at_ms(),
            reason: UserChange::Deactivated,
            until: NOW + 600,
        },
        NOW,
    );
    assert!(matches!(
        auth.verify(&old, NOW),
        Err(ApiError::UserInactive)
    ));
}
