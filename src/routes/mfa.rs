//! Two-factor login with an authenticator app (`/auth/mfa/...`): enrolment, status, disabling,
//! recovery codes, and `POST /auth/mfa/verify/`, which finishes a password login that
//! answered 401 `mfa_required` (`tokens::obtain`).
//!
//! Wrong codes count under the failed-login limits (`service::guarded`), keyed by the
//! username with an `mfa:` prefix: a pair of its own, because a right password clears its
//! pair's failures, and sharing that pair would let whoever holds the password reset the
//! count of wrong codes by logging in again. Past the limit the answer is the lockout's 429,
//! as for passwords.

use actix_web::http::header::{CACHE_CONTROL, PRAGMA};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::tokens::{TokenPairResponse, client_info, token_response};
use crate::audit::AuditEvent;
use crate::auth::{CurrentUser, IsAdminUser, token_endpoint_key};
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::http::error_docs::{BadRequest, Forbidden, NotFound, Unauthorized};
use crate::http::refresh_cookie::RefreshCookies;
use crate::http::request_audit::{RequestFields, client_of};
use crate::http::throttling::Throttled;
use crate::service::{
    Accounts, DeviceTokens, Mfa, SecondFactor, TokenService, bad_credentials, guarded,
};
use crate::throttle::Throttler;
use crate::tokens::Amr;

/// `{current_password}` (enrolment): the password again, so a stolen access token alone
/// cannot put the thief's authenticator on the account.
#[derive(Debug, ToSchema)]
pub struct EnrolRequest {
    #[schema(format = Password)]
    pub current_password: String,
}

impl FromFields for EnrolRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            current_password: fields.required_raw("current_password"),
        }
    }
}

/// `{code}`: a TOTP code, or (to disable, or to regenerate recovery codes) a recovery code.
#[derive(Debug, ToSchema)]
pub struct CodeRequest {
    /// Six digits from the authenticator app, or a recovery code.
    pub code: String,
}

impl FromFields for CodeRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            code: fields.required("code"),
        }
    }
}

/// `{mfa_token, code}`.
#[derive(Debug, ToSchema)]
pub struct VerifyRequest {
    /// From the login's 401 `mfa_required` answer.
    pub mfa_token: String,
    /// Six digits from the authenticator app, or a recovery code (spent).
    pub code: String,
}

impl FromFields for VerifyRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            mfa_token: fields.required("mfa_token"),
            code: fields.required("code"),
        }
    }
}

/// `POST /auth/mfa/totp/`: set the authenticator app up from any of these.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrolmentResponse {
    /// The shared secret in base32, for typing into the app.
    pub secret: String,
    /// `otpauth://totp/<issuer>:<username>?secret=...&issuer=...` (Key Uri Format).
    pub otpauth_uri: String,
    /// The URI as a QR code, an SVG document.
    pub qr_svg: String,
}

/// Shown once: only their hashes are kept. Each works once, in place of a code.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecoveryCodesResponse {
    pub recovery_codes: Vec<String>,
}

/// `GET /auth/mfa/`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    pub totp_enabled: bool,
    /// Unused recovery codes (0 while TOTP is off).
    pub recovery_codes_left: i64,
}

fn no_store(body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .json(body)
}

/// Runs a code check under the failed-login limits of `mfa:<username>` (see the module
/// doc), and writes its audit line when it fails or is locked out. Wrong codes come back as
/// `mfa_code_invalid`.
async fn code_attempt<T>(
    req: &HttpRequest,
    username: &str,
    user_id: i64,
    step: &'static str,
    attempt: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let subject = format!("mfa:{username}");
    let limited = async {
        match req.app_data::<web::Data<Throttler>>() {
            Some(throttler) => {
                let (address, _) = client_of(req);
                let logins = throttler.logins();
                guarded(logins, &subject, address, attempt, bad_credentials).await
            }
            None => attempt.await,
        }
    };
    // The pair and address limits alone let a guesser who has the password spread code
    // guesses over many addresses. The account's bound (`[device_tokens]`) caps wrong codes
    // per account too; only a holder of the password can spend it, so it cannot be turned
    // against the owner by anyone else. No device token exempts a code (it names `username`,
    // never `mfa:username`).
    let outcome = match req.app_data::<web::Data<DeviceTokens>>() {
        Some(devices) => {
            let guarded = devices.guarded(&subject, None, limited, bad_credentials);
            guarded.await.outcome
        }
        None => limited.await,
    };
    let event = match &outcome {
        Err(ApiError::InvalidCredentials) => {
            AuditEvent::warning("mfa.failed").field("reason", "bad_code")
        }
        Err(ApiError::LockedOut { wait }) => AuditEvent::warning("mfa.failed")
            .field("reason", "locked_out")
            .field("wait", *wait),
        _ => return outcome.map_err(wrong_code),
    };
    event
        .field("step", step)
        .field("username", username)
        .field("user_id", user_id)
        .request(req)
        .emit();
    outcome.map_err(wrong_code)
}

fn wrong_code(e: ApiError) -> ApiError {
    match e {
        ApiError::InvalidCredentials => ApiError::MfaCodeInvalid,
        other => other,
    }
}

fn used_recovery_code(req: &HttpRequest, factor: SecondFactor, user_id: i64, step: &str) {
    if factor == SecondFactor::RecoveryCode {
        AuditEvent::new("recovery_code.used")
            .field("user_id", user_id)
            .field("step", step.to_owned())
            .request(req)
            .emit();
    }
}

/// `GET /auth/mfa/` -> `{totp_enabled, recovery_codes_left}`.
#[utoipa::path(get, path = "/auth/mfa/", tag = "mfa",
    summary = "Two-factor status of the current user",
    security(("jwt" = []), ("key" = [])),
    responses((status = 200, description = "Whether TOTP is on, and the recovery codes left.",
        body = StatusResponse)))]
pub async fn status(mfa: web::Data<Mfa>, current: CurrentUser) -> Result<HttpResponse, ApiError> {
    let status = mfa.status(current.user.id).await?;
    Ok(HttpResponse::Ok().json(StatusResponse {
        totp_enabled: status.totp_enabled,
        recovery_codes_left: status.recovery_codes_left,
    }))
}

/// `POST /auth/mfa/totp/` `{current_password}` -> `{secret, otpauth_uri, qr_svg}`: a pending
/// enrolment (a new POST replaces it) until `POST /auth/mfa/totp/confirm/`. 400: TOTP is
/// already on (`detail`), or `current_password` is missing or wrong (djoser's field error).
#[utoipa::path(post, path = "/auth/mfa/totp/", tag = "mfa",
    summary = "Start enrolling an authenticator app",
    request_body = EnrolRequest,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "The new secret, pending until a first code confirms it.",
            body = EnrolmentResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, response = BadRequest),
    ))]
pub async fn enrol(
    req: HttpRequest,
    mfa: web::Data<Mfa>,
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    Form(request): Form<EnrolRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts
        .check_current_password(&current.user, request.current_password)
        .await?;
    let enrolment = mfa.start_enrolment(&current.user).await?;
    AuditEvent::new("mfa.enrolment_started")
        .field("user_id", current.user.id)
        .request(&req)
        .emit();
    Ok(no_store(EnrolmentResponse {
        secret: enrolment.secret,
        otpauth_uri: enrolment.otpauth_uri,
        qr_svg: enrolment.qr_svg,
    }))
}

/// `POST /auth/mfa/totp/confirm/` `{code}` -> `{recovery_codes}`: TOTP is on.
#[utoipa::path(post, path = "/auth/mfa/totp/confirm/", tag = "mfa",
    summary = "Confirm the enrolment with a first code; TOTP is on",
    request_body = CodeRequest,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "TOTP is on. The recovery codes are shown this once.",
            body = RecoveryCodesResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = Unauthorized),
    ))]
pub async fn confirm(
    req: HttpRequest,
    mfa: web::Data<Mfa>,
    current: CurrentUser,
    Form(request): Form<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = &current.user;
    let confirmed = mfa.confirm(user.id, &request.code);
    let codes = code_attempt(&req, &user.username, user.id, "confirm", confirmed).await?;
    AuditEvent::new("mfa.enabled")
        .field("user_id", user.id)
        .request(&req)
        .emit();
    Ok(no_store(RecoveryCodesResponse {
        recovery_codes: codes,
    }))
}

/// `POST /auth/mfa/totp/disable/` `{code}` -> 204: TOTP is off, its recovery codes void.
#[utoipa::path(post, path = "/auth/mfa/totp/disable/", tag = "mfa",
    summary = "Turn TOTP off (with a code or a recovery code)",
    request_body = CodeRequest,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "TOTP is off; the recovery codes are void."),
        (status = 401, response = Unauthorized),
    ))]
pub async fn disable(
    req: HttpRequest,
    mfa: web::Data<Mfa>,
    current: CurrentUser,
    Form(request): Form<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = &current.user;
    let disabled = mfa.disable(user.id, &request.code);
    let factor = code_attempt(&req, &user.username, user.id, "disable", disabled).await?;
    used_recovery_code(&req, factor, user.id, "disable");
    AuditEvent::new("mfa.disabled")
        .field("user_id", user.id)
        .field("with", factor.as_str())
        .request(&req)
        .emit();
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /auth/mfa/recovery-codes/` `{code}` -> `{recovery_codes}`: new ones, the old void.
#[utoipa::path(post, path = "/auth/mfa/recovery-codes/", tag = "mfa",
    summary = "New recovery codes (the old ones stop working)",
    request_body = CodeRequest,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "The new recovery codes, shown this once.",
            body = RecoveryCodesResponse,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 401, response = Unauthorized),
    ))]
pub async fn regenerate(
    req: HttpRequest,
    mfa: web::Data<Mfa>,
    current: CurrentUser,
    Form(request): Form<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = &current.user;
    let regenerated = mfa.regenerate_codes(user.id, &request.code);
    let (codes, factor) =
        code_attempt(&req, &user.username, user.id, "recovery_codes", regenerated).await?;
    used_recovery_code(&req, factor, user.id, "recovery_codes");
    AuditEvent::new("mfa.recovery_codes_replaced")
        .field("user_id", user.id)
        .request(&req)
        .emit();
    Ok(no_store(RecoveryCodesResponse {
        recovery_codes: codes,
    }))
}

/// `POST /auth/mfa/verify/` `{mfa_token, code}` -> the login's token pair (`amr` says
/// `["pwd", "otp"]`, or `["pwd", "mfa"]` after a recovery code), in cookie mode when the login
/// asked for it or this request does.
#[utoipa::path(post, path = "/auth/mfa/verify/", tag = "mfa",
    summary = "Finish a login that answered mfa_required",
    request_body = VerifyRequest,
    params(("X-Refresh-Cookie" = Option<String>, Header, nullable = false, pattern = "^1$",
            description = "`1`: cookie mode (also when the login asked for it).")),
    responses(
        (status = 200, description = "The new session's tokens, as the login answers them.",
            body = TokenPairResponse,
            headers(("Cache-Control" = String, description = "`no-store`"),
                ("Pragma" = String, description = "`no-cache`"))),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ))]
pub async fn verify(
    _: Throttled,
    req: HttpRequest,
    mfa: web::Data<Mfa>,
    tokens: web::Data<TokenService>,
    cookies: web::Data<RefreshCookies>,
    Form(request): Form<VerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let requested = cookies.requested(&req)?;
    // A DPoP proof here binds the session's tokens to its key, as at login (RFC 9449).
    let cnf = token_endpoint_key(&req).await?;
    let (challenge, user) = mfa.open_challenge(&request.mfa_token).await?;
    let cookie_mode = requested || challenge.cookie_mode;
    if cookie_mode {
        cookies.check_origin(&req)?;
    }
    let checked = mfa.check_second_factor(user.id, &request.code);
    let factor = code_attempt(&req, &user.username, user.id, "login", checked).await?;
    mfa.spend_challenge(&request.mfa_token).await?;
    used_recovery_code(&req, factor, user.id, "login");
    let amr = match factor {
        SecondFactor::Totp => Amr::PasswordOtp,
        SecondFactor::RecoveryCode => Amr::PasswordRecovery,
    };
    let pair = tokens
        .start_session_proved(&user, client_info(&req), amr, cnf)
        .await?;
    AuditEvent::new("mfa.verified")
        .field("username", &user.username)
        .field("user_id", user.id)
        .field("with", factor.as_str())
        .request(&req)
        .emit();
    AuditEvent::new("login.success")
        .field("credential", "jwt")
        .field("username", &user.username)
        .field("user_id", user.id)
        .field("sid", pair.sid.to_string())
        .field("cookie_mode", cookie_mode)
        .field("second_factor", factor.as_str())
        .request(&req)
        .emit();
    Ok(token_response(
        &req,
        pair,
        cookie_mode.then_some(&**cookies),
    ))
}

/// `DELETE /auth/users/{id}/mfa/` (staff) -> 204: the user's TOTP is off, their recovery codes
/// void, without a code (a user who lost both the phone and the codes). Their password alone
/// logs them in again, so staff should check who is asking first.
#[utoipa::path(delete, path = "/auth/users/{id}/mfa/", tag = "mfa",
    summary = "Turn a user's TOTP off (staff)",
    params(("id" = i64, Path, description = "The user's id.")),
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "TOTP is off for the user (or was never on)."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub async fn reset_of_user(
    req: HttpRequest,
    staff: IsAdminUser,
    mfa: web::Data<Mfa>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let user_id = path.into_inner();
    if mfa.reset_by_staff(user_id).await? {
        AuditEvent::warning("mfa.disabled")
            .field("user_id", user_id)
            .field("with", "staff")
            .field("by", staff.user_id)
            .request(&req)
            .emit();
    }
    Ok(HttpResponse::NoContent().finish())
}
