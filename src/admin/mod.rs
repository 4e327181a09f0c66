//! The staff-only admin web page at `/admin/` (the Django admin of the tutorials), off unless
//! `admin.enabled`: users, groups, Token keys, sessions and revocations, and a summary of the
//! settings. Rendered on the server (maud, escaping every value), plain HTML forms and one
//! stylesheet, all in the binary: no script, no build step, no CDN.
//!
//! - `session.rs`: the cookie session (a real bouncer session), the staff check, the CSRF
//!   and origin checks of every form post;
//! - `login.rs`: logging in (under the failed-login limits) and out;
//! - `users.rs`, `user_page.rs`, `user_actions.rs`: the users pages and their forms;
//! - `groups.rs`: groups and members; `overview.rs`: home, revocations, settings;
//! - `page.rs`: the page shell, form fields, security headers, error pages.
//!
//! Every action goes through the service layer and writes an `admin.*` audit line naming the
//! admin and the target.

mod docs;
mod groups;
mod login;
mod overview;
mod page;
mod session;
mod user_actions;
mod user_page;
mod users;

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

use crate::http::error_response::ErrorDetail;
use crate::settings::Settings;
use session::AdminCookie;
use utoipa::OpenApi;

const STYLESHEET: &str = include_str!("admin.css");

#[utoipa::path(get, path = "/admin/admin.css", tag = "admin", operation_id = "admin_stylesheet",
    summary = "The admin page's stylesheet",
    responses((status = 200, description = "The stylesheet.", content_type = "text/css; charset=utf-8", body = String),
        (status = 404, response = docs::AdminNotFound)))]
async fn stylesheet() -> HttpResponse {
    HttpResponse::build(StatusCode::OK)
        .insert_header((CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((CACHE_CONTROL, "no-cache"))
        .body(STYLESHEET)
}

#[utoipa::path(get, path = "/admin", tag = "admin", operation_id = "admin_root",
    summary = "To the admin home page",
    responses((status = 303, response = docs::SeeOther), (status = 404, response = docs::AdminNotFound)))]
async fn to_home() -> HttpResponse {
    page::see_other("/admin/")
}

/// Wires `/admin/...` when `admin.enabled`; otherwise nothing (so `/admin/` is a 404).
pub fn configure(cfg: &mut web::ServiceConfig, settings: &Settings) {
    if !settings.admin.enabled {
        return;
    }
    cfg.app_data(web::Data::new(AdminCookie::new(settings)))
        .app_data(web::Data::new(settings.clone()))
        .route("/admin", web::get().to(to_home))
        .route("/admin/", web::get().to(overview::home))
        .route("/admin/admin.css", web::get().to(stylesheet))
        .service(
            web::resource("/admin/login/")
                .route(web::get().to(login::page))
                .route(web::post().to(login::submit)),
        )
        .route("/admin/logout/", web::post().to(login::logout))
        .route("/admin/users/", web::get().to(users::list))
        .service(
            web::resource("/admin/users/add/")
                .route(web::get().to(users::add_page))
                .route(web::post().to(users::add)),
        )
        .route("/admin/users/{id}/", web::get().to(users::detail))
        .route(
            "/admin/users/{id}/flags/",
            web::post().to(user_actions::flags),
        )
        .route(
            "/admin/users/{id}/password/",
            web::post().to(user_actions::password),
        )
        .route(
            "/admin/users/{id}/groups/",
            web::post().to(user_actions::groups),
        )
        .route(
            "/admin/users/{id}/sessions/end/",
            web::post().to(user_actions::end_sessions),
        )
        .route(
            "/admin/users/{id}/keys/",
            web::post().to(user_actions::create_key),
        )
        .service(
            web::resource("/admin/groups/")
                .route(web::get().to(groups::list))
                .route(web::post().to(groups::change)),
        )
        .route("/admin/groups/{name}/", web::get().to(groups::detail))
        .route("/admin/revocations/", web::get().to(overview::revocations))
        .route("/admin/settings/", web::get().to(overview::settings));
}

/// The admin pages' operations, merged into the OpenAPI document by `routes/openapi/`.
#[derive(OpenApi)]
#[openapi(
    paths(
        overview::home,
        login::page,
        login::submit,
        login::logout,
        users::list,
        users::add_page,
        users::add,
        users::detail,
        user_actions::flags,
        user_actions::password,
        user_actions::groups,
        user_actions::end_sessions,
        user_actions::create_key,
        groups::list,
        groups::change,
        groups::detail,
        overview::revocations,
        overview::settings,
        stylesheet,
        to_home,
    ),
    components(
        schemas(ErrorDetail),
        responses(
            docs::HtmlPage,
            docs::SeeOther,
            docs::FormErrors,
            docs::LoginRefused,
            docs::CsrfRefused,
            docs::AdminNotFound
        ),
    ),
    tags((name = "admin", description = "The staff-only admin web page (HTML forms, its own \
        cookie session with CSRF protection), served when `admin.enabled` is on.")),
)]
pub struct AdminDoc;
