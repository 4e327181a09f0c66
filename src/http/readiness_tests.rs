//! The parts `/readyz` cannot show over HTTP: start-up loads the keys and the revocation list
//! before the server binds (and fails otherwise), so a served instance always has them. The
//! probe must still refuse traffic if either flag is down, so the report is checked here.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Readiness;
use crate::db::Db;
use crate::settings::{LoadOptions, Settings};
use crate::throttle::Throttler;

/// A readiness probe over a fresh SQLite database with a pool of `pool_size` connections.
fn readiness_with(dir: &tempfile::TempDir, pool_size: &str) -> (Readiness, Db) {
    let url = format!("sqlite://{}", dir.path().join("ready.db").display());
    let settings = Settings::load(&LoadOptions {
        overrides: vec![
            ("database_url".into(), url),
            ("database_pool_size".into(), pool_size.into()),
        ],
        ..LoadOptions::default()
    })
    .unwrap();
    let db = Db::connect(&settings).unwrap();
    let throttler = Throttler::from_settings(&settings.throttle).unwrap();
    (Readiness::new(db.clone(), Arc::new(throttler)), db)
}

fn readiness(dir: &tempfile::TempDir) -> Readiness {
    readiness_with(dir, "8").0
}

#[tokio::test]
async fn an_instance_whose_keys_are_not_loaded_is_not_ready_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let readiness = readiness(&dir);
    readiness.revocations_loaded.store(true, Ordering::SeqCst);
    let report = readiness.report().await;
    assert!(!report.is_ready());
    assert_eq!(report.status, "unavailable");
    assert_eq!(report.checks.keys, "not_loaded");
    assert_eq!(report.checks.revocations, "ok");
    assert_eq!(report.checks.database, "ok");
}

#[tokio::test]
async fn an_instance_whose_revocation_list_is_not_loaded_is_not_ready_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let readiness = readiness(&dir);
    readiness.keys_loaded.store(true, Ordering::SeqCst);
    let report = readiness.report().await;
    assert!(!report.is_ready());
    assert_eq!(report.checks.revocations, "not_loaded");
    assert_eq!(report.checks.keys, "ok");
}

#[tokio::test]
async fn with_both_loaded_and_the_database_current_the_instance_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let readiness = readiness(&dir);
    readiness.keys_loaded.store(true, Ordering::SeqCst);
    readiness.revocations_loaded.store(true, Ordering::SeqCst);
    let report = readiness.report().await;
    assert!(report.is_ready(), "{:?}", report.checks);
    assert_eq!(report.checks.migrations, "ok");
    assert_eq!(report.checks.redis, "not_configured");
}

#[tokio::test]
async fn a_database_that_does_not_answer_within_a_second_makes_the_instance_unready() {
    let dir = tempfile::tempdir().unwrap();
    // One connection for readers (the writer keeps one more for itself): holding it starves
    // the probe, which waits for a connection like any request would.
    let (readiness, db) = readiness_with(&dir, "1");
    readiness.keys_loaded.store(true, Ordering::SeqCst);
    readiness.revocations_loaded.store(true, Ordering::SeqCst);
    let held = db.get().unwrap();
    let started = std::time::Instant::now();
    let report = readiness.report().await;
    let waited = started.elapsed();
    drop(held);
    assert!(!report.is_ready());
    assert_eq!(report.checks.database, "timeout");
    assert_eq!(report.checks.migrations, "unknown");
    assert!(waited >= super::DATABASE_WAIT, "answered after {waited:?}");
    assert!(
        waited < super::DATABASE_WAIT * 3,
        "answered after {waited:?}"
    );
}
