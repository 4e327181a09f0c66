//! Logging in to and out of the admin page. A login goes through the same failed-login
//! limits as the API's (`guarded_attempt`); a non-staff account gets the same answer as a
//! wrong password, after the same bcrypt work, so the form tells nobody which accounts exist
//! or which passwords are right. The failure counts like any failed login. The route's
//! request throttles (`throttle.anon`/`throttle.user`) apply as to the API's login.

use super::docs::{AdminNotFound, CsrfRefused, FormErrors, HtmlPage, LoginRefused, SeeOther};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use maud::html;

use super::page::{AdminError, error_summary, field, html, layout, see_other};
use super::session::{AdminCookie, Staff, StaffPost, checked_origin};
use crate::audit::AuditEvent;
use crate::clock;
use crate::db::sessions::MAX_USER_AGENT;
use crate::error::{ApiError, FieldErrors};
use crate::http::body::BodyFields;
use crate::http::device_login::{attach, guarded_login};
use crate::http::request_audit::{RequestFields, client_of};
use crate::http::throttling::Throttled;
use crate::service::{Accounts, ClientInfo, Mfa, TokenService};

/// Django admin's wording: the same for every refusal.
pub const REFUSED: &str = "Please enter the correct username and password for a staff \
                           account. Note that both fields may be case-sensitive.";

/// The admin form has no step for a second factor, so an account with one cannot use it: a
/// password alone must not open a session that two-factor login would have refused.
pub const MFA_REFUSED: &str = "Two-factor authentication is on for this account, and the \
                               admin page cannot check codes: use the API (/api/token/ and \
                               /auth/mfa/verify/).";

#[derive(serde::Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    bye: Option<String>,
}

fn form(username: &str, errors: &FieldErrors, notice: Option<&str>) -> maud::Markup {
    layout(
        "Log in",
        None,
        html! {
            @if let Some(text) = notice { (super::page::notice(text)) }
            (error_summary(errors))
            form method="post" action="/admin/login/" novalidate {
                (field("username", "Username", "text", username, errors, "username"))
                (field("password", "Password", "password", "", errors, "current-password"))
                button type="submit" { "Log in" }
            }
        },
    )
}

/// `GET /admin/login/`: the form (a live session goes straight to the home page).
#[utoipa::path(get, path = "/admin/login/", tag = "admin", operation_id = "admin_login_page",
    summary = "The login form",
    params(("bye" = Option<String>, Query, description = "Any value: say \"You are logged out.\"")),
    responses((status = 200, response = HtmlPage), (status = 303, description = "A live staff session: to the home page."), (status = 404, response = AdminNotFound)))]
pub async fn page(req: HttpRequest, query: web::Query<LoginQuery>) -> HttpResponse {
    if Staff::extract(&req).await.is_ok() {
        return see_other("/admin/");
    }
    let notice = query.bye.as_ref().map(|_| "You are logged out.");
    html(StatusCode::OK, form("", &FieldErrors::new(), notice))
}

fn client_info(req: &HttpRequest) -> ClientInfo {
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

/// `POST /admin/login/` `{username, password}`: 303 to the home page with the session cookie.
#[utoipa::path(post, path = "/admin/login/", tag = "admin", operation_id = "admin_login",
    summary = "Log in to the admin page",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`username`, `password`."),
    responses((status = 303, description = "Logged in: to the home page, with the session cookie."), (status = 400, response = FormErrors), (status = 401, response = LoginRefused), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn submit(
    _: Throttled,
    req: HttpRequest,
    accounts: web::Data<Accounts>,
    tokens: web::Data<TokenService>,
    cookie: web::Data<AdminCookie>,
    mfa: web::Data<Mfa>,
    body: BodyFields,
) -> Result<HttpResponse, AdminError> {
    checked_origin(&req)?;
    let mut fields = body.fields();
    let username = fields.required("username");
    let password = fields.required_raw("password");
    let mut errors = match fields.finish() {
        Ok(()) => FieldErrors::new(),
        Err(ApiError::Validation(errors)) => errors,
        Err(other) => return Err(other.into()),
    };
    if !errors.is_empty() {
        return Ok(html(
            StatusCode::BAD_REQUEST,
            form(&username, &errors, None),
        ));
    }
    let check = async {
        let user = accounts.check_credentials(&username, password).await?;
        if user.is_staff {
            Ok(user)
        } else {
            Err(ApiError::InvalidCredentials)
        }
    };
    let outcome = guarded_login(&req, "admin", &username, check);
    let (user, device) = match outcome.await {
        Ok(found) => found,
        Err(ApiError::InvalidCredentials) => {
            errors.insert("non_field_errors".into(), vec![REFUSED.into()]);
            return Ok(html(
                StatusCode::UNAUTHORIZED,
                form(&username, &errors, None),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    if mfa.is_enabled(user.id).await? {
        AuditEvent::warning("mfa.admin_login_refused")
            .field("username", &username)
            .field("user_id", user.id)
            .request(&req)
            .emit();
        errors.insert("non_field_errors".into(), vec![MFA_REFUSED.into()]);
        return Ok(html(StatusCode::FORBIDDEN, form(&username, &errors, None)));
    }
    let pair = tokens.start_session(&user, client_info(&req)).await?;
    let (refresh, exp) = pair
        .refresh
        .ok_or_else(|| ApiError::Internal("a new session has no refresh token".into()))?;
    AuditEvent::new("login.success")
        .field("credential", "admin")
        .field("username", &username)
        .field("user_id", user.id)
        .field("sid", pair.sid.to_string())
        .request(&req)
        .emit();
    let mut response = see_other("/admin/");
    response
        .add_cookie(&cookie.build(refresh, exp - clock::now()))
        .map_err(|e| ApiError::Internal(format!("admin cookie: {e}")))?;
    if let Some(device) = &device {
        attach(&req, &mut response, device, false)?;
    }
    Ok(response)
}

/// `POST /admin/logout/`: ends the session (its refresh token blacklisted, its tokens
/// refused everywhere) and drops the cookie.
#[utoipa::path(post, path = "/admin/logout/", tag = "admin", operation_id = "admin_logout",
    summary = "Log out of the admin page (the session ends)",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf_token`."),
    responses((status = 303, response = SeeOther), (status = 400, response = FormErrors), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn logout(
    req: HttpRequest,
    post: StaffPost,
    tokens: web::Data<TokenService>,
    cookie: web::Data<AdminCookie>,
) -> Result<HttpResponse, AdminError> {
    let staff = post.staff;
    // The admin session's tokens are never DPoP-bound: no proof.
    tokens.blacklist(&staff.token, |_| Ok(()), None).await?;
    AuditEvent::new("admin.logout")
        .field("admin_id", staff.user.id)
        .field("admin", &staff.user.username)
        .field("sid", staff.sid.to_string())
        .request(&req)
        .emit();
    let mut response = see_other("/admin/login/?bye=1");
    let _ = response.add_cookie(&cookie.cleared());
    Ok(response)
}
