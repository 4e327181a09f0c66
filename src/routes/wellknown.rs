//! `GET /.well-known/jwks.json` and `GET /.well-known/openid-configuration`: what another
//! service needs to verify bouncer's tokens by itself.
//!
//! The JWKS (RFC 7517) lists the public part of every asymmetric key that still verifies:
//! next keys (published a `jwks_max_age` before they sign), the active key, and retired keys
//! until their tokens have expired. HMAC secrets are never listed. The metadata document
//! names only what is true of bouncer: it is not an OpenID provider (no ID tokens, no
//! authorization or OAuth token endpoint), so it serves `issuer` and `jwks_uri` alone.

use std::sync::Arc;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::clock;
use crate::tokens::JwtKeys;

/// What the two documents are made of; registered as `web::Data<WellKnown>`.
pub struct WellKnown {
    keys: Arc<JwtKeys>,
    cache_control: HeaderValue,
    issuer: Option<String>,
}

impl WellKnown {
    pub fn new(keys: Arc<JwtKeys>, jwks_max_age: i64, issuer: Option<String>) -> Self {
        let cache_control = HeaderValue::from_str(&format!("public, max-age={jwks_max_age}"))
            .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
        Self {
            keys,
            cache_control,
            issuer,
        }
    }
}

pub async fn jwks(well_known: web::Data<WellKnown>) -> HttpResponse {
    let body = well_known.keys.ring().jwks(clock::now());
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, well_known.cache_control.clone()))
        .json(body)
}

#[derive(Serialize)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
}

/// `issuer` is the `issuer` setting when set (tokens then carry it as `iss`), otherwise this
/// server's own origin as the request reached it.
pub async fn openid_configuration(
    req: HttpRequest,
    well_known: web::Data<WellKnown>,
) -> HttpResponse {
    let info = req.connection_info();
    let origin = format!("{}://{}", info.scheme(), info.host());
    let base = well_known
        .issuer
        .as_deref()
        .filter(|i| i.starts_with("https://") || i.starts_with("http://"))
        .unwrap_or(&origin)
        .trim_end_matches('/')
        .to_owned();
    let metadata = Metadata {
        issuer: well_known.issuer.clone().unwrap_or_else(|| origin.clone()),
        jwks_uri: format!("{base}/.well-known/jwks.json"),
    };
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, well_known.cache_control.clone()))
        .json(metadata)
}
