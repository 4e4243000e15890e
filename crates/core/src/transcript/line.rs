//! The lines ccrs writes, in Claude Code 2.1's shape (field names and order as it writes them),
//! serialised straight from borrowed data: no line is built as a `Value` first.

use crate::message::{ContentBlock, Message, Usage};
use serde::Serialize;
use serde_json::Value;

/// What a message is, for its transcript line. The conversation passes it with every message.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Kind {
    /// Text the loop adds (an interruption notice): a plain user line.
    #[default]
    Plain,
    /// A prompt the user sent: a point `/rewind` can return to.
    Prompt,
    /// Context the user did not type (`isMeta`).
    Meta,
    /// The summary that starts a compacted conversation (`isCompactSummary`).
    CompactSummary,
    /// Tool results, with each call's structured result (`toolUseResult`) by tool_use id.
    ToolResults(Vec<(String, Value)>),
    /// An assistant message and what the API said about it.
    Assistant(AssistantMeta),
}

/// The API's data about an assistant message (the line's `message` object and `requestId`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssistantMeta {
    pub id: String,
    pub model: String,
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
    pub request_id: Option<String>,
}

/// The fields every message line ends with, the same for a whole file.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    pub user_type: &'static str,
    pub entrypoint: String,
    pub cwd: String,
    pub session_id: String,
    pub version: String,
    pub git_branch: String,
}

/// A user message's `message`: a plain prompt is a string, as Claude Code writes it.
struct UserMessage<'a>(&'a [ContentBlock]);

impl Serialize for UserMessage<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("role", "user")?;
        match self.0 {
            [ContentBlock::Text { text }] => m.serialize_entry("content", text)?,
            blocks => m.serialize_entry("content", blocks)?,
        }
        m.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UserLine<'a> {
    pub parent_uuid: Option<&'a str>,
    pub is_sidechain: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<&'a str>,
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(serialize_with = "user_message")]
    pub message: &'a [ContentBlock],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_meta: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_compact_summary: bool,
    pub uuid: &'a str,
    pub timestamp: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_use_result: Option<&'a Value>,
    #[serde(
        rename = "sourceToolAssistantUUID",
        skip_serializing_if = "Option::is_none"
    )]
    pub source_tool_assistant_uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permission_mode: Option<&'a str>,
    #[serde(flatten)]
    pub ctx: &'a Context,
}

fn user_message<S: serde::Serializer>(blocks: &&[ContentBlock], s: S) -> Result<S::Ok, S::Error> {
    UserMessage(blocks).serialize(s)
}

/// The API message object of an assistant line.
#[derive(Serialize)]
pub(super) struct ApiMessage<'a> {
    pub id: &'a str,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub role: &'static str,
    pub model: &'a str,
    pub content: &'a [ContentBlock],
    pub stop_reason: Option<&'a str>,
    pub stop_sequence: Option<&'a str>,
    pub usage: &'a Usage,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssistantLine<'a> {
    pub parent_uuid: Option<&'a str>,
    pub is_sidechain: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<&'a str>,
    pub message: ApiMessage<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<&'a str>,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub uuid: &'a str,
    pub timestamp: &'a str,
    #[serde(flatten)]
    pub ctx: &'a Context,
}

/// `system` / `compact_boundary`: the root of a compacted conversation (`parentUuid: null`,
/// the chain before it is reachable through `logicalParentUuid`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BoundaryLine<'a> {
    pub parent_uuid: Option<&'a str>,
    pub logical_parent_uuid: Option<&'a str>,
    pub is_sidechain: bool,
    #[serde(rename = "type")]
    pub ty: &'static str,
    pub subtype: &'static str,
    pub content: &'static str,
    pub is_meta: bool,
    pub timestamp: &'a str,
    pub uuid: &'a str,
    pub level: &'static str,
    pub compact_metadata: CompactMetadata<'a>,
    #[serde(flatten)]
    pub ctx: &'a Context,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CompactMetadata<'a> {
    pub trigger: &'a str,
    pub pre_tokens: u64,
}

/// `last-prompt`: which message the conversation ends at. `explicit` (with `rewound`) moves the
/// end back (`/rewind`) or to nothing (`leafUuid: null`, `/clear`) until the next message.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LastPromptLine<'a> {
    #[serde(rename = "type")]
    pub ty: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_prompt: Option<&'a str>,
    pub leaf_uuid: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub explicit: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rewound: bool,
    pub session_id: &'a str,
}

/// Splits a message into the lines Claude Code would write for it: a user message that carries
/// tool results becomes one line per result (each with its structured result), then one line
/// for any other blocks; everything else is one line.
pub(super) fn user_parts(msg: &Message) -> Vec<&[ContentBlock]> {
    let n_results = msg
        .content
        .iter()
        .filter(|b| matches!(b, ContentBlock::ToolResult { .. }))
        .count();
    if n_results == 0 {
        return vec![&msg.content[..]];
    }
    let mut parts = Vec::new();
    let mut i = 0;
    let blocks = &msg.content[..];
    while i < blocks.len() {
        if matches!(blocks[i], ContentBlock::ToolResult { .. }) {
            parts.push(&blocks[i..i + 1]);
            i += 1;
        } else {
            let start = i;
            while i < blocks.len() && !matches!(blocks[i], ContentBlock::ToolResult { .. }) {
                i += 1;
            }
            parts.push(&blocks[start..i]);
        }
    }
    parts
}

/// The tool_use id of a one-block tool result part.
pub(super) fn result_id(part: &[ContentBlock]) -> Option<&str> {
    match part {
        [ContentBlock::ToolResult { tool_use_id, .. }] => Some(tool_use_id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ToolResultContent;

    fn result(id: &str) -> ContentBlock {
        ContentBlock::ToolResult {
            tool_use_id: id.into(),
            content: ToolResultContent::Text("ok".into()),
            is_error: false,
        }
    }

    #[test]
    fn tool_results_are_split_one_per_line() {
        let m = Message::user(vec![
            result("a"),
            result("b"),
            ContentBlock::text("[Request interrupted by user for tool use]"),
        ]);
        let parts = user_parts(&m);
        assert_eq!(parts.len(), 3);
        assert_eq!(result_id(parts[1]), Some("b"));
        assert_eq!(result_id(parts[2]), None);
        let plain = Message::user_text("hi");
        assert_eq!(user_parts(&plain).len(), 1);
    }

    #[test]
    fn a_plain_prompt_is_a_string() {
        let ctx = Context {
            user_type: "external",
            entrypoint: "cli".into(),
            cwd: "/w".into(),
            session_id: "s".into(),
            version: "2.1.197".into(),
            git_branch: "main".into(),
        };
        let content = [ContentBlock::text("hello")];
        let line = UserLine {
            parent_uuid: None,
            is_sidechain: false,
            agent_id: None,
            ty: "user",
            message: &content,
            is_meta: false,
            is_compact_summary: false,
            uuid: "u1",
            timestamp: "t",
            tool_use_result: None,
            source_tool_assistant_uuid: None,
            permission_mode: Some("default"),
            ctx: &ctx,
        };
        assert_eq!(
            serde_json::to_string(&line).unwrap(),
            r#"{"parentUuid":null,"isSidechain":false,"type":"user","message":{"role":"user","content":"hello"},"uuid":"u1","timestamp":"t","permissionMode":"default","userType":"external","entrypoint":"cli","cwd":"/w","sessionId":"s","version":"2.1.197","gitBranch":"main"}"#
        );
    }
}
