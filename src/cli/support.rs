//! What every command shares: the error a command fails with, finding a user, a revoker whose
//! revocations reach running servers, and reading a password.

use std::sync::Arc;

use crate::clock::seconds;
use crate::credentials::canonical_username;
use crate::db::models::User;
use crate::db::{Db, users};
use crate::error::ApiError;
use crate::revocation::RevocationList;
use crate::service::Revoker;
use crate::settings::{Settings, SettingsError};
use crate::startup::StartupError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Failed(String),
}

impl From<SettingsError> for CliError {
    fn from(e: SettingsError) -> Self {
        Self::Startup(e.into())
    }
}

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Validation(fields) => Self::Failed(
                fields
                    .iter()
                    .map(|(field, messages)| format!("{field}: {}", messages.join(" ")))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            other => Self::Failed(other.to_string()),
        }
    }
}

/// A revoker for the command line: its revocations reach running servers through the
/// database (and, on PostgreSQL, at once through their revocation sync).
pub fn revoker(db: &Db, settings: &Settings) -> Revoker {
    let leeway = seconds(settings.leeway);
    let list = Arc::new(RevocationList::new(leeway));
    let window = seconds(settings.access_token_lifetime).saturating_add(leeway);
    // Ending a user's sessions here voids their Django tokens too, as on the server.
    Revoker::new(db.clone(), list, window)
        .with_django_tokens(crate::keys::django_keys(settings).map(Arc::new))
        .with_device_ends(crate::service::command_line_device_ends(settings))
}

pub async fn find_user(db: &Db, username: &str) -> Result<User, CliError> {
    let lookup = canonical_username(username);
    db.run(move |conn| users::find_by_username(conn, &lookup))
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| CliError::Failed(format!("no user named {username:?}")))
}

/// BOUNCER_PASSWORD for scripts; otherwise ask twice on the terminal without echo.
pub fn read_password() -> Result<String, CliError> {
    if let Ok(password) = std::env::var("BOUNCER_PASSWORD") {
        return Ok(password);
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| {
        CliError::Failed(format!(
            "cannot read the password: {e}; set BOUNCER_PASSWORD"
        ))
    })?;
    let second = rpassword::prompt_password("Password (again): ")
        .map_err(|e| CliError::Failed(format!("cannot read the password: {e}")))?;
    if first != second {
        return Err(CliError::Failed("the passwords do not match".into()));
    }
    Ok(first)
}
