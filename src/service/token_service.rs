//! The life of a login session's tokens: starting a session, rotating its refresh token,
//! verifying, blacklisting and logging out.
//!
//! Every revocation is committed to the database first and applied to the in-memory list
//! before the caller answers, so an acknowledged logout is enforced at once and survives a crash.

use std::sync::Arc;

use super::revoker::Revoker;
use crate::audit::AuditEvent;
use crate::clock;
use crate::db::groups::{self, UserRights};
use crate::db::models::User;
use crate::db::tokens::{self, Rotation, RotationOutcome, SessionRevoked, TokenToRevoke};
use crate::db::{Db, users};
use crate::error::{ApiError, TokenContext};
use crate::revocation::{RevocationList, Revoked};
use crate::tokens::{
    AuthMethod, Grant, JwtKeys, Principal, Rights, SessionId, TokenError, TokenId, TokenType,
};

/// What the token endpoints answer. `refresh` is absent when rotation is off. `sid` names
/// the session, for the audit trail; it is not sent.
#[derive(Debug)]
pub struct TokenPair {
    pub access: String,
    pub refresh: Option<String>,
    pub sid: SessionId,
}

/// simplejwt's `ROTATE_REFRESH_TOKENS` and `BLACKLIST_AFTER_ROTATION`.
#[derive(Debug, Clone, Copy)]
pub struct RotationPolicy {
    pub rotate_refresh_tokens: bool,
    pub blacklist_after_rotation: bool,
}

#[derive(Debug)]
pub struct TokenService {
    db: Db,
    keys: Arc<JwtKeys>,
    revocations: Arc<RevocationList>,
    rotation: RotationPolicy,
    revoker: Revoker,
}

fn body_error(reason: TokenError) -> ApiError {
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
        }
    }

    /// Mints an access token carrying the user's current rights. The `jti` is chosen before
    /// the rights are read (see `tokens::Grant`). `None` when the user is gone or inactive.
    async fn mint_access(
        &self,
        user_id: i64,
        sid: SessionId,
        auth_time: i64,
    ) -> Result<Option<String>, ApiError> {
        let jti = TokenId::generate();
        let rights = self
            .db
            .run(move |conn| groups::rights_of(conn, user_id))
            .await?;
        self.mint_with(user_id, sid, auth_time, jti, rights)
    }

    /// Mints an access token with `jti` (chosen before `rights` were read).
    fn mint_with(
        &self,
        user_id: i64,
        sid: SessionId,
        auth_time: i64,
        jti: TokenId,
        rights: Option<UserRights>,
    ) -> Result<Option<String>, ApiError> {
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
            auth_time,
            jti,
            rights: Rights::new(is_staff, groups),
        };
        let (token, _) = self
            .keys
            .mint_grant(TokenType::Access, grant, clock::now())?;
        Ok(Some(token))
    }

    /// Starts a new session for a user whose credentials were just checked.
    pub async fn start_session(&self, user: &User) -> Result<TokenPair, ApiError> {
        let now = clock::now();
        let sid = SessionId::generate();
        let user_id = user.id;
        let (refresh, refresh_claims) =
            self.keys.mint(TokenType::Refresh, user_id, sid, now, now)?;
        let access = self
            .mint_access(user_id, sid, now)
            .await?
            .ok_or(ApiError::InvalidCredentials)?;
        let login_at = clock::now_utc();
        self.db
            .write(move |conn| {
                tokens::record_outstanding(conn, &[tokens::outstanding(&refresh_claims)])?;
                users::record_login(conn, user_id, login_at)
            })
            .await?;
        // The route writes the `login.success` line: it knows the client.
        Ok(TokenPair {
            access,
            refresh: Some(refresh),
            sid,
        })
    }

    /// Exchanges a refresh token for an access token (and, with rotation, a new refresh
    /// token). A refresh token presented after it was rotated is a theft signal (RFC 9700
    /// §4.14.2): the whole session is revoked, and that revocation commits although the
    /// request fails.
    pub async fn refresh(&self, token: &str) -> Result<TokenPair, ApiError> {
        let now = clock::now();
        let old = self.keys.verify_refresh(token, now).map_err(body_error)?;
        if self.revocations.is_session_revoked(old.sid) {
            return Err(body_error(TokenError::Blacklisted));
        }
        let (user_id, sid, auth_time, old_jti) = (old.user_id, old.sid, old.auth_time, old.jti);
        let new_refresh = if self.rotation.rotate_refresh_tokens {
            Some(
                self.keys
                    .mint(TokenType::Refresh, old.user_id, old.sid, old.auth_time, now)?,
            )
        } else {
            None
        };
        let blacklist_old =
            self.rotation.rotate_refresh_tokens && self.rotation.blacklist_after_rotation;
        let horizon = self.keys.access_horizon(now);
        let new_claims = new_refresh.as_ref().map(|(_, claims)| claims.clone());
        // Before the rotation, which may read the rights (see `tokens::Grant`).
        let access_jti = TokenId::generate();
        let outcome = self
            .db
            .rotate(Rotation {
                old,
                new: new_claims,
                blacklist_old,
                access_horizon: horizon,
                now,
            })
            .await?;
        match outcome {
            // The access token is minted after the rotation committed, with the rights the
            // user has now: a refresh after losing a group mints a token without it.
            RotationOutcome::Rotated(rights) => {
                let rights = match rights {
                    Some(rights) => Some(rights),
                    None => {
                        self.db
                            .run(move |conn| groups::rights_of(conn, user_id))
                            .await?
                    }
                };
                let access = self
                    .mint_with(user_id, sid, auth_time, access_jti, rights)?
                    .ok_or(ApiError::NoActiveAccountForToken)?;
                AuditEvent::new("token.refresh")
                    .field("user_id", user_id)
                    .field("sid", sid.to_string())
                    .field("jti", old_jti.to_string())
                    .emit();
                Ok(TokenPair {
                    access,
                    refresh: new_refresh.map(|(token, _)| token),
                    sid,
                })
            }
            RotationOutcome::SessionRevoked => Err(body_error(TokenError::Blacklisted)),
            RotationOutcome::NoActiveUser => Err(ApiError::NoActiveAccountForToken),
            RotationOutcome::Replayed(session) => {
                // RFC 9700 §4.14.2: a theft signal; the whole session was revoked.
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

    /// `Ok` for a token bouncer issued that is unexpired and unrevoked, of either type.
    pub async fn verify(&self, token: &str) -> Result<(), ApiError> {
        let claims = self
            .keys
            .verify_any(token, clock::now())
            .map_err(body_error)?;
        let revoked = self.revocations.check_credential(
            claims.jti,
            claims.sid,
            claims.user_id,
            claims.issued_at_ms(),
        );
        // An access token is void after a change to its user; a refresh token is not (its
        // next use reads the user afresh), as its session still stands.
        let user_change_matters = claims.token_type == TokenType::Access;
        if revoked.is_some_and(|r| user_change_matters || !matches!(r, Revoked::User(_))) {
            return Err(body_error(TokenError::Blacklisted));
        }
        if claims.token_type == TokenType::Refresh {
            // Rotated refresh tokens live only in the database (see revocation/list.rs).
            let jti = claims.jti;
            let blacklisted = self
                .db
                .run(move |conn| tokens::is_blacklisted(conn, jti))
                .await?;
            if blacklisted {
                return Err(body_error(TokenError::Blacklisted));
            }
        }
        Ok(())
    }

    /// Blacklists a refresh token and revokes its session, so the session's access tokens
    /// stop too.
    pub async fn blacklist(&self, token: &str) -> Result<(), ApiError> {
        let now = clock::now();
        let claims = self.keys.verify_refresh(token, now).map_err(body_error)?;
        if self.revocations.is_session_revoked(claims.sid) {
            return Err(body_error(TokenError::Blacklisted));
        }
        if self.revoke((&claims).into(), now).await? {
            AuditEvent::new("token.blacklist")
                .field("user_id", claims.user_id)
                .field("sid", claims.sid.to_string())
                .field("jti", claims.jti.to_string())
                .emit();
            Ok(())
        } else {
            Err(body_error(TokenError::Blacklisted))
        }
    }

    /// Ends the caller's session (the credential it authenticated with), and the session of
    /// `refresh` when one is given.
    pub async fn logout(&self, caller: &Principal, refresh: Option<&str>) -> Result<(), ApiError> {
        let now = clock::now();
        let refresh = refresh
            .map(|token| self.keys.verify_refresh(token, now).map_err(body_error))
            .transpose()?;
        if let Some(refresh) = &refresh
            && refresh.user_id != caller.user_id
        {
            return Err(body_error(TokenError::Invalid));
        }
        let AuthMethod::AccessToken { jti, expires_at } = caller.method else {
            // A `Token` key: logging out ends the key.
            self.revoker.end_key(caller).await?;
            if let Some(other) = &refresh {
                self.revoke(other.into(), now).await?;
            }
            AuditEvent::new("key.logout")
                .field("user_id", caller.user_id)
                .field("sid", caller.session_id.to_string())
                .field_opt("also_ended", refresh.map(|r| r.sid.to_string()))
                .emit();
            return Ok(());
        };
        let access = TokenToRevoke {
            jti,
            token_type: TokenType::Access,
            expires_at,
            sid: caller.session_id,
            user_id: caller.user_id,
        };
        self.revoke(access, now).await?;
        let other = refresh.filter(|r| r.sid != caller.session_id);
        if let Some(other) = &other {
            self.revoke(other.into(), now).await?;
        }
        AuditEvent::new("logout")
            .field("user_id", caller.user_id)
            .field("sid", caller.session_id.to_string())
            .field("jti", jti.to_string())
            .field_opt("also_ended", other.map(|r| r.sid.to_string()))
            .emit();
        Ok(())
    }

    /// Blacklists `token` and revokes its session; returns whether the token was newly
    /// blacklisted.
    async fn revoke(&self, token: TokenToRevoke, now: i64) -> Result<bool, ApiError> {
        let horizon = self.keys.access_horizon(now);
        let (newly, session) = self
            .db
            .write_announcing(move |conn| tokens::revoke(conn, token, horizon, now))
            .await?;
        if token.token_type == TokenType::Access {
            self.revocations
                .revoke_token(token.jti, token.expires_at, now);
        }
        self.apply_session_revocation(session, now);
        Ok(newly)
    }

    fn apply_session_revocation(&self, session: SessionRevoked, now: i64) {
        self.revocations
            .revoke_session(session.sid, session.expires_at, now);
    }
}
