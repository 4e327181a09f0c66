//! DPoP proof ids already used (`dpop_proofs`), for instances that share no Redis.

use diesel::prelude::*;

use super::conn::{DbConn, on_backend};
use super::schema::dpop_proofs;

/// Records a proof's key until `expires_at`; `true` when it was new, `false` when a row was
/// already there (a replay). One statement: the primary key makes it atomic across
/// instances, so two concurrent uses of one proof cannot both be new.
pub fn record_proof(conn: &mut DbConn, proof_key: &str, expires_at: i64) -> QueryResult<bool> {
    let row = (
        dpop_proofs::proof_key.eq(proof_key),
        dpop_proofs::expires_at.eq(expires_at),
    );
    let inserted = on_backend!(conn, c => diesel::insert_into(dpop_proofs::table)
        .values(row)
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}
