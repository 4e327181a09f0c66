//! HTTP plumbing shared by every route: typed request bodies, the middleware around the app,
//! and the mapping of every error to a response.

pub mod body;
pub mod error_response;
pub mod middleware;
