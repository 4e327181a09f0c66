//! The HTTP side of authentication: finding a credential in a request, verifying it into a
//! [`Principal`](crate::tokens::Principal), and the extractors handlers put in their
//! signatures.

mod authenticator;
mod credential;
mod django_verifier;
mod dpop_endpoint;
mod dpop_request;
mod extractors;
mod jwt_verifier;
mod key_verifier;
mod permissions;
mod rights_lookup;

pub use authenticator::Authenticator;
pub(crate) use authenticator::{dpop_guard, replay_cache};
pub use dpop_endpoint::{current_nonce, token_endpoint_key};
pub use extractors::{AuthenticatedUser, CurrentUser, OptionalUser};
pub use permissions::{
    GroupName, InGroup, IsAdminUser, IsAuthenticatedOrReadOnly, Permission, Permitted,
};
