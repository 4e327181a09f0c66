//! simplejwt's token views (`/api/token/...`, djoser's `/auth/jwt/...`) and logout, in body
//! mode (the refresh token in the JSON, simplejwt's way) or cookie mode (in an HttpOnly
//! cookie, `http/refresh_cookie.rs`).

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::AuditEvent;
use crate::auth::{AuthenticatedUser, current_nonce, token_endpoint_key};
use crate::clock::{self, rfc3339};
use crate::db::sessions::MAX_USER_AGENT;
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::http::device_login::{attach, guarded_login};
use crate::http::error_docs::{Forbidden, Unauthorized};
use crate::http::refresh_cookie::{RefreshCookies, RefreshSource};
use crate::http::request_audit::{RequestFields, client_of};
use crate::http::throttling::Throttled;
use crate::service::{Accounts, ClientInfo, LogoutScope, Mfa, TokenPair, TokenService};

/// `{username, password}`.
#[derive(Debug, ToSchema)]
pub struct ObtainRequest {
    pub username: String,
    /// Exactly as sent: passwords are never trimmed.
    #[schema(format = Password)]
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
#[derive(Debug, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token; required unless the refresh cookie carries it (never both).
    #[schema(nullable = false)]
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
#[derive(Debug, ToSchema)]
pub struct VerifyRequest {
    /// An access or a refresh token.
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
#[derive(Debug, ToSchema)]
pub struct LogoutRequest {
    /// The session's refresh token (or the refresh cookie); blank means none.
    #[schema(nullable = false)]
    pub refresh: Option<String>,
    #[schema(value_type = Option<ScopeName>, nullable = false)]
    pub scope: LogoutScope,
}

/// Which sessions a logout ends: the caller's (`local`, the default), all the user's other
/// ones (`others`), or every one (`global`).
#[derive(ToSchema)]
#[schema(as = LogoutScope, rename_all = "lowercase")]
#[expect(
    dead_code,
    reason = "the document's name for the values `LogoutRequest` reads"
)]
enum ScopeName {
    Local,
    Others,
    Global,
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
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPairResponse {
    pub access: String,
    /// Left out when rotation is off (refresh) or in cookie mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub refresh: Option<String>,
    #[schema(format = DateTime)]
    pub access_expires_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, nullable = false)]
    pub refresh_expires_at: Option<String>,
    /// Seconds the access token has left.
    #[schema(minimum = 0)]
    pub expires_in: i64,
    /// Cookie mode only: send it as `X-CSRF-Token` with the next refresh, blacklist or logout.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub csrf_token: Option<String>,
    /// Login in body mode, with `[device_tokens]` enabled: this device's token, to send back
    /// as `X-Device-Token` with later logins (README "Device tokens"). Also in the
    /// `X-Device-Token` response header and the device cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub device_token: Option<String>,
    /// `DPoP` when the tokens are bound to the key of the request's DPoP proof (send them as
    /// `Authorization: DPoP <access>` with a proof, RFC 9449 §5). Left out for Bearer tokens,
    /// as simplejwt answers (its clients and bouncer's exact-body tests know no such field).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, examples("DPoP"))]
    pub token_type: Option<&'static str>,
}

/// simplejwt's `{}` for verify and blacklist.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmptyResponse {}

/// The token answer, in cookie mode when `cookies` is given. Tokens must never be cached by
/// browsers or proxies (RFC 6749 §5.1).
pub(super) fn token_response(
    req: &HttpRequest,
    pair: TokenPair,
    cookies: Option<&RefreshCookies>,
) -> HttpResponse {
    token_response_with(req, pair, cookies, None)
}

/// [`token_response`], with a login's new device token in the body (body mode only).
fn token_response_with(
    req: &HttpRequest,
    pair: TokenPair,
    cookies: Option<&RefreshCookies>,
    device_token: Option<String>,
) -> HttpResponse {
    let now = clock::now();
    let mut response = HttpResponse::Ok();
    response
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"));
    // Nonces required: hand out the current one, so the client's next proof carries it.
    if let Some(nonce) = current_nonce(req) {
        response.insert_header(("dpop-nonce", nonce));
    }
    let token_type = pair.cnf.map(|_| "DPoP");
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
        device_token: device_token.filter(|_| cookies.is_none()),
        csrf_token,
        token_type,
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
/// With two-factor login on, a right password answers 401 `mfa_required` with an
/// `mfa_token` instead, for `POST /auth/mfa/verify/` (`mfa.rs`).
#[utoipa::path(post, path = "/api/token/", tag = "tokens",
    summary = "Log in: a new session's access and refresh tokens",
    request_body = ObtainRequest,
    params(("X-Refresh-Cookie" = Option<String>, Header, nullable = false, pattern = "^1$",
            description = "`1`: cookie mode, the refresh token in an HttpOnly cookie instead of \
                           the body; any other value is a 400."),
        ("X-Device-Token" = Option<String>, Header, nullable = false,
            description = "This device's token from an earlier login (mobile clients; \
                           browsers send the cookie): exempts the login from the account's \
                           lockout (README \"Device tokens\"). A bad one is ignored."),
        ("__Host-bouncer_device" = Option<String>, Cookie, nullable = false,
            description = "The device token's cookie, set by every login (`bouncer_device` \
                           when `refresh_cookie.secure = false`)."),
        ("DPoP" = Option<String>, Header, nullable = false,
            description = "A DPoP proof (RFC 9449): the tokens are bound to its key. A bad \
                           proof is a 400 `invalid_dpop_proof` (or `use_dpop_nonce`).")),
    responses(
        (status = 200, description = "A new session's tokens.", body = TokenPairResponse,
            headers(("Cache-Control" = String, description = "`no-store`"),
                ("Pragma" = String, description = "`no-cache`"),
                ("X-Device-Token" = String, description = "Body mode, `[device_tokens]` \
                    enabled: this device's new token (also `device_token`)."))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ))]
pub async fn obtain(
    _: Throttled,
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    tokens: web::Data<TokenService>,
    cookies: web::Data<RefreshCookies>,
    mfa: web::Data<Mfa>,
    Form(request): Form<ObtainRequest>,
) -> Result<HttpResponse, ApiError> {
    let cookie_mode = cookies.requested(&req)?;
    if cookie_mode {
        // Login CSRF: a foreign page must not plant its account's session in this browser.
        cookies.check_origin(&req)?;
    }
    // A DPoP proof is checked (and used up) before the password: a bad one costs no bcrypt.
    let cnf = token_endpoint_key(&req).await?;
    let ObtainRequest { username, password } = request;
    let check = accounts.check_credentials(&username, password);
    let (user, device) = guarded_login(&req, "jwt", &username, check).await?;
    if mfa.is_enabled(user.id).await? {
        let mfa_token = mfa.challenge(user.id, cookie_mode).await?;
        AuditEvent::new("mfa.challenge")
            .field("username", &username)
            .field("user_id", user.id)
            .request(&req)
            .emit();
        // The password was right on this device: it gets its device token now, so a
        // password guesser elsewhere cannot lock the owner out before the code step.
        let mut response = ApiError::MfaRequired(mfa_token).error_response();
        if let Some(device) = &device {
            attach(&req, &mut response, device, true)?;
        }
        return Ok(response);
    }
    let pair = tokens
        .start_session_bound(&user, client_info(&req), cnf)
        .await?;
    AuditEvent::new("login.success")
        .field("credential", "jwt")
        .field("username", &username)
        .field("user_id", user.id)
        .field("sid", pair.sid.to_string())
        .field("cookie_mode", cookie_mode)
        .field("dpop", pair.cnf.is_some())
        .request(&req)
        .emit();
    let device_token = device.as_ref().map(|d| d.token.clone());
    let cookies = cookie_mode.then_some(&**cookies);
    let mut response = token_response_with(&req, pair, cookies, device_token);
    if let Some(device) = &device {
        attach(&req, &mut response, device, !cookie_mode)?;
    }
    Ok(response)
}

/// `POST /api/token/refresh/` -> `{access, refresh}`; in cookie mode when the token came from
/// the cookie or the request asks for it.
#[utoipa::path(post, path = "/api/token/refresh/", tag = "tokens",
    summary = "Refresh: a new access token (and rotated refresh token)",
    request_body = RefreshRequest,
    params(("X-Refresh-Cookie" = Option<String>, Header, nullable = false, pattern = "^1$",
            description = "`1`: cookie mode, the refresh token in an HttpOnly cookie instead of \
                           the body; any other value is a 400."),
        ("DPoP" = Option<String>, Header, nullable = false,
            description = "A DPoP proof (RFC 9449), required with a DPoP-bound refresh token \
                           and by its key."),
        ("X-CSRF-Token" = Option<String>, Header, nullable = false,
            description = "Cookie mode: the `csrf_token` of this session's last login or \
                           refresh; required when the refresh token comes from the cookie."),
        ("__Host-bouncer_refresh" = Option<String>, Cookie, nullable = false,
            description = "Cookie mode's refresh token, set by bouncer (`bouncer_refresh` when \
                           `refresh_cookie.secure = false`).")),
    responses(
        (status = 200,
            description = "A new access token (and, with rotation, a new refresh token).",
            body = TokenPairResponse,
            headers(("Cache-Control" = String, description = "`no-store`"),
                ("Pragma" = String, description = "`no-cache`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ))]
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
    let proof_key = token_endpoint_key(&req).await?;
    match tokens
        .refresh_bound(source.token(), cookies.binding(&source), proof_key)
        .await
    {
        Ok(pair) => Ok(token_response(
            &req,
            pair,
            cookie_mode.then_some(&**cookies),
        )),
        Err(e) if source.is_cookie() => Ok(cookies.refusal(e)),
        Err(e) => Err(e),
    }
}

/// `POST /api/token/verify/` -> `{}`.
#[utoipa::path(post, path = "/api/token/verify/", tag = "tokens",
    summary = "Verify a token",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "The token is valid.", body = EmptyResponse),
        (status = 401, response = Unauthorized),
    ))]
pub async fn verify(
    _: Throttled,
    tokens: web::Data<TokenService>,
    Form(request): Form<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    tokens.verify(&request.token).await?;
    Ok(HttpResponse::Ok().json(EmptyResponse {}))
}

/// `POST /api/token/blacklist/` -> `{}`; a token from the cookie is cleared with it.
#[utoipa::path(post, path = "/api/token/blacklist/", tag = "tokens",
    summary = "Revoke a refresh token and its session",
    request_body = RefreshRequest,
    params(("DPoP" = Option<String>, Header, nullable = false,
            description = "A DPoP proof (RFC 9449), required with a DPoP-bound refresh token \
                           and by its key."),
        ("X-CSRF-Token" = Option<String>, Header, nullable = false,
            description = "Cookie mode: the `csrf_token` of this session's last login or \
                           refresh; required when the refresh token comes from the cookie."),
        ("__Host-bouncer_refresh" = Option<String>, Cookie, nullable = false,
            description = "Cookie mode's refresh token, set by bouncer (`bouncer_refresh` when \
                           `refresh_cookie.secure = false`).")),
    responses(
        (status = 200, description = "The refresh token and its session are revoked.",
            body = EmptyResponse),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ))]
pub async fn blacklist(
    _: Throttled,
    req: HttpRequest,
    tokens: web::Data<TokenService>,
    cookies: web::Data<RefreshCookies>,
    Form(request): Form<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let source = cookies.source(&req, request.refresh)?;
    // A DPoP-bound refresh token is blacklisted only with a proof by its key, as it is
    // refreshed: a thief without the key cannot even end the session.
    let proof_key = token_endpoint_key(&req).await?;
    let outcome = tokens
        .blacklist(source.token(), cookies.binding(&source), proof_key)
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
#[utoipa::path(post, path = "/auth/logout/", tag = "tokens",
    summary = "Log out (this session, the others, or all)",
    request_body = LogoutRequest,
    params(("__Host-bouncer_refresh" = Option<String>, Cookie, nullable = false,
            description = "Cookie mode's refresh token, set by bouncer (`bouncer_refresh` when \
                           `refresh_cookie.secure = false`).")),
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "Logged out: the sessions of `scope` are revoked."),
        (status = 401, response = Unauthorized),
    ))]
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
