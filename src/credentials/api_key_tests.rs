//! Unit tests for opaque keys.
use super::*;

#[test]
fn keys_are_40_lowercase_hex_and_differ() {
    let (a, b) = (generate_key().unwrap(), generate_key().unwrap());
    assert!(is_well_formed(&a) && is_well_formed(&b), "{a} {b}");
    assert_ne!(a, b);
}

#[test]
fn only_the_canonical_form_is_well_formed() {
    for bad in ["", "abc", &"A".repeat(40), &"g".repeat(40), &"a".repeat(41)] {
        assert!(!is_well_formed(bad), "{bad}");
    }
}

#[test]
fn the_stored_hash_is_the_sha256_of_the_key() {
    // sha256("abc"), a published test vector.
    assert_eq!(
        key_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(key_fingerprint("abc"), "ba7816bf");
}
