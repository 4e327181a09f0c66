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
use crate::db::{Db, now_ts, tokens};
use crate::error::ApiError;
use crate::http::body::BodyLimit;
use crate::http::guards::{HeaderLimit, json_error_body, limit_header_size};
use crate::routes;
use crate::settings::{Settings, SettingsError};
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
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
        .map_err(|e| StartupError::Other(e.to_string()))??;
    let keys = Arc::new(JwtKeys::new(&settings, &secret));
    let revocations = Arc::new(load_revocations(&db, keys.leeway()).await?);
    let auth = web::Data::new(Authenticator::new(
        keys,
        revocations,
        &settings.auth_header_types,
    ));
    let hasher = PasswordHasher::new(settings.bcrypt_cost, settings.max_concurrent_hashes).await?;
    Ok(AppState {
        settings,
        db,
        auth,
        hasher,
    })
}

/// Revocations still able to match a token, loaded before any request is served.
async fn load_revocations(db: &Db, leeway: i64) -> Result<RevocationList, StartupError> {
    let now = now_ts();
    let (tokens, sessions) = db
        .run(move |conn| Ok(tokens::load_active_revocations(conn, now - leeway)?))
        .await?;
    let with_leeway = |rows: Vec<(String, i64)>| -> Vec<(String, i64)> {
        rows.into_iter()
            .map(|(id, until)| (id, until + leeway))
            .collect()
    };
    let list = RevocationList::new();
    list.load(with_leeway(tokens), with_leeway(sessions), now);
    let (t, s) = list.len();
    log::info!("revocation list loaded: {t} access tokens, {s} sessions");
    Ok(list)
}

/// A bound, ready-to-run server. Tests build it with `bind = 127.0.0.1:0` and ask its port.
pub struct Application {
    port: u16,
    server: Server,
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
        log::info!(
            "listening on {}",
            state.settings.bind.replace(":0", &format!(":{port}"))
        );
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from another task (`handle.stop(true).await`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
