//! The body of `POST /v1/messages`, serialised straight from the conversation (no copy of the
//! history is made per request).

use super::types::{ContentBlock, Message};
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value, json};

/// One text block of the system prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct SystemBlock {
    pub text: String,
}

impl SystemBlock {
    pub fn new(text: impl Into<String>) -> Self {
        SystemBlock { text: text.into() }
    }
}

/// The beta that `defer_loading` tools and `tool_reference` blocks need (tool search).
pub const TOOL_SEARCH_BETA: &str = "advanced-tool-use-2025-11-20";

/// A tool definition as sent to the API.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ToolSpec {
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub input_schema: Value,
    /// Loaded on demand (tool search): the API expands it where a `tool_reference` names it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub defer_loading: bool,
}

/// Everything of a request except the messages.
#[derive(Clone, Debug)]
pub struct MessagesRequest {
    pub model: String,
    pub system: Vec<SystemBlock>,
    pub tools: Vec<ToolSpec>,
    /// Server tools and other raw tool entries (e.g. `web_search_20250305`).
    pub raw_tools: Vec<Value>,
    pub max_tokens: u64,
    /// `{"type":"enabled","budget_tokens":N}` when extended thinking is on.
    pub thinking: Option<Value>,
    pub metadata: Option<Value>,
    /// Put `cache_control` breakpoints on the system prompt and the newest message.
    pub prompt_caching: bool,
    /// Further top-level fields.
    pub extra: Map<String, Value>,
}

impl MessagesRequest {
    pub fn new(model: impl Into<String>, max_tokens: u64) -> Self {
        MessagesRequest {
            model: model.into(),
            system: Vec::new(),
            tools: Vec::new(),
            raw_tools: Vec::new(),
            max_tokens,
            thinking: None,
            metadata: None,
            prompt_caching: !crate::env::flag("DISABLE_PROMPT_CACHING"),
            extra: Map::new(),
        }
    }

    /// The JSON body for `messages`, with `system_prefix` (e.g. the identity block OAuth tokens
    /// need) placed before the system prompt.
    pub fn body(
        &self,
        messages: &[Message],
        system_prefix: Option<&str>,
    ) -> Result<Vec<u8>, serde_json::Error> {
        self.encode(messages, system_prefix, true)
    }

    /// [`body`](Self::body) with `"stream": false` (the fallback after a stream broke twice).
    pub fn body_non_streaming(
        &self,
        messages: &[Message],
        system_prefix: Option<&str>,
    ) -> Result<Vec<u8>, serde_json::Error> {
        self.encode(messages, system_prefix, false)
    }

    fn encode(
        &self,
        messages: &[Message],
        system_prefix: Option<&str>,
        stream: bool,
    ) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Body {
            req: self,
            messages,
            system_prefix,
            stream,
        })
    }
}

struct Body<'a> {
    req: &'a MessagesRequest,
    messages: &'a [Message],
    system_prefix: Option<&'a str>,
    stream: bool,
}

fn ephemeral() -> Value {
    json!({"type": "ephemeral"})
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.req;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("model", crate::models::split_1m(&r.model).0)?;
        m.serialize_entry(
            "messages",
            &Messages {
                messages: self.messages,
                cache: r.prompt_caching,
            },
        )?;
        let mut system: Vec<Value> = Vec::new();
        if let Some(p) = self.system_prefix {
            system.push(json!({"type": "text", "text": p}));
        }
        for b in r.system.iter().filter(|b| !b.text.is_empty()) {
            system.push(json!({"type": "text", "text": b.text}));
        }
        if r.prompt_caching
            && let Some(Value::Object(last)) = system.last_mut()
        {
            last.insert("cache_control".into(), ephemeral());
        }
        if !system.is_empty() {
            m.serialize_entry("system", &system)?;
        }
        if !r.tools.is_empty() || !r.raw_tools.is_empty() {
            let mut tools: Vec<Value> = r.tools.iter().map(|t| json!(t)).collect();
            tools.extend(r.raw_tools.iter().cloned());
            m.serialize_entry("tools", &tools)?;
        }
        if let Some(md) = &r.metadata {
            m.serialize_entry("metadata", md)?;
        }
        m.serialize_entry("max_tokens", &r.max_tokens)?;
        if let Some(t) = &r.thinking {
            m.serialize_entry("thinking", t)?;
        }
        for (k, v) in &r.extra {
            m.serialize_entry(k, v)?;
        }
        m.serialize_entry("stream", &self.stream)?;
        m.end()
    }
}

struct Messages<'a> {
    messages: &'a [Message],
    cache: bool,
}

impl Serialize for Messages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.messages.len()))?;
        let last = self.messages.len().saturating_sub(1);
        for (i, msg) in self.messages.iter().enumerate() {
            seq.serialize_element(&OneMessage {
                msg,
                cache_last_block: self.cache && i == last,
            })?;
        }
        seq.end()
    }
}

struct OneMessage<'a> {
    msg: &'a Message,
    cache_last_block: bool,
}

impl Serialize for OneMessage<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("role", &self.msg.role)?;
        m.serialize_entry(
            "content",
            &Content {
                blocks: &self.msg.content,
                cache_last: self.cache_last_block,
            },
        )?;
        m.end()
    }
}

struct Content<'a> {
    blocks: &'a [ContentBlock],
    cache_last: bool,
}

impl Serialize for Content<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let blocks: Vec<&ContentBlock> =
            self.blocks.iter().filter(|b| !b.is_empty_text()).collect();
        let mut seq = s.serialize_seq(Some(blocks.len()))?;
        let n = blocks.len();
        for (i, b) in blocks.into_iter().enumerate() {
            // Thinking blocks cannot carry cache_control; put the breakpoint on the last block
            // only when it can take one.
            let cacheable = !matches!(
                b,
                ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. }
            );
            if self.cache_last && i + 1 == n && cacheable {
                let mut v = b.to_value();
                if let Value::Object(o) = &mut v {
                    o.insert("cache_control".into(), ephemeral());
                }
                seq.serialize_element(&v)?;
            } else {
                seq.serialize_element(b)?;
            }
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_fields_in_order_and_cache_breakpoints() {
        let mut r = MessagesRequest::new("claude-sonnet-5", 32000);
        r.prompt_caching = true;
        r.system = vec![SystemBlock::new("You are ccrs."), SystemBlock::new("env")];
        r.tools = vec![ToolSpec {
            name: "Bash".into(),
            description: "run".into(),
            input_schema: json!({"type":"object"}),
            ..Default::default()
        }];
        let msgs = vec![
            Message::user_text("hi"),
            Message::assistant(vec![
                ContentBlock::text(""),
                ContentBlock::ToolUse {
                    id: "t".into(),
                    name: "Bash".into(),
                    input: json!({}),
                },
            ]),
            Message::user(vec![ContentBlock::ToolResult {
                tool_use_id: "t".into(),
                content: super::super::ToolResultContent::Text("ok".into()),
                is_error: false,
            }]),
        ];
        let body: Value = serde_json::from_slice(&r.body(&msgs, None).unwrap()).unwrap();
        let keys: Vec<&str> = body
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "model",
                "messages",
                "system",
                "tools",
                "max_tokens",
                "stream"
            ]
        );
        assert_eq!(
            body["system"][1]["cache_control"],
            json!({"type":"ephemeral"})
        );
        assert!(body["system"][0].get("cache_control").is_none());
        // Only the newest message carries a breakpoint; empty text blocks are dropped.
        assert!(
            body["messages"][0]["content"][0]
                .get("cache_control")
                .is_none()
        );
        assert_eq!(body["messages"][1]["content"].as_array().unwrap().len(), 1);
        assert_eq!(
            body["messages"][2]["content"][0]["cache_control"],
            json!({"type":"ephemeral"})
        );
        assert_eq!(body["messages"][2]["content"][0]["is_error"], json!(false));
    }

    #[test]
    fn oauth_prefix_comes_first_and_caching_can_be_off() {
        let mut r = MessagesRequest::new("m", 10);
        r.prompt_caching = false;
        r.system = vec![SystemBlock::new("mine")];
        let body: Value =
            serde_json::from_slice(&r.body(&[Message::user_text("x")], Some("PREFIX")).unwrap())
                .unwrap();
        assert_eq!(body["system"][0]["text"], "PREFIX");
        assert_eq!(body["system"][1]["text"], "mine");
        assert!(!body.to_string().contains("cache_control"));
    }
}
