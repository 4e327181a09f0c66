//! Black-box tests of bouncer over HTTP (and of its binary): each test starts its own server on
//! port 0 over its own temporary SQLite database.

mod helpers;
mod jwt;
mod process;
mod reply;

mod auth_header;
mod bad_input;
mod cli;
mod configured;
mod durability;
mod expiry;
mod forged_tokens;
mod login_timing;
mod logout;
mod me;
mod passwords;
mod rotation;
mod serve;
mod tokens;
mod user_state;
mod users;
