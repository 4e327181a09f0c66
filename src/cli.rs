//! The `bouncer` command line: serve, migrate, createsuperuser, flush-expired-tokens, issue-tokens.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use serde_json::{Map, Value};

use crate::auth::jwt::{TokenType, new_id};
use crate::db::{self, now_ts};
use crate::http::body::FormData;
use crate::routes::users::{create_user, validate_registration};
use crate::settings::{LoadOptions, Settings};
use crate::startup::{Application, StartupError, build_state};

#[derive(Debug, Parser)]
#[command(
    name = "bouncer",
    version,
    about = "Stateless JWT authentication service"
)]
pub struct Cli {
    /// A TOML file layered over the defaults (see config/default.toml).
    #[arg(long, global = true, env = "BOUNCER_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create a staff superuser. The password comes from BOUNCER_PASSWORD or a prompt.
    Createsuperuser {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "")]
        email: String,
    },
    /// Delete revocation and outstanding-token rows whose tokens have expired.
    FlushExpiredTokens,
    /// Print COUNT refresh tokens for USERNAME, each a new session (load tests, scripts).
    IssueTokens {
        #[arg(long)]
        username: String,
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Failed(String),
}

impl From<crate::settings::SettingsError> for CliError {
    fn from(e: crate::settings::SettingsError) -> Self {
        Self::Startup(e.into())
    }
}

impl From<crate::error::ApiError> for CliError {
    fn from(e: crate::error::ApiError) -> Self {
        match e {
            crate::error::ApiError::Validation(fields) => Self::Failed(
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

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let settings = Settings::load(&LoadOptions {
        config_file: cli.config,
        read_env: true,
        overrides: Vec::new(),
    })?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(settings).await?;
            app.run_until_stopped()
                .await
                .map_err(|e| CliError::Failed(format!("server stopped: {e}")))
        }
        Command::Migrate => {
            open_database(&settings).await?;
            println!("Migrations applied.");
            Ok(())
        }
        Command::Createsuperuser { username, email } => {
            let password = read_password()?;
            let state = build_state(settings, false).await?;
            let mut fields = Map::new();
            fields.insert("username".into(), Value::String(username));
            fields.insert("email".into(), Value::String(email));
            fields.insert("password".into(), Value::String(password));
            let registration = validate_registration(&FormData::from_map(fields))?;
            let user = create_user(&state, registration, true).await?;
            println!("Superuser {} created with id {}.", user.username, user.id);
            Ok(())
        }
        Command::FlushExpiredTokens => {
            let before = now_ts() - i64::try_from(settings.leeway.as_secs()).unwrap_or(0);
            let batch = i64::from(settings.cleanup_batch_size);
            let flushed = open_database(&settings)
                .await?
                .run(move |conn| Ok(db::cleanup::flush_expired(conn, before, batch)?))
                .await?
                .ok_or_else(|| {
                    CliError::Failed("another instance is cleaning up right now; try again".into())
                })?;
            println!(
                "Deleted {} expired rows ({} outstanding tokens, {} blacklisted tokens, {} revoked sessions).",
                flushed.total(),
                flushed.outstanding,
                flushed.blacklisted,
                flushed.sessions
            );
            Ok(())
        }
        Command::IssueTokens { username, count } => {
            // Only the database and the signing keys: no password hashing involved.
            let secret = crate::auth::secret::resolve(&settings, false)?;
            let keys = crate::auth::jwt::JwtKeys::new(&settings, &secret);
            let database = open_database(&settings).await?;
            let lookup = username.clone();
            let user = database
                .run(move |conn| Ok(db::users::find_by_username(conn, &lookup)?))
                .await?
                .ok_or_else(|| CliError::Failed(format!("no user named {username:?}")))?;
            let now = now_ts();
            let mut tokens = Vec::with_capacity(count);
            let mut claims = Vec::with_capacity(count);
            for _ in 0..count {
                let (token, c) = keys
                    .mint(TokenType::Refresh, user.id, &new_id(), now, now)
                    .map_err(|e| CliError::Failed(e.to_string()))?;
                tokens.push(token);
                claims.push(c);
            }
            database
                .run(move |conn| {
                    for chunk in claims.chunks(500) {
                        let rows: Vec<_> = chunk.iter().map(db::tokens::outstanding).collect();
                        db::tokens::record_outstanding(conn, &rows)?;
                    }
                    Ok(())
                })
                .await?;
            println!("{}", tokens.join("\n"));
            Ok(())
        }
    }
}

/// Opens the database (applying migrations) on the blocking pool.
async fn open_database(settings: &Settings) -> Result<db::Db, CliError> {
    let settings = settings.clone();
    let database = actix_web::web::block(move || db::Db::connect(&settings))
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?
        .map_err(StartupError::from)?;
    Ok(database)
}

/// BOUNCER_PASSWORD for scripts; otherwise ask twice on the terminal without echo.
fn read_password() -> Result<String, CliError> {
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
