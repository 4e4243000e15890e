//! What a session reports to its front end while it works, and the types those reports carry.
//!
//! Part of the leaf layer: tools, the agent loop, the session and the front ends all use these
//! types, and this module uses nothing above the leaf layer ([`crate::message`] is leaf too).

use crate::message::{AssistantMessage, ContentBlock, Message, ToolResultContent, Usage};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// Text the model sees when the user interrupts.
pub const INTERRUPTED: &str = "[Request interrupted by user]";
/// Text the model sees for a tool call the user interrupted.
pub const INTERRUPTED_TOOL_USE: &str = "[Request interrupted by user for tool use]";

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
    /// A hook started (`statusMessage` is what it asked to show meanwhile).
    HookStarted {
        /// Pairs it with its [`HookRun`] (stream-json's `hook_id`).
        hook_id: String,
        hook_name: String,
        event: String,
        status_message: Option<String>,
    },
    /// A hook finished; its `message`, when set, is for the user.
    HookFinished(HookRun),
    /// An event of a nested loop (a subagent) run by the tool call `parent_tool_use_id`
    /// (stream-json's `parent_tool_use_id`). Produced by [`ChildSink`].
    Nested {
        parent_tool_use_id: String,
        event: Box<AgentEvent>,
    },
}

impl AgentEvent {
    /// The innermost event and the id of the tool call that ran its loop (`None` for the main
    /// loop's own events).
    pub fn innermost(&self) -> (&AgentEvent, Option<&str>) {
        let mut ev = self;
        let mut parent = None;
        while let AgentEvent::Nested {
            parent_tool_use_id,
            event,
        } = ev
        {
            parent = Some(parent_tool_use_id.as_str());
            ev = event;
        }
        (ev, parent)
    }
}

/// A failed API request is tried again (see `api::retry`): the one description of a retry that
/// the client, the agent and every front end (the TUI line, print mode's `api_retry` JSON) share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryNotice {
    /// The number of this retry (1 = the first retry; the failed attempt was the same number).
    pub attempt: u32,
    /// The most retries this kind of failure gets.
    pub max_retries: u32,
    /// The wait before the retry.
    pub delay_ms: u64,
    /// The HTTP status of the failure (`None` for connection errors, stalls, broken streams).
    pub status: Option<u16>,
    /// Claude Code's error category (`rate_limit`, `overloaded`, `server_error`, `unknown`, …).
    pub category: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The failed attempt had already streamed output; the retry replaces it.
    pub discarded_output: bool,
    /// The retry is sent without streaming (the stream broke twice in a row).
    pub non_streaming: bool,
}

impl RetryNotice {
    /// One line for people: `overloaded (HTTP 529): Overloaded — retrying in 2s (retry 1 of
    /// 10); the partial answer is discarded`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} — retrying in {} (retry {} of {})",
            self.message,
            fmt_delay(self.delay_ms),
            self.attempt,
            self.max_retries
        );
        if self.discarded_output {
            s.push_str("; the partial answer is discarded");
        }
        if self.non_streaming {
            s.push_str("; without streaming this time");
        }
        s
    }
}

fn fmt_delay(ms: u64) -> String {
    if ms < 1000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        format!("{}s", ms.div_ceil(1000))
    }
}

/// Receives events. Implementations must not block for long: the loop waits for them.
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

/// The sink of a nested loop (a subagent run by a tool call): every event reaches the parent's
/// sink wrapped in [`AgentEvent::Nested`] with the tool call's id.
pub struct ChildSink {
    parent: Arc<dyn EventSink>,
    parent_tool_use_id: String,
}

impl ChildSink {
    pub fn new(parent: Arc<dyn EventSink>, parent_tool_use_id: impl Into<String>) -> Self {
        ChildSink {
            parent,
            parent_tool_use_id: parent_tool_use_id.into(),
        }
    }
}

impl EventSink for ChildSink {
    fn emit(&self, event: AgentEvent) {
        self.parent.emit(AgentEvent::Nested {
            parent_tool_use_id: self.parent_tool_use_id.clone(),
            event: Box::new(event),
        });
    }
}

/// The result of a tool call, as it goes back to the model.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutput {
    pub content: ToolResultContent,
    pub is_error: bool,
    /// The tool's structured result (`tool_use_result` in stream-json, `tool_response` for hooks).
    pub structured: Option<Value>,
}

impl ToolOutput {
    pub fn ok(text: impl Into<String>) -> Self {
        ToolOutput {
            content: ToolResultContent::Text(text.into()),
            is_error: false,
            structured: None,
        }
    }

    /// A plain error result (text as is).
    pub fn error(text: impl Into<String>) -> Self {
        ToolOutput {
            content: ToolResultContent::Text(text.into()),
            is_error: true,
            structured: None,
        }
    }

    /// A validation error, wrapped in `<tool_use_error>` as Claude Code does.
    pub fn tool_use_error(message: impl AsRef<str>) -> Self {
        Self::error(format!(
            "<tool_use_error>{}</tool_use_error>",
            message.as_ref()
        ))
    }

    pub fn with_structured(mut self, v: Value) -> Self {
        self.structured = Some(v);
        self
    }

    pub fn text(&self) -> String {
        self.content.as_text()
    }
}

/// One hook run, as reported to the front end (stream-json's `hook_response`, the debug view).
#[derive(Clone, Debug, PartialEq)]
pub struct HookRun {
    pub hook_id: String,
    /// `PreToolUse:Bash`, `Stop`, `SessionStart:startup`: the event and what it matched.
    pub hook_name: String,
    pub event: String,
    /// The command line (or `callback`).
    pub command: String,
    pub exit_code: Option<i32>,
    /// `success`, `blocked` (exit 2), `error` or `cancelled`.
    pub outcome: &'static str,
    pub stdout: String,
    pub stderr: String,
    pub duration_ms: u64,
    /// What the user should be told: a `systemMessage`, a non-blocking error, a timeout,
    /// output that was not valid JSON.
    pub message: Option<String>,
}

/// One entry of the TodoWrite list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    pub content: String,
    pub status: TodoStatus,
    #[serde(rename = "activeForm")]
    pub active_form: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TodoStatus {
    Pending,
    InProgress,
    Completed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn child_sinks_nest_and_innermost_unwraps() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let root: Arc<dyn EventSink> = Arc::new(move |e: AgentEvent| s2.lock().unwrap().push(e));
        let child: Arc<dyn EventSink> = Arc::new(ChildSink::new(root, "toolu_outer"));
        let grandchild = ChildSink::new(child.clone(), "toolu_inner");
        child.emit(AgentEvent::TextDelta("a".into()));
        grandchild.emit(AgentEvent::TextDelta("b".into()));
        let seen = seen.lock().unwrap();
        let (ev, parent) = seen[0].innermost();
        assert!(matches!(ev, AgentEvent::TextDelta(t) if t == "a"));
        assert_eq!(parent, Some("toolu_outer"));
        let (ev, parent) = seen[1].innermost();
        assert!(matches!(ev, AgentEvent::TextDelta(t) if t == "b"));
        assert_eq!(parent, Some("toolu_inner"));
        let plain = AgentEvent::Warning("w".into());
        assert_eq!(plain.innermost().1, None);
    }
}
