//! Signing keys, minting and verification of access and refresh JWTs.
//!
//! Security invariants (see `docs/security.md`, RFC 8725):
//! - the key comes from the header's `kid` and the algorithm from that key, never from the
//!   header's `alg` (see `keyring.rs`);
//! - `exp`, `iat`, `jti`, `sid`, `token_type` and the user id are required and typed, so a
//!   string `exp` or a float user id fails to decode instead of skipping a check;
//! - headers that point at other keys (`jku`, `jwk`, `x5u`, `x5c`) or name an unknown `kid`
//!   are refused: bouncer issues none of them;
//! - leeway is an explicit setting (jsonwebtoken defaults to 60 s) and `nbf`/`iat` are checked.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use parking_lot::RwLock;
use serde::de::DeserializeSeed;
use serde_json::{Map, Value};

use super::claims::{Amr, Claims, TokenError, TokenType, is_expired};
use super::dpop_jwk::Thumbprint;
use super::extra_claims::{MintError, RightsClaims, is_reserved, minted_or_read};
use super::ids::{SessionId, TokenId};
use super::keyring::KeyRing;
use super::rights::Rights;
use super::wire::{ClaimsSeed, IncomingClaims, JoseHeader, OutgoingClaims};

/// What the keys are built from: the key ring and the claim policy, in seconds. Built from
/// settings by the caller, so this module depends on nothing else in the crate.
pub struct KeyConfig {
    pub ring: KeyRing,
    pub access_lifetime: i64,
    pub refresh_lifetime: i64,
    /// Absolute bound on a session's tokens, counted from the login.
    pub session_lifetime: i64,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`.
    pub leeway: i64,
    pub issuer: Option<String>,
    pub audience: Option<String>,
    /// The claim carrying the user id (simplejwt's `USER_ID_CLAIM`).
    pub user_id_claim: String,
}

/// What a token is minted for. The `jti` is chosen before the rights are read from the
/// database: its uuid7 millisecond then precedes the read, which is what lets a user
/// revocation taken after a change void every token that could carry the old rights.
#[derive(Debug, Clone)]
pub struct Grant {
    pub user_id: i64,
    pub sid: SessionId,
    pub auth_time: i64,
    pub jti: TokenId,
    pub rights: Rights,
    /// Access tokens only: claims beyond bouncer's own (other user fields, the claims
    /// hook's). Names minting writes or verification reads are left out here whatever the
    /// caller did (`extra_claims.rs`); the caller drops the other reserved names, and logs it.
    pub extra: Map<String, Value>,
    /// How the session's login was proved (`amr`), written into both kinds of token.
    pub amr: Option<Amr>,
}

/// The key ring (replaced whole when keys rotate, on every instance) and the claim policy.
pub struct JwtKeys {
    ring: RwLock<Arc<KeyRing>>,
    /// Bumped by every ring replacement, so a cache of verified tokens can tell that the keys
    /// it verified them with may have changed.
    generation: AtomicU64,
    leeway: i64,
    access_lifetime: i64,
    refresh_lifetime: i64,
    session_lifetime: i64,
    issuer: Option<String>,
    audience: Option<String>,
    user_id_claim: String,
    /// Which rights claims access tokens carry (`access_token_claims`).
    rights_claims: RightsClaims,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKeys(<redacted>)")
    }
}

impl JwtKeys {
    pub fn new(config: KeyConfig) -> Self {
        Self {
            ring: RwLock::new(Arc::new(config.ring)),
            generation: AtomicU64::new(0),
            leeway: config.leeway,
            access_lifetime: config.access_lifetime,
            refresh_lifetime: config.refresh_lifetime,
            session_lifetime: config.session_lifetime,
            issuer: config.issuer,
            audience: config.audience,
            user_id_claim: config.user_id_claim,
            rights_claims: RightsClaims::default(),
        }
    }

    /// Mints access tokens with only these rights claims (both by default).
    pub fn with_rights_claims(mut self, rights_claims: RightsClaims) -> Self {
        self.rights_claims = rights_claims;
        self
    }

    /// Whether `name` is a claim only bouncer writes (see `extra_claims.rs`).
    pub fn is_reserved_claim(&self, name: &str) -> bool {
        is_reserved(name, &self.user_id_claim)
    }

    /// The current key ring.
    pub fn ring(&self) -> Arc<KeyRing> {
        self.ring.read().clone()
    }

    /// Replaces the key ring (a rotation, seen on this instance).
    pub fn replace_ring(&self, ring: KeyRing) {
        *self.ring.write() = Arc::new(ring);
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Changes with every [`JwtKeys::replace_ring`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Longest a token minted now may be accepted: what a retired key must still verify.
    pub fn longest_token_window(&self) -> i64 {
        self.access_lifetime
            .max(self.refresh_lifetime)
            .saturating_add(self.leeway)
    }

    /// How long after `now` an access token minted now could still be accepted.
    pub fn access_horizon(&self, now: i64) -> i64 {
        now.saturating_add(self.access_lifetime)
            .saturating_add(self.leeway)
    }

    /// Seconds an access token minted now could still be accepted for.
    pub fn access_window(&self) -> i64 {
        self.access_lifetime.saturating_add(self.leeway)
    }

    pub fn leeway(&self) -> i64 {
        self.leeway
    }

    /// The absolute end of a session that started at `auth_time` (`session_lifetime`).
    pub fn session_end(&self, auth_time: i64) -> i64 {
        auth_time.saturating_add(self.session_lifetime)
    }

    /// Mints a token of `token_type` for the session `sid` that started at `auth_time`, with
    /// no rights (refresh tokens never carry any: they are read afresh at each refresh).
    pub fn mint(
        &self,
        token_type: TokenType,
        user_id: i64,
        sid: SessionId,
        auth_time: i64,
        now: i64,
    ) -> Result<(String, Claims), MintError> {
        self.mint_bound(token_type, user_id, sid, auth_time, now, None)
    }

    /// [`JwtKeys::mint`], bound to the client key `cnf` when given (DPoP, RFC 9449 §6).
    pub fn mint_bound(
        &self,
        token_type: TokenType,
        user_id: i64,
        sid: SessionId,
        auth_time: i64,
        now: i64,
        cnf: Option<Thumbprint>,
    ) -> Result<(String, Claims), MintError> {
        let grant = Grant {
            user_id,
            sid,
            auth_time,
            jti: TokenId::generate(),
            rights: Rights::default(),
            extra: Map::new(),
            amr: None,
        };
        self.mint_grant_bound(token_type, grant, now, cnf)
    }

    /// Mints a token for `grant`; an access token carries the rights claims chosen and the
    /// grant's extra claims. Neither kind outlives the session's absolute lifetime, and no
    /// token is longer than [`MAX_TOKEN_BYTES`] (bouncer would refuse it).
    pub fn mint_grant(
        &self,
        token_type: TokenType,
        grant: Grant,
        now: i64,
    ) -> Result<(String, Claims), MintError> {
        self.mint_grant_bound(token_type, grant, now, None)
    }

    /// [`JwtKeys::mint_grant`], bound to the client key `cnf` when given (DPoP).
    pub fn mint_grant_bound(
        &self,
        token_type: TokenType,
        grant: Grant,
        now: i64,
        cnf: Option<Thumbprint>,
    ) -> Result<(String, Claims), MintError> {
        let Grant {
            user_id,
            sid,
            auth_time,
            jti,
            rights,
            mut extra,
            amr,
        } = grant;
        let access = token_type == TokenType::Access;
        extra.retain(|name, _| !minted_or_read(name, &self.user_id_claim));
        let lifetime = match token_type {
            TokenType::Access => self.access_lifetime,
            TokenType::Refresh => self.refresh_lifetime,
        };
        let exp = now
            .saturating_add(lifetime)
            .min(auth_time.saturating_add(self.session_lifetime));
        let claims = Claims {
            token_type,
            user_id,
            jti,
            sid,
            exp,
            iat: now,
            auth_time,
            rights: access.then_some(rights),
            amr,
            cnf,
        };
        let user_id = user_id.to_string();
        let rights = claims.rights.as_ref();
        let carried = self.rights_claims;
        let wire = OutgoingClaims {
            token_type,
            exp,
            iat: now,
            jti: claims.jti,
            sid: claims.sid,
            auth_time,
            iss: self.issuer.as_deref(),
            aud: self.audience.as_deref(),
            user_id_claim: &self.user_id_claim,
            user_id: &user_id,
            is_staff: rights.filter(|_| carried.is_staff).map(|r| r.is_staff),
            groups: rights.filter(|_| carried.groups).map(|r| &*r.groups),
            extra: (access && !extra.is_empty()).then_some(&extra),
            amr,
            cnf,
        };
        let ring = self.ring();
        let (key, header) = ring.signing();
        let encoding = key.material.encoding.as_ref().ok_or_else(|| {
            jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)
        })?;
        let token = jsonwebtoken::encode(header, &wire, encoding)?;
        if token.len() > MAX_TOKEN_BYTES {
            return Err(MintError::TooLarge {
                user_id: claims.user_id,
                bytes: token.len(),
                limit: MAX_TOKEN_BYTES,
            });
        }
        Ok((token, claims))
    }

    pub fn verify_access(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        self.verify_typed(token, TokenType::Access, now)
            .map(|(claims, _)| claims)
    }

    /// [`JwtKeys::verify_access`], and until when the key that signed it verifies: a cache of
    /// verified tokens must not answer for a token past that moment.
    pub fn verify_access_until(&self, token: &str, now: i64) -> Result<(Claims, i64), TokenError> {
        self.verify_typed(token, TokenType::Access, now)
    }

    pub fn verify_refresh(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        self.verify_typed(token, TokenType::Refresh, now)
            .map(|(claims, _)| claims)
    }

    fn verify_typed(
        &self,
        token: &str,
        expected: TokenType,
        now: i64,
    ) -> Result<(Claims, i64), TokenError> {
        let (claims, until) = self.verify_with_key(token, now)?;
        if claims.token_type != expected {
            return Err(TokenError::WrongType);
        }
        Ok((claims, until))
    }

    /// Signature, time claims, issuer/audience and claim types; not revocation.
    pub fn verify_any(&self, token: &str, now: i64) -> Result<Claims, TokenError> {
        self.verify_with_key(token, now).map(|(claims, _)| claims)
    }

    /// The header is checked before the signature, the payload parsed only once the
    /// signature holds (see `wire.rs` for why this does not go through `decode`).
    fn verify_with_key(&self, token: &str, now: i64) -> Result<(Claims, i64), TokenError> {
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
        // The kid picks the key and the key pins the algorithm: the header may only confirm it.
        let ring = self.ring();
        let key = ring
            .find(header.kid.as_deref(), now)
            .ok_or(TokenError::Invalid)?;
        if header.alg != key.header_alg
            || header.typ.is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
        {
            return Err(TokenError::Invalid);
        }
        let signed = jsonwebtoken::crypto::verify(
            signature,
            message.as_bytes(),
            &key.material.decoding,
            key.material.algorithm,
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
        let until = key.verify_until;
        self.check_claims(wire, now).map(|claims| (claims, until))
    }

    /// Re-checks expiry of claims verified earlier (the other time claims cannot turn bad).
    pub fn check_unexpired(&self, claims: &Claims, now: i64) -> Result<(), TokenError> {
        if is_expired(claims.exp, now, self.leeway) {
            return Err(TokenError::Expired);
        }
        Ok(())
    }

    /// Time claims with leeway, then issuer and audience (the ids were typed by the parse).
    fn check_claims(&self, wire: IncomingClaims, now: i64) -> Result<Claims, TokenError> {
        if is_expired(wire.exp, now, self.leeway) {
            return Err(TokenError::Expired);
        }
        let latest_issue = now.saturating_add(self.leeway);
        let not_yet_valid = wire.nbf.is_some_and(|nbf| nbf > latest_issue);
        let wrong_issuer = self.issuer.is_some() && wire.iss != self.issuer;
        let wrong_audience = self.audience.is_some() && wire.aud != self.audience;
        if not_yet_valid || wire.iat > latest_issue || wrong_issuer || wrong_audience {
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
            // Both, or bouncer reads them: a token carrying only `is_staff` says nothing of
            // the groups, and "no groups" must not be read into it.
            rights: match (wire.is_staff, wire.groups) {
                (Some(is_staff), Some(groups)) => Some(Rights::new(is_staff, groups)),
                _ => None,
            },
            amr: wire.amr,
            cnf: wire.cnf,
        })
    }
}

/// Far above any token bouncer mints with its own claims (~350 bytes); refuses absurd input
/// before decoding it. Minting holds itself to it too: extra claims cannot push past it.
pub const MAX_TOKEN_BYTES: usize = 4096;

/// Only the canonical decimal form bouncer writes: no sign, no leading zeros, no spaces.
fn parse_user_id(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || s.starts_with('0') || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "keyring_tests.rs"]
mod keyring_tests;

#[cfg(test)]
#[path = "extra_claims_tests.rs"]
mod extra_claims_tests;
