//! Credential logins under the per-account bound (`service/devices.rs`): reading the client's
//! device token, the audit lines and metrics of the bound's refusals, and handing out a new
//! device token with every successful login.
//!
//! The token travels like this (README "Device tokens"):
//! - browsers: the HttpOnly cookie `__Host-bouncer_device` (`HttpOnly; Secure;
//!   SameSite=Strict; Path=/`, `Max-Age` its lifetime), `bouncer_device` with
//!   `refresh_cookie.secure = false`, the conventions of the refresh cookie;
//! - mobile clients: the `X-Device-Token` response header of every login (and the JWT
//!   login's `device_token` field in body mode), sent back as the `X-Device-Token` request
//!   header. The header wins when both are sent.
//!
//! A device token is no credential (it only moves its holder's failures to a count of its
//! own), so it needs no CSRF proof: a cross-site form that sends the cookie only makes its
//! own login attempt count against the device rather than the account.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use super::request_audit::{RequestFields, guarded_attempt};
use crate::audit::AuditEvent;
use crate::credentials::MAX_DEVICE_TOKEN;
use crate::db::models::User;
use crate::error::ApiError;
use crate::metrics::{Login, LoginCredential, Metrics};
use crate::service::{Bound, DeviceTokens, IssuedDevice, bad_credentials};

/// The request and response header of mobile clients.
pub const DEVICE_HEADER: &str = "x-device-token";
/// The cookie's name: `__Host-` keeps sibling subdomains from planting or overwriting it.
const SECURE_NAME: &str = "__Host-bouncer_device";
/// The name for loopback development over plain HTTP (`refresh_cookie.secure = false`).
const DEV_NAME: &str = "bouncer_device";

fn cookie_name(devices: &DeviceTokens) -> &'static str {
    if devices.cookie_secure() {
        SECURE_NAME
    } else {
        DEV_NAME
    }
}

/// The device token the client sent: the header, else the cookie. Oversized or non-ASCII
/// values are no token.
fn presented(req: &HttpRequest, devices: &DeviceTokens) -> Option<String> {
    let header = req
        .headers()
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    header
        .or_else(|| {
            req.cookie(cookie_name(devices))
                .map(|c| c.value().to_owned())
        })
        .filter(|t| !t.is_empty() && t.len() <= MAX_DEVICE_TOKEN)
}

/// A password login as `username` (`credential`: `jwt`, `key`, `admin`) under the
/// failed-login limits: the per-account bound (when `[device_tokens]` is enabled) around the
/// pair and address limits of `guarded_attempt`. On success, the user and their new device
/// token.
pub async fn guarded_login(
    req: &HttpRequest,
    credential: &'static str,
    username: &str,
    attempt: impl Future<Output = Result<User, ApiError>>,
) -> Result<(User, Option<IssuedDevice>), ApiError> {
    let inner = guarded_attempt(
        req,
        credential,
        ("username", username),
        attempt,
        bad_credentials,
    );
    let Some(devices) = req.app_data::<web::Data<DeviceTokens>>() else {
        return inner.await.map(|user| (user, None));
    };
    let presented = presented(req, devices);
    let guarded = devices
        .guarded(username, presented.as_deref(), inner, bad_credentials)
        .await;
    if let (Some(bound), Err(ApiError::LockedOut { wait })) = (guarded.refused_by, &guarded.outcome)
    {
        // `guarded_attempt` never ran: its audit line and metric are written here.
        AuditEvent::warning("login.locked_out")
            .field("wait", *wait)
            .field("reason", bound.name())
            .field("credential", credential)
            .field("username", username)
            .request(req)
            .emit();
        let metrics = req.app_data::<web::Data<Metrics>>();
        if let (Some(metrics), Some(kind)) = (metrics, LoginCredential::parse(credential)) {
            let result = match bound {
                Bound::Account => Login::LockedOutAccount,
                Bound::Device => Login::LockedOutDevice,
            };
            metrics.login(kind, result);
        }
    }
    if presented.is_some() && !guarded.trusted {
        // Forged, expired, ended, or another user's: ignored, the client counts as untrusted.
        AuditEvent::new("device_token.refused")
            .field("credential", credential)
            .field("username", username)
            .request(req)
            .emit();
    }
    let user = guarded.outcome?;
    let issued = devices.issue(&user)?;
    AuditEvent::new("device_token.issued")
        .field("credential", credential)
        .field("user_id", user.id)
        .request(req)
        .emit();
    Ok((user, Some(issued)))
}

/// Gives `issued` to the client: the cookie always, the `X-Device-Token` header when
/// `header` (not for pages, whose scripts need not see it).
pub fn attach(
    req: &HttpRequest,
    response: &mut HttpResponse,
    issued: &IssuedDevice,
    header: bool,
) -> Result<(), ApiError> {
    let Some(devices) = req.app_data::<web::Data<DeviceTokens>>() else {
        return Ok(());
    };
    let cookie = Cookie::build(cookie_name(devices), issued.token.clone())
        .path("/")
        .http_only(true)
        .secure(devices.cookie_secure())
        .same_site(SameSite::Strict)
        .max_age(CookieDuration::seconds(issued.max_age))
        .finish();
    response
        .add_cookie(&cookie)
        .map_err(|e| ApiError::Internal(format!("device cookie: {e}")))?;
    if header {
        let value = HeaderValue::from_str(&issued.token)
            .map_err(|e| ApiError::Internal(format!("device token header: {e}")))?;
        response
            .headers_mut()
            .insert(HeaderName::from_static(DEVICE_HEADER), value);
    }
    Ok(())
}
