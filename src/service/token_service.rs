//! The life of a login session's tokens: starting a session and rotating its refresh token
//! (verifying, blacklisting and logging out: `token_ending.rs`).
//!
//! Every revocation is committed to the database first and applied to the in-memory list
//! before the caller answers, so an acknowledged logout is enforced at once and survives a crash.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::custom_claims::ExtraClaims;
use super::revoker::Revoker;
use crate::audit::AuditEvent;
use crate::clock;
use crate::db::groups::{self, UserRights};
use crate::db::models::User;
use crate::db::rotation::{Rotation, RotationOutcome, Successor};
use crate::db::sessions::{self, SessionKind};
use crate::db::tokens;
use crate::db::{Db, users};
use crate::error::{ApiError, TokenContext};
use crate::metrics::Metrics;
use crate::revocation::RevocationList;
use crate::tokens::{
    Amr, Claims, Grant, JwtKeys, LegacyKeys, Rights, SessionId, Thumbprint, TokenError, TokenId,
    TokenType,
};

/// When the session's login happened, how it was proved and the key it is bound to: what
/// every token of the session carries (`auth_time`, `amr`, `cnf`), from the login through
/// each refresh.
#[derive(Debug, Clone, Copy)]
struct Login {
    auth_time: i64,
    amr: Option<Amr>,
    /// DPoP: the client key every token of the session is bound to (`cnf.jkt`).
    cnf: Option<Thumbprint>,
}

/// What the token endpoints answer. `refresh` is absent when rotation is off. `sid` names
/// the session, for the audit trail and the CSRF proof; it is not sent.
#[derive(Debug)]
pub struct TokenPair {
    pub access: String,
    pub access_expires_at: i64,
    /// The refresh token and its `exp`.
    pub refresh: Option<(String, i64)>,
    pub sid: SessionId,
    /// The client key the tokens are DPoP-bound to (`token_type: DPoP` in the answer).
    pub cnf: Option<Thumbprint>,
}

/// simplejwt's `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION`, and bouncer's
/// `refresh_reuse_grace` (seconds).
#[derive(Debug, Clone, Copy)]
pub struct RotationPolicy {
    pub rotate_refresh_tokens: bool,
    pub blacklist_after_rotation: bool,
    pub reuse_grace: i64,
}

/// Where a login came from, as the sessions list shows it.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: String,
    pub address: String,
}

/// Which sessions a logout ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutScope {
    /// The caller's session only.
    Local,
    /// Every other session of the caller's user; the caller's stays.
    Others,
    /// Every session of the user, the caller's included.
    Global,
}

#[derive(Debug)]
pub struct TokenService {
    pub(super) db: Db,
    pub(super) keys: Arc<JwtKeys>,
    pub(super) revocations: Arc<RevocationList>,
    pub(super) rotation: RotationPolicy,
    pub(super) revoker: Revoker,
    /// `[django_tokens]`: simplejwt's tokens are accepted too (`legacy_tokens.rs`).
    pub(super) django: Option<Arc<LegacyKeys>>,
    /// What access tokens carry beyond bouncer's own claims (none by default).
    extra: ExtraClaims,
}

/// simplejwt's answer to a bad token in a token endpoint's body.
pub(super) fn body_error(reason: TokenError) -> ApiError {
    ApiError::token(reason, TokenContext::Body)
}

impl TokenService {
    pub fn new(
        db: Db,
        keys: Arc<JwtKeys>,
        revocations: Arc<RevocationList>,
        rotation: RotationPolicy,
    ) -> Self {
        Self {
            revoker: Revoker::new(db.clone(), revocations.clone(), keys.access_window()),
            db,
            keys,
            revocations,
            rotation,
            django: None,
            extra: ExtraClaims::default(),
        }
    }

    /// Accepts the tokens simplejwt issued, signed with `django`'s key (`legacy_tokens.rs`);
    /// ending a user's sessions voids them too.
    pub fn with_django_tokens(mut self, django: Option<Arc<LegacyKeys>>) -> Self {
        self.revoker = self.revoker.with_django_tokens(django.clone());
        self.django = django;
        self
    }

    /// Access tokens carry these claims too (`access_token_claims`, the claims hook).
    pub fn with_extra_claims(mut self, extra: ExtraClaims) -> Self {
        self.extra = extra;
        self
    }

    /// Ending every session (logout `others`/`global`) ends the user's device tokens too.
    pub fn with_device_ends(mut self, devices: Option<super::devices::DeviceEnds>) -> Self {
        self.revoker = self.revoker.with_device_ends(devices);
        self
    }

    /// The same, counting refreshes, reuse and revocations in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.revoker = self.revoker.with_metrics(metrics);
        self
    }

    /// Mints an access token carrying the user's current rights. The `jti` is chosen before
    /// the rights are read (see `tokens::Grant`). `None` when the user is gone or inactive.
    async fn mint_access(
        &self,
        user_id: i64,
        sid: SessionId,
        login: Login,
        now: i64,
    ) -> Result<Option<(String, i64)>, ApiError> {
        let jti = TokenId::generate();
        let rights = self
            .db
            .run(move |conn| groups::rights_of(conn, user_id))
            .await?;
        let extra = self.extra.for_user(&self.db, &self.keys, user_id).await?;
        self.mint_with(user_id, sid, login, jti, (rights, extra), now)
    }

    /// Mints an access token with `jti` (chosen before `rights` and the extra claims were
    /// read), issued at `now`, DPoP-bound to `login.cnf` if given; the token and its `exp`.
    fn mint_with(
        &self,
        user_id: i64,
        sid: SessionId,
        login: Login,
        jti: TokenId,
        (rights, extra): (Option<UserRights>, Map<String, Value>),
        now: i64,
    ) -> Result<Option<(String, i64)>, ApiError> {
        let Some(UserRights {
            is_active: true,
            is_staff,
            groups,
        }) = rights
        else {
            return Ok(None);
        };
        let grant = Grant {
            user_id,
            sid,
            auth_time: login.auth_time,
            jti,
            rights: Rights::new(is_staff, groups),
            extra,
            amr: login.amr,
        };
        let (token, claims) =
            self.keys
                .mint_grant_bound(TokenType::Access, grant, now, login.cnf)?;
        Ok(Some((token, claims.exp)))
    }

    /// Starts a new session for a user whose password was just checked, from `client`: its
    /// tokens say `amr: ["pwd"]`.
    pub async fn start_session(
        &self,
        user: &User,
        client: ClientInfo,
    ) -> Result<TokenPair, ApiError> {
        self.start_session_as(user, client, Amr::Password, None)
            .await
    }

    /// Starts a new session for a user whose login was just proved as `amr` says (a password,
    /// and a second factor after `POST /auth/mfa/verify/`), from `client`; DPoP-bound to
    /// `cnf` when given.
    pub async fn start_session_proved(
        &self,
        user: &User,
        client: ClientInfo,
        amr: Amr,
        cnf: Option<Thumbprint>,
    ) -> Result<TokenPair, ApiError> {
        self.start_session_as(user, client, amr, cnf).await
    }

    /// [`TokenService::start_session`], both tokens DPoP-bound to the client key `cnf` when
    /// given (RFC 9449 §5: the refresh token of a public client is bound too).
    pub async fn start_session_bound(
        &self,
        user: &User,
        client: ClientInfo,
        cnf: Option<Thumbprint>,
    ) -> Result<TokenPair, ApiError> {
        self.start_session_as(user, client, Amr::Password, cnf)
            .await
    }

    /// A new session whose login was proved as `amr` says, bound to `cnf` when given.
    async fn start_session_as(
        &self,
        user: &User,
        client: ClientInfo,
        amr: Amr,
        cnf: Option<Thumbprint>,
    ) -> Result<TokenPair, ApiError> {
        let now = clock::now();
        let sid = SessionId::generate();
        let user_id = user.id;
        let login = Login {
            auth_time: now,
            amr: Some(amr),
            cnf,
        };
        let refresh = Grant {
            user_id,
            sid,
            auth_time: now,
            jti: TokenId::generate(),
            rights: Rights::default(),
            extra: Map::new(),
            amr: Some(amr),
        };
        let (refresh, refresh_claims) =
            self.keys
                .mint_grant_bound(TokenType::Refresh, refresh, now, cnf)?;
        let (access, access_expires_at) = self
            .mint_access(user_id, sid, login, now)
            .await?
            .ok_or(ApiError::InvalidCredentials)?;
        let login_at = clock::now_utc();
        let refresh_expires_at = refresh_claims.exp;
        let session = sessions::NewSession {
            sid: sid.to_string(),
            user_id,
            kind: SessionKind::Refresh.as_str(),
            user_agent: client.user_agent,
            address: client.address,
            created_at: now,
            last_used_at: now,
            expires_at: Some(self.keys.session_end(now)),
        };
        self.db
            .write(move |conn| {
                tokens::record_outstanding(conn, &[tokens::outstanding(&refresh_claims)])?;
                sessions::insert(conn, &session)?;
                users::record_login(conn, user_id, login_at)
            })
            .await?;
        // The route writes the `login.success` line: it knows the client.
        Ok(TokenPair {
            access,
            access_expires_at,
            refresh: Some((refresh, refresh_expires_at)),
            sid,
            cnf,
        })
    }

    /// Exchanges a refresh token for an access token (and, with rotation, a new refresh
    /// token). A refresh token presented after it was rotated is a theft signal (RFC 9700
    /// §4.14.2): the whole session is revoked, and that revocation commits although the
    /// request fails. Within `refresh_reuse_grace` of its rotation, the rotated token of the
    /// session's current one is a retry instead: it gets the same successor pair again.
    ///
    /// `bound_to` checks the verified token's session before anything is written (cookie
    /// mode's CSRF proof); its error is the answer.
    #[allow(
        dead_code,
        reason = "the refresh of callers without DPoP; the route calls refresh_bound"
    )]
    pub async fn refresh(
        &self,
        token: &str,
        bound_to: impl FnOnce(SessionId) -> Result<(), ApiError>,
    ) -> Result<TokenPair, ApiError> {
        self.refresh_bound(token, bound_to, None).await
    }

    /// [`TokenService::refresh`] with the key of the request's DPoP proof, if it sent one.
    /// A DPoP-bound refresh token needs a proof by its own key (RFC 9449 §5), checked before
    /// anything is written; its successors stay bound to that key. An unbound one stays
    /// unbound whatever the request sent: binding is chosen at login.
    pub async fn refresh_bound(
        &self,
        token: &str,
        bound_to: impl FnOnce(SessionId) -> Result<(), ApiError>,
        proof_key: Option<Thumbprint>,
    ) -> Result<TokenPair, ApiError> {
        let now = clock::now();
        let old = match self.keys.verify_refresh(token, now) {
            Ok(old) => old,
            Err(e) => return self.refresh_django(token, e, bound_to, now).await,
        };
        proved_by_its_key(&old, proof_key)?;
        bound_to(old.sid)?;
        if self.revocations.is_session_revoked(old.sid) {
            return Err(body_error(TokenError::Blacklisted));
        }
        self.rotate_verified(old, self.rotation, now).await
    }

    /// Rotates the verified refresh token `old` (its session checked unrevoked) by `rotation`.
    pub(super) async fn rotate_verified(
        &self,
        old: Claims,
        rotation: RotationPolicy,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let (user_id, sid, old_jti) = (old.user_id, old.sid, old.jti);
        // The successors say how the session's login was proved, as the old token did, and
        // a bound session stays bound to its key through every rotation.
        let login = Login {
            auth_time: old.auth_time,
            amr: old.amr,
            cnf: old.cnf,
        };
        let cnf = login.cnf;
        let new_refresh = if rotation.rotate_refresh_tokens {
            let grant = Grant {
                user_id,
                sid,
                auth_time: login.auth_time,
                jti: TokenId::generate(),
                rights: Rights::default(),
                extra: Map::new(),
                amr: login.amr,
            };
            Some(
                self.keys
                    .mint_grant_bound(TokenType::Refresh, grant, now, cnf)?,
            )
        } else {
            None
        };
        let blacklist_old = rotation.rotate_refresh_tokens && rotation.blacklist_after_rotation;
        let horizon = self.keys.access_horizon(now);
        let new_claims = new_refresh.as_ref().map(|(_, claims)| claims.clone());
        // Before the rotation, which may read the rights (see `tokens::Grant`).
        let access_jti = TokenId::generate();
        let outcome = self
            .db
            .rotate(Rotation {
                old,
                new: new_claims,
                new_access_jti: access_jti,
                blacklist_old,
                grace: rotation.reuse_grace,
                access_horizon: horizon,
                now,
            })
            .await?;
        match outcome {
            // The access token is minted after the rotation committed, with the rights the
            // user has now: a refresh after losing a group mints a token without it.
            RotationOutcome::Rotated(rights) => {
                let rights = self.rights_or_read(user_id, rights).await?;
                let extra = self.extra.for_user(&self.db, &self.keys, user_id).await?;
                let (access, access_expires_at) = self
                    .mint_with(user_id, sid, login, access_jti, (rights, extra), now)?
                    .ok_or(ApiError::NoActiveAccountForToken)?;
                self.revoker.metrics.refreshed();
                AuditEvent::new("token.refresh")
                    .field("user_id", user_id)
                    .field("sid", sid.to_string())
                    .field("jti", old_jti.to_string())
                    .emit();
                Ok(TokenPair {
                    access,
                    access_expires_at,
                    refresh: new_refresh.map(|(token, claims)| (token, claims.exp)),
                    sid,
                    cnf,
                })
            }
            RotationOutcome::Reissued(successor, rights) => {
                let rights = self.rights_or_read(user_id, rights).await?;
                let extra = self.extra.for_user(&self.db, &self.keys, user_id).await?;
                let pair = self.reissue(&successor, user_id, sid, login, (rights, extra))?;
                AuditEvent::warning("token.refresh_retried")
                    .field("user_id", user_id)
                    .field("sid", sid.to_string())
                    .field("jti", old_jti.to_string())
                    .field("successor", successor.refresh_jti.to_string())
                    .field("rotated_at", successor.minted_at)
                    .emit();
                Ok(pair)
            }
            RotationOutcome::SessionRevoked => Err(body_error(TokenError::Blacklisted)),
            RotationOutcome::NoActiveUser => Err(ApiError::NoActiveAccountForToken),
            RotationOutcome::Replayed(session) => {
                // RFC 9700 §4.14.2: a theft signal; the whole session was revoked.
                self.revoker.metrics.reuse_detected();
                AuditEvent::warning("token.reuse_detected")
                    .field("user_id", session.user_id)
                    .field("sid", session.sid.to_string())
                    .field("jti", old_jti.to_string())
                    .field("session_revoked", true)
                    .emit();
                self.apply_session_revocation(session, now);
                Err(body_error(TokenError::Blacklisted))
            }
        }
    }

    /// The rights a rotation read in its own transaction, or read now.
    async fn rights_or_read(
        &self,
        user_id: i64,
        rights: Option<UserRights>,
    ) -> Result<Option<UserRights>, ApiError> {
        match rights {
            Some(rights) => Ok(Some(rights)),
            None => Ok(self
                .db
                .run(move |conn| groups::rights_of(conn, user_id))
                .await?),
        }
    }

    /// The pair a rotation inside the grace window answered, signed again: the same `jti`s,
    /// `iat` and `exp` (HMAC signatures are deterministic, so the same bytes while the
    /// user's rights are unchanged; a changed right shows in the access token as it is now).
    fn reissue(
        &self,
        successor: &Successor,
        user_id: i64,
        sid: SessionId,
        login: Login,
        minted_from: (Option<UserRights>, Map<String, Value>),
    ) -> Result<TokenPair, ApiError> {
        let minted_at = successor.minted_at;
        let refresh = Grant {
            user_id,
            sid,
            auth_time: login.auth_time,
            jti: successor.refresh_jti,
            rights: Rights::default(),
            extra: Map::new(),
            amr: login.amr,
        };
        let (refresh, refresh_claims) =
            self.keys
                .mint_grant_bound(TokenType::Refresh, refresh, minted_at, login.cnf)?;
        let (access, access_expires_at) = self
            .mint_with(
                user_id,
                sid,
                login,
                successor.access_jti,
                minted_from,
                minted_at,
            )?
            .ok_or(ApiError::NoActiveAccountForToken)?;
        Ok(TokenPair {
            access,
            access_expires_at,
            refresh: Some((refresh, refresh_claims.exp)),
            sid,
            cnf: login.cnf,
        })
    }
}

/// A DPoP-bound refresh token (RFC 9449 §5) is used, refreshed or blacklisted, only with a
/// proof by its own key: without one, a stolen bound token could still end its session.
/// Checked before anything is written. An unbound token passes whatever was sent.
pub(super) fn proved_by_its_key(
    claims: &Claims,
    proof_key: Option<Thumbprint>,
) -> Result<(), ApiError> {
    match (claims.cnf, proof_key) {
        (None, _) => Ok(()),
        (Some(jkt), Some(key)) if jkt == key => Ok(()),
        (Some(_), key) => Err(ApiError::InvalidDpopProof {
            reason: match key {
                None => "a DPoP-bound refresh token needs a DPoP proof",
                Some(_) => "the DPoP proof is not signed by the refresh token's key",
            },
            context: TokenContext::Body,
        }),
    }
}
