//! `bouncer keys list|generate|rotate|retire`: signing keys stored in the database.

use clap::Subcommand;

use super::support::CliError;
use crate::clock::{rfc3339, seconds};
use crate::db::Db;
use crate::keyring;
use crate::settings::{Settings, SigningKeySource};
use crate::tokens::KeyState;

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

/// `bouncer keys ...`, on a blocking thread (every step is a database call).
pub fn run(settings: &Settings, db: &Db, action: KeysAction) -> Result<(), CliError> {
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
