//! The crate's integration tests, one binary (modules share the harness in `common`).

mod auth;
mod common;
mod doctor;
mod faults;
mod interactive;
mod login_durability;
mod odd_files;
mod permissions;
mod print_mode;
mod processes;
mod sandbox;
mod session;
mod tui_display;
