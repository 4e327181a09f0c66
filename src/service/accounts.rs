//! Accounts: registration (djoser's `POST /auth/users/`), checking a password at log-in, and
//! editing the current user.

use std::sync::Arc;

use super::revoker::Revoker;
use crate::audit::AuditEvent;
use crate::clock;
use crate::credentials::{
    BLANK, HashFormat, HashingPool, canonical_username, classify_hash, normalize_username,
    validate_email, validate_password,
};
use crate::db::models::{NewUser, User};
use crate::db::{Db, import, users};
use crate::error::{ApiError, FieldErrors};

/// djoser's answer when the unique index refuses a username.
pub const USERNAME_TAKEN: &str = "A user with that username already exists.";

/// A registration that passed every rule: normalised username and e-mail, acceptable password.
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl NewAccount {
    /// Applies djoser's field rules and Django's password validators to fields already read,
    /// adding every failure to `errors` under its field (DRF reports all fields at once). An
    /// empty username or password has already been reported as missing or blank by whoever
    /// read it, so it is skipped here.
    pub fn check(
        raw_username: &str,
        raw_email: &str,
        password: String,
        errors: &mut FieldErrors,
    ) -> Self {
        let mut add = |field: &str, messages: Vec<String>| {
            if !messages.is_empty() {
                errors.entry(field.to_owned()).or_default().extend(messages);
            }
        };
        let username = if raw_username.is_empty() {
            String::new()
        } else {
            normalize_username(raw_username).unwrap_or_else(|messages| {
                add("username", messages);
                String::new()
            })
        };
        let email = validate_email(raw_email).unwrap_or_else(|messages| {
            add("email", messages);
            String::new()
        });
        if !password.is_empty() {
            add("password", validate_password(&password, &username, &email));
        }
        Self {
            username,
            email,
            password,
        }
    }

    /// The same rules for callers that hold plain strings (the command line): a blank
    /// username or password is an error too.
    pub fn from_strings(username: &str, email: &str, password: String) -> Result<Self, ApiError> {
        let mut errors = FieldErrors::new();
        if canonical_username(username).is_empty() {
            errors.insert("username".into(), vec![BLANK.into()]);
        }
        if password.is_empty() {
            errors.insert("password".into(), vec![BLANK.into()]);
        }
        let username = if errors.contains_key("username") {
            ""
        } else {
            username
        };
        let account = Self::check(username, email, password, &mut errors);
        if errors.is_empty() {
            Ok(account)
        } else {
            Err(ApiError::Validation(errors))
        }
    }
}

/// Users and their passwords. Changes to an existing user are in `account_changes.rs`.
#[derive(Debug, Clone)]
pub struct Accounts {
    pub(super) db: Db,
    pub(super) hasher: Arc<HashingPool>,
    pub(super) revoker: Revoker,
}

impl Accounts {
    pub fn new(db: Db, hasher: Arc<HashingPool>, revoker: Revoker) -> Self {
        Self {
            db,
            hasher,
            revoker,
        }
    }

    /// Stores a new user with a freshly hashed password; a taken username is a field error.
    pub async fn register(&self, account: NewAccount, staff: bool) -> Result<User, ApiError> {
        self.create(account, staff, true).await
    }

    /// Stores a new user who stays inactive until they activate (`send_activation_email`).
    pub async fn register_inactive(&self, account: NewAccount) -> Result<User, ApiError> {
        self.create(account, false, false).await
    }

    async fn create(
        &self,
        account: NewAccount,
        staff: bool,
        active: bool,
    ) -> Result<User, ApiError> {
        let hash = self.hasher.hash(account.password).await?;
        let NewAccount {
            username, email, ..
        } = account;
        let created = self
            .db
            .write(move |conn| {
                users::create(
                    conn,
                    &NewUser {
                        username: &username,
                        email: &email,
                        password: &hash,
                        is_active: active,
                        is_staff: staff,
                        is_superuser: staff,
                        date_joined: clock::now_utc(),
                    },
                )
            })
            .await?;
        let user = created.map_err(|_taken| ApiError::field("username", USERNAME_TAKEN))?;
        AuditEvent::new("user.registered")
            .field("user_id", user.id)
            .field("active", user.is_active)
            .field("staff", user.is_staff)
            .emit();
        Ok(user)
    }

    /// The active user with these credentials. Unknown users, wrong passwords and inactive
    /// accounts get the same answer after the same bcrypt work (no enumeration by timing).
    ///
    /// A hash in a format that cannot be verified (Django's MD5/SHA-1 or unsalted ones,
    /// unusable `!` passwords) is checked like an unknown user's, against the dummy hash, so
    /// it costs the same and fails. A Django hash bouncer can verify is, on success, replaced
    /// by bouncer's own (see `upgrade_hash`).
    pub async fn check_credentials(
        &self,
        username: &str,
        password: String,
    ) -> Result<User, ApiError> {
        let username = canonical_username(username);
        let user = self
            .db
            .run(move |conn| users::find_by_username(conn, &username))
            .await?;
        let format = user.as_ref().map(|u| classify_hash(&u.password));
        if let (Some(user), Some(HashFormat::Refused)) = (&user, format) {
            // Never the hash itself: only who must reset and why.
            log::warn!(
                "user {} has a password hash in an unsalted or MD5/SHA-1 format, which bouncer \
                 refuses: the user must reset their password",
                user.id
            );
        }
        let verifiable = matches!(format, Some(HashFormat::Bouncer | HashFormat::Upgradable));
        let stored = user
            .as_ref()
            .filter(|_| verifiable)
            .map(|u| u.password.clone());
        let upgrade = (format == Some(HashFormat::Upgradable)).then(|| password.clone());
        let password_ok = self.hasher.verify(password, stored).await?;
        match user {
            Some(user) if password_ok && user.is_active => {
                if let Some(plain) = upgrade {
                    self.upgrade_hash(&user, plain).await?;
                }
                Ok(user)
            }
            _ => Err(ApiError::InvalidCredentials),
        }
    }

    /// Re-hashes a just-verified password from an imported Django format to bouncer's, in the
    /// same write that records the login, and only if the stored hash is still the one
    /// verified: a password change committed meanwhile is never overwritten, and of two
    /// concurrent first logins one rewrites the hash while the other simply logs in.
    async fn upgrade_hash(&self, user: &User, plain: String) -> Result<(), ApiError> {
        let new = self.hasher.hash(plain).await?;
        let (id, old, login_at) = (user.id, user.password.clone(), clock::now_utc());
        let upgraded = self
            .db
            .write(move |conn| import::upgrade_password(conn, id, &old, &new, login_at))
            .await?;
        if upgraded {
            AuditEvent::new("password.upgraded")
                .field("user_id", id)
                .emit();
        }
        Ok(())
    }

    /// Changes the e-mail address; `UserNotFound` if the user vanished meanwhile.
    pub async fn update_email(&self, user_id: i64, email: String) -> Result<User, ApiError> {
        self.db
            .write(move |conn| users::update_email(conn, user_id, &email))
            .await?
            .ok_or(ApiError::UserNotFound)
    }
}
