//! Protecting your own actix-web routes with bouncer's extractor.
//!
//! Run bouncer (`cargo run`), then in another shell, sharing its settings:
//!
//! ```sh
//! cargo run --example protect_routes        # listens on 127.0.0.1:8081
//! curl -H "Authorization: Bearer $ACCESS" http://127.0.0.1:8081/orders/
//! ```
//!
//! Tokens are verified locally with the shared secret: no call to bouncer per request.
//! This example starts with an empty revocation list, so it refuses forged, expired and
//! wrongly typed tokens but not tokens revoked in the service; the service itself serves
//! revocation-aware routes.

use actix_web::{App, HttpResponse, HttpServer, web};
use bouncer::{AuthenticatedUser, Authenticator, LoadOptions, Settings};
use serde_json::json;

/// Having `AuthenticatedUser` in the signature is the access rule: without a valid access
/// token the handler never runs and the client gets bouncer's 401 JSON.
async fn my_orders(user: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "user_id": user.user_id, "orders": [] }))
}

async fn public_catalogue() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "items": ["tea", "coffee"] }))
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::init();
    // The same layered settings as the service (BOUNCER_* environment, BOUNCER_CONFIG file).
    let settings = Settings::load(&LoadOptions {
        config_file: std::env::var_os("BOUNCER_CONFIG").map(Into::into),
        read_env: true,
        overrides: Vec::new(),
    })?;
    let authenticator = web::Data::new(Authenticator::from_settings(&settings)?);
    println!("listening on http://127.0.0.1:8081 (GET /orders/ needs a Bearer token)");
    HttpServer::new(move || {
        App::new()
            .app_data(authenticator.clone())
            .route("/orders/", web::get().to(my_orders))
            .route("/catalogue/", web::get().to(public_catalogue))
    })
    .bind("127.0.0.1:8081")?
    .run()
    .await?;
    Ok(())
}
