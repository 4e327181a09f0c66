//! Device sessions: the list a user (or staff, or the command line) sees, and ending one or
//! all of them. Ending goes through the revoker, so it takes effect at once on every instance.

use super::revoker::Revoker;
use crate::audit::AuditEvent;
use crate::clock;
use crate::db::Db;
use crate::db::sessions::{self, SessionRow};
use crate::error::ApiError;
use crate::metrics::RevocationCause;
use crate::tokens::SessionId;

#[derive(Debug, Clone)]
pub struct Sessions {
    pub(super) db: Db,
    revoker: Revoker,
}

impl Sessions {
    pub fn new(db: Db, revoker: Revoker) -> Self {
        Self { db, revoker }
    }

    /// The user's live sessions, newest first.
    pub async fn list(&self, user_id: i64) -> Result<Vec<SessionRow>, ApiError> {
        let now = clock::now();
        Ok(self
            .db
            .run(move |conn| sessions::live_of_user(conn, user_id, now))
            .await?)
    }

    /// Ends the live session `sid` of `user_id`; 404 when the user has no such session (it is
    /// another user's, unknown, or over), so ids of others' sessions cannot be probed.
    /// `by`: who asked (the user, staff, or `None`: the command line).
    pub async fn end(&self, user_id: i64, sid: SessionId, by: Option<i64>) -> Result<(), ApiError> {
        let live = self.list(user_id).await?;
        if !live.iter().any(|s| s.sid == sid) {
            return Err(ApiError::NotFound);
        }
        self.revoker.end_session(sid, user_id).await?;
        self.revoker
            .metrics
            .revoked(RevocationCause::by(by, user_id));
        AuditEvent::new("session.ended")
            .field("user_id", user_id)
            .field("sid", sid.to_string())
            .field_opt("by", by)
            .emit();
        Ok(())
    }

    /// Ends every session of the user; how many there were.
    pub async fn end_all(&self, user_id: i64, by: Option<i64>) -> Result<usize, ApiError> {
        let ended = self.revoker.end_sessions(user_id, None).await?;
        self.revoker
            .metrics
            .revoked(RevocationCause::by(by, user_id));
        AuditEvent::new("session.ended_all")
            .field("user_id", user_id)
            .field("sessions_ended", ended)
            .field_opt("by", by)
            .emit();
        Ok(ended)
    }
}
