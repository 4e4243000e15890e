//! The Anthropic Messages API: wire types, the incremental SSE decoder, the stream assembler and
//! the HTTP client with retries.

pub mod client;
pub mod request;
pub mod retry;
pub mod sse;
pub mod stream;
pub mod types;

pub use client::{ApiClient, ClientConfig, StreamUpdate};
pub use request::{MessagesRequest, SystemBlock, ToolSpec};
pub use retry::{RetryNotice, RetryPolicy};
pub use types::{AssistantMessage, ContentBlock, Message, Role, ToolResultContent, Usage};
