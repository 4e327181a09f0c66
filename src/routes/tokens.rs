//! simplejwt's token views (`/api/token/...`, djoser's `/auth/jwt/...`) and logout, in body
//! mode (the refresh token in the JSON, simplejwt's way) or cookie mode (in an HttpOnly
//! cookie, `http/refresh_cookie.rs`).

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use crate::audit::AuditEvent;
use crate::auth::AuthenticatedUser;
use crate::clock::{self, rfc3339};
use crate::db::sessions::MAX_USER_AGENT;
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::http::refresh_cookie::{RefreshCookies, RefreshSource};
use crate::http::request_audit::{RequestFields, client_of, guarded_attempt};
use crate::http::throttling::Throttled;
use crate::service::{Accounts, ClientInfo, LogoutScope, TokenPair, TokenService, bad_credentials};

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

/// `{refresh}` (refresh, blacklist); absent when the refresh cookie carries it.
#[derive(Debug)]
pub struct RefreshRequest {
    pub refresh: Option<String>,
}

impl FromFields for RefreshRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            refresh: fields.sent_or_absent("refresh"),
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

const SCOPES: &str = "\"local\", \"others\" or \"global\"";

/// `{refresh?, scope?}` (logout): a blank refresh token means none; `scope` defaults to
/// `local`.
#[derive(Debug)]
pub struct LogoutRequest {
    pub refresh: Option<String>,
    pub scope: LogoutScope,
}

impl FromFields for LogoutRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        let scope = match fields.optional("scope").as_deref() {
            None | Some("local") => LogoutScope::Local,
            Some("others") => LogoutScope::Others,
            Some("global") => LogoutScope::Global,
            Some(other) => {
                let message = format!("\"{other}\" is not a valid choice: use {SCOPES}.");
                fields.add_errors("scope", vec![message]);
                LogoutScope::Local
            }
        };
        Self {
            refresh: fields.optional("refresh").filter(|t| !t.is_empty()),
            scope,
        }
    }
}

/// `{access, refresh}` as simplejwt answers (`refresh` left out when rotation is off or in
/// cookie mode), plus the expiry of each (RFC 3339, UTC) and `expires_in`, the access
/// token's remaining seconds; cookie mode adds `csrf_token`. Clients that read only the two
/// tokens are unaffected by the extra fields.
#[derive(Debug, Serialize)]
pub struct TokenPairResponse {
    pub access: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<String>,
    pub access_expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<String>,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
}

/// simplejwt's `{}` for verify and blacklist.
#[derive(Debug, Serialize)]
pub struct EmptyResponse {}

/// The token answer, in cookie mode when `cookies` is given. Tokens must never be cached by
/// browsers or proxies (RFC 6749 §5.1).
fn token_response(pair: TokenPair, cookies: Option<&RefreshCookies>) -> HttpResponse {
    let now = clock::now();
    let mut response = HttpResponse::Ok();
    response
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"));
    let (refresh, refresh_exp) = pair.refresh.unzip();
    let csrf_token = cookies.map(|cookies| {
        if let (Some(token), Some(exp)) = (&refresh, refresh_exp) {
            cookies.set(&mut response, token, exp - now);
        }
        cookies.proof_for(pair.sid)
    });
    response.json(TokenPairResponse {
        access: pair.access,
        refresh: refresh.filter(|_| cookies.is_none()),
        access_expires_at: rfc3339(pair.access_expires_at),
        refresh_expires_at: refresh_exp.map(rfc3339),
        expires_in: (pair.access_expires_at - now).max(0),
        csrf_token,
    })
}

/// The client as the sessions list shows it: its address (by the throttle's proxy rule) and
/// user agent (cut to a bounded length).
pub(super) fn client_info(req: &HttpRequest) -> ClientInfo {
    let (address, user_agent) = client_of(req);
    ClientInfo {
        user_agent: user_agent
            .unwrap_or_default()
            .chars()
            .take(MAX_USER_AGENT)
            .collect(),
        address,
    }
}

/// `POST /api/token/` -> `{refresh, access}` (cookie mode: the refresh token in the cookie).
pub async fn obtain(
    _: Throttled,
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    tokens: web::Data<TokenService>,
    cookies: web::Data<RefreshCookies>,
    Form(request): Form<ObtainRequest>,
) -> Result<HttpResponse, ApiError> {
    let cookie_mode = cookies.requested(&req)?;
    if cookie_mode {
        // Login CSRF: a foreign page must not plant its account's session in this browser.
        cookies.check_origin(&req)?;
    }
    let ObtainRequest { username, password } = request;
    let check = accounts.check_credentials(&username, password);
    let user =
        guarded_attempt(&req, "jwt", ("username", &username), check, bad_credentials).await?;
    let pair = tokens.start_session(&user, client_info(&req)).await?;
    AuditEvent::new("login.success")
        .field("credential", "jwt")
        .field("username", &username)
        .field("user_id", user.id)
        .field("sid", pair.sid.to_string())
        .field("cookie_mode", cookie_mode)
        .request(&req)
        .emit();
    Ok(token_response(pair, cookie_mode.then_some(&**cookies)))
}

/// `POST /api/token/refresh/` -> `{access, refresh}`; in cookie mode when the token came from
/// the cookie or the request asks for it.
pub async fn refresh(
    _: Throttled,
    req: HttpRequest,
    tokens: web::Data<TokenService>,
    cookies: web::Data<RefreshCookies>,
    Form(request): Form<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let requested = cookies.requested(&req)?;
    let source = cookies.source(&req, request.refresh)?;
    let cookie_mode = requested || source.is_cookie();
    match tokens
        .refresh(source.token(), cookies.binding(&source))
        .await
    {
        Ok(pair) => Ok(token_response(pair, cookie_mode.then_some(&**cookies))),
        Err(e) if source.is_cookie() => Ok(cookies.refusal(e)),
        Err(e) => Err(e),
    }
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

/// `POST /api/token/blacklist/` -> `{}`; a token from the cookie is cleared with it.
pub async fn blacklist(
    _: Throttled,
    req: HttpRequest,
    tokens: web::Data<TokenService>,
    cookies: web::Data<RefreshCookies>,
    Form(request): Form<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let source = cookies.source(&req, request.refresh)?;
    let outcome = tokens
        .blacklist(source.token(), cookies.binding(&source))
        .await;
    match (outcome, &source) {
        (Ok(()), RefreshSource::Cookie { .. }) => {
            let mut response = HttpResponse::Ok().json(EmptyResponse {});
            cookies.clear(&mut response);
            Ok(response)
        }
        (Ok(()), RefreshSource::Body(_)) => Ok(HttpResponse::Ok().json(EmptyResponse {})),
        (Err(e), RefreshSource::Cookie { .. }) => Ok(cookies.refusal(e)),
        (Err(e), RefreshSource::Body(_)) => Err(e),
    }
}

/// `POST /auth/logout/` (authenticated) -> 204. The refresh token may come from the body or
/// the cookie; the cookie is cleared unless the caller's session stays (`scope=others`). The
/// request is authenticated by its `Authorization` header, which a cross-site form cannot
/// send, so the cookie needs no CSRF proof here.
pub async fn logout(
    req: HttpRequest,
    tokens: web::Data<TokenService>,
    cookies: web::Data<RefreshCookies>,
    user: AuthenticatedUser,
    Form(request): Form<LogoutRequest>,
) -> Result<HttpResponse, ApiError> {
    let cookie = cookies.cookie_token(&req);
    let refresh = request.refresh.or(cookie.clone());
    let result = tokens
        .logout(&user, refresh.as_deref(), request.scope)
        .await;
    match result {
        // A stale cookie does not stand in the way of logging out: the caller's own session
        // ends all the same, and the cookie goes.
        Err(ApiError::InvalidToken { .. }) if cookie.is_some() => {
            tokens.logout(&user, None, request.scope).await?;
        }
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    let mut response = HttpResponse::NoContent().finish();
    if cookie.is_some() && request.scope != LogoutScope::Others {
        cookies.clear(&mut response);
    }
    Ok(response)
}
