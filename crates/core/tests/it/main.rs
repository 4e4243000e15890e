//! The crate's integration tests, one binary (modules share the harness in `common`).

mod agent_loop;
mod api_client;
mod auth_oauth;
mod common;
mod layering;
mod network;
mod perm_trace;
mod permissions_corpus;
mod permissions_editor;
mod permissions_engine;
mod permissions_fuzz;
mod permissions_table;
mod process;
mod tools_bash;
mod tools_files;
mod tools_files_agent;
mod tools_loop;
mod tools_odd_files;
mod tools_search;
mod tools_web;
mod transcripts;
