//! Permission extractors, DRF's permission classes as types. Each authenticates first (no
//! credentials: 401), then decides from the principal's rights as the credential carries them
//! (not allowed: 403), so no database round trip (an access token minted without its rights
//! claims gets its user's rights from `rights_lookup.rs`, cached):
//!
//! - `IsAdminUser`: `is_staff`;
//! - `InGroup<G>`: a member of the group `G::NAME` (declare one with `bouncer::group!`);
//! - `IsAuthenticatedOrReadOnly`: anyone for GET, HEAD and OPTIONS, authenticated otherwise;
//! - `Permitted<P>`: any rule written as a `Permission`.
//!
//! A user who loses staff or a group has their earlier credentials voided at once (a user
//! revocation), so a token never proves rights its user no longer has.

use std::marker::PhantomData;
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::Method;
use actix_web::{FromRequest, HttpRequest};

use super::extractors::{AuthenticatedUser, Outcome, authenticate_then};
use crate::error::ApiError;
use crate::tokens::Principal;

/// A rule on an authenticated principal.
pub trait Permission: 'static {
    fn allows(principal: &Principal) -> bool;
}

/// A named group, for [`InGroup`].
pub trait GroupName: 'static {
    const NAME: &'static str;
}

/// Declares a group type for [`InGroup`]: `bouncer::group!(Manager, "Manager");`.
#[macro_export]
macro_rules! group {
    ($type:ident, $name:expr) => {
        #[derive(Debug, Clone, Copy)]
        pub struct $type;
        impl $crate::GroupName for $type {
            const NAME: &'static str = $name;
        }
    };
}

/// An authenticated request that `P` allows.
#[derive(Debug, Clone)]
pub struct Permitted<P> {
    pub user: AuthenticatedUser,
    rule: PhantomData<P>,
}

impl<P> Deref for Permitted<P> {
    type Target = Principal;

    fn deref(&self) -> &Principal {
        &self.user
    }
}

impl<P: Permission> FromRequest for Permitted<P> {
    type Error = ApiError;
    type Future = Outcome<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        authenticate_then(req, |principal| {
            let principal = principal.ok_or(ApiError::NotAuthenticated)?;
            if !P::allows(&principal) {
                return Err(ApiError::PermissionDenied);
            }
            Ok(Self {
                user: AuthenticatedUser(principal),
                rule: PhantomData,
            })
        })
    }
}

/// DRF's `IsAdminUser`: staff only.
#[derive(Debug, Clone, Copy)]
pub struct Staff;

impl Permission for Staff {
    fn allows(principal: &Principal) -> bool {
        principal.rights.is_staff
    }
}

pub type IsAdminUser = Permitted<Staff>;

/// Members of the group `G`.
#[derive(Debug, Clone, Copy)]
pub struct Member<G>(PhantomData<G>);

impl<G: GroupName> Permission for Member<G> {
    fn allows(principal: &Principal) -> bool {
        principal.rights.in_group(G::NAME)
    }
}

pub type InGroup<G> = Permitted<Member<G>>;

/// DRF's `IsAuthenticatedOrReadOnly`: safe methods for anyone (a bad credential is still a
/// 401, as DRF authenticates eagerly), the others for authenticated callers only.
#[derive(Debug, Clone)]
pub struct IsAuthenticatedOrReadOnly(pub Option<AuthenticatedUser>);

impl FromRequest for IsAuthenticatedOrReadOnly {
    type Error = ApiError;
    type Future = Outcome<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let read_only = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        authenticate_then(req, move |principal| match principal {
            Some(principal) => Ok(Self(Some(AuthenticatedUser(principal)))),
            None if read_only => Ok(Self(None)),
            None => Err(ApiError::NotAuthenticated),
        })
    }
}

#[cfg(test)]
#[path = "permissions_tests.rs"]
mod tests;
