//! Opaque `Token` keys: DRF authtoken's `/api/api-token-auth/` and djoser's
//! `/auth/token/login/` and `/auth/token/logout/`.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::tokens::ObtainRequest;
use crate::audit::AuditEvent;
use crate::auth::AuthenticatedUser;
use crate::credentials::key_fingerprint;
use crate::error::ApiError;
use crate::http::body::Form;
use crate::http::device_login::{attach, guarded_login};
use crate::http::error_docs::{Forbidden, Unauthorized};
use crate::http::request_audit::RequestFields;
use crate::http::throttling::Throttled;
use crate::service::{Accounts, ApiKeys, IssuedDevice, LogoutScope, Mfa, TokenService};

/// DRF authtoken's `{"token"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub token: String,
}

/// djoser's `{"auth_token"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuthTokenResponse {
    pub auth_token: String,
}

/// Checks the credentials (under the failed-login limits) and makes a new key; DRF answers
/// bad credentials with a 400.
///
/// With two-factor login on, a right password is refused with a 403 `mfa_required`: these
/// views have no step for a code, and a key obtained by password alone would bypass it.
/// Such users log in at `/api/token/` and `/auth/mfa/verify/` (README "Two-factor login").
async fn new_key(
    req: &HttpRequest,
    accounts: &Accounts,
    keys: &ApiKeys,
    mfa: &Mfa,
    request: ObtainRequest,
) -> Result<(String, Option<IssuedDevice>), ApiError> {
    let ObtainRequest { username, password } = request;
    let check = accounts.check_credentials(&username, password);
    let outcome = guarded_login(req, "key", &username, check);
    let (user, device) = outcome.await.map_err(|e| match e {
        ApiError::InvalidCredentials => ApiError::UnableToLogIn,
        other => other,
    })?;
    if mfa.is_enabled(user.id).await? {
        AuditEvent::warning("mfa.key_login_refused")
            .field("username", &username)
            .field("user_id", user.id)
            .request(req)
            .emit();
        return Err(ApiError::MfaLoginUnsupported);
    }
    let key = keys.create(&user, super::tokens::client_info(req)).await?;
    AuditEvent::new("login.success")
        .field("credential", "key")
        .field("username", &username)
        .field("user_id", user.id)
        .field("key", key_fingerprint(&key))
        .request(req)
        .emit();
    Ok((key, device))
}

/// DRF's exact body, and the new device token in the cookie and the `X-Device-Token` header
/// (never in the body: clients of the tutorials read exactly `{"token"}`).
fn key_response(
    req: &HttpRequest,
    body: impl Serialize,
    device: Option<IssuedDevice>,
) -> Result<HttpResponse, ApiError> {
    let mut response = no_store(body);
    if let Some(device) = &device {
        attach(req, &mut response, device, true)?;
    }
    Ok(response)
}

fn no_store(body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(body)
}

/// `POST /api/api-token-auth/` -> `{"token"}`.
#[utoipa::path(post, path = "/api/api-token-auth/", tag = "keys",
    summary = "Log in for a Token key (DRF authtoken)",
    request_body = super::tokens::ObtainRequest,
    params(("X-Device-Token" = Option<String>, Header, nullable = false,
        description = "This device's token from an earlier login: exempts the login from the \
                       account's lockout. A bad one is ignored.")),
    responses(
        (status = 200, description = "A new key: send it as `Authorization: Token <key>`.",
            body = TokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"),
                ("Pragma" = String, description = "`no-cache`"),
                ("X-Device-Token" = String, description = "`[device_tokens]` enabled: this \
                    device's new token (README \"Device tokens\")."))),
        (status = 403, response = Forbidden),
    ))]
pub async fn obtain_token(
    _: Throttled,
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    keys: web::Data<ApiKeys>,
    mfa: web::Data<Mfa>,
    Form(request): Form<ObtainRequest>,
) -> Result<HttpResponse, ApiError> {
    let (token, device) = new_key(&req, &accounts, &keys, &mfa, request).await?;
    key_response(&req, TokenResponse { token }, device)
}

/// `POST /auth/token/login/` -> `{"auth_token"}`.
#[utoipa::path(post, path = "/auth/token/login/", tag = "keys",
    summary = "Log in for a Token key (djoser)",
    request_body = super::tokens::ObtainRequest,
    params(("X-Device-Token" = Option<String>, Header, nullable = false,
        description = "This device's token from an earlier login: exempts the login from the \
                       account's lockout. A bad one is ignored.")),
    responses(
        (status = 200, description = "A new key: send it as `Authorization: Token <key>`.",
            body = AuthTokenResponse,
            headers(("Cache-Control" = String, description = "`no-store`"),
                ("Pragma" = String, description = "`no-cache`"),
                ("X-Device-Token" = String, description = "`[device_tokens]` enabled: this \
                    device's new token (README \"Device tokens\")."))),
        (status = 403, response = Forbidden),
    ))]
pub async fn login(
    _: Throttled,
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    keys: web::Data<ApiKeys>,
    mfa: web::Data<Mfa>,
    Form(request): Form<ObtainRequest>,
) -> Result<HttpResponse, ApiError> {
    let (auth_token, device) = new_key(&req, &accounts, &keys, &mfa, request).await?;
    key_response(&req, AuthTokenResponse { auth_token }, device)
}

/// `POST /auth/token/logout/` -> 204: ends the credential the caller used (a key, or a
/// JWT's session).
#[utoipa::path(post, path = "/auth/token/logout/", tag = "keys",
    summary = "Log out the credential in use",
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "The key (or the JWT's session) is revoked."),
        (status = 401, response = Unauthorized),
    ))]
pub async fn logout(
    tokens: web::Data<TokenService>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    tokens.logout(&user, None, LogoutScope::Local).await?;
    Ok(HttpResponse::NoContent().finish())
}
