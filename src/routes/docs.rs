//! `GET /docs`: the OpenAPI document rendered by RapiDoc, from files embedded in the binary
//! (`docs_assets/`, with their source and licence): no CDN, so the page works offline.
//!
//! The page runs a third-party script next to a form that sends tokens, so its
//! Content-Security-Policy allows this origin only: no inline script, no other host (the
//! bundle's default Google Fonts are never fetched), no framing. RapiDoc styles its shadow
//! DOM from script, which `style-src 'self'` does not cover, hence `'unsafe-inline'` for
//! styles alone.

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};

const PAGE: &[u8] = include_bytes!("docs_assets/index.html");
const RAPIDOC: &[u8] = include_bytes!("docs_assets/rapidoc-9.3.8.min.js");

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                   img-src 'self' data:; font-src 'self'; connect-src 'self'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/// The page.
#[utoipa::path(get, path = "/docs", tag = "operations",
    summary = "This document as a web page",
    responses((status = 200, description = "This document, rendered by RapiDoc.",
        content_type = "text/html", body = String)))]
pub async fn page() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CONTENT_SECURITY_POLICY, CSP))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(PAGE)
}

/// RapiDoc's script; its name carries its version, so it may be cached for good.
#[utoipa::path(get, path = "/docs/rapidoc-9.3.8.min.js", tag = "operations",
    summary = "The web page's script",
    responses((status = 200, description = "RapiDoc 9.3.8 (MIT), for the page.",
        content_type = "text/javascript", body = String)))]
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(RAPIDOC)
}
