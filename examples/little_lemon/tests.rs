//! Little Lemon over real HTTP: each test spawns the whole app (bouncer + Little Lemon) on
//! port 0 over its own two SQLite files, and talks to it as the tutorial's clients do.

mod harness;
mod menu;
mod ratings;
mod tutorial;
