//! Finding a credential in a request, before anything is verified.
//!
//! The source is the `Authorization` header: a JWT scheme (`Bearer` by default) or DRF's
//! `Token <key>`. A new kind of credential (a session cookie) becomes a new [`Credential`]
//! variant found here and a verifier in the authenticator; handlers and extractors do not
//! change.

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;

use crate::error::{ApiError, KeyProblem};

/// DRF `TokenAuthentication`'s keyword, compared case-insensitively.
const KEY_SCHEME: &str = "token";
/// RFC 9449 §7.1's scheme for DPoP-bound access tokens.
const DPOP_SCHEME: &str = "dpop";

/// An unverified credential, borrowed from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential<'r> {
    /// A JWT presented with one of the configured `auth_header_types`.
    Jwt(&'r str),
    /// An opaque key presented as `Token <key>`.
    Key(&'r str),
    /// A DPoP-bound JWT presented as `DPoP <token>`, with a proof in the `DPoP` header.
    Dpop(&'r str),
}

/// The `Authorization` header, read as DRF's authentication classes read it.
#[derive(Debug, Clone)]
pub struct AuthorizationHeader {
    /// Lower-cased: the scheme is compared case-insensitively (RFC 7235 §2.1).
    jwt_schemes: Vec<String>,
}

impl AuthorizationHeader {
    pub fn new(jwt_schemes: &[String]) -> Self {
        Self {
            jwt_schemes: jwt_schemes.iter().map(|t| t.to_ascii_lowercase()).collect(),
        }
    }

    /// `Ok(None)` when there are no credentials for us (no header, or another scheme).
    pub fn credential<'r>(&self, req: &'r HttpRequest) -> Result<Option<Credential<'r>>, ApiError> {
        let Some(value) = req.headers().get(AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| ApiError::BadAuthorizationHeader)?;
        // DRF splits on runs of whitespace; so do we.
        let mut parts = value.split_ascii_whitespace();
        let scheme = parts.next().unwrap_or_default();
        if scheme.eq_ignore_ascii_case(KEY_SCHEME) && !self.is_jwt_scheme(scheme) {
            // DRF's TokenAuthentication checks, in its order and words.
            return match (parts.next(), parts.next()) {
                (None, _) => Err(ApiError::InvalidKey(KeyProblem::NoCredentials)),
                (Some(_), Some(_)) => Err(ApiError::InvalidKey(KeyProblem::ContainsSpaces)),
                (Some(key), None) => Ok(Some(Credential::Key(key))),
            };
        }
        let dpop = scheme.eq_ignore_ascii_case(DPOP_SCHEME) && !self.is_jwt_scheme(scheme);
        if !dpop
            && !self
                .jwt_schemes
                .iter()
                .any(|t| t.eq_ignore_ascii_case(scheme))
        {
            return Ok(None);
        }
        let (Some(token), None) = (parts.next(), parts.next()) else {
            return Err(ApiError::BadAuthorizationHeader);
        };
        Ok(Some(if dpop {
            Credential::Dpop(token)
        } else {
            Credential::Jwt(token)
        }))
    }

    fn is_jwt_scheme(&self, scheme: &str) -> bool {
        self.jwt_schemes
            .iter()
            .any(|t| t.eq_ignore_ascii_case(scheme))
    }
}
