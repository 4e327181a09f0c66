//! Audit events about a request: who sent it (client address by the `throttle.num_proxies`
//! rule, user agent) and what it asked for (method, path; never the query string, headers or
//! body, which may carry credentials).

use actix_web::http::header::USER_AGENT;
use actix_web::{HttpRequest, web};

use super::client_address::client_address;
use crate::audit::AuditEvent;
use crate::error::ApiError;
use crate::metrics::{Login, LoginCredential, Metrics};
use crate::service::guarded;
use crate::throttle::Throttler;

/// Adds the request's `ip`, `user_agent` (when sent), `method` and `path` to an event.
pub trait RequestFields {
    fn request(self, req: &HttpRequest) -> Self;
}

/// The client's address (by the `throttle.num_proxies` rule) and user agent, as audit lines
/// and the sessions list show them. Lossy: a user agent with bytes that are not UTF-8 is still
/// worth showing.
pub fn client_of(req: &HttpRequest) -> (String, Option<String>) {
    let proxies = req
        .app_data::<web::Data<Throttler>>()
        .map_or(0, |t| t.num_proxies());
    let user_agent = req
        .headers()
        .get(USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    (client_address(req, proxies), user_agent)
}

impl RequestFields for AuditEvent {
    fn request(self, req: &HttpRequest) -> Self {
        let (address, user_agent) = client_of(req);
        self.field("ip", address)
            .field_opt("user_agent", user_agent)
            .field("method", req.method().as_str())
            .field("path", req.path())
    }
}

/// Writes the audit line of a credential check that `service::guarded` refused: a failed
/// attempt (`login.failure`, when `is_failure` says the error counts as one) or a lockout
/// (`login.locked_out`). Other errors (503, validation of the new password) write nothing.
///
/// `credential` names the endpoint's kind (`jwt`, `key`, `password_reset`, `activation`);
/// `who` is the field naming the subject as the client typed it (`username`, or a link's
/// `uid`). The reason never says whether the account exists: unknown user, wrong password
/// and inactive account are all `bad_credentials`, as they are to the client.
fn failed_attempt(
    req: &HttpRequest,
    credential: &'static str,
    who: (&'static str, &str),
    error: &ApiError,
    is_failure: fn(&ApiError) -> bool,
) {
    let event = match error {
        ApiError::LockedOut { wait } => {
            AuditEvent::warning("login.locked_out").field("wait", *wait)
        }
        ApiError::InvalidCredentials => {
            AuditEvent::warning("login.failure").field("reason", "bad_credentials")
        }
        e if is_failure(e) => AuditEvent::warning("login.failure").field("reason", "bad_link"),
        _ => return,
    };
    event
        .field("credential", credential)
        .field(who.0, who.1)
        .request(req)
        .emit();
}

/// The metrics' name for how a credential check ended (the audit trail's reasons).
fn login_result<T>(outcome: &Result<T, ApiError>, is_failure: fn(&ApiError) -> bool) -> Login {
    match outcome {
        Ok(_) => Login::Ok,
        Err(ApiError::LockedOut { .. }) => Login::LockedOut,
        Err(ApiError::InvalidCredentials) => Login::BadCredentials,
        Err(e) if is_failure(e) => Login::BadLink,
        Err(_) => Login::Error,
    }
}

/// A credential check under the failed-login limits (`service::guarded`), with its audit line
/// when it is refused: what every credential endpoint runs. `who` is the field naming the
/// subject as typed (`username`, or a link's `uid`); the limits key the pair by it and by the
/// client's address.
pub async fn guarded_attempt<T>(
    req: &HttpRequest,
    credential: &'static str,
    who: (&'static str, &str),
    attempt: impl Future<Output = Result<T, ApiError>>,
    is_failure: fn(&ApiError) -> bool,
) -> Result<T, ApiError> {
    let Some(throttler) = req.app_data::<web::Data<Throttler>>() else {
        return attempt.await;
    };
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let address = client_address(req, throttler.num_proxies());
    // A link's uid is kept apart from usernames (a username may look like a uid).
    let subject = match who.0 {
        "username" => who.1.to_owned(),
        field => format!("{field}:{}", who.1),
    };
    let outcome = guarded(throttler.logins(), &subject, address, attempt, is_failure).await;
    if let Err(e) = &outcome {
        failed_attempt(req, credential, who, e, is_failure);
    }
    if let (Some(metrics), Some(kind)) = (metrics, LoginCredential::parse(credential)) {
        metrics.login(kind, login_result(&outcome, is_failure));
    }
    outcome
}
