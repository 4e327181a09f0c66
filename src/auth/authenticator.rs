//! The authenticator: from a request to a [`Principal`], or no credentials, or a 401.
//!
//! Credential source -> verifier -> principal. The header source finds a [`Credential`]; the
//! verifier for its kind checks it; the result is who is calling. A new credential kind adds a
//! source or a [`Credential`] variant and a verifier here, and nothing else changes.

use std::sync::Arc;

use actix_web::HttpRequest;

use super::credential::{AuthorizationHeader, Credential};
use super::jwt_verifier::JwtVerifier;
use crate::error::{ApiError, TokenContext};
use crate::keys;
use crate::revocation::{RevocationList, StrictCheck};
use crate::settings::{Settings, SettingsError};
use crate::tokens::{JwtKeys, Principal, TokenError};

/// What the extractors need; register it as `web::Data<Authenticator>`.
#[derive(Debug)]
pub struct Authenticator {
    header: AuthorizationHeader,
    jwt: JwtVerifier,
    /// `revocation_check = "strict"`: also ask the database on every request.
    strict: Option<StrictCheck>,
}

impl Authenticator {
    /// An authenticator for the signing keys, revocation list and `auth_header_types` given.
    pub fn new(
        keys: Arc<JwtKeys>,
        revocations: Arc<RevocationList>,
        header_types: &[String],
    ) -> Self {
        Self {
            header: AuthorizationHeader::new(header_types),
            jwt: JwtVerifier::new(keys, revocations),
            strict: None,
        }
    }

    /// For an app that only validates tokens: the keys from bouncer's settings (the secret
    /// must already exist; it is never created here) and an empty revocation list.
    pub fn from_settings(settings: &Settings) -> Result<Self, SettingsError> {
        let keys = Arc::new(keys::load(settings, false)?);
        let revocations = Arc::new(RevocationList::new(keys.leeway()));
        Ok(Self::new(keys, revocations, &settings.auth_header_types))
    }

    /// Checks the database for revocations on every request as well (zero propagation delay
    /// across instances, one query per request).
    pub fn with_strict_check(mut self, strict: StrictCheck) -> Self {
        self.strict = Some(strict);
        self
    }

    pub(super) fn strict_check(&self) -> Option<&StrictCheck> {
        self.strict.as_ref()
    }

    /// `Ok(None)` when there are no credentials for us (no header, or another scheme).
    pub fn authenticate(&self, req: &HttpRequest, now: i64) -> Result<Option<Principal>, ApiError> {
        let Some(credential) = self.header.credential(req)? else {
            return Ok(None);
        };
        let principal = match credential {
            Credential::Jwt(token) => self
                .jwt
                .verify(token, now)
                .map(|c| Principal::from_access(&c)),
        };
        principal
            .map(Some)
            .map_err(|reason| ApiError::token(reason, TokenContext::Header))
    }
}

/// The 401 for a credential the database says is revoked (strict mode).
pub(super) fn revoked() -> ApiError {
    ApiError::token(TokenError::Blacklisted, TokenContext::Header)
}
