//! What storage reports: its own small error, never an HTTP status. The caller's error type
//! decides what a client sees (`crate::error` maps `Unavailable` to 503).

/// A query or a connection failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// The database is unreachable, overloaded or locked right now: load or an outage, worth
    /// retrying, never a bug.
    #[error("{0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken schema.
    #[error("database: {0}")]
    Failed(String),
}

impl From<diesel::result::Error> for StorageError {
    fn from(e: diesel::result::Error) -> Self {
        if is_transient(&e) {
            Self::Unavailable(e.to_string())
        } else {
            Self::Failed(e.to_string())
        }
    }
}

impl From<diesel::r2d2::PoolError> for StorageError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(format!("no database connection: {e}"))
    }
}

/// Errors that mean "the database is unreachable, overloaded or locked right now". Neither
/// SQLite nor diesel gives these a kind of their own, so the server's wording is matched.
fn is_transient(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    const TRANSIENT_MESSAGES: &[&str] = &[
        "database is locked",           // SQLite: busy_timeout ran out
        "database is busy",             // SQLite
        "canceling statement due to",   // PostgreSQL: statement or lock timeout
        "terminating connection",       // PostgreSQL: shutdown, idle timeout
        "server closed the connection", // libpq: connection lost
        "connection to server",         // libpq: cannot reach the server
        "could not receive data",       // libpq
        "could not send data",          // libpq
        "no connection to the server",  // libpq
        "the database system is",       // PostgreSQL starting up or shutting down
    ];
    match e {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::SerializationFailure,
            _,
        ) => true,
        Error::DatabaseError(_, info) => {
            let message = info.message();
            TRANSIENT_MESSAGES.iter().any(|m| message.contains(m))
        }
        _ => false,
    }
}

/// Why the database could not be opened at start, worded for the operator: it names the
/// `database_url` setting but never prints the password.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The URL itself is unusable: a configuration mistake.
    #[error("{0}")]
    Setting(String),
    /// The database could not be opened, configured or migrated.
    #[error("{0}")]
    Unavailable(String),
}
