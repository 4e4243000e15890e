//! The conversation's data: messages, content blocks and usage, as the Messages API carries
//! them. Part of the leaf layer (serde only), so events, tools and the agent share one set of
//! types without depending on the HTTP client.
//!
//! Content blocks are kept as a closed enum for the kinds ccrs acts on, plus `Other` which keeps
//! any block it does not understand verbatim, so that a conversation round-trips unchanged.

use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// Content of a `tool_result`: a plain string (what Claude Code sends for text) or blocks
/// (needed for images).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ToolResultContent {
    Text(String),
    Blocks(Vec<Value>),
}

impl ToolResultContent {
    /// The text of the result, with non-text blocks summarised (for display and logs).
    pub fn as_text(&self) -> String {
        match self {
            ToolResultContent::Text(s) => s.clone(),
            ToolResultContent::Blocks(blocks) => blocks
                .iter()
                .map(|b| match b.get("type").and_then(Value::as_str) {
                    Some("text") => b
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    Some(other) => format!("[{other}]"),
                    None => String::new(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ContentBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: ToolResultContent,
        is_error: bool,
    },
    /// A base64 image (`source.type == "base64"`).
    Image {
        media_type: String,
        data: String,
    },
    /// Any other block (server tool use, web search results, documents, ...), kept verbatim.
    Other(Value),
}

impl ContentBlock {
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text { text: text.into() }
    }

    pub fn type_name(&self) -> &str {
        match self {
            ContentBlock::Text { .. } => "text",
            ContentBlock::Thinking { .. } => "thinking",
            ContentBlock::RedactedThinking { .. } => "redacted_thinking",
            ContentBlock::ToolUse { .. } => "tool_use",
            ContentBlock::ToolResult { .. } => "tool_result",
            ContentBlock::Image { .. } => "image",
            ContentBlock::Other(v) => v.get("type").and_then(Value::as_str).unwrap_or("unknown"),
        }
    }

    /// An empty text block: the API refuses them, and interrupted messages can contain them.
    pub fn is_empty_text(&self) -> bool {
        matches!(self, ContentBlock::Text { text } if text.is_empty())
    }

    /// The block as a JSON value (what is sent to the API).
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for ContentBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContentBlock::Other(v) => v.serialize(s),
            ContentBlock::Text { text } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("type", "text")?;
                m.serialize_entry("text", text)?;
                m.end()
            }
            ContentBlock::Thinking {
                thinking,
                signature,
            } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("type", "thinking")?;
                m.serialize_entry("thinking", thinking)?;
                m.serialize_entry("signature", signature)?;
                m.end()
            }
            ContentBlock::RedactedThinking { data } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("type", "redacted_thinking")?;
                m.serialize_entry("data", data)?;
                m.end()
            }
            ContentBlock::ToolUse { id, name, input } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("type", "tool_use")?;
                m.serialize_entry("id", id)?;
                m.serialize_entry("name", name)?;
                m.serialize_entry("input", input)?;
                m.end()
            }
            ContentBlock::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("tool_use_id", tool_use_id)?;
                m.serialize_entry("type", "tool_result")?;
                m.serialize_entry("content", content)?;
                m.serialize_entry("is_error", is_error)?;
                m.end()
            }
            ContentBlock::Image { media_type, data } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("type", "image")?;
                m.serialize_entry(
                    "source",
                    &serde_json::json!({"type": "base64", "media_type": media_type, "data": data}),
                )?;
                m.end()
            }
        }
    }
}

fn str_field(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k).and_then(Value::as_str).map(str::to_string)
}

impl ContentBlock {
    /// Interprets a JSON block. Never fails: anything unexpected becomes [`ContentBlock::Other`].
    pub fn from_value(v: Value) -> ContentBlock {
        let Some(m) = v.as_object() else {
            return ContentBlock::Other(v);
        };
        let ty = m.get("type").and_then(Value::as_str).unwrap_or("");
        let parsed = match ty {
            "text"
                if m.keys()
                    .all(|k| k == "type" || k == "text" || k == "cache_control") =>
            {
                str_field(m, "text").map(|text| ContentBlock::Text { text })
            }
            "thinking" => match (str_field(m, "thinking"), m.get("signature")) {
                (Some(thinking), sig) => Some(ContentBlock::Thinking {
                    thinking,
                    signature: sig.and_then(Value::as_str).unwrap_or("").to_string(),
                }),
                _ => None,
            },
            "redacted_thinking" => {
                str_field(m, "data").map(|data| ContentBlock::RedactedThinking { data })
            }
            "tool_use" => match (str_field(m, "id"), str_field(m, "name"), m.get("input")) {
                (Some(id), Some(name), input) => Some(ContentBlock::ToolUse {
                    id,
                    name,
                    input: input.cloned().unwrap_or_else(|| Value::Object(Map::new())),
                }),
                _ => None,
            },
            "tool_result" => {
                let content = match m.get("content") {
                    None | Some(Value::Null) => Some(ToolResultContent::Text(String::new())),
                    Some(Value::String(s)) => Some(ToolResultContent::Text(s.clone())),
                    Some(Value::Array(a)) => Some(ToolResultContent::Blocks(a.clone())),
                    Some(_) => None,
                };
                match (str_field(m, "tool_use_id"), content) {
                    (Some(tool_use_id), Some(content)) => Some(ContentBlock::ToolResult {
                        tool_use_id,
                        content,
                        is_error: m.get("is_error").and_then(Value::as_bool).unwrap_or(false),
                    }),
                    _ => None,
                }
            }
            "image" => m.get("source").and_then(|src| {
                if src.get("type").and_then(Value::as_str) == Some("base64") {
                    Some(ContentBlock::Image {
                        media_type: src.get("media_type")?.as_str()?.to_string(),
                        data: src.get("data")?.as_str()?.to_string(),
                    })
                } else {
                    None
                }
            }),
            _ => None,
        };
        parsed.unwrap_or(ContentBlock::Other(v))
    }
}

impl<'de> Deserialize<'de> for ContentBlock {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        if !v.is_object() {
            return Err(de::Error::custom("content block must be an object"));
        }
        Ok(ContentBlock::from_value(v))
    }
}

/// One message of the conversation as sent to the API.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    #[serde(deserialize_with = "content_string_or_blocks")]
    pub content: Vec<ContentBlock>,
}

impl Message {
    pub fn user(content: Vec<ContentBlock>) -> Self {
        Message {
            role: Role::User,
            content,
        }
    }

    pub fn user_text(text: impl Into<String>) -> Self {
        Self::user(vec![ContentBlock::text(text)])
    }

    pub fn assistant(content: Vec<ContentBlock>) -> Self {
        Message {
            role: Role::Assistant,
            content,
        }
    }

    /// Concatenated text blocks.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for b in &self.content {
            if let ContentBlock::Text { text } = b {
                out.push_str(text);
            }
        }
        out
    }

    /// Text of the last text block.
    pub fn last_text(&self) -> Option<&str> {
        last_text(&self.content)
    }

    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

fn content_string_or_blocks<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<ContentBlock>, D::Error> {
    match Value::deserialize(d)? {
        Value::String(s) => Ok(vec![ContentBlock::Text { text: s }]),
        Value::Array(a) => Ok(a.into_iter().map(ContentBlock::from_value).collect()),
        other => Err(de::Error::custom(format!(
            "message content must be a string or an array, got {other}"
        ))),
    }
}

fn null_as_zero<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(Option::<u64>::deserialize(d)?.unwrap_or(0))
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerToolUse {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub web_search_requests: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub web_fetch_requests: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheCreation {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub ephemeral_1h_input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub ephemeral_5m_input_tokens: u64,
}

/// Token usage as reported by the API.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default, deserialize_with = "null_as_zero")]
    pub input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cache_creation_input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub cache_read_input_tokens: u64,
    #[serde(default, deserialize_with = "null_as_zero")]
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_tool_use: Option<ServerToolUse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_creation: Option<CacheCreation>,
}

impl Usage {
    /// Applies the `usage` object of a `message_delta`: fields it carries replace ours
    /// (the API reports cumulative counts there).
    pub fn merge_delta(&mut self, delta: &Value) {
        let get = |k: &str| delta.get(k).and_then(Value::as_u64);
        if let Some(v) = get("input_tokens") {
            self.input_tokens = v;
        }
        if let Some(v) = get("output_tokens") {
            self.output_tokens = v;
        }
        if let Some(v) = get("cache_creation_input_tokens") {
            self.cache_creation_input_tokens = v;
        }
        if let Some(v) = get("cache_read_input_tokens") {
            self.cache_read_input_tokens = v;
        }
        if let Some(stu) = delta.get("server_tool_use")
            && let Ok(stu) = serde_json::from_value::<ServerToolUse>(stu.clone())
        {
            self.server_tool_use = Some(stu);
        }
    }

    /// Adds another request's usage to a running total.
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
        if let Some(o) = &other.server_tool_use {
            let s = self.server_tool_use.get_or_insert_with(Default::default);
            s.web_search_requests += o.web_search_requests;
            s.web_fetch_requests += o.web_fetch_requests;
        }
        if let Some(o) = &other.cache_creation {
            let c = self.cache_creation.get_or_insert_with(Default::default);
            c.ephemeral_1h_input_tokens += o.ephemeral_1h_input_tokens;
            c.ephemeral_5m_input_tokens += o.ephemeral_5m_input_tokens;
        }
    }

    /// Every input token of the request, cached or not (the context size).
    pub fn total_input(&self) -> u64 {
        self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens
    }
}

/// A complete assistant message as returned by the API.
#[derive(Clone, Debug, PartialEq)]
pub struct AssistantMessage {
    pub id: String,
    pub model: String,
    pub content: Vec<ContentBlock>,
    pub stop_reason: Option<String>,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
    /// The `request-id` response header, when the API sent one.
    pub request_id: Option<String>,
}

impl AssistantMessage {
    /// The API `Message` object (`{"id","type":"message","role":"assistant",...}`).
    pub fn to_api_value(&self) -> Value {
        serde_json::json!({
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": self.content,
            "stop_reason": self.stop_reason,
            "stop_sequence": self.stop_sequence,
            "usage": self.usage,
        })
    }

    pub fn to_message(&self) -> Message {
        Message::assistant(self.content.clone())
    }

    /// Text of the last text block (what Claude Code reports as `result`).
    pub fn last_text(&self) -> Option<&str> {
        last_text(&self.content)
    }
}

fn last_text(blocks: &[ContentBlock]) -> Option<&str> {
    blocks.iter().rev().find_map(|b| match b {
        ContentBlock::Text { text } => Some(text.as_str()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blocks_round_trip() {
        let blocks = vec![
            json!({"type":"text","text":"hi"}),
            json!({"type":"thinking","thinking":"hmm","signature":"sig"}),
            json!({"type":"redacted_thinking","data":"xx"}),
            json!({"type":"tool_use","id":"t1","name":"Bash","input":{"command":"ls"}}),
            json!({"tool_use_id":"t1","type":"tool_result","content":"ok","is_error":false}),
            json!({"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}}),
            json!({"type":"server_tool_use","id":"s1","name":"web_search","input":{"query":"x"}}),
        ];
        for b in blocks {
            let parsed: ContentBlock = serde_json::from_value(b.clone()).unwrap();
            assert_eq!(serde_json::to_value(&parsed).unwrap(), b);
        }
    }

    #[test]
    fn unknown_and_odd_blocks_are_kept_verbatim() {
        let b = json!({"type":"text","text":"x","citations":[{"url":"u"}]});
        let parsed = ContentBlock::from_value(b.clone());
        assert!(matches!(parsed, ContentBlock::Other(_)));
        assert_eq!(parsed.to_value(), b);
        let bad = json!({"type":"tool_use","id":"t"});
        assert!(matches!(
            ContentBlock::from_value(bad),
            ContentBlock::Other(_)
        ));
    }

    #[test]
    fn message_content_may_be_a_string() {
        let m: Message = serde_json::from_value(json!({"role":"user","content":"hello"})).unwrap();
        assert_eq!(m.text(), "hello");
        assert!(serde_json::from_value::<Message>(json!({"role":"user","content":5})).is_err());
    }

    #[test]
    fn usage_tolerates_nulls_and_merges_deltas() {
        let mut u: Usage = serde_json::from_value(json!({
            "input_tokens": 10, "cache_creation_input_tokens": null, "output_tokens": 1
        }))
        .unwrap();
        assert_eq!(u.cache_creation_input_tokens, 0);
        u.merge_delta(&json!({"output_tokens": 42}));
        assert_eq!((u.input_tokens, u.output_tokens), (10, 42));
        let mut total = Usage::default();
        total.add(&u);
        total.add(&u);
        assert_eq!(total.output_tokens, 84);
    }
}
