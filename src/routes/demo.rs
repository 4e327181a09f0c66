//! The tutorials' demo views: `GET /api/secret/`, `GET /api/manager-view/`, and the
//! throttling demos `GET /api/throttle-check` and `GET /api/throttle-check-auth`.

use actix_web::HttpResponse;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AuthenticatedUser, InGroup, OptionalUser};
use crate::http::error_docs::Forbidden;

crate::group!(Manager, "Manager");

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = DemoMessage)]
pub struct MessageResponse {
    pub message: &'static str,
}

/// Any authenticated caller, with a Bearer JWT or a `Token` key.
#[utoipa::path(get, path = "/api/secret/", tag = "demo",
    summary = "Demo: any authenticated caller",
    security(("jwt" = []), ("key" = [])),
    responses((status = 200, description = "`Some secret message`.", body = MessageResponse)))]
pub async fn secret(_: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "Some secret message",
    })
}

/// Members of the `Manager` group only (403 for everyone else).
#[utoipa::path(get, path = "/api/manager-view/", tag = "demo",
    summary = "Demo: members of Manager only",
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "For members of `Manager`.", body = MessageResponse),
        (status = 403, response = Forbidden),
    ))]
pub async fn manager_view(_: InGroup<Manager>) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "Only Manager Should See This",
    })
}

/// Anyone; throttled by the `anon` rate only (the route's `RouteThrottles::anon()`).
#[utoipa::path(get, path = "/api/throttle-check", tag = "demo",
    summary = "Demo: throttled by the anon rate",
    security((), ("jwt" = []), ("key" = [])),
    responses((status = 200, description = "`successful`, until the `anon` rate is spent.",
        body = MessageResponse)))]
pub async fn throttle_check(_: OptionalUser) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "successful",
    })
}

/// Authenticated callers; throttled by the `ten` scope (the tutorial's TenCallsPerMinute).
#[utoipa::path(get, path = "/api/throttle-check-auth", tag = "demo",
    summary = "Demo: throttled by the ten scope",
    security(("jwt" = []), ("key" = [])),
    responses((status = 200, description = "Until the `ten` scope's rate is spent.",
        body = MessageResponse)))]
pub async fn throttle_check_auth(_: AuthenticatedUser) -> HttpResponse {
    HttpResponse::Ok().json(MessageResponse {
        message: "message for the logged in users only",
    })
}
