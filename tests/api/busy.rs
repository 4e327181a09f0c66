//! SQLite busy or locked (issue 3, "Outage behaviour"): a writer waits out the busy timeout,
//! then the client gets 503 with `Retry-After`, never a 500. SQLite whatever the suite's
//! backend: the write lock is SQLite's.

use std::time::Duration;

use crate::helpers::*;

/// `database_statement_timeout` (SQLite's busy_timeout) for these tests.
const BUSY_TIMEOUT: (&str, &str) = ("database_statement_timeout", "500ms");
/// The busy timeout plus slack for the request itself.
const BUSY_ANSWER_BOUND: Duration = Duration::from_secs(2);

#[tokio::test]
async fn while_another_connection_holds_the_write_lock_login_and_refresh_answer_503_then_work() {
    let app = spawn_app_on(TestDb::sqlite(), &[BUSY_TIMEOUT]).await;
    let (_, tokens) = app.alice().await;
    let mut holder = app.db();
    holder.execute("BEGIN EXCLUSIVE");

    let (login, login_took) = timed(app.login("alice", PASSWORD)).await;
    let (refresh, refresh_took) = timed(app.refresh(&tokens.refresh)).await;

    holder.execute("ROLLBACK");
    eprintln!("while locked: login {login_took:?}, refresh {refresh_took:?}");
    login.assert_unavailable();
    refresh.assert_unavailable();
    for took in [login_took, refresh_took] {
        assert!(took < BUSY_ANSWER_BOUND, "answered after {took:?}");
    }
    app.tokens("alice", PASSWORD).await;
    app.rotate(&tokens.refresh).await;
}

#[tokio::test]
async fn a_write_lock_released_within_the_busy_timeout_is_waited_for() {
    let app = spawn_app_on(TestDb::sqlite(), &[("database_statement_timeout", "5s")]).await;
    let (_, tokens) = app.alice().await;
    let mut holder = app.db();
    holder.execute("BEGIN EXCLUSIVE");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        holder.execute("COMMIT");
    });

    let rotated = app.rotate(&tokens.refresh).await;

    release.join().expect("the lock holder commits");
    app.secret(&rotated.access)
        .await
        .assert_status(reqwest::StatusCode::OK);
}
