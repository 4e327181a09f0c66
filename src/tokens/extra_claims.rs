//! What an access token carries besides the claims bouncer needs to verify it: the rights
//! claims (`is_staff`, `groups`), the other user fields `access_token_claims` chooses, and an
//! application's own claims (`service::ClaimsHook`).
//!
//! Two rules keep these from weakening a token:
//! - names bouncer writes or reads are reserved ([`is_reserved`]): another source may not
//!   write them, so a hook's `"is_staff": true` can never grant staff, nor its `exp` stretch a
//!   lifetime;
//! - a token longer than bouncer itself verifies is never handed out ([`MintError::TooLarge`]):
//!   the login fails loudly instead of giving the client a token every request then refuses.

/// Which rights claims access tokens carry. Both by default: a token then proves its rights
/// to bouncer and to any service on its own. Without one of them bouncer reads the user's
/// rights itself when it verifies the token (`auth/rights_lookup.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RightsClaims {
    pub is_staff: bool,
    pub groups: bool,
}

impl Default for RightsClaims {
    fn default() -> Self {
        Self {
            is_staff: true,
            groups: true,
        }
    }
}

/// Claims bouncer writes or reads, whatever the settings: the registered claims of RFC 7519
/// §4.1, bouncer's own, the user fields of `access_token_claims` (even when not chosen, so
/// that their meaning never depends on who wrote them), and `cnf`/`amr`, which RFC 9449 and
/// RFC 8176 give a meaning bouncer may enforce. The user id claim (a setting) is reserved too.
pub const RESERVED_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "sid",
    "token_type",
    "auth_time",
    "username",
    "email",
    "groups",
    "is_staff",
    "is_superuser",
    "cnf",
    "amr",
];

/// Whether `name` is a claim only bouncer may write.
pub fn is_reserved(name: &str, user_id_claim: &str) -> bool {
    name == user_id_claim || RESERVED_CLAIMS.contains(&name)
}

/// The claims minting writes or verification reads: never taken from extra claims, whoever
/// made them, so a token never names one twice (verifiers disagree on which copy wins).
const MINTED_OR_READ: &[&str] = &[
    "token_type",
    "exp",
    "iat",
    "nbf",
    "jti",
    "sid",
    "auth_time",
    "iss",
    "aud",
    "is_staff",
    "groups",
    "cnf",
];

/// Whether an extra claim named `name` must be left out at minting.
pub(super) fn minted_or_read(name: &str, user_id_claim: &str) -> bool {
    name == user_id_claim || MINTED_OR_READ.contains(&name)
}

/// Why a token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("signing a token failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error(
        "an access token for user {user_id} would be {bytes} bytes, over the {limit} bytes \
         bouncer accepts: `access_token_claims` or the claims hook add too much to it"
    )]
    TooLarge {
        user_id: i64,
        bytes: usize,
        limit: usize,
    },
}
