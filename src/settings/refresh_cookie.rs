//! The `[refresh_cookie]` table: how the refresh token travels in cookie mode (a request with
//! `X-Refresh-Cookie: 1`), and the start-up checks that keep it safe.

use serde::Deserialize;

use super::cors::CorsSettings;
use super::error::SettingsError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshCookieSettings {
    /// `Secure` (and so the `__Host-` name). Off only for loopback development.
    pub secure: bool,
    pub same_site: SameSite,
}

/// The cookie's `SameSite`. `None` is not offered: it would send the cookie with cross-site
/// requests, which the CSRF proof then has to stop alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SameSite {
    Strict,
    Lax,
}

/// Hosts that count as this machine: the only ones for which `secure = false` is allowed.
fn is_loopback_host(host: &str) -> bool {
    host == "localhost" || host == "[::1]" || host.starts_with("127.")
}

/// The host of `scheme://host[:port]` (or of `host:port` for `bind`).
fn host_of(address: &str) -> &str {
    let rest = address.split_once("://").map_or(address, |(_, rest)| rest);
    match rest.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => rest,
    }
}

/// `secure = false` sends the refresh token over plain HTTP: allowed only while bouncer
/// listens on loopback and every listed origin is `http://localhost` or `127.0.0.1`.
pub(super) fn validate(
    cookie: &RefreshCookieSettings,
    bind: &str,
    cors: &CorsSettings,
) -> Result<(), SettingsError> {
    if cookie.secure {
        return Ok(());
    }
    let fail = |why: String| {
        Err(SettingsError::new(format!(
            "setting `refresh_cookie.secure` = false {why}; it is only for development on \
             http://localhost or 127.0.0.1: set it to true (and serve bouncer over HTTPS)"
        )))
    };
    if !is_loopback_host(host_of(bind)) {
        return fail(format!("while bind = {bind:?} is not a loopback address"));
    }
    if let Some(origin) = cors
        .allowed_origins
        .iter()
        .find(|o| !o.starts_with("http://") || !is_loopback_host(host_of(o)))
    {
        return fail(format!("while cors.allowed_origins lists {origin:?}"));
    }
    Ok(())
}

/// What start-up should warn about: cookie mode cannot work from the listed origins.
pub fn cookie_mode_warnings(c: &CorsSettings) -> Vec<String> {
    let mut warnings = Vec::new();
    if !c.enabled() || c.any_origin() {
        return warnings;
    }
    if !c.allow_credentials {
        warnings.push(
            "cookie mode (X-Refresh-Cookie: 1) from the origins in cors.allowed_origins needs \
             cors.allow_credentials = true; without it browsers neither send the refresh \
             cookie nor let the page read the answer"
                .to_owned(),
        );
    }
    for header in ["X-CSRF-Token", "X-Refresh-Cookie"] {
        if !c
            .allowed_headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(header))
        {
            warnings.push(format!(
                "cookie mode from other origins needs {header} in cors.allowed_headers"
            ));
        }
    }
    warnings
}
