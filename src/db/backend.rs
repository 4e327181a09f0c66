//! The few operations whose SQL differs between SQLite and PostgreSQL, as one trait that both
//! connection types implement. Everything else is written once in diesel's DSL.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::sqlite::SqliteConnection;

use super::notify::{REVOCATION_CHANNEL, RevocationNotice};

/// Advisory-lock keys (PostgreSQL), arbitrary but fixed: "bouncer" in ASCII, plus a purpose.
pub const MIGRATION_LOCK: i64 = 0x626f_756e_6365_0001;
pub const CLEANUP_LOCK: i64 = 0x626f_756e_6365_0002;
pub const KEY_ROTATION_LOCK: i64 = 0x626f_756e_6365_0003;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

pub trait BackendOps: Connection {
    /// Announces a revocation to other instances when the current transaction commits.
    fn announce_revocation(&mut self, notice: RevocationNotice) -> QueryResult<()>;

    /// Takes the session-level lock `key` if free; true when taken (always on SQLite, which
    /// serves one instance).
    fn try_lock(&mut self, key: i64) -> QueryResult<bool>;

    fn unlock(&mut self, key: i64) -> QueryResult<()>;
}

impl BackendOps for SqliteConnection {
    fn announce_revocation(&mut self, _notice: RevocationNotice) -> QueryResult<()> {
        Ok(())
    }

    fn try_lock(&mut self, _key: i64) -> QueryResult<bool> {
        Ok(true)
    }

    fn unlock(&mut self, _key: i64) -> QueryResult<()> {
        Ok(())
    }
}

impl BackendOps for PgConnection {
    /// NOTIFY is transactional: listeners hear of it only if, and once, the revocation commits.
    fn announce_revocation(&mut self, notice: RevocationNotice) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_notify($1, $2)")
            .bind::<Text, _>(REVOCATION_CHANNEL)
            .bind::<Text, _>(notice.to_string())
            .execute(self)
            .map(drop)
    }

    fn try_lock(&mut self, key: i64) -> QueryResult<bool> {
        diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
            .bind::<BigInt, _>(key)
            .get_result::<Locked>(self)
            .map(|row| row.locked)
    }

    fn unlock(&mut self, key: i64) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_unlock($1) AS locked")
            .bind::<BigInt, _>(key)
            .get_result::<Locked>(self)
            .map(drop)
    }
}

/// Blocks until the migration lock is held: instances starting together against an empty
/// database queue here, the first migrates and the others find nothing left to do.
pub fn lock_for_migrations(conn: &mut PgConnection) -> QueryResult<()> {
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
}
