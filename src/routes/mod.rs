//! The only place routes are wired; each path's handler is one hop away, in the module named
//! for its resource. Paths keep Django's trailing slash (`docs/wire-contract.md`).

mod demo;
mod docs;
mod fallback;
mod groups;
mod health;
mod keys;
mod metrics;
mod mfa;
mod openapi;
mod recovery;
mod sessions;
mod tokens;
mod users;
mod wellknown;

use actix_web::web;

use crate::http::throttling::RouteThrottles;

pub use fallback::not_found;
pub use wellknown::WellKnown;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/.well-known/jwks.json", web::get().to(wellknown::jwks))
        .route(
            "/.well-known/openid-configuration",
            web::get().to(wellknown::openid_configuration),
        )
        .service(web::resource("/api/secret/").route(web::get().to(demo::secret)))
        .route("/api/manager-view/", web::get().to(demo::manager_view))
        // The tutorial's throttling demos (no trailing slash there).
        .service(
            web::resource("/api/throttle-check")
                .app_data(RouteThrottles::anon())
                .route(web::get().to(demo::throttle_check)),
        )
        .service(
            web::resource("/api/throttle-check-auth")
                .app_data(RouteThrottles::scope("ten"))
                .route(web::get().to(demo::throttle_check_auth)),
        )
        .service(
            web::resource("/auth/users/")
                .route(web::post().to(users::register))
                .route(web::get().to(users::list)),
        )
        .service(
            web::resource("/auth/users/me/")
                .route(web::get().to(users::me))
                .route(web::put().to(users::update_me))
                .route(web::patch().to(users::update_me))
                .route(web::delete().to(users::delete_me)),
        )
        .service(
            web::resource("/auth/users/set_password/").route(web::post().to(users::set_password)),
        )
        .service(
            web::resource("/auth/users/set_username/").route(web::post().to(users::set_username)),
        )
        .service(
            web::resource("/auth/users/reset_password/")
                .route(web::post().to(recovery::reset_password)),
        )
        .service(
            web::resource("/auth/users/reset_password_confirm/")
                .route(web::post().to(recovery::reset_password_confirm)),
        )
        .service(
            web::resource("/auth/users/activation/").route(web::post().to(recovery::activation)),
        )
        .service(
            web::resource("/auth/users/resend_activation/")
                .route(web::post().to(recovery::resend_activation)),
        )
        .service(
            web::resource("/auth/users/{id}/")
                .route(web::get().to(users::detail))
                .route(web::put().to(users::update))
                .route(web::patch().to(users::update))
                .route(web::delete().to(users::delete)),
        )
        .service(web::resource("/auth/logout/").route(web::post().to(tokens::logout)))
        // Device sessions: the caller's, and any user's for staff.
        .service(web::resource("/auth/sessions/").route(web::get().to(sessions::list_own)))
        .service(web::resource("/auth/sessions/{id}/").route(web::delete().to(sessions::end_own)))
        .service(
            web::resource("/auth/users/{id}/sessions/")
                .route(web::get().to(sessions::list_of_user))
                .route(web::delete().to(sessions::end_all_of_user)),
        )
        .service(
            web::resource("/auth/users/{id}/sessions/{sid}/")
                .route(web::delete().to(sessions::end_one_of_user)),
        )
        // Opaque keys: DRF authtoken's view and djoser's token views.
        .service(web::resource("/api/api-token-auth/").route(web::post().to(keys::obtain_token)))
        .service(web::resource("/auth/token/login/").route(web::post().to(keys::login)))
        .service(web::resource("/auth/token/logout/").route(web::post().to(keys::logout)))
        // Groups, for staff (the tutorial's `/api/groups/manager/users`, no trailing slash).
        .service(web::resource("/api/groups/").route(web::get().to(groups::list)))
        .service(
            web::resource("/api/groups/{name}/users")
                .route(web::post().to(groups::add_user))
                .route(web::delete().to(groups::remove_user)),
        );
    // simplejwt's paths and djoser's aliases for the same views (spelled out, not built in
    // a loop, so routes/openapi/completeness_tests.rs can read every path).
    cfg.service(web::resource("/api/token/").route(web::post().to(tokens::obtain)))
        .service(web::resource("/api/token/refresh/").route(web::post().to(tokens::refresh)))
        .service(web::resource("/api/token/verify/").route(web::post().to(tokens::verify)))
        .service(web::resource("/auth/jwt/create/").route(web::post().to(tokens::obtain)))
        .service(web::resource("/auth/jwt/refresh/").route(web::post().to(tokens::refresh)))
        .service(web::resource("/auth/jwt/verify/").route(web::post().to(tokens::verify)));
    cfg.service(web::resource("/api/token/blacklist/").route(web::post().to(tokens::blacklist)));
    // Two-factor login with an authenticator app (routes/mfa.rs).
    cfg.service(web::resource("/auth/mfa/").route(web::get().to(mfa::status)))
        .service(web::resource("/auth/mfa/totp/").route(web::post().to(mfa::enrol)))
        .service(web::resource("/auth/mfa/totp/confirm/").route(web::post().to(mfa::confirm)))
        .service(web::resource("/auth/mfa/totp/disable/").route(web::post().to(mfa::disable)))
        .service(web::resource("/auth/mfa/recovery-codes/").route(web::post().to(mfa::regenerate)))
        .service(web::resource("/auth/mfa/verify/").route(web::post().to(mfa::verify)))
        .service(
            web::resource("/auth/users/{id}/mfa/").route(web::delete().to(mfa::reset_of_user)),
        );
    // The OpenAPI document and its page (routes/openapi/, routes/docs.rs).
    cfg.route("/openapi.json", web::get().to(openapi::openapi_json))
        .route("/docs", web::get().to(docs::page))
        .route("/docs/rapidoc-9.3.8.min.js", web::get().to(docs::script));
}

/// `GET /metrics`, on the main app or alone on `metrics_bind` (see `startup.rs`).
pub fn metrics_endpoint(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/metrics").route(web::get().to(metrics::metrics)));
}
