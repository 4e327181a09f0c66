//! Users: the search list, the add form, and one user's page (status, groups, password,
//! sessions and Token keys). The forms on a user's page post to `user_actions.rs`.

use super::docs::{AdminNotFound, CsrfRefused, FormErrors, HtmlPage, SeeOther};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::page::{
    AdminError, checkbox, csrf_field, error_summary, field, html, layout, see_other,
};
use super::session::{Staff, StaffPost};
use super::user_page::{UserView, user_page};
use crate::error::{ApiError, FieldErrors};
use crate::service::{Accounts, Memberships, NewAccount, Sessions};

/// Most users one search shows.
const PAGE_SIZE: i64 = 100;

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

fn yes_no(flag: bool) -> &'static str {
    if flag { "yes" } else { "no" }
}

/// `GET /admin/users/?q=`: users whose username or e-mail contains `q`.
#[utoipa::path(get, path = "/admin/users/", tag = "admin", operation_id = "admin_users",
    summary = "Users, searched by username or e-mail",
    params(("q" = Option<String>, Query, description = "Part of a username or e-mail (150 characters at most).")),
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn list(
    staff: Staff,
    accounts: web::Data<Accounts>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AdminError> {
    let q: String = query.q.trim().chars().take(150).collect();
    let users = accounts.search(&q, PAGE_SIZE).await?;
    let content = html! {
        p { a href="/admin/users/add/" { "Add a user" } }
        form role="search" method="get" action="/admin/users/" {
            div.field {
                label for="q" { "Search by username or e-mail" }
                input id="q" name="q" type="search" value=(q);
            }
            button type="submit" { "Search" }
        }
        @if users.is_empty() {
            p { "No user matches." }
        } @else {
            table {
                caption { (users.len()) " user(s)" @if users.len() as i64 == PAGE_SIZE { " (first " (PAGE_SIZE) "; refine the search)" } }
                thead { tr { th scope="col" { "Username" } th scope="col" { "E-mail" } th scope="col" { "Active" } th scope="col" { "Staff" } th scope="col" { "Last login" } } }
                tbody {
                    @for user in &users {
                        tr {
                            th scope="row" { a href={ "/admin/users/" (user.id) "/" } { (user.username) } }
                            td { (user.email) }
                            td { (yes_no(user.is_active)) }
                            td { (yes_no(user.is_staff)) }
                            td { @if let Some(at) = user.last_login { (at.format("%Y-%m-%d %H:%M UTC")) } @else { "never" } }
                        }
                    }
                }
            }
        }
    };
    Ok(html(
        StatusCode::OK,
        layout("Users", Some(&staff.viewer()), content),
    ))
}

fn add_form(staff: &Staff, username: &str, email: &str, errors: &FieldErrors) -> Markup {
    let content = html! {
        (error_summary(errors))
        form method="post" action="/admin/users/add/" novalidate {
            (csrf_field(&staff.csrf))
            (field("username", "Username", "text", username, errors, "off"))
            (field("email", "E-mail (optional)", "email", email, errors, "off"))
            (field("password1", "Password", "password", "", errors, "new-password"))
            (field("password2", "Password again", "password", "", errors, "new-password"))
            (checkbox("is_staff", "Staff (may use this admin page)", false, errors))
            button type="submit" { "Add user" }
        }
    };
    layout("Add a user", Some(&staff.viewer()), content)
}

/// `GET /admin/users/add/`.
#[utoipa::path(get, path = "/admin/users/add/", tag = "admin", operation_id = "admin_user_add_page",
    summary = "The form to add a user",
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn add_page(staff: Staff) -> HttpResponse {
    html(
        StatusCode::OK,
        add_form(&staff, "", "", &FieldErrors::new()),
    )
}

pub const MISMATCH: &str = "The two password fields didn't match.";

/// `POST /admin/users/add/` `{username, email?, password1, password2, is_staff?}`: every
/// field is checked before anything is stored.
#[utoipa::path(post, path = "/admin/users/add/", tag = "admin", operation_id = "admin_user_add",
    summary = "Add a user",
    request_body(content = Object, content_type = "application/x-www-form-urlencoded", description = "`username`, `email`, `password1`, `password2`, `is_staff`, `csrf_token`."),
    responses((status = 303, response = SeeOther), (status = 400, response = FormErrors), (status = 403, response = CsrfRefused), (status = 404, response = AdminNotFound)))]
pub async fn add(
    req: HttpRequest,
    post: StaffPost,
    accounts: web::Data<Accounts>,
) -> Result<HttpResponse, AdminError> {
    let StaffPost { staff, fields } = post;
    let mut reader = fields.fields();
    let username = reader.required("username");
    let email = reader.optional("email").unwrap_or_default();
    let password = reader.required_raw("password1");
    let again = reader.required_raw("password2");
    let is_staff = reader.optional_bool("is_staff").unwrap_or(false);
    let mut errors = std::mem::take(reader.errors_mut());
    let account = NewAccount::check(&username, &email, password.clone(), &mut errors);
    if !again.is_empty() && again != password {
        errors
            .entry("password2".into())
            .or_default()
            .push(MISMATCH.into());
    }
    let bad = |errors: &FieldErrors| {
        html(
            StatusCode::BAD_REQUEST,
            add_form(&staff, &username, &email, errors),
        )
    };
    if !errors.is_empty() {
        return Ok(bad(&errors));
    }
    let user = match accounts.register(account, is_staff).await {
        Ok(user) => user,
        Err(ApiError::Validation(errors)) => return Ok(bad(&errors)),
        Err(other) => return Err(other.into()),
    };
    staff
        .audit("admin.user_added", &req)
        .field("user_id", user.id)
        .field("username", &user.username)
        .field("staff", user.is_staff)
        .emit();
    Ok(see_other(&format!(
        "/admin/users/{}/?done=created",
        user.id
    )))
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// What a `?done=` code says; unknown codes say nothing (no text from the URL is shown).
fn done_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => "The user was added.",
        "flags" => "Status saved.",
        "password" => "Password set; every session of the user has ended.",
        "group_added" => "Added to the group.",
        "group_removed" => "Removed from the group.",
        "session_ended" => "The session has ended.",
        "sessions_ended" => "Every session of the user has ended.",
        _ => return None,
    })
}

/// `GET /admin/users/{id}/`.
#[utoipa::path(get, path = "/admin/users/{id}/", tag = "admin", operation_id = "admin_user",
    summary = "A user: flags, groups, password, sessions and Token keys",
    params(("id" = i64, Path, description = "The user's id."), ("done" = Option<String>, Query, description = "What the last form did (a known code; others are ignored).")),
    responses((status = 200, response = HtmlPage), (status = 303, response = SeeOther), (status = 404, response = AdminNotFound)))]
pub async fn detail(
    staff: Staff,
    id: web::Path<i64>,
    query: web::Query<DoneQuery>,
    accounts: web::Data<Accounts>,
    memberships: web::Data<Memberships>,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, AdminError> {
    let view = UserView::load(id.into_inner(), &accounts, &memberships, &sessions).await?;
    let done = query.done.as_deref().and_then(done_text);
    Ok(html(
        StatusCode::OK,
        user_page(&staff, &view, &FieldErrors::new(), done, None),
    ))
}
