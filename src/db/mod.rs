//! Storage: the connection pool, migrations, and query modules whose functions take
//! `&mut DbConn` and return diesel's `QueryResult` (or [`StorageError`]). Nothing here knows
//! about HTTP or the service's error type.
//!
//! Writes go through [`Db::write`]: on SQLite one writer thread runs every write transaction
//! of the process with group commit (`writer.rs`), so no request waits in SQLite's busy
//! handler; reads use the pool.
//!
//! Queries are written once and compiled per backend (SQLite or PostgreSQL) through
//! `on_backend!`: diesel's `MultiConnection` would be tidier but supports no `ON CONFLICT`,
//! which single-use rotation depends on. Where the SQL differs, `BackendOps` says so.

mod backend;
mod batch;
mod conn;
mod connect;
mod error;
mod listener;
pub mod models;
mod notify;
mod pool;
mod revocation_batch;
mod rotation_batch;
mod schema;
mod url;
mod writer;

pub mod cleanup;
pub mod dpop_proofs;
pub mod groups;
pub mod import;
pub mod keys;
pub mod legacy_tokens;
pub mod listings;
pub mod mfa;
pub mod rights;
pub mod rotation;
pub mod sessions;
pub mod signing_keys;
pub mod tokens;
pub mod users;

pub use error::{ConnectError, StorageError};
pub use listener::RevocationListener;
pub use notify::{RevocationNotice, RightsChange, UserChange, UserRevocation};
pub use pool::Db;
pub use url::{Backend, DatabaseUrl};
