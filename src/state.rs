//! What every handler shares, built once at start-up and passed in through `web::Data`.

use actix_web::web;

use crate::auth::Authenticator;
use crate::auth::hasher::PasswordHasher;
use crate::db::Db;
use crate::settings::Settings;

#[derive(Debug)]
pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub auth: web::Data<Authenticator>,
    pub hasher: PasswordHasher,
}
