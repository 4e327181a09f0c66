//! The tutorials' demo views: `GET /api/secret/` and `GET /api/manager-view/`.

use actix_web::HttpResponse;
use serde::Serialize;

use crate::auth::{AuthenticatedUser, InGroup};

crate::group!(Manager, "Manager");

#[derive(Debug, Serialize)]
pub struct MessageResponse {
    pub message: &'static str,
}

/// Any authenticated caller, with a Bearer JWT or a `Token` key.
pub async fn secret(_: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "Some secret message",
    })
}

/// Members of the `Manager` group only (403 for everyone else).
pub async fn manager_view(_: InGroup<Manager>) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "Only Manager Should See This",
    })
}
