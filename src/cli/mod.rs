//! The `bouncer` command line: serve, migrate, createsuperuser, flush-expired-tokens,
//! issue-tokens, create-token, group, sessions, keys, import-django, generate-secret. One
//! file per command family with subcommands (`sessions.rs`, `signing_keys.rs`); what they all
//! share is in `support.rs`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod dpop_cost;
mod sessions;
mod signing_keys;
mod support;
mod verify_cost;

pub use support::CliError;

use self::sessions::SessionsAction;
use self::signing_keys::KeysAction;
use self::support::{find_user, read_password, revoker};
use crate::audit;
use crate::clock::seconds;
use crate::credentials::CsrfProofs;
use crate::error::ApiError;
use crate::jobs::cleanup;
use crate::keys;
use crate::service::{
    Accounts, ApiKeys, ClientInfo, ImportOptions, Memberships, NewAccount, import_django,
    issue_sessions,
};
use crate::settings::{LoadOptions, Settings};
use crate::startup::{Application, hashing_pool, open_database};

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
    /// Benchmarks (bench/run --algorithms): microseconds to mint and to verify one access
    /// token per algorithm, without the verified-token cache. Reads no settings.
    #[command(hide = true)]
    VerifyCost {
        /// Seconds of work per algorithm (half signing, half verifying).
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
    },
}

#[derive(Debug, Subcommand)]
pub enum GroupAction {
    /// Add USER to GROUP, creating the group on first use.
    AddUser { group: String, user: String },
    /// Remove USER from GROUP; their earlier access tokens stop carrying it.
    RemoveUser { group: String, user: String },
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    // Before loading settings: it needs neither a settings file nor a database, and must work
    // while the configured secret is the very thing being replaced.
    if let Some(Command::GenerateSecret) = cli.command {
        println!("{}", keys::new_secret()?);
        return Ok(());
    }
    if let Some(Command::VerifyCost { seconds }) = cli.command {
        let budget = std::time::Duration::try_from_secs_f64(seconds)
            .map_err(|e| CliError::Failed(format!("--seconds {seconds}: {e}")))?;
        return verify_cost::run(budget).and_then(|()| dpop_cost::run(budget / 2));
    }
    let settings = Settings::load(&LoadOptions {
        config_file: cli.config,
        read_env: true,
        overrides: Vec::new(),
    })?;
    // Commands that change accounts (create-token, group) write audit lines too.
    audit::set_format(settings.audit_format);
    crate::logging::set_format(settings.log_format == crate::settings::LogFormat::Json);
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
            // Only the database and the signing keys: no password hashing involved. The keys
            // are the server's (`signing_keys`), so the tokens verify where it runs.
            let secret = keys::resolve_secret(&settings, false)?;
            let db = open_database(&settings).await?;
            let keys = keys::load_with_db(&settings, &secret, &db).await?;
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
        Command::Sessions { action } => sessions::run(&settings, action).await,
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
            tokio::task::spawn_blocking(move || signing_keys::run(&settings, &db, action))
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?
        }
        Command::GenerateSecret | Command::VerifyCost { .. } => {
            unreachable!("handled before the settings are loaded")
        }
    }
}
