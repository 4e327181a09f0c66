//! Middleware around every route: a header size limit, and JSON bodies for the errors actix
//! produces itself (404, 405, ...), so clients only ever parse JSON.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{HttpResponse, ResponseError};

use super::body::BodyLimit;
use crate::error::ApiError;

/// The largest total size of request headers, registered as app data from `max_header_size`.
#[derive(Debug, Clone, Copy)]
pub struct HeaderLimit(pub usize);

/// Refuses requests whose headers (names, values and the target URI) exceed the limit with a
/// JSON 431 before any handler or extractor sees them. Heads larger than actix's own parser
/// buffer are refused by actix before this runs (with an empty 431).
pub async fn limit_header_size(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let limit = req.app_data::<HeaderLimit>().map_or(8 * 1024, |l| l.0);
    let target = req.uri().path().len() + req.uri().query().map_or(0, str::len);
    let size = target
        + req
            .headers()
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum::<usize>();
    if size > limit {
        let response = ApiError::HeadersTooLarge.error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Gives error responses that were not built by [`ApiError`] (actix's own 404/405/413...)
/// a DRF-style JSON body. Responses that already carry JSON, or HTML (the admin page's own
/// error pages: actix never answers HTML itself), pass through untouched.
pub fn json_error_body<B: MessageBody>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res.headers().get(CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html")
    });
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => {
            ApiError::MethodNotAllowed(res.request().method().to_string())
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = res.request().app_data::<BodyLimit>().map_or(0, |l| l.0);
            ApiError::PayloadTooLarge(limit)
        }
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => ApiError::HeadersTooLarge,
        _ if status.is_server_error() => ApiError::Internal(format!("actix answered {status}")),
        _ => {
            let reason = status.canonical_reason().unwrap_or("Bad request");
            let body = serde_json::json!({ "detail": format!("{reason}.") });
            return Ok(replace(res, HttpResponse::build(status).json(body)));
        }
    };
    Ok(replace(res, error.error_response()))
}

fn replace<B>(res: ServiceResponse<B>, new: HttpResponse<BoxBody>) -> ErrorHandlerResponse<B> {
    let (req, _) = res.into_parts();
    ErrorHandlerResponse::Response(ServiceResponse::new(req, new).map_into_right_body())
}
