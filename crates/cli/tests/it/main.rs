//! The crate's integration tests, one binary (modules share the harness in `common`).

mod auth;
mod common;
mod compact;
mod doctor;
mod faults;
mod hooks;
mod interactive;
mod login_durability;
mod mcp;
mod memory;
mod odd_files;
mod permissions;
mod print_mode;
mod processes;
mod questions;
mod sandbox;
mod sandbox_gen;
mod sdk;
mod session;
mod skills;
mod thinking;
mod transcripts;
mod tui_display;
