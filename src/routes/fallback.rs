//! What a request for no route gets: DRF's JSON 404.

use actix_web::HttpResponse;

use crate::error::ApiError;

pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}
