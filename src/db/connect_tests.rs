//! Unit tests for PostgreSQL connection options.
use super::*;

#[test]
fn postgres_urls_get_bounded_timeouts_unless_set() {
    let url = postgres_url("postgres://u@h/db", Duration::from_secs(3));
    assert!(
        url.starts_with("postgres://u@h/db?connect_timeout=3&tcp_user_timeout=3000"),
        "{url}"
    );
    let url = postgres_url(
        "postgres://u@h/db?connect_timeout=9",
        Duration::from_secs(3),
    );
    assert!(url.contains("connect_timeout=9&tcp_user_timeout"), "{url}");
}
