//! djoser's e-mail flows: `reset_password`, `reset_password_confirm`, `activation`,
//! `resend_activation` (all under `/auth/users/`, all open, all 204).

use actix_web::{HttpRequest, HttpResponse, web};
use utoipa::ToSchema;

use crate::auth::OptionalUser;
use crate::error::ApiError;
use crate::http::body::{FieldReader, Form, FromFields};
use crate::http::error_docs::Forbidden;
use crate::http::request_audit::guarded_attempt;
use crate::service::{Recovery, bad_link};

/// `{email}`.
#[derive(Debug, ToSchema)]
pub struct EmailRequest {
    #[schema(format = Email)]
    pub email: String,
}

impl FromFields for EmailRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            email: fields.required("email"),
        }
    }
}

/// `{uid, token}`: the two parts of the link in the e-mail.
#[derive(Debug, ToSchema)]
pub struct ActivationRequest {
    pub uid: String,
    pub token: String,
}

impl FromFields for ActivationRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            uid: fields.required("uid"),
            token: fields.required("token"),
        }
    }
}

/// `{uid, token, new_password}`.
#[derive(Debug, ToSchema)]
pub struct ResetConfirmRequest {
    pub uid: String,
    pub token: String,
    #[schema(format = Password)]
    pub new_password: String,
}

impl FromFields for ResetConfirmRequest {
    fn from_fields(fields: &mut FieldReader<'_>) -> Self {
        Self {
            uid: fields.required("uid"),
            token: fields.required("token"),
            new_password: fields.required_raw("new_password"),
        }
    }
}

/// `POST /auth/users/reset_password/` -> 204 whether or not the address is known.
#[utoipa::path(post, path = "/auth/users/reset_password/", tag = "recovery",
    summary = "Mail a password reset link",
    request_body = EmailRequest,
    security((), ("jwt" = []), ("key" = [])),
    responses((status = 204, description = "A reset link is mailed if the address is known.")))]
pub async fn reset_password(
    recovery: web::Data<Recovery>,
    _: OptionalUser,
    Form(request): Form<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    recovery.request_reset(&request.email).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /auth/users/reset_password_confirm/` -> 204; every session of the user ends.
#[utoipa::path(post, path = "/auth/users/reset_password_confirm/", tag = "recovery",
    summary = "Set a new password from a reset link",
    request_body = ResetConfirmRequest,
    security((), ("jwt" = []), ("key" = [])),
    responses((status = 204,
        description = "The password is set; every session of the user ends.")))]
pub async fn reset_password_confirm(
    req: HttpRequest,
    recovery: web::Data<Recovery>,
    _: OptionalUser,
    Form(request): Form<ResetConfirmRequest>,
) -> Result<HttpResponse, ApiError> {
    let confirm = recovery.confirm_reset(&request.uid, &request.token, request.new_password);
    guarded_attempt(
        &req,
        "password_reset",
        ("uid", &request.uid),
        confirm,
        bad_link,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /auth/users/activation/` -> 204.
#[utoipa::path(post, path = "/auth/users/activation/", tag = "recovery",
    summary = "Activate an account from its link",
    request_body = ActivationRequest,
    security((), ("jwt" = []), ("key" = [])),
    responses(
        (status = 204, description = "The account is active."),
        (status = 403, response = Forbidden),
    ))]
pub async fn activation(
    req: HttpRequest,
    recovery: web::Data<Recovery>,
    _: OptionalUser,
    Form(request): Form<ActivationRequest>,
) -> Result<HttpResponse, ApiError> {
    let activate = recovery.activate(&request.uid, &request.token);
    guarded_attempt(
        &req,
        "activation",
        ("uid", &request.uid),
        activate,
        bad_link,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /auth/users/resend_activation/` -> 204 whether or not the address is known.
#[utoipa::path(post, path = "/auth/users/resend_activation/", tag = "recovery",
    summary = "Mail a new activation link",
    request_body = EmailRequest,
    security((), ("jwt" = []), ("key" = [])),
    responses((status = 204, description = "A new link is mailed if an inactive account has \
        the address.")))]
pub async fn resend_activation(
    recovery: web::Data<Recovery>,
    _: OptionalUser,
    Form(request): Form<EmailRequest>,
) -> Result<HttpResponse, ApiError> {
    recovery.resend_activation(&request.email).await?;
    Ok(HttpResponse::NoContent().finish())
}
