//! Request bodies as DRF reads them: JSON or form-encoded, fields checked one by one so every
//! field error is reported together (`{"username": ["This field is required."], ...}`).
//!
//! Each route declares a typed request struct that implements [`FromFields`] and takes
//! [`Form<T>`] as an argument: the body is parsed, every field read and validated, and the
//! handler only runs when all of them are fine.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use serde_json::{Map, Value};

use crate::credentials::BLANK;
pub use crate::credentials::REQUIRED;
use crate::error::{ApiError, FieldErrors};

/// The largest body accepted, registered as app data from `max_body_size`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

const NULL: &str = "This field may not be null.";
const NOT_A_STRING: &str = "Not a valid string.";
const NOT_A_BOOLEAN: &str = "Must be a valid boolean.";

/// The fields of a body, whether it came as a JSON object or form-encoded.
#[derive(Debug, Default)]
pub struct BodyFields(Map<String, Value>);

/// A typed request body, read field by field from [`BodyFields`].
pub trait FromFields: Sized {
    /// Reads and validates every field, recording errors in `fields`; the value is only used
    /// when no error was recorded.
    fn from_fields(fields: &mut FieldReader<'_>) -> Self;
}

/// Extractor of a typed request body: 400 with every field error, or the value.
#[derive(Debug)]
pub struct Form<T>(pub T);

impl BodyFields {
    /// The fields as read (form values as JSON strings), for apps with validators of their own.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Starts reading fields; errors accumulate until [`FieldReader::finish`].
    pub fn fields(&self) -> FieldReader<'_> {
        FieldReader {
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

impl FromRequest for BodyFields {
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
            BodyFields::parse(&content_type, &body)
        })
    }
}

/// Trims whitespace but not control characters: "eve\n" must reach the validators and be
/// refused, not be silently turned into "eve".
fn trim(value: &str) -> &str {
    value.trim_matches(|c: char| c.is_whitespace() && !c.is_control())
}

impl<T: FromFields + 'static> FromRequest for Form<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = BodyFields::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            let mut fields = body.fields();
            let value = T::from_fields(&mut fields);
            fields.finish()?;
            Ok(Form(value))
        })
    }
}

/// Reads fields out of [`BodyFields`], collecting DRF-worded errors per field.
pub struct FieldReader<'a> {
    data: &'a Map<String, Value>,
    errors: FieldErrors,
}

impl FieldReader<'_> {
    /// A required string field, returned exactly as sent (passwords are never trimmed).
    /// On error it records the error and returns "": call [`FieldReader::finish`] before use.
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

    /// A field that may be left out, but when sent follows [`FieldReader::required`]'s rules
    /// (not blank): a refresh token that may come from the cookie instead.
    pub fn sent_or_absent(&mut self, name: &str) -> Option<String> {
        self.data.contains_key(name).then(|| self.required(name))
    }

    /// An optional string field exactly as sent (a password): never trimmed.
    pub fn optional_raw(&mut self, name: &str) -> Option<String> {
        self.string(name).flatten()
    }

    /// An optional string field, trimmed; blank is allowed.
    pub fn optional(&mut self, name: &str) -> Option<String> {
        self.string(name).flatten().map(|v| trim(&v).to_owned())
    }

    /// An optional boolean field, read as DRF's `BooleanField` reads it: JSON booleans, or
    /// `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off` in any case.
    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        let value = self.data.get(name)?;
        let text = match value {
            Value::Bool(b) => return Some(*b),
            Value::Number(n) => n.to_string(),
            Value::String(s) => trim(s).to_ascii_lowercase(),
            _ => String::new(),
        };
        match text.as_str() {
            "true" | "1" | "yes" | "on" | "t" | "y" => Some(true),
            "false" | "0" | "no" | "off" | "f" | "n" => Some(false),
            _ => self.error(name, NOT_A_BOOLEAN),
        }
    }

    /// Where validators of already-read fields add their errors.
    pub fn errors_mut(&mut self) -> &mut FieldErrors {
        &mut self.errors
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
#[path = "body_tests.rs"]
mod tests;
