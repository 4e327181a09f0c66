//! The replay cache: each DPoP proof is accepted once (RFC 9449 §11.1), on any instance.
//!
//! Shared state is the point, so the stores are Redis (`SET NX PX`, when
//! `throttle.redis_url` is set) or the database (an insert that a primary key makes atomic).
//! The memory store is for an app that validates tokens with no database (a library user's
//! single process); bouncer itself never uses it.
//!
//! Keys are a SHA-256 of the key's thumbprint and the proof's `jti`: bounded in size whatever
//! the client sent, and a `jti` chosen by one client cannot block another's.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};

use crate::db::{Db, dpop_proofs};
use crate::error::ApiError;
use crate::tokens::VerifiedProof;

/// Past this many remembered proofs the memory store drops its expired ones.
const MEMORY_PRUNE_AT: usize = 100_000;

#[derive(Clone)]
pub enum ReplayCache {
    Redis {
        connection: ConnectionManager,
        prefix: String,
        timeout: Duration,
    },
    Database(Db),
    Memory(Arc<Mutex<HashMap<[u8; 32], i64>>>),
}

impl fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Redis { .. } => "ReplayCache::Redis",
            Self::Database(_) => "ReplayCache::Database",
            Self::Memory(_) => "ReplayCache::Memory",
        })
    }
}

impl ReplayCache {
    /// Redis at `url` (connected lazily, like the throttle's store), keys under `prefix`.
    pub fn redis(url: &str, prefix: &str, timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("throttle.redis_url: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("throttle.redis_url: {e}"))?;
        Ok(Self::Redis {
            connection,
            prefix: format!("{prefix}dpop:"),
            timeout,
        })
    }

    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    /// `true` the first time a proof is seen; it is then remembered until `expires_at`.
    /// A store that cannot answer is a 503: accepting the proof unchecked would let a
    /// captured one be replayed while Redis or the database is down.
    pub async fn first_use(
        &self,
        proof: &VerifiedProof,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, ApiError> {
        let mut hasher = Sha256::new();
        hasher.update(proof.jkt.as_bytes());
        hasher.update(proof.jti.as_bytes());
        let key: [u8; 32] = hasher.finalize().into();
        match self {
            Self::Redis {
                connection,
                prefix,
                timeout,
            } => {
                let ttl_ms = expires_at.saturating_sub(now).max(1).saturating_mul(1000);
                let mut connection = connection.clone();
                let mut command = redis::cmd("SET");
                command
                    .arg(format!("{prefix}{}", hex::encode(key)))
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms);
                let set = command.query_async::<Option<String>>(&mut connection);
                match tokio::time::timeout(*timeout, set).await {
                    Ok(Ok(answer)) => Ok(answer.is_some()),
                    Ok(Err(e)) => Err(ApiError::Unavailable(format!("DPoP replay cache: {e}"))),
                    Err(_) => Err(ApiError::Unavailable(
                        "DPoP replay cache: Redis did not answer in time".into(),
                    )),
                }
            }
            Self::Database(db) => {
                let key = hex::encode(key);
                Ok(db
                    .write(move |conn| dpop_proofs::record_proof(conn, &key, expires_at))
                    .await?)
            }
            Self::Memory(seen) => {
                let mut seen = seen.lock();
                if seen.len() >= MEMORY_PRUNE_AT {
                    seen.retain(|_, until| *until >= now);
                }
                match seen.get(&key) {
                    Some(until) if *until >= now => Ok(false),
                    _ => {
                        seen.insert(key, expires_at);
                        Ok(true)
                    }
                }
            }
        }
    }
}
