//! Credentials as values: usernames, e-mail addresses and passwords: Django's field rules and
//! password validators, the Django hash format, and the pool that runs bcrypt off the async
//! workers. Imports nothing else from the crate.

mod django_hash;
mod hashing_pool;
mod validators;

pub use hashing_pool::{HashingError, HashingPool};
pub use validators::{
    BLANK, canonical_username, normalize_username, validate_email, validate_password,
};
