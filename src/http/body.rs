//! Request bodies as DRF reads them: JSON or form-encoded, fields checked one by one so every
//! field error is reported together (`{"username": ["This field is required."], ...}`).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use serde_json::{Map, Value};

use crate::error::{ApiError, FieldErrors};

/// The largest body accepted, registered as app data from `max_body_size`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

pub const REQUIRED: &str = "This field is required.";
pub const BLANK: &str = "This field may not be blank.";
const NULL: &str = "This field may not be null.";
const NOT_A_STRING: &str = "Not a valid string.";

/// The fields of a JSON object or form body.
#[derive(Debug, Default)]
pub struct FormData(Map<String, Value>);

impl FormData {
    pub fn from_map(map: Map<String, Value>) -> Self {
        Self(map)
    }

    /// Starts reading fields; errors accumulate until [`Fields::finish`].
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            data: &self.0,
            errors: FieldErrors::new(),
        }
    }

    fn parse(content_type: &str, body: &[u8]) -> Result<Self, ApiError> {
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media_type.as_str() {
            _ if body.is_empty() => Ok(Self::default()),
            "application/json" => match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => Ok(Self(map)),
                Ok(other) => Err(ApiError::Validation(FieldErrors::from([(
                    "non_field_errors".to_owned(),
                    vec![format!(
                        "Invalid data. Expected a dictionary, but got {}.",
                        json_kind(&other)
                    )],
                )]))),
                Err(e) => Err(ApiError::BadRequest(format!("JSON parse error - {e}"))),
            },
            "application/x-www-form-urlencoded" => {
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
                    .map(|pairs| {
                        Self(
                            pairs
                                .into_iter()
                                .map(|(k, v)| (k, Value::String(v)))
                                .collect(),
                        )
                    })
                    .map_err(|e| ApiError::BadRequest(format!("Form parse error - {e}")))
            }
            _ => Err(ApiError::UnsupportedMediaType(content_type.to_owned())),
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "list",
        Value::String(_) => "str",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
        Value::Object(_) => "dict",
    }
}

impl FromRequest for FormData {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(64 * 1024, |l| l.0);
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge(limit),
                _ => ApiError::BadRequest(format!("Could not read the request body: {e}")),
            })?;
            FormData::parse(&content_type, &body)
        })
    }
}

/// Trims whitespace but not control characters: "eve\n" must reach the validators and be
/// refused, not be silently turned into "eve".
fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() && !c.is_control())
}

/// Reads fields out of a [`FormData`], collecting DRF-worded errors per field.
pub struct Fields<'a> {
    data: &'a Map<String, Value>,
    errors: FieldErrors,
}

impl Fields<'_> {
    /// A required string field, returned exactly as sent (passwords are never trimmed).
    /// On error it records the error and returns "": call [`Fields::finish`] before use.
    pub fn required_raw(&mut self, name: &str) -> String {
        match self.string(name) {
            Some(Some(value)) if value.is_empty() => self.error(name, BLANK),
            Some(Some(value)) => value,
            Some(None) => String::new(),
            None => self.error(name, REQUIRED),
        }
    }

    /// A required string field with surrounding spaces trimmed, as DRF's CharField does.
    pub fn required(&mut self, name: &str) -> String {
        match self.string(name) {
            Some(Some(value)) if trim(&value).is_empty() => self.error(name, BLANK),
            Some(Some(value)) => trim(&value).to_owned(),
            Some(None) => String::new(),
            None => self.error(name, REQUIRED),
        }
    }

    /// An optional string field, trimmed; blank is allowed.
    pub fn optional(&mut self, name: &str) -> Option<String> {
        self.string(name).flatten().map(|v| trim(&v).to_owned())
    }

    /// Records errors found by a validator on an already-read field.
    pub fn add_errors(&mut self, name: &str, messages: Vec<String>) {
        if !messages.is_empty() {
            self.errors
                .entry(name.to_owned())
                .or_default()
                .extend(messages);
        }
    }

    /// `Ok` when no field had an error.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.errors))
        }
    }

    /// `None`: absent. `Some(None)`: present but unusable (error recorded). DRF's CharField
    /// accepts numbers as strings and refuses booleans, objects, arrays and null.
    fn string(&mut self, name: &str) -> Option<Option<String>> {
        let value = self.data.get(name)?;
        Some(match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Null => self.error(name, NULL),
            _ => self.error(name, NOT_A_STRING),
        })
    }

    fn error<T: Default>(&mut self, name: &str, message: &str) -> T {
        self.add_errors(name, vec![message.to_owned()]);
        T::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_json(body: &str) -> Result<FormData, ApiError> {
        FormData::parse("application/json", body.as_bytes())
    }

    #[test]
    fn missing_fields_are_all_reported() {
        let data = parse_json("{}").unwrap();
        let mut fields = data.fields();
        assert_eq!(fields.required("username"), "");
        assert_eq!(fields.required_raw("password"), "");
        let Err(ApiError::Validation(errors)) = fields.finish() else {
            panic!("expected errors")
        };
        assert_eq!(errors["username"], vec![REQUIRED]);
        assert_eq!(errors["password"], vec![REQUIRED]);
    }

    #[test]
    fn passwords_keep_their_whitespace_and_usernames_are_trimmed() {
        let data = parse_json(r#"{"username": " bob ", "password": " pw "}"#).unwrap();
        let mut fields = data.fields();
        assert_eq!(fields.required("username"), "bob");
        assert_eq!(fields.required_raw("password"), " pw ");
    }

    #[test]
    fn wrongly_typed_fields_are_refused() {
        let data = parse_json(r#"{"a": true, "b": {}, "c": null, "d": 42}"#).unwrap();
        let mut fields = data.fields();
        assert_eq!(fields.required("a"), "");
        assert_eq!(fields.required("b"), "");
        assert_eq!(fields.required("c"), "");
        assert_eq!(fields.required("d"), "42");
        let Err(ApiError::Validation(errors)) = fields.finish() else {
            panic!("expected errors")
        };
        assert_eq!(errors["a"], vec![NOT_A_STRING]);
        assert_eq!(errors["c"], vec![NULL]);
    }

    #[test]
    fn forms_and_other_media_types() {
        let form = FormData::parse("application/x-www-form-urlencoded", b"username=a%20b").unwrap();
        assert_eq!(form.fields().required("username"), "a b");
        assert!(matches!(
            FormData::parse("text/plain", b"x"),
            Err(ApiError::UnsupportedMediaType(_))
        ));
        assert!(matches!(parse_json("[1]"), Err(ApiError::Validation(_))));
        assert!(matches!(parse_json("{"), Err(ApiError::BadRequest(_))));
    }
}
