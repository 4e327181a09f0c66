//! Deleting rows of tokens that have expired, in bounded batches.
//!
//! Runs periodically in every instance and from `bouncer flush-expired-tokens`. On PostgreSQL
//! a session advisory lock lets one instance clean at a time; the others skip that round.
//! Each batch is its own short statement, so clean-up never holds locks for long.

use diesel::prelude::*;

use super::backend::{BackendOps, CLEANUP_LOCK};
use super::pool::{DbConn, on_backend};
use super::schema::{blacklisted_tokens, outstanding_tokens, revoked_sessions};

/// Deletes rows of `$table` with `expires_at < $before`, `$batch` keys per statement.
macro_rules! delete_in_batches {
    ($c:ident, $table:ident, $key:ident: $key_type:ty, $before:expr, $batch:expr) => {{
        let mut deleted = 0;
        loop {
            let keys: Vec<$key_type> = $table::table
                .filter($table::expires_at.lt($before))
                .select($table::$key)
                .limit($batch)
                .load($c)?;
            if keys.is_empty() {
                break;
            }
            deleted +=
                diesel::delete($table::table.filter($table::$key.eq_any(&keys))).execute($c)?;
            if keys.len() < $batch as usize {
                break;
            }
        }
        deleted
    }};
}

/// Rows deleted, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    pub outstanding: usize,
    pub blacklisted: usize,
    pub sessions: usize,
}

impl Flushed {
    pub fn total(&self) -> usize {
        self.outstanding + self.blacklisted + self.sessions
    }
}

/// Deletes rows whose tokens expired before `before` (callers pass now minus leeway), `batch`
/// rows per statement. `None` when another instance holds the clean-up lock.
pub fn flush_expired(conn: &mut DbConn, before: i64, batch: i64) -> QueryResult<Option<Flushed>> {
    on_backend!(conn, c => {
        if !c.try_lock(CLEANUP_LOCK)? {
            return Ok(None);
        }
        let result = (|| {
            Ok::<_, diesel::result::Error>(Flushed {
                outstanding: delete_in_batches!(c, outstanding_tokens, id: i64, before, batch),
                blacklisted: delete_in_batches!(c, blacklisted_tokens, id: i64, before, batch),
                sessions: delete_in_batches!(c, revoked_sessions, sid: String, before, batch),
            })
        })();
        c.unlock(CLEANUP_LOCK)?;
        result.map(Some)
    })
}
