//! Unit tests for reading dumpdata JSON.
use super::*;

fn user(pk: i64, username: &str) -> String {
    format!(
        r#"{{"model": "auth.user", "pk": {pk}, "fields": {{"password": "pbkdf2_sha256$1$s$h",
        "last_login": null, "is_superuser": false, "username": "{username}", "first_name": "",
        "last_name": "", "email": "", "is_staff": false, "is_active": true,
        "date_joined": "2026-01-02T03:04:05.123Z", "groups": [], "user_permissions": []}}}}"#
    )
}

#[test]
fn good_rows_are_read_and_bad_rows_named_by_index_model_and_reason() {
    let text = format!(
        r#"[{}, {{"model": "auth.user", "pk": "x", "fields": {{}}}}, 7,
        {{"model": "auth.group", "pk": 1, "fields": {{"name": "{}"}}}},
        {{"model": "auth.permission", "pk": 1, "fields": {{}}}}]"#,
        user(1, "alice"),
        "g".repeat(151)
    );
    let dump = read(text.as_bytes(), 100).unwrap();
    assert_eq!(dump.rows.len(), 1);
    let reasons: Vec<String> = dump.bad.iter().map(ToString::to_string).collect();
    assert_eq!(reasons.len(), 4, "{reasons:?}");
    assert!(reasons[0].starts_with("row 1 (auth.user): pk is not a positive integer"));
    assert!(reasons[1].starts_with("row 2 (?): not an object"));
    assert!(reasons[2].contains("row 3 (auth.group): name is 151 characters long"));
    assert!(reasons[3].contains("row 4 (auth.permission)"));
}

#[test]
fn a_truncated_or_non_json_file_is_an_error_naming_the_row() {
    let text = format!("[{}, {}", user(1, "a"), &user(2, "b")[..40]);
    let error = read(text.as_bytes(), 100).unwrap_err();
    assert!(error.contains("at row 1"), "{error}");
    for garbage in ["", "{}", "not json", "[1,]", "[] []"] {
        assert!(read(garbage.as_bytes(), 100).is_err(), "{garbage:?}");
    }
}

#[test]
fn more_rows_than_the_limit_is_an_error() {
    let text = format!("[{}]", vec![user(1, "a"); 3].join(","));
    let error = read(text.as_bytes(), 2).unwrap_err();
    assert!(error.contains("more than 2 rows"), "{error}");
    assert_eq!(read(text.as_bytes(), 3).unwrap().rows.len(), 3);
}

#[test]
fn django_datetimes_with_or_without_a_zone_are_read_as_utc() {
    let naive = user(1, "a").replace("2026-01-02T03:04:05.123Z", "2026-01-02T03:04:05.123");
    for text in [user(1, "a"), naive] {
        let dump = read(format!("[{text}]").as_bytes(), 10).unwrap();
        let Row::User(u) = &dump.rows[0].1 else {
            panic!("not a user")
        };
        assert_eq!(timestamp(u.date_joined), 1_767_323_045);
    }
}
