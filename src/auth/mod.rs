//! Tokens, passwords and the request extractors that protect routes.

mod claims;
pub mod extractor;
pub mod hasher;
pub mod jwt;
pub mod password;
pub mod revocation;
pub mod secret;
pub mod sessions;
pub mod sync;
pub mod validators;

pub use extractor::{AuthenticatedUser, Authenticator, CurrentUser, OptionalUser};
