use super::*;

fn forged() -> AuditEvent {
    AuditEvent::warning("login.failure")
        .field("username", "alice\nevent=login.success user_id=1 \"x\\")
        .field("user_id", 42_i64)
        .field("known", false)
        .field_opt("sid", None::<&str>)
}

#[test]
fn a_plain_line_quotes_and_escapes_strings_so_no_field_or_line_can_be_forged() {
    let line = forged().line(AuditFormat::Plain);
    assert_eq!(
        line,
        r#"event=login.failure username="alice\nevent=login.success user_id=1 \"x\\" user_id=42 known=false"#
    );
    assert!(!line.contains('\n'));
}

#[test]
fn a_json_line_is_one_object_with_the_event_first() {
    let line = forged().line(AuditFormat::Json);
    assert!(line.starts_with(r#"{"event":"login.failure","#), "{line}");
    assert!(!line.contains('\n'));
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        value,
        serde_json::json!({
            "event": "login.failure",
            "username": "alice\nevent=login.success user_id=1 \"x\\",
            "user_id": 42,
            "known": false,
        })
    );
}

#[test]
fn control_characters_and_line_separators_are_escaped_in_plain_lines() {
    let line = AuditEvent::new("x")
        .field("v", "a\r\tb\u{1b}c\u{2028}d\u{85}")
        .line(AuditFormat::Plain);
    assert_eq!(line, r#"event=x v="a\r\tb\u{1b}c\u{2028}d\u{85}""#);
}

#[test]
fn long_values_are_cut_on_a_character_boundary() {
    let long = "é".repeat(MAX_VALUE_CHARS + 50);
    let AuditValue::Str(cut) = AuditValue::from(long.as_str()) else {
        panic!("a string")
    };
    assert_eq!(cut.chars().count(), MAX_VALUE_CHARS + 1);
    assert!(cut.ends_with('…'));
    assert_eq!(AuditValue::from("short"), AuditValue::Str("short".into()));
}

#[test]
fn a_repeated_field_replaces_the_first() {
    let line = AuditEvent::new("x")
        .field("a", 1_i64)
        .field("a", 2_i64)
        .line(AuditFormat::Plain);
    assert_eq!(line, "event=x a=2");
}
