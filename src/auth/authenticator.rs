//! The authenticator: from a request to a [`Principal`], or no credentials, or a 401.
//!
//! Credential source -> verifier -> principal. The header source finds a [`Credential`]; the
//! verifier for its kind checks it; the result is who is calling. A new credential kind adds a
//! source or a [`Credential`] variant and a verifier here, and nothing else changes.

use std::sync::Arc;

use actix_web::HttpRequest;

use super::credential::{AuthorizationHeader, Credential};
use super::django_verifier::{DjangoCheck, DjangoLookup, DjangoVerifier};
use super::jwt_verifier::JwtVerifier;
use super::key_verifier::{KeyCheck, KeyLookup, KeyVerifier};
use crate::db::Db;
use crate::error::{ApiError, TokenContext};
use crate::keys;
use crate::revocation::{RevocationList, StrictCheck};
use crate::settings::{Settings, SettingsError};
use crate::tokens::{JwtKeys, LegacyKeys, Principal, TokenError};

/// What the extractors need; register it as `web::Data<Authenticator>`.
#[derive(Debug)]
pub struct Authenticator {
    header: AuthorizationHeader,
    jwt: JwtVerifier,
    key: KeyVerifier,
    /// `revocation_check = "strict"`: also ask the database on every request.
    strict: Option<StrictCheck>,
    /// `[django_tokens]`: simplejwt's access tokens from before the cut-over.
    django: Option<DjangoVerifier>,
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
            jwt: JwtVerifier::new(keys, revocations.clone()),
            key: KeyVerifier::new(revocations, None),
            strict: None,
            django: None,
        }
    }

    /// Accepts the access tokens simplejwt issued, signed with `django`'s key; their users'
    /// rights are read from `db`. `strict`: the database is asked on every request.
    pub fn with_django_tokens(
        mut self,
        django: Option<Arc<LegacyKeys>>,
        db: Db,
        revocations: Arc<RevocationList>,
        strict: bool,
    ) -> Self {
        self.django = django.map(|keys| DjangoVerifier::new(keys, revocations, db, strict));
        self
    }

    /// Accepts opaque `Token` keys too, looked up in `db` (and then cached).
    pub fn with_key_store(mut self, db: Db, revocations: Arc<RevocationList>) -> Self {
        self.key = KeyVerifier::new(revocations, Some(db));
        self
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

    /// Who is calling, from memory when it can: `Ready(Ok(None))` when there are no
    /// credentials for us (no header, or another scheme); `Lookup` for a key that must be
    /// read from the database ([`Authenticator::lookup_key`]).
    pub fn authenticate(&self, req: &HttpRequest, now: i64) -> Authentication {
        let credential = match self.header.credential(req) {
            Ok(Some(credential)) => credential,
            Ok(None) => return Authentication::Ready(Ok(None)),
            Err(e) => return Authentication::Ready(Err(e)),
        };
        match credential {
            Credential::Jwt(token) => match self.jwt.verify(token, now) {
                Ok(claims) => Authentication::Ready(Ok(Some(Principal::from_access(claims)))),
                // Only a token bouncer's keys refused, and only one shaped like Django's.
                Err(e @ ApiError::InvalidToken { .. }) => {
                    match self.django.as_ref().and_then(|d| d.check(token, now)) {
                        None => Authentication::Ready(Err(e)),
                        Some(DjangoCheck::Known(result)) => Authentication::Ready(result.map(Some)),
                        Some(DjangoCheck::Lookup(lookup)) => {
                            Authentication::Lookup(Lookup::Django(lookup))
                        }
                    }
                }
                Err(e) => Authentication::Ready(Err(e)),
            },
            Credential::Key(key) => match self.key.check(key, now) {
                KeyCheck::Known(result) => Authentication::Ready(result.map(Some)),
                KeyCheck::Lookup(lookup) => Authentication::Lookup(Lookup::Key(lookup)),
            },
        }
    }

    /// Finishes an authentication that needed the database.
    pub async fn lookup_key(&self, lookup: Lookup, now: i64) -> Result<Principal, ApiError> {
        match (lookup, &self.django) {
            (Lookup::Key(lookup), _) => self.key.lookup(lookup, now).await,
            (Lookup::Django(lookup), Some(django)) => django.lookup(lookup, now).await,
            (Lookup::Django(_), None) => Err(ApiError::Internal("no Django verifier".into())),
        }
    }
}

/// What [`Authenticator::authenticate`] could tell from memory.
pub enum Authentication {
    Ready(Result<Option<Principal>, ApiError>),
    Lookup(Lookup),
}

/// A credential whose user must be read from the database.
pub enum Lookup {
    Key(KeyLookup),
    Django(DjangoLookup),
}

/// The 401 for a credential the database says is revoked (strict mode).
pub(super) fn revoked() -> ApiError {
    ApiError::token(TokenError::Blacklisted, TokenContext::Header)
}
