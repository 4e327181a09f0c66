//! Opaque `Token` keys: DRF authtoken's `/api/api-token-auth/` and djoser's
//! `/auth/token/login/` and `/auth/token/logout/`.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpResponse, web};
use serde::Serialize;

use super::tokens::ObtainRequest;
use crate::auth::AuthenticatedUser;
use crate::error::ApiError;
use crate::http::body::Form;
use crate::http::client_address::ClientAddress;
use crate::http::throttling::Throttled;
use crate::service::{Accounts, ApiKeys, TokenService, bad_credentials, guarded};
use crate::throttle::Throttler;

/// DRF authtoken's `{"token"}`.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub token: String,
}

/// djoser's `{"auth_token"}`.
#[derive(Debug, Serialize)]
pub struct AuthTokenResponse {
    pub auth_token: String,
}

/// Checks the credentials (under the failed-login limits) and makes a new key; DRF answers
/// bad credentials with a 400.
async fn new_key(
    accounts: &Accounts,
    keys: &ApiKeys,
    throttler: &Throttler,
    address: String,
    request: ObtainRequest,
) -> Result<String, ApiError> {
    let ObtainRequest { username, password } = request;
    let check = accounts.check_credentials(&username, password);
    let user = guarded(
        throttler.logins(),
        &username,
        address,
        check,
        bad_credentials,
    )
    .await
    .map_err(|e| match e {
        ApiError::InvalidCredentials => ApiError::UnableToLogIn,
        other => other,
    })?;
    keys.create(&user).await
}

fn no_store(body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(body)
}

/// `POST /api/api-token-auth/` -> `{"token"}`.
pub async fn obtain_token(
    _: Throttled,
    accounts: web::Data<Accounts>,
    keys: web::Data<ApiKeys>,
    throttler: web::Data<Throttler>,
    ClientAddress(address): ClientAddress,
    Form(request): Form<ObtainRequest>,
) -> Result<HttpResponse, ApiError> {
    let token = new_key(&accounts, &keys, &throttler, address, request).await?;
    Ok(no_store(TokenResponse { token }))
}

/// `POST /auth/token/login/` -> `{"auth_token"}`.
pub async fn login(
    _: Throttled,
    accounts: web::Data<Accounts>,
    keys: web::Data<ApiKeys>,
    throttler: web::Data<Throttler>,
    ClientAddress(address): ClientAddress,
    Form(request): Form<ObtainRequest>,
) -> Result<HttpResponse, ApiError> {
    let auth_token = new_key(&accounts, &keys, &throttler, address, request).await?;
    Ok(no_store(AuthTokenResponse { auth_token }))
}

/// `POST /auth/token/logout/` -> 204: ends the credential the caller used (a key, or a
/// JWT's session).
pub async fn logout(
    tokens: web::Data<TokenService>,
    user: AuthenticatedUser,
) -> Result<HttpResponse, ApiError> {
    tokens.logout(&user, None).await?;
    Ok(HttpResponse::NoContent().finish())
}
