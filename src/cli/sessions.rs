//! `bouncer sessions list|revoke`: a user's device sessions from the command line.

use clap::Subcommand;

use super::support::{CliError, find_user, revoker};
use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::service::Sessions;
use crate::settings::Settings;
use crate::startup::open_database;
use crate::tokens::SessionId;

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

pub async fn run(settings: &Settings, action: SessionsAction) -> Result<(), CliError> {
    let db = open_database(settings).await?;
    let sessions = Sessions::new(db.clone(), revoker(&db, settings));
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
                        ApiError::NotFound => {
                            CliError::Failed(format!("{} has no live session {id}", user.username))
                        }
                        other => other.into(),
                    })?;
                println!("Ended session {id} of {}.", user.username);
            }
        }
    }
    Ok(())
}
