//! Signing secrets that have been published: a secret in a public JWT-secret wordlist is
//! cracked offline in seconds from any one token, however random it looks.
//!
//! The list (`secret_denylist/`, with its source, licence and build script) holds the first
//! 8 bytes of the SHA-256 of each published secret of 32 bytes or more, sorted, so it costs
//! ~15 KB in the binary and a binary search at start-up. 64 bits make a chance match by a
//! random secret a 10^-16 event, so a generated secret is never refused by it.

use sha2::{Digest, Sha256};

/// Sorted big-endian 8-byte SHA-256 prefixes (`secret_denylist/README.md`).
static PUBLISHED: &[u8] = include_bytes!("secret_denylist/jwt-secrets.bin");

/// Whether `secret`, exactly as given, is a published JWT secret.
pub(super) fn is_published(secret: &str) -> bool {
    let digest = Sha256::digest(secret.as_bytes());
    let mut prefix = [0u8; 8];
    prefix.copy_from_slice(&digest[..8]);
    let wanted = u64::from_be_bytes(prefix);
    let entry = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&PUBLISHED[i * 8..i * 8 + 8]);
        u64::from_be_bytes(bytes)
    };
    let (mut low, mut high) = (0, PUBLISHED.len() / 8);
    while low < high {
        let mid = low + (high - low) / 2;
        match entry(mid).cmp(&wanted) {
            std::cmp::Ordering::Less => low = mid + 1,
            std::cmp::Ordering::Greater => high = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_whole_sorted_entries_without_duplicates() {
        assert_eq!(PUBLISHED.len() % 8, 0);
        assert_eq!(
            PUBLISHED.len() / 8,
            1_832,
            "update secret_denylist/README.md"
        );
        let entries: Vec<&[u8]> = PUBLISHED.chunks(8).collect();
        assert!(entries.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn published_secrets_are_found_exactly_as_written() {
        // Lines of wallarm/jwt-secrets' jwt.secrets.list.
        for secret in [
            "Secret key. You can use `mix guardian.gen.secret` to get one",
            "!RCR#hJFp*d8nHUZ@U79vC*HndVg292phyZ#5^Xb",
            "reallyreallyreallyreallyverysafe",
            "<random_string_at_least_32_characters_long>",
        ] {
            assert!(is_published(secret), "{secret}");
        }
        assert!(!is_published("!RCR#hJFp*d8nHUZ@U79vC*HndVg292phyZ#5^XB"));
        assert!(!is_published(""));
    }
}
