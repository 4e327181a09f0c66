//! The connection pool, a pooled connection of either backend, and the macro that compiles
//! one query for each backend.

use std::sync::Arc;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, PooledConnection};
use diesel::sqlite::SqliteConnection;

use super::error::StorageError;
use super::url::{Backend, redact_url};

pub(super) type Pool<C> = diesel::r2d2::Pool<ConnectionManager<C>>;

/// A pooled connection to whichever backend the database URL chose.
pub enum DbConn {
    Sqlite(PooledConnection<ConnectionManager<SqliteConnection>>),
    Postgres(PooledConnection<ConnectionManager<PgConnection>>),
}

/// Runs `$body` with `$conn` bound to the concrete connection of the active backend, so each
/// query is type-checked against that backend's full SQL dialect. Backend differences go
/// through `BackendOps`. Internal to storage: nothing outside `db/` writes queries.
macro_rules! on_backend {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::db::pool::DbConn::Sqlite($conn) => {
                let $conn: &mut diesel::sqlite::SqliteConnection = &mut *$conn;
                $body
            }
            $crate::db::pool::DbConn::Postgres($conn) => {
                let $conn: &mut diesel::pg::PgConnection = &mut *$conn;
                $body
            }
        }
    };
}
pub(crate) use on_backend;

#[derive(Clone)]
pub(super) enum Pools {
    Sqlite(Pool<SqliteConnection>),
    Postgres(Pool<PgConnection>),
}

/// The pool, cloned into every service that stores something.
#[derive(Clone)]
pub struct Db {
    pub(super) pools: Pools,
    /// With connection options added; holds the password, so it is never logged.
    pub(super) url: Arc<str>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Db({})", redact_url(&self.url))
    }
}

impl Db {
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

    /// A connection for synchronous callers (start-up, background jobs). Blocks.
    pub fn get(&self) -> Result<DbConn, StorageError> {
        Ok(match &self.pools {
            Pools::Sqlite(pool) => DbConn::Sqlite(pool.get()?),
            Pools::Postgres(pool) => DbConn::Postgres(pool.get()?),
        })
    }

    /// Runs `f` with a connection on the blocking thread pool: taking a connection and every
    /// query block, and must never run on an async worker. `f` returns diesel's
    /// `QueryResult` or a `StorageError`.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        StorageError: From<E>,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get()?;
            f(&mut conn).map_err(StorageError::from)
        })
        .await
        .map_err(|e| StorageError::Failed(format!("blocking task failed: {e}")))?
    }
}
