//! The middleware that counts and times every request for the metrics
//! (`bouncer_http_requests_total`, `bouncer_http_request_duration_seconds`).
//!
//! It wraps the whole app, so requests refused by other middleware (431, CORS) count too.
//! The route label is `HttpRequest::match_pattern()`, the router's template, never the path;
//! actix 4.18 remembers which resource matched, so this is a walk up the resource tree, not
//! a second routing.

use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::Instant;

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::future::LocalBoxFuture;

use crate::metrics::Metrics;

/// Counts every request in `Metrics`; add it only when metrics are on.
pub struct RequestMetrics(pub Metrics);

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequestMetricsService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestMetricsService {
            service: Rc::new(service),
            metrics: self.0.clone(),
        }))
    }
}

pub struct RequestMetricsService<S> {
    service: Rc<S>,
    metrics: Metrics,
}

impl<S, B> Service<ServiceRequest> for RequestMetricsService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let start = Instant::now();
        let metrics = self.metrics.clone();
        // Not the request itself: actix needs it unshared to route it.
        let method = req.method().clone();
        let response = self.service.call(req);
        Box::pin(async move {
            let outcome = response.await;
            // An error that reaches here as `Err` has no response to read the route from: it
            // counts as unmatched (a middleware refused it before or around routing).
            let (route, status) = match &outcome {
                Ok(res) => (res.request().match_pattern(), res.status()),
                Err(e) => (None, e.as_response_error().status_code()),
            };
            metrics.request(
                route.as_deref(),
                method.as_str(),
                status.as_u16(),
                start.elapsed(),
            );
            outcome
        })
    }
}
