//! Unit tests for token ids.
use super::*;

#[test]
fn ids_round_trip_through_their_one_spelling() {
    let id = TokenId::generate();
    assert_eq!(TokenId::parse(&id.to_string()), Some(id));
    assert_eq!(
        TokenId::from_u128(1).to_string(),
        "00000000000000000000000000000001"
    );
    for bad in [
        "",
        "0123456789ABCDEF0123456789abcdef",
        "+123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0",
    ] {
        assert_eq!(TokenId::parse(bad), None, "{bad}");
    }
}
