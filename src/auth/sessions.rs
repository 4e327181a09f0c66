//! Login sessions: issuing, rotating and revoking the tokens of a session (`sid`).
//!
//! Every revocation is committed to the database first and applied to the in-memory list
//! before the caller answers, so an acknowledged logout is enforced at once and survives a crash.

use unicode_normalization::UnicodeNormalization;

use super::jwt::{Claims, TokenError, TokenType, new_id};
use crate::db::models::RevokedSession;
use crate::db::tokens::{self, Rotation};
use crate::db::{self, now_ts};
use crate::error::{ApiError, TokenContext};
use crate::state::AppState;

/// What the token endpoints answer. `refresh` is absent when rotation is off.
#[derive(Debug)]
pub struct TokenPair {
    pub access: String,
    pub refresh: Option<String>,
}

fn body_error(reason: TokenError) -> ApiError {
    ApiError::token(reason, TokenContext::Body)
}

fn mint_error(e: jsonwebtoken::errors::Error) -> ApiError {
    ApiError::Internal(format!("signing a token failed: {e}"))
}

/// Checks credentials and starts a new session. Unknown users, wrong passwords and inactive
/// accounts get the same answer after the same bcrypt work.
pub async fn login(
    state: &AppState,
    username: &str,
    password: String,
) -> Result<TokenPair, ApiError> {
    // Usernames are stored NFKC-normalised; normalising here lets "ｊｏｈｎ" log in as "john".
    let username: String = username.nfkc().collect();
    let user = state
        .db
        .run(move |conn| Ok(db::users::find_by_username(conn, &username)?))
        .await?;
    let stored = user.as_ref().map(|u| u.password.clone());
    let password_ok = state.hasher.verify(password, stored).await?;
    let user = match user {
        Some(user) if password_ok && user.is_active => user,
        _ => return Err(ApiError::InvalidCredentials),
    };

    let now = now_ts();
    let sid = new_id();
    let keys = state.auth.keys();
    let (refresh, refresh_claims) = keys
        .mint(TokenType::Refresh, user.id, &sid, now, now)
        .map_err(mint_error)?;
    let (access, _) = keys
        .mint(TokenType::Access, user.id, &sid, now, now)
        .map_err(mint_error)?;
    let login_at = chrono::Utc::now().naive_utc();
    state
        .db
        .run(move |conn| {
            tokens::record_outstanding(conn, &[tokens::outstanding(&refresh_claims)])?;
            db::users::record_login(conn, user.id, login_at)?;
            Ok(())
        })
        .await?;
    log::info!("login: user {} started a session", user.id);
    Ok(TokenPair {
        access,
        refresh: Some(refresh),
    })
}

/// Exchanges a refresh token for an access token (and, with rotation, a new refresh token).
/// A refresh token presented after it was rotated is a theft signal (RFC 9700 §4.14.2): the
/// whole session is revoked, and that revocation commits although the request fails.
pub async fn refresh(state: &AppState, token: &str) -> Result<TokenPair, ApiError> {
    let now = now_ts();
    let keys = state.auth.keys();
    let old = keys.verify_refresh(token, now).map_err(body_error)?;
    if state.auth.revocations().is_session_revoked(&old.sid) {
        return Err(body_error(TokenError::Blacklisted));
    }
    let settings = &state.settings;
    let (access, _) = keys
        .mint(TokenType::Access, old.user_id, &old.sid, old.auth_time, now)
        .map_err(mint_error)?;
    let new_refresh = if settings.rotate_refresh_tokens {
        Some(
            keys.mint(
                TokenType::Refresh,
                old.user_id,
                &old.sid,
                old.auth_time,
                now,
            )
            .map_err(mint_error)?,
        )
    } else {
        None
    };
    let blacklist_old = settings.rotate_refresh_tokens && settings.blacklist_after_rotation;
    let horizon = keys.access_horizon(now);
    let new_claims = new_refresh.as_ref().map(|(_, claims)| claims.clone());
    let outcome = state
        .db
        .run(move |conn| {
            tokens::rotate(conn, &old, new_claims.as_ref(), blacklist_old, horizon, now)
        })
        .await?;
    match outcome {
        Rotation::Rotated => Ok(TokenPair {
            access,
            refresh: new_refresh.map(|(token, _)| token),
        }),
        Rotation::SessionRevoked => Err(body_error(TokenError::Blacklisted)),
        Rotation::NoActiveUser => Err(ApiError::NoActiveAccountForToken),
        Rotation::Replayed(session) => {
            log::warn!(
                "refresh token replayed for user {}: session revoked (possible token theft)",
                session.user_id
            );
            apply_session_revocation(state, &session, now);
            Err(body_error(TokenError::Blacklisted))
        }
    }
}

/// `{}` for a token bouncer issued that is unexpired and unrevoked, of either type.
pub async fn verify(state: &AppState, token: &str) -> Result<(), ApiError> {
    let now = now_ts();
    let claims = state
        .auth
        .keys()
        .verify_any(token, now)
        .map_err(body_error)?;
    if state
        .auth
        .revocations()
        .check(&claims.jti, &claims.sid)
        .is_some()
    {
        return Err(body_error(TokenError::Blacklisted));
    }
    if claims.token_type == TokenType::Refresh {
        // Rotated refresh tokens live only in the database (see revocation.rs).
        let jti = claims.jti.clone();
        let blacklisted = state
            .db
            .run(move |conn| Ok(tokens::is_blacklisted(conn, &jti)?))
            .await?;
        if blacklisted {
            return Err(body_error(TokenError::Blacklisted));
        }
    }
    Ok(())
}

/// Blacklists a refresh token and revokes its session, so the session's access tokens stop too.
pub async fn blacklist(state: &AppState, token: &str) -> Result<(), ApiError> {
    let now = now_ts();
    let claims = state
        .auth
        .keys()
        .verify_refresh(token, now)
        .map_err(body_error)?;
    if state.auth.revocations().is_session_revoked(&claims.sid) {
        return Err(body_error(TokenError::Blacklisted));
    }
    let newly = revoke(state, claims, now).await?;
    if newly {
        Ok(())
    } else {
        Err(body_error(TokenError::Blacklisted))
    }
}

/// Ends the session of the presented access token, and of `refresh` when one is given.
pub async fn logout(
    state: &AppState,
    access: Claims,
    refresh: Option<&str>,
) -> Result<(), ApiError> {
    let now = now_ts();
    let refresh = refresh
        .map(|token| {
            state
                .auth
                .keys()
                .verify_refresh(token, now)
                .map_err(body_error)
        })
        .transpose()?;
    if let Some(refresh) = &refresh
        && refresh.user_id != access.user_id
    {
        return Err(body_error(TokenError::Invalid));
    }
    let user_id = access.user_id;
    let other_session = refresh.filter(|r| r.sid != access.sid);
    revoke(state, access, now).await?;
    if let Some(other) = other_session {
        revoke(state, other, now).await?;
    }
    log::info!("logout: user {user_id} ended a session");
    Ok(())
}

/// Blacklists `token` and revokes its session; returns whether the token was newly blacklisted.
async fn revoke(state: &AppState, token: Claims, now: i64) -> Result<bool, ApiError> {
    let horizon = state.auth.keys().access_horizon(now);
    let for_db = token.clone();
    let (newly, session) = state
        .db
        .run(move |conn| tokens::revoke(conn, &for_db, horizon, now))
        .await?;
    if token.token_type == TokenType::Access {
        let until = token.exp + state.auth.keys().leeway();
        state
            .auth
            .revocations()
            .revoke_token(&token.jti, until, now);
    }
    apply_session_revocation(state, &session, now);
    Ok(newly)
}

fn apply_session_revocation(state: &AppState, session: &RevokedSession, now: i64) {
    let until = session.expires_at + state.auth.keys().leeway();
    state
        .auth
        .revocations()
        .revoke_session(&session.sid, until, now);
}
