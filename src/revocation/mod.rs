//! Revocation: the in-memory list every authenticated request consults, its synchronisation
//! with the database (and so with other instances), and the strict per-request check.

mod list;
mod strict;
pub mod sync;

pub use list::RevocationList;
pub use strict::StrictCheck;
