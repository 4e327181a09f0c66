//! The tokens djangorestframework-simplejwt issued before a project moved onto bouncer
//! (`[django_tokens]`, README "Moving from Django"): verified on a path of their own that
//! bouncer's own tokens never take.
//!
//! Security invariants (RFC 8725; see `docs/security.md`):
//! - the Django key verifies only, with the algorithm from settings: the header must name
//!   exactly that algorithm (`none`, another HMAC size or an asymmetric `alg` are refused);
//! - a Django token has a header of `alg` and `typ` only. A header with a `kid` (every token
//!   bouncer mints has one) is never a Django token, so a token bouncer refused is never
//!   retried here with another key; `jku`, `jwk`, `x5u`, `crit`... are refused;
//! - `exp`, `iat`, the jti, the token type and the user id are required and typed: `exp` and
//!   `iat` integers, the jti 32 lowercase hex (simplejwt's `uuid4().hex`), the user id a
//!   positive integer (or its canonical decimal string, simplejwt's form for a non-int pk);
//! - `exp - iat` may not exceed Django's refresh lifetime, which bounds how long a
//!   revocation of these tokens must be kept ([`LegacyKeys::void_until`]);
//! - leeway is bouncer's setting; `iss`/`aud` are required and compared when configured;
//!   nothing is accepted after `accept_until`.
//!
//! These tokens carry no session and no rights: their session is their own jti (as
//! `import-django` records simplejwt's outstanding tokens), every Django token of a user can
//! be voided at once through [`LegacyKeys::user_session`], and rights are read afresh.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::claims::{Claims, TokenError, TokenType, is_expired};
use super::ids::{SessionId, TokenId};

/// What the Django tokens are checked against, in seconds; built from settings by the caller.
pub struct LegacyConfig {
    pub algorithm: Algorithm,
    pub key: Vec<u8>,
    pub user_id_claim: String,
    pub token_type_claim: String,
    pub jti_claim: String,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// Django's `REFRESH_TOKEN_LIFETIME`: the longest `exp - iat` accepted.
    pub max_lifetime: i64,
    /// Nothing is accepted after this second.
    pub accept_until: Option<i64>,
    pub leeway: i64,
}

/// The Django key and claim policy. `Debug` shows no key.
pub struct LegacyKeys {
    config: LegacyConfig,
    decoding: DecodingKey,
    alg_name: &'static str,
}

impl fmt::Debug for LegacyKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LegacyKeys(<redacted>)")
    }
}

/// A verified Django token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LegacyClaims {
    pub token_type: TokenType,
    pub user_id: i64,
    pub jti: TokenId,
    pub iat: i64,
    pub exp: i64,
}

/// Why a token was not accepted as a Django token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyRefusal {
    /// Not shaped like one (a `kid`, an unreadable header): the caller's own error stands.
    NotLegacy,
    /// A Django-shaped token that fails: this is the answer.
    Refused(TokenError),
}

/// Far above any token simplejwt mints; refuses absurd input before decoding it.
const MAX_TOKEN_BYTES: usize = 4096;

/// The header simplejwt writes (PyJWT: `alg` and `typ`). `kid` is read only to tell bouncer's
/// tokens apart; any other field is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<Value>,
}

impl LegacyKeys {
    pub fn new(config: LegacyConfig) -> Self {
        let decoding = DecodingKey::from_secret(&config.key);
        let alg_name = match config.algorithm {
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            _ => "HS256",
        };
        Self {
            config,
            decoding,
            alg_name,
        }
    }

    /// Verifies a Django token of type `expected`.
    pub fn verify(
        &self,
        token: &str,
        expected: TokenType,
        now: i64,
    ) -> Result<LegacyClaims, LegacyRefusal> {
        let claims = self.verify_any(token, now)?;
        if claims.token_type != expected {
            return Err(LegacyRefusal::Refused(TokenError::WrongType));
        }
        Ok(claims)
    }

    /// Verifies a Django token of either type.
    pub fn verify_any(&self, token: &str, now: i64) -> Result<LegacyClaims, LegacyRefusal> {
        use LegacyRefusal::{NotLegacy, Refused};
        let invalid = Refused(TokenError::Invalid);
        if token.len() > MAX_TOKEN_BYTES {
            return Err(NotLegacy);
        }
        let (message, signature) = token.rsplit_once('.').ok_or(NotLegacy)?;
        let (header, payload) = message.split_once('.').ok_or(NotLegacy)?;
        let header = URL_SAFE_NO_PAD.decode(header).map_err(|_| NotLegacy)?;
        let header: Header = serde_json::from_slice(&header).map_err(|_| NotLegacy)?;
        if header.kid.is_some() {
            return Err(NotLegacy);
        }
        // Pinned: the header may only confirm the configured algorithm.
        if header.alg != self.alg_name || header.typ.is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(invalid);
        }
        let signed = jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            &self.decoding,
            self.config.algorithm,
        )
        .map_err(|_| invalid)?;
        if !signed {
            return Err(invalid);
        }
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid)?;
        let payload: Map<String, Value> = serde_json::from_slice(&payload).map_err(|_| invalid)?;
        self.check_claims(&payload, now).map_err(Refused)
    }

    fn check_claims(&self, p: &Map<String, Value>, now: i64) -> Result<LegacyClaims, TokenError> {
        let c = &self.config;
        let int = |name: &str| p.get(name).and_then(Value::as_i64);
        let (Some(exp), Some(iat)) = (int("exp"), int("iat")) else {
            return Err(TokenError::Invalid);
        };
        if is_expired(exp, now, c.leeway) {
            return Err(TokenError::Expired);
        }
        let latest_issue = now.saturating_add(c.leeway);
        let nbf = match p.get("nbf") {
            None => None,
            Some(v) => Some(v.as_i64().ok_or(TokenError::Invalid)?),
        };
        let too_early = iat > latest_issue || nbf.is_some_and(|nbf| nbf > latest_issue);
        let too_long = exp.saturating_sub(iat) > c.max_lifetime || exp < iat;
        let too_late = c.accept_until.is_some_and(|end| now > end);
        if too_early || too_long || too_late || !self.issuer_and_audience_match(p) {
            return Err(TokenError::Invalid);
        }
        let token_type = match p.get(&c.token_type_claim).and_then(Value::as_str) {
            Some("access") => TokenType::Access,
            Some("refresh") => TokenType::Refresh,
            // "sliding" and anything else simplejwt may have issued.
            Some(_) => return Err(TokenError::WrongType),
            None => return Err(TokenError::Invalid),
        };
        let jti = p
            .get(&c.jti_claim)
            .and_then(Value::as_str)
            .and_then(TokenId::parse)
            .ok_or(TokenError::Invalid)?;
        let user_id = p
            .get(&c.user_id_claim)
            .and_then(user_id_of)
            .ok_or(TokenError::Invalid)?;
        Ok(LegacyClaims {
            token_type,
            user_id,
            jti,
            iat,
            exp,
        })
    }

    fn issuer_and_audience_match(&self, p: &Map<String, Value>) -> bool {
        let c = &self.config;
        let issuer_ok = c
            .issuer
            .as_deref()
            .is_none_or(|iss| p.get("iss").and_then(Value::as_str) == Some(iss));
        // PyJWT writes `aud` as given: a string, or a list that must contain ours.
        let audience_ok = c.audience.as_deref().is_none_or(|aud| match p.get("aud") {
            Some(Value::String(s)) => s == aud,
            Some(Value::Array(list)) => list.iter().any(|v| v.as_str() == Some(aud)),
            _ => false,
        });
        issuer_ok && audience_ok
    }

    /// The session standing for every Django token of `user_id`: revoking it (a password
    /// change, "log out everywhere") voids them all, whichever were never seen. A uuid8
    /// (RFC 9562 §5.8) derived from the user id under a label of its own, so it can never be
    /// a token id bouncer generates (uuid7) or a simplejwt jti (uuid4).
    pub fn user_session(user_id: i64) -> SessionId {
        let digest = Sha256::digest(format!("bouncer:django-tokens-of-user:{user_id}"));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        SessionId::from_u128(u128::from_be_bytes(bytes))
    }

    /// Until when a revocation of every Django token, made at `now`, must be kept: past the
    /// expiry of any Django token issued before it (their lifetime is bounded), or past the
    /// end of the cut-over.
    pub fn void_until(&self, now: i64) -> i64 {
        let c = &self.config;
        let window = c.max_lifetime.saturating_add(c.leeway.saturating_mul(2));
        let until = now.saturating_add(window);
        c.accept_until.map_or(until, |end| {
            until.min(end.saturating_add(c.leeway)).max(now)
        })
    }
}

/// simplejwt writes the user id as the pk is: an integer, or a string for a non-int pk.
/// bouncer's ids are positive integers; a string counts only in canonical decimal form.
fn user_id_of(value: &Value) -> Option<i64> {
    let id = match value {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => {
            let canonical = !s.is_empty()
                && s.len() <= 18
                && !s.starts_with('0')
                && s.bytes().all(|b| b.is_ascii_digit());
            if !canonical {
                return None;
            }
            s.parse().ok()?
        }
        _ => return None,
    };
    (id > 0).then_some(id)
}

impl LegacyClaims {
    /// When the token was minted, in milliseconds (a uuid4 jti carries no time: `iat`).
    pub fn issued_at_ms(&self) -> i64 {
        self.iat.saturating_mul(1000)
    }

    /// As bouncer's claims: the session is the token's own jti (what `import-django` records
    /// for simplejwt's outstanding tokens), and the login is taken to be the token's `iat`,
    /// the latest moment the user is known to have held a session (see
    /// `service/legacy_tokens.rs`). No rights: they are read afresh.
    pub fn to_claims(self) -> Claims {
        Claims {
            token_type: self.token_type,
            user_id: self.user_id,
            jti: self.jti,
            sid: self.jti,
            exp: self.exp,
            iat: self.iat,
            auth_time: self.iat,
            rights: None,
            amr: None,
            cnf: None,
        }
    }
}

#[cfg(test)]
#[path = "legacy_tests.rs"]
mod tests;
