//! CORS for browser front ends on other origins, built from the `[cors]` settings.
//!
//! actix-cors answers preflight `OPTIONS` requests itself, before routing, so every path gets
//! one even when it only has a POST route (`/api/token/`). On other requests it adds
//! `Access-Control-Allow-Origin` (and `-Credentials`) to whatever the app answered, errors
//! included: a browser may only read a 401's JSON body when those headers are on it. A request
//! from an origin not listed is served as usual without CORS headers (the browser then hides
//! the reply from the page); a preflight from one is refused with a 400 without them. (Wrap
//! [`no_cors_headers_without_origin`] outside it: actix-cors 0.7 sends
//! `Access-Control-Allow-Credentials` and `-Expose-Headers` to every request, whatever its
//! origin.)
//! Fetch spec: <https://fetch.spec.whatwg.org/#http-cors-protocol>.

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS,
};
use actix_web::middleware::{Condition, Next};

use crate::settings::CorsSettings;

/// Response headers a page on another origin may read.
const EXPOSED_HEADERS: [&str; 6] = [
    "x-request-id",
    "retry-after",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    // The server nonce a DPoP client puts in its next proof (RFC 9449 §8).
    "dpop-nonce",
];

/// The CORS middleware the settings describe; a no-op when no origin is listed, so that no
/// CORS header is ever sent. Built once per worker (actix-cors is not `Send`).
pub fn cors(settings: &CorsSettings) -> Condition<Cors> {
    let mut cors = Cors::default()
        .allowed_methods(settings.allowed_methods.iter().map(String::as_str))
        .allowed_headers(settings.allowed_headers.iter().map(String::as_str))
        .max_age(usize::try_from(settings.max_age.as_secs()).unwrap_or(usize::MAX))
        // Not CORS-safelisted, so a page could not read them otherwise: the id to quote in a
        // support request, and when a throttled call may be retried.
        .expose_headers(EXPOSED_HEADERS);
    if settings.any_origin() {
        // Validation refused `*` with credentials: a literal `*` is then what browsers expect.
        cors = cors.allow_any_origin().send_wildcard();
    } else {
        for origin in &settings.allowed_origins {
            cors = cors.allowed_origin(origin);
        }
    }
    if settings.allow_credentials {
        cors = cors.supports_credentials();
    }
    Condition::new(settings.enabled(), cors)
}

/// Removes `Access-Control-Allow-Credentials` and `-Expose-Headers` from replies that allow no
/// origin. actix-cors adds them to every reply, including replies to origins it did not allow
/// and to requests with no `Origin`; alone they grant nothing, but a disallowed origin should
/// see no CORS header at all.
pub async fn no_cors_headers_without_origin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    if !headers.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(ACCESS_CONTROL_ALLOW_CREDENTIALS);
        headers.remove(ACCESS_CONTROL_EXPOSE_HEADERS);
    }
    Ok(res)
}
