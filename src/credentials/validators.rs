//! Django's password validators and the username/email field rules of a djoser registration.
//!
//! Clients written against Django show these messages to users, so the rules and the wording
//! are Django's (docs/wire-contract.md, "Password validators"):
//! <https://docs.djangoproject.com/en/stable/topics/auth/passwords/#included-validators>.
//! Python's string predicates (`str.isdigit`, `\w`, `str.strip`) are approximated with the
//! Unicode properties std exposes; each helper says where it can differ, and in which direction.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `UserAttributeSimilarityValidator`'s default `max_similarity`.
const MAX_SIMILARITY: f64 = 0.7;
/// `MinimumLengthValidator`'s default `min_length`, counted in characters as Python's `len`.
const MIN_PASSWORD_LENGTH: usize = 8;
/// `AbstractUser.username` is `max_length=150`.
const USERNAME_MAX_LENGTH: usize = 150;
/// `AbstractUser.email` is an `EmailField`, whose `max_length` is 254 (RFC 5321 path limit).
const EMAIL_MAX_LENGTH: usize = 254;

const TOO_SHORT: &str = "This password is too short. It must contain at least 8 characters.";
const TOO_COMMON: &str = "This password is too common.";
const ENTIRELY_NUMERIC: &str = "This password is entirely numeric.";
const INVALID_USERNAME: &str = "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.";
const USERNAME_TOO_LONG: &str = "Ensure this field has no more than 150 characters.";
/// DRF's message for an empty or all-space string field.
pub const BLANK: &str = "This field may not be blank.";

/// DRF's message for a missing field.
pub const REQUIRED: &str = "This field is required.";
/// DRF's `CharField` adds Django's `ProhibitNullCharactersValidator`, so a NUL gets this message
/// in addition to the username one, exactly as djoser answers.
const NULL_CHARACTERS: &str = "Null characters are not allowed.";
const INVALID_EMAIL: &str = "Enter a valid email address.";

/// Django's `common-passwords.txt.gz` (Django 5.2.19; 6.1 ships the identical file), stored
/// uncompressed. Django's docstring says 20,000 passwords, but the file holds 19,640 after its
/// lowercasing and deduplication. Entries are lowercase, so lookups lowercase the password.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .map(py_strip)
        .collect()
});

/// Django's four validators, in Django's default order (similarity, minimum length, common, numeric);
/// returns every failing message, empty when the password is acceptable.
///
/// Django's `validate_password` runs every validator and raises all their errors together, and
/// djoser returns them as one list under the password field. The password is never modified:
/// lowercasing and stripping below are for comparison only, as in Django.
pub fn validate_password(password: &str, username: &str, email: &str) -> Vec<String> {
    let mut errors = Vec::new();
    // Django raises on the first similar attribute, in `DEFAULT_USER_ATTRIBUTES` order.
    let attributes = [(username, "username"), (email, "email address")];
    if let Some((_, verbose_name)) = attributes
        .iter()
        .find(|(value, _)| is_too_similar(password, value))
    {
        errors.push(format!(
            "The password is too similar to the {verbose_name}."
        ));
    }
    if password.chars().count() < MIN_PASSWORD_LENGTH {
        errors.push(TOO_SHORT.to_owned());
    }
    if COMMON_PASSWORDS.contains(py_strip(&password.to_lowercase())) {
        errors.push(TOO_COMMON.to_owned());
    }
    if is_entirely_numeric(password) {
        errors.push(ENTIRELY_NUMERIC.to_owned());
    }
    errors
}

/// The one spelling of a username: surrounding spaces stripped, then NFKC, as stored.
/// Registration stores it and log-in looks it up, so `" ｊｏｈｎ"` logs in as `"john"`.
pub fn canonical_username(raw: &str) -> String {
    strip_spaces(raw).nfkc().collect()
}

/// NFKC-normalises, then applies Django's username rules: 1..=150 chars, only letters, digits and @ . + - _
/// (Unicode letters/digits allowed like Python's \w), no control characters or NUL. Returns the normalised name.
///
/// Surrounding spaces are stripped as DRF's `CharField` does (`" john "` is `"john"`), but
/// control characters are not: `"eve\n"` is refused rather than silently becoming `"eve"`
/// (docs/security.md: reject control characters in usernames). Django's `UserManager` stores `unicodedata.normalize("NFKC", ...)`,
/// so `"ｊｏｈｎ"` and `"john"` are one account; checking the *normalised* form (Django checks
/// the raw one) guarantees the stored name itself obeys the rules. Compare the result, not the
/// raw input, for uniqueness (docs/security.md, "Credentials"). Control characters and NUL are not
/// `\w`, so the character rule rejects them.
pub fn normalize_username(raw: &str) -> Result<String, Vec<String>> {
    let name = canonical_username(raw);
    if name.is_empty() {
        return Err(vec![BLANK.to_owned()]);
    }
    // DRF runs every field validator and reports all failures, in this order.
    let mut errors = Vec::new();
    if !name
        .chars()
        .all(|c| is_word_char(c) || matches!(c, '@' | '.' | '+' | '-'))
    {
        errors.push(INVALID_USERNAME.to_owned());
    }
    if name.chars().count() > USERNAME_MAX_LENGTH {
        errors.push(USERNAME_TOO_LONG.to_owned());
    }
    if name.contains('\0') {
        errors.push(NULL_CHARACTERS.to_owned());
    }
    if errors.is_empty() {
        Ok(name)
    } else {
        Err(errors)
    }
}

/// Empty string is allowed (email is optional) and returned as "". Otherwise a pragmatic check like Django's
/// EmailValidator (one @, non-empty local part, domain with a dot or literal, no whitespace/control chars,
/// max 254 chars); lowercases the domain part. Message: "Enter a valid email address."
///
/// Follows `django.core.validators.EmailValidator`: an ASCII dot-atom local part, then a domain
/// that is Django's `localhost` allowlist entry, a dotted name (labels of ASCII alphanumerics,
/// `-` and U+00A1..=U+FFFF, a letters-only or `xn--` top-level label, no trailing dot), or an
/// `[IPv4]`/`[IPv6]` literal. Deliberately stricter than Django: quoted local parts
/// (`"a b"@x`, which may hide a second `@`), the non-ASCII `ı`, `İ`, `ſ` and Kelvin `K` that
/// Django's case-insensitive regex lets into a local part, and whitespace, control or invisible
/// formatting characters inside the domain (Django's U+00A1..=U+FFFF range admits U+3000) are
/// refused. Surrounding whitespace is stripped as DRF does, and
/// the domain is lowercased as `BaseUserManager.normalize_email` does.
pub fn validate_email(raw: &str) -> Result<String, Vec<String>> {
    let email = py_strip(raw);
    if email.is_empty() {
        return Ok(String::new());
    }
    let invalid = || vec![INVALID_EMAIL.to_owned()];
    if email.chars().count() > EMAIL_MAX_LENGTH || email.chars().any(is_hidden_or_space) {
        return Err(invalid());
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Err(invalid());
    };
    let domain_ok = domain == "localhost" || is_domain_name(domain) || is_address_literal(domain);
    if !is_dot_atom(local) || !domain_ok {
        return Err(invalid());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// Django's `UserAttributeSimilarityValidator` for one attribute value.
fn is_too_similar(password: &str, value: &str) -> bool {
    if value.is_empty() {
        return false; // Django skips missing or empty attributes.
    }
    let password: Vec<char> = password.to_lowercase().chars().collect();
    let value = value.to_lowercase();
    // `re.split(r"\W+", value_lower) + [value_lower]`: the parts, then the whole value.
    split_on_non_word(&value)
        .into_iter()
        .chain(std::iter::once(value.as_str()))
        .any(|part| {
            let part: Vec<char> = part.chars().collect();
            !exceeds_maximum_length_ratio(password.len(), MAX_SIMILARITY, part.len())
                && quick_ratio(&password, &part) >= MAX_SIMILARITY
        })
}

/// Django's `exceeds_maximum_length_ratio`: a part far shorter than the password cannot reach
/// `max_similarity` (its ratio is at most `2 / (1 + length ratio)`), so Django skips it rather
/// than pay for the comparison. At 0.7 a skipped part could score at most 2/11, so the skip
/// never changes the answer; it is kept so this reads line for line as Django's validator.
fn exceeds_maximum_length_ratio(
    password_len: usize,
    max_similarity: f64,
    value_len: usize,
) -> bool {
    let length_bound_similarity = max_similarity / 2.0 * password_len as f64;
    password_len >= 10 * value_len && (value_len as f64) < length_bound_similarity
}

/// `difflib.SequenceMatcher(a=a, b=b).quick_ratio()`: twice the size of the multiset intersection
/// of the characters over the total length, and 1.0 when both are empty. Order-blind, so it is
/// an upper bound on `ratio()`; Django uses this bound as its similarity test.
fn quick_ratio(a: &[char], b: &[char]) -> f64 {
    let mut available: HashMap<char, usize> = HashMap::new();
    for &c in b {
        *available.entry(c).or_default() += 1;
    }
    let matches = a
        .iter()
        .filter(|c| match available.get_mut(c) {
            Some(count) if *count > 0 => {
                *count -= 1;
                true
            }
            _ => false,
        })
        .count();
    let total = a.len() + b.len();
    if total == 0 {
        1.0
    } else {
        2.0 * matches as f64 / total as f64
    }
}

/// `re.split(r"\W+", s)`: maximal runs of non-word characters separate the parts, and a run at
/// either end leaves an empty part there, as in Python.
fn split_on_non_word(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut part_start = 0;
    let mut in_separator = false;
    for (i, c) in s.char_indices() {
        match (is_word_char(c), in_separator) {
            (false, false) => {
                parts.push(&s[part_start..i]);
                in_separator = true;
            }
            (true, true) => {
                part_start = i;
                in_separator = false;
            }
            _ => {}
        }
    }
    parts.push(if in_separator { "" } else { &s[part_start..] });
    parts
}

/// Python's Unicode `\w`: `_` or `str.isalnum()` (letters `L*` and anything with a numeric
/// value). Rust's `is_alphanumeric` adds `Other_Alphabetic`, mostly combining marks, which
/// Python's `\w` excludes (Django rejects `"नमस्ते"` for its virama), so marks are removed again.
fn is_word_char(c: char) -> bool {
    c == '_' || (c.is_alphanumeric() && !is_combining_mark(c))
}

/// Python's `str.isdigit()` on the whole (non-empty) string, as `NumericPasswordValidator` uses.
/// `isdigit` means `Numeric_Type` Decimal or Digit (`"١٢٣"`, `"²"`). `Nd` and `No` is the
/// closest std offers: it excludes letter-numbers such as `"Ⅻ"` as Python does, but also
/// counts vulgar fractions such as `"½"`, so bouncer is at most stricter than Django.
fn is_entirely_numeric(password: &str) -> bool {
    !password.is_empty()
        && password
            .chars()
            .all(|c| c.is_numeric() && !c.is_alphabetic())
}

/// Whitespace that is not a control character (so not `\n`, `\t`, ...).
fn strip_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() && !c.is_control())
}

/// Python's `str.strip()`: Unicode `White_Space` plus the separators U+001C..=U+001F, which
/// Python's `isspace` also counts.
fn py_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// Characters that make an address look like another one: whitespace, controls and the
/// invisible formatting characters (soft hyphen, zero-width and bidi controls, BOM).
fn is_hidden_or_space(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}')
        || matches!(c, '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// Django's dot-atom local part: ASCII `atext` runs joined by single dots.
fn is_dot_atom(local: &str) -> bool {
    local.split('.').all(|atom| {
        !atom.is_empty()
            && atom
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{}|~-".contains(c))
    })
}

/// Django's `EmailValidator.domain_regex`: at least two labels, the last one a top-level label.
fn is_domain_name(domain: &str) -> bool {
    match domain.rsplit_once('.') {
        Some((host, tld)) => host.split('.').all(is_domain_label) && is_top_level_label(tld),
        None => false,
    }
}

/// A label of 1..=63 characters from `[a-z0-9-]` and Django's "Unicode letters" range
/// U+00A1..=U+FFFF, not starting or ending with `-` (RFC 1034 section 3.1).
fn is_domain_label(label: &str) -> bool {
    let is_label_char = |c: char| c == '-' || c.is_ascii_alphanumeric() || is_unicode_letter(c);
    (1..=63).contains(&label.chars().count())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(is_label_char)
}

/// Django's `tld_no_fqdn_re`: 2..=63 letters or hyphens (no digits) not starting or ending with
/// `-`, or a punycode label `xn--` plus 1..=59 ASCII alphanumerics.
fn is_top_level_label(label: &str) -> bool {
    let punycode = label
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
        && (1..=59).contains(&(label.len() - 4))
        && label[4..].chars().all(|c| c.is_ascii_alphanumeric());
    let is_tld_char = |c: char| c == '-' || c.is_ascii_alphabetic() || is_unicode_letter(c);
    let letters = (2..=63).contains(&label.chars().count())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(is_tld_char);
    punycode || letters
}

/// Django's `ul = "\u00a1-\uffff"`, which it calls Unicode letters.
fn is_unicode_letter(c: char) -> bool {
    ('\u{a1}'..='\u{ffff}').contains(&c)
}

/// `[1.2.3.4]` or `[::1]`: Django's `literal_regex` then `validate_ipv46_address`, with its
/// 39-character cap on IPv6 text. std's parsers reject IPv4 leading zeros, like Python's.
fn is_address_literal(domain: &str) -> bool {
    let Some(inner) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) else {
        return false;
    };
    !inner.is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        && (inner.parse::<Ipv4Addr>().is_ok()
            || (inner.len() <= 39 && inner.parse::<Ipv6Addr>().is_ok()))
}

#[cfg(test)]
#[path = "validators_tests.rs"]
mod tests;
