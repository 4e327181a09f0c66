//! Prometheus metrics: what an operator watches bouncer by (`GET /metrics`, text format).
//!
//! One [`Metrics`] handle per application, made at start-up and passed to whoever counts
//! (STYLE.md habit 3): the registry is the application's own, never the `prometheus` crate's
//! global one, so two applications in one process (the test suite) never mix their counts.
//! A disabled handle (`metrics = false`, and the command line) counts nothing.
//!
//! Cheap on the hot path: every series a request can touch is resolved once, to a handle of
//! atomics that only its worker thread writes; a request costs the lookup of its route
//! template, with no string formatting and no lock (`requests.rs`). Gauges of state bouncer
//! already keeps (the pool, the revocation list, the signing key) are read when scraped, with
//! no background polling (`scrape.rs`).
//!
//! No leaks: every label value is a constant written in this module or a route template of
//! the router, never anything a client sent: no username, token, address or request id.

mod events;
mod registered;
mod requests;
mod scrape;

use std::sync::Arc;
use std::time::Duration;

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, Registry};

pub use events::{Login, LoginCredential, RevocationCause};
pub use scrape::Sources;

use events::{LoginCounters, RevocationCounters};
use registered::counter;
use requests::Requests;

/// The content type of the Prometheus text exposition format, version 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The application's metrics; cloning shares them. `Default` is the disabled handle.
#[derive(Clone, Default)]
pub struct Metrics(Option<Arc<Inner>>);

struct Inner {
    registry: Registry,
    requests: Arc<Requests>,
    logins: LoginCounters,
    refreshes: IntCounter,
    reuse_detections: IntCounter,
    revocations: RevocationCounters,
    throttled: IntCounter,
    write_batches: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Metrics(on)"
        } else {
            "Metrics(off)"
        })
    }
}

impl Metrics {
    /// Counts nothing and serves nothing.
    pub fn disabled() -> Self {
        Self(None)
    }

    /// Every series, registered in a registry of its own; the gauges read `sources` when
    /// scraped. Fails only on a programming error (a bad or duplicate series name).
    pub fn new(sources: Sources) -> Result<Self, String> {
        Self::build(sources).map_err(|e| format!("metrics: {e}"))
    }

    fn build(sources: Sources) -> prometheus::Result<Self> {
        let registry = Registry::new();
        let requests = Requests::register(&registry)?;
        let logins = LoginCounters::register(&registry)?;
        let revocations = RevocationCounters::register(&registry)?;
        let refreshes = counter(
            &registry,
            "bouncer_token_refreshes_total",
            "Refresh tokens exchanged for a new pair.",
        )?;
        let reuse_detections = counter(
            &registry,
            "bouncer_refresh_reuse_detections_total",
            "Rotated refresh tokens presented again: each revoked its whole session.",
        )?;
        let throttled = counter(
            &registry,
            "bouncer_throttled_requests_total",
            "Requests refused with 429 by a rate limit (throttle scopes, not lockouts).",
        )?;
        let write_batches = Histogram::with_opts(
            HistogramOpts::new(
                "bouncer_db_write_batch_size",
                "Jobs committed together by the single writer (group commit).",
            )
            .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0]),
        )?;
        registry.register(Box::new(write_batches.clone()))?;
        registry.register(Box::new(scrape::Gauges::new(sources)?))?;
        Ok(Self(Some(Arc::new(Inner {
            registry,
            requests,
            logins,
            refreshes,
            reuse_detections,
            revocations,
            throttled,
            write_batches,
        }))))
    }

    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// Every series in the Prometheus text format.
    pub fn render(&self) -> String {
        let Some(inner) = &self.0 else {
            return String::new();
        };
        let mut out = Vec::with_capacity(16 * 1024);
        if let Err(e) = prometheus::TextEncoder::new().encode(&inner.registry.gather(), &mut out) {
            log::warn!("metrics: encoding failed: {e}");
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// One answered request: its route template (`None`: no route matched; never the path),
    /// method and status.
    pub fn request(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        if let Some(inner) = &self.0 {
            inner.requests.record(route, method, status, took);
        }
    }

    pub fn login(&self, credential: LoginCredential, outcome: Login) {
        if let Some(inner) = &self.0 {
            inner.logins.get(credential, outcome).inc();
        }
    }

    pub fn refreshed(&self) {
        if let Some(inner) = &self.0 {
            inner.refreshes.inc();
        }
    }

    pub fn reuse_detected(&self) {
        if let Some(inner) = &self.0 {
            inner.reuse_detections.inc();
            inner.revocations.get(RevocationCause::Reuse).inc();
        }
    }

    pub fn revoked(&self, cause: RevocationCause) {
        if let Some(inner) = &self.0 {
            inner.revocations.get(cause).inc();
        }
    }

    pub fn throttled(&self) {
        if let Some(inner) = &self.0 {
            inner.throttled.inc();
        }
    }

    /// A group commit of `jobs` writes.
    pub fn write_batch(&self, jobs: usize) {
        if let Some(inner) = &self.0 {
            inner.write_batches.observe(jobs as f64);
        }
    }
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
