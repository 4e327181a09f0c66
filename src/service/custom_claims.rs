//! The claims an access token carries beyond bouncer's own: the user fields
//! `access_token_claims` chooses (besides the rights claims, which `tokens::RightsClaims`
//! writes) and an application's [`ClaimsHook`] (the first tutorial's tip 7, simplejwt's
//! `get_token` override).
//!
//! Nothing is read when neither asks for anything: the default costs no query. Otherwise the
//! user's row is read once per access token, on the blocking pool where the database work of
//! minting already runs, and the hook runs there too (never on an actix worker).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::db::models::User;
use crate::db::{Db, users};
use crate::error::ApiError;
use crate::settings::AccessClaim;
use crate::tokens::JwtKeys;

/// An application's own access-token claims, given the user's row (its id included).
///
/// Register one with `Application::build_with_claims`. It runs on a blocking thread holding
/// a database connection, once per access token minted (login and every refresh): keep it
/// quick and do not block on the network. Names bouncer writes or reads (`exp`, `iat`, `jti`,
/// `sid`, `token_type`, `auth_time`, `iss`, `sub`, `aud`, `nbf`, `cnf`, `amr`, the user id
/// claim and the user fields `username`, `email`, `groups`, `is_staff`, `is_superuser`) are
/// never taken from a hook: such an entry is dropped and logged as an error, the rest is
/// minted. A token that would exceed 4096 bytes is not minted at all: the login or refresh
/// fails with a 500 and a log line saying why.
pub trait ClaimsHook: Send + Sync + 'static {
    fn claims(&self, user: &User) -> Map<String, Value>;
}

impl<F> ClaimsHook for F
where
    F: Fn(&User) -> Map<String, Value> + Send + Sync + 'static,
{
    fn claims(&self, user: &User) -> Map<String, Value> {
        self(user)
    }
}

/// The user fields chosen beyond the rights claims, and the hook.
#[derive(Clone, Default)]
pub struct ExtraClaims {
    username: bool,
    email: bool,
    is_superuser: bool,
    hook: Option<Arc<dyn ClaimsHook>>,
}

impl std::fmt::Debug for ExtraClaims {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraClaims")
            .field("username", &self.username)
            .field("email", &self.email)
            .field("is_superuser", &self.is_superuser)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl ExtraClaims {
    /// From `access_token_claims` (already validated) and the application's hook.
    pub fn new(chosen: &[AccessClaim], hook: Option<Arc<dyn ClaimsHook>>) -> Self {
        Self {
            username: chosen.contains(&AccessClaim::Username),
            email: chosen.contains(&AccessClaim::Email),
            is_superuser: chosen.contains(&AccessClaim::IsSuperuser),
            hook,
        }
    }

    fn reads_user(&self) -> bool {
        self.username || self.email || self.is_superuser || self.hook.is_some()
    }

    /// The extra claims for `user_id`'s next access token: none, without a query, unless
    /// asked for; none when the user is gone (minting then finds no active user anyway).
    pub async fn for_user(
        &self,
        db: &Db,
        keys: &Arc<JwtKeys>,
        user_id: i64,
    ) -> Result<Map<String, Value>, ApiError> {
        if !self.reads_user() {
            return Ok(Map::new());
        }
        let (this, keys) = (self.clone(), keys.clone());
        let claims = db
            .run(move |conn| {
                let user = users::find_by_id(conn, user_id)?;
                Ok::<_, diesel::result::Error>(user.map(|user| this.of(&user, &keys)))
            })
            .await?;
        Ok(claims.unwrap_or_default())
    }

    /// The chosen fields of `user`, then the hook's claims minus the reserved ones.
    fn of(&self, user: &User, keys: &JwtKeys) -> Map<String, Value> {
        let mut claims = Map::new();
        if self.username {
            claims.insert("username".into(), user.username.clone().into());
        }
        if self.email {
            claims.insert("email".into(), user.email.clone().into());
        }
        if self.is_superuser {
            claims.insert("is_superuser".into(), user.is_superuser.into());
        }
        let Some(hook) = &self.hook else {
            return claims;
        };
        for (name, value) in hook.claims(user) {
            if keys.is_reserved_claim(&name) {
                // The name only: a value may be personal data.
                log::error!(
                    "the claims hook returned `{name}`, a claim only bouncer writes; it was left \
                     out of user {}'s access token (rename it in the hook)",
                    user.id
                );
                continue;
            }
            claims.insert(name, value);
        }
        claims
    }
}

#[cfg(test)]
#[path = "custom_claims_tests.rs"]
mod tests;
