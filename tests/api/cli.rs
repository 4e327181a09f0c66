//! The one-shot subcommands: `migrate`, `createsuperuser`, `flush-expired-tokens`,
//! `issue-tokens`, `generate-secret`, and how every subcommand reports bad configuration.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;
use crate::jwt;
use crate::process::*;

const TABLES: [&str; 4] = [
    "users",
    "outstanding_tokens",
    "blacklisted_tokens",
    "revoked_sessions",
];

/// Every table exists (a query on a missing one fails) and is empty.
#[track_caller]
fn assert_empty_tables(db: &TestDb) {
    for table in TABLES {
        assert_eq!(db.number(&format!("SELECT count(*) FROM {table}")), 0);
    }
}

#[test]
fn migrate_creates_the_database_and_can_run_again() {
    let db = TestDb::new();

    run_ok(bouncer(&db).arg("migrate"));
    if let Some(path) = db.sqlite_path() {
        assert!(path.is_file());
    }
    assert_empty_tables(&db);

    run_ok(bouncer(&db).arg("migrate"));
    assert_empty_tables(&db);
}

#[tokio::test]
async fn createsuperuser_makes_an_active_staff_superuser_who_can_log_in() {
    let db = TestDb::new();
    run_ok(bouncer(&db).arg("migrate"));

    run_ok(bouncer(&db).env("BOUNCER_PASSWORD", PASSWORD).args([
        "createsuperuser",
        "--username",
        "root",
        "--email",
        "root@example.com",
    ]));

    let flags = "SELECT count(*) FROM users WHERE username = 'root' AND email = 'root@example.com' \
        AND is_active = true AND is_staff = true AND is_superuser = true";
    assert_eq!(db.number(flags), 1);
    let app = spawn_app_on(db, &[]).await;
    let tokens = app.tokens("root", PASSWORD).await;
    app.secret(&tokens.access)
        .await
        .assert_status(StatusCode::OK);
}

#[test]
fn createsuperuser_refuses_a_weak_password_with_the_validator_messages() {
    let db = TestDb::new();
    run_ok(bouncer(&db).arg("migrate"));

    let output = run(bouncer(&db).env("BOUNCER_PASSWORD", "12345").args([
        "createsuperuser",
        "--username",
        "root",
    ]));

    assert!(!output.status.success(), "{}", describe(&output));
    let text = describe(&output);
    for message in [
        "This password is too short. It must contain at least 8 characters.",
        "This password is too common.",
        "This password is entirely numeric.",
    ] {
        assert!(text.contains(message), "missing {message:?} in {text}");
    }
    assert!(!text.contains("panicked"), "{text}");
    assert_eq!(db.number("SELECT count(*) FROM users"), 0);
}

#[test]
fn createsuperuser_refuses_a_taken_username() {
    let db = TestDb::new();
    run_ok(bouncer(&db).arg("migrate"));
    let create = || {
        let mut command = bouncer(&db);
        command
            .env("BOUNCER_PASSWORD", PASSWORD)
            .args(["createsuperuser", "--username", "root"]);
        command
    };
    run_ok(&mut create());

    let output = run(&mut create());

    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        !describe(&output).contains("panicked"),
        "{}",
        describe(&output)
    );
    assert_eq!(db.number("SELECT count(*) FROM users"), 1);
}

fn expiring_rows(db: &TestDb, expired: bool) -> i64 {
    let op = if expired { "<" } else { ">" };
    let now = now();
    [
        "outstanding_tokens",
        "blacklisted_tokens",
        "revoked_sessions",
    ]
    .iter()
    .map(|table| {
        db.number(&format!(
            "SELECT count(*) FROM {table} WHERE expires_at {op} {now}"
        ))
    })
    .sum()
}

#[tokio::test]
async fn flush_expired_tokens_deletes_only_expired_rows_and_prints_how_many() {
    // Rows that will expire: a session with 1 s tokens, rotated (blacklist) and logged out
    // (revoked session), plus a second session left alone (outstanding tokens only). 2 s, not
    // 1 s: a token minted at second T with 1 s expires at T+1, so a login and a refresh that
    // straddle a second boundary would find it expired.
    let mut app = spawn_app_with(&[
        ("access_token_lifetime", "2s"),
        ("refresh_token_lifetime", "2s"),
    ])
    .await;
    let (_, short) = app.alice().await;
    let rotated = app.rotate(&short.refresh).await;
    app.logout(&rotated.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.tokens("alice", PASSWORD).await;
    // Rows that stay: the same kinds with the default (long) lifetimes.
    app.restart_with(&[]).await;
    let (long, other) = (
        app.tokens("alice", PASSWORD).await,
        app.tokens("alice", PASSWORD).await,
    );
    let long_rotated = app.rotate(&long.refresh).await;
    app.logout(&long_rotated.access, None)
        .await
        .assert_status(StatusCode::NO_CONTENT);
    app.stop().await;
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let expired = expiring_rows(&app.database, true);
    let live = expiring_rows(&app.database, false);
    assert!(expired >= 3, "only {expired} expired rows to flush");
    assert!(live >= 3, "only {live} live rows");

    let stdout = run_ok(bouncer(&app.database).arg("flush-expired-tokens"));

    let printed: i64 = stdout
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no count in {stdout:?}"));
    assert_eq!(printed, expired, "stdout: {stdout}");
    assert_eq!(expiring_rows(&app.database, true), 0);
    assert_eq!(expiring_rows(&app.database, false), live);

    // The surviving rows still do their job after a restart.
    app.restart().await;
    app.secret(&long_rotated.access)
        .await
        .assert_token_not_valid();
    app.refresh(&long.refresh)
        .await
        .assert_token_endpoint_refused();
    app.rotate(&other.refresh).await;
}

#[tokio::test]
async fn issue_tokens_prints_the_requested_number_of_working_refresh_tokens() {
    let app = spawn_app().await;
    let id = app.create_user("alice", PASSWORD).await;

    let mut command = bouncer(&app.database);
    command
        .env_remove("BOUNCER_SIGNING_SECRET")
        .env_remove("BOUNCER_BCRYPT_COST");
    let stdout = run_ok(command.args(["--config", CONFIG_FILE]).args([
        "issue-tokens",
        "--username",
        "alice",
        "--count",
        "3",
    ]));

    let tokens: Vec<&str> = stdout
        .split_whitespace()
        .filter(|w| w.matches('.').count() == 2 && w.starts_with("eyJ"))
        .collect();
    assert_eq!(tokens.len(), 3, "stdout: {stdout}");
    for token in &tokens {
        let claims = jwt::claims(token);
        assert_eq!(claims["token_type"], "refresh");
        assert_eq!(claims["user_id"], serde_json::json!(id.to_string()));
        let new = app.rotate(token).await;
        app.secret(&new.access).await.assert_status(StatusCode::OK);
    }
    let sids: std::collections::HashSet<String> = tokens
        .iter()
        .map(|t| jwt::claims(t)["sid"].to_string())
        .collect();
    assert_eq!(sids.len(), 3, "each issued token is its own session");
}

#[test]
fn issue_tokens_for_an_unknown_user_fails_cleanly() {
    let db = TestDb::new();
    run_ok(bouncer(&db).arg("migrate"));

    let output = run(bouncer(&db).args(["issue-tokens", "--username", "nobody", "--count", "1"]));

    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        !describe(&output).contains("panicked"),
        "{}",
        describe(&output)
    );
}

/// SQLite whatever the suite's backend: one of the cases is a SQLite path that cannot exist.
#[test]
fn bad_configuration_stops_every_subcommand_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::sqlite();
    // A path below a regular file can never be created, not even by root.
    let blocker = dir.path().join("not-a-directory");
    std::fs::write(&blocker, "").unwrap();
    let unreachable = format!("sqlite://{}/bouncer.db", blocker.display());
    let cases = [
        ("BOUNCER_LEEWAY", "soon", "leeway"),
        ("BOUNCER_SIGNING_SECRET", "short", "signing_secret"),
        (
            "BOUNCER_SIGNING_SECRET",
            "your-256-bit-secret-your-256-bit-secret",
            "signing_secret",
        ),
        (
            "BOUNCER_CORS__ALLOWED_ORIGINS",
            "https://app.example.com/",
            "cors.allowed_origins",
        ),
        ("BOUNCER_FOO", "1", "foo"),
        ("BOUNCER_BCRYPT_COST", "99", "bcrypt_cost"),
        (
            "BOUNCER_ACCESS_TOKEN_LIFETIME",
            "five minutes",
            "access_token_lifetime",
        ),
        ("BOUNCER_DATABASE_URL", unreachable.as_str(), "database"),
    ];
    for subcommand in ["migrate", "serve", "flush-expired-tokens"] {
        for (name, value, setting) in cases {
            let output = run(bouncer(&db).env(name, value).arg(subcommand));
            let stderr = String::from_utf8_lossy(&output.stderr);
            let context = format!("{subcommand} with {name}={value}: {}", describe(&output));
            assert!(!output.status.success(), "{context}");
            assert_eq!(stderr.trim().lines().count(), 1, "{context}");
            assert!(stderr.to_lowercase().contains(setting), "{context}");
            assert!(!stderr.contains("panicked"), "{context}");
            assert!(!stderr.to_lowercase().contains("backtrace"), "{context}");
        }
    }
}

#[test]
fn a_missing_config_file_is_reported_in_one_line() {
    let db = TestDb::new();

    let output = run(bouncer(&db).args(["--config", "/nonexistent/bouncer.toml", "migrate"]));

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{}", describe(&output));
    assert_eq!(stderr.trim().lines().count(), 1, "{}", describe(&output));
    assert!(
        stderr.contains("/nonexistent/bouncer.toml"),
        "{}",
        describe(&output)
    );
}

#[test]
fn generate_secret_prints_one_new_random_hex_secret_that_the_settings_accept() {
    // No database, no settings: even broken ones in the environment are not read.
    let generate = || {
        let mut command = bouncer_at("mysql://not-a-database");
        command
            .env("BOUNCER_LEEWAY", "soon")
            .env_remove("BOUNCER_SIGNING_SECRET")
            .arg("generate-secret");
        run_ok(&mut command)
    };

    let (first, second) = (generate(), generate());

    for stdout in [&first, &second] {
        assert!(
            stdout.ends_with('\n') && stdout.lines().count() == 1,
            "{stdout:?}"
        );
        let secret = stdout.trim_end();
        assert_eq!(secret.len(), 64, "{stdout:?}");
        assert!(
            secret
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{stdout:?}"
        );
    }
    assert_ne!(first, second, "two runs print the same secret");
    let db = TestDb::new();
    let migrated = bouncer(&db)
        .env("BOUNCER_SIGNING_SECRET", first.trim_end())
        .arg("migrate")
        .output()
        .expect("bouncer runs");
    assert!(migrated.status.success(), "{}", describe(&migrated));
}

#[test]
fn a_guessable_secret_is_refused_in_one_line_that_says_how_to_make_one() {
    let db = TestDb::new();
    let padded = format!("changeme{}", "0".repeat(32));

    let output = run(bouncer(&db)
        .env("BOUNCER_SIGNING_SECRET", &padded)
        .arg("migrate"));

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{}", describe(&output));
    assert_eq!(stderr.trim().lines().count(), 1, "{}", describe(&output));
    assert!(stderr.contains("signing_secret"), "{stderr}");
    assert!(stderr.contains("bouncer generate-secret"), "{stderr}");
    assert!(!stderr.contains(&padded), "the secret is echoed: {stderr}");
}

#[tokio::test]
async fn create_token_prints_a_working_key_and_group_commands_change_membership() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD).await;
    let cli = |args: &[&str]| {
        let mut command = bouncer(&app.database);
        command.args(["--config", CONFIG_FILE]).args(args);
        run_ok(&mut command)
    };

    let key = cli(&["create-token", "--username", "alice"]);
    let key = key.trim();
    assert_eq!(key.len(), 40, "stdout: {key}");
    let auth = format!("Token {key}");
    app.call(reqwest::Method::GET, "/api/secret/", &auth, None)
        .await
        .assert_status(StatusCode::OK);
    app.call(reqwest::Method::GET, "/api/manager-view/", &auth, None)
        .await
        .assert_status(StatusCode::FORBIDDEN);

    let added = cli(&["group", "add-user", "Manager", "alice"]);
    assert!(added.contains("Added alice to group Manager"), "{added}");
    let alice = app.tokens("alice", PASSWORD).await;
    assert_eq!(
        jwt::claims(&alice.access)["groups"],
        serde_json::json!(["Manager"])
    );
    app.call(
        reqwest::Method::GET,
        "/api/manager-view/",
        &format!("Bearer {}", alice.access),
        None,
    )
    .await
    .assert_status(StatusCode::OK);

    let removed = cli(&["group", "remove-user", "manager", "alice"]);
    assert!(removed.contains("Removed alice from group"), "{removed}");
    // The running server learns of it from the database (on SQLite by polling, on PostgreSQL
    // by NOTIFY): alice's earlier access token stops carrying the group within a second.
    let started = std::time::Instant::now();
    loop {
        let reply = app
            .call(
                reqwest::Method::GET,
                "/api/manager-view/",
                &format!("Bearer {}", alice.access),
                None,
            )
            .await;
        if reply.status == StatusCode::UNAUTHORIZED {
            break;
        }
        reply.assert_status(StatusCode::OK);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "not refused within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let after = app.tokens("alice", PASSWORD).await;
    assert_eq!(jwt::claims(&after.access)["groups"], serde_json::json!([]));

    // Unknown users and groups fail cleanly, with one line.
    let mut command = bouncer(&app.database);
    command
        .args(["--config", CONFIG_FILE])
        .args(["create-token", "--username", "nobody"]);
    let output = run(&mut command);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("no user named"));
    let mut command = bouncer(&app.database);
    command
        .args(["--config", CONFIG_FILE])
        .args(["group", "remove-user", "Nobody", "alice"]);
    assert!(!run(&mut command).status.success());
}
