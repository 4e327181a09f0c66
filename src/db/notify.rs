//! The payload of a revocation announced to other instances (PostgreSQL `NOTIFY`):
//! `t <jti> <until>` or `s <sid> <until>`, `until` being the expiry without leeway.
//! Storage writes it inside the revoking transaction; the revocation sync reads it.

use diesel::pg::PgConnection;
use diesel::prelude::*;

use super::pool::Db;
use crate::tokens::{SessionId, TokenId};

/// The channel revocations are announced on.
pub const REVOCATION_CHANNEL: &str = "bouncer_revocations";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationNotice {
    Token { jti: TokenId, until: i64 },
    Session { sid: SessionId, until: i64 },
}

impl std::fmt::Display for RevocationNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token { jti, until } => write!(f, "t {jti} {until}"),
            Self::Session { sid, until } => write!(f, "s {sid} {until}"),
        }
    }
}

impl std::str::FromStr for RevocationNotice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(' ');
        let (Some(kind), Some(id), Some(until), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("malformed revocation announcement {s:?}"));
        };
        let until = until.parse().map_err(|_| format!("bad expiry in {s:?}"))?;
        let id = TokenId::parse(id).ok_or_else(|| format!("bad id in {s:?}"))?;
        match kind {
            "t" => Ok(Self::Token { jti: id, until }),
            "s" => Ok(Self::Session { sid: id, until }),
            _ => Err(format!("unknown kind in {s:?}")),
        }
    }
}

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

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
