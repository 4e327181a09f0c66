//! `bouncer serve` as a real process: the generated signing secret, durability across SIGKILL,
//! and nothing secret in the logs.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;

use crate::helpers::*;
use crate::jwt;
use crate::process::*;

/// Everything the service logs about itself, at every level.
fn verbose(mut command: Command) -> Command {
    command.env("RUST_LOG", "bouncer=trace,info");
    command
}

#[track_caller]
fn assert_no_secrets_in(log: &Path, secrets: &[(&str, &str)]) {
    let logs = std::fs::read_to_string(log).unwrap_or_default();
    for (what, value) in secrets {
        assert!(
            !logs.contains(value),
            "the logs contain the {what}:\n{logs}"
        );
    }
}

/// SQLite whatever the suite's backend: the generated secret lives beside the database file.
#[tokio::test]
async fn without_a_configured_secret_serve_keeps_a_generated_one_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let (db, log) = (TestDb::sqlite(), dir.path().join("serve.log"));
    let command = || {
        let mut command = verbose(bouncer(&db));
        command.env_remove("BOUNCER_SIGNING_SECRET");
        command
    };

    let mut served = Served::start(command(), log.clone()).await;

    let db_file = db.sqlite_path().expect("a SQLite database").display();
    let secret_file = std::path::PathBuf::from(format!("{db_file}.secret"));
    assert!(secret_file.is_file(), "no {}", secret_file.display());
    let mode = std::fs::metadata(&secret_file)
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    let secret = std::fs::read_to_string(&secret_file).unwrap();
    assert!(secret.trim().len() >= 32, "a short generated secret");
    served.create_user("alice", PASSWORD).await;
    let tokens = served.tokens("alice", PASSWORD).await;
    assert!(!jwt::hs256_signature_is_valid(&tokens.access, TEST_SECRET));
    served.kill();

    let served = Served::start(command(), log.clone()).await;

    served
        .secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
    let rotated = served.rotate(&tokens.refresh).await;
    assert_eq!(std::fs::read_to_string(&secret_file).unwrap(), secret);
    drop(served);
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logs.to_lowercase().contains("secret"),
        "no warning about the generated secret:\n{logs}"
    );
    assert_no_secrets_in(
        &log,
        &[
            ("password", PASSWORD),
            ("access token", &tokens.access),
            ("refresh token", &tokens.refresh),
            ("rotated refresh token", &rotated.refresh),
            ("signing secret", secret.trim()),
        ],
    );
}

#[tokio::test]
async fn acknowledged_revocations_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let (db, log) = (TestDb::new(), dir.path().join("serve.log"));

    let mut served = Served::start(verbose(bouncer(&db)), log.clone()).await;
    served.create_user("alice", PASSWORD).await;
    let logged_out = served.tokens("alice", PASSWORD).await;
    let blacklisted = served.tokens("alice", PASSWORD).await;
    let rotated_away = served.tokens("alice", PASSWORD).await;
    let untouched = served.tokens("alice", PASSWORD).await;
    served
        .logout(&logged_out.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    served
        .blacklist(&blacklisted.refresh)
        .await
        .assert(StatusCode::OK, serde_json::json!({}));
    let successor = served.rotate(&rotated_away.refresh).await;
    served.kill();

    let served = Served::start(verbose(bouncer(&db)), log.clone()).await;

    served
        .secret(&logged_out.access)
        .await
        .assert_token_not_valid();
    served
        .refresh(&logged_out.refresh)
        .await
        .assert_token_endpoint_refused();
    served
        .secret(&blacklisted.access)
        .await
        .assert_token_not_valid();
    served
        .refresh(&blacklisted.refresh)
        .await
        .assert_token_endpoint_refused();
    served
        .refresh(&rotated_away.refresh)
        .await
        .assert_token_endpoint_refused();
    served
        .secret(&successor.access)
        .await
        .assert_token_not_valid();
    served
        .secret(&untouched.access)
        .await
        .assert_status(StatusCode::OK);
    served.rotate(&untouched.refresh).await;
    drop(served);
    assert_no_secrets_in(
        &log,
        &[
            ("password", PASSWORD),
            ("signing secret", TEST_SECRET),
            ("access token", &untouched.access),
            ("refresh token", &untouched.refresh),
        ],
    );
}
