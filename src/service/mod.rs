//! The use cases behind the endpoints and the command line. Each service holds exactly the
//! parts it needs (the database, the keys, the revocation list, the hashing pool), given to
//! it at start-up, and answers in [`crate::error::ApiError`].

mod accounts;
mod issue;
mod token_service;

pub use accounts::{Accounts, NewAccount};
pub use issue::issue_sessions;
pub use token_service::{RotationPolicy, TokenPair, TokenService};
