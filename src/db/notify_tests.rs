//! Unit tests for revocation announcements.
use super::*;

const SID: &str = "fedcba9876543210fedcba9876543210";

#[test]
fn announcements_round_trip_and_malformed_ones_are_refused() {
    let announcement = RevocationNotice::Session {
        sid: TokenId::parse(SID).unwrap(),
        until: 100,
    };
    let parsed: RevocationNotice = announcement.to_string().parse().unwrap();
    assert_eq!(parsed, announcement);
    for bad in [
        "",
        "x y z",
        "t nothex 1",
        "s 0123456789abcdef0123456789abcdef soon",
        "t a b c d",
    ] {
        assert!(bad.parse::<RevocationNotice>().is_err(), "{bad}");
    }
}

#[test]
fn user_revocations_round_trip_and_bad_reasons_are_refused() {
    let announcement = RevocationNotice::User(UserRevocation {
        user_id: 42,
        not_before_ms: 1_700_000_000_123,
        reason: UserChange::Deactivated,
        until: 1_700_000_400,
    });
    assert_eq!(announcement.to_string(), "u 42 1700000000123 2 1700000400");
    let parsed: RevocationNotice = announcement.to_string().parse().unwrap();
    assert_eq!(parsed, announcement);
    for bad in ["u 42 1 9 5", "u 42 1 2", "u 42 1 2 5 6", "u x 1 2 5"] {
        assert!(bad.parse::<RevocationNotice>().is_err(), "{bad}");
    }
}

#[test]
fn rights_changes_round_trip_with_spaces_in_group_names() {
    let announcement = RevocationNotice::Rights(RightsChange {
        user_id: 42,
        changed_at_ms: 1_700_000_000_123,
        rights: Rights::new(true, ["Manager".to_owned(), "Night shift".to_owned()]),
        until: 1_700_000_400,
    });
    assert_eq!(
        announcement.to_string(),
        r#"r 42 1700000000123 1700000400 1 ["Manager","Night shift"]"#
    );
    let parsed: RevocationNotice = announcement.to_string().parse().unwrap();
    assert_eq!(parsed, announcement);
    let none: RevocationNotice = "r 7 1 2 0 []".parse().unwrap();
    assert!(matches!(none, RevocationNotice::Rights(r) if r.rights == Rights::default()));
    for bad in [
        "r 42 1 2 1",
        "r 42 1 2 2 []",
        "r 42 1 2 1 [1]",
        "r 42 1 2 1 {}",
        "r x 1 2 1 []",
        "r 42 1 2 1 [] extra",
    ] {
        assert!(bad.parse::<RevocationNotice>().is_err(), "{bad}");
    }
}
