//! The handle every part of bouncer stores through: the connection pool for reads, and for
//! writes the single SQLite writer or, on PostgreSQL, the pool.

use std::sync::Arc;

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

use super::conn::{DbConn, Pool};
use super::error::StorageError;
use super::rotation::{self, Rotation, RotationOutcome};
use super::rotation_batch::RotationBatcher;
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
    /// The one thread that runs batched write transactions: every write on SQLite, the
    /// writes that announce revocations on PostgreSQL.
    pub(super) writer: Writer,
    /// Bounds the callers of [`Db::run`] waiting inside the pool: beyond the permits they
    /// queue here, first come first served, rather than as blocked threads inside the pool,
    /// whose wake-ups are not in order (which put a few requests' waits far above the rest).
    pub(super) permits: Arc<tokio::sync::Semaphore>,
    /// PostgreSQL only: the thread that sends waiting refreshes to the database together.
    pub(super) rotations: Option<RotationBatcher>,
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
        match self.backend() {
            Backend::Sqlite => self.writer.write(job).await,
            Backend::Postgres => self.run(job).await,
        }
    }

    /// A refresh's write (see `rotation::rotate`): on SQLite a job of the writer, on PostgreSQL
    /// part of the next batch of rotations (`rotation_batch.rs`).
    pub async fn rotate(&self, rotation: Rotation) -> Result<RotationOutcome, StorageError> {
        match &self.rotations {
            Some(batcher) => batcher.rotate(rotation).await,
            None => {
                self.writer
                    .write(move |conn| rotation::rotate(conn, &rotation))
                    .await
            }
        }
    }

    /// A write that announces a revocation to other instances (`NOTIFY`): on both backends it
    /// queues for the writer, so on PostgreSQL a batch of them shares one commit (see
    /// `writer.rs` for why that matters there).
    pub async fn write_announcing<T, E, F>(&self, job: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        StorageError: From<E>,
    {
        self.writer.write(job).await
    }

    /// Shutdown: waits until every write queued for the writer has committed; answers how
    /// many were queued. Refreshes queued for PostgreSQL's rotation batcher are not waited
    /// for: one only counts once answered, and an unanswered rotation left undone is the
    /// safer outcome (the client may retry its old token without tripping reuse detection).
    pub async fn drain_writes(&self) -> Result<usize, StorageError> {
        self.writer.drain().await
    }

    /// [`Db::write`] for threads that may block (background jobs, the start-up path).
    pub fn write_blocking<T, E, F>(&self, job: F) -> Result<T, StorageError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        StorageError: From<E>,
    {
        match self.backend() {
            Backend::Sqlite => self.writer.write_blocking(job),
            Backend::Postgres => job(&mut self.get()?).map_err(StorageError::from),
        }
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
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| StorageError::Failed(format!("connection permits: {e}")))?;
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get()?;
            let result = f(&mut conn).map_err(StorageError::from);
            drop(permit);
            result
        })
        .await
        .map_err(|e| StorageError::Failed(format!("blocking task failed: {e}")))?
    }
}

// The write path end to end: a real SQLite file, the pool and its single writer. Here, not
// beside writer.rs, because the tests build a whole `Db` and the writer must not import the pool.
#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
