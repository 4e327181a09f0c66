//! Building the application: settings -> database -> revocation list -> HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{DefaultHeaders, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpServer, web};

use crate::auth::Authenticator;
use crate::auth::hasher::PasswordHasher;
use crate::auth::jwt::JwtKeys;
use crate::auth::revocation::RevocationList;
use crate::auth::secret;
use crate::auth::sync::{self, Background};
use crate::db::Db;
use crate::error::ApiError;
use crate::http::body::BodyLimit;
use crate::http::guards::{HeaderLimit, json_error_body, limit_header_size};
use crate::routes;
use crate::settings::{Backend, RevocationCheck, Settings, SettingsError};
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("database unavailable: {0}")]
    Database(#[from] crate::db::ConnectError),
    #[error("setting `bind`: cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("start-up failed: {0}")]
    Other(String),
}

impl From<ApiError> for StartupError {
    fn from(e: ApiError) -> Self {
        Self::Other(e.to_string())
    }
}

/// Opens the database (running migrations), loads the revocation list and prepares the
/// password hasher: everything a server or a CLI command needs.
pub async fn build_state(
    settings: Settings,
    create_secret: bool,
) -> Result<AppState, StartupError> {
    let secret = secret::resolve(&settings, create_secret)?;
    let connect_settings = settings.clone();
    let db = web::block(move || Db::connect(&connect_settings))
        .await
        .map_err(ApiError::from)??;
    let keys = Arc::new(JwtKeys::new(&settings, &secret));
    // Loaded before the server accepts traffic.
    let revocations = Arc::new(RevocationList::new());
    let (reload_db, reload_list, leeway) = (db.clone(), revocations.clone(), keys.leeway());
    web::block(move || sync::reload(&reload_db, &reload_list, leeway))
        .await
        .map_err(ApiError::from)??;
    let (t, s) = revocations.len();
    log::info!("revocation list loaded: {t} access tokens, {s} sessions");
    let mut authenticator = Authenticator::new(keys, revocations, &settings.auth_header_types);
    if settings.revocation_check == RevocationCheck::Strict {
        authenticator = authenticator.with_strict_check(db.clone());
    }
    let auth = web::Data::new(authenticator);
    let hasher = PasswordHasher::new(settings.bcrypt_cost, settings.max_concurrent_hashes).await?;
    Ok(AppState {
        settings,
        db,
        auth,
        hasher,
    })
}

/// A bound, ready-to-run server. Tests build it with `bind = 127.0.0.1:0` and ask its port.
pub struct Application {
    port: u16,
    server: Server,
    background: Background,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Other(e.to_string()))?
            .port();
        let workers = settings.workers;
        let state = web::Data::new(build_state(settings, true).await?);
        let mut server = HttpServer::new({
            let state = state.clone();
            move || {
                let settings = &state.settings;
                App::new()
                    .wrap(ErrorHandlers::new().default_handler(json_error_body))
                    .wrap(from_fn(limit_header_size))
                    .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
                    // Never log headers or bodies: they carry tokens and passwords.
                    .wrap(Logger::new("%a \"%r\" %s %b %Dms"))
                    .app_data(BodyLimit(settings.max_body_size))
                    .app_data(HeaderLimit(settings.max_header_size))
                    .app_data(web::PayloadConfig::new(settings.max_body_size))
                    .app_data(state.auth.clone())
                    .app_data(web::Data::new(state.db.clone()))
                    .app_data(state.clone())
                    .configure(routes::configure)
                    .default_service(web::to(routes::not_found))
            }
        })
        .listen(listener)
        .map_err(|e| StartupError::Other(e.to_string()))?;
        if workers > 0 {
            server = server.workers(workers);
        }
        let background = start_background(&state);
        log::info!(
            "listening on {}",
            state.settings.bind.replace(":0", &format!(":{port}"))
        );
        Ok(Self {
            port,
            server: server.run(),
            background,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from another task (`handle.stop(true).await`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then stops the background threads.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let result = self.server.await;
        self.background.stop();
        result
    }
}

/// Revocation sync (PostgreSQL: other instances revoke too) and periodic clean-up.
fn start_background(state: &AppState) -> Background {
    let settings = &state.settings;
    let leeway = state.auth.keys().leeway();
    let mut background = Background::default();
    if state.db.backend() == Backend::Postgres {
        background.spawn_revocation_sync(
            state.db.clone(),
            state.auth.revocations_handle(),
            leeway,
            settings.revocation_sync_interval,
        );
    }
    if !settings.cleanup_interval.is_zero() {
        background.spawn_cleanup(
            state.db.clone(),
            leeway,
            settings.cleanup_interval,
            settings.cleanup_batch_size,
        );
    }
    background
}
