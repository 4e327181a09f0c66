//! Rows as Rust types.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{blacklisted_tokens, outstanding_tokens, revoked_sessions, users};

#[derive(Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub password: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub date_joined: NaiveDateTime,
    pub last_login: Option<NaiveDateTime>,
}

/// Never print the password hash.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_active", &self.is_active)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub date_joined: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = outstanding_tokens)]
pub struct NewOutstandingToken {
    pub jti: String,
    pub user_id: i64,
    pub sid: String,
    pub token_type: &'static str,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Insertable)]
#[diesel(table_name = blacklisted_tokens)]
pub struct NewBlacklistedToken {
    pub jti: String,
    pub token_type: &'static str,
    pub expires_at: i64,
    pub blacklisted_at: i64,
    /// For a rotated refresh token: its successor's jti and that refresh's access token's
    /// (the grace window re-signs them).
    pub successor_jti: Option<String>,
    pub successor_access_jti: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = revoked_sessions)]
pub struct NewRevokedSession {
    pub sid: String,
    pub user_id: i64,
    pub expires_at: i64,
    pub revoked_at: i64,
}
