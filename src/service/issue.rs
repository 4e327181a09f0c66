//! Issuing refresh tokens without a password, for load tests and scripts
//! (`bouncer issue-tokens`). Needs only the database and the keys, as the CLI has them.

use crate::clock;
use crate::db::sessions::{self, SessionKind};
use crate::db::{Db, StorageError, tokens, users};
use crate::error::ApiError;
use crate::tokens::{JwtKeys, SessionId, TokenType};

/// Mints `count` refresh tokens for `username`, each starting its own session, and records
/// them; each with its session. `None` when there is no such user.
pub async fn issue_sessions(
    db: &Db,
    keys: &JwtKeys,
    username: &str,
    count: usize,
) -> Result<Option<Vec<(String, SessionId)>>, ApiError> {
    let lookup = username.to_owned();
    let Some(user) = db
        .run(move |conn| users::find_by_username(conn, &lookup))
        .await?
    else {
        return Ok(None);
    };
    let now = clock::now();
    let mut issued = Vec::with_capacity(count);
    let mut rows = Vec::with_capacity(count);
    let mut device_sessions = Vec::with_capacity(count);
    for _ in 0..count {
        let sid = SessionId::generate();
        let (token, claims) = keys.mint(TokenType::Refresh, user.id, sid, now, now)?;
        issued.push((token, sid));
        rows.push(tokens::outstanding(&claims));
        // Recorded like a login's, so a refresh of these does what a real one does.
        device_sessions.push(sessions::NewSession {
            sid: sid.to_string(),
            user_id: user.id,
            kind: SessionKind::Refresh.as_str(),
            user_agent: "bouncer issue-tokens".into(),
            address: String::new(),
            created_at: now,
            last_used_at: now,
            expires_at: Some(keys.session_end(now)),
        });
    }
    db.write(move |conn| {
        for chunk in rows.chunks(500) {
            tokens::record_outstanding(conn, chunk)?;
        }
        for chunk in device_sessions.chunks(500) {
            sessions::insert_many(conn, chunk)?;
        }
        Ok::<_, StorageError>(())
    })
    .await?;
    Ok(Some(issued))
}
