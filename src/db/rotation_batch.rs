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
use diesel::sql_types::{Array, BigInt, Bool, Nullable, Text};
use tokio::sync::{mpsc, oneshot};

use super::batch::next_batch;
use super::conn::Pool;
use super::error::StorageError;
use super::groups::UserRights;
use super::rotation::{Rotation, RotationOutcome, rotation_answer};

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
            Ok((answers, rights)) => {
                for ((rotation, reply), answer) in batch.drain(..).zip(answers) {
                    let outcome = rotation_answer(&rotation.old, &answer).map(|o| match o {
                        RotationOutcome::Rotated(None) => {
                            RotationOutcome::Rotated(rights.get(&rotation.old.user_id).cloned())
                        }
                        RotationOutcome::Reissued(successor, None) => RotationOutcome::Reissued(
                            successor,
                            rights.get(&rotation.old.user_id).cloned(),
                        ),
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

/// The batch's statement: every rotation, and the rights of the batch's users for their new
/// access tokens, in one round trip (a second query per batch halved the refresh rate). The
/// rights are read under the statement's snapshot; the access tokens' `jti`s were chosen
/// before it was taken, which is all the user-revocation rule needs (`tokens::Grant`).
const ROTATE_BATCH: &str = "\
    SELECT bouncer_rotate_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS answers, \
           (SELECT coalesce(json_agg(json_build_object( \
                       'id', u.id, 'is_active', u.is_active, 'is_staff', u.is_staff, \
                       'groups', coalesce((SELECT array_agg(g.name ORDER BY g.name) \
                                           FROM user_groups ug \
                                           JOIN auth_groups g ON g.id = ug.group_id \
                                           WHERE ug.user_id = u.id), '{}'))), '[]')::text \
            FROM users u WHERE u.id = ANY($3)) AS rights";

#[derive(QueryableByName)]
struct BatchAnswer {
    #[diesel(sql_type = Array<Text>)]
    answers: Vec<String>,
    #[diesel(sql_type = Text)]
    rights: String,
}

#[derive(serde::Deserialize)]
struct RightsRow {
    id: i64,
    is_active: bool,
    is_staff: bool,
    groups: Vec<String>,
}

/// Rotates the batch; one answer per rotation, and the rights of its users by id.
fn rotate_batch(
    conn: &mut PgConnection,
    batch: &[(Rotation, Reply)],
) -> Result<(Vec<String>, HashMap<i64, UserRights>), StorageError> {
    let rotations = || batch.iter().map(|(rotation, _)| rotation);
    let answer: BatchAnswer = diesel::sql_query(ROTATE_BATCH)
        .bind::<Array<Text>, _>(
            rotations()
                .map(|r| r.old.jti.to_string())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(
            rotations()
                .map(|r| r.old.sid.to_string())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<BigInt>, _>(rotations().map(|r| r.old.user_id).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(rotations().map(|r| r.old.exp).collect::<Vec<_>>())
        .bind::<Array<Bool>, _>(rotations().map(|r| r.blacklist_old).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(
            rotations()
                .map(|r| r.new.as_ref().map(|n| n.jti.to_string()))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<Text>, _>(
            rotations()
                .map(|r| r.new_access_jti.to_string())
                .collect::<Vec<_>>(),
        )
        .bind::<Array<BigInt>, _>(
            rotations()
                .map(|r| r.new.as_ref().map_or(0, |n| n.iat))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<BigInt>, _>(
            rotations()
                .map(|r| r.new.as_ref().map_or(0, |n| n.exp))
                .collect::<Vec<_>>(),
        )
        .bind::<Array<BigInt>, _>(rotations().map(|r| r.access_horizon).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(rotations().map(|r| r.now).collect::<Vec<_>>())
        // One window for the whole deployment: the first rotation's is everyone's.
        .bind::<BigInt, _>(rotations().next().map_or(0, |r| r.grace))
        .get_result(conn)?;
    if answer.answers.len() != batch.len() {
        return Err(StorageError::Failed(format!(
            "bouncer_rotate_batch answered {} times for {} rotations",
            answer.answers.len(),
            batch.len()
        )));
    }
    // Unreadable rights are not fatal: each refresh then reads its user's rights itself.
    let rights = serde_json::from_str::<Vec<RightsRow>>(&answer.rights)
        .map_err(|e| log::warn!("the batch's rights did not parse ({e}); each reads its own"))
        .unwrap_or_default()
        .into_iter()
        .map(|row| {
            let rights = UserRights {
                is_active: row.is_active,
                is_staff: row.is_staff,
                groups: row.groups,
            };
            (row.id, rights)
        })
        .collect();
    Ok((answer.answers, rights))
}
