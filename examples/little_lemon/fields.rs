//! DRF's serializer fields, the few this app needs, with DRF's wording so a client written
//! for the Django project reads the same errors: `CharField`, `DecimalField` (kept as integer
//! cents) and `IntegerField`. Every field is read and every error collected before answering,
//! as a serializer's `is_valid()` does.
//!
//! Wording: rest_framework/fields.py (`default_error_messages`).

use std::collections::BTreeMap;

use bouncer::ApiError;
use serde_json::{Map, Value};

pub const REQUIRED: &str = "This field is required.";
const NULL: &str = "This field may not be null.";
const BLANK: &str = "This field may not be blank.";
const NOT_A_STRING: &str = "Not a valid string.";
const NOT_A_NUMBER: &str = "A valid number is required.";
const NOT_AN_INTEGER: &str = "A valid integer is required.";
const TOO_LONG: &str = "String value too large.";
/// DRF refuses longer numeric strings before parsing them (`MAX_STRING_LENGTH`).
const MAX_STRING_LENGTH: usize = 1000;

/// `DecimalField(max_digits, decimal_places)` kept as an integer of the smallest unit.
#[derive(Debug, Clone, Copy)]
pub struct Decimal {
    pub max_digits: usize,
    pub decimal_places: usize,
}

impl Decimal {
    /// Formats `units` (e.g. cents) with exactly `decimal_places` places, as DRF serialises
    /// a decimal: a string, so no float ever rounds a price.
    pub fn format(self, units: i64) -> String {
        let scale = 10_i64.pow(self.decimal_places as u32);
        let sign = if units < 0 { "-" } else { "" };
        let (whole, fraction) = (
            units.unsigned_abs() / scale as u64,
            units.unsigned_abs() % scale as u64,
        );
        if self.decimal_places == 0 {
            return format!("{sign}{whole}");
        }
        format!(
            "{sign}{whole}.{fraction:0width$}",
            width = self.decimal_places
        )
    }

    /// Parses a JSON number or numeric string into units, with DRF's checks of digits.
    pub fn parse(self, value: &Value) -> Result<i64, String> {
        let text = match value {
            Value::Number(n) => n.to_string(),
            Value::String(s) if s.len() > MAX_STRING_LENGTH => return Err(TOO_LONG.into()),
            Value::String(s) => s.trim().to_owned(),
            _ => return Err(NOT_A_NUMBER.into()),
        };
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(&text)),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
            return Err(NOT_A_NUMBER.into());
        }
        // Python's Decimal drops leading zeros of the whole part but keeps trailing zeros of
        // the fraction ("5.500" has three places), and DRF counts digits on that.
        let whole = whole.trim_start_matches('0');
        let whole_digits = whole.len();
        let places = fraction.len();
        if whole_digits + places > self.max_digits {
            return Err(format!(
                "Ensure that there are no more than {} digits in total.",
                self.max_digits
            ));
        }
        if places > self.decimal_places {
            return Err(format!(
                "Ensure that there are no more than {} decimal places.",
                self.decimal_places
            ));
        }
        if whole_digits > self.max_digits - self.decimal_places {
            return Err(format!(
                "Ensure that there are no more than {} digits before the decimal point.",
                self.max_digits - self.decimal_places
            ));
        }
        // At most `max_digits` digits now: this cannot overflow for any sane field.
        let padded = format!("{whole}{fraction:0<width$}", width = self.decimal_places);
        let units: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| NOT_A_NUMBER)?
        };
        Ok(if negative { -units } else { units })
    }
}

/// `IntegerField(min_value, max_value)`: JSON integers, numeric strings, and DRF's leniency
/// for a trailing `.0` (`"4.0"` is 4, `4.5` is not an integer).
pub fn parse_integer(value: &Value, min: i64, max: i64) -> Result<i64, String> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.len() > MAX_STRING_LENGTH => return Err(TOO_LONG.into()),
        Value::String(s) => s.trim().to_owned(),
        _ => return Err(NOT_AN_INTEGER.into()),
    };
    let text = match text.split_once('.') {
        Some((int, zeros)) if zeros.bytes().all(|b| b == b'0') => int,
        Some(_) => return Err(NOT_AN_INTEGER.into()),
        None => text.as_str(),
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(NOT_AN_INTEGER.into());
    }
    // Too many digits for an i64 is still a number, just out of range.
    let magnitude: i64 = digits.parse().unwrap_or(i64::MAX);
    let number = if negative { -magnitude } else { magnitude };
    if number > max {
        return Err(format!("Ensure this value is less than or equal to {max}."));
    }
    if number < min {
        return Err(format!(
            "Ensure this value is greater than or equal to {min}."
        ));
    }
    Ok(number)
}

/// `CharField(max_length)`: trimmed, not blank. Numbers are taken as their text, as DRF does.
pub fn parse_char(value: &Value, max_length: usize) -> Result<String, String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return Err(NOT_A_STRING.into()),
    };
    if text.is_empty() {
        return Err(BLANK.into());
    }
    if text.chars().count() > max_length {
        return Err(format!(
            "Ensure this field has no more than {max_length} characters."
        ));
    }
    Ok(text)
}

/// Reads fields out of a body, collecting every error. `partial` is PATCH: absent fields
/// are left alone instead of being required.
pub struct Reader<'a> {
    data: &'a Map<String, Value>,
    partial: bool,
    errors: BTreeMap<String, Vec<String>>,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a Map<String, Value>, partial: bool) -> Self {
        Self {
            data,
            partial,
            errors: BTreeMap::new(),
        }
    }

    /// The field parsed by `parse`; `None` when it is absent or wrong (the error recorded).
    pub fn field<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let error = match self.data.get(name) {
            None if self.partial => return None,
            None => REQUIRED.to_owned(),
            Some(Value::Null) => NULL.to_owned(),
            Some(value) => match parse(value) {
                Ok(parsed) => return Some(parsed),
                Err(message) => message,
            },
        };
        self.error(name, error);
        None
    }

    pub fn error(&mut self, name: &str, message: impl Into<String>) {
        self.errors
            .entry(name.to_owned())
            .or_default()
            .push(message.into());
    }

    /// 400 with every field error, or `Ok` when there were none.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }
}

#[cfg(test)]
#[path = "fields_tests.rs"]
mod tests;
