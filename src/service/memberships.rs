//! Group membership (Django's groups, the tutorial's `Manager`): adding and removing users,
//! listing groups. Either records the user's new rights for their earlier credentials, which
//! an addition reaches at once (as in Django); a removal also voids them, as they carried the
//! group.

use super::revoker::Revoker;
use crate::audit::AuditEvent;
use crate::db::{Db, groups};
use crate::error::ApiError;

#[derive(Debug, Clone)]
pub struct Memberships {
    pub(super) db: Db,
    revoker: Revoker,
}

impl Memberships {
    pub fn new(db: Db, revoker: Revoker) -> Self {
        Self { db, revoker }
    }

    /// Adds (`member`) or removes user `user_id` to or from `group`; the group is created on
    /// first add. The group's stored name, or `None` when removing from a group that does
    /// not exist. `by`: the staff user making the change (`None`: the command line).
    pub async fn set(
        &self,
        group: String,
        user_id: i64,
        member: bool,
        by: Option<i64>,
    ) -> Result<Option<String>, ApiError> {
        let event = |name| {
            AuditEvent::new(name)
                .field("user_id", user_id)
                .field_opt("by", by)
        };
        if member {
            let (name, added) = self
                .db
                .write(move |conn| groups::add_user(conn, &group, user_id))
                .await?;
            if added {
                event("group.add").field("group", &name).emit();
            }
            // Recorded even when the user was a member already: a retry then completes a
            // grant whose recording failed after its commit.
            self.revoker.rights_changed(user_id, false).await?;
            return Ok(Some(name));
        }
        let lookup = group.clone();
        let removed = self
            .db
            .write(move |conn| groups::remove_user(conn, &lookup, user_id))
            .await?;
        if removed == Some(true) {
            self.revoker.rights_changed(user_id, true).await?;
            event("group.remove").field("group", &group).emit();
        }
        Ok(removed.map(|_| group))
    }

    /// Every group and its number of members.
    pub async fn list(&self) -> Result<Vec<(String, i64)>, ApiError> {
        Ok(self.db.run(groups::list).await?)
    }
}
