//! Issuing refresh tokens without a password, for load tests and scripts
//! (`bouncer issue-tokens`). Needs only the database and the keys, as the CLI has them.

use crate::clock;
use crate::db::{Db, StorageError, tokens, users};
use crate::error::ApiError;
use crate::tokens::{JwtKeys, SessionId, TokenType};

/// Mints `count` refresh tokens for `username`, each starting its own session, and records
/// them. `None` when there is no such user.
pub async fn issue_sessions(
    db: &Db,
    keys: &JwtKeys,
    username: &str,
    count: usize,
) -> Result<Option<Vec<String>>, ApiError> {
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
    for _ in 0..count {
        let (token, claims) =
            keys.mint(TokenType::Refresh, user.id, SessionId::generate(), now, now)?;
        issued.push(token);
        rows.push(tokens::outstanding(&claims));
    }
    db.write(move |conn| {
        for chunk in rows.chunks(500) {
            tokens::record_outstanding(conn, chunk)?;
        }
        Ok::<_, StorageError>(())
    })
    .await?;
    Ok(Some(issued))
}
