//! `GET /healthz`, the liveness probe, and `GET /readyz`, the readiness probe.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::http::readiness::Readiness;

#[derive(Debug, Serialize)]
pub struct HealthResponse {
    pub status: &'static str,
}

/// No authentication and no database: a liveness probe and the benchmark's baseline route.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}

/// `GET /readyz`: 200 when this instance can serve (database, migrations, keys, revocation
/// list, Redis when configured), else 503; the body names each part's state either way
/// (`http/readiness.rs`). Takes no input and changes nothing; cheap to poll every second.
pub async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let report = readiness.report().await;
    let mut response = match report.is_ready() {
        true => HttpResponse::Ok(),
        false => HttpResponse::ServiceUnavailable(),
    };
    response
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(report)
}
