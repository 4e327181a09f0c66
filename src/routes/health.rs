//! `GET /healthz`: the liveness probe.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: &'static str,
}

/// No authentication and no database: a liveness probe and the benchmark's baseline route.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    summary = "Liveness",
    responses((status = 200, description = "`{\"status\": \"ok\"}` while the process serves.",
        body = HealthResponse)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse { status: "ok" })
}
