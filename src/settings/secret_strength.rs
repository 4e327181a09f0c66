//! Is a signing secret guessable? A check for the secrets people actually type or copy:
//! secrets published in JWT-secret wordlists (`secret_denylist.rs`); placeholders from
//! tutorials (`your-256-bit-secret`, `changeme`), padded or repeated to reach 32 bytes; short
//! patterns repeated; keyboard runs and counting sequences; phrases of common words.
//!
//! Anyone holding the secret can mint tokens for any user, and an HS256 token is an offline
//! oracle for it: one token from the service lets an attacker test guesses at GPU speed with no
//! rate limit. So a secret must be random, not merely long. The checks below are heuristics
//! that err towards accepting: a random 32-byte secret, hex or base64, always passes (the unit
//! tests try thousands), while the guessable shapes above are refused. No rule may refuse a
//! random secret by chance at any rate a test could ever see: each rule's margin is stated
//! where it is defined.
//!
//! This is a value module: it imports nothing from the crate and embeds its own lists.

use std::collections::HashSet;

use super::secret_denylist::is_published;

/// Placeholders from docs, tutorials and frameworks, and keyboard runs, compared in lower
/// case with separators (`-`, `_`, `.`, space) removed: `change-me` is listed as `changeme`.
#[rustfmt::skip]
const PLACEHOLDERS: &[&str] = &[
    "secret", "changeme", "changeit", "your256bitsecret", "your512bitsecret", "yoursecretkey",
    "yoursecret", "password", "passw0rd", "jwtsecret", "jwtsecretkey", "supersecret",
    "djangoinsecure", "insecure", "test", "testing", "example", "default", "mysecret", "secretkey",
    "privatekey", "notasecret", "placeholder", "replaceme", "fixme", "todo", "letmein", "admin",
    "qwerty", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890", "0123456789",
    "abcdefghijklmnopqrstuvwxyz", "dummy", "sample", "demo", "development", "production",
    "localhost", "bouncer", "simplejwt", "djoser", "django", "hs256", "jwt", "hmac", "token",
    "lorem", "ipsum", "correcthorsebatterystaple", "trustno1", "iloveyou", "welcome", "monkey",
    "dragon", "master", "shadow", "sunshine", "football", "baseball",
];

/// A few hundred of the most common English words, for spotting secrets that are phrases.
/// Words of three letters or more only: shorter ones turn up by chance in random hex and
/// base64 ("a", "be", "ad") and would eat into the remainder measured below.
const COMMON_WORDS: &str = "
    all and any are ask bad big but can day did end far few for get got had has her him his
    how its let lot man may new not now off old one our out own put run say see set she the
    too try two use was way who why yes yet you
    also area back been best body book both call came come does done down each even ever
    fact feel find fine five four free from full gave give good hand have head hear help here
    high hold home hope idea into just keep kind knew know last late left less life like line
    list live long look made make many mean more most move much must name need next nice once
    only open over part past plan play real rest room said same seem show side some soon stop
    such sure take talk team tell than that them then they this time told took true turn very
    want week well went were what when will with word work year your zero
    about above after again agree allow along among asked begin being below black bring build
    carry cause check child clear close could count early earth every field first found front
    given going great green group happy heard heart horse house large later learn leave level
    light might money month never night often order other place point power quite reach ready
    right round seven shall short since small sound space speak stand start state still story
    study table thank their there these thing think third those three today total under until
    using value voice water where which while white whole whose woman women world would write
    wrong young
    always answer around become before better change church common course during enough family
    father follow friend itself little mother moment number people person please public reason
    really second should simple single social strong system things though toward travel turned
    unless window within without
    another because believe between brother company country example general himself history
    however measure million nothing perhaps problem program provide several someone something
    special student through tonight usually whether
    anything business children continue national remember sentence together yourself
    battery staple correct orange purple yellow summer winter spring autumn flower garden
    secure access private public server client token login admin super master
    cat dog sun sea sky red blue big fun key app api web dev prod
";

/// Words of one and two letters, for the phrase rule only (in random text they turn up by
/// chance; a phrase of several words separated by spaces is not random text).
const SHORT_WORDS: &str = "a i am an as at be by do go he if in is it me my no of oh ok on or
    so to up us we";

/// A phrase has at least this many words separated by white space. Random secrets in every
/// encoding have none, so the phrase rule never sees them.
const MIN_PHRASE_WORDS: usize = 4;

/// A run of characters each one step from the last (`abcde`, `43210`, `aaaaa`) counts as a
/// sequence from this many steps on. Random hex takes a step of at most one about one time in
/// five, so such a run of 4 steps starts at a given place about once in 700; covering half of
/// a 32-character secret takes several of them (never seen in 2,000,000 random 16-byte hex
/// secrets). Counting every small step instead refused about one random 16-byte hex secret
/// in 40,000 (`9dd7488554333445bcebb5d101595677`: 17 of 31 steps).
const MIN_SEQUENCE_STEPS: usize = 4;

/// Refuse when what is left after removing placeholders and common words measures fewer
/// bits than this (length x Shannon entropy per character). 64 bits keeps a 16-byte hex key
/// (about 110 bits measured even after stray three-letter "words" are removed) well clear,
/// while `changeme000…`, `secret` + digits or a phrase with a year appended fall far below.
const MIN_REMAINDER_BITS: f64 = 64.0;

/// Refuse below this many bits per character (Shannon entropy of the character frequencies).
/// It measures how evenly the characters are drawn, not true randomness, and random strings
/// measure below their alphabet's maximum. Over 200,000 random samples each: 64-character hex
/// (32 bytes) averaged 3.82 bits per character, lowest 3.36; 32-character hex (16 bytes, the
/// shortest random secret the length rule admits) averaged 3.61, lowest 2.86; 43-character
/// base64 averaged 4.85, lowest 4.23. 2.5 stays clear of all of them and still refuses a
/// string drawn from five or fewer distinct characters, or dominated by a few of them.
const MIN_BITS_PER_CHAR: f64 = 2.5;

/// Why `secret` is guessable, as a short phrase, or `None` when it looks random.
pub(super) fn weakness(secret: &str) -> Option<String> {
    if is_published(secret) {
        return Some("published in a public list of JWT secrets".into());
    }
    let lower = secret.to_lowercase();
    if is_common_phrase(&lower) {
        return Some("mostly common words".into());
    }
    if is_repetition(lower.as_bytes()) {
        return Some("a shorter string repeated".into());
    }
    if let Some(why) = mostly_known_words(&lower) {
        return Some(why.into());
    }
    if mostly_sequential(lower.as_bytes()) {
        return Some("mostly a run of sequential or repeated characters".into());
    }
    let bits = bits_per_char(secret.chars());
    if bits < MIN_BITS_PER_CHAR {
        return Some(format!(
            "too few different characters ({bits:.1} bits per character, want {MIN_BITS_PER_CHAR:.1})"
        ));
    }
    None
}

/// The string is a shorter one repeated (`abcabcab…`): its smallest period is at most half
/// its length. Computed with the KMP failure function.
fn is_repetition(s: &[u8]) -> bool {
    let n = s.len();
    if n < 2 {
        return false;
    }
    let mut fail = vec![0usize; n];
    for i in 1..n {
        let mut k = fail[i - 1];
        while k > 0 && s[i] != s[k] {
            k = fail[k - 1];
        }
        if s[i] == s[k] {
            k += 1;
        }
        fail[i] = k;
    }
    let period = n - fail[n - 1];
    period * 2 <= n
}

/// More than half of the characters belong to runs that go up or down by one or stay, each
/// at least [`MIN_SEQUENCE_STEPS`] steps long (`0123456789…`, `abcdef…`, `aaaa…`).
fn mostly_sequential(s: &[u8]) -> bool {
    let mut in_runs = 0;
    let mut start = 0;
    while start < s.len() {
        let mut end = start;
        while end + 1 < s.len() && s[end].abs_diff(s[end + 1]) <= 1 {
            end += 1;
        }
        if end - start >= MIN_SEQUENCE_STEPS {
            in_runs += end - start + 1;
        }
        start = end + 1;
    }
    in_runs * 2 > s.len()
}

/// A phrase (at least [`MIN_PHRASE_WORDS`] words separated by white space) more than half of
/// whose words are common words or placeholders: ``Secret key. You can use `mix
/// guardian.gen.secret` to get one`` is 8 such words of 12. A word is a run of letters.
fn is_common_phrase(lower: &str) -> bool {
    if lower.split_whitespace().count() < MIN_PHRASE_WORDS {
        return false;
    }
    let known: HashSet<&str> = COMMON_WORDS
        .split_whitespace()
        .chain(SHORT_WORDS.split_whitespace())
        .chain(PLACEHOLDERS.iter().copied())
        .collect();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let common = words.iter().filter(|w| known.contains(*w)).count();
    common * 2 > words.len()
}

/// Removes placeholders and common words (in lower case, separators dropped) and measures what
/// is left; refuses when it is too little to guess.
fn mostly_known_words(lower: &str) -> Option<&'static str> {
    let chars: Vec<char> = lower
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.' | ' '))
        .collect();
    let mut covered = vec![false; chars.len()];
    let mut placeholder = false;
    for p in PLACEHOLDERS {
        let p: Vec<char> = p.chars().collect();
        let mut i = 0;
        while i + p.len() <= chars.len() {
            if chars[i..i + p.len()] == p[..] {
                covered[i..i + p.len()].fill(true);
                placeholder = true;
                i += p.len();
            } else {
                i += 1;
            }
        }
    }
    let words: HashSet<&str> = COMMON_WORDS.split_whitespace().collect();
    let mut start = 0;
    while start < chars.len() {
        let end = (start..chars.len())
            .find(|&i| !chars[i].is_alphabetic())
            .unwrap_or(chars.len());
        cover_words(&chars[start..end], &words, &mut covered[start..end]);
        start = end + 1;
    }
    let remainder = chars
        .iter()
        .zip(&covered)
        .filter(|(_, covered)| !**covered)
        .map(|(c, _)| *c);
    let left = remainder.clone().count() as f64 * bits_per_char(remainder);
    if left >= MIN_REMAINDER_BITS {
        None
    } else if placeholder {
        Some("a well-known placeholder, padded or repeated")
    } else {
        Some("mostly common words")
    }
}

/// Marks the letters of `run` that belong to common words, choosing the split that covers the
/// most letters (so `correcthorse…` is read as words even without spaces).
fn cover_words(run: &[char], words: &HashSet<&str>, covered: &mut [bool]) {
    const LONGEST: usize = 12;
    // best[i]: most letters of run[..i] coverable; from[i]: where the word ending at i starts.
    let mut best = vec![0usize; run.len() + 1];
    let mut from = vec![None; run.len() + 1];
    for i in 1..=run.len() {
        best[i] = best[i - 1];
        for j in i.saturating_sub(LONGEST)..i {
            let word: String = run[j..i].iter().collect();
            if best[j] + (i - j) > best[i] && words.contains(word.as_str()) {
                best[i] = best[j] + (i - j);
                from[i] = Some(j);
            }
        }
    }
    let mut i = run.len();
    while i > 0 {
        match from[i] {
            Some(j) => {
                covered[j..i].fill(true);
                i = j;
            }
            None => i -= 1,
        }
    }
}

/// Shannon entropy of the character frequencies, in bits per character.
fn bits_per_char(chars: impl Iterator<Item = char>) -> f64 {
    let mut counts = std::collections::HashMap::new();
    let mut n = 0usize;
    for c in chars {
        *counts.entry(c).or_insert(0usize) += 1;
        n += 1;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
#[path = "secret_strength_tests.rs"]
mod tests;
