//! HTTP plumbing shared by every route: body parsing and the guards around the app.

pub mod body;
pub mod guards;
