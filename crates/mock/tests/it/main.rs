//! The crate's integration tests, one binary (modules share the harness in `common`).

mod binary;
mod common;
mod faults;
mod oauth;
mod server;
