//! Typed, layered settings: `config/default.toml` (compiled in) -> `--config FILE` -> `BOUNCER_*`.
//!
//! Every key is documented in `config/default.toml`; unknown keys are refused so a typo in an
//! environment variable stops start-up instead of being silently ignored.
//!
//! The keys are flat on purpose: they mirror simplejwt's `SIMPLE_JWT` setting names
//! (`ACCESS_TOKEN_LIFETIME` is `access_token_lifetime`), so a Django project's settings carry
//! over one to one. They are grouped by feature below and validated per feature in
//! `validate.rs`. New features add a nested table (`[throttle]`, `[mail]`, `[cors]` ...) as a
//! struct field of their own, with its own validation function there.
//! Layout: `schema.rs` the typed struct, `mail.rs` the `[mail]` table, `cors.rs` the `[cors]`
//! table, `lists.rs` list-valued keys, `load.rs` the layering, `validate.rs` the checks,
//! `secret.rs` the redacting secret type, `secret_strength.rs` the guessable-secret check,
//! `secret_denylist.rs` published secrets, `signing.rs` the key sources and their checks,
//! `access_claims.rs` the user fields access tokens carry, `throttle.rs` the `[throttle]` table,
//! `refresh_cookie.rs` the `[refresh_cookie]` table and its checks, `admin.rs` the `[admin]`
//! table, `django_tokens.rs` the
//! `[django_tokens]` table (Django's tokens at cut-over), `dpop.rs` the `[dpop]` table,
//! `error.rs` the error, `mfa.rs` the `[mfa]` table (two-factor login).

mod access_claims;
mod admin;
mod cors;
mod device_tokens;
mod django_tokens;
mod dpop;
mod error;
mod lists;
mod load;
mod mail;
mod mfa;
mod refresh_cookie;
mod schema;
mod secret;
mod secret_denylist;
mod secret_strength;
mod signing;
mod signing_checks;
mod throttle;
mod validate;

pub use access_claims::AccessClaim;
pub use cors::CorsSettings;
pub use device_tokens::DeviceTokenSettings;
pub use django_tokens::{DjangoAlgorithm, warnings as django_tokens_warnings};
pub use dpop::DpopSettings;
pub use error::SettingsError;
pub use load::LoadOptions;
pub use mail::{MailSettings, SmtpSecurity};
pub use mfa::MfaSettings;
pub use refresh_cookie::{SameSite, cookie_mode_warnings};
pub use schema::{AuditFormat, LogFormat, RevocationCheck, Settings, SigningAlgorithm};
pub use secret::{Secret, signing_secret_problem};
pub use signing::SigningKeySource;
pub use throttle::{Algorithm, Rate, StoreFailure, ThrottleSettings, parse_rate};

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "refresh_cookie_tests.rs"]
mod refresh_cookie_tests;

#[cfg(test)]
#[path = "device_tokens_tests.rs"]
mod device_tokens_tests;
#[cfg(test)]
#[path = "dpop_tests.rs"]
mod dpop_tests;
