//! Credentials as values: usernames, e-mail addresses, passwords and opaque keys: Django's field rules and
//! password validators, the Django hash format, and the pool that runs bcrypt off the async
//! workers. Imports nothing else from the crate.

mod api_key;
mod csrf;
mod device_token;
mod django_formats;
mod django_hash;
mod hashing_pool;
mod one_time_token;
mod purpose_key;
mod totp;
mod validators;

pub use api_key::{generate_key, is_well_formed, key_digest, key_fingerprint, key_hash};
pub use csrf::CsrfProofs;
pub use device_token::{DeviceClaims, DeviceTokenKey, MAX_DEVICE_TOKEN};
pub use django_formats::HashFormat;
pub use django_hash::classify as classify_hash;
pub use hashing_pool::{HashingError, HashingPool};
pub use one_time_token::{OneTimeTokens, Purpose, UserState, decode_uid, encode_uid};
pub use purpose_key::PurposeKey;
pub use totp::{TotpSecret, generate_recovery_codes, is_totp_code, qr_svg, recovery_code_hash};
pub use validators::{
    BLANK, REQUIRED, canonical_username, normalize_username, validate_email, validate_password,
};
