//! djoser's e-mail flows: password reset and account activation.
//!
//! Tokens are made by `credentials::OneTimeTokens` (nothing stored; single-use because they are
//! bound to the password hash, last login and active flag) and mailed as links built from the
//! `[mail]` templates. The request endpoints answer 204 whatever the address, after the same
//! work (one indexed lookup; mail goes out in the background), so they reveal nothing.

use crate::audit::AuditEvent;
use crate::clock;
use crate::credentials::{
    OneTimeTokens, Purpose, UserState, decode_uid, encode_uid, validate_password,
};
use crate::db::models::User;
use crate::db::{Db, users};
use crate::error::ApiError;
use crate::mail::{Mailer, Message};
use crate::metrics::RevocationCause;

use super::accounts::Accounts;

/// djoser's messages.
pub const INVALID_UID: &str = "Invalid user id or user doesn't exist.";
pub const INVALID_TOKEN: &str = "Invalid token for given user.";
pub const STALE_TOKEN: &str = "Stale token for given user.";

/// How sign-up goes: djoser's `SEND_ACTIVATION_EMAIL`.
#[derive(Debug, Clone, Copy)]
pub struct Signup {
    pub send_activation_email: bool,
}

#[derive(Debug, Clone)]
pub struct Recovery {
    db: Db,
    accounts: Accounts,
    mailer: Mailer,
    tokens: OneTimeTokens,
}

fn state(user: &User) -> UserState<'_> {
    UserState {
        user_id: user.id,
        password_hash: &user.password,
        last_login: user.last_login.map(|t| t.and_utc().timestamp()),
        is_active: user.is_active,
        email: &user.email,
    }
}

impl Recovery {
    pub fn new(db: Db, accounts: Accounts, mailer: Mailer, tokens: OneTimeTokens) -> Self {
        Self {
            db,
            accounts,
            mailer,
            tokens,
        }
    }

    async fn users_with_email(&self, email: &str) -> Result<Vec<User>, ApiError> {
        let email = email.trim().to_owned();
        if email.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .db
            .run(move |conn| users::find_by_email(conn, &email))
            .await?)
    }

    /// Mails a reset link to every active user with this address; nothing to anyone else.
    pub async fn request_reset(&self, email: &str) -> Result<(), ApiError> {
        for user in self.users_with_email(email).await? {
            if !user.is_active {
                continue;
            }
            let token = self
                .tokens
                .make(Purpose::PasswordReset, &state(&user), clock::now());
            let link = self
                .mailer
                .links()
                .password_reset(&encode_uid(user.id), &token);
            self.mailer
                .send(Message::password_reset(&user.email, &user.username, &link));
            AuditEvent::new("password.reset_requested")
                .field("user_id", user.id)
                .emit();
        }
        Ok(())
    }

    /// The user a uid names, or djoser's 400 under `uid`.
    async fn user_of(&self, uid: &str) -> Result<User, ApiError> {
        let invalid = || ApiError::field("uid", INVALID_UID);
        let id = decode_uid(uid).ok_or_else(invalid)?;
        self.db
            .run(move |conn| users::find_by_id(conn, id))
            .await?
            .ok_or_else(invalid)
    }

    /// Sets a new password with a reset token; every session of the user ends.
    pub async fn confirm_reset(
        &self,
        uid: &str,
        token: &str,
        new_password: String,
    ) -> Result<(), ApiError> {
        let user = self.user_of(uid).await?;
        let valid = user.is_active
            && self
                .tokens
                .check(Purpose::PasswordReset, &state(&user), token, clock::now());
        if !valid {
            return Err(ApiError::field("token", INVALID_TOKEN));
        }
        let problems = validate_password(&new_password, &user.username, &user.email);
        if !problems.is_empty() {
            return Err(ApiError::Validation(
                [("new_password".to_owned(), problems)].into(),
            ));
        }
        self.accounts.store_password(user.id, new_password).await?;
        let ended = self.accounts.end_every_session(user.id).await?;
        self.accounts
            .revoker
            .metrics
            .revoked(RevocationCause::PasswordReset);
        AuditEvent::new("password.reset")
            .field("user_id", user.id)
            .field("sessions_ended", ended)
            .emit();
        Ok(())
    }

    /// Mails an activation link to a user who just registered inactive.
    pub fn send_activation(&self, user: &User) {
        let token = self
            .tokens
            .make(Purpose::Activation, &state(user), clock::now());
        let link = self.mailer.links().activation(&encode_uid(user.id), &token);
        self.mailer
            .send(Message::activation(&user.email, &user.username, &link));
    }

    /// Mails a new activation link to every inactive user with this address.
    pub async fn resend_activation(&self, email: &str) -> Result<(), ApiError> {
        for user in self.users_with_email(email).await? {
            if !user.is_active {
                self.send_activation(&user);
            }
        }
        Ok(())
    }

    /// Activates the user an activation token was made for.
    pub async fn activate(&self, uid: &str, token: &str) -> Result<(), ApiError> {
        let user = self.user_of(uid).await?;
        if user.is_active {
            // djoser's answer to a token used twice (the account is already active).
            return Err(ApiError::Forbidden(STALE_TOKEN));
        }
        if !self
            .tokens
            .check(Purpose::Activation, &state(&user), token, clock::now())
        {
            return Err(ApiError::field("token", INVALID_TOKEN));
        }
        let id = user.id;
        self.db.write(move |conn| users::activate(conn, id)).await?;
        AuditEvent::new("account.activated")
            .field("user_id", id)
            .emit();
        Ok(())
    }
}
