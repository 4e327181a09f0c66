//! The only place routes are wired. Paths keep Django's trailing slash (`../shared/compat.md`).

mod misc;
mod tokens;
pub mod users;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(misc::healthz))
        .route("/api/secret/", web::get().to(misc::secret))
        .service(web::resource("/auth/users/").route(web::post().to(users::register)))
        .service(
            web::resource("/auth/users/me/")
                .route(web::get().to(users::me))
                .route(web::put().to(users::update_me))
                .route(web::patch().to(users::update_me)),
        )
        .service(web::resource("/auth/logout/").route(web::post().to(tokens::logout)));
    // simplejwt's paths and djoser's aliases for the same views.
    for (prefix, obtain) in [("/api/token/", ""), ("/auth/jwt/", "create/")] {
        cfg.service(
            web::resource(format!("{prefix}{obtain}")).route(web::post().to(tokens::obtain)),
        )
        .service(web::resource(format!("{prefix}refresh/")).route(web::post().to(tokens::refresh)))
        .service(web::resource(format!("{prefix}verify/")).route(web::post().to(tokens::verify)));
    }
    cfg.service(web::resource("/api/token/blacklist/").route(web::post().to(tokens::blacklist)));
}

pub use misc::not_found;
