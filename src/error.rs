//! `ApiError`: every outcome a client can see. Services return it; the HTTP side maps it to a
//! status and a DRF/simplejwt-shaped JSON body in one place (`http/error_response.rs`, bodies
//! as in `docs/wire-contract.md`). Internal errors are logged there with their cause and reach
//! the client as a generic 500 body.

use std::collections::BTreeMap;

use crate::credentials::HashingError;
use crate::db::StorageError;
use crate::tokens::TokenError;

/// `{"field": ["message", ...]}`, DRF's shape for validation errors.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// Where a bad token was presented: simplejwt words the two cases differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenContext {
    /// In an `Authorization` header on a protected route.
    Header,
    /// In the body of a token endpoint (refresh, verify, blacklist, logout).
    Body,
}

/// Why an opaque key (`Authorization: Token <key>`) was refused, worded as DRF words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyProblem {
    /// Unknown, logged out or expired.
    Invalid,
    /// `Token` with nothing after it.
    NoCredentials,
    /// `Token a b`.
    ContainsSpaces,
    /// The key's user is deactivated or gone.
    UserInactiveOrDeleted,
}

impl KeyProblem {
    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "Invalid token.",
            Self::NoCredentials => "Invalid token header. No credentials provided.",
            Self::ContainsSpaces => "Invalid token header. Token string should not contain spaces.",
            Self::UserInactiveOrDeleted => "User inactive or deleted.",
        }
    }
}

/// Why a request that used the refresh cookie was refused as possibly cross-site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfProblem {
    /// No `X-CSRF-Token` header.
    Missing,
    /// An `X-CSRF-Token` that is not the proof of the cookie's session.
    Mismatch,
    /// An `Origin` that is neither bouncer's own nor in `cors.allowed_origins`.
    OriginNotAllowed,
}

impl CsrfProblem {
    pub fn code(self) -> &'static str {
        match self {
            Self::Missing => "csrf_missing",
            Self::Mismatch => "csrf_mismatch",
            Self::OriginNotAllowed => "origin_not_allowed",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Missing => {
                "CSRF proof missing: send the csrf_token given at login in the X-CSRF-Token header."
            }
            Self::Mismatch => {
                "CSRF proof does not match this session: send the csrf_token given with this \
                 session's last login or refresh in the X-CSRF-Token header."
            }
            Self::OriginNotAllowed => {
                "Origin not allowed: the refresh cookie may only be used from bouncer's own \
                 origin or one listed in cors.allowed_origins."
            }
        }
    }
}

/// What the `RateLimit-*` headers report for a throttled request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the whole limit is available again.
    pub reset: u64,
}

impl RateLimit {
    /// The three headers (IETF draft "RateLimit header fields for HTTP"), names lower-case.
    pub fn headers(&self) -> [(&'static str, u64); 3] {
        [
            ("ratelimit-limit", u64::from(self.limit)),
            ("ratelimit-remaining", u64::from(self.remaining)),
            ("ratelimit-reset", self.reset),
        ]
    }
}

/// The `mfa_token` of a login waiting for its second factor. `Debug` shows nothing: it is a
/// credential for the length of its lifetime.
#[derive(Clone, PartialEq, Eq)]
pub struct MfaToken(pub String);

impl std::fmt::Debug for MfaToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MfaToken(<redacted>)")
    }
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
    /// 401 with a `Token` challenge: a bad opaque key.
    #[error("key not valid: {0:?}")]
    InvalidKey(KeyProblem),
    /// 400 `non_field_errors`: DRF's answer to bad credentials on the key login views.
    #[error("unable to log in")]
    UnableToLogIn,
    /// 403 with a message of the endpoint's own (djoser's stale activation token).
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// 403: the refresh cookie was sent without a valid CSRF proof or from a foreign origin;
    /// nothing was rotated or revoked.
    #[error("CSRF check failed: {0:?}")]
    Csrf(CsrfProblem),
    /// 403: authenticated, but not allowed.
    #[error("permission denied")]
    PermissionDenied,
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
    /// 429: a throttle refused the request; `wait` whole seconds until one would pass.
    #[error("throttled for {wait} s")]
    Throttled { wait: u64, limit: RateLimit },
    /// 429: too many failed logins from this address (for this username); same answer
    /// whether or not the account exists.
    #[error("locked out for {wait} s")]
    LockedOut { wait: u64 },
    /// 401 `mfa_required`: the password was right and the account has two-factor login on;
    /// `POST /auth/mfa/verify/` with this token and a code finishes the login.
    #[error("a second factor is required")]
    MfaRequired(MfaToken),
    /// 401 `mfa_code_invalid`: a wrong, malformed or already used TOTP or recovery code.
    #[error("invalid second-factor code")]
    MfaCodeInvalid,
    /// 401 `mfa_token_not_valid`: an `mfa_token` that is unknown, expired or already spent.
    #[error("invalid mfa_token")]
    MfaTokenInvalid,
    /// 403 `mfa_required`: a `Token` key (or admin page) login by password alone for an account
    /// with two-factor login on: those logins have no step for a code.
    #[error("password-only login refused: two-factor login is on")]
    MfaLoginUnsupported,
    /// 503: the database could not be reached or stayed locked past the timeout.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A DPoP proof (RFC 9449) that is missing, malformed, replayed, or not for this request
    /// or this token's key: 400 `{"error": "invalid_dpop_proof", "error_description"}` at a
    /// token endpoint, 401 with a `DPoP error="invalid_dpop_proof"` challenge on a protected
    /// route.
    #[error("invalid DPoP proof: {reason}")]
    InvalidDpopProof {
        reason: &'static str,
        context: TokenContext,
    },
    /// A DPoP proof without the server's current nonce (`dpop.require_nonce`): 400 or 401 as
    /// above, `use_dpop_nonce`, with the nonce to use in the `DPoP-Nonce` header.
    #[error("DPoP nonce required")]
    UseDpopNonce {
        nonce: String,
        context: TokenContext,
    },
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
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Unavailable(cause) => Self::Unavailable(cause),
            failed @ StorageError::Failed(_) => Self::Internal(failed.to_string()),
        }
    }
}

impl From<HashingError> for ApiError {
    fn from(e: HashingError) -> Self {
        Self::Internal(e.to_string())
    }
}

/// Only minting produces these (verification has its own `TokenError`): a failure to sign is
/// a bug or a broken key, never the client's doing.
impl From<jsonwebtoken::errors::Error> for ApiError {
    fn from(e: jsonwebtoken::errors::Error) -> Self {
        Self::Internal(format!("signing a token failed: {e}"))
    }
}

/// A token that could not be signed, or would be longer than bouncer verifies (too many
/// claims: a deployment's mistake, never the client's): logged in full, a generic 500 out.
impl From<crate::tokens::MintError> for ApiError {
    fn from(e: crate::tokens::MintError) -> Self {
        Self::Internal(e.to_string())
    }
}
