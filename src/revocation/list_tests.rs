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

fn rights(is_staff: bool, groups: &[&str]) -> Rights {
    Rights::new(is_staff, groups.iter().map(|g| (*g).to_owned()))
}

fn change(user_id: i64, changed_at_ms: i64, granted: Rights) -> RightsChange {
    RightsChange {
        user_id,
        changed_at_ms,
        rights: granted,
        until: 100,
    }
}

fn void(user_id: i64, not_before_ms: i64, reason: UserChange) -> UserRevocation {
    UserRevocation {
        user_id,
        not_before_ms,
        reason,
        until: 100,
    }
}

#[test]
fn a_grant_gives_current_rights_to_credentials_issued_up_to_it_and_only_those() {
    let list = RevocationList::new(0);
    assert_eq!(list.check_access(JTI, SID, 7, 1_000), Ok(None));
    let manager = rights(false, &["Manager"]);
    list.change_rights(change(7, 2_000, manager.clone()), 10);
    assert_eq!(
        list.check_access(JTI, SID, 7, 1_000),
        Ok(Some(manager.clone()))
    );
    assert_eq!(
        list.check_access(JTI, SID, 7, 2_000),
        Ok(Some(manager.clone())),
        "issued in the change's millisecond"
    );
    assert_eq!(
        list.check_access(JTI, SID, 7, 2_001),
        Ok(None),
        "issued after"
    );
    assert_eq!(
        list.check_access(JTI, SID, 8, 1_000),
        Ok(None),
        "another user"
    );
    assert_eq!(list.user_standing(7, 1_000), Ok(Some(manager)));
    // The existing check knows only of voids.
    assert_eq!(list.check_credential(JTI, SID, 7, 1_000), None);
    assert_eq!(list.users_len(), (0, 1));
}

#[test]
fn a_void_is_never_lifted_by_a_rights_change_before_or_after_it() {
    let list = RevocationList::new(0);
    let staff = rights(true, &[]);
    // A grant, then a removal (which records the rights and voids up to the same time).
    list.change_rights(change(7, 2_000, staff.clone()), 10);
    list.revoke_user(void(7, 3_000, UserChange::RightsChanged), 10);
    list.change_rights(change(7, 3_000, rights(false, &[])), 10);
    let refused = Err(Revoked::User(UserChange::RightsChanged));
    assert_eq!(list.check_access(JTI, SID, 7, 1_000), refused);
    assert_eq!(list.check_access(JTI, SID, 7, 3_000), refused);
    assert_eq!(list.check_access(JTI, SID, 7, 3_001), Ok(None));
    // A deactivation, then a grant: old credentials stay refused.
    list.revoke_user(void(8, 2_000, UserChange::Deactivated), 10);
    list.change_rights(change(8, 4_000, staff), 10);
    let inactive = Err(Revoked::User(UserChange::Deactivated));
    assert_eq!(list.check_access(JTI, SID, 8, 2_000), inactive);
    assert_eq!(list.user_standing(8, 1_999), Err(UserChange::Deactivated));
    // Token and session revocations come first.
    list.revoke_session(SID, 100, 10);
    assert_eq!(list.check_access(JTI, SID, 9, 1), Err(Revoked::Session));
}

#[test]
fn the_latest_rights_change_wins_whatever_order_they_arrive_in() {
    let list = RevocationList::new(0);
    let (older, newer) = (rights(false, &["A"]), rights(false, &["A", "B"]));
    list.change_rights(change(7, 3_000, newer.clone()), 10);
    list.change_rights(change(7, 2_000, older), 10);
    assert_eq!(list.user_standing(7, 1_000), Ok(Some(newer.clone())));
    assert_eq!(
        list.user_standing(7, 2_500),
        Ok(Some(newer)),
        "the older change's time does not narrow the newer one"
    );
}

#[test]
fn rights_changes_are_swept_when_they_expire_and_reloaded_with_the_list() {
    let list = RevocationList::new(5);
    list.change_rights(change(7, 2_000, rights(true, &[])), 10);
    list.revoke_user(void(8, 2_000, UserChange::Deleted), 10);
    list.revoke_token(JTI, 1_000, 104);
    assert_eq!(list.users_len(), (1, 1), "kept until expiry plus leeway");
    list.revoke_token(JTI, 1_000, 200);
    assert_eq!(list.users_len(), (0, 0));
    assert_eq!(list.user_standing(7, 1_000), Ok(None));

    let mut fresh = list.empty_entries();
    fresh.load_rights(change(7, 2_000, rights(true, &[])));
    fresh.load_rights(change(9, 1_500, rights(true, &[])));
    list.replace(fresh, 10);
    assert_eq!(list.rights_loaded_up_to(), 2_000);
    assert_eq!(list.users_len(), (0, 2));
}
