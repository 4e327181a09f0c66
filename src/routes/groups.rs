//! Group membership for staff: the tutorial's `/api/groups/manager/users`, generalised to any
//! group, and `GET /api/groups/`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::IsAdminUser;
use crate::credentials::canonical_username;
use crate::db::{Db, users};
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::http::error_docs::{Forbidden, NotFound};
use crate::service::Memberships;

/// `{username}`.
#[derive(Debug, ToSchema)]
pub struct MemberRequest {
    pub username: String,
}

impl FromFields for MemberRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            username: fields.required("username"),
        }
    }
}

/// `{"message": "User alice added to group Manager."}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MembershipMessage)]
pub struct MessageResponse {
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupResponse {
    pub name: String,
    pub members: i64,
}

async fn user_id(db: &Db, username: &str) -> Result<i64, ApiError> {
    let lookup = canonical_username(username);
    db.run(move |conn| users::find_by_username(conn, &lookup))
        .await?
        .map(|user| user.id)
        .ok_or(ApiError::NotFound)
}

/// Adds (`member`) or removes the user of `request` to or from `group`.
async fn set_membership(
    staff: &IsAdminUser,
    memberships: &Memberships,
    db: &Db,
    group: String,
    request: &MemberRequest,
    member: bool,
) -> Result<String, ApiError> {
    let user_id = user_id(db, &request.username).await?;
    let name = memberships
        .set(group, user_id, member, Some(staff.user_id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let done = if member { "added" } else { "removed" };
    let preposition = if member { "to" } else { "from" };
    Ok(format!(
        "User {} {done} {preposition} group {name}.",
        request.username
    ))
}

/// `POST /api/groups/{name}/users` -> 201: adds the user, creating the group on first use.
#[utoipa::path(post, path = "/api/groups/{name}/users", tag = "groups",
    summary = "Add a user to a group (staff)",
    params(("name" = String, Path, description = "The group's name.")),
    request_body = MemberRequest,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 201, description = "Added.", body = MessageResponse),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub async fn add_user(
    staff: IsAdminUser,
    memberships: web::Data<Memberships>,
    db: web::Data<Db>,
    group: web::Path<String>,
    Form(request): Form<MemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let message = set_membership(
        &staff,
        &memberships,
        &db,
        group.into_inner(),
        &request,
        true,
    )
    .await?;
    Ok(HttpResponse::Created().json(MessageResponse { message }))
}

/// `DELETE /api/groups/{name}/users` -> 200: removes the user; their earlier access tokens
/// stop carrying the group at once.
#[utoipa::path(delete, path = "/api/groups/{name}/users", tag = "groups",
    summary = "Remove a user from a group (staff)",
    params(("name" = String, Path, description = "The group's name.")),
    request_body = MemberRequest,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "Removed.", body = MessageResponse),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub async fn remove_user(
    staff: IsAdminUser,
    memberships: web::Data<Memberships>,
    db: web::Data<Db>,
    group: web::Path<String>,
    Form(request): Form<MemberRequest>,
) -> Result<HttpResponse, ApiError> {
    let message = set_membership(
        &staff,
        &memberships,
        &db,
        group.into_inner(),
        &request,
        false,
    )
    .await?;
    Ok(HttpResponse::Ok().json(MessageResponse { message }))
}

/// `GET /api/groups/` -> every group and its number of members.
#[utoipa::path(get, path = "/api/groups/", tag = "groups",
    summary = "Groups and their sizes (staff)",
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "Every group.", body = Vec<GroupResponse>),
        (status = 403, response = Forbidden),
    ))]
pub async fn list(
    _: IsAdminUser,
    memberships: web::Data<Memberships>,
) -> Result<HttpResponse, ApiError> {
    let groups: Vec<GroupResponse> = memberships
        .list()
        .await?
        .into_iter()
        .map(|(name, members)| GroupResponse { name, members })
        .collect();
    Ok(HttpResponse::Ok().json(groups))
}
