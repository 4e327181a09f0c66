//! djoser's user endpoints: registration and the current user.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::auth::validators::{normalize_username, validate_email, validate_password};
use crate::auth::{CurrentUser, OptionalUser};
use crate::db::models::{NewUser, User};
use crate::error::ApiError;
use crate::http::body::FormData;
use crate::state::AppState;

/// djoser's `{email, id, username}` (registration and `me` answer the same fields).
fn user_body(user: &User) -> serde_json::Value {
    json!({ "email": user.email, "id": user.id, "username": user.username })
}

/// A validated registration, ready to hash and store.
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// Applies djoser's field rules and Django's password validators, reporting every error.
pub fn validate_registration(body: &FormData) -> Result<Registration, ApiError> {
    let mut fields = body.fields();
    let raw_username = fields.required("username");
    let password = fields.required_raw("password");
    let raw_email = fields.optional("email").unwrap_or_default();
    let username = if raw_username.is_empty() {
        String::new()
    } else {
        normalize_username(&raw_username).unwrap_or_else(|errors| {
            fields.add_errors("username", errors);
            String::new()
        })
    };
    let email = validate_email(&raw_email).unwrap_or_else(|errors| {
        fields.add_errors("email", errors);
        String::new()
    });
    if !password.is_empty() {
        fields.add_errors("password", validate_password(&password, &username, &email));
    }
    fields.finish()?;
    Ok(Registration {
        username,
        email,
        password,
    })
}

/// Creates a user (djoser's `POST /auth/users/`).
pub async fn create_user(
    state: &AppState,
    registration: Registration,
    staff: bool,
) -> Result<User, ApiError> {
    let hash = state.hasher.hash(registration.password).await?;
    let Registration {
        username, email, ..
    } = registration;
    state
        .db
        .run(move |conn| {
            crate::db::users::create(
                conn,
                &NewUser {
                    username: &username,
                    email: &email,
                    password: &hash,
                    is_active: true,
                    is_staff: staff,
                    is_superuser: staff,
                    date_joined: chrono::Utc::now().naive_utc(),
                },
            )
        })
        .await
}

/// `POST /auth/users/` -> 201 `{email, username, id}`. Open, but a bad token is still a 401.
pub async fn register(
    state: web::Data<AppState>,
    _: OptionalUser,
    body: FormData,
) -> Result<HttpResponse, ApiError> {
    let registration = validate_registration(&body)?;
    let user = create_user(&state, registration, false).await?;
    log::info!("registered user {}", user.id);
    Ok(HttpResponse::Created().json(user_body(&user)))
}

/// `GET /auth/users/me/`.
pub async fn me(current: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(user_body(&current.user))
}

/// `PUT`/`PATCH /auth/users/me/`: the email can change; the username is read-only here.
pub async fn update_me(
    state: web::Data<AppState>,
    current: CurrentUser,
    body: FormData,
) -> Result<HttpResponse, ApiError> {
    let mut fields = body.fields();
    let email = fields.optional("email");
    let email = email.and_then(|raw| {
        validate_email(&raw)
            .map_err(|errors| fields.add_errors("email", errors))
            .ok()
    });
    fields.finish()?;
    let user = match email {
        Some(email) => {
            let id = current.user.id;
            state
                .db
                .run(move |conn| Ok(crate::db::users::update_email(conn, id, &email)?))
                .await?
                .ok_or(ApiError::UserNotFound)?
        }
        None => current.user,
    };
    Ok(HttpResponse::Ok().json(user_body(&user)))
}
