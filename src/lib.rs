//! bouncer: a stateless JWT authentication service speaking the djangorestframework-simplejwt
//! and djoser wire dialect (`docs/wire-contract.md`), and a library of actix-web extractors
//! that validate its tokens in other apps.
//!
//! # Layout
//!
//! Layers point down only, and no modules import each other, in pairs or in circles;
//! `tests/architecture.rs` checks both and names the offending line. From the bottom:
//!
//! | layer | folder | holds |
//! |---|---|---|
//! | values | `clock.rs` | seconds since the epoch; the one duration-to-seconds conversion |
//! | values | `settings/` | typed, layered settings and their per-feature validation |
//! | values | `tokens/` | token ids, claims, the JWT wire format, key material, the key ring, the principal |
//! | values | `logging.rs` | the log line format (plain or JSON) and the current request's id |
//! | values | `credentials/` | username/e-mail/password rules, the Django hash format, the bcrypt pool |
//! | storage | `db/` | pool, migrations, URL, queries per table; returns `QueryResult`/`StorageError` |
//! | outcomes | `error.rs` | `ApiError`: every outcome a client can see |
//! | services | `audit.rs` | the audit trail: one structured line per security event (`bouncer::audit`) |
//! | services | `keys.rs` | the signing secret and the keys built from settings |
//! | services | `keyring/` | the key ring's sources (secret, PEM files, sealed database keys), rotation, sync |
//! | services | `revocation/` | the in-memory revocation list, its sync, the strict check |
//! | services | `jobs/` | background threads (revocation sync runs there; expired-row clean-up) |
//! | services | `service/` | the use cases: accounts, log-in, refresh, verify, blacklist, logout |
//! | services | `mail/` | e-mail over SMTP (or a dev outbox), sent in the background; link templates |
//! | services | `throttle/` | throttle counters (memory or Redis) and failed-login limits |
//! | services | `dpop/` | DPoP (RFC 9449): proof checks with settings, server nonces, the shared replay cache |
//! | services | `metrics/` | Prometheus series: typed counters, per-route handles, gauges read at scrape |
//! | http side | `auth/` | credential source -> verifier -> principal; the extractors |
//! | http side | `http/` | typed request bodies, middleware (CORS too), `ApiError` -> HTTP response |
//! | http side | `routes/` | one module per resource, typed bodies; `mod.rs` wires every path |
//! | http side | `admin/` | the staff-only admin web page (`admin.enabled`), server-rendered |
//! | top | `startup.rs`, `cli.rs`, `main.rs` | building the app, the command line |
//!
//! Value modules import nothing else from the crate; storage knows neither actix nor
//! `ApiError`; services get their dependencies at start-up, never a whole app state.
//!
//! # As a library
//!
//! Another actix-web app protects its routes with [`AuthenticatedUser`], [`CurrentUser`] or
//! [`OptionalUser`] in a handler's signature, after registering an [`Authenticator`] (built
//! with [`Authenticator::from_settings`] from bouncer's [`Settings`]). Failures answer with
//! [`ApiError`]'s 401 JSON. See `examples/protect_routes.rs`.

mod admin;
mod audit;
mod auth;
mod cli;
mod clock;
mod credentials;
mod db;
mod dpop;
mod error;
mod http;
mod jobs;
mod keyring;
mod keys;
mod logging;
mod mail;
mod metrics;
mod revocation;
mod routes;
mod service;
mod settings;
mod startup;
mod throttle;
mod tokens;

pub use auth::{
    AuthenticatedUser, Authenticator, CurrentUser, GroupName, InGroup, IsAdminUser,
    IsAuthenticatedOrReadOnly, OptionalUser, Permission, Permitted,
};
pub use cli::{Cli, run as run_cli};
pub use db::models::User;
pub use error::ApiError;
pub use http::body::BodyFields;
pub use http::throttling::{RouteThrottles, Throttled};
pub use logging::init as init_logging;
pub use service::ClaimsHook;
pub use settings::{LoadOptions, Settings, SettingsError};
pub use startup::{Application, StartupError};
pub use tokens::{AuthMethod, Principal, Rights, SessionId, TokenId};
