//! Building the application: settings -> database -> keys and revocation list -> services ->
//! HTTP server. Everything is built here once and handed to the parts that need it.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Condition, DefaultHeaders, ErrorHandlers, from_fn};
use actix_web::{App, HttpServer, web};

use crate::audit;
use crate::auth::Authenticator;
use crate::clock::seconds;
use crate::credentials::{HashingError, HashingPool, OneTimeTokens};
use crate::db::{Backend, ConnectError, Db, StorageError};
use crate::http::body::BodyLimit;
use crate::http::cors::{cors, no_cors_headers_without_origin};
use crate::http::middleware::{HeaderLimit, json_error_body, limit_header_size};
use crate::http::readiness::Readiness;
use crate::http::refresh_cookie::RefreshCookies;
use crate::http::request_id::tag_request;
use crate::http::request_metrics::RequestMetrics;
use crate::http::throttling::rate_limit_headers;
use crate::jobs::{self, Background};
use crate::keyring::{self, sync::StoredKeys};
use crate::keys;
use crate::logging;
use crate::mail::Mailer;
use crate::metrics::{self, Metrics};
use crate::revocation::{self, RevocationList, StrictCheck};
use crate::routes;
use crate::service::Mfa;
use crate::service::{
    Accounts, ApiKeys, ClaimsHook, ExtraClaims, Memberships, Recovery, Revoker, RotationPolicy,
    Sessions, Signup, TokenService,
};
use crate::settings::{
    LogFormat, RevocationCheck, Settings, SettingsError, SigningKeySource, cookie_mode_warnings,
};
use crate::throttle::Throttler;

mod shutdown;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("database unavailable: {0}")]
    Database(String),
    #[error("setting `bind`: cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("start-up failed: {0}")]
    Other(String),
}

impl From<ConnectError> for StartupError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Setting(message) => Self::Settings(SettingsError::new(message)),
            ConnectError::Unavailable(message) => Self::Database(message),
        }
    }
}

impl From<StorageError> for StartupError {
    fn from(e: StorageError) -> Self {
        Self::Database(e.to_string())
    }
}

impl From<HashingError> for StartupError {
    fn from(e: HashingError) -> Self {
        Self::Other(e.to_string())
    }
}

/// Opens the database named by the settings, applying migrations, off the async workers.
pub async fn open_database(settings: &Settings) -> Result<Db, StartupError> {
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || Db::connect(&settings))
        .await
        .map_err(|e| StartupError::Other(format!("opening the database: {e}")))?
        .map_err(StartupError::from)
}

/// Starts the password-hashing pool (and computes its dummy hash).
pub async fn hashing_pool(settings: &Settings) -> Result<Arc<HashingPool>, StartupError> {
    let pool = HashingPool::new(settings.bcrypt_cost, settings.max_concurrent_hashes).await?;
    Ok(Arc::new(pool))
}

/// Everything the HTTP server shares between workers.
struct Services {
    settings: Settings,
    db: Db,
    revocations: Arc<RevocationList>,
    authenticator: web::Data<Authenticator>,
    tokens: web::Data<TokenService>,
    accounts: web::Data<Accounts>,
    api_keys: web::Data<ApiKeys>,
    memberships: web::Data<Memberships>,
    recovery: web::Data<Recovery>,
    signup: web::Data<Signup>,
    throttler: web::Data<Throttler>,
    cookies: web::Data<RefreshCookies>,
    sessions: web::Data<Sessions>,
    well_known: web::Data<routes::WellKnown>,
    readiness: web::Data<Readiness>,
    metrics: web::Data<Metrics>,
    /// `signing_keys = "database"`: what the key ring's sync and scheduled rotation use.
    stored_keys: Option<Arc<StoredKeys>>,
    /// Two-factor login (`[mfa]`).
    mfa: web::Data<Mfa>,
    /// `[device_tokens]`, when enabled.
    devices: Option<web::Data<crate::service::DeviceTokens>>,
}

async fn build_services(
    settings: Settings,
    claims_hook: Option<Arc<dyn ClaimsHook>>,
) -> Result<Services, StartupError> {
    audit::set_format(settings.audit_format);
    logging::set_format(settings.log_format == LogFormat::Json);
    let secret = keys::resolve_secret(&settings, true)?;
    let one_time_tokens = OneTimeTokens::new(
        secret.expose().as_bytes(),
        seconds(settings.password_reset_timeout),
    );
    let mailer = Mailer::from_settings(&settings.mail)
        .map_err(|e| StartupError::Settings(SettingsError::new(format!("[mail]: {e}"))))?;
    let db = open_database(&settings).await?;
    let ring = {
        let (settings, secret, db) = (settings.clone(), secret.clone(), db.clone());
        tokio::task::spawn_blocking(move || keyring::load_ring(&settings, &secret, Some(&db)))
            .await
            .map_err(|e| StartupError::Other(format!("loading signing keys: {e}")))?
            .map_err(|e| match e {
                keyring::KeyringError::Settings(e) => StartupError::Settings(e),
                other => StartupError::Database(other.to_string()),
            })?
    };
    log::info!("signing keys: {}", ring.describe());
    let keys = Arc::new(keys::with_ring(&settings, ring));
    let stored_keys = match settings.signing_keys {
        SigningKeySource::Database => Some(Arc::new(StoredKeys {
            db: db.clone(),
            sealer: keyring::sealer(&settings)?,
            keys: keys.clone(),
            algorithm: keyring::algorithm(settings.algorithm),
            jwks_max_age: seconds(settings.jwks_max_age),
        })),
        _ => None,
    };
    let well_known = routes::WellKnown::new(
        keys.clone(),
        seconds(settings.jwks_max_age),
        settings.issuer.clone(),
    )
    .with_dpop_algorithms(
        settings
            .dpop
            .enabled
            .then(|| settings.dpop.algorithms.clone()),
    );
    // Loaded before the server accepts traffic. The hashing pool's dummy hash (a full bcrypt,
    // ~0.25 s at the default cost) is computed meanwhile, on its own threads.
    let revocations = Arc::new(RevocationList::new(keys.leeway()));
    let (reload_db, reload_list) = (db.clone(), revocations.clone());
    let reload =
        tokio::task::spawn_blocking(move || revocation::sync::reload(&reload_db, &reload_list));
    let (reloaded, hasher) = tokio::join!(reload, hashing_pool(&settings));
    reloaded.map_err(|e| StartupError::Other(format!("loading revocations: {e}")))??;
    let hasher = hasher?;
    let (t, s) = revocations.len();
    log::info!("revocation list loaded: {t} access tokens, {s} sessions");
    let mut authenticator = Authenticator::new(
        keys.clone(),
        revocations.clone(),
        &settings.auth_header_types,
    );
    authenticator = authenticator.with_key_store(db.clone(), revocations.clone());
    let replay = crate::auth::replay_cache(&settings, &db)?;
    authenticator = authenticator.with_dpop(crate::auth::dpop_guard(&settings, replay)?);
    if settings.revocation_check == RevocationCheck::Strict {
        authenticator = authenticator.with_strict_check(StrictCheck::new(db.clone()));
    }
    // `[django_tokens]`: the tokens simplejwt issued before the cut-over.
    let django = crate::keys::django_keys(&settings).map(Arc::new);
    for warning in crate::settings::django_tokens_warnings(&settings.django_tokens, Some(&secret)) {
        log::warn!("{warning}");
    }
    if django.is_some() {
        log::info!(
            "accepting tokens issued by Django ({:?}) until {}",
            settings.django_tokens.algorithm,
            settings
                .django_tokens
                .accept_until
                .as_deref()
                .unwrap_or("they expire")
        );
    }
    let strict = settings.revocation_check == RevocationCheck::Strict;
    authenticator =
        authenticator.with_django_tokens(django.clone(), db.clone(), revocations.clone(), strict);
    let rotation = RotationPolicy {
        rotate_refresh_tokens: settings.rotate_refresh_tokens,
        blacklist_after_rotation: settings.blacklist_after_rotation,
        reuse_grace: seconds(settings.refresh_reuse_grace),
    };
    for warning in cookie_mode_warnings(&settings.cors) {
        log::warn!("{warning}");
    }
    let cookies = RefreshCookies::new(&settings, secret.expose().as_bytes());
    let metrics = start_metrics(&settings, &db, &revocations, &keys)?;
    let (devices, device_ends) =
        crate::service::device_tokens(&settings, secret.expose().as_bytes(), &revocations)
            .map_err(|e| StartupError::Settings(SettingsError::new(e)))?;
    let revoker = Revoker::new(db.clone(), revocations.clone(), keys.access_window())
        .with_django_tokens(django.clone())
        .with_metrics(metrics.clone())
        .with_device_ends(device_ends.clone());
    let tokens = TokenService::new(db.clone(), keys, revocations.clone(), rotation)
        .with_django_tokens(django)
        .with_extra_claims(ExtraClaims::new(&settings.access_claims(), claims_hook))
        .with_metrics(metrics.clone())
        .with_device_ends(device_ends);
    let memberships = Memberships::new(db.clone(), revoker.clone());
    let sessions = Sessions::new(db.clone(), revoker.clone());
    let accounts = Accounts::new(db.clone(), hasher, revoker);
    let recovery = Recovery::new(db.clone(), accounts.clone(), mailer, one_time_tokens);
    let api_keys = ApiKeys::new(db.clone(), settings.token_key_lifetime.map(seconds));
    // TOTP secrets are sealed like stored signing keys when key_encryption_secret is set.
    let totp_sealer = settings
        .key_encryption_secret
        .as_ref()
        .map(keyring::Sealer::new);
    let mfa = Mfa::new(db.clone(), totp_sealer, &settings.mfa);
    let throttler = web::Data::new(
        Throttler::from_settings(&settings.throttle)
            .map_err(|e| StartupError::Settings(SettingsError::new(e)))?,
    );
    let readiness = Readiness::new(db.clone(), throttler.clone().into_inner());
    // Both were loaded above, before anything can poll: start-up fails otherwise.
    readiness.keys_loaded.store(true, Ordering::SeqCst);
    readiness.revocations_loaded.store(true, Ordering::SeqCst);
    Ok(Services {
        db,
        revocations,
        authenticator: web::Data::new(authenticator),
        tokens: web::Data::new(tokens),
        accounts: web::Data::new(accounts),
        api_keys: web::Data::new(api_keys),
        memberships: web::Data::new(memberships),
        recovery: web::Data::new(recovery),
        throttler,
        readiness: web::Data::new(readiness),
        cookies: web::Data::new(cookies),
        sessions: web::Data::new(sessions),
        well_known: web::Data::new(well_known),
        metrics: web::Data::new(metrics),
        stored_keys,
        mfa: web::Data::new(mfa),
        devices: devices.map(web::Data::new),
        signup: web::Data::new(Signup {
            send_activation_email: settings.send_activation_email,
        }),
        settings,
    })
}

/// A bound, ready-to-run server. Tests build it with `bind = 127.0.0.1:0` and ask its port.
pub struct Application {
    port: u16,
    server: Server,
    /// `metrics_bind`: the server of `/metrics` alone, and its port.
    metrics: Option<(Server, u16)>,
    background: Background,
    /// Kept for the writer's drain on shutdown.
    db: Db,
    shutdown_timeout: Duration,
}

impl Application {
    /// bouncer as a service: its routes only.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with(settings, |_: &mut web::ServiceConfig| {}).await
    }

    /// bouncer's routes plus an application's own, added by `own_routes` in every worker (with
    /// any `app_data` they need). Handlers use bouncer's extractors (`AuthenticatedUser`,
    /// `InGroup<G>`, ...) as bouncer's own routes do; see `examples/little_lemon`.
    pub async fn build_with<F>(settings: Settings, own_routes: F) -> Result<Self, StartupError>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        Self::build_inner(settings, own_routes, None).await
    }

    /// [`Application::build_with`], and `hook` adds the application's own claims to every
    /// access token (see [`ClaimsHook`] for what it may not write, and when it runs).
    pub async fn build_with_claims<F>(
        settings: Settings,
        own_routes: F,
        hook: impl ClaimsHook,
    ) -> Result<Self, StartupError>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        Self::build_inner(settings, own_routes, Some(Arc::new(hook))).await
    }

    async fn build_inner<F>(
        settings: Settings,
        own_routes: F,
        claims_hook: Option<Arc<dyn ClaimsHook>>,
    ) -> Result<Self, StartupError>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            addr: settings.bind.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Other(e.to_string()))?
            .port();
        let workers = settings.workers;
        let services = build_services(settings, claims_hook).await?;
        let mut server = HttpServer::new({
            let (settings, db) = (
                services.settings.clone(),
                web::Data::new(services.db.clone()),
            );
            let (authenticator, tokens, accounts, api_keys, memberships) = (
                services.authenticator.clone(),
                services.tokens.clone(),
                services.accounts.clone(),
                services.api_keys.clone(),
                services.memberships.clone(),
            );
            let (recovery, signup) = (services.recovery.clone(), services.signup.clone());
            let throttler = services.throttler.clone();
            let (cookies, sessions) = (services.cookies.clone(), services.sessions.clone());
            let well_known = services.well_known.clone();
            let readiness = services.readiness.clone();
            let metrics = services.metrics.clone();
            let mfa = services.mfa.clone();
            let devices = services.devices.clone();
            move || {
                App::new()
                    .wrap(ErrorHandlers::new().default_handler(json_error_body))
                    .wrap(from_fn(rate_limit_headers))
                    .wrap(from_fn(limit_header_size))
                    .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
                    // Outside the JSON error bodies and the routes' 404/405, so preflights are
                    // answered before routing and every reply, errors too, gets CORS headers.
                    .wrap(cors(&settings.cors))
                    .wrap(from_fn(no_cors_headers_without_origin))
                    .wrap(Condition::new(
                        metrics.enabled(),
                        RequestMetrics(metrics.get_ref().clone()),
                    ))
                    // Outermost: every response gets the request's id, every line inside it
                    // names it; it also writes the access line (never headers or bodies).
                    .wrap(from_fn(tag_request))
                    .app_data(BodyLimit(settings.max_body_size))
                    .app_data(HeaderLimit(settings.max_header_size))
                    .app_data(web::PayloadConfig::new(settings.max_body_size))
                    .app_data(authenticator.clone())
                    .app_data(tokens.clone())
                    .app_data(accounts.clone())
                    .app_data(api_keys.clone())
                    .app_data(memberships.clone())
                    .app_data(recovery.clone())
                    .app_data(throttler.clone())
                    .app_data(cookies.clone())
                    .app_data(sessions.clone())
                    .app_data(signup.clone())
                    .app_data(well_known.clone())
                    .app_data(readiness.clone())
                    .app_data(db.clone())
                    .app_data(metrics.clone())
                    .app_data(mfa.clone())
                    .configure(|cfg| {
                        if let Some(devices) = &devices {
                            cfg.app_data(devices.clone());
                        }
                    })
                    .configure(|cfg| metrics_on_main(cfg, &settings))
                    .configure(own_routes.clone())
                    .configure(routes::configure)
                    .configure(|cfg| crate::admin::configure(cfg, &settings))
                    .default_service(web::to(routes::not_found))
            }
        })
        // Signals are ours (`run_until_stopped`): actix's own stop at once on SIGINT.
        .disable_signals()
        .shutdown_timeout(services.settings.shutdown_timeout.as_secs())
        .listen(listener)
        .map_err(|e| StartupError::Other(e.to_string()))?;
        if workers > 0 {
            server = server.workers(workers);
        }
        let metrics = metrics_server(&services)?;
        let background = start_background(&services);
        log::info!(
            "listening on {}",
            services.settings.bind.replace(":0", &format!(":{port}"))
        );
        Ok(Self {
            port,
            server: server.run(),
            metrics,
            background,
            db: services.db.clone(),
            shutdown_timeout: services.settings.shutdown_timeout,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port `/metrics` is served on when `metrics_bind` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(_, port)| *port)
    }

    /// Stops the server from another task (`handle.stop(true).await`).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (by SIGTERM, SIGINT or [`Application::handle`]), then stops the
    /// background jobs and drains the database writer (`shutdown.rs`).
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        let metrics = self.metrics.take().map(|(server, _)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let signals = tokio::spawn(shutdown::on_signals(
            self.server.handle(),
            self.shutdown_timeout,
        ));
        let result = self.server.await;
        signals.abort();
        log::info!("server stopped: no connection left open");
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        self.background.stop();
        shutdown::drain_writes(&self.db, self.shutdown_timeout).await;
        result
    }
}

/// Revocation sync (PostgreSQL: other instances revoke too) and periodic clean-up.
fn start_background(services: &Services) -> Background {
    let settings = &services.settings;
    let leeway = services.revocations.leeway();
    let mut background = Background::default();
    if services.db.backend() == Backend::Postgres {
        let (db, list) = (services.db.clone(), services.revocations.clone());
        let interval = settings.revocation_sync_interval;
        let stored = services.stored_keys.clone();
        background.spawn("revocation-sync", move |stop| {
            let on_keys = || {
                if let Some(Err(e)) = stored.as_deref().map(keyring::sync::reload) {
                    log::warn!("signing keys not reloaded: {e}");
                }
            };
            revocation::sync::listen(&db, &list, interval, &stop, &on_keys);
        });
    } else {
        let (db, list) = (services.db.clone(), services.revocations.clone());
        let interval = settings.revocation_sync_interval;
        background.spawn("user-revocation-poll", move |stop| {
            revocation::sync::poll_user_revocations(&db, &list, interval, &stop);
        });
        if let Some(stored) = services.stored_keys.clone() {
            background.spawn("key-ring-poll", move |stop| {
                keyring::sync::poll(&stored, interval, &stop);
            });
        }
    }
    if let (Some(stored), Some(every)) =
        (services.stored_keys.clone(), settings.key_rotation_interval)
    {
        background.spawn("key-rotation", move |stop| {
            keyring::sync::rotate_on_schedule(&stored, every, &stop);
        });
    }
    if !settings.cleanup_interval.is_zero() {
        let db = services.db.clone();
        let (interval, batch) = (settings.cleanup_interval, settings.cleanup_batch_size);
        background.spawn("cleanup", move |stop| {
            jobs::cleanup::run_periodically(&db, leeway, interval, batch, &stop);
        });
    }
    background
}

/// The metrics (`metrics = true`), their gauges reading the pool, the revocation list and
/// the keys when scraped, and the writer reporting its batch sizes to them.
fn start_metrics(
    settings: &Settings,
    db: &Db,
    revocations: &Arc<RevocationList>,
    keys: &Arc<crate::tokens::JwtKeys>,
) -> Result<Metrics, StartupError> {
    if !settings.metrics {
        return Ok(Metrics::disabled());
    }
    let metrics = Metrics::new(metrics::Sources {
        db: db.clone(),
        revocations: revocations.clone(),
        keys: keys.clone(),
    })
    .map_err(StartupError::Other)?;
    let batches = metrics.clone();
    db.observe_write_batches(move |jobs| batches.write_batch(jobs));
    Ok(metrics)
}

/// `/metrics` on the main server: when metrics are on and `metrics_bind` is unset.
fn metrics_on_main(cfg: &mut web::ServiceConfig, settings: &Settings) {
    if settings.metrics && settings.metrics_bind.is_none() {
        routes::metrics_endpoint(cfg);
    }
}

/// `metrics_bind`: `/metrics` alone on its own address, one worker; everything else there is
/// a JSON 404 (405 for other methods on `/metrics`).
fn metrics_server(services: &Services) -> Result<Option<(Server, u16)>, StartupError> {
    let Some(addr) = services.settings.metrics_bind.clone() else {
        return Ok(None);
    };
    let cannot = |e: std::io::Error| {
        StartupError::Settings(SettingsError::new(format!(
            "setting `metrics_bind`: cannot listen on {addr}: {e}"
        )))
    };
    let listener = TcpListener::bind(&addr).map_err(cannot)?;
    let port = listener.local_addr().map_err(cannot)?.port();
    let metrics = services.metrics.clone();
    let server = HttpServer::new(move || {
        App::new()
            .wrap(ErrorHandlers::new().default_handler(json_error_body))
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .app_data(metrics.clone())
            .configure(routes::metrics_endpoint)
            .default_service(web::to(routes::not_found))
    })
    .workers(1)
    // Stopped by `run_until_stopped` once the main server has stopped (signals reach that one),
    // so scrapes are still answered while in-flight requests drain.
    .disable_signals()
    .listen(listener)
    .map_err(cannot)?
    .run();
    log::info!("metrics on {}", addr.replace(":0", &format!(":{port}")));
    Ok(Some((server, port)))
}
