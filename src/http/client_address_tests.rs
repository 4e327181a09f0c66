//! Unit tests for the client address.
use actix_web::test::TestRequest;

use super::*;

fn request(forwarded: Option<&str>) -> HttpRequest {
    let mut request = TestRequest::default().peer_addr("10.0.0.9:4000".parse().unwrap());
    if let Some(value) = forwarded {
        request = request.insert_header(("X-Forwarded-For", value));
    }
    request.to_http_request()
}

#[test]
fn without_trusted_proxies_the_header_is_ignored() {
    assert_eq!(client_address(&request(Some("1.2.3.4")), 0), "10.0.0.9");
    assert_eq!(client_address(&request(None), 0), "10.0.0.9");
}

#[test]
fn with_n_proxies_the_nth_entry_from_the_right_is_the_client() {
    let header = Some("6.6.6.6, 203.0.113.7, 10.0.0.1");
    assert_eq!(client_address(&request(header), 1), "10.0.0.1");
    assert_eq!(client_address(&request(header), 2), "203.0.113.7");
    // Too few entries, or garbage where the address should be: the socket's address.
    assert_eq!(client_address(&request(Some("203.0.113.7")), 2), "10.0.0.9");
    assert_eq!(client_address(&request(Some("not-an-ip")), 1), "10.0.0.9");
}
