//! The payload of a revocation announced to other instances (PostgreSQL `NOTIFY`):
//! `t <jti> <until>`, `s <sid> <until>`, `u <user id> <not before, ms> <reason> <until>` or
//! `r <user id> <changed at, ms> <until> <is_staff 0|1> <groups as a JSON array>`, `until`
//! being the expiry without leeway; or `k`: the signing keys changed, reload the key ring.
//! Storage writes it inside the revoking transaction; the revocation sync reads it.

use crate::tokens::{Rights, SessionId, TokenId};

/// The channel revocations are announced on.
pub const REVOCATION_CHANNEL: &str = "bouncer_revocations";

/// PostgreSQL refuses a `NOTIFY` payload of 8000 bytes or more (the default build).
pub const MAX_NOTICE_BYTES: usize = 7999;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationNotice {
    Token {
        jti: TokenId,
        until: i64,
    },
    Session {
        sid: SessionId,
        until: i64,
    },
    User(UserRevocation),
    Rights(RightsChange),
    /// The `signing_keys` table changed (a key generated, rotated or retired).
    Keys,
}

/// "Since `changed_at_ms`, user `user_id` has these `rights`": a credential issued up to then
/// may carry older rights, and is read with these instead, until `until` (by then every such
/// access token has expired and every cached key been re-read). Never grants more than the
/// user has: see `db/rights.rs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightsChange {
    pub user_id: i64,
    pub changed_at_ms: i64,
    pub rights: Rights,
    pub until: i64,
}

/// The stored and announced form of a user's group names: a JSON array of strings.
pub fn encode_groups(groups: &[Box<str>]) -> String {
    serde_json::to_string(groups).unwrap_or_else(|_| "[]".to_owned())
}

/// The group names of [`encode_groups`]; `None` when `json` is not an array of strings.
pub fn decode_groups(json: &str) -> Option<Vec<String>> {
    serde_json::from_str(json).ok()
}

/// "Every credential of `user_id` issued before `not_before_ms` is void, until `until`" (by
/// then every such access token has expired and every cached key been re-read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserRevocation {
    pub user_id: i64,
    pub not_before_ms: i64,
    pub reason: UserChange,
    pub until: i64,
}

/// Why a user's credentials were voided; decides what an old credential is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum UserChange {
    /// Lost a group or staff, or changed password: the credential's rights are stale.
    RightsChanged = 1,
    Deactivated = 2,
    Deleted = 3,
}

impl UserChange {
    pub fn code(self) -> i16 {
        self as i16
    }

    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(Self::RightsChanged),
            2 => Some(Self::Deactivated),
            3 => Some(Self::Deleted),
            _ => None,
        }
    }
}

impl std::fmt::Display for RevocationNotice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Token { jti, until } => write!(f, "t {jti} {until}"),
            Self::Session { sid, until } => write!(f, "s {sid} {until}"),
            Self::User(u) => write!(
                f,
                "u {} {} {} {}",
                u.user_id,
                u.not_before_ms,
                u.reason.code(),
                u.until
            ),
            Self::Keys => f.write_str("k"),
            Self::Rights(r) => write!(
                f,
                "r {} {} {} {} {}",
                r.user_id,
                r.changed_at_ms,
                r.until,
                u8::from(r.rights.is_staff),
                encode_groups(&r.rights.groups)
            ),
        }
    }
}

impl std::str::FromStr for RevocationNotice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "k" {
            return Ok(Self::Keys);
        }
        if let Some(user) = s.strip_prefix("u ") {
            return parse_user_revocation(user)
                .map(Self::User)
                .ok_or_else(|| format!("malformed user revocation {s:?}"));
        }
        if let Some(rights) = s.strip_prefix("r ") {
            return parse_rights_change(rights)
                .map(Self::Rights)
                .ok_or_else(|| format!("malformed rights change {s:?}"));
        }
        let mut parts = s.split(' ');
        let (Some(kind), Some(id), Some(until), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("malformed revocation announcement {s:?}"));
        };
        let until = until.parse().map_err(|_| format!("bad expiry in {s:?}"))?;
        let id = TokenId::parse(id).ok_or_else(|| format!("bad id in {s:?}"))?;
        match kind {
            "t" => Ok(Self::Token { jti: id, until }),
            "s" => Ok(Self::Session { sid: id, until }),
            _ => Err(format!("unknown kind in {s:?}")),
        }
    }
}

fn parse_user_revocation(s: &str) -> Option<UserRevocation> {
    let mut numbers = s.split(' ').map(|n| n.parse::<i64>().ok());
    let (
        Some(Some(user_id)),
        Some(Some(not_before_ms)),
        Some(Some(reason)),
        Some(Some(until)),
        None,
    ) = (
        numbers.next(),
        numbers.next(),
        numbers.next(),
        numbers.next(),
        numbers.next(),
    )
    else {
        return None;
    };
    Some(UserRevocation {
        user_id,
        not_before_ms,
        reason: UserChange::from_code(reason)?,
        until,
    })
}

/// `<user id> <changed at> <until> <0|1> <json>`; the JSON may hold spaces, so it is the rest.
fn parse_rights_change(s: &str) -> Option<RightsChange> {
    let mut parts = s.splitn(5, ' ');
    let mut number = || parts.next()?.parse::<i64>().ok();
    let (user_id, changed_at_ms, until) = (number()?, number()?, number()?);
    let is_staff = match parts.next()? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let groups = decode_groups(parts.next()?)?;
    Some(RightsChange {
        user_id,
        changed_at_ms,
        rights: Rights::new(is_staff, groups),
        until,
    })
}

#[cfg(test)]
#[path = "notify_tests.rs"]
mod tests;
