//! Black-box tests of bouncer over HTTP (and of its binary): each test starts its own server on
//! port 0 over its own database, SQLite by default or PostgreSQL with
//! `BOUNCER_TEST_BACKEND=postgres` and `BOUNCER_TEST_POSTGRES_URL` (see `database.rs`).

mod database;
mod helpers;
mod jwt;
mod process;
mod proxy;
mod redis;
mod reply;
mod smtp;

mod accounts;
mod admin;
mod audit;
mod auth_header;
mod bad_input;
mod busy;
mod cleanup;
mod cli;
mod cluster;
mod configured;
mod cookie_mode;
mod cors;
mod django_import;
mod django_tokens;
mod durability;
mod expiry;
mod forged_tokens;
mod grace;
mod groups;
mod keys;
mod lockout;
mod login_timing;
mod logout;
mod me;
mod outage;
mod passwords;
mod readiness;
mod recovery;
mod request_id;
mod rights;
mod rotation;
mod serve;
mod sessions;
mod shutdown;
mod signing_keys;
mod start_up;
mod throttle_window;
mod throttling;
mod tokens;
mod user_state;
mod users;
