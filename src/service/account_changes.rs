//! Changes to an existing account (djoser's user views): listing and editing users, deleting
//! them, setting a password or username. Each change that takes rights away voids the user's
//! earlier credentials at once, on every instance; granting staff reaches them at once (see
//! `revoker.rs`).

use super::accounts::{Accounts, USERNAME_TAKEN};
use crate::audit::AuditEvent;
use crate::credentials::{REQUIRED, normalize_username, validate_password};
use crate::db::UserChange;
use crate::db::models::User;
use crate::db::users::{self, UserChanges};
use crate::error::ApiError;
use crate::metrics::RevocationCause;
use crate::tokens::{Principal, SessionId};

/// djoser's answer to a wrong `current_password`.
pub const INVALID_PASSWORD: &str = "Invalid password.";

impl Accounts {
    /// Every user for staff; only themselves for anyone else (djoser's `GET /auth/users/`).
    pub async fn list(&self, caller: &User) -> Result<Vec<User>, ApiError> {
        if !caller.is_staff {
            return Ok(vec![caller.clone()]);
        }
        Ok(self.db.run(users::list).await?)
    }

    /// The user `id` as `caller` may see it: another user's id is a 404 to non-staff.
    pub async fn get(&self, caller: &User, id: i64) -> Result<User, ApiError> {
        if id == caller.id {
            return Ok(caller.clone());
        }
        if !caller.is_staff {
            return Err(ApiError::NotFound);
        }
        self.db
            .run(move |conn| users::find_by_id(conn, id))
            .await?
            .ok_or(ApiError::NotFound)
    }

    /// Applies `changes` to user `id`. Non-staff may change their own e-mail only (other
    /// fields are read-only for them, and ignored as DRF ignores read-only fields). Losing
    /// `is_staff` or `is_active` voids the user's earlier credentials; gaining `is_staff`
    /// gives it to them.
    pub async fn update(
        &self,
        caller: &User,
        id: i64,
        mut changes: UserChanges,
    ) -> Result<User, ApiError> {
        let before = self.get(caller, id).await?;
        if !caller.is_staff {
            changes.is_active = None;
            changes.is_staff = None;
        }
        let after = self
            .db
            .write(move |conn| users::update(conn, id, &changes))
            .await?
            .ok_or(ApiError::NotFound)?;
        let deactivated = before.is_active && !after.is_active;
        if deactivated {
            self.revoker.void_user(id, UserChange::Deactivated).await?;
            self.revoker.metrics.revoked(RevocationCause::Deactivated);
            AuditEvent::new("user.deactivated")
                .field("user_id", id)
                .field("by", caller.id)
                .emit();
        }
        if !before.is_staff && after.is_staff {
            AuditEvent::new("user.staff_granted")
                .field("user_id", id)
                .field("by", caller.id)
                .emit();
        }
        if before.is_staff != after.is_staff {
            // After the deactivation's void, if any: the recorded rights never lift it, and
            // its reason (`user_inactive`) is kept rather than replaced by a second void.
            let lost = before.is_staff && !deactivated;
            self.revoker.rights_changed(id, lost).await?;
        }
        if before.is_staff && !after.is_staff {
            AuditEvent::new("user.staff_removed")
                .field("user_id", id)
                .field("by", caller.id)
                .emit();
        }
        Ok(after)
    }

    /// Deletes user `id`. Non-staff may delete only themselves, with their current password
    /// (djoser); staff need none. Every credential of the user stops at once.
    pub async fn delete(
        &self,
        caller: &User,
        id: i64,
        current_password: Option<String>,
    ) -> Result<(), ApiError> {
        let target = self.get(caller, id).await?;
        if !caller.is_staff || id == caller.id {
            let password =
                current_password.ok_or_else(|| ApiError::field("current_password", REQUIRED))?;
            self.check_current_password(&target, password).await?;
        }
        let deleted = self.db.write(move |conn| users::delete(conn, id)).await?;
        if !deleted {
            return Err(ApiError::NotFound);
        }
        self.revoker.void_user(id, UserChange::Deleted).await?;
        self.revoker.metrics.revoked(RevocationCause::Deleted);
        AuditEvent::new("user.deleted")
            .field("user_id", id)
            .field("by", caller.id)
            .emit();
        Ok(())
    }

    /// djoser's `set_password`: the current password must be right and the new one pass the
    /// validators. Every other session of the user ends; the caller's stays.
    pub async fn set_password(
        &self,
        caller: &User,
        principal: &Principal,
        current_password: String,
        new_password: String,
    ) -> Result<(), ApiError> {
        self.check_current_password(caller, current_password)
            .await?;
        let problems = validate_password(&new_password, &caller.username, &caller.email);
        if !problems.is_empty() {
            return Err(ApiError::Validation(
                [("new_password".to_owned(), problems)].into(),
            ));
        }
        self.store_password(caller.id, new_password).await?;
        let ended = self
            .revoker
            .end_sessions(caller.id, Some(principal.session_id))
            .await?;
        self.revoker
            .metrics
            .revoked(RevocationCause::PasswordChange);
        AuditEvent::new("password.change")
            .field("user_id", caller.id)
            .field("sid", principal.session_id.to_string())
            .field("sessions_ended", ended)
            .emit();
        Ok(())
    }

    /// Hashes and stores a new password (already validated).
    pub(super) async fn store_password(
        &self,
        user_id: i64,
        password: String,
    ) -> Result<(), ApiError> {
        let hash = self.hasher.hash(password).await?;
        let stored = self
            .db
            .write(move |conn| users::set_password(conn, user_id, &hash))
            .await?;
        if stored {
            Ok(())
        } else {
            Err(ApiError::UserNotFound)
        }
    }

    /// Ends every session of the user (a password reset: whoever held them may be the reason).
    pub async fn end_every_session(&self, user_id: i64) -> Result<usize, ApiError> {
        self.revoker.end_sessions(user_id, None::<SessionId>).await
    }

    /// djoser's `set_username`: the current password must be right; the new name follows the
    /// registration rules.
    pub async fn set_username(
        &self,
        caller: &User,
        current_password: String,
        new_username: &str,
    ) -> Result<(), ApiError> {
        let username = normalize_username(new_username).map_err(|messages| {
            ApiError::Validation([("new_username".to_owned(), messages)].into())
        })?;
        self.check_current_password(caller, current_password)
            .await?;
        let id = caller.id;
        let renamed = self
            .db
            .write(move |conn| users::set_username(conn, id, &username))
            .await?;
        match renamed {
            Ok(true) => {
                self.revoker.end_devices(id).await;
                AuditEvent::new("username.change")
                    .field("user_id", id)
                    .emit();
                Ok(())
            }
            Ok(false) => Err(ApiError::UserNotFound),
            Err(_taken) => Err(ApiError::field("new_username", USERNAME_TAKEN)),
        }
    }

    /// djoser's `current_password` check: 400 `{"current_password": ["Invalid password."]}`.
    pub async fn check_current_password(
        &self,
        user: &User,
        password: String,
    ) -> Result<(), ApiError> {
        let stored = Some(user.password.clone());
        if self.hasher.verify(password, stored).await? {
            Ok(())
        } else {
            Err(ApiError::field("current_password", INVALID_PASSWORD))
        }
    }
}
