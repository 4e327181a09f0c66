//! Throttling: DRF's throttle rates, counted exactly, in memory (one instance) or in Redis
//! (shared by every instance), and the failed-login limits that stop password guessing.
//!
//! Throttles are GCRA (the generic cell rate algorithm): `N/period` lets a burst of N through,
//! then one more every `period / N`. That is what DRF's "N per period" means, without DRF's
//! race (it reads, then writes a list of timestamps, so concurrent requests slip past). In
//! memory the algorithm is the `governor` crate's; in Redis it is one Lua script run
//! atomically by the server (`redis_store.rs`), so 50 concurrent requests against a limit of
//! 10 let exactly 10 through, on one instance or several.
//!
//! Which throttles apply to a request (global, per route, per method) is the HTTP side's
//! business (`http/throttling.rs`); this module counts.

mod decision;
mod logins;
mod memory;
mod redis_store;
mod store_failure;
mod throttler;

pub use decision::Decision;
pub use logins::{LoginGuard, LoginSubject};
pub use store_failure::StoreUnavailable;
pub use throttler::{Throttler, scope_name};
