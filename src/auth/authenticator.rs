//! The authenticator: from a request to a [`Principal`], or no credentials, or a 401.
//!
//! Credential source -> verifier -> principal. The header source finds a [`Credential`]; the
//! verifier for its kind checks it; the result is who is calling. A new credential kind adds a
//! source or a [`Credential`] variant and a verifier here, and nothing else changes.

use std::sync::Arc;

use actix_web::HttpRequest;

use super::credential::{AuthorizationHeader, Credential};
use super::django_verifier::{DjangoCheck, DjangoLookup, DjangoVerifier};
use super::dpop_request::{check_proof, proof_header};
use super::jwt_verifier::JwtVerifier;
use super::key_verifier::{KeyCheck, KeyLookup, KeyVerifier};
use super::rights_lookup::{RightsCheck, RightsLookup, RightsRead};
use crate::clock::seconds;
use crate::db::{ConnectError, Db};
use crate::dpop::{DpopGuard, ReplayCache};
use crate::error::{ApiError, TokenContext};
use crate::jobs::Background;
use crate::keyring::{self, sync::StoredKeys};
use crate::keys;
use crate::revocation::{RevocationList, StrictCheck};
use crate::settings::{Settings, SettingsError, SigningKeySource};
use crate::tokens::{Claims, JwtKeys, LegacyKeys, Principal, TokenError, VerifiedProof};

/// What the extractors need; register it as `web::Data<Authenticator>`.
#[derive(Debug)]
pub struct Authenticator {
    header: AuthorizationHeader,
    jwt: JwtVerifier,
    key: KeyVerifier,
    /// The rights of users whose access tokens do not carry them.
    rights: RightsLookup,
    /// `revocation_check = "strict"`: also ask the database on every request.
    strict: Option<StrictCheck>,
    /// `[django_tokens]`: simplejwt's access tokens from before the cut-over.
    django: Option<DjangoVerifier>,
    /// [`Authenticator::connect`] with stored keys: the thread that keeps the ring current.
    background: Background,
    /// `[dpop]`: DPoP-bound tokens are accepted as `DPoP <token>` with a proof.
    dpop: Option<Arc<DpopGuard>>,
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
            key: KeyVerifier::new(revocations.clone(), None),
            rights: RightsLookup::new(revocations, None),
            strict: None,
            django: None,
            background: Background::default(),
            dpop: None,
        }
    }

    /// Accepts DPoP-bound tokens (`Authorization: DPoP <token>` and a `DPoP` proof) checked
    /// by `guard`; without it they are refused, and the token endpoints issue none.
    pub fn with_dpop(mut self, guard: Option<Arc<DpopGuard>>) -> Self {
        self.dpop = guard;
        self
    }

    /// The DPoP checks in force, if DPoP is on.
    pub fn dpop(&self) -> Option<&Arc<DpopGuard>> {
        self.dpop.as_ref()
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

    /// Accepts opaque `Token` keys too, looked up in `db` (and then cached); reads there the
    /// rights of users whose access tokens do not carry them (`access_token_claims`).
    pub fn with_key_store(mut self, db: Db, revocations: Arc<RevocationList>) -> Self {
        self.rights = RightsLookup::new(revocations.clone(), Some(db.clone()));
        self.key = KeyVerifier::new(revocations, Some(db));
        self
    }

    /// For an app that only validates tokens: the keys from bouncer's settings (the secret
    /// must already exist; it is never created here) and an empty revocation list.
    pub fn from_settings(settings: &Settings) -> Result<Self, SettingsError> {
        let keys = Arc::new(keys::load(settings, false)?);
        let revocations = Arc::new(RevocationList::new(keys.leeway()));
        // No database here: proofs are remembered in this process only.
        let dpop = dpop_guard(settings, ReplayCache::memory())?;
        Ok(Self::new(keys, revocations, &settings.auth_header_types).with_dpop(dpop))
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
        .with_key_store(db.clone(), revocations)
        .with_dpop(dpop_guard(settings, replay_cache(settings, &db)?)?);
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
            Credential::Jwt(token) => match self.jwt.verify(token, now) {
                // A bound token is worthless without its key's proof (RFC 9449 §7.2): as
                // Bearer it is refused like any invalid token.
                Ok(claims) if claims.cnf.is_some() => Authentication::Ready(Err(ApiError::token(
                    TokenError::Invalid,
                    TokenContext::Header,
                ))),
                Ok(claims) => self.with_rights(claims),
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
            Credential::Dpop(token) => match &self.dpop {
                None => Authentication::Ready(Ok(None)),
                Some(guard) => self
                    .verify_bound(req, guard, token, now)
                    .unwrap_or_else(|e| Authentication::Ready(Err(e))),
            },
            Credential::Key(key) => match self.key.check(key, now) {
                KeyCheck::Known(result) => Authentication::Ready(result.map(Some)),
                KeyCheck::Lookup(lookup) => Authentication::Lookup(Lookup::Key(lookup)),
            },
        }
    }

    /// `DPoP <token>`: the token, bound to a key (an unbound token in the DPoP scheme is
    /// refused: RFC 9449 §7.1 allows either, and strict leaves one meaning per scheme), and a
    /// proof by that key for this request and this token. The replay check needs Redis or the
    /// database, so it finishes in [`Authenticator::lookup_key`]. The verified-token cache
    /// serves the token; the proof is checked afresh on every request.
    fn verify_bound(
        &self,
        req: &HttpRequest,
        guard: &Arc<DpopGuard>,
        token: &str,
        now: i64,
    ) -> Result<Authentication, ApiError> {
        let claims = self.jwt.verify(token, now)?;
        let Some(jkt) = claims.cnf else {
            return Err(ApiError::token(TokenError::Invalid, TokenContext::Header));
        };
        let invalid = |reason| ApiError::InvalidDpopProof {
            reason,
            context: TokenContext::Header,
        };
        let proof = proof_header(req, TokenContext::Header)?
            .ok_or_else(|| invalid("a DPoP-bound token needs a DPoP proof header"))?;
        let proof = check_proof(req, guard, proof, Some(token), TokenContext::Header, now)?;
        if proof.jkt != jkt {
            return Err(invalid("the DPoP proof is not signed by the token's key"));
        }
        Ok(Authentication::Lookup(Lookup::Dpop(Box::new(
            BoundLookup {
                guard: guard.clone(),
                proof,
                claims,
            },
        ))))
    }

    /// The principal of a verified access token, with the rights it carries, or else its
    /// user's rights as bouncer knows them (`rights_lookup.rs`).
    fn with_rights(&self, claims: Claims) -> Authentication {
        if claims.rights.is_some() {
            return Authentication::Ready(Ok(Some(Principal::from_access(claims))));
        }
        match self.rights.check(claims.user_id) {
            RightsCheck::Known(rights) => {
                let rights = Some(rights);
                Authentication::Ready(Ok(Some(Principal::from_access(Claims {
                    rights,
                    ..claims
                }))))
            }
            RightsCheck::Read(read) => {
                Authentication::Lookup(Lookup::Rights(read, Box::new(claims)))
            }
        }
    }

    /// Finishes an authentication that needed the database.
    pub async fn lookup_key(&self, lookup: Lookup, now: i64) -> Result<Principal, ApiError> {
        match (lookup, &self.django) {
            (Lookup::Key(lookup), _) => self.key.lookup(lookup, now).await,
            (Lookup::Rights(read, claims), _) => {
                let rights = Some(self.rights.read(read).await?);
                Ok(Principal::from_access(Claims { rights, ..*claims }))
            }
            (Lookup::Django(lookup), Some(django)) => django.lookup(lookup, now).await,
            (Lookup::Dpop(bound), _) => {
                let BoundLookup {
                    guard,
                    proof,
                    claims,
                } = *bound;
                guard.remember(&proof, TokenContext::Header, now).await?;
                match self.with_rights(claims) {
                    Authentication::Ready(result) => result?.ok_or_else(|| {
                        ApiError::Internal("a bound token without principal".into())
                    }),
                    Authentication::Lookup(Lookup::Rights(read, claims)) => {
                        let rights = Some(self.rights.read(read).await?);
                        Ok(Principal::from_access(Claims { rights, ..*claims }))
                    }
                    Authentication::Lookup(_) => Err(ApiError::Internal(
                        "unexpected lookup for a bound token".into(),
                    )),
                }
            }
            (Lookup::Django(_), None) => Err(ApiError::Internal("no Django verifier".into())),
        }
    }
}

/// What [`Authenticator::authenticate`] could tell from memory.
pub enum Authentication {
    Ready(Result<Option<Principal>, ApiError>),
    Lookup(Lookup),
}

/// What must be read from the database to finish an authentication.
pub enum Lookup {
    /// An opaque key.
    Key(KeyLookup),
    /// An access token simplejwt issued before the cut-over.
    Django(DjangoLookup),
    /// The rights of a verified access token's user (its claims, without them).
    Rights(RightsRead, Box<Claims>),
    /// A DPoP-bound token whose proof passed every check but the replay cache's.
    Dpop(Box<BoundLookup>),
}

/// A verified DPoP-bound token and its proof, waiting for the replay check.
pub struct BoundLookup {
    guard: Arc<DpopGuard>,
    proof: VerifiedProof,
    claims: Claims,
}

/// The replay cache `[throttle] redis_url` or else the database gives every instance.
pub fn replay_cache(settings: &Settings, db: &Db) -> Result<ReplayCache, SettingsError> {
    match &settings.throttle.redis_url {
        Some(url) => ReplayCache::redis(
            url,
            &settings.throttle.redis_key_prefix,
            settings.throttle.redis_timeout,
        )
        .map_err(SettingsError::new),
        None => Ok(ReplayCache::Database(db.clone())),
    }
}

/// The DPoP checks of `[dpop]` (`None` when it is off). Nonces are keyed by the signing
/// secret so every instance accepts every other's; a deployment without a secret (keys
/// from files only) gets a random key, and nonces then hold within one process only.
pub fn dpop_guard(
    settings: &Settings,
    replay: ReplayCache,
) -> Result<Option<Arc<DpopGuard>>, SettingsError> {
    if !settings.dpop.enabled {
        return Ok(None);
    }
    let secret = match keys::resolve_secret(settings, false) {
        Ok(secret) => secret.expose().as_bytes().to_vec(),
        Err(_) => {
            let mut random = vec![0; 32];
            getrandom::fill(&mut random)
                .map_err(|e| SettingsError::new(format!("random nonce key: {e}")))?;
            random
        }
    };
    Ok(Some(Arc::new(DpopGuard::new(
        &settings.dpop,
        &secret,
        replay,
    ))))
}

/// The 401 for a credential the database says is revoked (strict mode).
pub(super) fn revoked() -> ApiError {
    ApiError::token(TokenError::Blacklisted, TokenContext::Header)
}
