//! The tutorials' demo views: `GET /api/secret/`, `GET /api/manager-view/`, and the
//! throttling demos `GET /api/throttle-check` and `GET /api/throttle-check-auth`.

use actix_web::HttpResponse;
use serde::Serialize;

use crate::auth::{AuthenticatedUser, InGroup, OptionalUser};

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

/// Anyone; throttled by the `anon` rate only (the route's `RouteThrottles::anon()`).
pub async fn throttle_check(_: OptionalUser) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "successful",
    })
}

/// Authenticated callers; throttled by the `ten` scope (the tutorial's TenCallsPerMinute).
pub async fn throttle_check_auth(_: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "message for the logged in users only",
    })
}
