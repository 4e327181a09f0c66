//! The one place an [`ApiError`] becomes an HTTP response: status, headers and a typed JSON
//! body in the DRF/simplejwt dialect (`docs/wire-contract.md`, "Error bodies").

use std::borrow::Cow;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldErrors, TokenContext};

/// The challenge sent with every 401 (RFC 6750 §3).
pub const WWW_AUTHENTICATE: &str = "Bearer realm=\"api\"";
/// DRF's `TokenAuthentication` challenge, sent when an opaque key was refused.
pub const WWW_AUTHENTICATE_TOKEN: &str = "Token";

/// The challenges of a refused DPoP proof on a protected route (RFC 9449 §7.1).
const WWW_AUTHENTICATE_DPOP_PROOF: &str = "DPoP error=\"invalid_dpop_proof\"";
const WWW_AUTHENTICATE_DPOP_NONCE: &str = "DPoP error=\"use_dpop_nonce\"";

/// How long a client should wait before retrying after a 503.
const RETRY_AFTER_SECONDS: &str = "5";

/// DRF's `{"detail": ...}`, with simplejwt's machine-readable `code` where it sends one.
/// Fields are declared in alphabetical order, the order the bodies have always had.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"detail": "Not found."})))]
pub struct ErrorDetail {
    /// A machine-readable reason where simplejwt sends one (`token_not_valid`,
    /// `user_not_found`, `csrf_missing`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub code: Option<&'static str>,
    #[schema(value_type = String)]
    pub detail: Cow<'static, str>,
}

/// simplejwt's answer to a bad token in the `Authorization` header.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenNotValid {
    /// Always `token_not_valid`.
    pub code: &'static str,
    pub detail: &'static str,
    #[schema(value_type = Vec<TokenMessage>)]
    pub messages: [TokenMessage; 1],
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenMessage {
    pub message: &'static str,
    pub token_class: &'static str,
    pub token_type: &'static str,
}

/// The answer to a password login that needs its second factor: send `mfa_token` and a code
/// to `POST /auth/mfa/verify/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaRequiredBody {
    /// Always `mfa_required`.
    pub code: &'static str,
    pub detail: &'static str,
    /// Single use, valid for `mfa.challenge_lifetime` (5 minutes by default).
    pub mfa_token: String,
}

/// The body of each error, as the client sees it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum ErrorBody<'a> {
    Fields(&'a FieldErrors),
    Detail(ErrorDetail),
    TokenNotValid(TokenNotValid),
    NonField(NonFieldErrors),
    MfaRequired(MfaRequiredBody),
    OAuth(OAuthError),
}

/// RFC 6749 §5.2's error body, which RFC 9449 uses at token endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_dpop_proof` or `use_dpop_nonce`.
    pub error: &'static str,
    pub error_description: &'static str,
}

/// DRF's `{"non_field_errors": [...]}`.
#[derive(Debug, Serialize)]
pub struct NonFieldErrors {
    pub non_field_errors: [&'static str; 1],
}

fn detail(detail: impl Into<Cow<'static, str>>) -> ErrorBody<'static> {
    ErrorBody::Detail(ErrorDetail {
        code: None,
        detail: detail.into(),
    })
}

fn coded(code: &'static str, detail: impl Into<Cow<'static, str>>) -> ErrorBody<'static> {
    ErrorBody::Detail(ErrorDetail {
        code: Some(code),
        detail: detail.into(),
    })
}

const USE_DPOP_NONCE: &str =
    "Resend the request with a DPoP proof carrying the nonce of the DPoP-Nonce header.";

fn body(error: &ApiError) -> ErrorBody<'_> {
    match error {
        ApiError::Validation(fields) => ErrorBody::Fields(fields),
        ApiError::BadRequest(message) => detail(message.clone()),
        ApiError::InvalidCredentials => {
            detail("No active account found with the given credentials")
        }
        ApiError::NotAuthenticated => detail("Authentication credentials were not provided."),
        ApiError::BadAuthorizationHeader => coded(
            "bad_authorization_header",
            "Authorization header must contain two space-delimited values",
        ),
        ApiError::InvalidToken {
            reason,
            context: TokenContext::Header,
        } => ErrorBody::TokenNotValid(TokenNotValid {
            code: "token_not_valid",
            detail: "Given token not valid for any token type",
            messages: [TokenMessage {
                message: reason.message(),
                token_class: "AccessToken",
                token_type: "access",
            }],
        }),
        ApiError::InvalidToken {
            reason,
            context: TokenContext::Body,
        } => coded("token_not_valid", reason.message()),
        ApiError::InvalidKey(problem) => detail(problem.message()),
        ApiError::UnableToLogIn => ErrorBody::NonField(NonFieldErrors {
            non_field_errors: ["Unable to log in with provided credentials."],
        }),
        ApiError::Forbidden(message) => detail(*message),
        ApiError::Csrf(problem) => coded(problem.code(), problem.message()),
        ApiError::PermissionDenied => detail("You do not have permission to perform this action."),
        ApiError::UserNotFound => coded("user_not_found", "User not found"),
        ApiError::UserInactive => coded("user_inactive", "User is inactive"),
        ApiError::NoActiveAccountForToken => detail("No active account found for the given token."),
        ApiError::NotFound => detail("Not found."),
        ApiError::MethodNotAllowed(method) => detail(format!("Method \"{method}\" not allowed.")),
        ApiError::PayloadTooLarge(limit) => detail(format!(
            "Request body is larger than the limit of {limit} bytes."
        )),
        ApiError::UnsupportedMediaType(media_type) => detail(format!(
            "Unsupported media type \"{media_type}\" in request."
        )),
        ApiError::HeadersTooLarge => detail("Request header fields too large."),
        ApiError::Throttled { wait, .. } | ApiError::LockedOut { wait } => {
            let unit = if *wait == 1 { "second" } else { "seconds" };
            detail(format!(
                "Request was throttled. Expected available in {wait} {unit}."
            ))
        }
        ApiError::Unavailable(_) => coded(
            "service_unavailable",
            "Service temporarily unavailable, try again later.",
        ),
        ApiError::MfaRequired(token) => ErrorBody::MfaRequired(MfaRequiredBody {
            code: "mfa_required",
            detail: "Two-factor authentication required: send the mfa_token with a code from \
                     your authenticator app (or a recovery code) to /auth/mfa/verify/.",
            mfa_token: token.0.clone(),
        }),
        ApiError::MfaCodeInvalid => coded("mfa_code_invalid", "Invalid two-factor code."),
        ApiError::MfaTokenInvalid => coded(
            "mfa_token_not_valid",
            "The mfa_token is invalid, expired or already used: log in again.",
        ),
        ApiError::MfaLoginUnsupported => coded(
            "mfa_required",
            "Two-factor authentication is on for this account: log in at /api/token/ and \
             finish at /auth/mfa/verify/.",
        ),
        ApiError::InvalidDpopProof {
            reason,
            context: TokenContext::Body,
        } => ErrorBody::OAuth(OAuthError {
            error: "invalid_dpop_proof",
            error_description: reason,
        }),
        ApiError::InvalidDpopProof {
            reason,
            context: TokenContext::Header,
        } => coded("invalid_dpop_proof", *reason),
        ApiError::UseDpopNonce {
            context: TokenContext::Body,
            ..
        } => ErrorBody::OAuth(OAuthError {
            error: "use_dpop_nonce",
            error_description: USE_DPOP_NONCE,
        }),
        ApiError::UseDpopNonce {
            context: TokenContext::Header,
            ..
        } => coded("use_dpop_nonce", USE_DPOP_NONCE),
        ApiError::Internal(_) => detail("A server error occurred."),
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) | Self::UnableToLogIn => {
                StatusCode::BAD_REQUEST
            }
            Self::PermissionDenied
            | Self::Forbidden(_)
            | Self::Csrf(_)
            | Self::MfaLoginUnsupported => StatusCode::FORBIDDEN,
            Self::InvalidCredentials
            | Self::NotAuthenticated
            | Self::BadAuthorizationHeader
            | Self::InvalidToken { .. }
            | Self::InvalidKey(_)
            | Self::UserNotFound
            | Self::UserInactive
            | Self::NoActiveAccountForToken
            | Self::MfaRequired(_)
            | Self::MfaCodeInvalid
            | Self::MfaTokenInvalid => StatusCode::UNAUTHORIZED,
            Self::InvalidDpopProof {
                context: TokenContext::Body,
                ..
            }
            | Self::UseDpopNonce {
                context: TokenContext::Body,
                ..
            } => StatusCode::BAD_REQUEST,
            Self::InvalidDpopProof { .. } | Self::UseDpopNonce { .. } => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Throttled { .. } | Self::LockedOut { .. } => StatusCode::TOO_MANY_REQUESTS,
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
            let challenge = match self {
                Self::InvalidKey(_) => WWW_AUTHENTICATE_TOKEN,
                Self::InvalidDpopProof { .. } => WWW_AUTHENTICATE_DPOP_PROOF,
                Self::UseDpopNonce { .. } => WWW_AUTHENTICATE_DPOP_NONCE,
                _ => WWW_AUTHENTICATE,
            };
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            ));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
        }
        match self {
            Self::Throttled { wait, limit } => {
                response.insert_header((header::RETRY_AFTER, *wait));
                for (name, value) in limit.headers() {
                    response.insert_header((name, value));
                }
            }
            Self::LockedOut { wait } => {
                response.insert_header((header::RETRY_AFTER, *wait));
            }
            // It carries a credential (the mfa_token): never cached, as token answers.
            Self::MfaRequired(_) => {
                response.insert_header((header::CACHE_CONTROL, "no-store"));
                response.insert_header((header::PRAGMA, "no-cache"));
            }
            Self::UseDpopNonce { nonce, .. } => {
                response.insert_header(("dpop-nonce", nonce.as_str()));
            }
            _ => {}
        }
        response.json(body(self))
    }
}
