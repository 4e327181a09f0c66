//! Deleting rows of tokens that have expired, in bounded batches.
//!
//! Runs periodically in every instance and from `bouncer flush-expired-tokens`. Each round
//! deletes at most `batch` rows from each table with one short statement per table, so
//! clean-up never holds locks for long: on SQLite every round is a job of the single writer,
//! so requests' writes slot in between rounds; on PostgreSQL a session advisory lock lets one
//! instance clean at a time and the others skip that round.

use diesel::prelude::*;

use super::backend::{BackendOps, CLEANUP_LOCK};
use super::conn::on_backend;
use super::error::StorageError;
use super::pool::Db;
use super::schema::{
    auth_keys, blacklisted_tokens, dpop_proofs, outstanding_tokens, revoked_sessions, sessions,
    user_revocations, user_rights,
};
use super::url::Backend;

/// Deletes up to `$batch` rows of `$table` with `expires_at < $before`; the number deleted.
macro_rules! delete_batch {
    ($c:ident, $table:ident, $key:ident: $key_type:ty, $before:expr, $batch:expr) => {{
        let keys: Vec<$key_type> = $table::table
            .filter($table::expires_at.lt($before))
            .select($table::$key)
            .limit($batch)
            .load($c)?;
        if keys.is_empty() {
            0
        } else {
            diesel::delete($table::table.filter($table::$key.eq_any(&keys))).execute($c)?
        }
    }};
}

/// Rows deleted, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub outstanding: usize,
    pub blacklisted: usize,
    pub sessions: usize,
    /// User revocations, rights changes, expired `Token` keys and used DPoP proof ids.
    pub users_and_keys: usize,
}

impl Flushed {
    pub fn total(&self) -> usize {
        self.outstanding + self.blacklisted + self.sessions + self.users_and_keys
    }

    fn add(&mut self, round: Flushed) {
        self.outstanding += round.outstanding;
        self.blacklisted += round.blacklisted;
        self.sessions += round.sessions;
        self.users_and_keys += round.users_and_keys;
    }

    /// Whether some table gave a full batch, so more rows may be waiting.
    fn maybe_more(&self, batch: i64) -> bool {
        let full = |n: usize| i64::try_from(n).unwrap_or(i64::MAX) >= batch;
        full(self.outstanding)
            || full(self.blacklisted)
            || full(self.sessions)
            || full(self.users_and_keys)
    }
}

/// One round: at most `batch` rows from each table. Expanded inside `on_backend!`.
macro_rules! one_round {
    ($c:ident, $before:expr, $batch:expr) => {
        Ok::<_, diesel::result::Error>(Flushed {
            outstanding: delete_batch!($c, outstanding_tokens, id: i64, $before, $batch),
            blacklisted: delete_batch!($c, blacklisted_tokens, id: i64, $before, $batch),
            sessions: delete_batch!($c, revoked_sessions, sid: String, $before, $batch),
            users_and_keys: delete_batch!($c, user_revocations, user_id: i64, $before, $batch)
                + delete_batch!($c, user_rights, user_id: i64, $before, $batch)
                + delete_batch!($c, auth_keys, id: i64, $before, $batch)
                + delete_batch!($c, sessions, sid: String, $before, $batch)
                + delete_batch!($c, dpop_proofs, proof_key: String, $before, $batch),
        })
    };
}

/// Deletes rows whose tokens expired before `before` (callers pass now minus leeway), `batch`
/// rows per statement. `None` when another instance holds the clean-up lock (PostgreSQL).
pub fn flush_expired(db: &Db, before: i64, batch: i64) -> Result<Option<Flushed>, StorageError> {
    let mut flushed = Flushed::default();
    if db.backend() == Backend::Sqlite {
        loop {
            let round = db
                .write_blocking(move |conn| on_backend!(conn, c => one_round!(c, before, batch)))?;
            flushed.add(round);
            if !round.maybe_more(batch) {
                return Ok(Some(flushed));
            }
        }
    }
    let mut conn = db.get()?;
    on_backend!(&mut conn, c => {
        if !c.try_lock(CLEANUP_LOCK)? {
            return Ok(None);
        }
        let result = (|| loop {
            let round = one_round!(c, before, batch)?;
            flushed.add(round);
            if !round.maybe_more(batch) {
                return Ok::<_, diesel::result::Error>(flushed);
            }
        })();
        c.unlock(CLEANUP_LOCK)?;
        Ok(Some(result?))
    })
}
