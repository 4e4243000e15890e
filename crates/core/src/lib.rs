//! ccrs core: everything that is not a terminal.
//!
//! Layered one way (docs/architecture.md; `tests/it/layering.rs` checks it): a leaf layer
//! (`events`, `message`, `paths`, `fsutil`, `env`, `cancel`, `timeutil`) that imports nothing
//! above it; then `api`, `settings`, `permissions`, `auth`; then `tools`; then `agent`. Front
//! ends consume [`events::AgentEvent`]s; permission questions reach them through
//! [`permissions::PermissionPrompter`]. Nothing here prints.

pub mod agent;
pub mod api;
pub mod auth;
pub mod cancel;
pub mod doctor;
pub mod env;
pub mod error;
pub mod events;
pub mod frontmatter;
pub mod fsutil;
pub mod hooks;
pub mod join;
pub mod log;
pub mod mcp;
pub mod memory;
pub mod message;
pub mod models;
pub mod net;
pub mod paths;
pub mod permissions;
pub mod process;
pub mod prompt;
pub mod sandbox;
pub mod session;
pub mod settings;
pub mod timeutil;
pub mod tools;
pub mod transcript;

/// ccrs's own version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The Claude Code version whose surface ccrs mirrors (reported as `claude_code_version`).
pub const CLAUDE_CODE_COMPAT_VERSION: &str = "2.1.197";

/// A boxed future, used where traits need async methods behind `dyn`.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
