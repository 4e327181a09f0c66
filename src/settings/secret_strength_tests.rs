//! Unit tests for the guessable-secret check: the shapes people type are refused, random
//! secrets in every common encoding are accepted.
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::*;

#[track_caller]
fn assert_refused(secret: &str) {
    assert!(
        secret.len() >= 32,
        "test secrets must pass the length rule: {secret}"
    );
    assert!(weakness(secret).is_some(), "accepted {secret:?}");
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes
}

#[test]
fn placeholders_padded_or_repeated_are_refused() {
    for secret in [
        "secretsecretsecretsecretsecretsecret",
        "changeme00000000000000000000000000000000",
        "change-me-change-me-change-me-change-me",
        "your-256-bit-secret-your-256-bit-secret",
        "YOUR-256-BIT-SECRET-PADDED-TO-32-BYTES!!",
        "django-insecure-django-insecure-0000",
        "jwt-secret-0123456789-0123456789-0123",
        "SuperSecret1234567890!SuperSecret12345",
        "mysecretmysecretmysecretmysecret",
        "password_password_password_password",
        "test-secret-that-is-long-enough-0123456789",
        "default-secret-key-please-change-2024",
        "example.example.example.example.ex",
    ] {
        assert_refused(secret);
    }
}

#[test]
fn short_patterns_repeated_are_refused() {
    for secret in [
        &"a".repeat(40),
        &"abc".repeat(12),
        &"Xy7!".repeat(9),
        &"0123456789".repeat(4),
        &"k3R9z".repeat(8),
    ] {
        assert_refused(secret);
    }
}

#[test]
fn sequences_and_keyboard_runs_are_refused() {
    assert_refused("abcdefghijklmnopqrstuvwxyz0123456789");
    assert_refused("qwertyuiopasdfghjklzxcvbnm1234567890");
    assert_refused("0123456789abcdefghijklmnopqrstuvwx");
    assert_refused("zyxwvutsrqponmlkjihgfedcba9876543210");
}

#[test]
fn phrases_of_common_words_are_refused() {
    assert_refused("correct horse battery staple is my secret");
    assert_refused("correcthorsebatterystapleismysecret");
    assert_refused("this is the key to my house and my car");
    assert_refused("Remember-The-Money-Is-In-The-Garden-2024");
}

#[test]
fn strings_with_few_different_characters_are_refused() {
    assert_refused("aabbaabbabababbbaaabbbabababbaabbaab");
    assert_refused("0101100101110100101011010011010110100101");
    // Five characters far apart: no run, no repetition, just too little choice per character.
    let secret = "kxq#7xqk#7qkx7#qx7k#xkq7#kq7x#7xkq#k";
    assert_refused(secret);
    assert!(weakness(secret).unwrap().contains("bits per character"));
}

#[test]
fn each_shape_is_named_in_the_reason() {
    let reason = |s: &str| weakness(s).expect("refused");
    assert!(reason(&"abc".repeat(12)).contains("repeated"));
    assert!(reason("changeme00000000000000000000000000000000").contains("placeholder"));
    assert!(reason("this is the key to my house and my car").contains("common words"));
    assert!(reason("zyxwvutsrqponmlkjihgfedcba9876543210").contains("sequential"));
}

#[test]
fn random_secrets_in_every_common_encoding_are_accepted() {
    for _ in 0..1000 {
        let bytes = random_bytes(32);
        for secret in [
            hex::encode(&bytes),
            hex::encode_upper(&bytes),
            URL_SAFE_NO_PAD.encode(&bytes),
            STANDARD.encode(&bytes),
            // 16 bytes as hex is 32 characters: the shortest random secret the length allows.
            hex::encode(&bytes[..16]),
        ] {
            assert_eq!(weakness(&secret), None, "refused {secret:?}");
        }
    }
}

#[test]
fn random_secrets_with_a_readable_prefix_are_accepted() {
    for _ in 0..200 {
        let secret = format!("bouncer-prod-{}", hex::encode(random_bytes(32)));
        assert_eq!(weakness(&secret), None, "refused {secret:?}");
    }
}

#[test]
fn published_secrets_are_refused_however_random_they_look() {
    // Lines of wallarm/jwt-secrets (secret_denylist/README.md): the shape rules pass the
    // first two; only the list knows them.
    for secret in [
        "!RCR#hJFp*d8nHUZ@U79vC*HndVg292phyZ#5^Xb",
        "#$Vby8o5ey+vbaio7vzw63v)273eyowhsukdt36iwu",
        "Secret key. You can use `mix guardian.gen.secret` to get one",
        "reallyreallyreallyreallyverysafe",
    ] {
        let why = weakness(secret).unwrap_or_else(|| panic!("accepted {secret:?}"));
        assert!(why.contains("published"), "{secret:?}: {why}");
    }
}

#[test]
fn a_phrase_most_of_whose_words_are_common_is_refused_whatever_else_it_holds() {
    // Not in the published list, but the same kind of sentence: 8 of its 12 words are common.
    let secret = "Secret key. You can use `mix guardian.gen.secret` to make one";
    assert_eq!(weakness(secret).as_deref(), Some("mostly common words"));
    assert_refused("Please put your own key here before you go live!!");
    // A phrase of rare words keeps its entropy, and passes.
    assert_eq!(
        weakness("quixotic zephyr mulch gazebo lantern fjord wombat"),
        None
    );
}

#[test]
fn a_random_hex_secret_with_many_small_steps_is_accepted() {
    // 17 of its 31 steps go up or down by at most one, scattered: the sequence rule once
    // refused it (about one 16-byte hex secret in 40,000).
    assert_eq!(weakness("9dd7488554333445bcebb5d101595677"), None);
}
