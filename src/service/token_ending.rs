//! The end of tokens: verifying one, blacklisting a refresh token, logging out with a scope.
//!
//! Every revocation is committed to the database first and applied to the in-memory list
//! before the caller answers, so an acknowledged logout is enforced at once and survives a crash.

use super::token_service::{LogoutScope, TokenService, body_error, proved_by_its_key};
use crate::audit::AuditEvent;
use crate::clock;
use crate::db::tokens::{self, SessionRevoked, TokenToRevoke};
use crate::error::ApiError;
use crate::metrics::RevocationCause;
use crate::revocation::Revoked;
use crate::tokens::{AuthMethod, Principal, SessionId, Thumbprint, TokenError, TokenType};

impl TokenService {
    /// `Ok` for a token bouncer issued that is unexpired and unrevoked, of either type.
    pub async fn verify(&self, token: &str) -> Result<(), ApiError> {
        let now = clock::now();
        let claims = match self.keys.verify_any(token, now) {
            Ok(claims) => claims,
            Err(e) => return self.verify_django(token, e, now).await,
        };
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
    /// `bound_to` as for [`TokenService::refresh`].
    pub async fn blacklist(
        &self,
        token: &str,
        bound_to: impl FnOnce(SessionId) -> Result<(), ApiError>,
        proof_key: Option<Thumbprint>,
    ) -> Result<(), ApiError> {
        let now = clock::now();
        let claims = self.refresh_claims(token, now)?;
        proved_by_its_key(&claims, proof_key)?;
        bound_to(claims.sid)?;
        if self.revocations.is_session_revoked(claims.sid) {
            return Err(body_error(TokenError::Blacklisted));
        }
        if self.revoke((&claims).into(), now).await? {
            self.revoker.metrics.revoked(RevocationCause::Blacklist);
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

    /// Ends the sessions `scope` names: the caller's (and the session of `refresh` when one is
    /// given), every other one of the user, or all of them. Returns how many others ended.
    pub async fn logout(
        &self,
        caller: &Principal,
        refresh: Option<&str>,
        scope: LogoutScope,
    ) -> Result<usize, ApiError> {
        let others = match scope {
            LogoutScope::Local => 0,
            LogoutScope::Others => {
                let ended = self
                    .revoker
                    .end_sessions(caller.user_id, Some(caller.session_id))
                    .await?;
                self.revoker.metrics.revoked(RevocationCause::Logout);
                return Ok(ended);
            }
            LogoutScope::Global => self.revoker.end_sessions(caller.user_id, None).await?,
        };
        self.logout_local(caller, refresh).await?;
        Ok(others)
    }

    /// Ends the caller's session (the credential it authenticated with), and the session of
    /// `refresh` when one is given.
    async fn logout_local(
        &self,
        caller: &Principal,
        refresh: Option<&str>,
    ) -> Result<(), ApiError> {
        let now = clock::now();
        let refresh = refresh
            .map(|token| self.refresh_claims(token, now))
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
            self.revoker.metrics.revoked(RevocationCause::Logout);
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
        self.revoker.metrics.revoked(RevocationCause::Logout);
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
    pub(super) async fn revoke(&self, token: TokenToRevoke, now: i64) -> Result<bool, ApiError> {
        let horizon = self.keys.access_horizon(now);
        let (newly, session) = self.db.revoke(token, horizon, now).await?;
        if token.token_type == TokenType::Access {
            self.revocations
                .revoke_token(token.jti, token.expires_at, now);
        }
        self.apply_session_revocation(session, now);
        Ok(newly)
    }

    pub(super) fn apply_session_revocation(&self, session: SessionRevoked, now: i64) {
        self.revocations
            .revoke_session(session.sid, session.expires_at, now);
    }
}
