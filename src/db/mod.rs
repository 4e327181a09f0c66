//! Storage: the connection pool, migrations, and query modules that take `&mut DbConn`.
//!
//! Queries are written once and compiled per backend through [`on_backend!`]: diesel's
//! `MultiConnection` would be tidier but supports no `ON CONFLICT`, which single-use
//! rotation depends on. Today the only backend is SQLite.

pub mod backend;
pub mod cleanup;
pub mod models;
pub mod schema;
pub mod tokens;
pub mod users;

use std::time::Duration;

use actix_web::web;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use self::backend::BackendOps;
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
        write!(f, "Db({})", redact_url(&self.url))
    }
}

/// r2d2 logs every failed connection attempt, many a second while the database is down;
/// this logs the first and then at most one line per interval, with how many were folded.
#[derive(Debug)]
struct QuietPoolErrors {
    last: parking_lot::Mutex<(Option<std::time::Instant>, u64)>,
}

const POOL_ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

impl QuietPoolErrors {
    fn new() -> Box<Self> {
        Box::new(Self {
            last: parking_lot::Mutex::new((None, 0)),
        })
    }
}

impl<E: std::fmt::Display> diesel::r2d2::HandleError<E> for QuietPoolErrors {
    fn handle_error(&self, error: E) {
        let mut last = self.last.lock();
        let due = last
            .0
            .is_none_or(|at| at.elapsed() >= POOL_ERROR_LOG_INTERVAL);
        if due {
            let folded = std::mem::take(&mut last.1);
            log::warn!(
                "database connection failed: {} ({folded} similar failures since the last report)",
                error.to_string().trim()
            );
            last.0 = Some(std::time::Instant::now());
        } else {
            last.1 += 1;
        }
    }
}

/// Session settings applied to every pooled connection.
#[derive(Debug, Clone, Copy)]
struct SessionSettings {
    statement_timeout: Duration,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // busy_timeout goes first: the pool opens connections concurrently, and switching a
        // fresh database to WAL takes a lock the others must wait for rather than fail on.
        // WAL lets readers run beside the writer; synchronous=NORMAL in WAL mode keeps every
        // committed transaction across a process crash (kill -9) and loses at most the last
        // ones on power loss.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            self.statement_timeout.as_millis()
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        // Bounded statements and transactions: a request never waits on the database for
        // longer than this, and a stuck transaction cannot hold row locks indefinitely.
        let ms = self.statement_timeout.as_millis();
        conn.batch_execute(&format!(
            "SET statement_timeout = {ms}; SET lock_timeout = {ms}; \
             SET idle_in_transaction_session_timeout = {};",
            ms * 2
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl Db {
    /// Opens the database named by the settings and applies pending migrations.
    pub fn connect(settings: &Settings) -> Result<Self, ConnectError> {
        let session = SessionSettings {
            statement_timeout: settings.database_statement_timeout,
        };
        match settings
            .backend()
            .map_err(|e| ConnectError::new(e.to_string()))?
        {
            Backend::Sqlite => connect_sqlite(settings, session),
            Backend::Postgres => connect_postgres(settings, session),
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

fn connect_sqlite(settings: &Settings, session: SessionSettings) -> Result<Db, ConnectError> {
    let path = settings
        .sqlite_path()
        .ok_or_else(|| ConnectError::new("setting `database_url`: no SQLite path"))?;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(ConnectError::new(format!(
            "setting `database_url`: directory {} does not exist",
            parent.display()
        )));
    }
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        ConnectError::new(format!(
            "setting `database_url`: {what} {}: {e}",
            path.display()
        ))
    };
    // One connection first: a bad path fails at once with a clear line (the pool would
    // retry until its timeout), and migrations run before any other connection exists.
    let mut conn = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| fail("cannot open", &e))?;
    session
        .on_acquire(&mut conn)
        .map_err(|e| fail("cannot configure", &e))?;
    conn.batch_execute("BEGIN IMMEDIATE; ROLLBACK;")
        .map_err(|e| fail("cannot write to", &e))?;
    run_migrations(&mut conn, SQLITE_MIGRATIONS).map_err(|e| fail("cannot migrate", &e))?;
    let url = path.to_string_lossy().into_owned();
    let pool = diesel::r2d2::Pool::builder()
        .max_size(settings.database_pool_size)
        .connection_timeout(settings.database_connect_timeout)
        .connection_customizer(Box::new(session))
        .error_handler(QuietPoolErrors::new())
        .build(ConnectionManager::<SqliteConnection>::new(&url))
        .map_err(|e| fail("cannot open", &e))?;
    Ok(Db {
        pools: Pools::Sqlite(pool),
        url,
    })
}

fn connect_postgres(settings: &Settings, session: SessionSettings) -> Result<Db, ConnectError> {
    let url = postgres_url(&settings.database_url, settings.database_connect_timeout);
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        ConnectError::new(format!(
            "setting `database_url`: {what} {}: {}",
            redact_url(&settings.database_url),
            // libpq's messages span lines; an operator's log wants one.
            e.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        ))
    };
    let mut conn = PgConnection::establish(&url).map_err(|e| fail("cannot connect to", &e))?;
    // No statement timeout here: a migration may take long, and instances that start while
    // another migrates must wait for the lock, not give up.
    if !conn
        .try_lock(backend::MIGRATION_LOCK)
        .map_err(|e| fail("cannot lock", &e))?
    {
        log::info!("another instance is applying migrations; waiting for it");
        backend::lock_for_migrations(&mut conn).map_err(|e| fail("cannot lock", &e))?;
    }
    // Held until this connection closes, right after the migrations.
    run_migrations(&mut conn, POSTGRES_MIGRATIONS).map_err(|e| fail("cannot migrate", &e))?;
    drop(conn);
    let pool = diesel::r2d2::Pool::builder()
        .max_size(settings.database_pool_size)
        .min_idle(Some(1))
        .connection_timeout(settings.database_connect_timeout)
        .connection_customizer(Box::new(session))
        .error_handler(QuietPoolErrors::new())
        .build(ConnectionManager::<PgConnection>::new(&url))
        .map_err(|e| fail("cannot connect to", &e))?;
    Ok(Db {
        pools: Pools::Postgres(pool),
        url,
    })
}

fn run_migrations<C>(conn: &mut C, migrations: EmbeddedMigrations) -> Result<(), String>
where
    C: MigrationHarness<C::Backend> + Connection,
{
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|e| e.to_string())?;
    for migration in applied {
        log::info!("applied migration {migration}");
    }
    Ok(())
}

/// Adds libpq options that bound every wait on the network, unless the URL sets them:
/// the connect timeout, and TCP keepalives plus a user timeout so a peer that vanished
/// (cable cut, not a closed socket) is noticed in seconds rather than hours.
fn postgres_url(url: &str, connect_timeout: Duration) -> String {
    let timeout_s = connect_timeout.as_secs().max(1);
    let options = [
        ("connect_timeout", timeout_s.to_string()),
        ("tcp_user_timeout", (timeout_s * 1000).to_string()),
        ("keepalives_idle", "5".to_owned()),
        ("keepalives_interval", "2".to_owned()),
        ("keepalives_count", "2".to_owned()),
        ("application_name", "bouncer".to_owned()),
    ];
    let mut url = url.to_owned();
    for (key, value) in options {
        if !url.contains(&format!("{key}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{key}={value}"));
        }
    }
    url
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// Seconds since the epoch: the unit of every expiry column and JWT time claim.
pub fn now_ts() -> i64 {
    chrono::Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://u:hunter2@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn postgres_urls_get_bounded_timeouts_unless_set() {
        let url = postgres_url("postgres://u@h/db", Duration::from_secs(3));
        assert!(
            url.starts_with("postgres://u@h/db?connect_timeout=3&tcp_user_timeout=3000"),
            "{url}"
        );
        let url = postgres_url(
            "postgres://u@h/db?connect_timeout=9",
            Duration::from_secs(3),
        );
        assert!(url.contains("connect_timeout=9&tcp_user_timeout"), "{url}");
    }
}
