//! DPoP on the HTTP side: the `DPoP` header and the URL a proof's `htu` must name, for
//! protected routes (the authenticator) and the token endpoints (`dpop_endpoint.rs`).

use actix_web::HttpRequest;
use actix_web::http::header::HOST;

use crate::dpop::{DpopGuard, ProofRequest};
use crate::error::{ApiError, TokenContext};
use crate::tokens::VerifiedProof;

/// The `DPoP` header. Exactly one is allowed (RFC 9449 §4.3, check 1); `Ok(None)` when absent.
pub(super) fn proof_header(
    req: &HttpRequest,
    context: TokenContext,
) -> Result<Option<&str>, ApiError> {
    let invalid = |reason| ApiError::InvalidDpopProof { reason, context };
    let mut values = req.headers().get_all("dpop");
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid("send exactly one DPoP header"));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| invalid("the DPoP header is not a JWT"))
}

/// The URL the client addressed, without query: `dpop.public_url` and the path, or
/// `http://` and the `Host` header (forwarded headers are not trusted for this: a proxy in
/// front terminating TLS means `dpop.public_url` must be set).
fn request_url(req: &HttpRequest, guard: &DpopGuard) -> String {
    let path = req.path();
    if let Some(base) = guard.public_url() {
        return format!("{base}{path}");
    }
    let host = req
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default();
    format!("http://{host}{path}")
}

/// The proof checked against this request; `access_token` on a protected route.
pub(super) fn check_proof(
    req: &HttpRequest,
    guard: &DpopGuard,
    proof: &str,
    access_token: Option<&str>,
    context: TokenContext,
    now: i64,
) -> Result<VerifiedProof, ApiError> {
    let url = request_url(req, guard);
    let request = ProofRequest {
        proof,
        method: req.method().as_str(),
        url: &url,
        access_token,
        context,
    };
    guard.check(&request, now)
}
