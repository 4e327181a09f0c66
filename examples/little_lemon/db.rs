//! Little Lemon's own database: a SQLite file beside bouncer's, an r2d2 pool, the embedded
//! migrations, and the one way handlers reach it ([`LemonDb::run`], on the blocking pool).
//!
//! A separate file rather than bouncer's database: an application owns its tables and their
//! migrations, and bouncer's schema stays bouncer's. The price is that `ratings.user_id`
//! cannot be a foreign key to bouncer's `users`.

use std::path::Path;
use std::time::Duration;

use actix_web::web;
use bouncer::ApiError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("examples/little_lemon/migrations");

/// How long a statement waits for SQLite's write lock before the request gets a 503.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite has one writer at a time; a few connections are plenty for reads beside it.
const POOL_SIZE: u32 = 4;

/// The pool, shared by every worker as `web::Data<LemonDb>`.
#[derive(Clone)]
pub struct LemonDb {
    pool: Pool<ConnectionManager<SqliteConnection>>,
}

/// Set on every pooled connection: SQLite keeps these per connection, not per file.
#[derive(Debug, Clone, Copy)]
struct Pragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // busy_timeout first, so connections opened together wait for the lock that switching
        // to WAL takes instead of failing. foreign_keys is off by default in SQLite; no table
        // has one today (a rating's menu item is a plain number, as in the tutorial), but a
        // table that declares one gets it enforced.
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; \
             PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            BUSY_TIMEOUT.as_millis()
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

impl LemonDb {
    /// Opens (creating if needed) the SQLite file at `path` and applies pending migrations.
    /// Blocks: call it from `spawn_blocking`.
    pub fn open(path: &Path) -> Result<Self, String> {
        let url = path
            .to_str()
            .ok_or_else(|| format!("database path {} is not UTF-8", path.display()))?;
        let pool = Pool::builder()
            .max_size(POOL_SIZE)
            .connection_timeout(BUSY_TIMEOUT)
            .connection_customizer(Box::new(Pragmas))
            .build(ConnectionManager::<SqliteConnection>::new(url))
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        let mut conn = pool
            .get()
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        conn.run_pending_migrations(MIGRATIONS)
            .map_err(|e| format!("migrating {}: {e}", path.display()))?;
        Ok(Self { pool })
    }

    /// Runs `job` on actix's blocking pool, never on an async worker: getting a connection
    /// can wait for the pool and every SQLite call is synchronous.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut SqliteConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool
                .get()
                .map_err(|e| ApiError::Unavailable(e.to_string()))?;
            job(&mut conn)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task: {e}")))?
    }
}

/// A database error no handler expected: a locked database is a 503 (retry later), anything
/// else a 500 whose cause bouncer's error handler logs and never sends.
pub fn storage(e: DieselError) -> ApiError {
    match &e {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info)
            if info.message().contains("database is locked") =>
        {
            ApiError::Unavailable(e.to_string())
        }
        _ => ApiError::Internal(e.to_string()),
    }
}
