//! The use cases behind the endpoints and the command line. Each service holds exactly the
//! parts it needs (the database, the keys, the revocation list, the hashing pool), given to
//! it at start-up, and answers in [`crate::error::ApiError`].

mod account_changes;
mod accounts;
mod api_keys;
mod custom_claims;
mod devices;
mod django_import;
mod issue;
mod legacy_tokens;
mod logins;
mod memberships;
mod mfa;
mod mfa_challenge;
mod recovery;
mod revoker;
mod sessions;
mod staff;
mod token_ending;
mod token_service;

pub use accounts::{Accounts, NewAccount};
pub use api_keys::ApiKeys;
pub use custom_claims::{ClaimsHook, ExtraClaims};
pub use devices::{Bound, DeviceTokens, IssuedDevice, command_line_device_ends, device_tokens};
pub use django_import::{ImportOptions, import_django};
pub use issue::issue_sessions;
pub use logins::{bad_credentials, bad_link, guarded};
pub use memberships::Memberships;
pub use mfa::{Mfa, SecondFactor};
pub use recovery::{Recovery, Signup};
pub use revoker::Revoker;
pub use sessions::Sessions;
pub use token_service::{ClientInfo, LogoutScope, RotationPolicy, TokenPair, TokenService};
