//! The single writer: write transactions queue for one thread that owns one connection.
//!
//! On SQLite every write of the process goes through it, so requests never meet SQLite's busy
//! handler (which sleeps with a back-off of up to 100 ms between retries) while another of our
//! connections holds the lock. On PostgreSQL only the writes that announce a revocation do:
//! PostgreSQL serialises the commits of transactions that ran `NOTIFY` (a server-wide lock from
//! before the commit until it is durable), so one revocation per transaction would pay one
//! WAL flush each, one after the other; batched, one flush covers a whole batch.
//!
//! Group commit: the writer takes every job queued while it was busy (up to [`MAX_BATCH`]) and
//! runs them in one `BEGIN IMMEDIATE ... COMMIT`, each inside its own savepoint. A job that
//! fails rolls back to its savepoint and leaves its neighbours' writes alone. Every job is
//! answered only after the whole batch committed, so every acknowledged write is as durable as
//! before (WAL with `synchronous = NORMAL`: it survives a crash of the process). If the commit
//! itself fails, nothing of the batch was written, and every job that had succeeded gets that
//! error instead.
//!
//! The busy timeout stays on the connection as the guard against other processes (the command
//! line, a second instance pointed at the same file by mistake): then the whole batch waits.
//!
//! Checkpoints (copying the WAL back into the database file) would stall the writer for
//! milliseconds every thousand pages, so the writer's connection never checkpoints by itself:
//! a second thread runs a `PASSIVE` checkpoint every [`CHECKPOINT_INTERVAL`], which copies
//! what it can without blocking the writer or readers.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::result::Error as DieselError;
use diesel::sqlite::SqliteConnection;
use tokio::sync::{mpsc, oneshot};

use super::batch::next_batch;
use super::conn::{DbConn, Pool, on_backend};
use super::error::StorageError;

type Manager = AnsiTransactionManager;

/// Most jobs committed together: enough to absorb a burst from every connection of a busy
/// server, few enough that one commit stays short.
const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer before senders wait for room: back-pressure, not memory growth.
const QUEUE_CAPACITY: usize = 4096;
/// How often the checkpointer copies the WAL into the database file.
const CHECKPOINT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(200);
/// The writer's page cache, in KiB: the tokens tables' indexes stay in memory rather than
/// being read back from the operating system's cache on every batch.
const WRITER_CACHE_KIB: u32 = 16 * 1024;

/// A write as the writer sees it: run inside the batch, then told how the batch ended.
trait WriteJob: Send {
    /// Runs the work; `false` when it failed and its savepoint must be rolled back.
    fn run(&mut self, conn: &mut DbConn) -> bool;
    /// Answers the caller: its own outcome if the batch committed, else the commit's error.
    fn finish(self: Box<Self>, commit: Result<(), &StorageError>);
}

struct Job<T, F> {
    work: Option<F>,
    outcome: Option<Result<T, StorageError>>,
    reply: oneshot::Sender<Result<T, StorageError>>,
}

impl<T, E, F> WriteJob for Job<T, F>
where
    T: Send,
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send,
    StorageError: From<E>,
{
    fn run(&mut self, conn: &mut DbConn) -> bool {
        let Some(work) = self.work.take() else {
            return true;
        };
        let outcome = match catch_unwind(AssertUnwindSafe(|| work(conn))) {
            Ok(result) => result.map_err(StorageError::from),
            Err(_) => Err(StorageError::Failed("a write job panicked".into())),
        };
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), &StorageError>) {
        let outcome = match (self.outcome, commit) {
            (Some(Ok(_)), Err(e)) => Err(e.clone()),
            (Some(outcome), _) => outcome,
            (None, Err(e)) => Err(e.clone()),
            (None, Ok(())) => Err(StorageError::Failed("a write job never ran".into())),
        };
        // The caller may have given up (its request was cancelled): nothing to do then.
        let _ = self.reply.send(outcome);
    }
}

/// The handle requests use to queue writes; cloned into every service that writes.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn WriteJob>>,
    stats: Arc<WriterStats>,
    /// Cleared when the writer thread ends (every sender is gone).
    running: Arc<AtomicBool>,
}

/// How the writer gets a (new) connection.
type Connect = Box<dyn Fn() -> Result<DbConn, StorageError> + Send>;

fn spawn_failed(e: std::io::Error) -> StorageError {
    StorageError::Failed(format!("cannot start a database writer thread: {e}"))
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("stats", &self.stats)
            .finish()
    }
}

/// What the writer has done: how many transactions, how many jobs, the largest batch.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub jobs: AtomicU64,
    pub largest_batch: AtomicU64,
}

impl WriterStats {
    fn record(&self, batch: usize) {
        let batch = batch as u64;
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.jobs.fetch_add(batch, Ordering::Relaxed);
        self.largest_batch.fetch_max(batch, Ordering::Relaxed);
    }
}

impl Writer {
    /// Starts SQLite's writer and its checkpointer on connections of `pool`. The writer keeps
    /// its connection for its whole life (and replaces it, should it break).
    pub fn start_sqlite(pool: Pool<SqliteConnection>) -> Result<Self, StorageError> {
        let checkpointer_pool = pool.clone();
        let connect = move || -> Result<DbConn, StorageError> {
            let mut conn = pool.get()?;
            conn.batch_execute(&format!(
                "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -{WRITER_CACHE_KIB};"
            ))?;
            Ok(DbConn::Sqlite(conn))
        };
        let writer = Self::start("sqlite-writer", Box::new(connect), "BEGIN IMMEDIATE")?;
        let running = writer.running.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_while(&checkpointer_pool, &running))
            .map_err(spawn_failed)?;
        Ok(writer)
    }

    /// Starts PostgreSQL's writer for revocations on a connection of `pool`.
    pub fn start_postgres(pool: Pool<PgConnection>) -> Result<Self, StorageError> {
        let connect = move || -> Result<DbConn, StorageError> { Ok(DbConn::Postgres(pool.get()?)) };
        Self::start("pg-writer", Box::new(connect), "BEGIN")
    }

    fn start(name: &str, connect: Connect, begin: &'static str) -> Result<Self, StorageError> {
        let conn = connect()?;
        let (queue, jobs) = mpsc::channel(QUEUE_CAPACITY);
        let stats = Arc::new(WriterStats::default());
        let running = Arc::new(AtomicBool::new(true));
        let (thread_stats, thread_running) = (stats.clone(), running.clone());
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                run(conn, &connect, begin, jobs, &thread_stats);
                thread_running.store(false, Ordering::SeqCst);
            })
            .map_err(spawn_failed)?;
        Ok(Self {
            queue,
            stats,
            running,
        })
    }

    /// Queues `work` and waits for its outcome, which arrives once its batch committed.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        StorageError: From<E>,
    {
        let (job, outcome) = job(work);
        self.queue.send(job).await.map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }

    /// The same for threads that may block (background jobs, never an async worker).
    pub fn write_blocking<T, E, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        StorageError: From<E>,
    {
        let (job, outcome) = job(work);
        self.queue.blocking_send(job).map_err(|_| gone())?;
        outcome.blocking_recv().map_err(|_| gone())?
    }

    /// Shutdown: waits until every write queued so far has committed (or failed), and says
    /// how many were queued. A no-op job joins the back of the queue; jobs run and answer in
    /// order, so its answer comes after theirs. Until then the thread keeps running even
    /// though nothing serves requests any more: returning from `main` would end it mid-batch.
    pub async fn drain(&self) -> Result<usize, StorageError> {
        let queued = self.queue.max_capacity() - self.queue.capacity();
        self.write(|_| Ok::<(), StorageError>(())).await?;
        Ok(queued)
    }

    #[cfg(test)]
    pub(super) fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Queues `work` without waiting for room (tests: to control exactly what is queued).
    #[cfg(test)]
    pub(super) fn submit<T, E, F>(&self, work: F) -> oneshot::Receiver<Result<T, StorageError>>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        StorageError: From<E>,
    {
        let (job, outcome) = job(work);
        assert!(
            self.queue.try_send(job).is_ok(),
            "the writer's queue is full"
        );
        outcome
    }
}

fn job<T, E, F>(
    work: F,
) -> (
    Box<dyn WriteJob>,
    oneshot::Receiver<Result<T, StorageError>>,
)
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    StorageError: From<E>,
{
    let (reply, outcome) = oneshot::channel();
    let job = Job {
        work: Some(work),
        outcome: None,
        reply,
    };
    (Box::new(job), outcome)
}

fn gone() -> StorageError {
    StorageError::Failed("the database writer has stopped".into())
}

/// The writer thread: batch, run, commit, answer; until every sender is gone.
fn run(
    mut conn: DbConn,
    connect: &Connect,
    begin: &str,
    mut jobs: mpsc::Receiver<Box<dyn WriteJob>>,
    stats: &WriterStats,
) {
    let mut batch: Vec<Box<dyn WriteJob>> = Vec::with_capacity(MAX_BATCH);
    let mut reported = (std::time::Instant::now(), 0, 0);
    while next_batch(&mut jobs, &mut batch, MAX_BATCH) {
        let committed = run_batch(&mut conn, begin, &mut batch);
        if let Err(e) = &committed {
            log::warn!("a batch of {} writes was not committed: {e}", batch.len());
            if !rolled_back(&mut conn) {
                match connect() {
                    Ok(fresh) => conn = fresh,
                    Err(e) => log::error!("the database writer has no usable connection: {e}"),
                }
            }
        }
        stats.record(batch.len());
        if reported.0.elapsed() >= std::time::Duration::from_secs(10) {
            let (batches, done) = (
                stats.batches.load(Ordering::Relaxed),
                stats.jobs.load(Ordering::Relaxed),
            );
            log::debug!(
                "writer: {} writes in {} transactions in the last {:?}",
                done - reported.2,
                batches - reported.1,
                reported.0.elapsed()
            );
            reported = (std::time::Instant::now(), batches, done);
        }
        for job in batch.drain(..) {
            job.finish(committed.as_ref().map(|_| ()));
        }
    }
}

/// Copies the WAL into the database file while the writer runs. `PASSIVE` never waits for
/// the writer or a reader; whatever it could not copy is copied next time.
fn checkpoint_while(pool: &Pool<SqliteConnection>, running: &AtomicBool) {
    let mut failed_before = false;
    while running.load(Ordering::SeqCst) {
        std::thread::sleep(CHECKPOINT_INTERVAL);
        let result = pool.get().map_err(|e| e.to_string()).and_then(|mut c| {
            c.batch_execute("PRAGMA wal_checkpoint(PASSIVE);")
                .map_err(|e| e.to_string())
        });
        // Once per failure streak: a locked or unreachable file would repeat every tick.
        if let Err(e) = &result
            && !failed_before
        {
            log::warn!("WAL checkpoint failed, will retry: {e}");
        }
        failed_before = result.is_err();
    }
}

/// How deep in transactions and savepoints the connection is (0: none open).
fn depth(conn: &mut DbConn) -> Result<u32, DieselError> {
    let depth = on_backend!(conn, c => {
        <Manager as TransactionManager<_>>::transaction_manager_status_mut(c).transaction_depth()
    })?;
    Ok(depth.map_or(0, |d| d.get()))
}

fn savepoint(conn: &mut DbConn) -> Result<(), DieselError> {
    on_backend!(conn, c => <Manager as TransactionManager<_>>::begin_transaction(c))
}

/// Commits the innermost level: releases a savepoint, or commits the transaction.
fn commit(conn: &mut DbConn) -> Result<(), DieselError> {
    on_backend!(conn, c => <Manager as TransactionManager<_>>::commit_transaction(c))
}

/// Rolls back the innermost level: to a savepoint, or the transaction.
fn rollback(conn: &mut DbConn) -> Result<(), DieselError> {
    on_backend!(conn, c => <Manager as TransactionManager<_>>::rollback_transaction(c))
}

/// One transaction: a savepoint per job, then the commit. On `Err` the caller rolls back.
fn run_batch(
    conn: &mut DbConn,
    begin: &str,
    batch: &mut [Box<dyn WriteJob>],
) -> Result<(), StorageError> {
    on_backend!(conn, c => Manager::begin_transaction_sql(c, begin))?;
    for job in batch.iter_mut() {
        savepoint(conn)?;
        let succeeded = job.run(conn);
        // A job that panicked inside a transaction of its own may have left it open: then
        // nothing about the batch can be trusted.
        if depth(conn)? != 2 {
            return Err(StorageError::Failed(
                "a write job left a transaction open".into(),
            ));
        }
        if succeeded {
            commit(conn)?;
        } else {
            rollback(conn)?;
        }
    }
    commit(conn)?;
    Ok(())
}

/// Rolls back whatever the failed batch left open; false when the connection is unusable.
fn rolled_back(conn: &mut DbConn) -> bool {
    loop {
        match depth(conn) {
            Ok(0) => return true,
            Ok(_) => {
                if let Err(e) = rollback(conn) {
                    log::warn!("the database writer could not roll back: {e}");
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}
