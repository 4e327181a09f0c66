//! simplejwt's token views and logout.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::auth::AuthenticatedUser;
use crate::auth::sessions::{self, TokenPair};
use crate::error::ApiError;
use crate::http::body::FormData;
use crate::state::AppState;

/// Tokens must never be cached by browsers or proxies (RFC 6749 §5.1).
fn no_store(mut response: actix_web::HttpResponseBuilder, body: serde_json::Value) -> HttpResponse {
    response
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(body)
}

fn pair_body(pair: TokenPair) -> serde_json::Value {
    match pair.refresh {
        Some(refresh) => json!({ "refresh": refresh, "access": pair.access }),
        None => json!({ "access": pair.access }),
    }
}

/// `POST /api/token/` `{username, password}` -> `{refresh, access}`.
pub async fn obtain(state: web::Data<AppState>, body: FormData) -> Result<HttpResponse, ApiError> {
    let mut fields = body.fields();
    let username = fields.required("username");
    let password = fields.required_raw("password");
    fields.finish()?;
    let pair = sessions::login(&state, &username, password).await?;
    Ok(no_store(HttpResponse::Ok(), pair_body(pair)))
}

/// `POST /api/token/refresh/` `{refresh}` -> `{access, refresh}`.
pub async fn refresh(state: web::Data<AppState>, body: FormData) -> Result<HttpResponse, ApiError> {
    let token = required_token(&body, "refresh")?;
    let pair = sessions::refresh(&state, &token).await?;
    Ok(no_store(HttpResponse::Ok(), pair_body(pair)))
}

/// `POST /api/token/verify/` `{token}` -> `{}`.
pub async fn verify(state: web::Data<AppState>, body: FormData) -> Result<HttpResponse, ApiError> {
    let token = required_token(&body, "token")?;
    sessions::verify(&state, &token).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `POST /api/token/blacklist/` `{refresh}` -> `{}`.
pub async fn blacklist(
    state: web::Data<AppState>,
    body: FormData,
) -> Result<HttpResponse, ApiError> {
    let token = required_token(&body, "refresh")?;
    sessions::blacklist(&state, &token).await?;
    Ok(HttpResponse::Ok().json(json!({})))
}

/// `POST /auth/logout/` (authenticated), optional `{refresh}` -> 204.
pub async fn logout(
    state: web::Data<AppState>,
    user: AuthenticatedUser,
    body: FormData,
) -> Result<HttpResponse, ApiError> {
    let refresh = body.fields().optional("refresh").filter(|t| !t.is_empty());
    sessions::logout(&state, user.claims, refresh.as_deref()).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn required_token(body: &FormData, name: &str) -> Result<String, ApiError> {
    let mut fields = body.fields();
    let token = fields.required(name);
    fields.finish()?;
    Ok(token)
}
