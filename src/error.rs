//! `ApiError`: every outcome a client can see, mapped to status and JSON in one place.
//!
//! Bodies follow the Django REST framework / simplejwt dialect (`../shared/compat.md`).
//! Internal errors are logged with their cause and reach the client as a generic 500 body.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::auth::jwt::TokenError;

/// `{"field": ["message", ...]}`, DRF's shape for validation errors.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// The challenge sent with every 401 (RFC 6750 §3).
pub const WWW_AUTHENTICATE: &str = "Bearer realm=\"api\"";

/// How long a client should wait before retrying after a 503.
const RETRY_AFTER_SECONDS: &str = "5";

/// Where a bad token was presented: simplejwt words the two cases differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenContext {
    /// In an `Authorization` header on a protected route.
    Header,
    /// In the body of a token endpoint (refresh, verify, blacklist, logout).
    Body,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: field errors, every failing field at once.
    #[error("invalid fields: {0:?}")]
    Validation(FieldErrors),
    /// 400: the body could not be parsed.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: wrong username or password, or an inactive account (the same answer, on purpose).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// 401: no `Authorization` header with one of the accepted schemes.
    #[error("no credentials")]
    NotAuthenticated,
    /// 401: `Authorization` did not have exactly two parts.
    #[error("malformed authorization header")]
    BadAuthorizationHeader,
    /// 401: the token is forged, expired, of the wrong type or revoked.
    #[error("token not valid: {reason:?}")]
    InvalidToken {
        reason: TokenError,
        context: TokenContext,
    },
    /// 401: a valid access token whose user no longer exists.
    #[error("user not found")]
    UserNotFound,
    /// 401: a valid access token whose user is deactivated.
    #[error("user inactive")]
    UserInactive,
    /// 401: a valid refresh token whose user is gone or inactive.
    #[error("no active account for token")]
    NoActiveAccountForToken,
    /// 404.
    #[error("not found")]
    NotFound,
    /// 405.
    #[error("method {0} not allowed")]
    MethodNotAllowed(String),
    /// 413: the body is larger than `max_body_size`.
    #[error("body larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 415.
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    /// 431: the headers are larger than `max_header_size`.
    #[error("headers too large")]
    HeadersTooLarge,
    /// 503: the database could not be reached or stayed locked past the timeout.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn field(name: &str, message: &str) -> Self {
        Self::Validation(BTreeMap::from([(
            name.to_owned(),
            vec![message.to_owned()],
        )]))
    }

    pub fn token(reason: TokenError, context: TokenContext) -> Self {
        Self::InvalidToken { reason, context }
    }

    fn body(&self) -> serde_json::Value {
        match self {
            Self::Validation(fields) => json!(fields),
            Self::BadRequest(detail) => json!({ "detail": detail }),
            Self::InvalidCredentials => {
                json!({ "detail": "No active account found with the given credentials" })
            }
            Self::NotAuthenticated => {
                json!({ "detail": "Authentication credentials were not provided." })
            }
            Self::BadAuthorizationHeader => json!({
                "detail": "Authorization header must contain two space-delimited values",
                "code": "bad_authorization_header",
            }),
            Self::InvalidToken {
                reason,
                context: TokenContext::Header,
            } => json!({
                "detail": "Given token not valid for any token type",
                "code": "token_not_valid",
                "messages": [{
                    "token_class": "AccessToken",
                    "token_type": "access",
                    "message": reason.message(),
                }],
            }),
            Self::InvalidToken {
                reason,
                context: TokenContext::Body,
            } => json!({ "detail": reason.message(), "code": "token_not_valid" }),
            Self::UserNotFound => json!({ "detail": "User not found", "code": "user_not_found" }),
            Self::UserInactive => json!({ "detail": "User is inactive", "code": "user_inactive" }),
            Self::NoActiveAccountForToken => {
                json!({ "detail": "No active account found for the given token." })
            }
            Self::NotFound => json!({ "detail": "Not found." }),
            Self::MethodNotAllowed(method) => {
                json!({ "detail": format!("Method \"{method}\" not allowed.") })
            }
            Self::PayloadTooLarge(limit) => json!({
                "detail": format!("Request body is larger than the limit of {limit} bytes.")
            }),
            Self::UnsupportedMediaType(media_type) => json!({
                "detail": format!("Unsupported media type \"{media_type}\" in request.")
            }),
            Self::HeadersTooLarge => json!({ "detail": "Request header fields too large." }),
            Self::Unavailable(_) => json!({
                "detail": "Service temporarily unavailable, try again later.",
                "code": "service_unavailable",
            }),
            Self::Internal(_) => json!({ "detail": "A server error occurred." }),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::InvalidCredentials
            | Self::NotAuthenticated
            | Self::BadAuthorizationHeader
            | Self::InvalidToken { .. }
            | Self::UserNotFound
            | Self::UserInactive
            | Self::NoActiveAccountForToken => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        match self {
            Self::Internal(cause) => log::error!("internal error: {cause}"),
            Self::Unavailable(cause) => log::warn!("answering 503: {cause}"),
            _ => {}
        }
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(WWW_AUTHENTICATE),
            ));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        response.json(self.body())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        if is_transient(&e) {
            Self::Unavailable(e.to_string())
        } else {
            Self::Internal(format!("database: {e}"))
        }
    }
}

/// Errors that mean "the database is unreachable, overloaded or locked right now": load or an
/// outage, answered 503 with Retry-After, never a bug (500). Neither SQLite nor diesel gives
/// these a kind of their own, so the server's wording is matched.
fn is_transient(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    const TRANSIENT_MESSAGES: &[&str] = &[
        "database is locked",           // SQLite: busy_timeout ran out
        "database is busy",             // SQLite
        "canceling statement due to",   // PostgreSQL: statement or lock timeout
        "terminating connection",       // PostgreSQL: shutdown, idle timeout
        "server closed the connection", // libpq: connection lost
        "connection to server",         // libpq: cannot reach the server
        "could not receive data",       // libpq
        "could not send data",          // libpq
        "no connection to the server",  // libpq
        "the database system is",       // PostgreSQL starting up or shutting down
    ];
    match e {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::SerializationFailure,
            _,
        ) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            TRANSIENT_MESSAGES.iter().any(|m| message.contains(m))
        }
        _ => false,
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(format!("no database connection: {e}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        Self::Internal(format!("blocking task failed: {e}"))
    }
}
