//! Opening the database: per-connection session settings, migrations, pool set-up, and
//! PostgreSQL connection options (bounded network waits, passwords kept out of messages).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use diesel::Connection;
use diesel::RunQueryDsl;
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection};
use diesel::sqlite::Sqlite;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::backend::{self, BackendOps};
use super::conn::DbConn;
use super::error::{ConnectError, StorageError};
use super::pool::{Db, Pools};
use super::rotation_batch::RotationBatcher;
use super::url::{DatabaseUrl, redact_url};
use super::writer::Writer;
use crate::settings::Settings;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

impl Db {
    /// Opens the database named by the settings and applies pending migrations.
    pub fn connect(settings: &Settings) -> Result<Self, ConnectError> {
        let session = SessionSettings {
            statement_timeout: settings.database_statement_timeout,
        };
        match DatabaseUrl::parse(&settings.database_url).map_err(ConnectError::Setting)? {
            DatabaseUrl::Sqlite(path) => sqlite(&path, settings, session),
            DatabaseUrl::Postgres(url) => postgres(&url, settings, session),
        }
    }

    /// How many of the embedded migrations the database has not applied (the readiness
    /// probe). Read-only: diesel's own `has_pending_migration` would first create the
    /// migrations table. Blocks: run it off the async workers.
    pub fn pending_migrations(&self) -> Result<usize, StorageError> {
        #[derive(diesel::QueryableByName)]
        struct Applied {
            #[diesel(sql_type = diesel::sql_types::Text)]
            version: String,
        }
        let query = "SELECT version FROM __diesel_schema_migrations";
        let (applied, embedded) = match &mut self.get()? {
            DbConn::Sqlite(c) => (
                diesel::sql_query(query).load::<Applied>(&mut **c)?,
                versions::<Sqlite>(&SQLITE_MIGRATIONS)?,
            ),
            DbConn::Postgres(c) => (
                diesel::sql_query(query).load::<Applied>(&mut **c)?,
                versions::<Pg>(&POSTGRES_MIGRATIONS)?,
            ),
        };
        let applied: std::collections::HashSet<String> =
            applied.into_iter().map(|a| a.version).collect();
        Ok(embedded.iter().filter(|v| !applied.contains(*v)).count())
    }
}

/// The versions of the migrations compiled into the binary.
fn versions<DB: diesel::backend::Backend>(
    source: &EmbeddedMigrations,
) -> Result<Vec<String>, StorageError>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    let migrations = MigrationSource::<DB>::migrations(source)
        .map_err(|e| StorageError::Failed(format!("embedded migrations: {e}")))?;
    Ok(migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
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

fn sqlite(path: &Path, settings: &Settings, session: SessionSettings) -> Result<Db, ConnectError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(ConnectError::Unavailable(format!(
            "setting `database_url`: directory {} does not exist",
            parent.display()
        )));
    }
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        ConnectError::Unavailable(format!(
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
    // One more than configured: the writer keeps one connection for itself.
    let pool = diesel::r2d2::Pool::builder()
        .max_size(settings.database_pool_size + 1)
        .connection_timeout(settings.database_connect_timeout)
        .connection_customizer(Box::new(session))
        .error_handler(QuietPoolErrors::new())
        .build(ConnectionManager::<SqliteConnection>::new(&url))
        .map_err(|e| fail("cannot open", &e))?;
    let writer = Writer::start_sqlite(pool.clone()).map_err(|e| fail("cannot open", &e))?;
    Ok(Db {
        pools: Pools::Sqlite(pool),
        url: url.into(),
        writer,
        permits: permits(settings),
        rotations: None,
    })
}

fn postgres(
    configured_url: &str,
    settings: &Settings,
    session: SessionSettings,
) -> Result<Db, ConnectError> {
    let url = postgres_url(configured_url, settings.database_connect_timeout);
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        ConnectError::Unavailable(format!(
            "setting `database_url`: {what} {}: {}",
            redact_url(configured_url),
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
    // Two more than configured: the revocation writer and the rotation batcher keep one each.
    let pool = diesel::r2d2::Pool::builder()
        .max_size(settings.database_pool_size + 2)
        .min_idle(Some(1))
        .connection_timeout(settings.database_connect_timeout)
        .connection_customizer(Box::new(session))
        .error_handler(QuietPoolErrors::new())
        .build(ConnectionManager::<PgConnection>::new(&url))
        .map_err(|e| fail("cannot connect to", &e))?;
    let writer = Writer::start_postgres(pool.clone()).map_err(|e| fail("cannot connect to", &e))?;
    let rotations =
        RotationBatcher::start(pool.clone()).map_err(|e| fail("cannot connect to", &e))?;
    Ok(Db {
        pools: Pools::Postgres(pool),
        url: Arc::from(url),
        writer,
        permits: permits(settings),
        rotations: Some(rotations),
    })
}

/// Requests allowed into `Db::run` at once: twice the pool (the writer's connection is
/// extra), so a freed connection always has a thread already waiting for it, while the rest
/// queue in order. Measured on PostgreSQL refreshes: 1x lost a quarter of the throughput to
/// hand-offs, 3x and unlimited gave back the long tail (p99 26-34 ms against 23 ms).
fn permits(settings: &Settings) -> Arc<tokio::sync::Semaphore> {
    let size = usize::try_from(settings.database_pool_size).unwrap_or(1) * 2;
    Arc::new(tokio::sync::Semaphore::new(size))
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

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
