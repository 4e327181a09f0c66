//! `revocation_check = "strict"`: asking the database on every request, for operators who
//! accept one query per authenticated request in exchange for no propagation delay at all.

use crate::db::{Db, StorageError, UserChange, tokens, users};
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

    /// The database's word on a credential: `Err(None)` revoked (token or session),
    /// `Err(Some(change))` void after a change to its user, `Ok` fine. One round trip.
    pub async fn check(
        &self,
        jti: TokenId,
        sid: SessionId,
        user_id: i64,
        issued_at_ms: i64,
    ) -> Result<Result<(), Option<UserChange>>, StorageError> {
        self.db
            .run(move |conn| {
                if tokens::is_revoked(conn, jti, sid)? {
                    return Ok(Err(None));
                }
                let change = users::user_change_since(conn, user_id, issued_at_ms)?;
                Ok::<_, diesel::result::Error>(change.map_or(Ok(()), |change| Err(Some(change))))
            })
            .await
    }
}
