//! Password hashing off the async workers, with a bound on concurrent hashes.
//!
//! bcrypt is deliberately slow (about 0.25 s at cost 12). Each hash runs on the blocking pool,
//! and a semaphore admits at most `max_concurrent_hashes` at once, so a login flood queues
//! behind the permits instead of occupying every thread and starving token validation.

use std::sync::Arc;

use actix_web::web;
use tokio::sync::Semaphore;

use super::password;
use crate::error::ApiError;

pub struct PasswordHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so that costs the same as a wrong
    /// password and response timing does not reveal which accounts exist.
    dummy_hash: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

/// One permit per core by default: more concurrent hashes only add queueing inside the kernel.
pub fn default_concurrency(configured: usize) -> usize {
    if configured > 0 {
        configured
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

impl PasswordHasher {
    /// Computes the dummy hash at the configured cost (one hash of work, on the blocking pool).
    pub async fn new(cost: u32, max_concurrent: usize) -> Result<Self, ApiError> {
        let dummy_hash =
            web::block(move || password::hash_password("bouncer-dummy-password", cost))
                .await?
                .map_err(|e| ApiError::Internal(format!("bcrypt: {e}")))?;
        Ok(Self {
            cost,
            permits: Arc::new(Semaphore::new(default_concurrency(max_concurrent))),
            dummy_hash,
        })
    }

    pub async fn hash(&self, plain: String) -> Result<String, ApiError> {
        let cost = self.cost;
        let _permit = self.permit().await?;
        web::block(move || password::hash_password(&plain, cost))
            .await?
            .map_err(|e| ApiError::Internal(format!("bcrypt: {e}")))
    }

    /// `stored` is `None` for an unknown user: the dummy hash is checked and `false` returned.
    pub async fn verify(&self, plain: String, stored: Option<String>) -> Result<bool, ApiError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let _permit = self.permit().await?;
        let matches = web::block(move || password::verify_password(&plain, &hash)).await?;
        Ok(known && matches)
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        self.permits
            .acquire()
            .await
            .map_err(|_| ApiError::Internal("hash semaphore closed".into()))
    }
}
