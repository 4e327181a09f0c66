//! djoser's user endpoints: registration and the current user.

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::auth::{CurrentUser, OptionalUser};
use crate::credentials::validate_email;
use crate::db::models::User;
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::service::{Accounts, NewAccount};

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

/// `{email?}` (PUT and PATCH of `me`): the username is read-only here.
#[derive(Debug)]
pub struct UpdateMeRequest {
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
#[derive(Debug, Serialize)]
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
pub async fn register(
    accounts: web::Data<Accounts>,
    _: OptionalUser,
    Form(RegisterRequest(account)): Form<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = accounts.register(account, false).await?;
    log::info!("registered user {}", user.id);
    Ok(HttpResponse::Created().json(UserResponse::from(user)))
}

/// `GET /auth/users/me/`.
pub async fn me(current: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(UserResponse::from(current.user))
}

/// `PUT`/`PATCH /auth/users/me/`.
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
