//! Ending credentials because of what happened to their user: a logged-out key, every other
//! session after a password change, every credential issued before a change of rights. And
//! the other direction: a user's current rights after a grant, for credentials issued
//! before it (`db/rights.rs`).
//!
//! Like every revocation, each is committed (and announced to other instances) first, then
//! applied to this instance's list before the caller answers. Entries are kept at least until
//! the last access token they could match expires and every instance's key cache has read
//! its keys again (`KEY_RECHECK_AFTER_MS`).

use std::sync::Arc;

use crate::clock;
use crate::db::tokens::{self, SessionRevoked};
use crate::db::{Db, UserChange, UserRevocation, legacy_tokens, rights, users};
use crate::error::ApiError;
use crate::metrics::{Metrics, RevocationCause};
use crate::revocation::{KEY_RECHECK_AFTER_MS, RevocationList};
use crate::tokens::{LegacyKeys, Principal, SessionId};

#[derive(Debug, Clone)]
pub struct Revoker {
    db: Db,
    revocations: Arc<RevocationList>,
    /// Seconds an access token minted now could be accepted for (lifetime plus leeway).
    access_window: i64,
    /// `[django_tokens]`: ending a user's sessions voids their Django tokens too.
    django: Option<Arc<LegacyKeys>>,
    /// Where the services that revoke count revocations (by cause) and refreshes.
    pub(super) metrics: Metrics,
    /// `[device_tokens]`: ending a user's sessions (or voiding their credentials) ends their
    /// device tokens too.
    devices: Option<super::devices::DeviceEnds>,
}

impl Revoker {
    pub fn new(db: Db, revocations: Arc<RevocationList>, access_window: i64) -> Self {
        Self {
            db,
            revocations,
            access_window,
            django: None,
            metrics: Metrics::disabled(),
            devices: None,
        }
    }

    /// The same, ending device tokens with the sessions.
    pub fn with_device_ends(mut self, devices: Option<super::devices::DeviceEnds>) -> Self {
        self.devices = devices;
        self
    }

    /// Ends the user's device tokens alone (a rename: a token names the username it is good
    /// for, and a new holder of the old name must not inherit the old owner's devices).
    pub(super) async fn end_devices(&self, user_id: i64) {
        if let Some(devices) = &self.devices {
            devices.end(user_id).await;
        }
    }

    /// Ending every session of a user also voids the tokens Django issued them (which no
    /// session row names: they may never have been seen).
    pub fn with_django_tokens(mut self, django: Option<Arc<LegacyKeys>>) -> Self {
        self.django = django;
        self
    }

    /// The same, counting in `metrics`.
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// Until when a revocation made `now` must be kept (without leeway, which the list adds).
    fn horizon(&self, now: i64) -> i64 {
        let window = self.access_window.max(KEY_RECHECK_AFTER_MS / 1000);
        now.saturating_add(window)
    }

    /// Voids every credential of the user issued up to now. Call it *after* the change that
    /// caused it committed: a token minted from rights read before the commit then has an
    /// earlier `jti` millisecond than this entry, and is void.
    pub async fn void_user(&self, user_id: i64, reason: UserChange) -> Result<(), ApiError> {
        let now = clock::now();
        let revocation = UserRevocation {
            user_id,
            not_before_ms: clock::now_ms(),
            reason,
            until: self.horizon(now),
        };
        self.db
            .write_announcing(move |conn| users::revoke_credentials(conn, revocation))
            .await?;
        self.revocations.revoke_user(revocation, now);
        self.end_devices(user_id).await;
        log::info!("user {user_id}: credentials issued until now are void ({reason:?})");
        Ok(())
    }

    /// Records the user's rights as they are now, after a change of them committed, for every
    /// instance to read credentials issued before it with (a grant takes effect at once).
    /// `lost`: the change took a right away, so the credentials issued until now are void
    /// too, in the same transaction (see `db/rights.rs` for why both).
    pub async fn rights_changed(&self, user_id: i64, lost: bool) -> Result<(), ApiError> {
        let now = clock::now();
        let until = self.horizon(now);
        let recorded = self
            .db
            .write_announcing(move |conn| rights::record(conn, user_id, lost, until))
            .await?;
        let now = clock::now();
        if let Some(void) = recorded.void {
            self.metrics.revoked(RevocationCause::RightsLost);
            self.revocations.revoke_user(void, now);
            log::info!("user {user_id}: credentials issued until now are void (RightsChanged)");
        }
        if let Some(change) = recorded.change {
            self.revocations.change_rights(change, now);
        }
        Ok(())
    }

    /// Ends every session of the user (refresh-token sessions and `Token` keys) but `keep`.
    /// Returns how many ended.
    pub async fn end_sessions(
        &self,
        user_id: i64,
        keep: Option<SessionId>,
    ) -> Result<usize, ApiError> {
        let now = clock::now();
        let horizon = self.horizon(now);
        let django_until = self.django.as_ref().map(|d| d.void_until(now));
        let (ended, django) = self
            .db
            .write_announcing(move |conn| {
                let ended = tokens::revoke_sessions_of_user(conn, user_id, keep, horizon, now)?;
                let django = django_until
                    .map(|until| {
                        let sid = LegacyKeys::user_session(user_id);
                        legacy_tokens::void_user_tokens(conn, sid, user_id, until, now)
                    })
                    .transpose()?;
                Ok::<_, diesel::result::Error>((ended, django))
            })
            .await?;
        self.apply(&ended, now);
        // Not counted: it is not a session the user could see.
        self.apply(django.as_slice(), now);
        self.end_devices(user_id).await;
        Ok(ended.len())
    }

    /// Ends the `Token` key the caller authenticated with.
    pub async fn end_key(&self, caller: &Principal) -> Result<(), ApiError> {
        self.end_session(caller.session_id, caller.user_id).await
    }

    /// Ends one session of the user, whatever its kind: a key's row is deleted, and every
    /// token of the session refused.
    pub async fn end_session(&self, sid: SessionId, user_id: i64) -> Result<(), ApiError> {
        let now = clock::now();
        let horizon = self.horizon(now);
        let (_, ended) = self
            .db
            .write_announcing(move |conn| {
                tokens::revoke_key_session(conn, sid, user_id, horizon, now)
            })
            .await?;
        self.apply(&[ended], now);
        Ok(())
    }

    fn apply(&self, ended: &[SessionRevoked], now: i64) {
        for session in ended {
            self.revocations
                .revoke_session(session.sid, session.expires_at, now);
        }
    }
}
