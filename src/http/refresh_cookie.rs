//! Cookie mode: the refresh token in an HttpOnly cookie, for pages in a browser.
//!
//! A login or refresh with `X-Refresh-Cookie: 1` answers with the refresh token in the cookie
//! `__Host-bouncer_refresh` (`HttpOnly; Secure; SameSite=Strict; Path=/`, `Max-Age` the
//! token's remaining life) and leaves it out of the body, so no script can ever read it.
//! Refresh, blacklist and logout read the token from the cookie when the body has none.
//!
//! The cookie is sent by the browser whoever started the request, so a request that uses it
//! must prove it comes from the page (`docs/security.md`, "Cookie mode"):
//! - its `Origin`, when sent, is bouncer's own or one of `cors.allowed_origins`;
//! - it carries `X-CSRF-Token`, which a cross-site form cannot send and which only the page
//!   was given (the proof of the cookie's session, `credentials::CsrfProofs`).
//!
//! A missing or wrong proof is a 403 that rotates and revokes nothing and leaves the cookie
//! alone (clearing it would let a cross-site form log the user out). A cookie whose token is
//! forged, expired or revoked is cleared along with the 401.

use actix_web::cookie::{Cookie, SameSite as CookieSameSite, time::Duration as CookieDuration};
use actix_web::http::header::{HOST, ORIGIN};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};

use crate::credentials::{CsrfProofs, REQUIRED};
use crate::error::{ApiError, CsrfProblem};
use crate::settings::{SameSite, Settings};
use crate::tokens::SessionId;

/// The request header that asks for cookie mode.
pub const COOKIE_MODE_HEADER: &str = "x-refresh-cookie";
/// The request header carrying the CSRF proof.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The cookie's name: `__Host-` makes browsers refuse it unless it is `Secure`, has
/// `Path=/` and no `Domain`, so no sibling subdomain can plant or overwrite it.
const SECURE_NAME: &str = "__Host-bouncer_refresh";
/// The name for loopback development over plain HTTP (`refresh_cookie.secure = false`).
const DEV_NAME: &str = "bouncer_refresh";

const BOTH_SENT: &str = "Send the refresh token in the body or in the cookie, not both.";

/// Where a refresh token came from.
#[derive(Debug)]
pub enum RefreshSource {
    Body(String),
    /// The cookie, on a request that passed the origin check and carries a CSRF header
    /// (whose value is checked against the token's session once that is verified).
    Cookie {
        token: String,
        proof: String,
    },
}

impl RefreshSource {
    pub fn token(&self) -> &str {
        match self {
            Self::Body(token) | Self::Cookie { token, .. } => token,
        }
    }

    pub fn is_cookie(&self) -> bool {
        matches!(self, Self::Cookie { .. })
    }
}

/// Cookie mode's settings and CSRF proofs; registered as `web::Data`.
#[derive(Debug, Clone)]
pub struct RefreshCookies {
    name: &'static str,
    secure: bool,
    same_site: CookieSameSite,
    proofs: CsrfProofs,
    allowed_origins: Vec<String>,
}

impl RefreshCookies {
    /// From the `[refresh_cookie]` and `[cors]` settings; proofs keyed from `secret`.
    pub fn new(settings: &Settings, secret: &[u8]) -> Self {
        let cookie = &settings.refresh_cookie;
        Self {
            name: if cookie.secure { SECURE_NAME } else { DEV_NAME },
            secure: cookie.secure,
            same_site: match cookie.same_site {
                SameSite::Strict => CookieSameSite::Strict,
                SameSite::Lax => CookieSameSite::Lax,
            },
            proofs: CsrfProofs::new(secret),
            allowed_origins: settings
                .cors
                .allowed_origins
                .iter()
                .filter(|o| *o != "*")
                .cloned()
                .collect(),
        }
    }

    /// Whether the request asks for cookie mode: `X-Refresh-Cookie: 1`. Any other value is a
    /// 400, so a typo does not silently put a refresh token into a body.
    pub fn requested(&self, req: &HttpRequest) -> Result<bool, ApiError> {
        match req.headers().get(COOKIE_MODE_HEADER) {
            None => Ok(false),
            Some(value) if value.as_bytes() == b"1" => Ok(true),
            Some(_) => Err(ApiError::BadRequest(
                "X-Refresh-Cookie must be 1 (refresh token in a cookie) or absent (in the body)."
                    .into(),
            )),
        }
    }

    /// The refresh token in the cookie, if one was sent.
    pub fn cookie_token(&self, req: &HttpRequest) -> Option<String> {
        req.cookie(self.name)
            .map(|c| c.value().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The refresh token to use: the body's, or the cookie's when the body has none (checking
    /// the origin and that a CSRF header is there). Both at once is a 400, as is neither.
    pub fn source(
        &self,
        req: &HttpRequest,
        body: Option<String>,
    ) -> Result<RefreshSource, ApiError> {
        match (body, self.cookie_token(req)) {
            (Some(_), Some(_)) => Err(ApiError::field("refresh", BOTH_SENT)),
            (Some(token), None) => Ok(RefreshSource::Body(token)),
            (None, None) => Err(ApiError::field("refresh", REQUIRED)),
            (None, Some(token)) => {
                self.check_origin(req)?;
                let proof = req
                    .headers()
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .filter(|v| !v.is_empty())
                    .ok_or(ApiError::Csrf(CsrfProblem::Missing))?
                    .to_owned();
                Ok(RefreshSource::Cookie { token, proof })
            }
        }
    }

    /// The check a refresh from `source` runs on the verified token's session: none for the
    /// body, the CSRF proof for the cookie.
    pub fn binding<'a>(
        &'a self,
        source: &'a RefreshSource,
    ) -> impl FnOnce(SessionId) -> Result<(), ApiError> + 'a {
        move |sid| match source {
            RefreshSource::Body(_) => Ok(()),
            RefreshSource::Cookie { proof, .. } => {
                if self.proofs.check(&sid.to_string(), proof) {
                    Ok(())
                } else {
                    Err(ApiError::Csrf(CsrfProblem::Mismatch))
                }
            }
        }
    }

    /// An `Origin`, when sent, must be bouncer's own (its host and port are the request's
    /// `Host`) or listed in `cors.allowed_origins`. `null` (sandboxed frames, `file:`) never is.
    pub fn check_origin(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let Some(origin) = req.headers().get(ORIGIN) else {
            return Ok(());
        };
        let origin = origin.to_str().unwrap_or("null");
        let own = origin
            .split_once("://")
            .map(|(_, authority)| authority)
            .zip(req.headers().get(HOST).and_then(|h| h.to_str().ok()))
            .is_some_and(|(authority, host)| authority.eq_ignore_ascii_case(host));
        if own || self.allowed_origins.iter().any(|o| o == origin) {
            Ok(())
        } else {
            Err(ApiError::Csrf(CsrfProblem::OriginNotAllowed))
        }
    }

    /// The CSRF proof the page must send with cookie-mode requests of session `sid`.
    pub fn proof_for(&self, sid: SessionId) -> String {
        self.proofs.for_session(&sid.to_string())
    }

    /// Whether `presented` is session `sid`'s CSRF proof (the admin page's forms carry it in
    /// a hidden field): a 403 otherwise.
    pub fn check_proof(&self, sid: SessionId, presented: &str) -> Result<(), ApiError> {
        if self.proofs.check(&sid.to_string(), presented) {
            Ok(())
        } else {
            Err(ApiError::Csrf(CsrfProblem::Mismatch))
        }
    }

    /// Puts `token`, valid for `max_age` more seconds, into the cookie.
    pub fn set(&self, response: &mut HttpResponseBuilder, token: &str, max_age: i64) {
        response.cookie(self.cookie(token.to_owned(), max_age.max(0)));
    }

    /// Tells the browser to drop the cookie.
    pub fn clear(&self, response: &mut HttpResponse) {
        // Only fails for a cookie that is not a valid header value, which this one is.
        let _ = response.add_cookie(&self.cookie(String::new(), 0));
    }

    /// `error`'s response, clearing the cookie when the error says its token is no good
    /// (forged, expired, revoked, or its user gone); other errors leave it alone.
    pub fn refusal(&self, error: ApiError) -> HttpResponse {
        let mut response = error.error_response();
        if matches!(
            error,
            ApiError::InvalidToken { .. } | ApiError::NoActiveAccountForToken
        ) {
            self.clear(&mut response);
        }
        response
    }

    fn cookie(&self, value: String, max_age: i64) -> Cookie<'static> {
        Cookie::build(self.name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(self.same_site)
            .max_age(CookieDuration::seconds(max_age))
            .finish()
    }
}
