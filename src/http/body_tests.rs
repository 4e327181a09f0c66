//! Unit tests for request body parsing.
use super::*;

fn parse_json(body: &str) -> Result<BodyFields, ApiError> {
    BodyFields::parse("application/json", body.as_bytes())
}

#[test]
fn missing_fields_are_all_reported() {
    let data = parse_json("{}").unwrap();
    let mut fields = data.fields();
    assert_eq!(fields.required("username"), "");
    assert_eq!(fields.required_raw("password"), "");
    let Err(ApiError::Validation(errors)) = fields.finish() else {
        panic!("expected errors")
    };
    assert_eq!(errors["username"], vec![REQUIRED]);
    assert_eq!(errors["password"], vec![REQUIRED]);
}

#[test]
fn passwords_keep_their_whitespace_and_usernames_are_trimmed() {
    let data = parse_json(r#"{"username": " bob ", "password": " pw "}"#).unwrap();
    let mut fields = data.fields();
    assert_eq!(fields.required("username"), "bob");
    assert_eq!(fields.required_raw("password"), " pw ");
}

#[test]
fn wrongly_typed_fields_are_refused() {
    let data = parse_json(r#"{"a": true, "b": {}, "c": null, "d": 42}"#).unwrap();
    let mut fields = data.fields();
    assert_eq!(fields.required("a"), "");
    assert_eq!(fields.required("b"), "");
    assert_eq!(fields.required("c"), "");
    assert_eq!(fields.required("d"), "42");
    let Err(ApiError::Validation(errors)) = fields.finish() else {
        panic!("expected errors")
    };
    assert_eq!(errors["a"], vec![NOT_A_STRING]);
    assert_eq!(errors["c"], vec![NULL]);
}

#[test]
fn forms_and_other_media_types() {
    let form = BodyFields::parse("application/x-www-form-urlencoded", b"username=a%20b").unwrap();
    assert_eq!(form.fields().required("username"), "a b");
    assert!(matches!(
        BodyFields::parse("text/plain", b"x"),
        Err(ApiError::UnsupportedMediaType(_))
    ));
    assert!(matches!(parse_json("[1]"), Err(ApiError::Validation(_))));
    assert!(matches!(parse_json("{"), Err(ApiError::BadRequest(_))));
}
