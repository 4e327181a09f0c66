//! HTTP plumbing shared by every route: typed request bodies, the middleware around the app
//! (CORS included), and the mapping of every error to a response.

pub mod body;
pub mod cors;
pub mod error_response;
pub mod middleware;
