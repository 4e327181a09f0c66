//! Unit tests for the Django-compatible validators; expected values come from Django 5.2.
use super::*;

const SIMILAR_TO_USERNAME: &str = "The password is too similar to the username.";
const SIMILAR_TO_EMAIL: &str = "The password is too similar to the email address.";

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// `validate_password`, under a name short enough to keep each case on one line.
fn check(password: &str, username: &str, email: &str) -> Vec<String> {
    validate_password(password, username, email)
}

fn username_error(raw: &str) -> Vec<String> {
    normalize_username(raw).expect_err(raw)
}

// Expected values below come from Django 5.2.19 and DRF 3.18.3 on CPython 3.11.

#[test]
fn quick_ratio_matches_python_difflib() {
    let cases = [
        ("abcd", "bcde", 0.75),
        ("password", "drowssap", 1.0),
        ("", "", 1.0),
        ("a", "", 0.0),
        ("johnsmith1", "johnsmith", 0.9473684210526315),
        ("aaab", "ab", 0.6666666666666666),
        ("ｊｏｈｎ", "john", 0.0),
        ("straße", "strasse", 0.7692307692307693),
        ("hello world", "world hello", 1.0),
        ("héllo", "hello", 0.8),
    ];
    for (a, b, expected) in cases {
        assert_eq!(
            quick_ratio(&chars(a), &chars(b)),
            expected,
            "{a:?} vs {b:?}"
        );
    }
}

#[test]
fn splitting_on_non_word_characters_matches_python_re_split() {
    assert_eq!(
        split_on_non_word("john.smith@example.com"),
        ["john", "smith", "example", "com"]
    );
    assert_eq!(split_on_non_word(".john."), ["", "john", ""]);
    assert_eq!(split_on_non_word("a..b"), ["a", "b"]);
    assert_eq!(split_on_non_word("ñandú_x-y"), ["ñandú_x", "y"]);
    assert_eq!(split_on_non_word("plain"), ["plain"]);
}

#[test]
fn a_password_similar_to_the_username_is_reported() {
    assert_eq!(check("johnsmith1", "johnsmith", ""), [SIMILAR_TO_USERNAME]);
    assert_eq!(check("JOHNSMITH!", "johnsmith", ""), [SIMILAR_TO_USERNAME]);
}

#[test]
fn a_password_similar_to_a_part_of_the_email_is_reported() {
    assert_eq!(
        check("Example123", "bob", "alice@example.com"),
        [SIMILAR_TO_EMAIL]
    );
    assert_eq!(
        check("alice1234", "bob", "alice@example.com"),
        [SIMILAR_TO_EMAIL]
    );
    assert_eq!(
        check("smith.jones", "bob", "john.smith@jones.com"),
        [SIMILAR_TO_EMAIL]
    );
}

#[test]
fn a_password_similar_to_the_whole_email_is_reported() {
    // 0.5 against the username "bob" and every part, exactly 0.7 against "bob@bob.com".
    assert_eq!(check("bobbobbob", "bob", "bob@bob.com"), [SIMILAR_TO_EMAIL]);
    assert_eq!(
        check("mail.example.org", "zed", "zed@mail.example.org"),
        [SIMILAR_TO_EMAIL]
    );
}

#[test]
fn only_the_first_similar_attribute_is_reported() {
    assert_eq!(
        check("johnsmith1", "johnsmith", "johnsmith@example.com"),
        [SIMILAR_TO_USERNAME]
    );
}

#[test]
fn a_username_far_shorter_than_the_password_is_skipped_by_the_length_ratio_rule() {
    let password = "xj".repeat(15);
    assert!(exceeds_maximum_length_ratio(30, MAX_SIMILARITY, 2));
    assert!(!exceeds_maximum_length_ratio(29, MAX_SIMILARITY, 3));
    assert!(check(&password, "xj", "").is_empty());
}

#[test]
fn an_empty_part_counts_as_similar_to_an_empty_password_as_in_django() {
    assert!(!exceeds_maximum_length_ratio(0, MAX_SIMILARITY, 0));
    assert_eq!(check("", "john.", ""), [SIMILAR_TO_USERNAME, TOO_SHORT]);
    assert_eq!(check("", "john", ""), [TOO_SHORT]);
}

#[test]
fn a_short_password_is_reported_as_too_short() {
    assert_eq!(check("Xq7!vz", "bob", ""), [TOO_SHORT]);
    // Length is in characters, not bytes: eight two-byte characters are enough.
    assert!(check("ééééééééé", "bob", "").is_empty());
    assert_eq!(check("éééé", "bob", ""), [TOO_SHORT]);
}

#[test]
fn a_common_password_is_reported_whatever_its_case_and_surrounding_whitespace() {
    assert_eq!(check("PASSWORD", "bob", ""), [TOO_COMMON]);
    assert_eq!(check("  password  ", "bob", ""), [TOO_COMMON]);
    assert_eq!(check("\u{1c}password\u{1f}", "bob", ""), [TOO_COMMON]);
}

#[test]
fn an_all_digit_password_is_reported_as_numeric() {
    assert_eq!(
        check("1234567890", "bob", ""),
        [TOO_COMMON, ENTIRELY_NUMERIC]
    );
    assert_eq!(check("٣١٤١٥٩٢٦٥٣", "bob", ""), [ENTIRELY_NUMERIC]);
    assert_eq!(check("²²²²²²²²²", "bob", ""), [ENTIRELY_NUMERIC]);
    // Python's isdigit is false for letter-numbers.
    assert!(check("ⅫⅫⅫⅫⅫⅫⅫⅫ", "bob", "").is_empty());
}

#[test]
fn every_failing_rule_is_reported_together_in_djangos_order() {
    assert_eq!(
        check("12345", "john", ""),
        [TOO_SHORT, TOO_COMMON, ENTIRELY_NUMERIC]
    );
}

#[test]
fn a_long_unrelated_password_is_accepted() {
    assert!(check("correct-horse-battery-42", "john", "john@example.com").is_empty());
}

#[test]
fn the_whole_django_common_password_list_is_loaded() {
    // Django 5.2.19's 20,000-line source list, after its lowercasing and deduplication.
    assert_eq!(COMMON_PASSWORDS.len(), 19_640);
    assert!(
        ["password", "12345", "qwertyuiop", "fallen_angel"]
            .iter()
            .all(|p| COMMON_PASSWORDS.contains(p))
    );
    assert!(
        COMMON_PASSWORDS
            .iter()
            .all(|p| !p.is_empty() && *p == p.to_lowercase())
    );
}

#[test]
fn a_valid_username_is_returned_unchanged() {
    for name in ["john", "user@x.com+tag-1_2", "José", "ñandú", "١٢٣", "张伟"] {
        assert_eq!(normalize_username(name).as_deref(), Ok(name));
    }
}

#[test]
fn a_username_is_nfkc_normalised() {
    assert_eq!(normalize_username("ｊｏｈｎ").as_deref(), Ok("john"));
    assert_eq!(normalize_username("ﬁnn").as_deref(), Ok("finn"));
    assert_eq!(normalize_username("Ⅻ").as_deref(), Ok("XII"));
    assert_eq!(normalize_username("e\u{301}mile").as_deref(), Ok("émile"));
}

#[test]
fn surrounding_spaces_are_stripped_from_a_username_as_drf_does() {
    assert_eq!(normalize_username("  john ").as_deref(), Ok("john"));
}

#[test]
fn a_trailing_newline_is_refused_not_stripped() {
    assert_eq!(username_error("john\n"), [INVALID_USERNAME]);
    assert_eq!(username_error("\tjohn"), [INVALID_USERNAME]);
}

#[test]
fn a_blank_username_is_rejected() {
    assert_eq!(username_error(""), [BLANK]);
    assert_eq!(username_error("   "), [BLANK]);
}

#[test]
fn a_username_with_forbidden_characters_is_rejected() {
    for name in [
        "a b",
        "jo\nhn",
        "john!",
        "jo\u{7}hn",
        "jo\u{85}hn",
        "नमस्ते",
        "1¼",
    ] {
        assert_eq!(username_error(name), [INVALID_USERNAME], "{name:?}");
    }
}

#[test]
fn a_username_with_a_nul_gets_both_django_messages() {
    assert_eq!(
        username_error("jo\0hn"),
        [INVALID_USERNAME, NULL_CHARACTERS]
    );
}

#[test]
fn a_username_over_150_characters_is_rejected() {
    assert_eq!(
        normalize_username(&"é".repeat(150)).map(|n| n.chars().count()),
        Ok(150)
    );
    assert_eq!(username_error(&"a".repeat(151)), [USERNAME_TOO_LONG]);
    assert_eq!(
        username_error(&"a!".repeat(76)),
        [INVALID_USERNAME, USERNAME_TOO_LONG]
    );
    // The limit applies to the stored, normalised form: U+FDFA expands to 18 characters.
    assert_eq!(
        username_error(&"\u{fdfa}".repeat(9)),
        [INVALID_USERNAME, USERNAME_TOO_LONG]
    );
}

#[test]
fn an_empty_email_is_allowed() {
    assert_eq!(validate_email("").as_deref(), Ok(""));
    assert_eq!(validate_email("  ").as_deref(), Ok(""));
}

#[test]
fn a_valid_email_is_accepted_with_its_domain_lowercased() {
    assert_eq!(
        validate_email("John@EXAMPLE.com").as_deref(),
        Ok("John@example.com")
    );
    assert_eq!(
        validate_email(" john@example.com\n").as_deref(),
        Ok("john@example.com")
    );
    for email in [
        "john@localhost",
        "john@[127.0.0.1]",
        "john@[::1]",
        "john@exämple.com",
        "john@example.xn--p1ai",
        "john@1.com",
        "o'neil+tag@mail.example.co.uk",
    ] {
        assert_eq!(validate_email(email).as_deref(), Ok(email), "{email:?}");
    }
    let longest_label = format!("john@{}.com", "a".repeat(63));
    assert!(validate_email(&longest_label).is_ok());
}

#[test]
fn an_invalid_email_is_rejected() {
    let too_long = format!(
        "{}@{}.com",
        "a".repeat(64),
        ["b".repeat(62), "c".repeat(62), "d".repeat(62)].join(".")
    );
    let long_label = format!("john@{}.com", "a".repeat(64));
    let cases = [
        "a@b@example.com",
        "john@example",
        "john.@example.com",
        ".john@example.com",
        "jo..hn@example.com",
        "jöhn@example.com",
        "john@-example.com",
        "john@example-.com",
        "john@ex_ample.com",
        "john@example.c",
        "john@example.c0m",
        "john@example.com.",
        "jo hn@example.com",
        "john@exa mple.com",
        "\"jo hn\"@example.com",
        "@example.com",
        "john@",
        "john@example..com",
        "john@.example.com",
        "john@123.123.123.123",
        "john@[IPv6:::1]",
        "john@[999.1.1.1]",
        "john@[01.1.1.1]",
        "john",
        "john@exa\u{200b}mple.com",
        "john@exa\u{3000}mple.com",
        "jo\0hn@example.com",
        "john@LOCALHOST",
        "ıi@example.com",
        &too_long,
        &long_label,
    ];
    assert!(too_long.chars().count() > EMAIL_MAX_LENGTH);
    for email in cases {
        assert_eq!(
            validate_email(email),
            Err(vec![INVALID_EMAIL.to_owned()]),
            "{email:?}"
        );
    }
}
