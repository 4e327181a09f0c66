//! The `bouncer` command line: serve, migrate, createsuperuser, flush-expired-tokens,
//! issue-tokens, create-token, group, sessions, keys, generate-secret.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::audit;
use crate::clock::{rfc3339, seconds};
use crate::error::ApiError;
use crate::jobs::cleanup;
use crate::keyring;
use crate::keys;
use std::sync::Arc;

use crate::credentials::{CsrfProofs, canonical_username};
use crate::db::models::User;
use crate::db::{Db, users};
use crate::revocation::RevocationList;
use crate::service::{
    Accounts, ApiKeys, ClientInfo, ImportOptions, Memberships, NewAccount, Revoker, Sessions,
    import_django, issue_sessions,
};
use crate::settings::{LoadOptions, Settings, SettingsError, SigningKeySource};
use crate::startup::{Application, StartupError, hashing_pool, open_database};
use crate::tokens::{KeyState, SessionId};

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
        /// After each token, a space and its session's CSRF proof (for cookie mode).
        #[arg(long)]
        csrf: bool,
    },
    /// Print a new opaque key (`Authorization: Token <key>`) for USERNAME, for scripts.
    CreateToken {
        #[arg(long)]
        username: String,
    },
    /// Manage group membership (the tutorial's `Manager` group).
    Group {
        #[command(subcommand)]
        action: GroupAction,
    },
    /// List or end a user's device sessions (refresh-token logins and `Token` keys).
    Sessions {
        #[command(subcommand)]
        action: SessionsAction,
    },
    /// Import users, groups, `Token` keys and blacklisted tokens from the JSON of
    /// `manage.py dumpdata auth.user auth.group authtoken.token token_blacklist` (README,
    /// "Moving from Django"). One transaction; bad rows are listed on stderr and skipped.
    ImportDjango {
        file: PathBuf,
        /// Write nothing if any row is bad.
        #[arg(long)]
        strict: bool,
        /// Refuse a dump with more rows than this.
        #[arg(long, default_value_t = 1_000_000)]
        max_rows: usize,
        /// Refuse a file larger than this many bytes.
        #[arg(long, default_value_t = 1 << 30)]
        max_bytes: u64,
    },
    /// Signing keys stored in the database (signing_keys = "database"); every change reaches
    /// running instances at once (NOTIFY on PostgreSQL, a poll on SQLite).
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Print a new random signing secret (32 bytes as 64 hex characters) on one line, e.g.
    /// `export BOUNCER_SIGNING_SECRET=$(bouncer generate-secret)`. Reads no settings.
    GenerateSecret,
}

#[derive(Debug, Subcommand)]
pub enum GroupAction {
    /// Add USER to GROUP, creating the group on first use.
    AddUser { group: String, user: String },
    /// Remove USER from GROUP; their earlier access tokens stop carrying it.
    RemoveUser { group: String, user: String },
}

#[derive(Debug, Subcommand)]
pub enum SessionsAction {
    /// Print USER's live sessions, newest first: id, kind, created, last used, address, agent.
    List {
        #[arg(long)]
        user: String,
    },
    /// End one session of USER (--session ID) or all of them (--all), on every instance.
    Revoke {
        #[arg(long)]
        user: String,
        #[arg(long, conflicts_with = "all", required_unless_present = "all")]
        session: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Print each key: kid, algorithm, state, created, activated, retired, verifies until.
    List,
    /// Generate a key: "next" (in the JWKS now, signing only after jwks_max_age and a
    /// rotate), or "active" when there is no key yet.
    Generate {
        /// HS256, HS384, HS512, RS256, ES256 or EdDSA; default: the `algorithm` setting.
        #[arg(long)]
        alg: Option<String>,
    },
    /// Make the oldest next key published at least jwks_max_age ago active and retire the
    /// active one (it verifies until its tokens expire). Otherwise say when one is ready,
    /// generating it if there is none.
    Rotate,
    /// Take KID out of service now: a next key is withdrawn; a retired key stops verifying
    /// (its tokens are refused: for a leaked key). The active key: rotate first.
    Retire { kid: String },
}

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

pub async fn run(cli: Cli) -> Result<(), CliError> {
    // Before loading settings: it needs neither a settings file nor a database, and must work
    // while the configured secret is the very thing being replaced.
    if let Some(Command::GenerateSecret) = cli.command {
        println!("{}", keys::new_secret()?);
        return Ok(());
    }
    let settings = Settings::load(&LoadOptions {
        config_file: cli.config,
        read_env: true,
        overrides: Vec::new(),
    })?;
    // Commands that change accounts (create-token, group) write audit lines too.
    audit::set_format(settings.audit_format);
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
            let account = NewAccount::from_strings(&username, &email, password)?;
            let db = open_database(&settings).await?;
            let accounts = Accounts::new(
                db.clone(),
                hashing_pool(&settings).await?,
                revoker(&db, &settings),
            );
            let user = accounts.register(account, true).await?;
            println!("Superuser {} created with id {}.", user.username, user.id);
            Ok(())
        }
        Command::FlushExpiredTokens => {
            let db = open_database(&settings).await?;
            let (leeway, batch) = (seconds(settings.leeway), settings.cleanup_batch_size);
            let flushed =
                tokio::task::spawn_blocking(move || cleanup::flush_expired(&db, leeway, batch))
                    .await
                    .map_err(|e| CliError::Failed(e.to_string()))?
                    .map_err(ApiError::from)?
                    .ok_or_else(|| {
                        CliError::Failed(
                            "another instance is cleaning up right now; try again".into(),
                        )
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
        Command::IssueTokens {
            username,
            count,
            csrf,
        } => {
            // Only the database and the signing keys: no password hashing involved.
            let secret = keys::resolve_secret(&settings, false)?;
            let keys = keys::jwt_keys(&settings, &secret);
            let db = open_database(&settings).await?;
            let issued = issue_sessions(&db, &keys, &username, count)
                .await?
                .ok_or_else(|| CliError::Failed(format!("no user named {username:?}")))?;
            let proofs = csrf.then(|| CsrfProofs::new(secret.expose().as_bytes()));
            let lines: Vec<String> = issued
                .into_iter()
                .map(|(token, sid)| match &proofs {
                    Some(proofs) => format!("{token} {}", proofs.for_session(&sid.to_string())),
                    None => token,
                })
                .collect();
            println!("{}", lines.join("\n"));
            Ok(())
        }
        Command::CreateToken { username } => {
            let db = open_database(&settings).await?;
            let user = find_user(&db, &username).await?;
            let lifetime = settings.token_key_lifetime.map(seconds);
            let made_by = ClientInfo {
                user_agent: "bouncer create-token".into(),
                address: String::new(),
            };
            let key = ApiKeys::new(db, lifetime).create(&user, made_by).await?;
            println!("{key}");
            Ok(())
        }
        Command::Group { action } => {
            let db = open_database(&settings).await?;
            let (group, username, member) = match action {
                GroupAction::AddUser { group, user } => (group, user, true),
                GroupAction::RemoveUser { group, user } => (group, user, false),
            };
            let user = find_user(&db, &username).await?;
            let memberships = Memberships::new(db.clone(), revoker(&db, &settings));
            match memberships
                .set(group.clone(), user.id, member, None)
                .await?
            {
                Some(name) if member => println!("Added {} to group {name}.", user.username),
                Some(name) => println!("Removed {} from group {name}.", user.username),
                None => return Err(CliError::Failed(format!("no group named {group:?}"))),
            }
            Ok(())
        }
        Command::Sessions { action } => {
            let db = open_database(&settings).await?;
            let sessions = Sessions::new(db.clone(), revoker(&db, &settings));
            match action {
                SessionsAction::List { user } => {
                    let user = find_user(&db, &user).await?;
                    for s in sessions.list(user.id).await? {
                        println!(
                            "{}\t{}\tcreated {}\tlast used {}\t{}\t{}",
                            s.sid,
                            s.kind.as_str(),
                            rfc3339(s.created_at),
                            rfc3339(s.last_used_at),
                            if s.address.is_empty() {
                                "-"
                            } else {
                                &s.address
                            },
                            s.user_agent
                        );
                    }
                }
                SessionsAction::Revoke { user, session, all } => {
                    let user = find_user(&db, &user).await?;
                    if all {
                        let ended = sessions.end_all(user.id, None).await?;
                        println!("Ended {ended} sessions of {}.", user.username);
                    } else {
                        let id = session.unwrap_or_default();
                        let sid = SessionId::parse(&id).ok_or_else(|| {
                            CliError::Failed(format!("{id:?} is not a session id (32 hex)"))
                        })?;
                        sessions
                            .end(user.id, sid, None)
                            .await
                            .map_err(|e| match e {
                                ApiError::NotFound => CliError::Failed(format!(
                                    "{} has no live session {id}",
                                    user.username
                                )),
                                other => other.into(),
                            })?;
                        println!("Ended session {id} of {}.", user.username);
                    }
                }
            }
            Ok(())
        }
        Command::ImportDjango {
            file,
            strict,
            max_rows,
            max_bytes,
        } => {
            let db = open_database(&settings).await?;
            let options = ImportOptions {
                strict,
                max_rows,
                max_bytes,
                key_lifetime: settings.token_key_lifetime.map(seconds),
            };
            let report = import_django(&db, file, options)
                .await
                .map_err(CliError::Failed)?;
            for bad in &report.bad {
                eprintln!("{bad}");
            }
            if !report.written {
                return Err(CliError::Failed(format!(
                    "{} bad rows; nothing was written (--strict)",
                    report.bad.len()
                )));
            }
            println!(
                "Imported {} users ({} already there), {} groups, {} keys, {} outstanding and {} blacklisted tokens; {} bad rows skipped.",
                report.users_created,
                report.users_present,
                report.groups,
                report.keys,
                report.outstanding,
                report.blacklisted,
                report.bad.len()
            );
            if !report.must_reset.is_empty() {
                eprintln!(
                    "Users with MD5, SHA-1 or unsalted password hashes, which bouncer refuses; they must reset their password: {:?}",
                    report.must_reset
                );
            }
            Ok(())
        }
        Command::Keys { action } => {
            let db = open_database(&settings).await?;
            tokio::task::spawn_blocking(move || keys_command(&settings, &db, action))
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?
        }
        Command::GenerateSecret => unreachable!("handled before the settings are loaded"),
    }
}

/// `bouncer keys ...`, on a blocking thread (every step is a database call).
fn keys_command(settings: &Settings, db: &Db, action: KeysAction) -> Result<(), CliError> {
    let failed = |e: keyring::KeyringError| CliError::Failed(e.to_string());
    if settings.signing_keys != SigningKeySource::Database {
        return Err(CliError::Failed(
            "`bouncer keys` manages keys stored in the database: set signing_keys = \"database\""
                .into(),
        ));
    }
    let sealer = keyring::sealer(settings)?;
    let now = crate::clock::now();
    let default_alg = keyring::algorithm(settings.algorithm);
    match action {
        KeysAction::List => {
            let when = |t: Option<i64>| t.map_or_else(|| "-".to_owned(), rfc3339);
            for k in keyring::list(db).map_err(failed)? {
                println!(
                    "{}\t{}\t{}\tcreated {}\tactivated {}\tretired {}\tverifies until {}",
                    k.kid,
                    k.algorithm,
                    k.state.as_str(),
                    rfc3339(k.created_at),
                    when(k.activated_at),
                    when(k.retired_at),
                    when(k.verify_until)
                );
            }
        }
        KeysAction::Generate { alg } => {
            let alg = match alg {
                Some(name) => keyring::parse_algorithm(&name).ok_or_else(|| {
                    CliError::Failed(format!(
                        "--alg {name:?}: use HS256, HS384, HS512, RS256, ES256 or EdDSA"
                    ))
                })?,
                None => default_alg,
            };
            let made = keyring::generate(db, &sealer, alg, now).map_err(failed)?;
            match made.state {
                KeyState::Active => {
                    println!("Generated key {} (active: there was none).", made.kid)
                }
                _ => println!(
                    "Generated key {} (next: published now; `bouncer keys rotate` can make it sign from {}).",
                    made.kid,
                    rfc3339(now.saturating_add(seconds(settings.jwks_max_age)))
                ),
            }
        }
        KeysAction::Rotate => {
            let window = keyring::token_window(settings);
            let max_age = seconds(settings.jwks_max_age);
            match keyring::rotate(db, &sealer, default_alg, now, max_age, window).map_err(failed)? {
                keyring::RotateOutcome::Rotated {
                    activated,
                    retired,
                    verify_until,
                } => println!(
                    "Key {activated} signs now.{}",
                    retired.map_or_else(String::new, |kid| format!(
                        " Key {kid} is retired: it verifies until {}.",
                        rfc3339(verify_until)
                    ))
                ),
                keyring::RotateOutcome::Pending {
                    kid,
                    ready_at,
                    generated,
                } => {
                    return Err(CliError::Failed(format!(
                        "no key has been published for jwks_max_age yet: {} key {kid}; run `bouncer keys rotate` again after {}",
                        if generated {
                            "generated"
                        } else {
                            "the oldest next key is"
                        },
                        rfc3339(ready_at)
                    )));
                }
            }
        }
        KeysAction::Retire { kid } => match keyring::retire(db, &kid, now).map_err(failed)? {
            keyring::Retired::Withdrawn => println!("Withdrew next key {kid}; it never signed."),
            keyring::Retired::Ended => {
                println!("Key {kid} no longer verifies; its tokens are refused.")
            }
            keyring::Retired::IsActive => {
                return Err(CliError::Failed(format!(
                    "key {kid} is the active key: `bouncer keys rotate` first"
                )));
            }
            keyring::Retired::NotFound => {
                return Err(CliError::Failed(format!("no stored key {kid:?}")));
            }
        },
    }
    Ok(())
}

/// A revoker for the command line: its revocations reach running servers through the
/// database (and, on PostgreSQL, at once through their revocation sync).
fn revoker(db: &Db, settings: &Settings) -> Revoker {
    let leeway = seconds(settings.leeway);
    let list = Arc::new(RevocationList::new(leeway));
    let window = seconds(settings.access_token_lifetime).saturating_add(leeway);
    Revoker::new(db.clone(), list, window)
}

async fn find_user(db: &Db, username: &str) -> Result<User, CliError> {
    let lookup = canonical_username(username);
    db.run(move |conn| users::find_by_username(conn, &lookup))
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| CliError::Failed(format!("no user named {username:?}")))
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
