//! The HTTP side of authentication: finding a credential in a request, verifying it into a
//! [`Principal`](crate::tokens::Principal), and the extractors handlers put in their
//! signatures.

mod authenticator;
mod credential;
mod django_verifier;
mod extractors;
mod jwt_verifier;
mod key_verifier;
mod permissions;

pub use authenticator::Authenticator;
pub use extractors::{AuthenticatedUser, CurrentUser, OptionalUser};
pub use permissions::{
    GroupName, InGroup, IsAdminUser, IsAuthenticatedOrReadOnly, Permission, Permitted,
};
