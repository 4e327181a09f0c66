//! Claims, keys, minting and verification of access and refresh JWTs.
//!
//! Security invariants (see `../shared/SECURITY.md`, RFC 8725):
//! - the algorithm comes from settings, never from the token header;
//! - `exp`, `iat`, `jti`, `sid`, `token_type` and the user id are required and typed, so a
//!   string `exp` or a float user id fails to decode instead of skipping a check;
//! - headers that point at other keys (`jku`, `jwk`, `x5u`, `x5c`) or name a `kid` are refused:
//!   bouncer issues none of them;
//! - leeway is an explicit setting (jsonwebtoken defaults to 60 s) and `nbf`/`iat` are checked.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};

use super::claims::{ClaimsSeed, IncomingClaims, JoseHeader, OutgoingClaims};

use crate::settings::{Secret, Settings, SigningAlgorithm};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// Why a token was refused, worded as simplejwt words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Invalid,
    Expired,
    WrongType,
    Blacklisted,
}

impl TokenError {
    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => "Token is invalid",
            Self::Expired => "Token is expired",
            Self::WrongType => "Token has wrong type",
            Self::Blacklisted => "Token is blacklisted",
        }
    }
}

/// The verified claims of a token bouncer issued.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    pub token_type: TokenType,
    pub user_id: i64,
    /// 32 lowercase hex characters (a uuid4).
    pub jti: String,
    /// The login session: shared by a refresh token, its rotations and their access tokens.
    pub sid: String,
    pub exp: i64,
    pub iat: i64,
    /// When the session's login happened; bounds refresh rotation (`session_lifetime`).
    pub auth_time: i64,
}

/// Claims carry identifiers only, but keep them out of logs by default anyway.
impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("token_type", &self.token_type)
            .field("user_id", &self.user_id)
            .field("exp", &self.exp)
            .finish_non_exhaustive()
    }
}

/// Signing and verification keys for the configured algorithm, and the claim policy.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    algorithm: Algorithm,
    header: Header,
    leeway: i64,
    access_lifetime: i64,
    refresh_lifetime: i64,
    session_lifetime: i64,
    issuer: Option<String>,
    audience: Option<String>,
    user_id_claim: String,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKeys(<redacted>)")
    }
}

fn seconds(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

impl JwtKeys {
    pub fn new(settings: &Settings, secret: &Secret) -> Self {
        let algorithm = match settings.algorithm {
            SigningAlgorithm::HS256 => Algorithm::HS256,
        };
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            algorithm,
            header: Header::new(algorithm),
            leeway: seconds(settings.leeway),
            access_lifetime: seconds(settings.access_token_lifetime),
            refresh_lifetime: seconds(settings.refresh_token_lifetime),
            session_lifetime: seconds(settings.session_lifetime),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            user_id_claim: settings.user_id_claim.clone(),
        }
    }

    /// How long after `now` an access token minted now could still be accepted.
    pub fn access_horizon(&self, now: i64) -> i64 {
        now + self.access_lifetime + self.leeway
    }

    pub fn leeway(&self) -> i64 {
        self.leeway
    }

    /// Mints a token of `token_type` for the session `sid` that started at `auth_time`.
    /// Neither kind outlives the session's absolute lifetime.
    pub fn mint(
        &self,
        token_type: TokenType,
        user_id: i64,
        sid: &str,
        auth_time: i64,
        now: i64,
    ) -> Result<(String, Claims), jsonwebtoken::errors::Error> {
        let lifetime = match token_type {
            TokenType::Access => self.access_lifetime,
            TokenType::Refresh => self.refresh_lifetime,
        };
        let exp = (now + lifetime).min(auth_time + self.session_lifetime);
        let claims = Claims {
            token_type,
            user_id,
            jti: new_id(),
            sid: sid.to_owned(),
            exp,
            iat: now,
            auth_time,
        };
        let user_id = user_id.to_string();
        let wire = OutgoingClaims {
            token_type,
            exp,
            iat: now,
            jti: &claims.jti,
            sid: &claims.sid,
            auth_time,
            iss: self.issuer.as_deref(),
            aud: self.audience.as_deref(),
            user_id_claim: &self.user_id_claim,
            user_id: &user_id,
        };
        let token = jsonwebtoken::encode(&self.header, &wire, &self.encoding)?;
        Ok((token, claims))
    }

    pub fn verify_access(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        self.verify_typed(token, TokenType::Access, now)
    }

    pub fn verify_refresh(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        self.verify_typed(token, TokenType::Refresh, now)
    }

    fn verify_typed(
        &self,
        token: &str,
        expected: TokenType,
        now: i64,
    ) -> Result<Claims, TokenError> {
        let claims = self.verify_any(token, now)?;
        if claims.token_type != expected {
            return Err(TokenError::WrongType);
        }
        Ok(claims)
    }

    /// Signature, time claims, issuer/audience and claim types; not revocation.
    /// The header is checked before the signature, the payload parsed only once the
    /// signature holds (see `claims.rs` for why this does not go through `decode`).
    pub fn verify_any(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::Invalid);
        }
        let (message, signature) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let (header, payload) = message.split_once('.').ok_or(TokenError::Invalid)?;
        let header = URL_SAFE_NO_PAD
            .decode(header)
            .map_err(|_| TokenError::Invalid)?;
        let header: JoseHeader<'_> =
            serde_json::from_slice(&header).map_err(|_| TokenError::Invalid)?;
        // The algorithm is pinned by settings: the header may only confirm it.
        if header.alg != self.header_alg()
            || header.typ.is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(TokenError::Invalid);
        }
        let signed = jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            &self.decoding,
            self.algorithm,
        )
        .map_err(|_| TokenError::Invalid)?;
        if !signed {
            return Err(TokenError::Invalid);
        }
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Invalid)?;
        let seed = ClaimsSeed {
            user_id_claim: &self.user_id_claim,
        };
        let wire = seed
            .deserialize(&mut serde_json::Deserializer::from_slice(&payload))
            .map_err(|_| TokenError::Invalid)?;
        self.check_claims(wire, now)
    }

    /// Re-checks expiry of claims verified earlier (the other time claims cannot turn bad).
    pub fn check_unexpired(&self, claims: &Claims, now: i64) -> Result<(), TokenError> {
        if claims.exp <= now - self.leeway {
            return Err(TokenError::Expired);
        }
        Ok(())
    }

    fn header_alg(&self) -> &'static str {
        match self.algorithm {
            Algorithm::HS256 => "HS256",
            _ => "",
        }
    }

    /// Time claims with leeway (simplejwt: expired when `exp <= now - leeway`), then issuer,
    /// audience and the shape of the ids.
    fn check_claims(&self, wire: IncomingClaims, now: i64) -> Result<Claims, TokenError> {
        if wire.exp <= now - self.leeway {
            return Err(TokenError::Expired);
        }
        let not_yet_valid = wire.nbf.is_some_and(|nbf| nbf > now + self.leeway);
        let wrong_issuer = self.issuer.is_some() && wire.iss != self.issuer;
        let wrong_audience = self.audience.is_some() && wire.aud != self.audience;
        if not_yet_valid
            || wire.iat > now + self.leeway
            || wrong_issuer
            || wrong_audience
            || !is_hex_id(&wire.jti)
            || !is_hex_id(&wire.sid)
        {
            return Err(TokenError::Invalid);
        }
        Ok(Claims {
            token_type: wire.token_type,
            user_id: parse_user_id(&wire.user_id).ok_or(TokenError::Invalid)?,
            jti: wire.jti,
            sid: wire.sid,
            exp: wire.exp,
            iat: wire.iat,
            auth_time: wire.auth_time,
        })
    }
}

/// Far above any token bouncer mints (~350 bytes); refuses absurd input before decoding it.
const MAX_TOKEN_BYTES: usize = 4096;

/// A fresh uuid4 as 32 lowercase hex characters (simplejwt's `jti` format).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

pub fn is_hex_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Only the canonical decimal form bouncer writes: no sign, no leading zeros, no spaces.
fn parse_user_id(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
