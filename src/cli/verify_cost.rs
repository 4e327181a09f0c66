//! `bouncer verify-cost` (hidden; for `bench/run --algorithms`): what minting and verifying
//! one access token costs per algorithm, through the server's own code path
//! (`JwtKeys::mint` and `JwtKeys::verify_access`) and without the verified-token cache the
//! HTTP side keeps in front of it. Keys are generated fresh as `bouncer keys generate` makes
//! them; no settings or database are read. The command then prints the cost of checking one
//! DPoP proof (`dpop_cost.rs`), lines starting `dpop`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;

use super::support::CliError;
use crate::tokens::{
    JwtKeys, KeyConfig, KeyMaterial, KeyRing, KeyState, RingKey, SessionId, TokenType, alg_name,
    generate_key,
};

const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::HS256,
    Algorithm::HS384,
    Algorithm::HS512,
    Algorithm::RS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

/// Prints one line per algorithm: `alg=... verify_us=... sign_us=... verify_cpu_us=...
/// sign_cpu_us=... token_bytes=... verifications=... signatures=...`, each figure the mean
/// over about `budget` of work: wall-clock microseconds, and this thread's CPU time, which
/// other processes on a busy machine barely move.
pub fn run(budget: Duration) -> Result<(), CliError> {
    let failed = |what: &str, e: String| CliError::Failed(format!("verify-cost: {what}: {e}"));
    for alg in ALGORITHMS {
        let bytes = generate_key(alg).map_err(|e| failed("generating a key", e))?;
        let material =
            KeyMaterial::from_stored(alg, &bytes).map_err(|e| failed("reading the key", e))?;
        let ring = KeyRing::new(vec![RingKey::new(material, KeyState::Active, None)], false)
            .map_err(|e| failed("the ring", e))?;
        let keys = JwtKeys::new(KeyConfig {
            ring,
            access_lifetime: 300,
            refresh_lifetime: 86_400,
            session_lifetime: 86_400,
            leeway: 0,
            issuer: None,
            audience: None,
            user_id_claim: "user_id".into(),
        });
        let now = crate::clock::now();
        let mint = || {
            keys.mint(TokenType::Access, 1, SessionId::generate(), now, now)
                .map(|(token, _)| token)
                .map_err(|e| failed("minting", e.to_string()))
        };
        let token = mint()?;
        keys.verify_access(&token, now)
            .map_err(|e| failed("verifying", format!("{e:?}")))?;
        let (signatures, sign_us, sign_cpu_us) = timed(budget / 2, || {
            black_box(mint().ok());
        });
        let (verifications, verify_us, verify_cpu_us) = timed(budget / 2, || {
            black_box(keys.verify_access(black_box(&token), now).ok());
        });
        println!(
            "alg={} verify_us={verify_us:.2} sign_us={sign_us:.2} verify_cpu_us={verify_cpu_us:.2} sign_cpu_us={sign_cpu_us:.2} token_bytes={} verifications={verifications} signatures={signatures}",
            alg_name(alg),
            token.len()
        );
    }
    Ok(())
}

/// Runs `step` for about `budget` (at least 20 times, after 5 unmeasured): how many times,
/// and the mean wall-clock and thread-CPU microseconds per call.
pub(super) fn timed(budget: Duration, mut step: impl FnMut()) -> (u64, f64, f64) {
    for _ in 0..5 {
        step();
    }
    let (started, cpu_started) = (Instant::now(), thread_cpu_us());
    let mut count = 0u64;
    while count < 20 || started.elapsed() < budget {
        step();
        count += 1;
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / count as f64;
    let cpu = (thread_cpu_us() - cpu_started) / count as f64;
    (count, micros, cpu)
}

/// This thread's CPU time in microseconds (CLOCK_THREAD_CPUTIME_ID).
fn thread_cpu_us() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid, exclusive pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 * 1e6 + t.tv_nsec as f64 / 1e3
}
