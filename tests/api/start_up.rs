//! Start-up against a database URL that cannot work: one line naming `database_url`, promptly,
//! and never the password from the URL. No database needed.

use std::time::{Duration, Instant};

use crate::process::*;

#[track_caller]
fn assert_one_line_naming_database_url(output: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{}", describe(output));
    assert_eq!(stderr.trim().lines().count(), 1, "{}", describe(output));
    assert!(stderr.contains("database_url"), "{}", describe(output));
    assert!(!stderr.contains("panicked"), "{}", describe(output));
    stderr
}

#[test]
fn an_unknown_database_scheme_is_refused_in_one_line() {
    let output = run(bouncer_at("mysql://x").arg("migrate"));

    assert_one_line_naming_database_url(&output);
}

#[test]
fn an_unreachable_postgres_server_is_reported_promptly_in_one_line_without_the_password() {
    // Nothing listens on port 1 of the loopback interface.
    let url = "postgres://u:hunter2@127.0.0.1:1/db";
    let start = Instant::now();

    let output = run(bouncer_at(url).arg("migrate"));

    let elapsed = start.elapsed();
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_one_line_naming_database_url(&output);
    assert!(
        !describe(&output).contains("hunter2"),
        "{}",
        describe(&output)
    );
}
