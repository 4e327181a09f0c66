//! The authenticator: from a request to a [`Principal`], or no credentials, or a 401.
//!
//! Credential source -> verifier -> principal. The header source finds a [`Credential`]; the
//! verifier for its kind checks it; the result is who is calling. A new credential kind adds a
//! source or a [`Credential`] variant and a verifier here, and nothing else changes.

use std::sync::Arc;

use actix_web::HttpRequest;

use super::credential::{AuthorizationHeader, Credential};
use super::jwt_verifier::JwtVerifier;
use super::key_verifier::{KeyCheck, KeyLookup, KeyVerifier};
use crate::clock::seconds;
use crate::db::{ConnectError, Db};
use crate::error::{ApiError, TokenContext};
use crate::jobs::Background;
use crate::keyring::{self, sync::StoredKeys};
use crate::keys;
use crate::revocation::{RevocationList, StrictCheck};
use crate::settings::{Settings, SettingsError, SigningKeySource};
use crate::tokens::{JwtKeys, Principal, TokenError};

/// What the extractors need; register it as `web::Data<Authenticator>`.
#[derive(Debug)]
pub struct Authenticator {
    header: AuthorizationHeader,
    jwt: JwtVerifier,
    key: KeyVerifier,
    /// `revocation_check = "strict"`: also ask the database on every request.
    strict: Option<StrictCheck>,
    /// [`Authenticator::connect`] with stored keys: the thread that keeps the ring current.
    background: Background,
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
            background: Background::default(),
        }
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

    /// [`Authenticator::from_settings`] for every `signing_keys` source, `"database"`
    /// included: opens bouncer's database (`database_url`, applying pending migrations) and
    /// reads the key ring from it; a ring with no active key gets one, as at bouncer's
    /// start-up. With stored keys a thread re-reads the ring every `revocation_sync_interval`
    /// (it stops when the authenticator is dropped), so a rotation made anywhere reaches this
    /// app too. Opaque `Token` keys are accepted, looked up in the database. Like
    /// `from_settings`, the revocation list starts empty and is not synced.
    pub async fn connect(settings: &Settings) -> Result<Self, SettingsError> {
        let owned = settings.clone();
        let db = tokio::task::spawn_blocking(move || Db::connect(&owned))
            .await
            .map_err(|e| SettingsError::new(format!("opening the database: {e}")))?
            .map_err(|e| match e {
                ConnectError::Setting(message) => SettingsError::new(message),
                ConnectError::Unavailable(message) => {
                    SettingsError::new(format!("setting `database_url`: unavailable: {message}"))
                }
            })?;
        let secret = keys::resolve_secret(settings, false)?;
        let keys = Arc::new(keys::load_with_db(settings, &secret, &db).await?);
        let revocations = Arc::new(RevocationList::new(keys.leeway()));
        let mut authenticator = Self::new(
            keys.clone(),
            revocations.clone(),
            &settings.auth_header_types,
        )
        .with_key_store(db.clone(), revocations);
        if settings.signing_keys == SigningKeySource::Database {
            let stored = StoredKeys {
                db,
                sealer: keyring::sealer(settings)?,
                keys,
                algorithm: keyring::algorithm(settings.algorithm),
                jwks_max_age: seconds(settings.jwks_max_age),
            };
            let interval = settings.revocation_sync_interval;
            authenticator
                .background
                .spawn("key-ring-poll", move |stop| {
                    keyring::sync::poll(&stored, interval, &stop);
                });
        }
        Ok(authenticator)
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
            Credential::Jwt(token) => Authentication::Ready(
                self.jwt
                    .verify(token, now)
                    .map(|claims| Some(Principal::from_access(claims))),
            ),
            Credential::Key(key) => match self.key.check(key, now) {
                KeyCheck::Known(result) => Authentication::Ready(result.map(Some)),
                KeyCheck::Lookup(lookup) => Authentication::Lookup(lookup),
            },
        }
    }

    /// Finishes an authentication that needed the database.
    pub async fn lookup_key(&self, lookup: KeyLookup, now: i64) -> Result<Principal, ApiError> {
        self.key.lookup(lookup, now).await
    }
}

/// What [`Authenticator::authenticate`] could tell from memory.
pub enum Authentication {
    Ready(Result<Option<Principal>, ApiError>),
    Lookup(KeyLookup),
}

/// The 401 for a credential the database says is revoked (strict mode).
pub(super) fn revoked() -> ApiError {
    ApiError::token(TokenError::Blacklisted, TokenContext::Header)
}
