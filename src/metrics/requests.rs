//! `bouncer_http_requests_total{route, method, status}` and
//! `bouncer_http_request_duration_seconds{route}`.
//!
//! The route label is the router's template (`/auth/users/{id}/`), never the path a client
//! sent, and every request no route matched shares one label, [`UNMATCHED`]: the number of
//! series is bounded by the route table, whatever clients send. Methods outside the standard
//! ones share `other` for the same reason.
//!
//! Each route's handles are made on its first request and kept: later requests find them
//! with two read-locked hash lookups, no formatting and no registry access.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec, Registry};
use rustc_hash::FxHashMap;

use super::registered::counter_vec;

/// The route label of requests that matched no route (404s of unknown paths).
pub const UNMATCHED: &str = "unmatched";

const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other",
];

/// Latency buckets, in seconds: from a cached token check (tens of µs) to a bcrypt login
/// (about 0.25 s at the default cost) and a request stuck behind a busy database.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

pub(super) struct Requests {
    total: IntCounterVec,
    latency: HistogramVec,
    routes: RwLock<FxHashMap<Box<str>, Arc<Route>>>,
}

/// One route's handles.
struct Route {
    name: Box<str>,
    latency: Histogram,
    /// By (index in [`METHODS`], status).
    counts: RwLock<FxHashMap<(u8, u16), IntCounter>>,
}

fn method_index(method: &str) -> u8 {
    let last = METHODS.len() - 1;
    let i = METHODS[..last].iter().position(|m| *m == method);
    u8::try_from(i.unwrap_or(last)).unwrap_or(u8::MAX)
}

impl Requests {
    pub(super) fn register(registry: &Registry) -> prometheus::Result<Self> {
        let total = counter_vec(
            registry,
            "bouncer_http_requests_total",
            "HTTP requests answered, by route template, method and status.",
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            prometheus::HistogramOpts::new(
                "bouncer_http_request_duration_seconds",
                "Time from receiving a request to its response's head, by route template.",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route"],
        )?;
        registry.register(Box::new(latency.clone()))?;
        Ok(Self {
            total,
            latency,
            routes: RwLock::default(),
        })
    }

    pub(super) fn record(&self, route: Option<&str>, method: &str, status: u16, took: Duration) {
        let template = route.unwrap_or(UNMATCHED);
        let key = (method_index(method), status);
        // The common case: the route and its (method, status) seen before.
        if let Some(route) = self.routes.read().get(template)
            && let Some(counter) = route.counts.read().get(&key)
        {
            route.latency.observe(took.as_secs_f64());
            counter.inc();
            return;
        }
        let route = self.route(template);
        route.latency.observe(took.as_secs_f64());
        let counter = self.total.with_label_values(&[
            &route.name,
            METHODS[usize::from(key.0)],
            &status.to_string(),
        ]);
        counter.inc();
        route.counts.write().insert(key, counter);
    }

    fn route(&self, template: &str) -> Arc<Route> {
        if let Some(route) = self.routes.read().get(template) {
            return route.clone();
        }
        let route = Arc::new(Route {
            name: template.into(),
            latency: self.latency.with_label_values(&[template]),
            counts: RwLock::default(),
        });
        self.routes
            .write()
            .entry(template.into())
            .or_insert(route)
            .clone()
    }
}
