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

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

/// The JSON payload as it travels. The user id claim's name is a setting, so it lives in `rest`.
#[derive(Serialize, Deserialize)]
struct WireClaims {
    token_type: TokenType,
    exp: i64,
    iat: i64,
    jti: String,
    sid: String,
    auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

/// Signing and verification keys plus the prebuilt validation for the configured algorithm.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    header: Header,
    validation: Validation,
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
        let mut validation = Validation::new(algorithm);
        // Time claims are checked in `verify_any` against the caller's `now`, with the
        // configured leeway, so there is one definition of "expired" and it is testable.
        // (jsonwebtoken's own check would use the wall clock and a 60 s default leeway.)
        validation.leeway = 0;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let mut required = vec!["exp"];
        if let Some(issuer) = &settings.issuer {
            validation.set_issuer(&[issuer]);
            required.push("iss");
        }
        if let Some(audience) = &settings.audience {
            validation.set_audience(&[audience]);
            required.push("aud");
        } else {
            // Without a configured audience a token carrying one was meant for someone else.
            validation.validate_aud = false;
        }
        validation.set_required_spec_claims(&required);
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            header: Header::new(algorithm),
            validation,
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
        let mut rest = Map::new();
        rest.insert(
            self.user_id_claim.clone(),
            Value::String(user_id.to_string()),
        );
        let wire = WireClaims {
            token_type,
            exp,
            iat: now,
            jti: claims.jti.clone(),
            sid: claims.sid.clone(),
            auth_time,
            nbf: None,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            rest,
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
    pub fn verify_any(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        let data = jsonwebtoken::decode::<WireClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?;
        // The key and algorithm are ours whatever the header says, but a header pointing at
        // other keys means the token was not made by bouncer: refuse it.
        let header = &data.header;
        if header.jku.is_some()
            || header.jwk.is_some()
            || header.x5u.is_some()
            || header.x5c.is_some()
            || header.kid.is_some()
            || header.crit.is_some()
        {
            return Err(TokenError::Invalid);
        }
        let mut wire = data.claims;
        // simplejwt: expired when exp <= now - leeway.
        if wire.exp <= now - self.leeway {
            return Err(TokenError::Expired);
        }
        let not_yet_valid = wire.nbf.is_some_and(|nbf| nbf > now + self.leeway);
        if not_yet_valid
            || wire.iat > now + self.leeway
            || !is_hex_id(&wire.jti)
            || !is_hex_id(&wire.sid)
        {
            return Err(TokenError::Invalid);
        }
        let user_id = match wire.rest.remove(&self.user_id_claim) {
            Some(Value::String(s)) => parse_user_id(&s).ok_or(TokenError::Invalid)?,
            _ => return Err(TokenError::Invalid),
        };
        Ok(Claims {
            token_type: wire.token_type,
            user_id,
            jti: wire.jti,
            sid: wire.sid,
            exp: wire.exp,
            iat: wire.iat,
            auth_time: wire.auth_time,
        })
    }
}

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
