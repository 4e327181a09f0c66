//! simplejwt's token views (`/api/token/...`, djoser's `/auth/jwt/...`) and logout.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::audit::AuditEvent;
use crate::auth::AuthenticatedUser;
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::http::request_audit::{RequestFields, guarded_attempt};
use crate::http::throttling::Throttled;
use crate::service::{Accounts, TokenPair, TokenService, bad_credentials};

/// `{username, password}`.
#[derive(Debug)]
pub struct ObtainRequest {
    pub username: String,
    /// Exactly as sent: passwords are never trimmed.
    pub password: String,
}

impl FromFields for ObtainRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            username: fields.required("username"),
            password: fields.required_raw("password"),
        }
    }
}

/// `{refresh}` (refresh, blacklist).
#[derive(Debug)]
pub struct RefreshRequest {
    pub refresh: String,
}

impl FromFields for RefreshRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            refresh: fields.required("refresh"),
        }
    }
}

/// `{token}` (verify): either type.
#[derive(Debug)]
pub struct VerifyRequest {
    pub token: String,
}

impl FromFields for VerifyRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            token: fields.required("token"),
        }
    }
}

/// `{refresh?}` (logout): a blank refresh token means none.
#[derive(Debug)]
pub struct LogoutRequest {
    pub refresh: Option<String>,
}

impl FromFields for LogoutRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            refresh: fields.optional("refresh").filter(|t| !t.is_empty()),
        }
    }
}

/// `{access, refresh}`; `refresh` is left out when rotation is off, as simplejwt does.
#[derive(Debug, Serialize)]
pub struct TokenPairResponse {
    pub access: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
}

impl From<TokenPair> for TokenPairResponse {
    fn from(pair: TokenPair) -> Self {
        Self {
            access: pair.access,
            refresh: pair.refresh,
        }
    }
}

/// simplejwt's `{}` for verify and blacklist.
#[derive(Debug, Serialize)]
pub struct EmptyResponse {}

/// Tokens must never be cached by browsers or proxies (RFC 6749 §5.1).
fn no_store(pair: TokenPair) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(TokenPairResponse::from(pair))
}

/// `POST /api/token/` -> `{refresh, access}`.
pub async fn obtain(
    _: Throttled,
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    tokens: web::Data<TokenService>,
    Form(request): Form<ObtainRequest>,
) -> Result<HttpResponse, ApiError> {
    let ObtainRequest { username, password } = request;
    let check = accounts.check_credentials(&username, password);
    let user =
        guarded_attempt(&req, "jwt", ("username", &username), check, bad_credentials).await?;
    let pair = tokens.start_session(&user).await?;
    AuditEvent::new("login.success")
        .field("credential", "jwt")
        .field("username", &username)
        .field("user_id", user.id)
        .field("sid", pair.sid.to_string())
        .request(&req)
        .emit();
    Ok(no_store(pair))
}

/// `POST /api/token/refresh/` -> `{access, refresh}`.
pub async fn refresh(
    _: Throttled,
    tokens: web::Data<TokenService>,
    Form(request): Form<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    Ok(no_store(tokens.refresh(&request.refresh).await?))
}

/// `POST /api/token/verify/` -> `{}`.
pub async fn verify(
    _: Throttled,
    tokens: web::Data<TokenService>,
    Form(request): Form<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    tokens.verify(&request.token).await?;
    Ok(HttpResponse::Ok().json(EmptyResponse {}))
}

/// `POST /api/token/blacklist/` -> `{}`.
pub async fn blacklist(
    _: Throttled,
    tokens: web::Data<TokenService>,
    Form(request): Form<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    tokens.blacklist(&request.refresh).await?;
    Ok(HttpResponse::Ok().json(EmptyResponse {}))
}

/// `POST /auth/logout/` (authenticated) -> 204.
pub async fn logout(
    tokens: web::Data<TokenService>,
    user: AuthenticatedUser,
    Form(request): Form<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    tokens.logout(&user, request.refresh.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}
