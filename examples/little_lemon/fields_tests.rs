//! DRF's field checks, without HTTP.

use serde_json::json;

use super::*;

const PRICE: Decimal = Decimal {
    max_digits: 6,
    decimal_places: 2,
};

#[test]
fn prices_parse_from_numbers_and_strings_into_cents() {
    for (value, cents) in [
        (json!("5.50"), 550),
        (json!(5.5), 550),
        (json!(12), 1200),
        (json!(" 0.05 "), 5),
        (json!("007"), 700),
        (json!(".5"), 50),
        (json!("9999.99"), 999_999),
        (json!("-1"), -100),
    ] {
        assert_eq!(PRICE.parse(&value), Ok(cents), "{value}");
    }
}

#[test]
fn prices_are_refused_with_drf_s_words() {
    let digits = "Ensure that there are no more than 6 digits in total.";
    for (value, error) in [
        (json!("abc"), NOT_A_NUMBER),
        (json!(""), NOT_A_NUMBER),
        (json!("."), NOT_A_NUMBER),
        (json!("1e3"), NOT_A_NUMBER),
        (json!("NaN"), NOT_A_NUMBER),
        (json!(true), NOT_A_NUMBER),
        (json!([1]), NOT_A_NUMBER),
        (
            json!("5.555"),
            "Ensure that there are no more than 2 decimal places.",
        ),
        (
            json!("12345.5"),
            "Ensure that there are no more than 4 digits before the decimal point.",
        ),
        (json!("123456789012345678901234567890"), digits),
    ] {
        assert_eq!(PRICE.parse(&value), Err(error.to_owned()), "{value}");
    }
}

#[test]
fn prices_are_written_with_two_places() {
    assert_eq!(PRICE.format(550), "5.50");
    assert_eq!(PRICE.format(5), "0.05");
    assert_eq!(PRICE.format(999_999), "9999.99");
}

#[test]
fn integers_accept_what_drf_accepts_and_check_their_range() {
    assert_eq!(parse_integer(&json!(4), 0, 5), Ok(4));
    assert_eq!(parse_integer(&json!("4"), 0, 5), Ok(4));
    assert_eq!(parse_integer(&json!("4.0"), 0, 5), Ok(4));
    assert_eq!(parse_integer(&json!(4.0), 0, 5), Ok(4));
    for bad in [
        json!(4.5),
        json!("four"),
        json!(""),
        json!(true),
        json!("4."),
    ] {
        let expected = if bad == json!("4.") {
            Ok(4)
        } else {
            Err(NOT_AN_INTEGER.to_owned())
        };
        assert_eq!(parse_integer(&bad, 0, 5), expected, "{bad}");
    }
    assert_eq!(
        parse_integer(&json!(6), 0, 5),
        Err("Ensure this value is less than or equal to 5.".to_owned())
    );
    assert_eq!(
        parse_integer(&json!("-1"), 0, 5),
        Err("Ensure this value is greater than or equal to 0.".to_owned())
    );
    assert_eq!(
        parse_integer(&json!("99999999999999999999999"), 0, 5),
        Err("Ensure this value is less than or equal to 5.".to_owned())
    );
}

#[test]
fn a_small_integer_fields_range_is_worded_as_drf_words_min_and_max_value() {
    // `ModelSerializer` maps a `SmallIntegerField` to `IntegerField(min_value=-32768,
    // max_value=32767)`.
    let small = |v| parse_integer(&v, -32768, 32767);
    assert_eq!(small(json!(32767)), Ok(32767));
    assert_eq!(small(json!("-32768")), Ok(-32768));
    assert_eq!(
        small(json!(32768)),
        Err("Ensure this value is less than or equal to 32767.".to_owned())
    );
    assert_eq!(
        small(json!("-32769")),
        Err("Ensure this value is greater than or equal to -32768.".to_owned())
    );
}
