//! Which throttles apply to a request, and their answer: 429 with DRF's message and
//! `Retry-After`, and `RateLimit-Limit`, `-Remaining`, `-Reset` on every throttled response.
//!
//! DRF's rules: throttles run after authentication and permissions (so a 401 or 403 is never
//! counted); `anon` and `user` (when they have rates) apply to every route that names no
//! throttles of its own; a route that names its own ([`RouteThrottles`], as resource
//! `app_data`) replaces them, and may apply them to some methods only. `anon` counts only
//! unauthenticated requests, by client address; `user` and scopes count by user id, or by
//! address for anonymous callers. bouncer's extractors call [`throttle`] once their
//! authentication and permission checks passed; routes without credentials use
//! [`Throttled`].

use std::future::{Ready, ready};
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::Either;

use super::client_address::client_address;
use super::counter_key::KeyBuf;
use super::request_audit::RequestFields;
use crate::audit::AuditEvent;
use crate::error::{ApiError, RateLimit};
use crate::metrics::Metrics;
use crate::throttle::{Decision, Throttler};

/// A route's own throttles (DRF's `throttle_classes`), registered as resource `app_data`:
/// `web::resource("/api/ratings").app_data(RouteThrottles::scope("ten").on(&[Method::POST]))`.
#[derive(Debug, Clone, Default)]
pub struct RouteThrottles {
    names: Vec<String>,
    methods: Option<Vec<Method>>,
}

impl RouteThrottles {
    /// No throttles at all on this route.
    pub fn none() -> Self {
        Self::default()
    }

    /// The `anon` rate only (unauthenticated requests).
    pub fn anon() -> Self {
        Self::none().and_anon()
    }

    /// The named scope's rate (`[throttle.scopes]`).
    pub fn scope(name: &str) -> Self {
        Self::none().and_scope(name)
    }

    pub fn and_anon(mut self) -> Self {
        self.names.push("anon".into());
        self
    }

    pub fn and_user(mut self) -> Self {
        self.names.push("user".into());
        self
    }

    pub fn and_scope(mut self, name: &str) -> Self {
        self.names.push(crate::throttle::scope_name(name));
        self
    }

    /// Throttles only these methods; other methods of the route are not throttled at all.
    pub fn on(mut self, methods: &[Method]) -> Self {
        self.methods = Some(methods.to_vec());
        self
    }
}

/// Marks a request as counted, so a handler with two bouncer extractors counts once, and
/// carries what the `RateLimit-*` headers of a request let through report (one extension,
/// so a throttled request costs one insertion).
struct Counted(Option<RateLimit>);

type Boxed = Pin<Box<dyn Future<Output = Result<(), ApiError>>>>;

/// The throttle check of one request: done at once (counters in memory, or nothing to count),
/// or waiting for Redis.
pub enum ThrottleStep {
    Done(Result<(), ApiError>),
    Pending(Boxed),
}

/// Counts the request against the throttles that apply to it, once per request. Call it
/// after authentication and permission checks passed, with the caller's user id (`None`:
/// anonymous).
pub fn throttle(req: &HttpRequest, caller: Option<i64>) -> ThrottleStep {
    let Some(throttler) = req.app_data::<web::Data<Throttler>>() else {
        return ThrottleStep::Done(Ok(()));
    };
    if req.extensions().contains::<Counted>() {
        return ThrottleStep::Done(Ok(()));
    }
    if throttler.is_in_memory() {
        // The hot path: no allocation here but the request's one extension (an anonymous
        // caller's address is formatted once), and nothing at all without global rates.
        let mut verdict = Verdict::default();
        each_counter(req, throttler, caller, |name, key| {
            if let Some(decision) = throttler.check_in_memory(name, key) {
                verdict.add(decision);
            }
        });
        return ThrottleStep::Done(verdict.conclude(req, caller));
    }
    let mut counters = Vec::new();
    each_counter(req, throttler, caller, |name, key| {
        counters.push((name.to_owned(), key.to_owned()));
    });
    if counters.is_empty() {
        return ThrottleStep::Done(Ok(()));
    }
    // Before waiting: a second extractor of this request must see it counted.
    req.extensions_mut().insert(Counted(None));
    let (req, throttler) = (req.clone(), throttler.clone());
    ThrottleStep::Pending(Box::pin(async move {
        let mut verdict = Verdict::default();
        for (name, key) in &counters {
            match throttler.check(name, key).await {
                Ok(Some(decision)) => verdict.add(decision),
                Ok(None) => {}
                Err(_closed) => {
                    return Err(ApiError::Unavailable(
                        "the throttle store is unreachable (on_store_failure = closed)".into(),
                    ));
                }
            }
        }
        verdict.conclude(&req, caller)
    }))
}

/// Calls `count` with each (throttle name, counter key) this request counts against.
fn each_counter(
    req: &HttpRequest,
    throttler: &Throttler,
    caller: Option<i64>,
    mut count: impl FnMut(&str, &str),
) {
    let mut key = KeyBuf::default();
    let mut address = None;
    let mut visit = |name: &str| {
        if !throttler.has(name) {
            return;
        }
        key.clear();
        match (name, caller) {
            // DRF's AnonRateThrottle lets authenticated requests through uncounted.
            ("anon", Some(_)) => return,
            (_, Some(user_id)) => key.push(format_args!("user:{user_id}")),
            (_, None) => {
                let ip =
                    address.get_or_insert_with(|| client_address(req, throttler.num_proxies()));
                key.push(format_args!("ip:{ip}"));
            }
        }
        count(name, key.as_str());
    };
    match req.app_data::<RouteThrottles>() {
        Some(route) => {
            let method_throttled = route
                .methods
                .as_ref()
                .is_none_or(|methods| methods.contains(req.method()));
            if method_throttled {
                route.names.iter().for_each(|name| visit(name));
            }
        }
        None => throttler.global().iter().for_each(|name| visit(name)),
    }
}

/// The decisions of a request's throttles, folded as they come.
#[derive(Default)]
struct Verdict {
    /// The throttle with the least room left: what the headers report.
    tightest: Option<Decision>,
    /// DRF waits for the slowest of the throttles that refused (whole seconds).
    wait: Option<u64>,
}

impl Verdict {
    fn add(&mut self, d: Decision) {
        if self
            .tightest
            .is_none_or(|t| (d.allowed, d.remaining) < (t.allowed, t.remaining))
        {
            self.tightest = Some(d);
        }
        if !d.allowed {
            let wait = Decision::seconds(d.retry_after).max(1);
            self.wait = Some(self.wait.map_or(wait, |w| w.max(wait)));
        }
    }

    /// Lets the request through (recording what the headers report) or refuses it, with a
    /// `request.throttled` audit line.
    fn conclude(self, req: &HttpRequest, caller: Option<i64>) -> Result<(), ApiError> {
        let Some(tightest) = self.tightest else {
            return Ok(());
        };
        let limit = RateLimit::from(&tightest);
        let Some(wait) = self.wait else {
            req.extensions_mut().insert(Counted(Some(limit)));
            return Ok(());
        };
        req.extensions_mut().insert(Counted(None));
        if let Some(metrics) = req.app_data::<web::Data<Metrics>>() {
            metrics.throttled();
        }
        AuditEvent::warning("request.throttled")
            .field_opt("user_id", caller)
            .field("wait", wait)
            .request(req)
            .emit();
        Err(ApiError::Throttled { wait, limit })
    }
}

impl From<&Decision> for RateLimit {
    fn from(d: &Decision) -> Self {
        Self {
            limit: d.limit,
            remaining: d.remaining,
            reset: Decision::seconds(d.reset_after),
        }
    }
}

/// The names of the headers `RateLimit::headers` reports, built once.
const RATE_LIMIT_HEADERS: [HeaderName; 3] = [
    HeaderName::from_static("ratelimit-limit"),
    HeaderName::from_static("ratelimit-remaining"),
    HeaderName::from_static("ratelimit-reset"),
];

/// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` to the responses of
/// throttled requests that were let through (refusals carry them from `error_response.rs`).
pub async fn rate_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let limit = response
        .request()
        .extensions()
        .get::<Counted>()
        .and_then(|counted| counted.0);
    if let Some(limit) = limit {
        let headers = response.headers_mut();
        for (name, (_, value)) in RATE_LIMIT_HEADERS.iter().zip(limit.headers()) {
            headers.insert(name.clone(), HeaderValue::from(value));
        }
    }
    Ok(response)
}

/// For routes that take no credentials (the token endpoints): counts the request as
/// anonymous, as DRF does for simplejwt's views.
#[derive(Debug, Clone, Copy)]
pub struct Throttled;

impl FromRequest for Throttled {
    type Error = ApiError;
    type Future = Either<
        Ready<Result<Self, ApiError>>,
        Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>,
    >;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        match throttle(req, None) {
            ThrottleStep::Done(result) => Either::Left(ready(result.map(|()| Self))),
            ThrottleStep::Pending(check) => {
                Either::Right(Box::pin(async move { check.await.map(|()| Self) }))
            }
        }
    }
}
