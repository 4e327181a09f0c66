//! `bouncer import-django`: rows from a Django `dumpdata` file, bad rows, `--strict`,
//! conflicts, and the login that upgrades an imported hash. The import of a dump made by a
//! real Django project is `tests/django/run`.

use std::path::PathBuf;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::helpers::*;
use crate::process::*;

/// Django 5.2.9's `PBKDF2PasswordHasher` (1000 iterations) for this password.
const DJANGO_PASSWORD: &str = "correct horse battery staple";
const DJANGO_HASH: &str =
    "pbkdf2_sha256$1000$THh6L295yD98JKDbS3gcV7$dnWqV/6a+/Zeo+qhCUbKFbr8wuwYJyFdQTayfR5iV7M=";

fn user(pk: i64, username: &str, password: &str) -> Value {
    json!({"model": "auth.user", "pk": pk, "fields": {
        "password": password, "last_login": "2026-01-02T03:04:05.678Z", "is_superuser": false,
        "username": username, "first_name": "", "last_name": "", "email": "",
        "is_staff": false, "is_active": true, "date_joined": "2025-06-07T08:09:10Z",
        "groups": [], "user_permissions": []}})
}

/// Writes `rows` as a dump file; the directory lives as long as the returned guard.
fn dump(rows: &[Value]) -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("django.json");
    std::fs::write(&path, serde_json::to_vec(rows).unwrap()).unwrap();
    (dir, path)
}

fn import(db: &TestDb, path: &PathBuf, strict: bool) -> std::process::Output {
    let mut command = bouncer(db);
    command.arg("import-django").arg(path);
    if strict {
        command.arg("--strict");
    }
    run(&mut command)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn bad_dump() -> Vec<Value> {
    vec![
        user(7, "django_alice", DJANGO_HASH),
        json!({"model": "auth.user", "pk": "eight", "fields": {}}),
        json!({"model": "authtoken.token", "pk": "short", "fields": {"user": 7, "created": "2026-01-01T00:00:00Z"}}),
        user(9, "weird", "sha256$x$y"),
    ]
}

#[tokio::test]
async fn a_dump_with_bad_rows_imports_the_good_ones_and_names_each_bad_row() {
    let db = TestDb::new();
    let (_dir, path) = dump(&bad_dump());

    let output = import(&db, &path, false);

    assert!(output.status.success(), "{}", describe(&output));
    let errors = stderr(&output);
    assert!(
        errors.contains("row 1 (auth.user): pk is not a positive integer"),
        "{errors}"
    );
    assert!(
        errors.contains("row 2 (authtoken.token): pk is not a 40-character"),
        "{errors}"
    );
    assert!(
        errors.contains("row 3 (auth.user): password hash format \"sha256\""),
        "{errors}"
    );
    assert_eq!(db.number("SELECT count(*) FROM users"), 1);
    assert_eq!(db.number("SELECT count(*) FROM users WHERE id = 7"), 1);
}

#[tokio::test]
async fn strict_writes_nothing_when_any_row_is_bad() {
    let db = TestDb::new();
    let (_dir, path) = dump(&bad_dump());

    let output = import(&db, &path, true);

    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        stderr(&output).contains("nothing was written"),
        "{}",
        describe(&output)
    );
    assert_eq!(db.number("SELECT count(*) FROM users"), 0);
}

#[tokio::test]
async fn a_truncated_file_is_refused_naming_the_row_and_nothing_is_written() {
    let db = TestDb::new();
    let (dir, _) = dump(&[]);
    let path = dir.path().join("truncated.json");
    let whole = serde_json::to_string(&[user(1, "a", DJANGO_HASH), user(2, "b", DJANGO_HASH)]);
    let whole = whole.unwrap();
    std::fs::write(&path, &whole[..whole.len() - 30]).unwrap();

    let output = import(&db, &path, false);

    assert!(!output.status.success(), "{}", describe(&output));
    assert!(
        stderr(&output).contains("at row 1"),
        "{}",
        describe(&output)
    );
    assert_eq!(db.number("SELECT count(*) FROM users"), 0);
}

#[tokio::test]
async fn a_username_held_by_another_user_is_reported_not_overwritten() {
    let db = TestDb::new();
    let (_dir, first) = dump(&[user(5, "alice", DJANGO_HASH)]);
    let (_dir2, second) = dump(&[user(6, "alice", "pbkdf2_sha256$1000$other$aGFzaA==")]);
    assert!(import(&db, &first, true).status.success());

    let output = import(&db, &second, false);

    assert!(
        stderr(&output).contains("conflicts with existing user 5"),
        "{}",
        describe(&output)
    );
    assert_eq!(db.number("SELECT count(*) FROM users"), 1);
    let again = import(&db, &first, true);
    assert!(String::from_utf8_lossy(&again.stdout).contains("Imported 0 users (1 already there)"));
}

#[tokio::test]
async fn an_imported_django_hash_logs_in_once_upgraded_and_ids_continue_after_the_import() {
    let db = TestDb::new();
    let (_dir, path) = dump(&[user(41, "django_bob", DJANGO_HASH)]);
    assert!(import(&db, &path, true).status.success());
    let app = spawn_app_on(db, &[]).await;

    app.login("django_bob", "wrong")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
    let upgraded = "SELECT count(*) FROM users WHERE id = 41 AND password LIKE 'bcrypt_sha256$%'";
    assert_eq!(app.database.number(upgraded), 0);
    app.login("django_bob", DJANGO_PASSWORD)
        .await
        .assert_status(StatusCode::OK);
    assert_eq!(app.database.number(upgraded), 1);
    app.login("django_bob", DJANGO_PASSWORD)
        .await
        .assert_status(StatusCode::OK);

    // PostgreSQL's id sequence was moved past the imported ids.
    let new_id = app.create_user("newcomer", PASSWORD).await;
    assert!(new_id > 41, "{new_id}");
}

#[tokio::test]
async fn an_md5_hash_is_imported_but_never_logs_in() {
    let db = TestDb::new();
    // Django's MD5PasswordHasher for "x" with salt "salt".
    let md5 = "md5$salt$e52cf713193460fea2740c8638c0770c";
    let (_dir, path) = dump(&[user(3, "old_carol", md5)]);
    let output = import(&db, &path, true);
    assert!(
        stderr(&output).contains("must reset their password"),
        "{}",
        describe(&output)
    );
    let app = spawn_app_on(db, &[]).await;

    app.login("old_carol", "x")
        .await
        .assert_status(StatusCode::UNAUTHORIZED);
}
