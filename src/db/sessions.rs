//! Queries on `sessions`: the device sessions a user can see and end (`GET /auth/sessions/`).
//!
//! A row describes a login session (`sid`): where and when it started; a refresh session's
//! last use is its newest refresh token's issue time. Whether it is still live is decided by what always decided it: not in
//! `revoked_sessions`, and an unexpired refresh token (a refresh session) or an unexpired key
//! (a `Token` key).

use diesel::prelude::*;

use super::conn::{DbConn, on_backend};
use super::schema::{auth_keys, outstanding_tokens, revoked_sessions, sessions};
use crate::tokens::SessionId;

/// Longest user agent kept: enough to tell browsers and apps apart, and a client cannot make
/// the table grow with a huge header.
pub const MAX_USER_AGENT: usize = 256;

/// What kind of credential a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A JWT login: a refresh token and its rotations.
    Refresh,
    /// An opaque `Token` key.
    Key,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refresh => "refresh",
            Self::Key => "key",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "refresh" => Some(Self::Refresh),
            "key" => Some(Self::Key),
            _ => None,
        }
    }
}

/// A session as recorded at its start.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession {
    pub sid: String,
    pub user_id: i64,
    pub kind: &'static str,
    pub user_agent: String,
    pub address: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: Option<i64>,
}

/// A live session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub sid: SessionId,
    pub user_id: i64,
    pub kind: SessionKind,
    pub user_agent: String,
    pub address: String,
    pub created_at: i64,
    pub last_used_at: i64,
    pub expires_at: Option<i64>,
}

type Row = (String, i64, String, String, String, i64, i64, Option<i64>);

fn from_row(row: Row) -> Option<SessionRow> {
    let (sid, user_id, kind, user_agent, address, created_at, last_used_at, expires_at) = row;
    Some(SessionRow {
        sid: SessionId::parse(&sid)?,
        user_id,
        kind: SessionKind::parse(&kind)?,
        user_agent,
        address,
        created_at,
        last_used_at,
        expires_at,
    })
}

pub fn insert(conn: &mut DbConn, session: &NewSession) -> QueryResult<()> {
    insert_many(conn, std::slice::from_ref(session))
}

/// Records several sessions in one statement (keep it to a few hundred: SQLite's limit on
/// bound values). Session ids are fresh uuid7s: they never collide.
pub fn insert_many(conn: &mut DbConn, sessions: &[NewSession]) -> QueryResult<()> {
    on_backend!(conn, c => diesel::insert_into(sessions::table)
        .values(sessions)
        .execute(c))
    .map(drop)
}

/// The user's live sessions at `now`, newest first.
pub fn live_of_user(conn: &mut DbConn, user_id: i64, now: i64) -> QueryResult<Vec<SessionRow>> {
    let rows: Vec<Row> = on_backend!(conn, c => sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.is_null().or(sessions::expires_at.gt(now)))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            revoked_sessions::table.filter(revoked_sessions::sid.eq(sessions::sid)),
        )))
        .filter(
            sessions::kind
                .eq(SessionKind::Refresh.as_str())
                .and(diesel::dsl::exists(
                    outstanding_tokens::table
                        .filter(outstanding_tokens::sid.eq(sessions::sid))
                        .filter(outstanding_tokens::expires_at.gt(now)),
                ))
                .or(sessions::kind.eq(SessionKind::Key.as_str()).and(diesel::dsl::exists(
                    auth_keys::table
                        .filter(auth_keys::sid.eq(sessions::sid))
                        .filter(auth_keys::expires_at.is_null().or(auth_keys::expires_at.gt(now))),
                ))),
        )
        .order((sessions::created_at.desc(), sessions::sid.desc()))
        .select((
            sessions::sid,
            sessions::user_id,
            sessions::kind,
            sessions::user_agent,
            sessions::address,
            sessions::created_at,
            sessions::last_used_at,
            sessions::expires_at,
        ))
        .load(c))?;
    let mut live: Vec<SessionRow> = rows.into_iter().filter_map(from_row).collect();
    // A refresh session was last used at its latest rotation: the newest of its refresh
    // tokens (one statement for the whole list).
    let refresh_sids: Vec<String> = live
        .iter()
        .filter(|s| s.kind == SessionKind::Refresh)
        .map(|s| s.sid.to_string())
        .collect();
    if !refresh_sids.is_empty() {
        let latest: Vec<(String, Option<i64>)> = on_backend!(conn, c => outstanding_tokens::table
            .filter(outstanding_tokens::sid.eq_any(&refresh_sids))
            .group_by(outstanding_tokens::sid)
            .select((outstanding_tokens::sid, diesel::dsl::max(outstanding_tokens::created_at)))
            .load(c))?;
        for (sid, at) in latest {
            let sid = SessionId::parse(&sid);
            if let (Some(session), Some(at)) = (live.iter_mut().find(|s| Some(s.sid) == sid), at) {
                session.last_used_at = session.last_used_at.max(at);
            }
        }
    }
    Ok(live)
}
