//! The `[cors]` table: which browser origins may call bouncer, and with what.
//!
//! Empty `allowed_origins` (the default) turns CORS off: no CORS header is ever sent, and
//! browsers keep pages of other origins from reading bouncer's replies. The checks that serde
//! cannot express (origin syntax, method names, `*` with credentials) are in `validate.rs`.

use std::time::Duration;

use serde::Deserialize;

use super::lists::list_or_comma_separated;

/// The HTTP methods a preflight may be allowed for; others are refused at start-up as typos.
pub const KNOWN_METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    /// Exact origins (`https://app.example.com`), or `*` alone for any origin.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed_origins: Vec<String>,
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed_methods: Vec<String>,
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed_headers: Vec<String>,
    /// Lets pages send cookies and read replies to credentialed requests
    /// (`Access-Control-Allow-Credentials: true`).
    pub allow_credentials: bool,
    /// How long browsers may cache a preflight answer (`Access-Control-Max-Age`).
    #[serde(with = "humantime_serde")]
    pub max_age: Duration,
}

impl CorsSettings {
    /// CORS is on when at least one origin is listed.
    pub fn enabled(&self) -> bool {
        !self.allowed_origins.is_empty()
    }

    /// `*`: every origin (validation guarantees it is listed alone and without credentials).
    pub fn any_origin(&self) -> bool {
        self.allowed_origins.iter().any(|o| o == "*")
    }
}

/// Why `origin` is not an origin as browsers send it (`scheme://host[:port]`, lower case, no
/// path), or `None` when it is one. actix-cors compares origins byte for byte, so anything
/// else (a trailing slash, an upper-case host) could never match and is a configuration error.
pub(super) fn origin_problem(origin: &str) -> Option<&'static str> {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Some("has no scheme");
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_lowercase())
        && scheme
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+-.".contains(c));
    if !scheme_ok {
        return Some("has no lower-case scheme");
    }
    if rest.contains(['/', '?', '#']) {
        return Some("has a path (browsers send no path, not even a trailing slash)");
    }
    if rest.contains('@') {
        return Some("has user information");
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.starts_with('[') || host.ends_with(']') => (host, Some(port)),
        _ => (rest, None),
    };
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|p| p != 0)
    {
        return Some("has a bad port");
    }
    let ipv6 = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
    let name_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if !(ipv6 || name_ok) {
        return Some("has no lower-case host name");
    }
    None
}

/// A header name as HTTP defines one (RFC 9110 §5.1: a `token`).
pub(super) fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
