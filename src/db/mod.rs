//! Storage: the connection pool, migrations, and query modules that take `&mut DbConn`.
//!
//! Queries are written once and compiled per backend through [`on_backend!`]: diesel's
//! `MultiConnection` would be tidier but supports no `ON CONFLICT`, which single-use
//! rotation depends on. Today the only backend is SQLite.

pub mod backend;
pub mod cleanup;
mod connect;
pub mod models;
pub mod schema;
pub mod tokens;
pub mod users;

use actix_web::web;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};

pub use self::backend::BackendOps;
pub use self::connect::redact_url;
use crate::error::ApiError;
use crate::settings::{Backend, Settings};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

type Pool<C> = diesel::r2d2::Pool<ConnectionManager<C>>;

/// A pooled connection to whichever backend the database URL chose.
pub enum DbConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
}

/// Runs `$body` with `$conn` bound to the concrete connection of the active backend, so each
/// query is type-checked against that backend's full SQL dialect. Backend differences go
/// through [`BackendOps`].
#[macro_export]
macro_rules! on_backend {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::DbConn::Sqlite($conn) => {
                let $conn: &mut diesel::sqlite::SqliteConnection = &mut *$conn;
                $body
            }
            $crate::db::DbConn::Postgres($conn) => {
                let $conn: &mut diesel::pg::PgConnection = &mut *$conn;
                $body
            }
        }
    };
}

/// Why the database could not be opened at start, worded for the operator: it names the
/// `database_url` setting but never prints the password.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

impl ConnectError {
    fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

#[derive(Clone)]
enum Pools {
    Sqlite(Pool<SqliteConnection>),
    Postgres(Pool<PgConnection>),
}

/// The pool, shared by every worker through `web::Data`.
#[derive(Clone)]
pub struct Db {
    pools: Pools,
    /// With connection options added; holds the password, so it is never logged.
    url: String,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({})", connect::redact_url(&self.url))
    }
}

impl Db {
    /// Opens the database named by the settings and applies pending migrations.
    pub fn connect(settings: &Settings) -> Result<Self, ConnectError> {
        let session = connect::SessionSettings {
            statement_timeout: settings.database_statement_timeout,
        };
        match settings
            .backend()
            .map_err(|e| ConnectError::new(e.to_string()))?
        {
            Backend::Sqlite => connect::sqlite(settings, session),
            Backend::Postgres => connect::postgres(settings, session),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// The connection URL with bouncer's connection options (for dedicated connections).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A connection for synchronous callers (the CLI, start-up, background jobs).
    pub fn get(&self) -> Result<DbConn, ApiError> {
        Ok(match &self.pools {
            Pools::Sqlite(pool) => DbConn::Sqlite(pool.get()?),
            Pools::Postgres(pool) => DbConn::Postgres(pool.get()?),
        })
    }

    /// Runs `f` with a connection on the blocking pool: taking a connection and every query
    /// block, and must never run on an async worker.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        web::block(move || f(&mut db.get()?)).await?
    }
}

/// Seconds since the epoch: the unit of every expiry column and JWT time claim.
pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}
