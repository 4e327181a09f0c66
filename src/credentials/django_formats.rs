//! Django's other password hash formats, for users imported from a Django project
//! (`bouncer import-django`): verified at login, then replaced by bouncer's own
//! `bcrypt_sha256` (see `Accounts::check_credentials`).
//!
//! Each format is what Django's hasher of that name writes
//! (`django/contrib/auth/hashers.py`):
//!
//! | prefix | stored as |
//! |---|---|
//! | `pbkdf2_sha256` / `pbkdf2_sha1` | `algorithm$iterations$salt$base64(pbkdf2(password, salt))` |
//! | `argon2` | `argon2` + the PHC string argon2-cffi writes (`$argon2id$v=19$m=..,t=..,p=..$salt$hash`) |
//! | `bcrypt` | `bcrypt$` + bcrypt of the raw password (`$2b$12$...`) |
//! | `scrypt` | `scrypt$N$salt$r$p$base64(scrypt(password, salt, dklen=64))` |
//!
//! Unsalted and MD5/SHA-1 formats (`md5$`, `sha1$`, `unsalted_*`, bare 32-hex MD5, `crypt$`) are
//! refused outright: they are cheap to brute-force, so such a user must reset their password.
//!
//! Work factors come from the stored string, and an imported dump is not trusted: parameters
//! beyond the `MAX_*` bounds are refused, so one hostile row cannot make a login cost minutes
//! of CPU or gigabytes of memory. The bounds sit far above Django's defaults.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

/// Django 6.0 uses 1 200 000 iterations for PBKDF2-SHA256; room for a decade of increases.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// Argon2 memory in KiB (1 GiB; Django's default is 100 MiB), passes and lanes.
const MAX_ARGON2_MEMORY_KIB: u32 = 1 << 20;
const MAX_ARGON2_PASSES: u32 = 64;
const MAX_ARGON2_LANES: u32 = 64;
/// scrypt: N up to 2^20 and 128·N·r up to 1 GiB (Django's default: N = 2^14, r = 8, p = 1).
const MAX_SCRYPT_LOG_N: u8 = 20;
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
const MAX_SCRYPT_PARALLELISM: u32 = 16;
/// Plain bcrypt's cost (Django's default is 12): each step doubles the work.
const MAX_BCRYPT_COST: u32 = 16;

/// What a stored password hash is, before any work is spent on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashFormat {
    /// bouncer's own format (Django's `bcrypt_sha256`).
    Bouncer,
    /// A Django format bouncer verifies and then upgrades.
    Upgradable,
    /// Unsalted or MD5/SHA-1: never verified; the user must reset their password.
    Refused,
    /// Django's unusable password (`!...`, `set_unusable_password()`): nobody can log in.
    Unusable,
    /// Nothing Django writes.
    Unknown,
}

/// Classifies a hash that is not bouncer's own by its prefix (cheap; no hashing).
/// `django_hash::classify` checks for bouncer's format first.
pub fn classify_foreign(stored: &str) -> HashFormat {
    if stored.starts_with('!') {
        return HashFormat::Unusable;
    }
    let algorithm = stored.split('$').next().unwrap_or_default();
    match algorithm {
        "pbkdf2_sha256" | "pbkdf2_sha1" | "argon2" | "bcrypt" | "scrypt" => HashFormat::Upgradable,
        "md5" | "sha1" | "unsalted_md5" | "unsalted_sha1" | "crypt" => HashFormat::Refused,
        // UnsaltedMD5PasswordHasher also accepts a bare 32-hex MD5 (very old Django).
        _ if stored.len() == 32 && stored.bytes().all(|b| b.is_ascii_hexdigit()) => {
            HashFormat::Refused
        }
        _ => HashFormat::Unknown,
    }
}

/// Whether `password` matches `stored` in one of the upgradable formats. False (never a
/// panic) for a malformed hash, parameters out of bounds, or any other format.
pub fn verify(password: &str, stored: &str) -> bool {
    let mut parts = stored.splitn(2, '$');
    let (algorithm, rest) = (parts.next().unwrap_or_default(), parts.next());
    let Some(rest) = rest else { return false };
    match algorithm {
        "pbkdf2_sha256" => verify_pbkdf2(password, rest, Pbkdf2Digest::Sha256),
        "pbkdf2_sha1" => verify_pbkdf2(password, rest, Pbkdf2Digest::Sha1),
        "argon2" => verify_argon2(password, rest),
        "bcrypt" => verify_bcrypt(password, rest),
        "scrypt" => verify_scrypt(password, rest),
        _ => false,
    }
}

/// Django's two PBKDF2 hashers; the stored hash is as long as the digest (`dklen=None`).
#[derive(Clone, Copy)]
enum Pbkdf2Digest {
    Sha256,
    Sha1,
}

/// `iterations$salt$base64(hash)`.
fn verify_pbkdf2(password: &str, rest: &str, digest: Pbkdf2Digest) -> bool {
    let Some([iterations, salt, expected]) = split_exact(rest) else {
        return false;
    };
    let Ok(iterations) = iterations.parse::<u32>() else {
        return false;
    };
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
        return false;
    }
    let Ok(expected) = STANDARD.decode(expected) else {
        return false;
    };
    let (password, salt) = (password.as_bytes(), salt.as_bytes());
    let derived = match digest {
        Pbkdf2Digest::Sha256 => {
            pbkdf2::pbkdf2_hmac_array::<sha2::Sha256, 32>(password, salt, iterations).to_vec()
        }
        Pbkdf2Digest::Sha1 => {
            pbkdf2::pbkdf2_hmac_array::<sha1::Sha1, 20>(password, salt, iterations).to_vec()
        }
    };
    // Lengths are public (they follow from the algorithm); only the bytes are compared in
    // constant time, and `ct_eq` is false for a length mismatch.
    bool::from(derived.ct_eq(&expected))
}

/// argon2-cffi's PHC string (after Django's `argon2` prefix). The argon2 crate compares the
/// output in constant time.
fn verify_argon2(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    let phc = format!("${phc}");
    let Ok(hash) = PasswordHash::new(&phc) else {
        return false;
    };
    let Ok(params) = argon2::Params::try_from(&hash) else {
        return false;
    };
    if params.m_cost() > MAX_ARGON2_MEMORY_KIB
        || params.t_cost() > MAX_ARGON2_PASSES
        || params.p_cost() > MAX_ARGON2_LANES
    {
        return false;
    }
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), &hash)
        .is_ok()
}

/// Django's plain `BCryptPasswordHasher` feeds the raw password to bcrypt, which only ever
/// covered its first 72 bytes (pyca bcrypt < 5 truncated silently). Verifying the same way is
/// what lets such a user log in at all; the upgrade that follows then covers every byte.
fn verify_bcrypt(password: &str, bcrypt_hash: &str) -> bool {
    let Some(cost) = bcrypt_hash.get(4..6).and_then(|c| c.parse::<u32>().ok()) else {
        return false;
    };
    cost <= MAX_BCRYPT_COST && bcrypt::verify(password, bcrypt_hash).unwrap_or(false)
}

/// `N$salt$r$p$base64(hash)` with a 64-byte hash (Django's `dklen`).
fn verify_scrypt(password: &str, rest: &str) -> bool {
    let Some([n, salt, r, p, expected]) = split_exact(rest) else {
        return false;
    };
    let (Ok(n), Ok(r), Ok(p)) = (n.parse::<u64>(), r.parse::<u32>(), p.parse::<u32>()) else {
        return false;
    };
    if !n.is_power_of_two() || n < 2 || p == 0 || p > MAX_SCRYPT_PARALLELISM {
        return false;
    }
    let log_n = n.trailing_zeros() as u8;
    if log_n > MAX_SCRYPT_LOG_N || 128 * n * u64::from(r) > MAX_SCRYPT_MEMORY {
        return false;
    }
    let Ok(expected) = STANDARD.decode(expected) else {
        return false;
    };
    let Ok(params) = scrypt::Params::new(log_n, r, p, expected.len()) else {
        return false;
    };
    let mut derived = vec![0u8; expected.len()];
    if scrypt::scrypt(password.as_bytes(), salt.as_bytes(), &params, &mut derived).is_err() {
        return false;
    }
    bool::from(derived.ct_eq(&expected))
}

/// Exactly `N` `$`-separated fields, none of them empty.
fn split_exact<const N: usize>(rest: &str) -> Option<[&str; N]> {
    let fields: Vec<&str> = rest.split('$').collect();
    let fields: [&str; N] = fields.try_into().ok()?;
    fields.iter().all(|f| !f.is_empty()).then_some(fields)
}

#[cfg(test)]
#[path = "django_formats_tests.rs"]
mod tests;
