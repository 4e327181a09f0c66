//! Device sessions: `GET /auth/sessions/` and `DELETE /auth/sessions/{id}/` for the caller;
//! `/auth/users/{id}/sessions/` for staff. Each item is a refresh-token login or a `Token`
//! key; ending one revokes its tokens at once on every instance.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{AuthenticatedUser, IsAdminUser};
use crate::clock::rfc3339;
use crate::db::sessions::SessionRow;
use crate::error::ApiError;
use crate::http::error_docs::{Forbidden, NotFound};
use crate::service::Sessions;
use crate::tokens::SessionId;

/// One session as listed. Times are RFC 3339 in UTC; `expires_at` is null for a key that
/// never expires.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: String,
    /// `refresh` (a JWT login) or `key` (a `Token` key).
    #[schema(examples("refresh", "key"))]
    pub kind: &'static str,
    pub user_agent: String,
    pub address: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub last_used_at: String,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// The session of the credential this request was made with.
    pub current: bool,
}

fn listed(rows: Vec<SessionRow>, current: Option<SessionId>) -> Vec<SessionResponse> {
    rows.into_iter()
        .map(|s| SessionResponse {
            id: s.sid.to_string(),
            kind: s.kind.as_str(),
            user_agent: s.user_agent,
            address: s.address,
            created_at: rfc3339(s.created_at),
            last_used_at: rfc3339(s.last_used_at),
            expires_at: s.expires_at.map(rfc3339),
            current: Some(s.sid) == current,
        })
        .collect()
}

/// A session id from the path; one that is not an id bouncer could have made is simply not
/// found.
fn session_id(raw: &str) -> Result<SessionId, ApiError> {
    SessionId::parse(raw).ok_or(ApiError::NotFound)
}

/// `GET /auth/sessions/`: the caller's live sessions, newest first.
#[utoipa::path(get, path = "/auth/sessions/", tag = "sessions",
    summary = "The caller's sessions",
    security(("jwt" = []), ("key" = [])),
    responses((status = 200, description = "The caller's live sessions, newest first.",
        body = Vec<SessionResponse>)))]
pub async fn list_own(
    user: AuthenticatedUser,
    sessions: web::Data<Sessions>,
) -> Result<HttpResponse, ApiError> {
    let rows = sessions.list(user.user_id).await?;
    Ok(HttpResponse::Ok().json(listed(rows, Some(user.session_id))))
}

/// `DELETE /auth/sessions/{id}/`: 204, or 404 when it is not one of the caller's.
#[utoipa::path(delete, path = "/auth/sessions/{id}/", tag = "sessions",
    summary = "End one of the caller's sessions",
    params(("id" = String, Path, description = "A session id from the list.")),
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "Ended: its tokens are revoked on every instance."),
        (status = 404, response = NotFound),
    ))]
pub async fn end_own(
    user: AuthenticatedUser,
    sessions: web::Data<Sessions>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let sid = session_id(&path)?;
    sessions.end(user.user_id, sid, Some(user.user_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /auth/users/{id}/sessions/` (staff).
#[utoipa::path(get, path = "/auth/users/{id}/sessions/", tag = "sessions",
    summary = "A user's sessions (staff)",
    params(("id" = i64, Path, description = "The user's id.")),
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "The user's live sessions (staff only).",
            body = Vec<SessionResponse>),
        (status = 403, response = Forbidden),
    ))]
pub async fn list_of_user(
    _: IsAdminUser,
    sessions: web::Data<Sessions>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let rows = sessions.list(path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(listed(rows, None)))
}

/// `DELETE /auth/users/{id}/sessions/` (staff): ends every session of the user.
#[utoipa::path(delete, path = "/auth/users/{id}/sessions/", tag = "sessions",
    summary = "End all of a user's sessions (staff)",
    params(("id" = i64, Path, description = "The user's id.")),
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "Every session of the user ended (staff only)."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub async fn end_all_of_user(
    staff: IsAdminUser,
    sessions: web::Data<Sessions>,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    sessions
        .end_all(path.into_inner(), Some(staff.user_id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /auth/users/{id}/sessions/{sid}/` (staff).
#[utoipa::path(delete, path = "/auth/users/{id}/sessions/{sid}/", tag = "sessions",
    summary = "End one of a user's sessions (staff)",
    params(
        ("id" = i64, Path, description = "The user's id."),
        ("sid" = String, Path, description = "A session id from the list."),
    ),
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "Ended (staff only)."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub async fn end_one_of_user(
    staff: IsAdminUser,
    sessions: web::Data<Sessions>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, raw) = path.into_inner();
    let sid = session_id(&raw)?;
    sessions.end(user_id, sid, Some(staff.user_id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
