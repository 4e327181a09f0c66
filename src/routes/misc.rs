//! Health check, the demo protected resource, and the JSON 404.

use actix_web::HttpResponse;
use serde_json::json;

use crate::auth::AuthenticatedUser;
use crate::error::ApiError;

/// No authentication and no database: a liveness probe and the benchmark's baseline route.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[derive(serde::Serialize)]
struct Message {
    message: String,
}

/// The tutorials' protected resource.
pub async fn secret(user: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(Message {
        message: format!("Some secret message for user {}", user.user_id),
    })
}

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
