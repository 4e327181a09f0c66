//! HTTP plumbing shared by every route: typed request bodies, the middleware around the app
//! (CORS included), throttling's HTTP rules, the request fields of audit lines, and the
//! mapping of every error to a response.

pub mod body;
pub mod client_address;
pub mod cors;
mod counter_key;
pub mod device_login;
pub mod error_docs;
pub mod error_response;
pub mod middleware;
pub mod readiness;
pub mod refresh_cookie;
pub mod request_audit;
pub mod request_id;
pub mod request_metrics;
pub mod throttling;
