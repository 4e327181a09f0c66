//! The security events counted, as closed enums: a label value is always one of these
//! constants, so no client input can name a series or grow their number.

use prometheus::{IntCounter, IntCounterVec, Registry};

use super::registered::counter_vec;

/// Which endpoint kind checked a credential (as the audit trail's `credential` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginCredential {
    Jwt,
    Key,
    PasswordReset,
    Activation,
}

impl LoginCredential {
    const ALL: [Self; 4] = [Self::Jwt, Self::Key, Self::PasswordReset, Self::Activation];

    /// The audit trail's name for it; `None` for a name this module does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Key => "key",
            Self::PasswordReset => "password_reset",
            Self::Activation => "activation",
        }
    }
}

/// How a credential check ended.
///
/// Unknown user, wrong password and inactive account are one reason, `bad_credentials`, as
/// they are to the client and in the audit trail: a scraper watching the counters while it
/// tries a name must not learn whether the account exists or is inactive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Ok,
    BadCredentials,
    /// A reset or activation link whose uid or token does not check out.
    BadLink,
    /// Refused unchecked: the name and address, or the address, is locked out.
    LockedOut,
    /// Anything else (invalid input, the throttle store unreachable).
    Error,
    /// Refused unchecked by the per-account bound (`[device_tokens]`): a client without the
    /// account's device token, while the account is under attack. Never names the account.
    LockedOutAccount,
    /// Refused unchecked: the device token's own bound is spent.
    LockedOutDevice,
}

impl Login {
    const ALL: [Self; 7] = [
        Self::Ok,
        Self::BadCredentials,
        Self::BadLink,
        Self::LockedOut,
        Self::Error,
        Self::LockedOutAccount,
        Self::LockedOutDevice,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::BadCredentials => "bad_credentials",
            Self::BadLink => "bad_link",
            Self::LockedOut => "locked_out",
            Self::Error => "error",
            Self::LockedOutAccount => "locked_out_account",
            Self::LockedOutDevice => "locked_out_device",
        }
    }
}

/// Why credentials were revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationCause {
    /// `POST /auth/logout/` and `/auth/token/logout/`.
    Logout,
    /// `POST /api/token/blacklist/`.
    Blacklist,
    /// A user ended one or all of their own sessions.
    SessionEnded,
    /// Staff (or the command line) ended a user's sessions.
    Admin,
    PasswordChange,
    PasswordReset,
    Deactivated,
    Deleted,
    /// A right was taken away (group or staff flag).
    RightsLost,
    /// A rotated refresh token came back: its session was revoked.
    Reuse,
}

impl RevocationCause {
    /// A session ended by `by` (`None`: the command line): its user, or someone else.
    pub fn by(by: Option<i64>, user_id: i64) -> Self {
        if by == Some(user_id) {
            Self::SessionEnded
        } else {
            Self::Admin
        }
    }

    const ALL: [Self; 10] = [
        Self::Logout,
        Self::Blacklist,
        Self::SessionEnded,
        Self::Admin,
        Self::PasswordChange,
        Self::PasswordReset,
        Self::Deactivated,
        Self::Deleted,
        Self::RightsLost,
        Self::Reuse,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Blacklist => "blacklist",
            Self::SessionEnded => "session_ended",
            Self::Admin => "admin",
            Self::PasswordChange => "password_change",
            Self::PasswordReset => "password_reset",
            Self::Deactivated => "deactivated",
            Self::Deleted => "deleted",
            Self::RightsLost => "rights_lost",
            Self::Reuse => "reuse",
        }
    }
}

/// `bouncer_logins_total{credential, result}`, every pair resolved at start-up.
pub(super) struct LoginCounters(Vec<IntCounter>);

impl LoginCounters {
    pub(super) fn register(registry: &Registry) -> prometheus::Result<Self> {
        let vec: IntCounterVec = counter_vec(
            registry,
            "bouncer_logins_total",
            "Credential checks (logins, key logins, reset and activation links) by outcome.",
            &["credential", "result"],
        )?;
        let mut all = Vec::new();
        for credential in LoginCredential::ALL {
            for result in Login::ALL {
                all.push(vec.with_label_values(&[credential.as_str(), result.as_str()]));
            }
        }
        Ok(Self(all))
    }

    pub(super) fn get(&self, credential: LoginCredential, outcome: Login) -> &IntCounter {
        &self.0[credential as usize * Login::ALL.len() + outcome as usize]
    }
}

/// `bouncer_revocations_total{cause}`, every cause resolved at start-up.
pub(super) struct RevocationCounters(Vec<IntCounter>);

impl RevocationCounters {
    pub(super) fn register(registry: &Registry) -> prometheus::Result<Self> {
        let vec = counter_vec(
            registry,
            "bouncer_revocations_total",
            "Revocations (of a token, a session, or every credential of a user) by cause.",
            &["cause"],
        )?;
        let all = RevocationCause::ALL
            .into_iter()
            .map(|cause| vec.with_label_values(&[cause.as_str()]))
            .collect();
        Ok(Self(all))
    }

    pub(super) fn get(&self, cause: RevocationCause) -> &IntCounter {
        &self.0[cause as usize]
    }
}
