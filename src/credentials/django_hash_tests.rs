//! Unit tests for the Django bcrypt_sha256 format.
use super::*;

/// bcrypt's minimum cost keeps the tests fast; the format and algorithm are the same at any cost.
const COST: u32 = 4;

/// Produced by Django 5.2.19 (`BCryptSHA256PasswordHasher` with `rounds = 4`, pyca bcrypt 5.0):
/// a 94-byte password, so longer than bcrypt's limit, ending in a non-ASCII character.
const DJANGO_LONG_PASSWORD_HASH: &str =
    "bcrypt_sha256$$2b$04$hlMgQ7NdnZ/P.7DItV.H/ek7GQRV3hHqnw8An6rfGEMkNitsbAG4.";
/// Produced the same way for the password "correct horse battery staple".
const DJANGO_SHORT_PASSWORD_HASH: &str =
    "bcrypt_sha256$$2b$04$YoQ.BbQr1PIAK7sbSeASROMkzeSUsFZ.sTugZ3qe5Mzg5EG7524aK";

fn django_long_password() -> String {
    format!("Tr0ub4dour&3-{}é", "x".repeat(80))
}

#[test]
fn a_hashed_password_verifies() {
    let hash = hash_password("correct horse battery staple", COST).unwrap();
    assert!(verify_password("correct horse battery staple", &hash));
}

#[test]
fn a_wrong_password_does_not_verify() {
    let hash = hash_password("correct horse battery staple", COST).unwrap();
    assert!(!verify_password("correct horse battery stapler", &hash));
    assert!(!verify_password("Correct horse battery staple", &hash));
    assert!(!verify_password("", &hash));
}

#[test]
fn passwords_that_differ_only_after_72_bytes_are_distinguished() {
    let shared = "a".repeat(72);
    let first = format!("{shared}first");
    let second = format!("{shared}second");
    let hash = hash_password(&first, COST).unwrap();
    assert!(verify_password(&first, &hash));
    assert!(!verify_password(&second, &hash));
    assert!(!verify_password(&shared, &hash));
}

#[test]
fn a_hash_carries_the_django_prefix_the_2b_version_and_the_cost() {
    let hash = hash_password("secret", COST).unwrap();
    let bcrypt_part = hash.strip_prefix(HASH_PREFIX).expect("prefix");
    assert!(bcrypt_part.starts_with("$2b$04$"), "{hash}");
    assert_eq!(bcrypt_part.len(), 60);
}

#[test]
fn hashing_twice_uses_a_fresh_salt() {
    let first = hash_password("secret", COST).unwrap();
    let second = hash_password("secret", COST).unwrap();
    assert_ne!(first, second);
}

#[test]
fn an_out_of_range_cost_is_an_error_not_a_clamp() {
    assert!(hash_password("secret", 3).is_err());
    assert!(hash_password("secret", 32).is_err());
}

#[test]
fn the_prehash_is_the_lowercase_hex_sha256_that_django_feeds_to_bcrypt() {
    // hashlib.sha256(b"password").hexdigest()
    assert_eq!(
        prehash("password"),
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"
    );
}

#[test]
fn a_hash_produced_by_django_verifies() {
    assert!(verify_password(
        &django_long_password(),
        DJANGO_LONG_PASSWORD_HASH
    ));
    assert!(verify_password(
        "correct horse battery staple",
        DJANGO_SHORT_PASSWORD_HASH
    ));
}

#[test]
fn a_hash_produced_by_django_rejects_a_wrong_or_truncated_password() {
    let truncated: String = django_long_password().chars().take(72).collect();
    assert!(!verify_password(&truncated, DJANGO_LONG_PASSWORD_HASH));
    assert!(!verify_password(
        "correct horse battery",
        DJANGO_SHORT_PASSWORD_HASH
    ));
}

#[test]
fn malformed_or_foreign_hashes_are_rejected_without_panicking() {
    let valid = hash_password("secret", COST).unwrap();
    let bare_bcrypt = valid.strip_prefix(HASH_PREFIX).unwrap().to_owned();
    let malformed = [
        String::new(),
        HASH_PREFIX.to_owned(),
        "bcrypt_sha256$".to_owned() + "$2b$04$short",
        bare_bcrypt.clone(),
        format!("bcrypt${bare_bcrypt}"),
        format!("BCRYPT_SHA256${bare_bcrypt}"),
        format!("{HASH_PREFIX}{}", bare_bcrypt.replace("$2b$", "$3b$")),
        format!("{HASH_PREFIX}{}", bare_bcrypt.replace("$04$", "$xx$")),
        format!("{HASH_PREFIX}{}", bare_bcrypt.replace("$04$", "$03$")),
        format!("{HASH_PREFIX}{}é", &bare_bcrypt[..58]),
        format!("{valid}x"),
        "pbkdf2_sha256$870000$salt$hash=".to_owned(),
        "!unusablepasswordmarkerfromdjango0123456789".to_owned(),
    ];
    for stored in &malformed {
        assert!(!verify_password("secret", stored), "{stored:?}");
    }
}

#[test]
fn bouncer_s_own_hashes_are_told_apart_from_django_s_others() {
    let hash = hash_password("secret", COST).unwrap();
    assert_eq!(classify(&hash), HashFormat::Bouncer);
    assert_eq!(classify("pbkdf2_sha256$1$s$h"), HashFormat::Upgradable);
    assert_eq!(classify("md5$s$h"), HashFormat::Refused);
}
