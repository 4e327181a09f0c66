//! Storage: the connection pool, migrations, and query modules that take `&mut DbConn`.
//!
//! Queries are written once and compiled per backend through [`on_backend!`]: diesel's
//! `MultiConnection` would be tidier but supports no `ON CONFLICT`, which single-use
//! rotation depends on. Today the only backend is SQLite.

pub mod models;
pub mod schema;
pub mod tokens;
pub mod users;

use std::path::Path;
use std::time::Duration;

use actix_web::web;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::ApiError;
use crate::settings::{Settings, SettingsError};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

type SqlitePool = diesel::r2d2::Pool<ConnectionManager<SqliteConnection>>;

/// A pooled connection to whichever backend the database URL chose.
pub enum DbConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
}

/// Runs `$body` with `$conn` bound to the concrete connection of the active backend, so each
/// query is type-checked against that backend's full SQL dialect.
#[macro_export]
macro_rules! on_backend {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::DbConn::Sqlite($conn) => {
                let $conn: &mut diesel::sqlite::SqliteConnection = &mut *$conn;
                $body
            }
        }
    };
}

/// A transaction that takes the write lock up front. On SQLite a deferred transaction that
/// reads before it writes can fail with SQLITE_BUSY without waiting; `BEGIN IMMEDIATE` waits
/// for the busy timeout instead.
pub trait WriteTransaction {
    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>;
}

impl WriteTransaction for SqliteConnection {
    fn write_transaction<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        self.immediate_transaction(f)
    }
}

/// The pool, shared by every worker through `web::Data`.
#[derive(Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

/// Pragmas applied to every pooled SQLite connection.
#[derive(Debug)]
struct SqlitePragmas {
    busy_timeout: Duration,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode keeps every
        // committed transaction across a process crash (kill -9) and loses at most the last
        // ones on power loss; the busy timeout makes writers queue instead of failing.
        // busy_timeout goes first: the pool opens connections concurrently, and switching a
        // fresh database to WAL takes a lock the others must wait for rather than fail on.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            self.busy_timeout.as_millis()
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl Db {
    /// Opens the database named by the settings and applies pending migrations.
    pub fn connect(settings: &Settings) -> Result<Self, SettingsError> {
        let path = sqlite_path(&settings.database_url)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.is_dir()
        {
            return Err(SettingsError::new(format!(
                "setting `database_url`: directory {} does not exist",
                parent.display()
            )));
        }
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            SettingsError::new(format!(
                "setting `database_url`: {what} {}: {e}",
                path.display()
            ))
        };
        let pragmas = SqlitePragmas {
            busy_timeout: settings.database_timeout,
        };
        // One connection first: a bad path fails at once with a clear line (the pool would
        // retry until its timeout), and migrations run before any other connection exists.
        let mut conn = SqliteConnection::establish(&path.to_string_lossy())
            .map_err(|e| fail("cannot open", &e))?;
        pragmas
            .on_acquire(&mut conn)
            .map_err(|e| fail("cannot configure", &e))?;
        conn.batch_execute("BEGIN IMMEDIATE; ROLLBACK;")
            .map_err(|e| fail("cannot write to", &e))?;
        let applied = conn
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| fail("cannot migrate", &e))?;
        for migration in applied {
            log::info!("applied migration {migration}");
        }
        let manager = ConnectionManager::<SqliteConnection>::new(path.to_string_lossy());
        let pool = diesel::r2d2::Pool::builder()
            .max_size(settings.database_pool_size)
            .connection_timeout(settings.database_timeout)
            .connection_customizer(Box::new(pragmas))
            .build(manager)
            .map_err(|e| fail("cannot open", &e))?;
        Ok(Self { pool })
    }

    /// A connection for synchronous callers (the CLI, start-up).
    pub fn get(&self) -> Result<DbConn, ApiError> {
        Ok(DbConn::Sqlite(self.pool.get()?))
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

/// `sqlite://relative/path.db` or `sqlite:///absolute/path.db`.
fn sqlite_path(url: &str) -> Result<&Path, SettingsError> {
    match url.strip_prefix("sqlite://") {
        Some(path) if !path.is_empty() => Ok(Path::new(path)),
        _ => Err(SettingsError::new(format!(
            "setting `database_url`: {url:?} is not supported; use sqlite://PATH"
        ))),
    }
}

/// Seconds since the epoch: the unit of every expiry column and JWT time claim.
pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}
