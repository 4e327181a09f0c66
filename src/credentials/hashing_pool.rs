//! Password hashing off the async workers, on threads that yield to token validation.
//!
//! bcrypt is deliberately slow (about 0.25 s at cost 12). Hashes run on a dedicated pool of
//! `max_concurrent_hashes` threads (one per core by default), never on an actix worker; further
//! logins queue for a thread. Those threads run at the lowest CPU priority (nice 19): when
//! logins saturate every core, a request that only validates a token still gets the CPU at
//! once, so a login flood cannot starve the hot path. They are separate from actix's blocking
//! pool so that diesel queries, which run there, keep their normal priority.

use rayon::ThreadPool;
use tokio::sync::oneshot;

use super::django_hash;

/// The pool could not hash: it failed to start, bcrypt refused, or a task died.
#[derive(Debug, thiserror::Error)]
#[error("password hashing: {0}")]
pub struct HashingError(String);

/// Added to the nice value of hashing threads (capped at 19 by the kernel): a hot-path thread
/// then gets ~70x the CPU share of a hashing thread whenever both want it. The cost: while
/// token validation alone saturates every core, logins slow to a crawl; with any idle CPU
/// they run at full speed. Validation must never wait behind bcrypt; a login may.
const HASHING_NICENESS: libc::c_int = 19;

pub struct HashingPool {
    cost: u32,
    pool: ThreadPool,
    /// Verified against when the username is unknown, so that costs the same as a wrong
    /// password and response timing does not reveal which accounts exist.
    dummy_hash: String,
}

impl std::fmt::Debug for HashingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashingPool")
            .field("cost", &self.cost)
            .field("threads", &self.pool.current_num_threads())
            .finish_non_exhaustive()
    }
}

/// One thread per core by default: more concurrent hashes only add queueing inside the kernel.
pub fn default_concurrency(configured: usize) -> usize {
    if configured > 0 {
        configured
    } else {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

/// Lowers the calling thread's CPU priority. On Linux the nice value is per thread, and
/// raising it needs no privilege. Failure only costs latency, so it is logged, not fatal.
fn lower_thread_priority() {
    // SAFETY: gettid and setpriority take plain integers and touch no memory of ours.
    let result = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, HASHING_NICENESS)
    };
    if result != 0 {
        log::warn!(
            "could not lower the priority of a password-hashing thread: {}",
            std::io::Error::last_os_error()
        );
    }
}

impl HashingPool {
    /// Starts the hashing threads and computes the dummy hash at the configured cost.
    pub async fn new(cost: u32, max_concurrent: usize) -> Result<Self, HashingError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(default_concurrency(max_concurrent))
            .thread_name(|i| format!("bcrypt-{i}"))
            .start_handler(|_| lower_thread_priority())
            .panic_handler(|_| log::error!("a password-hashing task panicked"))
            .build()
            .map_err(|e| HashingError(format!("cannot start hashing threads: {e}")))?;
        let mut hasher = Self {
            cost,
            pool,
            dummy_hash: String::new(),
        };
        hasher.dummy_hash = hasher.hash("bouncer-dummy-password".to_owned()).await?;
        Ok(hasher)
    }

    pub async fn hash(&self, plain: String) -> Result<String, HashingError> {
        let cost = self.cost;
        self.run(move || django_hash::hash_password(&plain, cost))
            .await?
            .map_err(|e| HashingError(format!("bcrypt: {e}")))
    }

    /// `stored` is `None` for an unknown user: the dummy hash is checked and `false` returned.
    pub async fn verify(
        &self,
        plain: String,
        stored: Option<String>,
    ) -> Result<bool, HashingError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let matches = self
            .run(move || django_hash::verify_password(&plain, &hash))
            .await?;
        Ok(known && matches)
    }

    /// Runs `work` on a hashing thread and awaits its result without blocking the caller.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashingError> {
        let (done, result) = oneshot::channel();
        self.pool.spawn(move || {
            let _ = done.send(work());
        });
        result
            .await
            .map_err(|_| HashingError("a password-hashing task did not finish".into()))
    }
}

#[cfg(test)]
#[path = "hashing_pool_tests.rs"]
mod tests;
