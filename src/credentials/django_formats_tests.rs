//! Unit tests for Django's other hash formats, against hashes Django 5.2.9 wrote (low work
//! factors so the tests are fast; the code paths are the same at any cost).
use super::*;

const PASSWORD: &str = "correct horse battery staple";

/// `PBKDF2PasswordHasher` with `iterations = 1000`.
const PBKDF2_SHA256: &str =
    "pbkdf2_sha256$1000$THh6L295yD98JKDbS3gcV7$dnWqV/6a+/Zeo+qhCUbKFbr8wuwYJyFdQTayfR5iV7M=";
/// `PBKDF2SHA1PasswordHasher` with `iterations = 1000`.
const PBKDF2_SHA1: &str = "pbkdf2_sha1$1000$wwuangBvKcxwlPmCZPRloR$/CPiVJJBWjCfmokJolg7i8F74VA=";
/// `Argon2PasswordHasher` (argon2-cffi 25.1.0) with `time_cost = 1, memory_cost = 64,
/// parallelism = 1`.
const ARGON2: &str = "argon2$argon2id$v=19$m=64,t=1,p=1$OFNLSDFWTExTdFVXaVhUTkwzOG90bg$XP9uUtloZW6GeJ/k1v7pdJ3Dqp1PLvlDzxcWIZdhE9Y";
/// `BCryptPasswordHasher` (pyca bcrypt 4.3.0) with `rounds = 4`.
const BCRYPT: &str = "bcrypt$$2b$04$GdyZFbHKnqbreUPRIoH3nOH2zbPxYnv7AtsMxfpQY66YOTTe64eqy";
/// The same for `"é" * 40 + "tail"` (84 bytes): bcrypt 4 saw only the first 72.
const BCRYPT_LONG: &str = "bcrypt$$2b$04$Yc6kSkSkfve4pQ7Q5Ld9D.SXfDjiqji6PzFcR3XrBabMw.ncNIKzW";
/// `ScryptPasswordHasher` with `work_factor = 2**4` (r = 8, p = 5 as Django's defaults).
const SCRYPT: &str = "scrypt$16$TPJeSSYx0LI0gaBVlNLIfl$8$5$eu3cDndKytx8B3oJ5NE3+hTFOxY0QrWB5utZ0OhHIPBTJTO3HzOsrrrsyCsXM9JXG2lyCHEOAu4MuSX8/q2kWw==";

const DJANGO_HASHES: [&str; 5] = [PBKDF2_SHA256, PBKDF2_SHA1, ARGON2, BCRYPT, SCRYPT];

#[test]
fn every_django_format_verifies_the_right_password() {
    for stored in DJANGO_HASHES {
        assert_eq!(classify_foreign(stored), HashFormat::Upgradable, "{stored}");
        assert!(verify(PASSWORD, stored), "{stored}");
    }
}

#[test]
fn every_django_format_refuses_a_wrong_password() {
    for stored in DJANGO_HASHES {
        for wrong in ["", "correct horse battery", "Correct horse battery staple"] {
            assert!(!verify(wrong, stored), "{stored} {wrong:?}");
        }
    }
}

#[test]
fn plain_bcrypt_checks_what_django_checked_the_first_72_bytes() {
    let password = format!("{}tail", "é".repeat(40));
    assert!(verify(&password, BCRYPT_LONG));
    assert!(!verify(&"é".repeat(35), BCRYPT_LONG));
}

#[test]
fn a_tampered_hash_does_not_verify() {
    for stored in DJANGO_HASHES {
        let (head, last) = stored.split_at(stored.len() - 3);
        let flipped = if last.starts_with('A') { "B" } else { "A" };
        let tampered = format!("{head}{flipped}{}", &last[1..]);
        assert!(!verify(PASSWORD, &tampered), "{tampered}");
        assert!(!verify(PASSWORD, &stored[..stored.len() - 5]), "{stored}");
        assert!(!verify(PASSWORD, &format!("{stored}$x")), "{stored}");
    }
}

#[test]
fn work_factors_beyond_the_bounds_are_refused_without_the_work() {
    let costly = [
        PBKDF2_SHA256.replace("$1000$", "$4000000000$"),
        PBKDF2_SHA256.replace("$1000$", "$0$"),
        ARGON2.replace("m=64,t=1,p=1", "m=4194304,t=1,p=1"),
        ARGON2.replace("m=64,t=1,p=1", "m=64,t=1000,p=1"),
        BCRYPT.replace("$04$", "$31$"),
        SCRYPT.replace("scrypt$16$", "scrypt$1073741824$"),
        SCRYPT.replace("scrypt$16$", "scrypt$17$"),
        SCRYPT.replace("$8$5$", "$8$1000$"),
        SCRYPT.replace("$8$5$", "$8$0$"),
    ];
    for stored in &costly {
        let started = std::time::Instant::now();
        assert!(!verify(PASSWORD, stored), "{stored}");
        assert!(started.elapsed().as_secs() < 2, "{stored} did the work");
    }
}

#[test]
fn weak_formats_are_refused_and_never_verified() {
    // Django's MD5PasswordHasher for "x" with salt "salt", and unsalted forms of "x".
    let weak = [
        "md5$salt$e52cf713193460fea2740c8638c0770c",
        "md5$$9dd4e461268c8034f5c8564e155c67a6",
        "sha1$$11f6ad8ec52a2984abaafd7c3b516503785c2072",
        "unsalted_sha1$$11f6ad8ec52a2984abaafd7c3b516503785c2072",
        "9dd4e461268c8034f5c8564e155c67a6",
        "crypt$$abN/qM.L/H8EQ",
    ];
    for stored in weak {
        assert_eq!(classify_foreign(stored), HashFormat::Refused, "{stored}");
        assert!(!verify("x", stored), "{stored}");
    }
}

#[test]
fn formats_are_told_apart_by_their_prefix() {
    assert_eq!(classify_foreign("!abc"), HashFormat::Unusable);
    assert_eq!(classify_foreign(""), HashFormat::Unknown);
    assert_eq!(classify_foreign("sha256$x$y"), HashFormat::Unknown);
    assert_eq!(
        classify_foreign("PBKDF2_SHA256$1000$s$h"),
        HashFormat::Unknown
    );
}
