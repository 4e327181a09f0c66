//! `GET /api/secret/`: the tutorials' protected resource.

use actix_web::HttpResponse;
use serde::Serialize;

use crate::auth::AuthenticatedUser;

#[derive(Debug, Serialize)]
pub struct MessageResponse {
    pub message: String,
}

pub async fn secret(user: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: format!("Some secret message for user {}", user.user_id),
    })
}
