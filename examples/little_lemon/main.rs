//! Little Lemon: the restaurant API of the Meta/Coursera DRF course, built on bouncer as a
//! library, as a team would build its own service. One process serves all of bouncer's
//! routes (`/auth/users/`, `/api/token/`, `/api/api-token-auth/`, `/api/groups/manager/users`,
//! ...) plus the app's own:
//!
//! | path | method | who |
//! |---|---|---|
//! | `/api/menu-items`, `/api/menu-items/{id}` | GET | anyone |
//! | `/api/menu-items` | POST | the Manager group |
//! | `/api/menu-items/{id}` | PUT, PATCH, DELETE | the Manager group |
//! | `/api/ratings` | GET | anyone |
//! | `/api/ratings` | POST | authenticated users (JWT or `Token` key) |
//!
//! ```sh
//! cargo run --example little_lemon      # http://127.0.0.1:8000, bouncer's `bind` setting
//! ```
//!
//! Settings are bouncer's own (`BOUNCER_*` environment, a `BOUNCER_CONFIG` file). The app's
//! tables live in their own SQLite file, `little_lemon.sqlite3` or `$LITTLE_LEMON_DATABASE`,
//! migrated at start (`migrations/`); SQLite only. Nothing is seeded: make a superuser with
//! `bouncer createsuperuser --username admin` and a manager with
//! `bouncer group add-user Manager alice` (or, as staff, `POST /api/groups/manager/users`
//! `username=alice`); the README's "Little Lemon" section walks through it with curl.
//!
//! One module per job: `db` (pool, migrations, the blocking pool), `schema` (tables),
//! `fields` (DRF's field checks and wording, on bouncer's `BodyFields`: JSON or form bodies),
//! `menu` and `ratings` (one resource each: queries, handlers, routes).

mod db;
mod fields;
mod menu;
mod ratings;
mod schema;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

use actix_web::web;
use bouncer::{Application, LoadOptions, Settings};

use crate::db::LemonDb;

/// The Little Lemon database when `LITTLE_LEMON_DATABASE` is not set.
const DEFAULT_DATABASE: &str = "little_lemon.sqlite3";

/// bouncer with Little Lemon's routes beside its own, over the Little Lemon database at
/// `lemon_database` (a parameter, not read from the environment here, so tests can each have
/// their own without racing on env vars). Bound, not yet serving: see `Application::port`.
pub async fn build(
    settings: Settings,
    lemon_database: PathBuf,
) -> Result<Application, Box<dyn std::error::Error>> {
    // Opening and migrating blocks; start-up runs on the async runtime.
    let lemon = tokio::task::spawn_blocking(move || LemonDb::open(&lemon_database)).await??;
    let lemon = web::Data::new(lemon);
    let app = Application::build_with(settings, move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(lemon.clone());
        menu::configure(cfg);
        ratings::configure(cfg);
    })
    .await?;
    Ok(app)
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // The same layered settings as the bouncer service itself.
    let settings = Settings::load(&LoadOptions {
        config_file: std::env::var_os("BOUNCER_CONFIG").map(Into::into),
        read_env: true,
        ..LoadOptions::default()
    })?;
    let lemon_database = std::env::var_os("LITTLE_LEMON_DATABASE")
        .map_or_else(|| PathBuf::from(DEFAULT_DATABASE), PathBuf::from);
    let app = build(settings, lemon_database).await?;
    app.run_until_stopped().await?;
    Ok(())
}
