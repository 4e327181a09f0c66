//! The only place routes are wired; each path's handler is one hop away, in the module named
//! for its resource. Paths keep Django's trailing slash (`docs/wire-contract.md`).

mod demo;
mod fallback;
mod health;
mod tokens;
mod users;

use actix_web::web;

pub use fallback::not_found;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/api/secret/", web::get().to(demo::secret))
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
