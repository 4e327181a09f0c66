//! Password hashing in Django's `bcrypt_sha256` format.
//!
//! Bouncer stores exactly what Django's `BCryptSHA256PasswordHasher` stores, so a user table
//! exported from a Django project that lists that hasher first in `PASSWORD_HASHERS` keeps
//! working, and bouncer's hashes keep working if a project moves back to Django:
//! <https://docs.djangoproject.com/en/stable/topics/auth/passwords/#using-bcrypt-with-django>.
//!
//! Both functions are CPU-bound for tens to hundreds of milliseconds: call them off the async
//! executor (`web::block`), never from a handler directly.

use sha2::{Digest, Sha256};

/// Prefix of stored hashes, the same format as Django's `bcrypt_sha256` hasher, so users can be migrated from Django.
///
/// Django writes `"%s$%s" % (algorithm, bcrypt_output)`, and the bcrypt output itself starts with
/// `$`, so a stored hash looks like `bcrypt_sha256$$2b$12$<22 salt chars><31 checksum chars>`.
pub const HASH_PREFIX: &str = "bcrypt_sha256$";

/// bcrypt(hex(sha256(password))) stored as "bcrypt_sha256$" + the $2b$ bcrypt string.
/// Pre-hashing is why passwords over bcrypt's 72-byte limit are never truncated silently: every byte counts.
///
/// This is byte for byte what Django's `BCryptSHA256PasswordHasher.encode` does: the password is
/// UTF-8 encoded, hashed with SHA-256, and the *lowercase hex* digest (64 ASCII bytes, from
/// `binascii.hexlify`) is what bcrypt sees. The password itself is never trimmed or normalised
/// (SECURITY.md, "Credentials"). `cost` is bcrypt's log2 work factor (Django's default is 12);
/// a cost outside 4..=31 is an error rather than a silent clamp.
pub fn hash_password(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    // The 64-byte pre-hash is always under bcrypt's 72-byte limit, so the non-truncating variant
    // can never fail on length; using it makes "nothing is truncated" checked, not assumed.
    let bcrypt_hash = bcrypt::non_truncating_hash(prehash(password), cost)?;
    Ok(format!("{HASH_PREFIX}{bcrypt_hash}"))
}

/// Constant-work verification: returns false (never panics) for a malformed or unknown-format stored hash,
/// but still spends roughly one bcrypt verification's work in every case where the hash parses.
///
/// Parsing is cheap and happens first (prefix, then the bcrypt crate's 60-character `$2?$cc$...`
/// check), so only a hash bouncer could not have written returns early. Once it parses, the
/// password is always hashed at the stored cost and compared in constant time (the bcrypt crate
/// uses `subtle`), whatever the password. Unknown users must not reach the early return: callers
/// verify against a well-formed dummy hash of the configured cost instead, so an unknown username
/// costs the same as a wrong password (SECURITY.md, "Credentials"). Hashes from Django's other
/// hashers (`pbkdf2_sha256$...`, plain `bcrypt$...`, unusable `!...`) are unknown formats here.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Some(bcrypt_hash) = stored_hash.strip_prefix(HASH_PREFIX) else {
        return false;
    };
    bcrypt::non_truncating_verify(prehash(password), bcrypt_hash).unwrap_or(false)
}

/// What Django feeds to bcrypt: `binascii.hexlify(hashlib.sha256(password.encode()).digest())`.
///
/// Lowercase hex, not raw digest bytes: a raw digest may contain NUL, which C bcrypt treats as
/// the end of the password, and Django chose hex for that reason (Django ticket #20138).
fn prehash(password: &str) -> String {
    hex::encode(Sha256::digest(password.as_bytes()))
}

#[cfg(test)]
mod tests {
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
}
