//! PostgreSQL: the refreshes waiting at a given moment go to the database together.
//!
//! One call of `bouncer_rotate_batch` (migration `2026-12-01-000003`) rotates them all in one
//! statement and one transaction: one round trip and one WAL flush for the batch instead of
//! one of each per refresh, which is where PostgreSQL spent its time. Each rotation runs in its
//! own subtransaction inside the function, so one that fails answers on its own and leaves the
//! others alone; exactly-once still rests on the blacklist's unique index, across instances as
//! within a batch (a second rotation of the same token in one batch sees the first's row and is
//! a replay). Batches are ordered by the old token's id, so concurrent batches of several
//! instances take the index's locks in the same order and cannot deadlock on them.
//!
//! Like the SQLite writer, one thread owns one connection: while a batch is at the database,
//! the next one forms in the queue.

use std::collections::HashMap;

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Text};
use tokio::sync::{mpsc, oneshot};

use super::batch::next_batch;
use super::conn::Pool;
use super::error::StorageError;
use super::groups::UserRights;
use super::tokens::{Rotation, RotationOutcome, rotation_answer};

/// Most rotations in one call: the arrays stay small, the transaction short.
const MAX_BATCH: usize = 256;
/// Rotations waiting before callers wait for room.
const QUEUE_CAPACITY: usize = 4096;

type Reply = oneshot::Sender<Result<RotationOutcome, StorageError>>;

/// The handle refreshes queue on; cloned into the `Db`.
#[derive(Clone)]
pub struct RotationBatcher {
    queue: mpsc::Sender<(Rotation, Reply)>,
}

impl std::fmt::Debug for RotationBatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RotationBatcher")
    }
}

/// The SQL function's declaration; its arguments are the migration's, one for one.
#[allow(clippy::too_many_arguments)]
mod sql {
    use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};

    diesel::define_sql_function! {
        /// Rotates every element; answers one number per element, as `bouncer_rotate` does
        /// (and -3 for an element that failed).
        fn bouncer_rotate_batch(
            old_jtis: Array<Text>,
            old_sids: Array<Text>,
            old_user_ids: Array<BigInt>,
            old_expires_ats: Array<BigInt>,
            blacklist_olds: Array<Bool>,
            new_jtis: Array<Nullable<Text>>,
            new_created_ats: Array<BigInt>,
            new_expires_ats: Array<BigInt>,
            access_horizons: Array<BigInt>,
            now_tss: Array<BigInt>,
        ) -> Array<BigInt>;
    }
}

impl RotationBatcher {
    /// Starts the batching thread with a connection of `pool` that it keeps (and replaces,
    /// should it break).
    pub fn start(pool: Pool<PgConnection>) -> Result<Self, StorageError> {
        let conn = pool.get()?;
        let (queue, waiting) = mpsc::channel(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("pg-rotations".into())
            .spawn(move || run(conn, &pool, waiting))
            .map_err(|e| StorageError::Failed(format!("cannot start the rotation thread: {e}")))?;
        Ok(Self { queue })
    }

    /// Queues one rotation and waits for its outcome, which arrives once its batch committed.
    pub async fn rotate(&self, rotation: Rotation) -> Result<RotationOutcome, StorageError> {
        let (reply, outcome) = oneshot::channel();
        let gone = || StorageError::Failed("the rotation thread has stopped".into());
        self.queue
            .send((rotation, reply))
            .await
            .map_err(|_| gone())?;
        outcome.await.map_err(|_| gone())?
    }
}

type Conn = diesel::r2d2::PooledConnection<diesel::r2d2::ConnectionManager<PgConnection>>;

fn run(mut conn: Conn, pool: &Pool<PgConnection>, mut waiting: mpsc::Receiver<(Rotation, Reply)>) {
    let mut batch: Vec<(Rotation, Reply)> = Vec::with_capacity(MAX_BATCH);
    while next_batch(&mut waiting, &mut batch, MAX_BATCH) {
        // Stable: two rotations of one token keep their arrival order (the first one wins).
        batch.sort_by_key(|(rotation, _)| rotation.old.jti);
        match rotate_batch(&mut conn, &batch) {
            Ok(answers) => {
                let mut rights = rights_of_rotated(&mut conn, &batch, &answers);
                for ((rotation, reply), answer) in batch.drain(..).zip(answers) {
                    let outcome = rotation_answer(&rotation.old, answer).map(|o| match o {
                        RotationOutcome::Rotated(None) => {
                            RotationOutcome::Rotated(rights.remove(&rotation.old.user_id))
                        }
                        other => other,
                    });
                    let _ = reply.send(outcome);
                }
            }
            Err(e) => {
                log::warn!("a batch of {} rotations failed: {e}", batch.len());
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(e.clone()));
                }
                // The connection may be gone: take a fresh one for the next batch.
                match pool.get() {
                    Ok(fresh) => conn = fresh,
                    Err(e) => log::warn!("the rotation thread has no new connection yet: {e}"),
                }
            }
        }
    }
}

/// The rights of the users whose tokens rotated, read in one query after the batch
/// committed (one round trip for the batch, not one per refresh), for their access tokens.
/// Empty on failure: each refresh then reads its user's rights itself.
fn rights_of_rotated(
    conn: &mut PgConnection,
    batch: &[(Rotation, Reply)],
    answers: &[i64],
) -> HashMap<i64, UserRights> {
    let mut user_ids: Vec<i64> = batch
        .iter()
        .zip(answers)
        .filter(|(_, answer)| **answer == 0)
        .map(|((rotation, _), _)| rotation.old.user_id)
        .collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    if user_ids.is_empty() {
        return HashMap::new();
    }
    let rows: QueryResult<Vec<RightsRow>> = diesel::sql_query(
        "SELECT u.id, u.is_active, u.is_staff, \
                coalesce(array_agg(g.name ORDER BY g.name) FILTER (WHERE g.name IS NOT NULL), \
                         '{}') AS groups \
         FROM users u \
         LEFT JOIN user_groups ug ON ug.user_id = u.id \
         LEFT JOIN auth_groups g ON g.id = ug.group_id \
         WHERE u.id = ANY($1) GROUP BY u.id",
    )
    .bind::<Array<BigInt>, _>(&user_ids)
    .load(conn);
    match rows {
        Ok(rows) => rows
            .into_iter()
            .map(|row| {
                let rights = UserRights {
                    is_active: row.is_active,
                    is_staff: row.is_staff,
                    groups: row.groups,
                };
                (row.id, rights)
            })
            .collect(),
        Err(e) => {
            log::warn!("reading the rights of a batch's users failed ({e}); each reads its own");
            HashMap::new()
        }
    }
}

#[derive(QueryableByName)]
struct RightsRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Bool)]
    is_active: bool,
    #[diesel(sql_type = Bool)]
    is_staff: bool,
    #[diesel(sql_type = Array<Text>)]
    groups: Vec<String>,
}

fn rotate_batch(
    conn: &mut PgConnection,
    batch: &[(Rotation, Reply)],
) -> Result<Vec<i64>, StorageError> {
    let rotations = || batch.iter().map(|(rotation, _)| rotation);
    let answers: Vec<i64> = diesel::select(sql::bouncer_rotate_batch(
        rotations()
            .map(|r| r.old.jti.to_string())
            .collect::<Vec<_>>(),
        rotations()
            .map(|r| r.old.sid.to_string())
            .collect::<Vec<_>>(),
        rotations().map(|r| r.old.user_id).collect::<Vec<_>>(),
        rotations().map(|r| r.old.exp).collect::<Vec<_>>(),
        rotations().map(|r| r.blacklist_old).collect::<Vec<_>>(),
        rotations()
            .map(|r| r.new.as_ref().map(|n| n.jti.to_string()))
            .collect::<Vec<_>>(),
        rotations()
            .map(|r| r.new.as_ref().map_or(0, |n| n.iat))
            .collect::<Vec<_>>(),
        rotations()
            .map(|r| r.new.as_ref().map_or(0, |n| n.exp))
            .collect::<Vec<_>>(),
        rotations().map(|r| r.access_horizon).collect::<Vec<_>>(),
        rotations().map(|r| r.now).collect::<Vec<_>>(),
    ))
    .get_result(conn)?;
    if answers.len() != batch.len() {
        return Err(StorageError::Failed(format!(
            "bouncer_rotate_batch answered {} times for {} rotations",
            answers.len(),
            batch.len()
        )));
    }
    Ok(answers)
}
