//! DPoP at the token endpoints: the proof that binds a login's or a refresh's tokens, and
//! the nonce their answers hand out.

use actix_web::{HttpRequest, web};

use super::authenticator::Authenticator;
use super::dpop_request::{check_proof, proof_header};
use crate::clock;
use crate::error::{ApiError, TokenContext};
use crate::tokens::Thumbprint;

/// At a token endpoint: the key of the request's DPoP proof, checked and remembered, or
/// `None` when it sent none (or DPoP is off: the header is then ignored, RFC 9449 §5).
pub async fn token_endpoint_key(req: &HttpRequest) -> Result<Option<Thumbprint>, ApiError> {
    let Some(guard) = req
        .app_data::<web::Data<Authenticator>>()
        .and_then(|auth| auth.dpop().cloned())
    else {
        return Ok(None);
    };
    let Some(proof) = proof_header(req, TokenContext::Body)? else {
        return Ok(None);
    };
    let now = clock::now();
    let proof = check_proof(req, &guard, proof, None, TokenContext::Body, now)?;
    guard.remember(&proof, TokenContext::Body, now).await?;
    Ok(Some(proof.jkt))
}

/// The nonce a token response hands out (`DPoP-Nonce`), when nonces are required.
pub fn current_nonce(req: &HttpRequest) -> Option<String> {
    req.app_data::<web::Data<Authenticator>>()
        .and_then(|auth| auth.dpop().and_then(|g| g.current_nonce(clock::now())))
}
