//! Opaque `Token` keys (DRF authtoken, djoser's token login): one per login, so each device
//! has its own and logging one out leaves the others. The key is shown once; only its SHA-256
//! is stored.

use super::token_service::ClientInfo;
use crate::audit::AuditEvent;
use crate::clock;
use crate::credentials::{generate_key, key_fingerprint, key_hash};
use crate::db::keys::{self, NewKey};
use crate::db::sessions::{self, NewSession, SessionKind};
use crate::db::{Db, models::User, users};
use crate::error::ApiError;
use crate::tokens::SessionId;

#[derive(Debug, Clone)]
pub struct ApiKeys {
    db: Db,
    /// `token_key_lifetime`: `None` for keys that never expire (DRF's behaviour).
    lifetime: Option<i64>,
}

impl ApiKeys {
    pub fn new(db: Db, lifetime: Option<i64>) -> Self {
        Self { db, lifetime }
    }

    /// Creates a key for `user` (whose credentials were just checked), used from `client`,
    /// and returns it.
    pub async fn create(&self, user: &User, client: ClientInfo) -> Result<String, ApiError> {
        let key = generate_key()
            .map_err(|e| ApiError::Internal(format!("no randomness for a key: {e}")))?;
        let now = clock::now();
        let sid = SessionId::generate().to_string();
        let row = NewKey {
            key_hash: key_hash(&key),
            sid: sid.clone(),
            user_id: user.id,
            created_at: now,
            expires_at: self.lifetime.map(|lifetime| now.saturating_add(lifetime)),
        };
        let (user_id, login_at) = (user.id, clock::now_utc());
        let session = NewSession {
            sid: sid.clone(),
            user_id,
            kind: SessionKind::Key.as_str(),
            user_agent: client.user_agent,
            address: client.address,
            created_at: now,
            last_used_at: now,
            expires_at: row.expires_at,
        };
        self.db
            .write(move |conn| {
                keys::insert(conn, &row)?;
                sessions::insert(conn, &session)?;
                users::record_login(conn, user_id, login_at)
            })
            .await?;
        AuditEvent::new("key.created")
            .field("user_id", user.id)
            .field("key", key_fingerprint(&key))
            .field("sid", sid)
            .emit();
        Ok(key)
    }
}
