//! The handle every part of bouncer stores through: the connection pool for reads, and for
//! writes the single SQLite writer or, on PostgreSQL, the pool.

use std::sync::Arc;

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

use super::conn::{DbConn, Pool};
use super::error::StorageError;
use super::url::{Backend, redact_url};
use super::writer::Writer;

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
    /// SQLite only: the one thread that runs write transactions.
    pub(super) writer: Option<Writer>,
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

    /// Runs `job` as one atomic write and answers once it is durable. On SQLite it queues for
    /// the single writer (its own savepoint in a group commit); on PostgreSQL it runs on a
    /// pooled connection like [`Db::run`], so a job of several statements opens its own
    /// transaction (`conn.transaction`, which inside the SQLite writer is a savepoint).
    pub async fn write<T, E, F>(&self, job: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        StorageError: From<E>,
    {
        match &self.writer {
            Some(writer) => writer.write(job).await,
            None => self.run(job).await,
        }
    }

    /// [`Db::write`] for threads that may block (background jobs, the start-up path).
    pub fn write_blocking<T, E, F>(&self, job: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        StorageError: From<E>,
    {
        match &self.writer {
            Some(writer) => writer.write_blocking(job),
            None => job(&mut self.get()?).map_err(StorageError::from),
        }
    }

    /// The SQLite writer's counters (`None` on PostgreSQL).
    pub fn writer_stats(&self) -> Option<&super::writer::WriterStats> {
        self.writer.as_ref().map(Writer::stats)
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
