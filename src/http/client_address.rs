//! The client's address, as throttles and failed-login limits key it.
//!
//! The socket's peer address, unless `throttle.num_proxies` says how many proxies in front of
//! bouncer append to `X-Forwarded-For`: then the N-th entry from the right, the one the
//! outermost trusted proxy saw. Entries further left are whatever the client wrote, so with
//! `num_proxies` unset a spoofed header changes nothing. (DRF trusts the whole header when
//! `NUM_PROXIES` is unset; bouncer does not.)

use std::net::IpAddr;

use actix_web::HttpRequest;

pub fn client_address(req: &HttpRequest, num_proxies: u32) -> String {
    let socket = || {
        req.peer_addr()
            .map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
    };
    if num_proxies == 0 {
        return socket();
    }
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let n = num_proxies as usize;
    if forwarded.len() < n {
        // Fewer entries than proxies: the request did not come through all of them.
        return socket();
    }
    forwarded[forwarded.len() - n]
        .parse::<IpAddr>()
        .map_or_else(|_| socket(), |ip| ip.to_string())
}

#[cfg(test)]
#[path = "client_address_tests.rs"]
mod tests;
