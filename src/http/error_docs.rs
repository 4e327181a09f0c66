//! The error responses as the OpenAPI document shows them (`GET /openapi.json`), next to the
//! bodies they describe (`error_response.rs`). Handlers name them in their
//! `#[utoipa::path(responses(...))]`; `routes/openapi/` registers them as components and adds
//! the ones every operation of a kind can give (body errors, 401, 429, 431, 503).
//!
//! Each status lists every body shape bouncer sends with it, so a client generated from the
//! document parses them all (`docs/wire-contract.md`, "Error bodies").

use utoipa::openapi::schema::{AnyOf, Array, Object, Type};
use utoipa::openapi::{Content, Header, RefOr, Response, ResponseBuilder, Schema};
use utoipa::{PartialSchema, ToSchema};

use super::error_response::{ErrorDetail, OAuthError, TokenNotValid};

/// DRF's field errors: `{"field": ["message", ...]}`, `non_field_errors` for the body as a whole.
pub struct FieldErrors;

impl PartialSchema for FieldErrors {
    fn schema() -> RefOr<Schema> {
        Object::builder()
            .description(Some(
                "DRF's validation errors: each failing field (or `non_field_errors`) and its \
                 messages, every failing field at once.",
            ))
            .additional_properties(Some(
                Array::builder().items(Object::with_type(Type::String)),
            ))
            .examples([serde_json::json!({"username": ["This field is required."]})])
            .into()
    }
}

impl ToSchema for FieldErrors {}

fn reference<T: ToSchema>() -> RefOr<Schema> {
    RefOr::Ref(utoipa::openapi::Ref::from_schema_name(T::name()))
}

fn any_of(items: Vec<RefOr<Schema>>) -> RefOr<Schema> {
    let mut any_of = AnyOf::new();
    any_of.items = items;
    Schema::AnyOf(any_of).into()
}

fn integer_header(description: &str) -> Header {
    Header::builder()
        .schema(Object::with_type(Type::Integer))
        .description(Some(description))
        .build()
}

fn json(description: &str, schema: RefOr<Schema>) -> ResponseBuilder {
    Response::builder()
        .description(description)
        .content("application/json", Content::new(Some(schema)))
}

/// Implements `ToResponse` for a unit struct: component name, then the response. Also used by
/// the admin page's documented responses (`admin/docs.rs`).
macro_rules! error_response {
    ($(#[$doc:meta])* $name:ident => $build:expr) => {
        $(#[$doc])*
        pub struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (
                &'r str,
                utoipa::openapi::RefOr<utoipa::openapi::Response>,
            ) {
                (stringify!($name), $build.build().into())
            }
        }
    };
}
pub(crate) use error_response as unit_response;

error_response!(
    /// 400: field errors, or a body that could not be parsed (`detail`).
    BadRequest => json(
        "Field errors (`{\"field\": [\"message\"]}`, DRF's shape), or `{\"detail\"}` for a body \
         that could not be parsed or a bad `X-Refresh-Cookie` header, or RFC 6749's \
         `{\"error\", \"error_description\"}` for a bad DPoP proof at a token endpoint.",
        any_of(vec![
            reference::<FieldErrors>(),
            reference::<ErrorDetail>(),
            reference::<OAuthError>(),
        ]),
    )
);

error_response!(
    /// 401: simplejwt's `token_not_valid` with `messages` for a bad token in the header,
    /// `detail` (and a `code`) otherwise.
    Unauthorized => json(
        "Not authenticated: no credentials, a malformed `Authorization` header, a forged, \
         expired or revoked token or key, or wrong credentials. A bad token in the \
         `Authorization` header gets simplejwt's `token_not_valid` body with `messages`.",
        any_of(vec![reference::<TokenNotValid>(), reference::<ErrorDetail>()]),
    )
    .header(
        "WWW-Authenticate",
        Header::builder()
            .schema(Object::with_type(Type::String))
            .description(Some(
                "`Bearer realm=\"api\"`, or `Token` when a `Token` key was refused (RFC 6750 §3), \
                 or `DPoP error=\"invalid_dpop_proof\"` / `DPoP error=\"use_dpop_nonce\"` for a \
                 refused DPoP proof (RFC 9449 §7.1).",
            ))
            .build(),
    )
);

error_response!(
    /// 403: authenticated but not allowed, or a failed CSRF check in cookie mode.
    Forbidden => json(
        "Not allowed (`detail`); in cookie mode a missing or wrong `X-CSRF-Token` or a foreign \
         `Origin` (`code`: `csrf_missing`, `csrf_mismatch`, `origin_not_allowed`).",
        reference::<ErrorDetail>(),
    )
);

error_response!(
    /// 404.
    NotFound => json("No such object (`{\"detail\": \"Not found.\"}`).", reference::<ErrorDetail>())
);

error_response!(
    /// 413: the body is larger than `max_body_size`.
    PayloadTooLarge => json(
        "The body is larger than the `max_body_size` setting.",
        reference::<ErrorDetail>(),
    )
);

error_response!(
    /// 415: neither JSON nor form-encoded.
    UnsupportedMediaType => json(
        "The body is neither `application/json` nor `application/x-www-form-urlencoded`.",
        reference::<ErrorDetail>(),
    )
);

error_response!(
    /// 429: a throttle or the failed-login limits.
    TooManyRequests => json(
        "Throttled (a rate of `[throttle]`) or locked out after failed logins; retry after \
         `Retry-After` seconds.",
        reference::<ErrorDetail>(),
    )
    .header("Retry-After", integer_header("Whole seconds until a request would pass."))
    .header("RateLimit-Limit", integer_header("The throttle's limit (throttles only)."))
    .header("RateLimit-Remaining", integer_header("Requests left in the window (throttles only)."))
    .header(
        "RateLimit-Reset",
        integer_header("Seconds until the whole limit is available again (throttles only).")
    )
);

error_response!(
    /// 431: the headers are larger than `max_header_size`.
    HeadersTooLarge => json(
        "The request's headers are larger than the `max_header_size` setting.",
        reference::<ErrorDetail>(),
    )
);

error_response!(
    /// 503: the database (or Redis) could not be reached in time.
    Unavailable => json(
        "The database could not be reached or stayed locked past its timeout \
         (`code`: `service_unavailable`); retry after `Retry-After` seconds.",
        reference::<ErrorDetail>(),
    )
    .header("Retry-After", integer_header("Seconds to wait before retrying."))
);
