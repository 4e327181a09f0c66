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
