//! `GET /metrics`: every series in the Prometheus text format. It reads and changes nothing
//! a client sends: no query parameter or header alters the answer, and other methods get 405.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};

use crate::metrics::{CONTENT_TYPE, Metrics};

#[utoipa::path(get, path = "/metrics", tag = "operations",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Every series in the Prometheus text format \
        (served here unless `metrics = false` or `metrics_bind` moves it).",
        content_type = "text/plain", body = String)))]
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((CACHE_CONTROL, "no-store"))
        .body(metrics.render())
}
