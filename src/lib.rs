//! bouncer: a stateless JWT authentication service speaking the djangorestframework-simplejwt
//! and djoser wire dialect. See README.md for the tour and `../shared/compat.md` for the contract.

pub mod auth;
pub mod cli;
pub mod db;
pub mod error;
pub mod http;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod state;

pub use settings::{LoadOptions, Settings};
pub use startup::Application;
