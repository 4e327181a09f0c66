//! `revocation_check = "strict"`: asking the database on every request, for operators who
//! accept one query per authenticated request in exchange for no propagation delay at all.

use crate::db::{Db, StorageError, tokens};
use crate::tokens::{SessionId, TokenId};

#[derive(Debug, Clone)]
pub struct StrictCheck {
    db: Db,
}

impl StrictCheck {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Whether the token `jti` or its session `sid` is revoked, according to the database.
    pub async fn is_revoked(&self, jti: TokenId, sid: SessionId) -> Result<bool, StorageError> {
        self.db
            .run(move |conn| tokens::is_revoked(conn, jti, sid))
            .await
    }
}
