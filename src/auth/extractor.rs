//! `Authorization: Bearer` extractors. Putting one in a handler's signature *is* the access rule:
//!
//! - [`AuthenticatedUser`]: a valid, unrevoked access token. No database round trip.
//! - [`CurrentUser`]: the same plus the user's row, refused when the user is gone or inactive.
//! - [`OptionalUser`]: open routes; no credentials is fine, bad credentials are still a 401,
//!   as DRF authenticates eagerly.
//!
//! Each needs a `web::Data<Authenticator>` in the app (`CurrentUser` also `web::Data<Db>`);
//! see `examples/protect_routes.rs`.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::Either;

use super::jwt::{Claims, JwtKeys, TokenError};
use super::revocation::RevocationList;
use crate::db::models::User;
use crate::db::{self, Db, now_ts};
use crate::error::{ApiError, TokenContext};

/// Access tokens remembered after their signature was verified. Clients send the same token
/// with every request for its whole life, so each is verified once (as Envoy's JWT filter
/// does). A hit still checks expiry and revocation. Only tokens that passed verification
/// enter, so forged tokens cannot fill it; at ~600 bytes an entry it stays under ~6 MiB.
const VERIFIED_TOKENS: usize = 10_000;

/// What the extractors need: the keys, the revocation list and the accepted header schemes.
pub struct Authenticator {
    keys: Arc<JwtKeys>,
    verified: quick_cache::sync::Cache<String, Claims>,
    revocations: Arc<RevocationList>,
    /// Lower-cased: the scheme is compared case-insensitively (RFC 7235 §2.1).
    header_types: Vec<String>,
    /// `revocation_check = "strict"`: also ask the database on every request.
    strict: Option<Db>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("header_types", &self.header_types)
            .field("strict", &self.strict.is_some())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub fn new(
        keys: Arc<JwtKeys>,
        revocations: Arc<RevocationList>,
        header_types: &[String],
    ) -> Self {
        Self {
            keys,
            verified: quick_cache::sync::Cache::new(VERIFIED_TOKENS),
            revocations,
            header_types: header_types
                .iter()
                .map(|t| t.to_ascii_lowercase())
                .collect(),
            strict: None,
        }
    }

    /// Checks the database for revocations on every request as well (zero propagation delay
    /// across instances, one query per request).
    pub fn with_strict_check(mut self, db: Db) -> Self {
        self.strict = Some(db);
        self
    }

    pub fn keys(&self) -> &JwtKeys {
        &self.keys
    }

    pub fn revocations(&self) -> &RevocationList {
        &self.revocations
    }

    pub fn revocations_handle(&self) -> Arc<RevocationList> {
        self.revocations.clone()
    }

    /// Validates an access token: signature, time claims, type, then revocation.
    pub fn authenticate_token(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let claims = match self.verified.get(token) {
            Some(claims) => {
                self.keys.check_unexpired(&claims, now)?;
                claims
            }
            None => {
                let claims = self.keys.verify_access(token, now)?;
                self.verified.insert(token.to_owned(), claims.clone());
                claims
            }
        };
        if self.revocations.check(&claims.jti, &claims.sid).is_some() {
            return Err(TokenError::Blacklisted);
        }
        Ok(claims)
    }

    /// `Ok(None)` when there are no credentials for us (no header, or another scheme).
    pub fn authenticate(&self, req: &HttpRequest) -> Result<Option<Claims>, ApiError> {
        let Some(value) = req.headers().get(AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::BadAuthorizationHeader)?;
        // DRF splits on runs of whitespace; so do we.
        let mut parts = value.split_ascii_whitespace();
        let scheme = parts.next().unwrap_or_default();
        if !self
            .header_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(scheme))
        {
            return Ok(None);
        }
        let (Some(token), None) = (parts.next(), parts.next()) else {
            return Err(ApiError::BadAuthorizationHeader);
        };
        self.authenticate_token(token, now_ts())
            .map(Some)
            .map_err(|reason| ApiError::token(reason, TokenContext::Header))
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;
/// Memory-mode checks finish synchronously and allocate nothing; strict mode needs the database.
type Outcome<T> = Either<Ready<Result<T, ApiError>>, Boxed<T>>;

/// Authenticates the request and turns the claims (`None`: no credentials for us) into `T`.
fn authenticate_then<T: 'static>(
    req: &HttpRequest,
    finish: fn(Option<Claims>) -> Result<T, ApiError>,
) -> Outcome<T> {
    let Some(auth) = req.app_data::<web::Data<Authenticator>>() else {
        return Either::Left(ready(Err(ApiError::Internal(
            "web::Data<Authenticator> is not registered".into(),
        ))));
    };
    match (auth.authenticate(req), &auth.strict) {
        (Ok(Some(claims)), Some(db)) => {
            let db = db.clone();
            Either::Right(Box::pin(async move {
                let (jti, sid) = (claims.jti.clone(), claims.sid.clone());
                let revoked = db
                    .run(move |conn| Ok(db::tokens::is_revoked(conn, &jti, &sid)?))
                    .await?;
                if revoked {
                    return Err(ApiError::token(
                        TokenError::Blacklisted,
                        TokenContext::Header,
                    ));
                }
                finish(Some(claims))
            }))
        }
        (result, _) => Either::Left(ready(result.and_then(finish))),
    }
}

/// A request carrying a valid, unrevoked access token.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser {
    pub user_id: i64,
    pub claims: Claims,
}

impl From<Claims> for AuthenticatedUser {
    fn from(claims: Claims) -> Self {
        Self {
            user_id: claims.user_id,
            claims,
        }
    }
}

impl FromRequest for AuthenticatedUser {
    type Error = ApiError;
    type Future = Outcome<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        authenticate_then(req, |claims| {
            claims.map(Self::from).ok_or(ApiError::NotAuthenticated)
        })
    }
}

/// No credentials, or valid ones; invalid credentials are refused even on open routes.
#[derive(Debug, Clone)]
pub struct OptionalUser(pub Option<AuthenticatedUser>);

impl FromRequest for OptionalUser {
    type Error = ApiError;
    type Future = Outcome<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        authenticate_then(req, |claims| {
            Ok(OptionalUser(claims.map(AuthenticatedUser::from)))
        })
    }
}

/// An authenticated request whose user still exists and is active.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: User,
    pub claims: Claims,
}

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let authenticated = AuthenticatedUser::from_request(req, payload);
        let db = req.app_data::<web::Data<Db>>().cloned();
        Box::pin(async move {
            let AuthenticatedUser { user_id, claims } = authenticated.await?;
            let db =
                db.ok_or_else(|| ApiError::Internal("web::Data<Db> is not registered".into()))?;
            let user = db
                .run(move |conn| Ok(db::users::find_by_id(conn, user_id)?))
                .await?
                .ok_or(ApiError::UserNotFound)?;
            if !user.is_active {
                return Err(ApiError::UserInactive);
            }
            Ok(Self { user, claims })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jwt::TokenType;
    use crate::settings::{LoadOptions, Secret, Settings};

    const NOW: i64 = 1_800_000_000;
    const SID: &str = "0123456789abcdef0123456789abcdef";

    fn authenticator() -> Authenticator {
        let settings = Settings::load(&LoadOptions::default()).unwrap();
        let keys = JwtKeys::new(&settings, &Secret::new("s".repeat(40)));
        Authenticator::new(
            Arc::new(keys),
            Arc::new(RevocationList::new()),
            &["Bearer".into()],
        )
    }

    #[test]
    fn a_remembered_token_still_expires_and_can_still_be_revoked() {
        let auth = authenticator();
        let (token, claims) = auth
            .keys()
            .mint(TokenType::Access, 7, SID, NOW, NOW)
            .unwrap();
        assert_eq!(auth.authenticate_token(&token, NOW), Ok(claims.clone()));
        assert_eq!(
            auth.authenticate_token(&token, NOW + 1),
            Ok(claims.clone()),
            "from the cache"
        );
        assert_eq!(
            auth.authenticate_token(&token, claims.exp),
            Err(TokenError::Expired)
        );
        auth.revocations().revoke_session(SID, NOW + 600, NOW);
        assert_eq!(
            auth.authenticate_token(&token, NOW + 2),
            Err(TokenError::Blacklisted)
        );
    }

    #[test]
    fn refresh_tokens_are_never_remembered_as_access_tokens() {
        let auth = authenticator();
        let (token, _) = auth
            .keys()
            .mint(TokenType::Refresh, 7, SID, NOW, NOW)
            .unwrap();
        assert_eq!(
            auth.authenticate_token(&token, NOW),
            Err(TokenError::WrongType)
        );
        assert_eq!(
            auth.authenticate_token(&token, NOW),
            Err(TokenError::WrongType)
        );
    }
}
