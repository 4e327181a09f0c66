//! `bouncer import-django FILE`: users, groups, `Token` keys and simplejwt's outstanding and
//! blacklisted tokens from `manage.py dumpdata auth.user auth.group authtoken.token
//! token_blacklist` (README, "Moving from Django").
//!
//! The rules: users keep their Django ids, flags, dates and password hashes (verified and
//! upgraded at their first login); keys are stored as their SHA-256 like every bouncer key;
//! a jti blacklisted in Django stays blacklisted. The whole import is one transaction, so a
//! failure leaves nothing half-written and `strict` can roll back on any bad row. Running it
//! twice changes nothing: rows already imported are recognised and skipped, and a username
//! or id held by someone else is reported, never overwritten.

mod dump;
mod rows;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

pub use dump::BadRow;
use dump::{Dump, Row};
use rows::{import_user, insert_key, is_jti};

use crate::credentials::{HashFormat, classify_hash, is_well_formed};
use crate::db::Db;
use crate::db::import::{self, DbConn};
use crate::db::models::{NewBlacklistedToken, NewOutstandingToken};

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Write nothing if any row is bad.
    pub strict: bool,
    /// Refuse a dump with more rows than this (a hostile file cannot exhaust memory).
    pub max_rows: usize,
    /// Refuse a file larger than this many bytes.
    pub max_bytes: u64,
    /// bouncer's `token_key_lifetime`: an imported key expires that long after Django made it.
    pub key_lifetime: Option<i64>,
}

/// What an import did (or, when `written` is false, would have done).
#[derive(Debug, Default)]
pub struct ImportReport {
    pub written: bool,
    pub users_created: usize,
    pub users_present: usize,
    pub groups: usize,
    pub keys: usize,
    pub outstanding: usize,
    pub blacklisted: usize,
    /// Users whose hash bouncer refuses (MD5, SHA-1, unsalted): they must reset their password.
    pub must_reset: Vec<i64>,
    /// Rows left out, by index.
    pub bad: Vec<BadRow>,
}

/// Reads `path` and imports it into `db`. An `Err` means nothing was written: the file could
/// not be read or parsed, or the database failed.
pub async fn import_django(
    db: &Db,
    path: PathBuf,
    options: ImportOptions,
) -> Result<ImportReport, String> {
    let (max_rows, max_bytes) = (options.max_rows, options.max_bytes);
    let dump = tokio::task::spawn_blocking(move || read_file(&path, max_rows, max_bytes))
        .await
        .map_err(|e| format!("reading the dump failed: {e}"))??;
    db.write(move |conn| import::atomically(conn, |conn| write_all(conn, dump, &options)))
        .await
        .map_err(|e| format!("the import was rolled back: {e}"))
}

fn read_file(path: &std::path::Path, max_rows: usize, max_bytes: u64) -> Result<Dump, String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > max_bytes {
        return Err(format!(
            "{} is {size} bytes, more than --max-bytes {max_bytes}",
            path.display()
        ));
    }
    // `take` bounds what a file that grows while it is read (or a pipe) can feed the parser.
    dump::read(file.take(max_bytes), max_rows)
}

/// Everything from `dump` in dependency order (groups, users, keys, tokens); the bool says
/// whether to commit.
fn write_all(
    conn: &mut DbConn,
    dump: Dump,
    options: &ImportOptions,
) -> diesel::QueryResult<(ImportReport, bool)> {
    let mut report = ImportReport {
        bad: dump.bad,
        ..ImportReport::default()
    };
    let bad = |index: usize, model: &str, reason: String| BadRow {
        index,
        model: model.to_owned(),
        reason,
    };
    let mut pending = Vec::new();
    let mut group_ids = HashMap::new();
    for (_, row) in &dump.rows {
        if let Row::Group { pk, name } = row {
            group_ids.insert(*pk, import::ensure_group(conn, name)?);
        }
    }
    report.groups = group_ids.len();
    let mut users = HashSet::new();
    for (index, row) in &dump.rows {
        let Row::User(user) = row else { continue };
        match import_user(conn, user, &group_ids, &users)? {
            Ok(created) => {
                users.insert(user.pk);
                if created {
                    report.users_created += 1;
                } else {
                    report.users_present += 1;
                }
                if classify_hash(&user.password) == HashFormat::Refused {
                    report.must_reset.push(user.pk);
                }
            }
            Err(reason) => pending.push(bad(*index, "auth.user", reason)),
        }
    }
    import::advance_user_ids(conn)?;
    let mut outstanding = HashMap::new();
    for (index, row) in &dump.rows {
        match row {
            Row::Key { key, user, created } => {
                if !is_well_formed(key) {
                    pending.push(bad(
                        *index,
                        "authtoken.token",
                        "pk is not a 40-character lowercase hex key".into(),
                    ));
                } else if !users.contains(user) {
                    pending.push(bad(
                        *index,
                        "authtoken.token",
                        format!("user {user} was not imported"),
                    ));
                } else if insert_key(conn, key, *user, *created, options.key_lifetime)? {
                    report.keys += 1;
                }
            }
            Row::Outstanding {
                pk,
                user,
                jti,
                created_at,
                expires_at,
            } => {
                if !is_jti(jti) {
                    pending.push(bad(
                        *index,
                        "token_blacklist.outstandingtoken",
                        "jti is not 32 lowercase hex digits".into(),
                    ));
                    continue;
                }
                outstanding.insert(*pk, (jti.clone(), *expires_at));
                // bouncer ties a token to a user; one whose user is gone can still be
                // blacklisted, which is all that matters for it.
                let Some(user) = user.filter(|u| users.contains(u)) else {
                    continue;
                };
                let token = NewOutstandingToken {
                    jti: jti.clone(),
                    user_id: user,
                    // The imported token's session id is its jti: deterministic, so a second
                    // import matches, and unique like the jti.
                    sid: jti.clone(),
                    token_type: "refresh",
                    created_at: created_at.unwrap_or(*expires_at),
                    expires_at: *expires_at,
                };
                if import::insert_outstanding(conn, &token)? {
                    report.outstanding += 1;
                }
            }
            _ => {}
        }
    }
    for (index, row) in &dump.rows {
        let Row::Blacklisted {
            token,
            blacklisted_at,
        } = row
        else {
            continue;
        };
        let Some((jti, expires_at)) = outstanding.get(token) else {
            pending.push(bad(
                *index,
                "token_blacklist.blacklistedtoken",
                format!("outstanding token {token} is not in the dump"),
            ));
            continue;
        };
        let row = NewBlacklistedToken {
            jti: jti.clone(),
            token_type: "refresh",
            expires_at: *expires_at,
            blacklisted_at: *blacklisted_at,
            successor_jti: None,
            successor_access_jti: None,
        };
        if import::insert_blacklisted(conn, &row)? {
            report.blacklisted += 1;
        }
    }
    report.bad.extend(pending);
    report.bad.sort_by_key(|b| b.index);
    report.written = !options.strict || report.bad.is_empty();
    let commit = report.written;
    Ok((report, commit))
}
