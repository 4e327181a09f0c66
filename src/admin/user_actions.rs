//! The forms of a user's page: status flags, groups, password, ending sessions and making
//! Token keys. Each reads and checks every field before it changes anything, answers a bad
//! field with the page and the error next to the field (400), and writes an audit line
//! naming the admin and the user.

use super::docs::{AdminNotFound, CsrfRefused, FormErrors, HtmlPage, SeeOther};
use actix_web::http::StatusCode;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::ErrorInternalServerError;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};

use super::page::{AdminError, html, see_other};
use super::session::{Staff, StaffPost};
use super::user_page::{UserView, user_page};
use super::users::MISMATCH;
use crate::credentials::key_fingerprint;
use crate::db::users::UserChanges;
use crate::error::{ApiError, FieldErrors};
use crate::http::request_audit::client_of;
use crate::service::{Accounts, ApiKeys, ClientInfo, Memberships, Sessions};
use crate::tokens::SessionId;

/// Django's longest group name.
const MAX_GROUP_NAME: usize = 150;

/// The services a user's page needs, taken from the app data in one extractor (each form
/// handler needs all three to show the page again with its errors).
pub struct UserServices {
    accounts: web::Data<Accounts>,
    memberships: web::Data<Memberships>,
    sessions: web::Data<Sessions>,
}

impl FromRequest for UserServices {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        fn data<T: 'static>(req: &HttpRequest) -> Result<web::Data<T>, actix_web::Error> {
            req.app_data::<web::Data<T>>()
                .cloned()
                .ok_or_else(|| ErrorInternalServerError("the admin page's services are missing"))
        }
        ready((|| {
            Ok(Self {
                accounts: data(req)?,
                memberships: data(req)?,
                sessions: data(req)?,
            })
        })())
    }
}

/// The user's page again with `errors` next to their fields: 400.
async fn refused(
    staff: &Staff,
    id: i64,
    errors: FieldErrors,
    s: &UserServices,
) -> Result<HttpResponse, AdminError> {
    let view = UserView::load(id, &s.accounts, &s.memberships, &s.sessions).await?;
    Ok(html(
        StatusCode::BAD_REQUEST,
        user_page(staff, &view, &errors, None, None),
    ))
}

fn one(field: &str, message: impl Into<String>) -> FieldErrors {
    [(field.to_owned(), vec![message.into()])].into()
}

fn done(id: i64, code: &str) -> HttpResponse {
    see_other(&format!("/admin/users/{id}/?done={code}"))
}

/// `POST /admin/users/{id}/flags/` `{is_active?, is_staff?}` (checkboxes: absent is off).
#[utoipa::path(post, path = "/admin/users/{id}/flags/", tag = "admin", operation_id = "admin_user_flags",
    summary = "Activate or deactivate a user, set or clear staff",
    params(("id" = i64, Path, description = "The user's id.")), request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`is_active`, `is_staff` (checkboxes: absent is off), `csrf_token`."),
    responses((status = 303, response = SeeOther), (status = 400, response = FormErrors), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn flags(
    req: HttpRequest,
    post: StaffPost,
    id: web::Path<i64>,
    s: UserServices,
) -> Result<HttpResponse, AdminError> {
    let (id, StaffPost { staff, fields }) = (id.into_inner(), post);
    let mut reader = fields.fields();
    let is_active = reader.optional_bool("is_active").unwrap_or(false);
    let is_staff = reader.optional_bool("is_staff").unwrap_or(false);
    let mut errors = std::mem::take(reader.errors_mut());
    if id == staff.user.id && !(is_active && is_staff) {
        // The admin would lock themselves out mid-session; another admin can do it.
        let why = "You cannot deactivate yourself or remove your own staff status here.";
        errors.entry("flags".into()).or_default().push(why.into());
    }
    if !errors.is_empty() {
        return refused(&staff, id, errors, &s).await;
    }
    let changes = UserChanges {
        email: None,
        is_active: Some(is_active),
        is_staff: Some(is_staff),
    };
    let user = s.accounts.update(&staff.user, id, changes).await?;
    staff
        .audit("admin.user_status", &req)
        .field("user_id", user.id)
        .field("active", user.is_active)
        .field("staff", user.is_staff)
        .emit();
    Ok(done(id, "flags"))
}

/// `POST /admin/users/{id}/password/` `{password1, password2}`: validated by the password
/// validators; every session of the user ends.
#[utoipa::path(post, path = "/admin/users/{id}/password/", tag = "admin", operation_id = "admin_user_password",
    summary = "Set a user's password (every session of theirs ends)",
    params(("id" = i64, Path, description = "The user's id.")), request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`password1`, `password2`, `csrf_token`."),
    responses((status = 303, response = SeeOther), (status = 400, response = FormErrors), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn password(
    req: HttpRequest,
    post: StaffPost,
    id: web::Path<i64>,
    s: UserServices,
) -> Result<HttpResponse, AdminError> {
    let (id, StaffPost { staff, fields }) = (id.into_inner(), post);
    let mut reader = fields.fields();
    let password = reader.required_raw("password1");
    let again = reader.required_raw("password2");
    let mut errors = std::mem::take(reader.errors_mut());
    if errors.is_empty() && again != password {
        errors.insert("password2".into(), vec![MISMATCH.into()]);
    }
    if !errors.is_empty() {
        return refused(&staff, id, errors, &s).await;
    }
    let ended = match s
        .accounts
        .set_password_by_staff(staff.user.id, id, password, "password1")
        .await
    {
        Ok(ended) => ended,
        Err(ApiError::Validation(errors)) => return refused(&staff, id, errors, &s).await,
        Err(other) => return Err(other.into()),
    };
    staff
        .audit("admin.password_set", &req)
        .field("user_id", id)
        .field("sessions_ended", ended)
        .emit();
    Ok(done(id, "password"))
}

/// `POST /admin/users/{id}/groups/` `{group, action: add|remove}`.
#[utoipa::path(post, path = "/admin/users/{id}/groups/", tag = "admin", operation_id = "admin_user_groups",
    summary = "Add a user to a group or remove them",
    params(("id" = i64, Path, description = "The user's id.")), request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`group`, `action` (`add` or `remove`), `csrf_token`."),
    responses((status = 303, response = SeeOther), (status = 400, response = FormErrors), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn groups(
    req: HttpRequest,
    post: StaffPost,
    id: web::Path<i64>,
    s: UserServices,
) -> Result<HttpResponse, AdminError> {
    let (id, StaffPost { staff, fields }) = (id.into_inner(), post);
    let mut reader = fields.fields();
    let group = reader.required("group");
    let action = reader.required("action");
    let mut errors = std::mem::take(reader.errors_mut());
    if let Some(why) = group_name_problem(&group) {
        errors.entry("group".into()).or_default().push(why.into());
    }
    let member = match action.as_str() {
        "add" => true,
        "remove" => false,
        _ => {
            errors
                .entry("group".into())
                .or_default()
                .push("Choose to add or to remove.".into());
            false
        }
    };
    if !errors.is_empty() {
        return refused(&staff, id, errors, &s).await;
    }
    if s.accounts.find(id).await?.is_none() {
        return Err(ApiError::NotFound.into());
    }
    let Some(name) = s
        .memberships
        .set(group.clone(), id, member, Some(staff.user.id))
        .await?
    else {
        return refused(&staff, id, one("group", "There is no such group."), &s).await;
    };
    staff
        .audit(
            if member {
                "admin.group_add"
            } else {
                "admin.group_remove"
            },
            &req,
        )
        .field("user_id", id)
        .field("group", &name)
        .emit();
    Ok(done(
        id,
        if member {
            "group_added"
        } else {
            "group_removed"
        },
    ))
}

/// Why `name` cannot name a group: blank (reported as required already), too long, or with
/// control characters.
pub fn group_name_problem(name: &str) -> Option<&'static str> {
    if name.chars().count() > MAX_GROUP_NAME {
        Some("Ensure this field has no more than 150 characters.")
    } else if name.chars().any(char::is_control) {
        Some("A group name may not contain control characters.")
    } else {
        None
    }
}

/// `POST /admin/users/{id}/sessions/end/` `{sid}` or `{all: true}`: ends one session (a
/// login or a Token key) or all of them.
#[utoipa::path(post, path = "/admin/users/{id}/sessions/end/", tag = "admin", operation_id = "admin_user_end_sessions",
    summary = "End one session of a user, or all",
    params(("id" = i64, Path, description = "The user's id.")), request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`sid` or `all`, `csrf_token`."),
    responses((status = 303, response = SeeOther), (status = 400, response = FormErrors), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn end_sessions(
    req: HttpRequest,
    post: StaffPost,
    id: web::Path<i64>,
    s: UserServices,
) -> Result<HttpResponse, AdminError> {
    let (id, StaffPost { staff, fields }) = (id.into_inner(), post);
    let mut reader = fields.fields();
    let all = reader.optional_bool("all").unwrap_or(false);
    let sid = reader.optional("sid").filter(|v| !v.is_empty());
    let mut errors = std::mem::take(reader.errors_mut());
    let sid = match (all, sid) {
        (true, None) => None,
        (false, Some(raw)) => match SessionId::parse(&raw) {
            Some(sid) => Some(sid),
            None => {
                errors.insert("sid".into(), vec!["Not a session id.".into()]);
                None
            }
        },
        _ => {
            let why = "Name one session, or ask for all of them.";
            errors.insert("sid".into(), vec![why.into()]);
            None
        }
    };
    if !errors.is_empty() {
        return refused(&staff, id, errors, &s).await;
    }
    if s.accounts.find(id).await?.is_none() {
        return Err(ApiError::NotFound.into());
    }
    let by = Some(staff.user.id);
    let Some(sid) = sid else {
        let ended = s.sessions.end_all(id, by).await?;
        staff
            .audit("admin.sessions_ended", &req)
            .field("user_id", id)
            .field("sessions_ended", ended)
            .emit();
        return Ok(done(id, "sessions_ended"));
    };
    match s.sessions.end(id, sid, by).await {
        Ok(()) => {}
        Err(ApiError::NotFound) => {
            let why = "This session has already ended.";
            return refused(&staff, id, one("sid", why), &s).await;
        }
        Err(other) => return Err(other.into()),
    }
    staff
        .audit("admin.session_ended", &req)
        .field("user_id", id)
        .field("sid", sid.to_string())
        .emit();
    Ok(done(id, "session_ended"))
}

/// `POST /admin/users/{id}/keys/`: a new Token key for the user, shown once on the answer
/// (which is never cached).
#[utoipa::path(post, path = "/admin/users/{id}/keys/", tag = "admin", operation_id = "admin_user_create_key",
    summary = "Create a Token key for a user (shown once)",
    params(("id" = i64, Path, description = "The user's id.")), request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`csrf_token`."),
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn create_key(
    req: HttpRequest,
    post: StaffPost,
    id: web::Path<i64>,
    s: UserServices,
    keys: web::Data<ApiKeys>,
) -> Result<HttpResponse, AdminError> {
    let (id, staff) = (id.into_inner(), post.staff);
    let user = s.accounts.find(id).await?.ok_or(ApiError::NotFound)?;
    let (address, _) = client_of(&req);
    let client = ClientInfo {
        user_agent: format!("made on the admin page by {}", staff.user.username)
            .chars()
            .take(crate::db::sessions::MAX_USER_AGENT)
            .collect(),
        address,
    };
    let key = keys.create(&user, client).await?;
    staff
        .audit("admin.key_created", &req)
        .field("user_id", id)
        .field("key", key_fingerprint(&key))
        .emit();
    let view = UserView::load(id, &s.accounts, &s.memberships, &s.sessions).await?;
    let page = user_page(&staff, &view, &FieldErrors::new(), None, Some(&key));
    Ok(html(StatusCode::OK, page))
}
