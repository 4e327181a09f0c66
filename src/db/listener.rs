//! The connection that receives revocations announced by other instances (PostgreSQL
//! `LISTEN`); what a notice says is in `notify.rs`. Apart from it because it needs the pool's
//! URL, while the notices are plain values that the write paths (`backend.rs`) also use.

use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::notify::{REVOCATION_CHANNEL, RevocationNotice};
use super::pool::Db;

/// A dedicated PostgreSQL connection that `LISTEN`s on [`REVOCATION_CHANNEL`]. Outside the
/// pool: a pooled connection would be handed to other work between drains.
pub struct RevocationListener {
    conn: PgConnection,
}

impl RevocationListener {
    /// Connects and starts listening; notifications committed from now on are delivered.
    pub fn connect(db: &Db) -> Result<Self, String> {
        let mut conn = PgConnection::establish(db.url()).map_err(|e| e.to_string())?;
        diesel::sql_query(format!("LISTEN {REVOCATION_CHANNEL}"))
            .execute(&mut conn)
            .map_err(|e| e.to_string())?;
        Ok(Self { conn })
    }

    /// Hands every notification received so far to `apply`; malformed payloads are logged
    /// and skipped. An error means the connection is gone.
    pub fn drain(&mut self, mut apply: impl FnMut(RevocationNotice)) -> Result<(), String> {
        for notification in self.conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            match notification.payload.parse() {
                Ok(notice) => apply(notice),
                Err(e) => log::warn!("revocation sync: ignoring {e}"),
            }
        }
        Ok(())
    }

    /// Proves the connection alive: a silent peer is otherwise only noticed by keepalives.
    pub fn ping(&mut self) -> Result<(), String> {
        diesel::sql_query("SELECT 1")
            .execute(&mut self.conn)
            .map(drop)
            .map_err(|e| e.to_string())
    }
}
