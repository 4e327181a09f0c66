//! Writing one row of each kind (`django_import.rs` orders them).

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::dump::UserRow;
use crate::clock;
use crate::credentials::{HashFormat, classify_hash, key_hash, normalize_username};
use crate::db::import::{self, DbConn, ImportedUser, UserSlot};
use crate::db::keys::NewKey;
use crate::db::sessions::{NewSession, SessionKind};

/// Inserts one user (and their groups); `Ok(true)` created, `Ok(false)` already there from
/// an earlier import, `Err(reason)` left out.
pub(super) fn import_user(
    conn: &mut DbConn,
    user: &UserRow,
    group_ids: &HashMap<i64, i64>,
    seen: &HashSet<i64>,
) -> diesel::QueryResult<Result<bool, String>> {
    let username = match normalize_username(&user.username) {
        Ok(name) => name,
        Err(messages) => return Ok(Err(format!("username: {}", messages.join(" ")))),
    };
    if seen.contains(&user.pk) {
        return Ok(Err(format!("user {} appears twice", user.pk)));
    }
    if classify_hash(&user.password) == HashFormat::Unknown {
        let algorithm: String = user
            .password
            .split('$')
            .next()
            .unwrap_or("")
            .chars()
            .take(32)
            .collect();
        return Ok(Err(format!(
            "password hash format {algorithm:?} is not one bouncer knows"
        )));
    }
    let Some(groups) = user
        .groups
        .iter()
        .map(|g| group_ids.get(g).copied())
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(Err("lists a group that is not in the dump".into()));
    };
    let created = match import::user_slot(conn, user.pk, &username)? {
        UserSlot::Free => {
            import::insert_user(
                conn,
                &ImportedUser {
                    id: user.pk,
                    username: &username,
                    email: &user.email,
                    password: &user.password,
                    is_active: user.is_active,
                    is_staff: user.is_staff,
                    is_superuser: user.is_superuser,
                    date_joined: user.date_joined,
                    last_login: user.last_login,
                },
            )?;
            true
        }
        UserSlot::Present => false,
        UserSlot::Conflict { id, username: held } => {
            return Ok(Err(format!(
                "user {} {username:?} conflicts with existing user {id} {held:?}; not overwritten",
                user.pk
            )));
        }
    };
    for group in groups {
        import::add_membership(conn, user.pk, group)?;
    }
    Ok(Ok(created))
}

/// Stores a Django key as bouncer stores keys (its SHA-256), with a session so it shows in
/// the user's sessions; whether it was new.
pub(super) fn insert_key(
    conn: &mut DbConn,
    key: &str,
    user_id: i64,
    created: i64,
    lifetime: Option<i64>,
) -> diesel::QueryResult<bool> {
    // A session id derived from the key (domain-separated, so it is not the stored hash):
    // the same key gets the same id on every import.
    let digest = Sha256::digest(format!("bouncer:django-key-session:{key}").as_bytes());
    let sid = hex::encode(&digest[..16]);
    let expires_at = lifetime.map(|l| created.saturating_add(l));
    let row = NewKey {
        key_hash: key_hash(key),
        sid: sid.clone(),
        user_id,
        created_at: created,
        expires_at,
    };
    let session = NewSession {
        sid,
        user_id,
        kind: SessionKind::Key.as_str(),
        user_agent: "imported from Django".into(),
        address: String::new(),
        created_at: created,
        last_used_at: created.min(clock::now()),
        expires_at,
    };
    import::insert_key(conn, &row, &session)
}

/// simplejwt's jti: `uuid4().hex`, 32 lowercase hex digits, as bouncer's own.
pub(super) fn is_jti(jti: &str) -> bool {
    jti.len() == 32
        && jti
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
