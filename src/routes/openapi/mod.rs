//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the code. Each handler
//! carries its operation (`#[utoipa::path]`: path, body, security, its own outcomes) and each
//! body type its schema (`ToSchema`); this module lists the handlers and adds what is true of
//! every operation of a kind (`rules.rs`). The document is built once, on first request.
//!
//! Adding a route: annotate its handler with `#[utoipa::path(...)]` (see any handler in
//! `users.rs`) and list the handler in `paths(...)` below. `completeness_tests.rs` compares
//! the paths wired in `routes/mod.rs` with this document and names whatever is missing.

mod rules;

use rules::Rules;

use std::sync::LazyLock;

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::web::Bytes;
use utoipa::{Modify, OpenApi};

use crate::error::ApiError;
use crate::http::error_docs::{
    BadRequest, FieldErrors, Forbidden, HeadersTooLarge, NotFound, PayloadTooLarge,
    TooManyRequests, Unauthorized, Unavailable, UnsupportedMediaType,
};
use crate::http::error_response::{
    ErrorDetail, MfaRequiredBody, OAuthError, TokenMessage, TokenNotValid,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "bouncer",
        description = "A stateless JWT authentication service speaking the wire dialect of \
            djangorestframework-simplejwt, djoser and DRF authtoken. Request bodies are JSON or \
            form-encoded; every error is JSON (`detail`, field errors, or simplejwt's \
            `token_not_valid`).",
        license(name = "MIT", identifier = "MIT"),
    ),
    paths(
        super::health::healthz,
        super::health::readyz,
        super::metrics::metrics,
        super::wellknown::jwks,
        super::wellknown::openid_configuration,
        openapi_json,
        super::docs::page,
        super::docs::script,
        super::demo::secret,
        super::demo::manager_view,
        super::demo::throttle_check,
        super::demo::throttle_check_auth,
        super::users::register,
        super::users::list,
        super::users::me,
        super::users::update_me,
        super::users::delete_me,
        super::users::set_password,
        super::users::set_username,
        super::recovery::reset_password,
        super::recovery::reset_password_confirm,
        super::recovery::activation,
        super::recovery::resend_activation,
        super::users::detail,
        super::users::update,
        super::users::delete,
        super::tokens::logout,
        super::sessions::list_own,
        super::sessions::end_own,
        super::sessions::list_of_user,
        super::sessions::end_all_of_user,
        super::sessions::end_one_of_user,
        super::keys::obtain_token,
        super::keys::login,
        super::keys::logout,
        super::groups::list,
        super::groups::add_user,
        super::groups::remove_user,
        super::tokens::obtain,
        super::tokens::refresh,
        super::tokens::verify,
        super::tokens::blacklist,
        super::mfa::status,
        super::mfa::enrol,
        super::mfa::confirm,
        super::mfa::disable,
        super::mfa::regenerate,
        super::mfa::verify,
        super::mfa::reset_of_user,
    ),
    components(
        schemas(ErrorDetail, FieldErrors, TokenNotValid, TokenMessage, OAuthError),
        schemas(MfaRequiredBody),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, PayloadTooLarge,
            UnsupportedMediaType, TooManyRequests, HeadersTooLarge, Unavailable,
        ),
    ),
    tags(
        (name = "tokens", description = "simplejwt's JWT views (and djoser's `/auth/jwt/` \
            aliases) and logout; cookie mode keeps the refresh token in an HttpOnly cookie."),
        (name = "keys",
            description = "Opaque `Token` keys: DRF authtoken and djoser's token views."),
        (name = "users", description = "djoser's user endpoints."),
        (name = "recovery", description = "djoser's e-mail flows: password reset and activation."),
        (name = "sessions",
            description = "Device sessions: each refresh-token login or `Token` key."),
        (name = "groups", description = "Group membership, for staff."),
        (name = "demo", description = "The tutorials' demo views."),
        (name = "mfa", description = "Two-factor login with an authenticator app (TOTP): \
            enrolment, recovery codes, and finishing a login that answered `mfa_required` \
            (401 with `MfaRequiredBody`)."),
        (name = "operations", description = "Liveness, public keys, this document."),
    ),
)]
struct ApiDoc;

/// The document as served: built once, then shared by every request. It depends on the code
/// alone, never on settings, so one copy for the process is right.
static DOCUMENT: LazyLock<Result<Bytes, String>> = LazyLock::new(|| {
    serde_json::to_vec(&document())
        .map(Bytes::from)
        .map_err(|e| format!("serialising the OpenAPI document failed: {e}"))
});

/// The document with every rule applied.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = ApiDoc::openapi().merge_from(crate::admin::AdminDoc::openapi());
    Rules.modify(&mut document);
    document
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    summary = "This OpenAPI document",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.",
        body = Object)))]
pub async fn openapi_json() -> Result<HttpResponse, ApiError> {
    let body = DOCUMENT
        .as_ref()
        .map_err(|e| ApiError::Internal(e.clone()))?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(body.clone()))
}

#[cfg(test)]
#[path = "completeness_tests.rs"]
mod completeness_tests;
