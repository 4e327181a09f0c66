//! The periodic clean-up job (issue 3, "Automatic cleanup"): expired outstanding, blacklisted
//! and revoked-session rows go away on their own, live rows stay, and several instances
//! cleaning one database delete each row once.

use std::time::Duration;

use reqwest::StatusCode;

use crate::database::postgres_or_skip;
use crate::helpers::*;
use crate::process::*;

const TABLES: [&str; 4] = [
    "outstanding_tokens",
    "blacklisted_tokens",
    "revoked_sessions",
    // Device sessions, by their absolute end (`session_lifetime`).
    "sessions",
];
/// Long enough for the rows to expire and several 1 s clean-up rounds to run.
const CLEANUP_BOUND: Duration = Duration::from_secs(8);

/// Rows per table whose tokens expire at or before `at` (`up_to`) or after it.
fn rows(db: &TestDb, at: i64, up_to: bool) -> Vec<i64> {
    let op = if up_to { "<=" } else { ">" };
    TABLES
        .iter()
        .map(|table| {
            db.number(&format!(
                "SELECT count(*) FROM {table} WHERE expires_at {op} {at}"
            ))
        })
        .collect()
}

#[tokio::test]
async fn expired_token_rows_are_deleted_automatically_and_live_ones_are_kept() {
    let every_second = ("cleanup_interval", "1s");
    let mut app = spawn_app_with(&[
        every_second,
        // 2 s, not 1 s: a token minted at second T with 1 s expires at T+1, so a login and a
        // refresh straddling a second boundary would find it expired. Device-session rows end
        // with the session (2 s too).
        ("access_token_lifetime", "2s"),
        ("refresh_token_lifetime", "2s"),
        ("session_lifetime", "2s"),
    ])
    .await;
    // Short-lived rows of every kind: outstanding (logins), blacklisted (a rotation, a
    // blacklist) and revoked sessions (a logout, the blacklist).
    let (_, first) = app.alice().await;
    let rotated = app.rotate(&first.refresh).await;
    app.logout(&rotated.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let second = app.tokens("alice", PASSWORD).await;
    app.blacklist(&second.refresh)
        .await
        .assert_status(StatusCode::OK);
    // Every row so far expires by this time; no row made with the default lifetimes does.
    let short_expiry = now() + 2;
    let short = rows(&app.database, short_expiry, true);
    assert!(short.iter().all(|&n| n > 0), "short-lived rows: {short:?}");
    // Long-lived rows of the same kinds, cleaned by the same job every second.
    app.restart_with(&[every_second]).await;
    let (kept, logged_out) = (
        app.tokens("alice", PASSWORD).await,
        app.tokens("alice", PASSWORD).await,
    );
    let kept = app.rotate(&kept.refresh).await;
    app.logout(&logged_out.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    let live = rows(&app.database, short_expiry, false);

    let waited = std::time::Instant::now();
    while rows(&app.database, short_expiry, true) != [0, 0, 0, 0] {
        assert!(
            waited.elapsed() < CLEANUP_BOUND,
            "expired rows left after {CLEANUP_BOUND:?}: {:?} of {short:?}",
            rows(&app.database, short_expiry, true)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A few more rounds, which must leave the live rows alone.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    assert_eq!(rows(&app.database, short_expiry, false), live);
    app.secret(&logged_out.access)
        .await
        .assert_token_not_valid();
    app.refresh(&logged_out.refresh)
        .await
        .assert_token_endpoint_refused();
    app.rotate(&kept.refresh).await;
}

/// The counts in every `cleanup: deleted N expired token rows` line of `logs`.
fn deleted_per_round(logs: &str) -> Vec<i64> {
    logs.lines()
        .filter_map(|line| line.split_once("cleanup: deleted ")?.1.split(' ').next())
        .map(|n| n.parse().unwrap_or_else(|e| panic!("{n:?}: {e}")))
        .collect()
}

#[tokio::test]
async fn two_instances_cleaning_one_database_delete_each_expired_row_exactly_once() {
    let Some(admin) = postgres_or_skip() else {
        return;
    };
    let shared = SharedDb::create(&admin);
    run_ok(shared.command(None, &[]).arg("migrate"));
    let db = &shared.database;
    db.execute("INSERT INTO users (username, password, date_joined) VALUES ('alice', '!', now())");
    let (expired, live) = (1, now() + 3600);
    let per_kind = 700;
    for (label, expires_at) in [("expired", expired), ("live", live)] {
        let count = if label == "expired" { per_kind } else { 10 };
        let series = format!("FROM generate_series(1, {count}) AS g");
        db.execute(&format!(
            "INSERT INTO outstanding_tokens (jti, user_id, sid, token_type, created_at, expires_at) \
             SELECT '{label}-' || g, (SELECT id FROM users), '{label}-' || g, 'refresh', 0, \
             {expires_at} {series}"
        ));
        db.execute(&format!(
            "INSERT INTO blacklisted_tokens (jti, token_type, expires_at, blacklisted_at) \
             SELECT '{label}-' || g, 'refresh', {expires_at}, 0 {series}"
        ));
        db.execute(&format!(
            "INSERT INTO revoked_sessions (sid, user_id, expires_at, revoked_at) \
             SELECT '{label}-' || g, (SELECT id FROM users), {expires_at}, 0 {series}"
        ));
        db.execute(&format!(
            "INSERT INTO sessions (sid, user_id, kind, user_agent, address, created_at, \
             last_used_at, expires_at) SELECT '{label}-' || g, (SELECT id FROM users), \
             'refresh', '', '', 0, 0, {expires_at} {series}"
        ));
    }
    let settings = [("cleanup_interval", "1s"), ("cleanup_batch_size", "50")];
    let command = || {
        let mut command = shared.command(None, &settings);
        command.env("RUST_LOG", "warn,bouncer::jobs::cleanup=info");
        command
    };
    let mut instances = [shared.spawn("a", command()), shared.spawn("b", command())];
    for instance in &mut instances {
        instance.wait_until_ready().await;
    }

    let waited = std::time::Instant::now();
    let expired_rows = || {
        TABLES
            .iter()
            .map(|t| {
                db.number(&format!(
                    "SELECT count(*) FROM {t} WHERE expires_at <= {expired}"
                ))
            })
            .sum::<i64>()
    };
    while expired_rows() > 0 {
        assert!(
            waited.elapsed() < CLEANUP_BOUND,
            "{} expired rows left",
            expired_rows()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Another round each, so a second deletion would show in the logs.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let logs: Vec<String> = instances.iter().map(Served::logs).collect();
    let deleted: Vec<Vec<i64>> = logs.iter().map(|l| deleted_per_round(l)).collect();
    eprintln!("rows deleted per round, per instance: {deleted:?}");
    let total: i64 = deleted.iter().flatten().sum();
    assert_eq!(
        total,
        TABLES.len() as i64 * per_kind,
        "{deleted:?}\n{}",
        logs.join("\n")
    );
    for log in &logs {
        assert!(!log.contains("ERROR"), "{log}");
        assert!(!log.contains("cleanup: skipped"), "{log}");
    }
    for table in TABLES {
        let left = db.number(&format!(
            "SELECT count(*) FROM {table} WHERE expires_at = {live}"
        ));
        assert_eq!(left, 10, "live rows of {table}");
    }
}
