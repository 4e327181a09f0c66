//! Queries on `signing_keys`: the key ring every instance shares (see `keyring/`). Changes
//! are announced (`k` on PostgreSQL) so other instances reload their ring at once.

use diesel::prelude::*;

use super::backend::BackendOps;
use super::conn::{DbConn, on_backend};
use super::notify::RevocationNotice;
use super::schema::signing_keys;

/// A stored key, its private part still sealed.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct StoredSigningKey {
    pub kid: String,
    pub algorithm: String,
    pub sealed_key: String,
    pub state: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub verify_until: Option<i64>,
}

/// Every key, oldest first.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<StoredSigningKey>> {
    on_backend!(conn, c => signing_keys::table
        .order((signing_keys::created_at, signing_keys::kid))
        .load(c))
}

/// Stores a new key and announces it. A second active key violates the unique index.
pub fn insert(conn: &mut DbConn, key: &StoredSigningKey) -> QueryResult<()> {
    on_backend!(conn, c => c.transaction(|c| {
        diesel::insert_into(signing_keys::table).values(key).execute(c)?;
        c.announce_revocation(RevocationNotice::Keys)
    }))
}

/// What a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotated {
    /// `activated` signs from now on; `retired` verifies until `verify_until`.
    Done {
        activated: String,
        retired: Option<String>,
    },
    /// No next key has been published long enough; the oldest one (if any) and when it is.
    NotReady { oldest_next: Option<(String, i64)> },
}

/// Makes the oldest next key published at or before `published_by` active and retires the
/// active key until `verify_until`; drops retired keys whose tokens have all expired.
pub fn rotate(
    conn: &mut DbConn,
    now: i64,
    published_by: i64,
    verify_until: i64,
) -> QueryResult<Rotated> {
    on_backend!(conn, c => c.transaction(|c| {
        let oldest: Option<(String, i64)> = signing_keys::table
            .filter(signing_keys::state.eq("next"))
            .order((signing_keys::created_at, signing_keys::kid))
            .select((signing_keys::kid, signing_keys::created_at))
            .first(c)
            .optional()?;
        let Some((kid, _)) = oldest.clone().filter(|(_, at)| *at <= published_by) else {
            return Ok(Rotated::NotReady { oldest_next: oldest });
        };
        let retired: Option<String> = diesel::update(
            signing_keys::table.filter(signing_keys::state.eq("active")),
        )
        .set((
            signing_keys::state.eq("retired"),
            signing_keys::retired_at.eq(now),
            signing_keys::verify_until.eq(verify_until),
        ))
        .returning(signing_keys::kid)
        .get_result(c)
        .optional()?;
        // Conditional: of two rotations racing for this key, one activates it, the other
        // changes nothing and rolls back.
        let activated = diesel::update(
            signing_keys::table
                .filter(signing_keys::kid.eq(&kid))
                .filter(signing_keys::state.eq("next")),
        )
        .set((signing_keys::state.eq("active"), signing_keys::activated_at.eq(now)))
        .execute(c)?;
        if activated != 1 {
            return Err(diesel::result::Error::RollbackTransaction);
        }
        diesel::delete(
            signing_keys::table
                .filter(signing_keys::state.eq("retired"))
                .filter(signing_keys::verify_until.lt(now)),
        )
        .execute(c)?;
        c.announce_revocation(RevocationNotice::Keys)?;
        Ok(Rotated::Done { activated: kid, retired })
    }))
}

/// What retiring a key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retired {
    /// A next key, which never signed anything: deleted.
    Withdrawn,
    /// A retired key: it stops verifying now (e.g. it leaked).
    Ended,
    /// The active key: rotate first.
    IsActive,
    NotFound,
}

/// Takes key `kid` out of service now.
pub fn retire(conn: &mut DbConn, kid: &str, now: i64) -> QueryResult<Retired> {
    on_backend!(conn, c => c.transaction(|c| {
        let state: Option<String> = signing_keys::table
            .filter(signing_keys::kid.eq(kid))
            .select(signing_keys::state)
            .first(c)
            .optional()?;
        let outcome = match state.as_deref() {
            None => return Ok(Retired::NotFound),
            Some("active") => return Ok(Retired::IsActive),
            Some("next") => {
                diesel::delete(signing_keys::table.filter(signing_keys::kid.eq(kid))).execute(c)?;
                Retired::Withdrawn
            }
            Some(_) => {
                diesel::update(signing_keys::table.filter(signing_keys::kid.eq(kid)))
                    // A key verifies while `now <= verify_until`: ended, this second included.
                    .set(signing_keys::verify_until.eq(now - 1))
                    .execute(c)?;
                Retired::Ended
            }
        };
        c.announce_revocation(RevocationNotice::Keys)?;
        Ok(outcome)
    }))
}

/// Runs `job` while `conn` holds the key-rotation lock, so one instance at a time rotates on
/// schedule; `None` when another instance holds it (SQLite serves one instance: always free).
/// The job may use other connections: the lock is the session's, not a transaction's.
pub fn with_rotation_lock<T>(conn: &mut DbConn, job: impl FnOnce() -> T) -> QueryResult<Option<T>> {
    let key = super::backend::KEY_ROTATION_LOCK;
    if !on_backend!(conn, c => c.try_lock(key))? {
        return Ok(None);
    }
    let result = job();
    on_backend!(conn, c => c.unlock(key))?;
    Ok(Some(result))
}
