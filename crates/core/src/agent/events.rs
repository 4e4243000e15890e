//! What the agent loop reports to front ends.

use crate::api::{AssistantMessage, ContentBlock, Message, RetryNotice, Usage};
use crate::tools::ToolOutput;
use crate::tools::context::Todo;
use serde_json::Value;

#[derive(Clone, Debug)]
pub enum AgentEvent {
    /// A request to the API is about to be sent (`turn` counts from 1 within the query).
    RequestStarted { turn: u32, model: String },
    /// A raw Messages-API stream event (for `--include-partial-messages`).
    StreamEvent(Value),
    /// Streamed assistant text.
    TextDelta(String),
    /// Streamed thinking text.
    ThinkingDelta(String),
    /// A content block of the current assistant message is complete. `usage` is the
    /// `message_start` usage (what Claude Code's stream-json shows per block).
    BlockComplete {
        message_id: String,
        model: String,
        block: ContentBlock,
        usage: Usage,
        request_id: Option<String>,
    },
    /// The assistant message is complete (final usage and stop reason).
    MessageComplete(AssistantMessage),
    /// A tool call is about to run (after permission was granted).
    ToolStarted {
        id: String,
        name: String,
        input: Value,
    },
    /// A tool call finished (or was refused): its result as sent to the model.
    ToolFinished {
        id: String,
        name: String,
        input: Value,
        output: ToolOutput,
    },
    /// The user message carrying the tool results, as appended to the conversation.
    ToolResults(Message),
    /// A call was refused by the permission engine or the user.
    PermissionDenied {
        tool_name: String,
        tool_use_id: String,
        input: Value,
        reason: String,
    },
    /// A failed request will be retried (output it streamed is void: see
    /// [`RetryNotice::discarded_output`]).
    ApiRetry(RetryNotice),
    /// The todo list changed.
    TodosUpdated(Vec<Todo>),
    /// Something the user should know that is not part of the conversation (a settings file
    /// that was skipped, a rule that was ignored, ...).
    Warning(String),
}

/// Receives agent events. Implementations must not block for long: the loop waits for them.
pub trait EventSink: Send + Sync {
    fn emit(&self, event: AgentEvent);
}

/// Drops every event.
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: AgentEvent) {}
}

impl<F: Fn(AgentEvent) + Send + Sync> EventSink for F {
    fn emit(&self, event: AgentEvent) {
        self(event)
    }
}
