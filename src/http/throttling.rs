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
use super::request_audit::RequestFields;
use crate::audit::AuditEvent;
use crate::error::{ApiError, RateLimit};
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

/// Marks a request as counted, so a handler with two bouncer extractors counts once.
struct Counted;

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
    // Nothing to count (the usual case with no global rates) costs no allocation.
    let counters = counters(req, throttler, caller);
    if counters.is_empty() || req.extensions().contains::<Counted>() {
        return ThrottleStep::Done(Ok(()));
    }
    req.extensions_mut().insert(Counted);
    if throttler.is_in_memory() {
        let decisions = counters
            .iter()
            .filter_map(|(name, key)| throttler.check_in_memory(name, key));
        return ThrottleStep::Done(conclude(req, caller, decisions));
    }
    let (req, throttler) = (req.clone(), throttler.clone());
    ThrottleStep::Pending(Box::pin(async move {
        let mut decisions = Vec::with_capacity(counters.len());
        for (name, key) in &counters {
            match throttler.check(name, key).await {
                Ok(Some(decision)) => decisions.push(decision),
                Ok(None) => {}
                Err(_closed) => {
                    return Err(ApiError::Unavailable(
                        "the throttle store is unreachable (on_store_failure = closed)".into(),
                    ));
                }
            }
        }
        conclude(&req, caller, decisions)
    }))
}

/// The (throttle name, counter key) pairs this request counts against.
fn counters(
    req: &HttpRequest,
    throttler: &Throttler,
    caller: Option<i64>,
) -> Vec<(String, String)> {
    match req.app_data::<RouteThrottles>() {
        Some(route) => {
            let method_throttled = route
                .methods
                .as_ref()
                .is_none_or(|methods| methods.contains(req.method()));
            if !method_throttled {
                return Vec::new();
            }
            keyed(
                req,
                throttler,
                caller,
                route.names.iter().map(String::as_str),
            )
        }
        None => keyed(req, throttler, caller, throttler.global().iter().copied()),
    }
}

/// The counter key of each throttle in `names` that has a rate and applies to `caller`.
fn keyed<'a>(
    req: &HttpRequest,
    throttler: &Throttler,
    caller: Option<i64>,
    names: impl Iterator<Item = &'a str>,
) -> Vec<(String, String)> {
    let address = || format!("ip:{}", client_address(req, throttler.num_proxies()));
    names
        .filter(|name| throttler.has(name))
        .filter_map(|name| {
            let key = match (name, caller) {
                // DRF's AnonRateThrottle lets authenticated requests through uncounted.
                ("anon", Some(_)) => return None,
                (_, Some(user_id)) => format!("user:{user_id}"),
                (_, None) => address(),
            };
            Some((name.to_owned(), key))
        })
        .collect()
}

/// Lets the request through or refuses it (with a `request.throttled` audit line), and
/// records what the headers report: the throttle with the least room left.
fn conclude(
    req: &HttpRequest,
    caller: Option<i64>,
    decisions: impl IntoIterator<Item = Decision>,
) -> Result<(), ApiError> {
    let decisions: Vec<Decision> = decisions.into_iter().collect();
    let Some(tightest) = decisions.iter().min_by_key(|d| (d.allowed, d.remaining)) else {
        return Ok(());
    };
    let limit = RateLimit::from(tightest);
    if decisions.iter().all(|d| d.allowed) {
        req.extensions_mut().insert(limit);
        return Ok(());
    }
    // DRF waits for the slowest of the throttles that refused.
    let wait = decisions
        .iter()
        .filter(|d| !d.allowed)
        .map(|d| Decision::seconds(d.retry_after).max(1))
        .max()
        .unwrap_or(1);
    AuditEvent::warning("request.throttled")
        .field_opt("user_id", caller)
        .field("wait", wait)
        .request(req)
        .emit();
    Err(ApiError::Throttled { wait, limit })
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

/// Adds `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` to the responses of
/// throttled requests that were let through (refusals carry them from `error_response.rs`).
pub async fn rate_limit_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let limit = response.request().extensions().get::<RateLimit>().copied();
    if let Some(limit) = limit {
        let headers = response.headers_mut();
        for (name, value) in limit.headers() {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
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
