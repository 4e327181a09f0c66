//! Revocation: the in-memory list every authenticated request consults, its synchronisation
//! with the database (and so with other instances), and the strict per-request check.

mod list;
mod strict;
pub mod sync;
mod user_entries;

pub use list::{RevocationList, Revoked};
pub use strict::StrictCheck;

/// How long an instance trusts a cached opaque key before reading it again. The revocation of
/// a key, or of its user's credentials, is kept in memory at least this long after it is
/// made, so every cache that could still hold the key has seen it.
pub const KEY_RECHECK_AFTER_MS: i64 = 5 * 60 * 1000;
