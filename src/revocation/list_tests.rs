//! Unit tests for the in-memory revocation list.
use super::*;

const JTI: TokenId = TokenId::from_u128(0x0123456789abcdef0123456789abcdef);
const SID: SessionId = TokenId::from_u128(0xfedcba9876543210fedcba9876543210);

#[test]
fn a_revoked_token_is_reported_until_it_expires() {
    let list = RevocationList::new(0);
    list.revoke_token(JTI, 100, 10);
    assert_eq!(list.check(JTI, SID), Some(Revoked::Token));
    assert_eq!(list.check(SID, JTI), None);
}

#[test]
fn a_revoked_session_covers_every_token_in_it() {
    let list = RevocationList::new(0);
    list.revoke_session(SID, 100, 10);
    assert_eq!(list.check(JTI, SID), Some(Revoked::Session));
    assert!(list.is_session_revoked(SID));
}

#[test]
fn expired_entries_drop_out_on_a_later_write() {
    let list = RevocationList::new(0);
    list.revoke_token(JTI, 100, 10);
    list.revoke_session(SID, 100, 11);
    assert_eq!(list.len(), (1, 1));
    let other = TokenId::from_u128(0x11111111111111111111111111111111);
    list.revoke_token(other, 500, 200);
    assert_eq!(list.len(), (1, 0));
    assert_eq!(list.check(JTI, SID), None);
}

#[test]
fn revoking_twice_keeps_the_later_expiry() {
    let list = RevocationList::new(0);
    list.revoke_session(SID, 300, 10);
    list.revoke_session(SID, 100, 10);
    list.revoke_token(JTI, 1000, 200);
    assert!(list.is_session_revoked(SID));
}

#[test]
fn announcements_apply_with_leeway() {
    let list = RevocationList::new(50);
    list.apply(
        RevocationNotice::Session {
            sid: SID,
            until: 100,
        },
        120,
    );
    assert!(list.is_session_revoked(SID));
}

#[test]
fn load_replaces_the_previous_contents() {
    let list = RevocationList::new(0);
    list.revoke_token(JTI, 100, 10);
    let mut fresh = list.empty_entries();
    fresh.insert(Revocation::Session, SID, 100);
    list.replace(fresh, 10);
    assert_eq!(list.check(JTI, TokenId::from_u128(0)), None);
    assert!(list.is_session_revoked(SID));
}
