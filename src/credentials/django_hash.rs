//! Password hashing in Django's `bcrypt_sha256` format.
//!
//! Bouncer stores exactly what Django's `BCryptSHA256PasswordHasher` stores, so a user table
//! exported from a Django project that lists that hasher first in `PASSWORD_HASHERS` keeps
//! working, and bouncer's hashes keep working if a project moves back to Django:
//! <https://docs.djangoproject.com/en/stable/topics/auth/passwords/#using-bcrypt-with-django>.
//!
//! Both functions are CPU-bound for tens to hundreds of milliseconds: they run on the hashing
//! pool (`hashing_pool.rs`), never on an async worker.

use sha2::{Digest, Sha256};

use super::django_formats::HashFormat;

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
/// (docs/security.md, "Credentials"). `cost` is bcrypt's log2 work factor (Django's default is 12);
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
/// costs the same as a wrong password (docs/security.md, "Credentials"). Hashes from Django's other
/// hashers (`pbkdf2_sha256$...`, plain `bcrypt$...`, ...) are checked by `django_formats.rs`,
/// whose work depends on the stored parameters; weak and unusable ones (`md5$`, `!...`) never
/// verify.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Some(bcrypt_hash) = stored_hash.strip_prefix(HASH_PREFIX) else {
        return super::django_formats::verify(password, stored_hash);
    };
    bcrypt::non_truncating_verify(prehash(password), bcrypt_hash).unwrap_or(false)
}

/// The format of a stored hash, by its prefix: bouncer's own, or one of Django's others.
pub fn classify(stored_hash: &str) -> HashFormat {
    if stored_hash.starts_with(HASH_PREFIX) {
        HashFormat::Bouncer
    } else {
        super::django_formats::classify_foreign(stored_hash)
    }
}

/// What Django feeds to bcrypt: `binascii.hexlify(hashlib.sha256(password.encode()).digest())`.
///
/// Lowercase hex, not raw digest bytes: a raw digest may contain NUL, which C bcrypt treats as
/// the end of the password, and Django chose hex for that reason (Django ticket #20138).
fn prehash(password: &str) -> String {
    hex::encode(Sha256::digest(password.as_bytes()))
}

#[cfg(test)]
#[path = "django_hash_tests.rs"]
mod tests;
