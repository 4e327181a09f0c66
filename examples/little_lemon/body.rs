//! Request bodies as DRF's default parsers read them: a JSON object or a form-encoded body
//! (what the tutorial's Insomnia requests send), both turned into one map of fields so the
//! validators in `fields.rs` need not care which it was. Anything else is a 415.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use bouncer::ApiError;
use serde_json::{Map, Value};

/// The fields of a request body; form values arrive as JSON strings.
///
/// Handlers take `Result<Body, actix_web::Error>` rather than `Body`: actix polls extractors
/// side by side, so a body error could otherwise overtake a pending permission check (a key
/// lookup) and answer 400 where DRF answers 401 or 403. The handler reports it after.
#[derive(Debug, Default)]
pub struct Body(pub Map<String, Value>);

impl Body {
    fn parse(content_type: &str, bytes: &[u8]) -> Result<Self, ApiError> {
        let media_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match media_type.as_str() {
            // No body at all: every required field is then reported as missing.
            _ if bytes.is_empty() => Ok(Self::default()),
            "application/json" => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(map)) => Ok(Self(map)),
                Ok(_) => Err(ApiError::Validation(
                    [(
                        "non_field_errors".to_owned(),
                        vec!["Invalid data. Expected a dictionary.".to_owned()],
                    )]
                    .into(),
                )),
                Err(e) => Err(ApiError::BadRequest(format!("JSON parse error - {e}"))),
            },
            "application/x-www-form-urlencoded" => {
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
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

impl FromRequest for Body {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type = req
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        // Bounded by the `web::PayloadConfig` bouncer registers from `max_body_size`; its 413
        // gets bouncer's JSON body from the app's error handler.
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await?;
            Ok(Self::parse(&content_type, &bytes)?)
        })
    }
}
