//! Unit tests for the verified-token cache: a hit is still checked for expiry and revocation.
use super::*;
use crate::settings::{LoadOptions, Secret, Settings};
use crate::tokens::{SessionId, TokenId, TokenType};

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
    assert_eq!(auth.verify(&token, NOW), Ok(claims));
    assert_eq!(auth.verify(&token, NOW + 1), Ok(claims), "from the cache");
    assert_eq!(auth.verify(&token, claims.exp), Err(TokenError::Expired));
    revocations.revoke_session(SID, NOW + 600, NOW);
    assert_eq!(auth.verify(&token, NOW + 2), Err(TokenError::Blacklisted));
}

#[test]
fn refresh_tokens_are_never_remembered_as_access_tokens() {
    let (auth, keys, _) = verifier();
    let (token, _) = keys.mint(TokenType::Refresh, 7, SID, NOW, NOW).unwrap();
    assert_eq!(auth.verify(&token, NOW), Err(TokenError::WrongType));
    assert_eq!(auth.verify(&token, NOW), Err(TokenError::WrongType));
}
