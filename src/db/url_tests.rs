//! Unit tests for database URLs.
use super::*;

#[test]
fn the_backend_follows_the_url_scheme() {
    let backend = |url: &str| DatabaseUrl::parse(url).map(|u| u.backend());
    assert_eq!(backend("sqlite://x.db").unwrap(), Backend::Sqlite);
    assert_eq!(backend("postgres://u@h/db").unwrap(), Backend::Postgres);
    assert_eq!(backend("postgresql://u@h/db").unwrap(), Backend::Postgres);
    let err = backend("mysql://root:hunter2@h/db")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"mysql\"") && !err.contains("hunter2"),
        "{err}"
    );
    assert!(backend("sqlite://").is_err());
}

#[test]
fn passwords_never_reach_messages() {
    assert_eq!(
        redact_url("postgres://u:hunter2@h:5432/db"),
        "postgres://u:***@h:5432/db"
    );
    assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    let url = DatabaseUrl::parse("postgres://u:hunter2@h/db").unwrap();
    assert!(!format!("{url:?}").contains("hunter2"));
}
