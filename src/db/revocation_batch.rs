//! PostgreSQL: the logouts and blacklists waiting at a given moment go to the database together.
//!
//! One call of `bouncer_revoke_batch` (migration `2026-12-03-000009`) writes them all in one
//! statement and one transaction. Through the writer each cost a savepoint, four or five
//! statements and a release, one round trip each and one job after another on its connection:
//! about 2,000 blacklists/s against 15,000 refreshes/s.
//!
//! Each revocation runs in its own subtransaction inside the function, so one that fails
//! answers on its own and leaves the others alone. Exactly-once still rests on the blacklist's
//! unique index, across instances as within a batch: a second revocation of the same token
//! sees the first's row and answers "already" (the caller's 401 `Token is blacklisted`). The
//! announcements to other instances (`NOTIFY`) are sent inside the batch's transaction, so
//! they are heard if, and only if, it commits.
//!
//! Batches are ordered by (sid, jti), and the function inserts a session's row before its
//! token's: concurrent batches of several instances take the unique-index locks they may wait
//! on in one order, and cannot deadlock on them. A rotation batch (ordered by jti) holds a
//! token's lock or its session's, never both for one refresh; should a rare mix of both kinds
//! still form a cycle, PostgreSQL's deadlock detector fails one job's subtransaction, which
//! answers 503 on its own and writes nothing.
//!
//! Its own thread and connection rather than a second kind of job on the rotation batcher's
//! thread: a refresh and a logout then never wait for each other's round trip, and each thread
//! sends one fixed prepared statement, where a shared thread would send both functions' arrays
//! (or alternate between two statements) and halve each one's share of the round trips under
//! a mixed load. The price is one more connection kept from the pool.
//!
//! SQLite keeps its path: `tokens::revoke` as a job of the single writer.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use tokio::sync::{mpsc, oneshot};

use super::batch::next_batch;
use super::conn::Pool;
use super::error::StorageError;
use super::tokens::{SessionRevoked, TokenToRevoke};

/// Most revocations in one call: the arrays stay small, the transaction short.
const MAX_BATCH: usize = 256;
/// Revocations waiting before callers wait for room.
const QUEUE_CAPACITY: usize = 4096;

/// One revocation as queued: the token, and the horizon and time `tokens::revoke` takes.
#[derive(Debug, Clone, Copy)]
struct Job {
    token: TokenToRevoke,
    access_horizon: i64,
    now: i64,
}

/// Whether the token was newly blacklisted (false: it already was), and its session's
/// revocation: `tokens::revoke`'s answer.
pub type Revoked = (bool, SessionRevoked);

type Reply = oneshot::Sender<Result<Revoked, StorageError>>;

/// The handle logouts and blacklists queue on; cloned into the `Db`.
#[derive(Clone)]
pub struct RevocationBatcher {
    queue: mpsc::Sender<(Job, Reply)>,
}

impl std::fmt::Debug for RevocationBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevocationBatcher")
    }
}

impl RevocationBatcher {
    /// Starts the batching thread with a connection of `pool` that it keeps (and replaces,
    /// should it break).
    pub fn start(pool: Pool<PgConnection>) -> Result<Self, StorageError> {
        let conn = pool.get()?;
        let (queue, waiting) = mpsc::channel(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("pg-revocations".into())
            .spawn(move || run(conn, &pool, waiting))
            .map_err(|e| {
                StorageError::Failed(format!("cannot start the revocation thread: {e}"))
            })?;
        Ok(Self { queue })
    }

    /// Queues one revocation and waits for its outcome, which arrives once its batch committed.
    pub async fn revoke(
        &self,
        token: TokenToRevoke,
        access_horizon: i64,
        now: i64,
    ) -> Result<Revoked, StorageError> {
        let job = Job {
            token,
            access_horizon,
            now,
        };
        let (reply, outcome) = oneshot::channel();
        let gone = || StorageError::Failed("the revocation thread has stopped".into());
        self.queue.send((job, reply)).await.map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }
}

type Conn = diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<PgConnection>>;

fn run(mut conn: Conn, pool: &Pool<PgConnection>, mut waiting: mpsc::Receiver<(Job, Reply)>) {
    let mut batch: Vec<(Job, Reply)> = Vec::with_capacity(MAX_BATCH);
    while next_batch(&mut waiting, &mut batch, MAX_BATCH) {
        // The lock order the migration relies on. Stable: two revocations of one token keep
        // their arrival order (the first one is "newly").
        batch.sort_by_key(|(job, _)| (job.token.sid, job.token.jti));
        match revoke_batch(&mut conn, &batch) {
            Ok(answers) => {
                for ((job, reply), answer) in batch.drain(..).zip(answers) {
                    let _ = reply.send(revocation_answer(&job.token, answer));
                }
            }
            Err(e) => {
                log::warn!("a batch of {} revocations failed: {e}", batch.len());
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.clone()));
                }
                // The connection may be gone: take a fresh one for the next batch.
                match pool.get() {
                    Ok(fresh) => conn = fresh,
                    Err(e) => log::warn!("the revocation thread has no new connection yet: {e}"),
                }
            }
        }
    }
}

/// What one of `bouncer_revoke_batch`'s answers says: the session's revoked-until, negated
/// when the token was already blacklisted; 0 when the revocation failed and wrote nothing.
fn revocation_answer(token: &TokenToRevoke, answer: i64) -> Result<Revoked, StorageError> {
    if answer == 0 {
        // Nothing was written: the client may simply try again.
        return Err(StorageError::Unavailable(
            "a revocation failed in its batch".into(),
        ));
    }
    let session = SessionRevoked {
        sid: token.sid,
        user_id: token.user_id,
        expires_at: answer.saturating_abs(),
    };
    Ok((answer > 0, session))
}

diesel::define_sql_function! {
    /// The batch in one statement (migration `2026-12-03-000009`). Called through
    /// `diesel::select`, which diesel keeps prepared: one round trip per batch, no parse (a
    /// `sql_query` is prepared afresh on every call, a second round trip).
    fn bouncer_revoke_batch(
        jtis: Array<Text>,
        token_types: Array<Text>,
        expires_ats: Array<BigInt>,
        sids: Array<Text>,
        user_ids: Array<BigInt>,
        access_horizons: Array<BigInt>,
        now_tss: Array<BigInt>,
    ) -> Array<BigInt>;
}

/// Writes the batch; one answer per revocation, in the batch's order.
fn revoke_batch(conn: &mut PgConnection, batch: &[(Job, Reply)]) -> Result<Vec<i64>, StorageError> {
    let jobs = || batch.iter().map(|(job, _)| job);
    let tokens = || jobs().map(|job| &job.token);
    let answers: Vec<i64> = diesel::select(bouncer_revoke_batch(
        tokens().map(|t| t.jti.to_string()).collect::<Vec<_>>(),
        tokens().map(|t| t.token_type.as_str()).collect::<Vec<_>>(),
        tokens().map(|t| t.expires_at).collect::<Vec<_>>(),
        tokens().map(|t| t.sid.to_string()).collect::<Vec<_>>(),
        tokens().map(|t| t.user_id).collect::<Vec<_>>(),
        jobs().map(|job| job.access_horizon).collect::<Vec<_>>(),
        jobs().map(|job| job.now).collect::<Vec<_>>(),
    ))
    .get_result(conn)?;
    if answers.len() != batch.len() {
        return Err(StorageError::Failed(format!(
            "bouncer_revoke_batch answered {} times for {} revocations",
            answers.len(),
            batch.len()
        )));
    }
    Ok(answers)
}
