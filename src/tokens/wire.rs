//! The JWT wire format: the JOSE header bouncer accepts and the claims payload, parsed in one
//! typed pass.
//!
//! Why not `jsonwebtoken::decode`: it parses the header twice and the claims twice (once for
//! its own checks, once into the caller's type), and a configurable claim name forces a slow
//! `#[serde(flatten)]` map. Validating a token is the hot path of every protected request, so
//! `JwtKeys::verify_any` (keys.rs) splits the token itself, verifies the signature with jsonwebtoken's
//! constant-time `crypto::verify`, and parses each part exactly once with the types below.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::claims::{Amr, TokenType};
use super::dpop_jwk::Thumbprint;
use super::ids::TokenId;

/// The only header fields bouncer writes. Anything else (`jku`, `jwk`, `x5u`, `x5c`, `crit`,
/// ...) means the token was not made by bouncer and is refused, as is a repeated field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct JoseHeader<'a> {
    #[serde(borrow)]
    pub alg: Cow<'a, str>,
    #[serde(default, borrow)]
    pub typ: Option<Cow<'a, str>>,
    /// Names the key of the ring that verifies the token (`keyring.rs`).
    #[serde(default, borrow)]
    pub kid: Option<Cow<'a, str>>,
}

/// Claims as minted. Serialized by hand because the user id claim's name is a setting.
pub(super) struct OutgoingClaims<'a> {
    pub token_type: TokenType,
    pub exp: i64,
    pub iat: i64,
    pub jti: TokenId,
    pub sid: TokenId,
    pub auth_time: i64,
    pub iss: Option<&'a str>,
    pub aud: Option<&'a str>,
    pub user_id_claim: &'a str,
    /// A string, as simplejwt writes it.
    pub user_id: &'a str,
    /// Access tokens only, as `access_token_claims` chooses: `is_staff` and `groups`, so
    /// bouncer and other services can authorise without asking the database.
    pub is_staff: Option<bool>,
    pub groups: Option<&'a [Box<str>]>,
    /// Access tokens only: other user fields and the claims hook's, none of them reserved
    /// (`extra_claims.rs`).
    pub extra: Option<&'a Map<String, Value>>,
    /// How the login was proved (RFC 8176), in both kinds of token: a refresh carries it on.
    pub amr: Option<Amr>,
    /// A DPoP-bound token's `cnf: {"jkt": ...}` (RFC 9449 §6.1).
    pub cnf: Option<Thumbprint>,
}

/// `cnf` as bouncer writes it: the key's thumbprint and nothing else.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    jkt: String,
}

impl Serialize for OutgoingClaims<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("token_type", &self.token_type)?;
        map.serialize_entry("exp", &self.exp)?;
        map.serialize_entry("iat", &self.iat)?;
        map.serialize_entry("jti", &self.jti)?;
        map.serialize_entry("sid", &self.sid)?;
        map.serialize_entry("auth_time", &self.auth_time)?;
        if let Some(iss) = self.iss {
            map.serialize_entry("iss", iss)?;
        }
        if let Some(aud) = self.aud {
            map.serialize_entry("aud", aud)?;
        }
        map.serialize_entry(self.user_id_claim, self.user_id)?;
        if let Some(is_staff) = self.is_staff {
            map.serialize_entry("is_staff", &is_staff)?;
        }
        if let Some(groups) = self.groups {
            map.serialize_entry("groups", groups)?;
        }
        if let Some(amr) = self.amr {
            map.serialize_entry("amr", amr.values())?;
        }
        if let Some(jkt) = &self.cnf {
            map.serialize_entry("cnf", &Confirmation { jkt: jkt.encode() })?;
        }
        for (name, value) in self.extra.into_iter().flatten() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Claims as received, every field typed: a string `exp` or a numeric user id fails to parse.
#[derive(Debug)]
pub(super) struct IncomingClaims {
    pub token_type: TokenType,
    pub exp: i64,
    pub iat: i64,
    /// Parsed here, once: a malformed id fails the parse like any other mistyped claim.
    pub jti: TokenId,
    pub sid: TokenId,
    pub auth_time: i64,
    pub nbf: Option<i64>,
    pub iss: Option<String>,
    pub aud: Option<String>,
    pub user_id: String,
    /// Absent from refresh tokens and from tokens of older versions: no rights.
    pub is_staff: Option<bool>,
    pub groups: Option<Vec<String>>,
    /// Absent from tokens of older versions.
    pub amr: Option<Amr>,
    /// A DPoP-bound token's key thumbprint; a malformed `cnf` fails the parse.
    pub cnf: Option<Thumbprint>,
}

/// Parses [`IncomingClaims`], reading the user id from the configured claim name. Other
/// claims are skipped; a claim bouncer reads that appears twice is refused.
pub(super) struct ClaimsSeed<'a> {
    pub user_id_claim: &'a str,
}

impl<'de> DeserializeSeed<'de> for ClaimsSeed<'_> {
    type Value = IncomingClaims;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

/// Stores a field once; a second occurrence is an error (no "last one wins" confusion).
fn once<T, E: serde::de::Error>(slot: &mut Option<T>, value: T, name: &str) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(E::custom(format_args!("duplicate claim {name}")));
    }
    Ok(())
}

impl<'de> Visitor<'de> for ClaimsSeed<'_> {
    type Value = IncomingClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut token_type, mut exp, mut iat, mut jti, mut sid) = (None, None, None, None, None);
        let (mut auth_time, mut nbf, mut iss, mut aud, mut user_id) =
            (None, None, None, None, None);
        let (mut is_staff, mut groups, mut amr, mut cnf) = (None, None, None, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let key = key.as_ref();
            match key {
                "token_type" => once(&mut token_type, map.next_value()?, key)?,
                "exp" => once(&mut exp, map.next_value()?, key)?,
                "iat" => once(&mut iat, map.next_value()?, key)?,
                "jti" => once(&mut jti, map.next_value()?, key)?,
                "sid" => once(&mut sid, map.next_value()?, key)?,
                "auth_time" => once(&mut auth_time, map.next_value()?, key)?,
                "nbf" => once(&mut nbf, map.next_value()?, key)?,
                "iss" => once(&mut iss, map.next_value()?, key)?,
                "aud" => once(&mut aud, map.next_value()?, key)?,
                "is_staff" => once(&mut is_staff, map.next_value()?, key)?,
                "groups" => once(&mut groups, map.next_value()?, key)?,
                "amr" => {
                    let values: Vec<Cow<'de, str>> = map.next_value()?;
                    let parsed = Amr::parse(&values)
                        .ok_or_else(|| A::Error::custom("an amr bouncer never writes"))?;
                    once(&mut amr, parsed, key)?;
                }
                "cnf" => {
                    let Confirmation { jkt } = map.next_value()?;
                    let jkt = Thumbprint::decode(&jkt)
                        .ok_or_else(|| A::Error::custom("cnf.jkt is not a SHA-256 thumbprint"))?;
                    once(&mut cnf, jkt, key)?;
                }
                _ if key == self.user_id_claim => once(&mut user_id, map.next_value()?, key)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let missing = |name: &'static str| A::Error::missing_field(name);
        Ok(IncomingClaims {
            token_type: token_type.ok_or_else(|| missing("token_type"))?,
            exp: exp.ok_or_else(|| missing("exp"))?,
            iat: iat.ok_or_else(|| missing("iat"))?,
            jti: jti.ok_or_else(|| missing("jti"))?,
            sid: sid.ok_or_else(|| missing("sid"))?,
            auth_time: auth_time.ok_or_else(|| missing("auth_time"))?,
            nbf,
            iss,
            aud,
            user_id: user_id.ok_or_else(|| missing("user id claim"))?,
            is_staff,
            groups,
            amr,
            cnf,
        })
    }
}
