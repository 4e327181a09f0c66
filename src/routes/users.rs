//! djoser's user endpoints: registration, the current user, other users (staff), and
//! setting a password or username.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::{CurrentUser, OptionalUser};
use crate::credentials::validate_email;
use crate::db::models::User;
use crate::db::users::UserChanges;
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::http::error_docs::{Forbidden, NotFound};
use crate::service::{Accounts, NewAccount, Recovery, Signup};

/// `{username, password, email?}`, validated by djoser's and Django's rules as it is read.
#[derive(Debug)]
pub struct RegisterRequest(pub NewAccount);

impl FromFields for RegisterRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        let username = fields.required("username");
        let password = fields.required_raw("password");
        let email = fields.optional("email").unwrap_or_default();
        Self(NewAccount::check(
            &username,
            &email,
            password,
            fields.errors_mut(),
        ))
    }
}

/// What the document shows for [`RegisterRequest`]: the fields it reads.
#[derive(ToSchema)]
#[schema(as = RegisterRequest)]
#[expect(dead_code, reason = "the document's view of `RegisterRequest`")]
struct RegisterFields {
    /// Unique after NFKC normalisation; letters, digits and `@.+-_` (Django's rule).
    #[schema(min_length = 1, max_length = 150)]
    username: String,
    /// Checked by Django's password validators; never trimmed.
    #[schema(format = Password)]
    password: String,
    #[schema(format = Email, nullable = false)]
    email: Option<String>,
}

/// `{email?}` (PUT and PATCH of `me`): the username is read-only here.
#[derive(Debug, ToSchema)]
pub struct UpdateMeRequest {
    #[schema(format = Email, nullable = false)]
    pub email: Option<String>,
}

impl FromFields for UpdateMeRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        let email = fields.optional("email").and_then(|raw| {
            validate_email(&raw)
                .map_err(|errors| fields.add_errors("email", errors))
                .ok()
        });
        Self { email }
    }
}

/// djoser's `{email, id, username}`: registration and `me` answer the same fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub email: String,
    pub id: i64,
    pub username: String,
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            email: user.email,
            id: user.id,
            username: user.username,
        }
    }
}

/// `POST /auth/users/` -> 201. Open, but a bad token is still a 401.
#[utoipa::path(post, path = "/auth/users/", tag = "users",
    summary = "Register",
    request_body = RegisterFields,
    security((), ("jwt" = []), ("key" = [])),
    responses(
        (status = 201, description = "Registered (inactive until activated when \
            `send_activation_email` is on).", body = UserResponse),
    ))]
pub async fn register(
    accounts: web::Data<Accounts>,
    recovery: web::Data<Recovery>,
    signup: web::Data<Signup>,
    _: OptionalUser,
    Form(RegisterRequest(account)): Form<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = if signup.send_activation_email {
        let user = accounts.register_inactive(account).await?;
        recovery.send_activation(&user);
        user
    } else {
        accounts.register(account, false).await?
    };
    Ok(HttpResponse::Created().json(UserResponse::from(user)))
}

/// `GET /auth/users/me/`.
#[utoipa::path(get, path = "/auth/users/me/", tag = "users",
    summary = "The current user",
    security(("jwt" = []), ("key" = [])),
    responses((status = 200, description = "The caller.", body = UserResponse)))]
pub async fn me(current: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResponse::from(current.user))
}

/// `PUT`/`PATCH /auth/users/me/`.
#[utoipa::path(method(put, patch), path = "/auth/users/me/", tag = "users",
    summary = "Update the current user",
    request_body = UpdateMeRequest,
    security(("jwt" = []), ("key" = [])),
    responses((status = 200, description = "The caller, updated.", body = UserResponse)))]
pub async fn update_me(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    Form(request): Form<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = match request.email {
        Some(email) => accounts.update_email(current.user.id, email).await?,
        None => current.user,
    };
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// `{email?, is_active?, is_staff?}` (PUT and PATCH of `/auth/users/{id}/`); the flags are
/// honoured for staff only.
#[derive(Debug)]
pub struct UpdateUserRequest(pub UserChanges);

/// What the document shows for [`UpdateUserRequest`]: the fields it reads.
#[derive(ToSchema)]
#[schema(as = UpdateUserRequest)]
#[expect(dead_code, reason = "the document's view of `UpdateUserRequest`")]
struct UpdateUserFields {
    #[schema(format = Email, nullable = false)]
    email: Option<String>,
    /// Staff only.
    #[schema(nullable = false)]
    is_active: Option<bool>,
    /// Staff only.
    #[schema(nullable = false)]
    is_staff: Option<bool>,
}

impl FromFields for UpdateUserRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        let UpdateMeRequest { email } = UpdateMeRequest::from_fields(fields);
        Self(UserChanges {
            email,
            is_active: fields.optional_bool("is_active"),
            is_staff: fields.optional_bool("is_staff"),
        })
    }
}

/// `{current_password?}` (DELETE): required unless staff delete someone else.
#[derive(Debug, ToSchema)]
pub struct DeleteRequest {
    #[schema(format = Password, nullable = false)]
    pub current_password: Option<String>,
}

impl FromFields for DeleteRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            current_password: fields.optional_raw("current_password"),
        }
    }
}

/// `{new_password, current_password}`.
#[derive(Debug, ToSchema)]
pub struct SetPasswordRequest {
    #[schema(format = Password)]
    pub new_password: String,
    #[schema(format = Password)]
    pub current_password: String,
}

impl FromFields for SetPasswordRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            new_password: fields.required_raw("new_password"),
            current_password: fields.required_raw("current_password"),
        }
    }
}

/// `{new_username, current_password}`.
#[derive(Debug, ToSchema)]
pub struct SetUsernameRequest {
    /// Registration's rules apply.
    #[schema(min_length = 1, max_length = 150)]
    pub new_username: String,
    #[schema(format = Password)]
    pub current_password: String,
}

impl FromFields for SetUsernameRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            new_username: fields.required("new_username"),
            current_password: fields.required_raw("current_password"),
        }
    }
}

/// `GET /auth/users/`: everyone for staff, a one-item list otherwise.
#[utoipa::path(get, path = "/auth/users/", tag = "users",
    summary = "List users (staff: all; others: themselves)",
    security(("jwt" = []), ("key" = [])),
    responses((status = 200, description = "Every user for staff; the caller alone otherwise.",
        body = Vec<UserResponse>)))]
pub async fn list(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let users: Vec<UserResponse> = accounts
        .list(&current.user)
        .await?
        .into_iter()
        .map(UserResponse::from)
        .collect();
    Ok(HttpResponse::Ok().json(users))
}

/// `GET /auth/users/{id}/`: another user's id is a 404 to non-staff.
#[utoipa::path(get, path = "/auth/users/{id}/", tag = "users",
    summary = "A user",
    params(("id" = i64, Path, description = "The user's id.")),
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "The user.", body = UserResponse),
        (status = 404, response = NotFound),
    ))]
pub async fn detail(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    id: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts.get(&current.user, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// `PUT`/`PATCH /auth/users/{id}/`.
#[utoipa::path(method(put, patch), path = "/auth/users/{id}/", tag = "users",
    summary = "Update a user",
    params(("id" = i64, Path, description = "The user's id.")),
    request_body = UpdateUserFields,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 200, description = "The user, updated.", body = UserResponse),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub async fn update(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    id: web::Path<i64>,
    Form(UpdateUserRequest(changes)): Form<UpdateUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts
        .update(&current.user, id.into_inner(), changes)
        .await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// `DELETE /auth/users/{id}/` -> 204.
#[utoipa::path(delete, path = "/auth/users/{id}/", tag = "users",
    summary = "Delete a user",
    params(("id" = i64, Path, description = "The user's id.")),
    request_body = DeleteRequest,
    security(("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "Deleted; every session of the user ends."),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub async fn delete(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    id: web::Path<i64>,
    Form(request): Form<DeleteRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts
        .delete(&current.user, id.into_inner(), request.current_password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `DELETE /auth/users/me/` -> 204.
#[utoipa::path(delete, path = "/auth/users/me/", tag = "users",
    summary = "Delete the current user",
    request_body = DeleteRequest,
    security(("jwt" = []), ("key" = [])),
    responses((status = 204, description = "Deleted; every session of the caller ends.")))]
pub async fn delete_me(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    Form(request): Form<DeleteRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = current.user.id;
    accounts
        .delete(&current.user, id, request.current_password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /auth/users/set_password/` -> 204; the caller's other sessions end.
#[utoipa::path(post, path = "/auth/users/set_password/", tag = "users",
    summary = "Change the password",
    request_body = SetPasswordRequest,
    security(("jwt" = []), ("key" = [])),
    responses((status = 204, description = "Changed; the caller's other sessions end.")))]
pub async fn set_password(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    Form(request): Form<SetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts
        .set_password(
            &current.user,
            &current.principal,
            request.current_password,
            request.new_password,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /auth/users/set_username/` -> 204.
#[utoipa::path(post, path = "/auth/users/set_username/", tag = "users",
    summary = "Change the username",
    request_body = SetUsernameRequest,
    security(("jwt" = []), ("key" = [])),
    responses((status = 204, description = "Changed.")))]
pub async fn set_username(
    accounts: web::Data<Accounts>,
    current: CurrentUser,
    Form(request): Form<SetUsernameRequest>,
) -> Result<HttpResponse, ApiError> {
    accounts
        .set_username(
            &current.user,
            request.current_password,
            &request.new_username,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
