//! The single writer with a real SQLite file: jobs queued while the writer is busy commit
//! together, and each gets its own answer.
use std::sync::mpsc as std_mpsc;

use super::*;
use crate::db::models::NewUser;
use std::sync::atomic::Ordering;

use tokio::sync::oneshot;

use crate::db::rotation::{self, RotationOutcome};
use crate::db::tokens;
use crate::db::users;
use crate::db::writer::Writer;
use crate::settings::{LoadOptions, Settings};
use crate::tokens::{Claims, SessionId, TokenId, TokenType};

const NOW: i64 = 1_800_000_000;

fn database(dir: &tempfile::TempDir) -> Db {
    let url = format!("sqlite://{}", dir.path().join("writer.db").display());
    let settings = Settings::load(&LoadOptions {
        overrides: vec![("database_url".into(), url)],
        ..LoadOptions::default()
    })
    .unwrap();
    Db::connect(&settings).unwrap()
}

fn refresh_claims(user_id: i64, sid: SessionId) -> Claims {
    Claims {
        token_type: TokenType::Refresh,
        user_id,
        jti: TokenId::generate(),
        sid,
        exp: NOW + 86_400,
        iat: NOW,
        auth_time: NOW,
        rights: Default::default(),
        amr: None,
        cnf: None,
    }
}

/// Rotating `old` into `new`, blacklisting `old`, at `NOW`.
fn rotation(old: Claims, new: Claims) -> rotation::Rotation {
    rotation::Rotation {
        old,
        new: Some(new),
        new_access_jti: TokenId::generate(),
        blacklist_old: true,
        grace: 0,
        access_horizon: NOW + 300,
        now: NOW,
    }
}

fn writer(db: &Db) -> &Writer {
    &db.writer
}

/// Queues a job that holds the writer until the returned sender is used (or dropped), and
/// returns once the writer is inside it: jobs submitted from then on queue behind it, in the
/// next transaction, never in the held one's.
fn hold_writer(
    db: &Db,
) -> (
    std_mpsc::Sender<()>,
    oneshot::Receiver<Result<(), StorageError>>,
) {
    let (release, held) = std_mpsc::channel::<()>();
    let (started, running) = std_mpsc::channel::<()>();
    let done = writer(db).submit(move |_| {
        let _ = started.send(());
        let _ = held.recv();
        Ok::<_, StorageError>(())
    });
    running.recv().expect("the writer starts the holding job");
    (release, done)
}

async fn create_user(db: &Db) -> i64 {
    db.write(|conn| {
        users::create(
            conn,
            &NewUser {
                username: "alice",
                email: "",
                password: "x",
                is_active: true,
                is_staff: false,
                is_superuser: false,
                date_joined: chrono::DateTime::from_timestamp(NOW, 0)
                    .unwrap()
                    .naive_utc(),
            },
        )
    })
    .await
    .unwrap()
    .unwrap()
    .id
}

#[tokio::test]
async fn rotations_queued_behind_one_writer_commit_together_and_each_gets_its_own_answer() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let user_id = create_user(&db).await;
    // Eight sessions, each with one outstanding refresh token.
    let olds: Vec<Claims> = (0..8)
        .map(|_| refresh_claims(user_id, SessionId::generate()))
        .collect();
    let rows: Vec<_> = olds.iter().map(tokens::outstanding).collect();
    db.write(move |conn| tokens::record_outstanding(conn, &rows))
        .await
        .unwrap();

    let (release, held) = hold_writer(&db);
    // Queued behind the held writer, in this order: rotations of tokens 0..8, with token 3
    // presented a second time right after its first rotation (a replay in mid-batch), and a
    // job that fails (a duplicate jti) between them.
    let mut expected = Vec::new();
    let mut answers = Vec::new();
    let mut news = Vec::new();
    for (i, old) in olds.iter().enumerate() {
        let new = refresh_claims(user_id, old.sid);
        news.push(new.clone());
        let (old, rotated) = (old.clone(), new.clone());
        let first = old.clone();
        answers.push(
            writer(&db).submit(move |conn| rotation::rotate(conn, &rotation(first, rotated))),
        );
        expected.push("rotated");
        if i == 3 {
            let replayed_new = refresh_claims(user_id, old.sid);
            let replayed = old.clone();
            answers.push(
                writer(&db)
                    .submit(move |conn| rotation::rotate(conn, &rotation(replayed, replayed_new))),
            );
            expected.push("replayed");
            let duplicate = tokens::outstanding(&new);
            answers.push(writer(&db).submit(move |conn| {
                tokens::record_outstanding(conn, &[duplicate])
                    .map(|()| RotationOutcome::Rotated(None))
            }));
            expected.push("failed");
        }
    }
    let before = writer(&db).stats().batches.load(Ordering::Relaxed);
    release.send(()).unwrap();
    held.await.unwrap().unwrap();

    let mut got = Vec::new();
    for answer in answers {
        got.push(match answer.await.unwrap() {
            Ok(RotationOutcome::Rotated(_)) => "rotated",
            Ok(RotationOutcome::Replayed(_)) => "replayed",
            Ok(other) => panic!("unexpected {other:?}"),
            Err(_) => "failed",
        });
    }
    assert_eq!(got, expected);
    let stats = writer(&db).stats();
    assert_eq!(
        stats.batches.load(Ordering::Relaxed) - before,
        2,
        "the holding job's transaction, then every queued job in one transaction"
    );
    assert!(stats.largest_batch.load(Ordering::Relaxed) >= expected.len() as u64);

    // What was committed: every rotation's new token (the failed duplicate insert left no
    // second row), the replayed session revoked, and no other session revoked.
    let (sessions, outstanding) = db
        .run(move |conn| {
            let revoked = tokens::is_revoked(conn, TokenId::generate(), olds[3].sid)?;
            let others = (0..8)
                .filter(|i| *i != 3)
                .map(|i| tokens::is_revoked(conn, TokenId::generate(), olds[i].sid))
                .collect::<Result<Vec<_>, _>>()?;
            let news_present = news
                .iter()
                .map(|n| tokens::is_outstanding(conn, n.jti))
                .collect::<Result<Vec<_>, _>>()?;
            Ok::<_, diesel::result::Error>(((revoked, others), news_present))
        })
        .await
        .unwrap();
    assert!(sessions.0, "the replayed session is revoked");
    assert_eq!(
        sessions.1,
        vec![false; 7],
        "its neighbours' sessions are not"
    );
    assert_eq!(
        outstanding,
        vec![true; 8],
        "every rotation's new token is recorded"
    );
}

#[tokio::test]
async fn a_write_is_answered_only_once_its_batch_has_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let user_id = create_user(&db).await;
    let (release, held) = hold_writer(&db);
    let claims = refresh_claims(user_id, SessionId::generate());
    let row = tokens::outstanding(&claims);
    let mut answer = writer(&db).submit(move |conn| tokens::record_outstanding(conn, &[row]));
    // Held: nothing answered yet, and nothing visible to a reader.
    tokio::task::yield_now().await;
    assert!(answer.try_recv().is_err());
    let jti = claims.jti;
    let visible = db
        .run(move |conn| tokens::is_outstanding(conn, jti))
        .await
        .unwrap();
    assert!(!visible);
    release.send(()).unwrap();
    held.await.unwrap().unwrap();
    answer.await.unwrap().unwrap();
    let visible = db
        .run(move |conn| tokens::is_outstanding(conn, jti))
        .await
        .unwrap();
    assert!(visible);
}

/// Shutdown: the drain answers only after every job queued before it has committed, even when
/// their callers have gone (requests cut off at the shutdown timeout).
#[tokio::test]
async fn a_drain_returns_once_every_write_queued_before_it_has_committed() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(&dir);
    let user_id = create_user(&db).await;
    let (release, held) = hold_writer(&db);
    for i in 0..5 {
        // The answers are dropped: nobody waits for these writes but the drain.
        drop(
            writer(&db)
                .submit(move |conn| users::set_username(conn, user_id, &format!("alice{i}"))),
        );
    }
    let drain = tokio::spawn({
        let db = db.clone();
        async move { db.drain_writes().await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(!drain.is_finished(), "the drain ran ahead of the queue");
    release.send(()).unwrap();
    held.await.unwrap().unwrap();
    assert_eq!(drain.await.unwrap().unwrap(), 5);
    let name = db
        .run(move |conn| users::find_by_id(conn, user_id))
        .await
        .unwrap()
        .map(|u| u.username);
    assert_eq!(name.as_deref(), Some("alice4"));
}
