//! The tokens simplejwt issued before the cut-over (`[django_tokens]`, README "Moving from
//! Django"): a Django refresh token becomes a bouncer session on its first use; either kind
//! can be verified, blacklisted and logged out with.
//!
//! A conversion is a rotation like any other (`TokenService::rotate_verified`), of the
//! Django token's claims with the token's own jti as its session (what `import-django`
//! records for simplejwt's outstanding tokens). So the database is the arbiter, on both
//! backends and across instances: the unique blacklist row of the jti lets exactly one of
//! concurrent uses win, and a use after that is a replay that revokes the session the first
//! use started (RFC 9700 §4.14.2), or within `refresh_reuse_grace` a retry answered with the
//! same pair. The jti is always spent when rotation is on, whatever
//! `blacklist_after_rotation` says: the Django token must not outlive its conversion. With
//! rotation off, a Django refresh token keeps minting access tokens until it expires, as it
//! did in Django, since such clients never store a new refresh token.
//!
//! The session's login (`auth_time`) is the Django token's `iat`: the latest moment the user
//! is known to have held a session. The true login was earlier and is unknown; taking `now`
//! would let a converted session outlive `session_lifetime` counted from any real login,
//! while `iat` never claims a fresher login than there was.

use super::token_service::{TokenPair, TokenService, body_error};
use crate::audit::AuditEvent;
use crate::db::legacy_tokens;
use crate::db::sessions::{NewSession, SessionKind};
use crate::db::tokens::{self, TokenToRevoke};
use crate::error::ApiError;
use crate::tokens::{
    Claims, LegacyClaims, LegacyKeys, LegacyRefusal, SessionId, TokenError, TokenType,
};

/// How a converted session shows in the user's sessions list.
const CONVERTED: &str = "converted from a Django token";

impl TokenService {
    /// The Django token `token`, when it is one; otherwise `bouncer_error`, the answer bouncer's
    /// own verification gave. `expected`: the type required, `None` for either.
    fn django_token(
        &self,
        token: &str,
        expected: Option<TokenType>,
        bouncer_error: TokenError,
        now: i64,
    ) -> Result<LegacyClaims, ApiError> {
        let Some(django) = &self.django else {
            return Err(body_error(bouncer_error));
        };
        let verified = match expected {
            Some(token_type) => django.verify(token, token_type, now),
            None => django.verify_any(token, now),
        };
        verified.map_err(|refusal| match refusal {
            LegacyRefusal::NotLegacy => body_error(bouncer_error),
            LegacyRefusal::Refused(reason) => body_error(reason),
        })
    }

    /// Whether this instance knows the Django token to be revoked: itself, its own session,
    /// or every Django token of its user.
    fn django_revoked_here(&self, claims: &LegacyClaims) -> bool {
        let all_of_user = LegacyKeys::user_session(claims.user_id);
        self.revocations.is_session_revoked(claims.jti)
            || self.revocations.check(claims.jti, all_of_user).is_some()
    }

    /// A refresh token, bouncer's or Django's (as bouncer's claims): for blacklisting and
    /// logging out.
    pub(super) fn refresh_claims(&self, token: &str, now: i64) -> Result<Claims, ApiError> {
        match self.keys.verify_refresh(token, now) {
            Ok(claims) => Ok(claims),
            Err(e) => self
                .django_token(token, Some(TokenType::Refresh), e, now)
                .map(|c| c.to_claims()),
        }
    }

    /// `refresh` for a token bouncer's keys refused (`bouncer_error`): a Django refresh token
    /// becomes a bouncer session (see the module doc).
    pub(super) async fn refresh_django(
        &self,
        token: &str,
        bouncer_error: TokenError,
        bound_to: impl FnOnce(SessionId) -> Result<(), ApiError>,
        now: i64,
    ) -> Result<TokenPair, ApiError> {
        let django = self.django_token(token, Some(TokenType::Refresh), bouncer_error, now)?;
        let old = django.to_claims();
        bound_to(old.sid)?;
        if self.keys.session_end(old.auth_time) <= now {
            return Err(body_error(TokenError::Expired));
        }
        if self.django_revoked_here(&django) {
            return Err(body_error(TokenError::Blacklisted));
        }
        let (jti, user_id) = (django.jti, django.user_id);
        let all_of_user = LegacyKeys::user_session(user_id);
        let refused = self
            .db
            .run(move |conn| legacy_tokens::is_refused(conn, jti, all_of_user))
            .await?;
        if refused {
            return Err(body_error(TokenError::Blacklisted));
        }
        let mut rotation = self.rotation;
        rotation.blacklist_after_rotation = true;
        let started: TokenToRevoke = (&old).into();
        let pair = self.rotate_verified(old, rotation, now).await?;
        // A password change or "log out everywhere" that committed between the check above and
        // the rotation did not see the new session: look again, and end it if so. (One that
        // commits later finds the session among the user's and ends it itself.)
        let voided = self
            .db
            .run(move |conn| legacy_tokens::is_user_voided(conn, all_of_user))
            .await?;
        if voided {
            self.revoke(started, now).await?;
            return Err(body_error(TokenError::Blacklisted));
        }
        let session = NewSession {
            sid: jti.to_string(),
            user_id,
            kind: SessionKind::Refresh.as_str(),
            user_agent: CONVERTED.into(),
            address: String::new(),
            created_at: now,
            last_used_at: now,
            expires_at: Some(self.keys.session_end(django.iat)),
        };
        let first = self
            .db
            .write(move |conn| legacy_tokens::record_session(conn, &session))
            .await?;
        if first {
            AuditEvent::new("token.django_converted")
                .field("user_id", user_id)
                .field("sid", pair.sid.to_string())
                .field("jti", jti.to_string())
                .field("issued_at", django.iat)
                .emit();
        }
        Ok(pair)
    }

    /// `verify` for a token bouncer's keys refused: a Django token of either type that is
    /// unexpired and unrevoked.
    pub(super) async fn verify_django(
        &self,
        token: &str,
        bouncer_error: TokenError,
        now: i64,
    ) -> Result<(), ApiError> {
        let django = self.django_token(token, None, bouncer_error, now)?;
        let all_of_user = LegacyKeys::user_session(django.user_id);
        let user_void = django.token_type == TokenType::Access
            && self
                .revocations
                .user_standing(django.user_id, django.issued_at_ms())
                .is_err();
        if user_void || self.django_revoked_here(&django) {
            return Err(body_error(TokenError::Blacklisted));
        }
        if django.token_type == TokenType::Refresh {
            let jti = django.jti;
            let refused = self
                .db
                .run(move |conn| {
                    Ok::<_, diesel::result::Error>(
                        tokens::is_blacklisted(conn, jti)?
                            || legacy_tokens::is_refused(conn, jti, all_of_user)?,
                    )
                })
                .await?;
            if refused {
                return Err(body_error(TokenError::Blacklisted));
            }
        }
        Ok(())
    }
}
