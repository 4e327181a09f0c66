//! DPoP (RFC 9449) as a service: the proof checks of `tokens::verify_proof` with this
//! deployment's settings, server nonces, and the replay cache every instance shares.
//!
//! `nonce.rs` makes and checks server nonces without state; `replay.rs` remembers each used
//! proof until it could no longer pass the `iat` check, in Redis or the database.

mod nonce;
mod replay;

use jsonwebtoken::Algorithm;

pub use nonce::Nonces;
pub use replay::ReplayCache;

use crate::audit::AuditEvent;
use crate::error::{ApiError, TokenContext};
use crate::settings::DpopSettings;
use crate::tokens::{ProofCheck, VerifiedProof, proof_algorithm, verify_proof};

/// The DPoP settings in force, the nonces and the replay cache.
#[derive(Debug)]
pub struct DpopGuard {
    algorithms: Vec<Algorithm>,
    names: Vec<String>,
    window: i64,
    require_nonce: bool,
    nonces: Nonces,
    replay: ReplayCache,
    public_url: Option<String>,
}

/// What a request offers to be checked against a proof.
pub struct ProofRequest<'a> {
    pub proof: &'a str,
    pub method: &'a str,
    /// The URL as the client addressed it, without query.
    pub url: &'a str,
    /// On a protected route: the access token presented (`ath`).
    pub access_token: Option<&'a str>,
    /// Where the proof was sent: a token endpoint (400s) or a protected route (401s).
    pub context: TokenContext,
}

impl DpopGuard {
    /// `nonce_secret` keys the server nonces: every instance given the same accepts the
    /// others' nonces.
    pub fn new(settings: &DpopSettings, nonce_secret: &[u8], replay: ReplayCache) -> Self {
        // Validated at start-up: every name parses.
        let algorithms = settings
            .algorithms
            .iter()
            .filter_map(|name| proof_algorithm(name))
            .collect();
        Self {
            algorithms,
            names: settings.algorithms.clone(),
            window: i64::try_from(settings.iat_window.as_secs()).unwrap_or(60),
            require_nonce: settings.require_nonce,
            nonces: Nonces::new(nonce_secret, settings.nonce_lifetime.as_secs()),
            replay,
            public_url: settings
                .public_url
                .as_deref()
                .map(|u| u.trim_end_matches('/').to_owned()),
        }
    }

    /// `dpop_signing_alg_values_supported`, in the settings' order.
    pub fn algorithm_names(&self) -> &[String] {
        &self.names
    }

    /// `dpop.public_url`, without a trailing slash.
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// The nonce to hand out now (`DPoP-Nonce`), when nonces are required.
    pub fn current_nonce(&self, now: i64) -> Option<String> {
        self.require_nonce.then(|| self.nonces.current(now))
    }

    /// Every check that needs no shared state: signature, claims, nonce. The replay check
    /// follows with [`DpopGuard::remember`].
    pub fn check(&self, request: &ProofRequest<'_>, now: i64) -> Result<VerifiedProof, ApiError> {
        let check = ProofCheck {
            method: request.method,
            url: request.url,
            now,
            window: self.window,
            algorithms: &self.algorithms,
            access_token: request.access_token,
        };
        let context = request.context;
        let proof = verify_proof(request.proof, &check)
            .map_err(|reason| ApiError::InvalidDpopProof { reason, context })?;
        if self.require_nonce
            && !proof
                .nonce
                .as_deref()
                .is_some_and(|n| self.nonces.accepts(n, now))
        {
            return Err(ApiError::UseDpopNonce {
                nonce: self.nonces.current(now),
                context,
            });
        }
        Ok(proof)
    }

    /// Refuses a proof seen before, on any instance; remembers this one until its `iat`
    /// window has passed (RFC 9449 §11.1).
    pub async fn remember(
        &self,
        proof: &VerifiedProof,
        context: TokenContext,
        now: i64,
    ) -> Result<(), ApiError> {
        // A proof passes while |now - iat| <= window, so it is dead after iat + window; kept
        // one window more for clocks that disagree between instances.
        let expires_at = proof.iat.max(now).saturating_add(2 * self.window);
        if self.replay.first_use(proof, expires_at, now).await? {
            return Ok(());
        }
        // The key's thumbprint names the client (it is public); the jti is the client's text.
        AuditEvent::warning("dpop.replay")
            .field("jkt", proof.jkt.encode())
            .emit();
        Err(ApiError::InvalidDpopProof {
            reason: "the DPoP proof was already used",
            context,
        })
    }
}
