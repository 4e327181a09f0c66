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
use utoipa::ToSchema;

use crate::clock;
use crate::tokens::JwtKeys;

/// What the two documents are made of; registered as `web::Data<WellKnown>`.
pub struct WellKnown {
    keys: Arc<JwtKeys>,
    cache_control: HeaderValue,
    issuer: Option<String>,
    /// `[dpop]` on: the proof algorithms accepted.
    dpop_algorithms: Option<Vec<String>>,
}

impl WellKnown {
    pub fn new(keys: Arc<JwtKeys>, jwks_max_age: i64, issuer: Option<String>) -> Self {
        let cache_control = HeaderValue::from_str(&format!("public, max-age={jwks_max_age}"))
            .unwrap_or_else(|_| HeaderValue::from_static("no-cache"));
        Self {
            keys,
            cache_control,
            issuer,
            dpop_algorithms: None,
        }
    }

    /// Lists `dpop_signing_alg_values_supported` (RFC 9449 §5.1) in the metadata.
    pub fn with_dpop_algorithms(mut self, algorithms: Option<Vec<String>>) -> Self {
        self.dpop_algorithms = algorithms;
        self
    }
}

/// What the document shows for the JWKS: `keys`, each the public part of a key.
#[derive(ToSchema)]
#[schema(as = JwkSet)]
#[expect(dead_code, reason = "the document's view of `KeyRing::jwks`")]
struct JwkSetDoc {
    keys: Vec<JwkDoc>,
}

/// One public key (RFC 7517 §4): `OKP` (Ed25519: `crv`, `x`), `EC` (P-256: `crv`, `x`, `y`)
/// or `RSA` (`n`, `e`). HMAC secrets are never listed.
#[derive(ToSchema)]
#[schema(as = Jwk)]
#[expect(
    dead_code,
    reason = "the document's view of one key of `KeyRing::jwks`"
)]
struct JwkDoc {
    #[schema(examples("OKP", "EC", "RSA"))]
    kty: String,
    kid: String,
    #[schema(examples("EdDSA", "ES256", "RS256"))]
    alg: String,
    /// Always `sig`.
    #[schema(rename = "use")]
    use_: String,
    #[schema(nullable = false)]
    crv: Option<String>,
    #[schema(nullable = false)]
    x: Option<String>,
    #[schema(nullable = false)]
    y: Option<String>,
    #[schema(nullable = false)]
    n: Option<String>,
    #[schema(nullable = false)]
    e: Option<String>,
}

#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "operations",
    summary = "Public signing keys (JWKS)",
    responses((status = 200, description = "The public keys that verify bouncer's tokens.",
        body = JwkSetDoc,
        headers(("Cache-Control" = String, description = "`public, max-age=<jwks_max_age>`")))))]
pub async fn jwks(well_known: web::Data<WellKnown>) -> HttpResponse {
    let body = well_known.keys.ring().jwks(clock::now());
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, well_known.cache_control.clone()))
        .json(body)
}

/// RFC 8414-style metadata: only what is true of bouncer.
#[derive(Serialize, ToSchema)]
#[schema(as = OpenIdConfiguration)]
struct Metadata {
    issuer: String,
    jwks_uri: String,
    /// The `alg` values a DPoP proof may use (RFC 9449 §5.1); absent when DPoP is off.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    dpop_signing_alg_values_supported: Option<Vec<String>>,
}

/// `issuer` is the `issuer` setting when set (tokens then carry it as `iss`), otherwise this
/// server's own origin as the request reached it.
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "operations",
    summary = "Issuer metadata",
    responses((status = 200, description = "`issuer` and `jwks_uri`.", body = Metadata,
        headers(("Cache-Control" = String, description = "`public, max-age=<jwks_max_age>`")))))]
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
        dpop_signing_alg_values_supported: well_known.dpop_algorithms.clone(),
    };
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, well_known.cache_control.clone()))
        .json(metadata)
}
