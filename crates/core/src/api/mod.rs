//! The Anthropic Messages API: wire types, the incremental SSE decoder, the stream assembler and
//! the HTTP client with retries.

pub mod client;
pub mod request;
pub mod retry;
pub mod sse;
pub mod stream;

/// The wire types live in the leaf layer ([`crate::message`]); `api::types` is their old path.
pub use crate::message as types;
pub use crate::message::{AssistantMessage, ContentBlock, Message, Role, ToolResultContent, Usage};
pub use client::{ApiClient, ClientConfig, StreamUpdate};
pub use request::{MessagesRequest, SystemBlock, ToolSpec};
pub use retry::{RetryNotice, RetryPolicy};
