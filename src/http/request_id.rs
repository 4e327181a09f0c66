//! `X-Request-Id`: every request gets an id, every response carries it, and every log and
//! audit line written while the request runs names it (the task-local of `logging.rs`).
//!
//! A client's (or a proxy's) id is kept when it is 1 to [`MAX_LEN`] characters of
//! `[A-Za-z0-9._:-]`. That set holds UUIDs, ULIDs, W3C trace ids, base64url and
//! `host:counter` styles, and nothing that needs escaping in a plain `key=value` line or in
//! JSON: no space, quote, backslash, `=`, `;` or control character, so an id can neither end a
//! log line nor forge a field. Anything else (empty, too long, non-ASCII, control characters)
//! is replaced by a fresh UUIDv7 (time-ordered, so ids sort by arrival) and is never logged:
//! the access line shows only the id in use.
//!
//! This middleware is the outermost one, so the id is in place before any other runs, and
//! every response (404, 405, 429, 431 from the header limit, CORS preflights, errors) gets
//! the header. It also writes the access line, inside the request's scope; actix's `Logger`
//! writes when the body is dropped, outside it, and could not carry the id.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::logging::REQUEST_ID;

pub const HEADER: &str = "x-request-id";
/// The longest id kept as sent.
pub const MAX_LEN: usize = 128;

/// The id sent, when it may be kept as it is.
fn acceptable(value: &[u8]) -> Option<&str> {
    let ok = !value.is_empty()
        && value.len() <= MAX_LEN
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    // Every byte is ASCII, so this never fails.
    ok.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// The request's id: the one sent if acceptable (the first `X-Request-Id` header), else new.
pub fn choose(sent: Option<&[u8]>) -> Arc<str> {
    match sent.and_then(acceptable) {
        Some(id) => Arc::from(id),
        None => Arc::from(uuid::Uuid::now_v7().to_string()),
    }
}

/// Gives the request its id, runs it inside the id's scope, returns the id in the response,
/// and writes the access line.
pub async fn tag_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = choose(req.headers().get(HEADER).map(HeaderValue::as_bytes));
    let outcome = REQUEST_ID
        .scope(id.clone(), async move { next.call(req).await })
        .await;
    let header = HeaderValue::from_str(&id).ok();
    match outcome {
        Ok(mut response) => {
            if let Some(value) = header {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(HEADER), value);
            }
            REQUEST_ID.sync_scope(id, || access_line(&response, started));
            Ok(response)
        }
        // An error no inner layer turned into a response: actix builds its response after
        // this middleware, so the header goes on a response built here, carried by the error.
        Err(error) => {
            let mut response = error.error_response();
            if let Some(value) = header {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(HEADER), value);
            }
            REQUEST_ID.sync_scope(id, || {
                log::info!(target: "bouncer::access", "error response {}", response.status());
            });
            Err(InternalError::from_response(error, response).into())
        }
    }
}

/// `127.0.0.1 "POST /api/token/ HTTP/1.1" 200 512 3.2ms`. Never headers, bodies or the query
/// string: they carry tokens and passwords.
fn access_line<B: MessageBody>(response: &ServiceResponse<B>, started: Instant) {
    // Benchmarks and quiet deployments run at `warn`: then nothing here is worth formatting.
    if !log::log_enabled!(target: "bouncer::access", log::Level::Info) {
        return;
    }
    let req = response.request();
    let peer = req
        .peer_addr()
        .map_or_else(|| "-".to_owned(), |a| a.ip().to_string());
    let size = match response.response().body().size() {
        BodySize::Sized(n) => n.to_string(),
        _ => "-".to_owned(),
    };
    log::info!(
        target: "bouncer::access",
        "{peer} \"{} {} {:?}\" {} {size} {:.1}ms",
        req.method(),
        req.path(),
        req.version(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_of_the_safe_set_is_kept() {
        let id = "0190a1b2-c3d4_e5f6.trace:7";
        assert_eq!(&*choose(Some(id.as_bytes())), id);
        let longest = "a".repeat(MAX_LEN);
        assert_eq!(&*choose(Some(longest.as_bytes())), longest);
    }

    #[test]
    fn anything_else_is_replaced_by_a_new_uuid() {
        let too_long = "a".repeat(MAX_LEN + 1);
        let bad: [&[u8]; 7] = [
            b"",
            too_long.as_bytes(),
            b"a b",
            b"id\nforged=1",
            b"id\x00",
            "caf\u{e9}".as_bytes(),
            b"a=b;c\"",
        ];
        for sent in bad {
            let id = choose(Some(sent));
            assert_ne!(id.as_bytes(), sent);
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
        }
    }

    #[test]
    fn an_absent_id_is_generated_and_ids_differ() {
        assert_ne!(choose(None), choose(None));
    }
}
