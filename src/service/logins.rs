//! Logging in under the failed-login limits (`throttle::LoginGuard`): every credential
//! endpoint (JWT login, key logins, reset and activation confirmations) checks the lockout
//! first, then the credentials, then counts a failure or clears the pair.

use std::future::Future;

use crate::credentials::canonical_username;
use crate::error::ApiError;
use crate::throttle::{Decision, LoginGuard, LoginSubject, StoreUnavailable};

fn unavailable(_: StoreUnavailable) -> ApiError {
    ApiError::Unavailable("the throttle store is unreachable (on_store_failure = closed)".into())
}

/// Runs `attempt` for `who` (a username, or a reset link's uid) from `address`, unless that
/// pair or address is locked out. `is_failure` says which errors count as a failed login.
pub async fn guarded<T, F>(
    guard: &LoginGuard,
    who: &str,
    address: String,
    attempt: F,
    is_failure: fn(&ApiError) -> bool,
) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ApiError>>,
{
    let subject = LoginSubject {
        username: canonical_username(who),
        address,
    };
    if let Err(lockout) = guard.check(&subject).await.map_err(unavailable)? {
        // The route writes the `login.locked_out` audit line: it knows the client.
        return Err(ApiError::LockedOut {
            wait: Decision::seconds(lockout.retry_after).max(1),
        });
    }
    let outcome = attempt.await;
    match &outcome {
        Ok(_) => guard.succeeded(&subject).await.map_err(unavailable)?,
        Err(e) if is_failure(e) => guard.failed(&subject).await.map_err(unavailable)?,
        Err(_) => {}
    }
    outcome
}

/// Wrong username or password (the login endpoints).
pub fn bad_credentials(e: &ApiError) -> bool {
    matches!(e, ApiError::InvalidCredentials)
}

/// A uid or token that does not check out (reset and activation confirmations).
pub fn bad_link(e: &ApiError) -> bool {
    matches!(e, ApiError::Validation(fields) if fields.contains_key("uid") || fields.contains_key("token"))
}
