//! The admin page's session: a real bouncer login session (it shows in the user's sessions
//! list and ends like any other), whose refresh token the browser keeps in an HttpOnly,
//! SameSite=Strict cookie of its own.
//!
//! Every request re-checks it: the token verifies, its session and the user's credentials
//! are not revoked, and the user is still active and staff. A form post must also
//! - carry an `Origin` that is bouncer's own (or one of `cors.allowed_origins`): browsers
//!   always send it with a form post, and the page's `Referrer-Policy: same-origin` keeps
//!   it real; a post without one is refused, which also covers the login form itself;
//! - carry the session's CSRF proof (`HMAC(sid)`, `credentials::CsrfProofs`, the same proof
//!   cookie mode uses) in the hidden field `csrf_token`.
//!
//! Either failure is a 403 that changes nothing.

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};

use super::page::AdminError;
use crate::db::models::User;
use crate::error::{ApiError, CsrfProblem};
use crate::http::body::BodyFields;
use crate::http::refresh_cookie::RefreshCookies;
use crate::service::{Accounts, TokenService};
use crate::settings::Settings;
use crate::tokens::SessionId;

/// `__Host-` makes browsers refuse the cookie unless it is `Secure`, `Path=/` and has no
/// `Domain`, so no sibling subdomain can plant or overwrite it.
const SECURE_NAME: &str = "__Host-bouncer_admin";
/// For loopback development over plain HTTP (`refresh_cookie.secure = false`); sent to the
/// admin page only.
const DEV_NAME: &str = "bouncer_admin";

/// The cookie's name and flags, from the `[refresh_cookie]` settings' `secure` rule.
#[derive(Debug, Clone)]
pub struct AdminCookie {
    secure: bool,
}

impl AdminCookie {
    pub fn new(settings: &Settings) -> Self {
        Self {
            secure: settings.refresh_cookie.secure,
        }
    }

    fn name(&self) -> &'static str {
        if self.secure { SECURE_NAME } else { DEV_NAME }
    }

    /// The cookie holding `token` for `max_age` seconds (empty and 0: drop it).
    pub fn build(&self, token: String, max_age: i64) -> Cookie<'static> {
        Cookie::build(self.name(), token)
            .path(if self.secure { "/" } else { "/admin/" })
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Strict)
            .max_age(CookieDuration::seconds(max_age.max(0)))
            .finish()
    }

    pub fn cleared(&self) -> Cookie<'static> {
        self.build(String::new(), 0)
    }

    fn token(&self, req: &HttpRequest) -> Option<String> {
        req.cookie(self.name())
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty())
    }
}

fn data<T: 'static>(req: &HttpRequest) -> Result<&web::Data<T>, ApiError> {
    req.app_data::<web::Data<T>>().ok_or_else(|| {
        ApiError::Internal(format!("{} is not registered", std::any::type_name::<T>()))
    })
}

/// A staff user with a live admin session.
pub struct Staff {
    pub user: User,
    pub sid: SessionId,
    /// The session's refresh token (to end the session at logout).
    pub token: String,
    /// The session's CSRF proof, for the forms of the page.
    pub csrf: String,
}

impl Staff {
    async fn of_request(req: HttpRequest) -> Result<Self, AdminError> {
        let cookie = data::<AdminCookie>(&req)?;
        let Some(token) = cookie.token(&req) else {
            return Err(AdminError::LogIn { clear: None });
        };
        let stale = || AdminError::LogIn {
            clear: Some(cookie.cleared()),
        };
        let (user_id, sid) = match data::<TokenService>(&req)?.live_session(&token).await {
            Ok(session) => session,
            Err(ApiError::InvalidToken { .. }) => return Err(stale()),
            Err(other) => return Err(other.into()),
        };
        let user = data::<Accounts>(&req)?.find(user_id).await?;
        let Some(user) = user.filter(|u| u.is_active && u.is_staff) else {
            return Err(stale());
        };
        let csrf = data::<RefreshCookies>(&req)?.proof_for(sid);
        Ok(Self {
            user,
            sid,
            token,
            csrf,
        })
    }
}

impl FromRequest for Staff {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AdminError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(Self::of_request(req.clone()))
    }
}

/// A form post of the page: its `Origin` checked, its fields read, and (for every form but
/// the login form, see [`checked_origin`]) the staff session and its CSRF proof checked.
pub struct StaffPost {
    pub staff: Staff,
    pub fields: BodyFields,
}

/// The origin check of every form post: present, and bouncer's own or an allowed origin.
pub fn checked_origin(req: &HttpRequest) -> Result<(), ApiError> {
    if !req.headers().contains_key(actix_web::http::header::ORIGIN) {
        return Err(ApiError::Csrf(CsrfProblem::OriginNotAllowed));
    }
    data::<RefreshCookies>(req)?.check_origin(req)
}

impl FromRequest for StaffPost {
    type Error = AdminError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AdminError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let origin = checked_origin(&req);
        let body = BodyFields::from_request(&req, payload);
        Box::pin(async move {
            origin?;
            let fields = body.await?;
            let staff = Staff::of_request(req.clone()).await?;
            let proof = fields
                .as_map()
                .get("csrf_token")
                .and_then(|v| v.as_str())
                .filter(|v| !v.is_empty())
                .ok_or(ApiError::Csrf(CsrfProblem::Missing))?;
            data::<RefreshCookies>(&req)?.check_proof(staff.sid, proof)?;
            Ok(Self { staff, fields })
        })
    }
}

impl Staff {
    /// The audit line of an admin action, naming the admin (the target is added by the
    /// caller) and the request.
    pub fn audit(&self, action: &'static str, req: &HttpRequest) -> crate::audit::AuditEvent {
        use crate::http::request_audit::RequestFields;
        crate::audit::AuditEvent::new(action)
            .field("admin_id", self.user.id)
            .field("admin", &self.user.username)
            .request(req)
    }

    pub fn viewer(&self) -> super::page::Viewer<'_> {
        super::page::Viewer {
            user: &self.user,
            csrf: &self.csrf,
        }
    }
}
