//! The extractors. Putting one in a handler's signature *is* the access rule:
//!
//! - [`AuthenticatedUser`]: a valid, unrevoked credential. No database round trip.
//! - [`CurrentUser`]: the same plus the user's row, refused when the user is gone or inactive.
//! - [`OptionalUser`]: open routes; no credentials is fine, bad credentials are still a 401,
//!   as DRF authenticates eagerly.
//!
//! Each needs a `web::Data<Authenticator>` in the app (`CurrentUser` also `web::Data<Db>`);
//! see `examples/protect_routes.rs`.

use std::future::{Future, Ready, ready};
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::Either;

use super::authenticator::{Authentication, Authenticator, revoked};
use crate::audit::AuditEvent;
use crate::clock;
use crate::db::models::User;
use crate::db::{Db, UserChange, users};
use crate::error::{ApiError, KeyProblem};
use crate::http::request_audit::RequestFields;
use crate::http::throttling::{ThrottleStep, throttle};
use crate::revocation::StrictCheck;
use crate::tokens::{AuthMethod, Principal};

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;
/// Memory-mode checks finish synchronously and allocate nothing; strict mode needs the database.
pub(super) type Outcome<T> = Either<Ready<Result<T, ApiError>>, Boxed<T>>;

/// Authenticates the request, turns the principal (`None`: no credentials for us) into `T`
/// (the permission check), then counts the request against its throttles: DRF's order, so a
/// 401 or 403 is never counted.
pub(super) fn authenticate_then<T: 'static>(
    req: &HttpRequest,
    finish: impl FnOnce(Option<Principal>) -> Result<T, ApiError> + 'static,
) -> Outcome<T> {
    let Some(auth) = req.app_data::<web::Data<Authenticator>>() else {
        return Either::Left(ready(Err(ApiError::Internal(
            "web::Data<Authenticator> is not registered".into(),
        ))));
    };
    let finish = audit_denial(req.clone(), finish);
    let now = clock::now();
    match (auth.authenticate(req, now), auth.strict_check()) {
        (Authentication::Ready(Ok(Some(principal))), Some(strict)) => {
            let (strict, req) = (strict.clone(), req.clone());
            Either::Right(Box::pin(async move {
                check_strictly(&strict, &principal).await?;
                permit_then_throttle(&req, Some(principal), finish).await
            }))
        }
        (Authentication::Ready(result), _) => {
            let permitted = result.and_then(|principal| {
                let user_id = principal.as_ref().map(|p| p.user_id);
                finish(principal).map(|value| (value, user_id))
            });
            match permitted {
                Err(e) => Either::Left(ready(Err(e))),
                Ok((value, user_id)) => match throttle(req, user_id) {
                    ThrottleStep::Done(result) => Either::Left(ready(result.map(|()| value))),
                    ThrottleStep::Pending(check) => {
                        Either::Right(Box::pin(async move { check.await.map(|()| value) }))
                    }
                },
            }
        }
        (Authentication::Lookup(lookup), _) => {
            let (auth, req) = (auth.clone(), req.clone());
            Either::Right(Box::pin(async move {
                let principal = auth.lookup_key(lookup, now).await?;
                if let Some(strict) = auth.strict_check() {
                    check_strictly(strict, &principal).await?;
                }
                permit_then_throttle(&req, Some(principal), finish).await
            }))
        }
    }
}

/// `finish`, writing a `permission.denied` audit line when it refuses an authenticated caller
/// (a 403; a 401 is not a denial but a missing or bad credential).
fn audit_denial<T>(
    req: HttpRequest,
    finish: impl FnOnce(Option<Principal>) -> Result<T, ApiError>,
) -> impl FnOnce(Option<Principal>) -> Result<T, ApiError> {
    move |principal| {
        let user_id = principal.as_ref().map(|p| p.user_id);
        let outcome = finish(principal);
        if let Err(ApiError::PermissionDenied) = &outcome {
            AuditEvent::warning("permission.denied")
                .field_opt("user_id", user_id)
                .request(&req)
                .emit();
        }
        outcome
    }
}

/// The permission check, then the throttles, for a caller found asynchronously.
async fn permit_then_throttle<T>(
    req: &HttpRequest,
    principal: Option<Principal>,
    finish: impl FnOnce(Option<Principal>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let user_id = principal.as_ref().map(|p| p.user_id);
    let value = finish(principal)?;
    match throttle(req, user_id) {
        ThrottleStep::Done(result) => result.map(|()| value),
        ThrottleStep::Pending(check) => check.await.map(|()| value),
    }
}

/// `revocation_check = "strict"`: the database's word on the credential as well.
async fn check_strictly(strict: &StrictCheck, principal: &Principal) -> Result<(), ApiError> {
    let sid = principal.session_id;
    let jti = match principal.method {
        AuthMethod::AccessToken { jti, .. } => jti,
        // A logged-out key's session is revoked; it has no jti of its own.
        AuthMethod::Key => sid,
    };
    let verdict = strict
        .check(jti, sid, principal.user_id, principal.issued_at_ms)
        .await?;
    let Err(change) = verdict else {
        return Ok(());
    };
    Err(match (principal.method, change) {
        (AuthMethod::Key, Some(_)) => ApiError::InvalidKey(KeyProblem::UserInactiveOrDeleted),
        (AuthMethod::Key, None) => ApiError::InvalidKey(KeyProblem::Invalid),
        (_, Some(UserChange::Deactivated)) => ApiError::UserInactive,
        (_, Some(UserChange::Deleted)) => ApiError::UserNotFound,
        (_, _) => revoked(),
    })
}

/// A request carrying a valid, unrevoked credential. Derefs to the [`Principal`], so
/// `user.user_id` reads as it always has.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser(pub Principal);

impl Deref for AuthenticatedUser {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.0
    }
}

impl FromRequest for AuthenticatedUser {
    type Error = ApiError;
    type Future = Outcome<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        authenticate_then(req, |principal| {
            principal.map(Self).ok_or(ApiError::NotAuthenticated)
        })
    }
}

/// No credentials, or valid ones; invalid credentials are refused even on open routes.
#[derive(Debug, Clone)]
pub struct OptionalUser(pub Option<AuthenticatedUser>);

impl FromRequest for OptionalUser {
    type Error = ApiError;
    type Future = Outcome<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        authenticate_then(req, |principal| {
            Ok(OptionalUser(principal.map(AuthenticatedUser)))
        })
    }
}

/// An authenticated request whose user still exists and is active.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub principal: Principal,
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = AuthenticatedUser::from_request(req, payload);
        let db = req.app_data::<web::Data<Db>>().cloned();
        Box::pin(async move {
            let AuthenticatedUser(principal) = authenticated.await?;
            let db =
                db.ok_or_else(|| ApiError::Internal("web::Data<Db> is not registered".into()))?;
            let user_id = principal.user_id;
            let user = db
                .run(move |conn| users::find_by_id(conn, user_id))
                .await?
                .ok_or(ApiError::UserNotFound)?;
            if !user.is_active {
                return Err(ApiError::UserInactive);
            }
            Ok(Self { user, principal })
        })
    }
}
