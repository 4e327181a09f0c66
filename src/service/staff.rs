//! What staff do to other users through the admin page (`src/admin/`), beyond what djoser's
//! staff endpoints already offer: find users, set a password without knowing the old one,
//! list a group's members and recent revocations, and check the admin page's own session.

use super::accounts::Accounts;
use super::memberships::Memberships;
use super::sessions::Sessions;
use super::token_service::{TokenService, body_error};
use crate::audit::AuditEvent;
use crate::clock;
use crate::credentials::{canonical_username, validate_password};
use crate::db::listings::{self, Members, RevokedSession};
use crate::db::models::User;
use crate::db::{tokens, users};
use crate::error::ApiError;
use crate::tokens::{SessionId, TokenError};

impl Accounts {
    /// The user `id`, if there is one (staff see every user).
    pub async fn find(&self, id: i64) -> Result<Option<User>, ApiError> {
        Ok(self.db.run(move |conn| users::find_by_id(conn, id)).await?)
    }

    /// The user named `username` (as typed: compared in canonical form), if any.
    pub async fn find_by_username(&self, username: &str) -> Result<Option<User>, ApiError> {
        let lookup = canonical_username(username);
        Ok(self
            .db
            .run(move |conn| users::find_by_username(conn, &lookup))
            .await?)
    }

    /// Users whose username or e-mail contains `query`; at most `limit`.
    pub async fn search(&self, query: &str, limit: i64) -> Result<Vec<User>, ApiError> {
        let query = query.to_owned();
        Ok(self
            .db
            .run(move |conn| listings::search_users(conn, &query, limit))
            .await?)
    }

    /// Staff set user `user_id`'s password (Django admin's "change password" form): it must
    /// pass the password validators (errors under `field`); every session of the user ends,
    /// as after a reset, since whoever held them may be why it was changed. How many ended.
    pub async fn set_password_by_staff(
        &self,
        by: i64,
        user_id: i64,
        password: String,
        field: &str,
    ) -> Result<usize, ApiError> {
        let user = self.find(user_id).await?.ok_or(ApiError::NotFound)?;
        let problems = validate_password(&password, &user.username, &user.email);
        if !problems.is_empty() {
            return Err(ApiError::Validation([(field.to_owned(), problems)].into()));
        }
        self.store_password(user_id, password).await?;
        let ended = self.end_every_session(user_id).await?;
        AuditEvent::new("password.set_by_staff")
            .field("user_id", user_id)
            .field("by", by)
            .field("sessions_ended", ended)
            .emit();
        Ok(ended)
    }
}

impl Memberships {
    /// The group's stored name and members (id, username), at most `limit`; `None` when there
    /// is no such group.
    pub async fn members(&self, group: &str, limit: i64) -> Result<Option<Members>, ApiError> {
        let group = group.to_owned();
        Ok(self
            .db
            .run(move |conn| listings::group_members(conn, &group, limit))
            .await?)
    }

    /// The names of the user's groups.
    pub async fn groups_of(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        let rights = self
            .db
            .run(move |conn| crate::db::groups::rights_of(conn, user_id))
            .await?;
        Ok(rights.map(|r| r.groups).unwrap_or_default())
    }
}

impl Sessions {
    /// The newest session revocations still in force; at most `limit`.
    pub async fn recent_revocations(&self, limit: i64) -> Result<Vec<RevokedSession>, ApiError> {
        let now = clock::now();
        Ok(self
            .db
            .run(move |conn| listings::recent_revocations(conn, now, limit))
            .await?)
    }
}

impl TokenService {
    /// The user and session of a refresh token held by the admin page's cookie, if the token
    /// is bouncer's, unexpired, not blacklisted, and neither its session nor its user's
    /// credentials of its age are revoked. Stricter than a refresh: any change that voided
    /// the user's credentials (a password change, losing staff) ends the admin session too.
    pub async fn live_session(&self, token: &str) -> Result<(i64, SessionId), ApiError> {
        let claims = self
            .keys
            .verify_refresh(token, clock::now())
            .map_err(body_error)?;
        let revoked = self.revocations.check_credential(
            claims.jti,
            claims.sid,
            claims.user_id,
            claims.issued_at_ms(),
        );
        if revoked.is_some() {
            return Err(body_error(TokenError::Blacklisted));
        }
        let jti = claims.jti;
        let blacklisted = self
            .db
            .run(move |conn| tokens::is_blacklisted(conn, jti))
            .await?;
        if blacklisted {
            return Err(body_error(TokenError::Blacklisted));
        }
        Ok((claims.user_id, claims.sid))
    }
}
