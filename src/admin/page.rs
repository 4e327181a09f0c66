//! The page shell, form fields and the admin page's answers: HTML with the headers that keep
//! it safe (a strict CSP with no script at all, no framing, no caching), and its errors as
//! HTML pages rather than the API's JSON.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA, RETRY_AFTER};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use maud::{DOCTYPE, Markup, html};

use crate::db::models::User;
use crate::error::{ApiError, FieldErrors};

/// No script, no frames, no foreign anything: the page is plain HTML forms and one
/// stylesheet of its own. `form-action 'self'` keeps an injected form from posting elsewhere.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// An HTML answer with the admin page's headers. `Referrer-Policy: same-origin` keeps the
/// `Origin` header real on the page's own form posts (the CSRF check needs it), and sends
/// nothing to other sites.
pub fn html(status: StatusCode, markup: Markup) -> HttpResponse {
    with_headers(HttpResponse::build(status)).body(markup.into_string())
}

fn with_headers(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((PRAGMA, "no-cache"))
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("X-Frame-Options", "DENY"))
        .insert_header(("Referrer-Policy", "same-origin"));
    builder
}

/// 303 to `location` (after a form post: reloading the result never posts again).
pub fn see_other(location: &str) -> HttpResponse {
    let mut builder = with_headers(HttpResponse::SeeOther());
    builder.insert_header((LOCATION, location.to_owned()));
    builder.finish()
}

/// Who is looking at a page, for the header: the staff user and their CSRF proof (for the
/// log-out button).
pub struct Viewer<'a> {
    pub user: &'a User,
    pub csrf: &'a str,
}

/// The whole page: skip link, navigation, one `h1`, the content in `main`.
pub fn layout(title: &str, viewer: Option<&Viewer<'_>>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="same-origin";
                title { (title) " | bouncer admin" }
                link rel="stylesheet" href="/admin/admin.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    p.brand { "bouncer administration" }
                    @if let Some(viewer) = viewer {
                        nav aria-label="Admin sections" {
                            ul {
                                li { a href="/admin/" { "Home" } }
                                li { a href="/admin/users/" { "Users" } }
                                li { a href="/admin/groups/" { "Groups" } }
                                li { a href="/admin/revocations/" { "Revocations" } }
                                li { a href="/admin/settings/" { "Settings" } }
                            }
                        }
                        form.logout method="post" action="/admin/logout/" {
                            (csrf_field(viewer.csrf))
                            span { "Signed in as " strong { (viewer.user.username) } }
                            " "
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (content)
                }
            }
        }
    }
}

/// The hidden field every form carries: the session's CSRF proof.
pub fn csrf_field(proof: &str) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(proof); }
}

/// A status line after an action (`role="status"`: screen readers announce it).
pub fn notice(text: &str) -> Markup {
    html! { p.notice role="status" { (text) } }
}

/// Every error of a form, above it (`role="alert"`: announced at once), each linking to its
/// field.
pub fn error_summary(errors: &FieldErrors) -> Markup {
    html! {
        @if !errors.is_empty() {
            div.errors role="alert" {
                h2 { "Please correct the errors below." }
                ul {
                    @for (field, messages) in errors {
                        @for message in messages {
                            li {
                                @if field == "non_field_errors" { (message) }
                                @else { a href={ "#" (field) } { (label_of(field)) ": " (message) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// How the error summary names a field.
fn label_of(field: &str) -> &str {
    match field {
        "username" => "Username",
        "password" => "Password",
        "email" => "E-mail",
        "password1" => "Password",
        "password2" => "Password again",
        "group" => "Group",
        "sid" => "Session",
        "is_active" => "Active",
        "is_staff" => "Staff",
        "flags" => "Status",
        other => other,
    }
}

/// A labelled input whose errors sit right below it, tied to it by `aria-describedby`.
pub fn field(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    errors: &FieldErrors,
    autocomplete: &str,
) -> Markup {
    let messages = errors.get(name).filter(|m| !m.is_empty());
    let error_id = format!("{name}-error");
    html! {
        div.field {
            label for=(name) { (label) }
            input id=(name) name=(name) type=(kind) value=(value) autocomplete=(autocomplete)
                aria-invalid=[messages.map(|_| "true")]
                aria-describedby=[messages.map(|_| error_id.as_str())];
            @if let Some(messages) = messages {
                p.field-error id=(error_id) {
                    @for message in messages { (message) " " }
                }
            }
        }
    }
}

/// A labelled checkbox, with its errors below it as [`field`] has them.
pub fn checkbox(name: &str, label: &str, checked: bool, errors: &FieldErrors) -> Markup {
    let messages = errors.get(name).filter(|m| !m.is_empty());
    let error_id = format!("{name}-error");
    html! {
        div.field.check {
            input id=(name) name=(name) type="checkbox" value="true" checked[checked]
                aria-invalid=[messages.map(|_| "true")]
                aria-describedby=[messages.map(|_| error_id.as_str())];
            label for=(name) { (label) }
        }
        @if let Some(messages) = messages {
            p.field-error id=(error_id) { @for message in messages { (message) " " } }
        }
    }
}

/// Why an admin request was refused, as an HTML page.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No live staff session: to the login form (clearing a stale cookie).
    #[error("not logged in")]
    LogIn {
        clear: Option<actix_web::cookie::Cookie<'static>>,
    },
    /// Anything the API would refuse, as its status with a short page.
    #[error(transparent)]
    Api(#[from] ApiError),
}

impl ResponseError for AdminError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::LogIn { .. } => StatusCode::SEE_OTHER,
            Self::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::LogIn { clear } => {
                let mut response = see_other("/admin/login/");
                if let Some(cookie) = clear {
                    let _ = response.add_cookie(cookie);
                }
                response
            }
            Self::Api(e) => error_page(e),
        }
    }
}

fn error_page(e: &ApiError) -> HttpResponse {
    let status = e.status_code();
    let (title, text) = match e {
        ApiError::Csrf(_) => (
            "Forbidden (CSRF check failed)",
            "This form did not come from this admin page, or its page is too old. Go back, \
             reload the page and try again.",
        ),
        ApiError::NotFound => ("Not found", "There is nothing here."),
        ApiError::LockedOut { .. } | ApiError::Throttled { .. } => (
            "Too many attempts",
            "Too many failed logins: wait a while, then try again.",
        ),
        ApiError::Unavailable(_) => (
            "Unavailable",
            "The database or the throttle store cannot be reached; try again soon.",
        ),
        ApiError::Internal(cause) => {
            log::error!("admin page: {cause}");
            ("Server error", "Something went wrong; it has been logged.")
        }
        _ => ("Request refused", "This request cannot be carried out."),
    };
    let mut response = html(
        status,
        layout(
            title,
            None,
            html! { p { (text) } p { a href="/admin/" { "Back to the admin page" } } },
        ),
    );
    if let ApiError::LockedOut { wait } | ApiError::Throttled { wait, .. } = e
        && let Ok(value) = wait.to_string().parse()
    {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}
