//! Throttling: DRF's throttle rates, counted exactly, in memory (one instance) or in Redis
//! (shared by every instance), and the failed-login limits that stop password guessing.
//!
//! A rate `N/period` means what DRF's `SimpleRateThrottle` means: at most N requests in any
//! window of the period, per key, and a refused client waits until the oldest request in the
//! window leaves it (`window.rs`, the sliding log, exact up to 1000 per period and bounded in
//! memory above). Unlike DRF, a check is atomic (DRF reads, then writes its list of
//! timestamps, so concurrent requests slip past): in memory under the key's shard lock
//! (`memory.rs`), in Redis as one Lua script run by the server (`redis_store.rs`), so 50
//! concurrent requests against a limit of 10 let exactly 10 through, on one instance or
//! several. `algorithm = "gcra"` counts by GCRA instead (`gcra.rs`, the `governor` crate; its
//! own script in Redis): a burst of N, then one more every period / N, which is smoother for
//! high rates but lets up to N more through within a period than DRF would.
//!
//! Which throttles apply to a request (global, per route, per method) is the HTTP side's
//! business (`http/throttling.rs`); this module counts.

mod accounts;
mod decision;
mod gcra;
mod logins;
mod memory;
mod redis_store;
mod store_failure;
mod throttler;
mod window;

pub use accounts::{AccountGuard, Counted};
pub use decision::Decision;
pub use logins::{Lockout, LoginGuard, LoginSubject};
pub use store_failure::StoreUnavailable;
pub use throttler::{Throttler, scope_name};
