//! What the mock answers: the scripted replies, extra routes and OAuth settings, readable from
//! JSON (`ccrs-mock --scenario file.json`) and buildable from Rust.

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// Everything the server is told to do.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Consumed in order by `POST /v1/messages` (the first one whose `match` fits).
    #[serde(default)]
    pub replies: Vec<Reply>,
    /// Used when no queued reply fits; `None` answers HTTP 500 "mock: no scripted reply left".
    #[serde(default)]
    pub fallback: Option<Reply>,
    /// Extra endpoints (WebFetch pages, redirects, ...), keyed by `"/path"` (any method) or
    /// `"GET /path"`. A key with `?` must match the query too.
    #[serde(default)]
    pub routes: BTreeMap<String, Route>,
    /// Settings of the OAuth endpoints (always served; these defaults otherwise).
    #[serde(default)]
    pub oauth: Option<OAuthConfig>,
    /// When set, `/v1/messages` requires `x-api-key` to equal this.
    #[serde(default)]
    pub require_api_key: Option<String>,
    /// When the queue is empty, start over with the scripted replies (for benchmarks that run
    /// the same scenario many times against one server).
    #[serde(default)]
    pub repeat: bool,
}

impl Scenario {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a scenario from JSON text.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Reads a scenario file.
    pub fn from_file(path: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Self::from_json(&text).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })
    }

    pub fn reply(mut self, reply: Reply) -> Self {
        self.replies.push(reply);
        self
    }

    pub fn replies(mut self, replies: impl IntoIterator<Item = Reply>) -> Self {
        self.replies.extend(replies);
        self
    }

    pub fn fallback(mut self, reply: Reply) -> Self {
        self.fallback = Some(reply);
        self
    }

    /// Adds a route; `key` is `"/path"` or `"METHOD /path"`.
    pub fn route(mut self, key: impl Into<String>, route: Route) -> Self {
        self.routes.insert(key.into(), route);
        self
    }

    pub fn oauth(mut self, cfg: OAuthConfig) -> Self {
        self.oauth = Some(cfg);
        self
    }

    pub fn require_api_key(mut self, key: impl Into<String>) -> Self {
        self.require_api_key = Some(key.into());
        self
    }

    pub fn repeat(mut self, on: bool) -> Self {
        self.repeat = on;
        self
    }
}

/// Which requests a reply may answer. Every given field must fit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    /// The request's `model` contains this (so `"haiku"` fits any Haiku model).
    #[serde(default)]
    pub model: Option<String>,
    /// The raw request body contains this.
    #[serde(default)]
    pub body_contains: Option<String>,
}

impl Match {
    pub fn fits(&self, model: &str, body: &str) -> bool {
        self.model.as_deref().is_none_or(|m| model.contains(m))
            && self
                .body_contains
                .as_deref()
                .is_none_or(|b| body.contains(b))
    }
}

/// Token counts reported in the stream; absent fields get defaults (input = request bytes / 4,
/// output = generated characters / 4 + 1, cache counts 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    #[serde(default)]
    pub input_tokens: Option<u64>,
    #[serde(default)]
    pub output_tokens: Option<u64>,
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

/// A streamed assistant message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MessageReply {
    /// Content blocks as the API would return them (`{"type":"text","text":..}`,
    /// `{"type":"tool_use","name":..,"input":..}` with optional `id`, ...).
    pub content: Vec<Value>,
    /// Default: `tool_use` when a block is a tool_use, else `end_turn`.
    pub stop_reason: Option<String>,
    pub usage: UsageSpec,
    /// Default: the requested model.
    pub model: Option<String>,
    /// Pause between SSE events.
    pub chunk_delay_ms: u64,
    /// Send this many events, then drop the connection without ending the body.
    pub cut_after_events: Option<usize>,
    /// After `after_events` events, send this `error` event and end the stream.
    pub sse_error: Option<ErrorSpec>,
    pub after_events: usize,
    /// Send this many events, then nothing more while the connection stays open (0: the
    /// response head only).
    pub stall_after_events: Option<usize>,
    /// Raw SSE text sent verbatim before the event with this index (an index past the end:
    /// after the last event), for unknown events, comments and non-JSON data.
    pub inject: Vec<(usize, String)>,
}

/// An API error object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorSpec {
    pub error_type: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ReplyKind {
    Message(MessageReply),
    /// An HTTP error with the API's error JSON (or `body` verbatim).
    Http {
        status: u16,
        error: ErrorSpec,
        body: Option<String>,
    },
    /// `200 text/event-stream` with this body verbatim.
    RawSse(String),
    /// Reads the request and never answers.
    Hang,
    /// The demo brain of the `ccrs-mock` binary (see the README).
    Demo,
}

/// One scripted answer to `POST /v1/messages`.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub kind: ReplyKind,
    /// Which requests this reply may answer (`None`: any).
    pub matcher: Option<Match>,
    /// Extra response headers.
    pub headers: Vec<(String, String)>,
    /// Wait this long before sending the response head.
    pub delay_ms: u64,
}

/// The API's error type for an HTTP status.
pub fn default_error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

fn default_error_message(status: u16) -> &'static str {
    match status {
        400 => "Invalid request",
        401 => "invalid x-api-key",
        403 => "Permission denied",
        404 => "Not found",
        429 => "Rate limited",
        529 => "Overloaded",
        _ => "Internal server error",
    }
}

impl Reply {
    fn of(kind: ReplyKind) -> Self {
        Reply {
            kind,
            matcher: None,
            headers: Vec::new(),
            delay_ms: 0,
        }
    }

    fn message(content: Vec<Value>) -> Self {
        Self::of(ReplyKind::Message(MessageReply {
            content,
            ..Default::default()
        }))
    }

    /// One text block, `end_turn`.
    pub fn text(text: impl Into<String>) -> Self {
        Self::message(vec![json!({"type": "text", "text": text.into()})])
    }

    /// One tool_use block with a generated id, `tool_use`.
    pub fn tool_use(name: impl Into<String>, input: Value) -> Self {
        Self::message(vec![
            json!({"type": "tool_use", "name": name.into(), "input": input}),
        ])
    }

    pub fn tool_use_with_id(id: impl Into<String>, name: impl Into<String>, input: Value) -> Self {
        Self::message(vec![
            json!({"type": "tool_use", "id": id.into(), "name": name.into(), "input": input}),
        ])
    }

    /// Several blocks (see [`MessageReply::content`]).
    pub fn content(blocks: Vec<Value>) -> Self {
        Self::message(blocks)
    }

    /// An HTTP error with `{"type":"error","error":{"type":..,"message":..}}`.
    pub fn error(status: u16, error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self::of(ReplyKind::Http {
            status,
            error: ErrorSpec {
                error_type: error_type.into(),
                message: message.into(),
            },
            body: None,
        })
    }

    /// An HTTP error with the default type and message for the status.
    pub fn status(status: u16) -> Self {
        Self::error(
            status,
            default_error_type(status),
            default_error_message(status),
        )
    }

    /// An HTTP error whose body is `body` verbatim (e.g. a proxy's HTML page).
    pub fn error_body(status: u16, body: impl Into<String>) -> Self {
        Self::of(ReplyKind::Http {
            status,
            error: ErrorSpec {
                error_type: default_error_type(status).into(),
                message: default_error_message(status).into(),
            },
            body: Some(body.into()),
        })
    }

    /// A response with `content-type: text/html` and `body` (a captive portal or a proxy's page
    /// answering in place of the API).
    pub fn html(status: u16, body: impl Into<String>) -> Self {
        Self::error_body(status, body).header("content-type", "text/html; charset=utf-8")
    }

    /// `200` with `after_events` events of an empty message, then an `error` event.
    pub fn sse_error(
        error_type: impl Into<String>,
        message: impl Into<String>,
        after_events: usize,
    ) -> Self {
        Self::message(Vec::new()).with_sse_error(error_type, message, after_events)
    }

    pub fn raw_sse(body: impl Into<String>) -> Self {
        Self::of(ReplyKind::RawSse(body.into()))
    }

    pub fn hang() -> Self {
        Self::of(ReplyKind::Hang)
    }

    pub fn demo() -> Self {
        Self::of(ReplyKind::Demo)
    }

    /// Adds a response header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Only answers requests for a model containing `model`.
    pub fn matching_model(mut self, model: impl Into<String>) -> Self {
        self.matcher.get_or_insert_with(Match::default).model = Some(model.into());
        self
    }

    /// Only answers requests whose body contains `needle`.
    pub fn matching_body(mut self, needle: impl Into<String>) -> Self {
        self.matcher
            .get_or_insert_with(Match::default)
            .body_contains = Some(needle.into());
        self
    }

    pub fn delay_ms(mut self, ms: u64) -> Self {
        self.delay_ms = ms;
        self
    }

    fn message_mut(&mut self) -> Option<&mut MessageReply> {
        match &mut self.kind {
            ReplyKind::Message(m) => Some(m),
            _ => None,
        }
    }

    /// The following setters apply to message replies and are ignored on the others.
    pub fn stop_reason(mut self, reason: impl Into<String>) -> Self {
        if let Some(m) = self.message_mut() {
            m.stop_reason = Some(reason.into());
        }
        self
    }

    pub fn usage(mut self, usage: UsageSpec) -> Self {
        if let Some(m) = self.message_mut() {
            m.usage = usage;
        }
        self
    }

    pub fn model(mut self, model: impl Into<String>) -> Self {
        if let Some(m) = self.message_mut() {
            m.model = Some(model.into());
        }
        self
    }

    pub fn chunk_delay_ms(mut self, ms: u64) -> Self {
        if let Some(m) = self.message_mut() {
            m.chunk_delay_ms = ms;
        }
        self
    }

    pub fn cut_after_events(mut self, n: usize) -> Self {
        if let Some(m) = self.message_mut() {
            m.cut_after_events = Some(n);
        }
        self
    }

    /// Sends `n` events, then stalls (the connection stays open, nothing more comes).
    pub fn stall_after_events(mut self, n: usize) -> Self {
        if let Some(m) = self.message_mut() {
            m.stall_after_events = Some(n);
        }
        self
    }

    /// Sends `raw` verbatim before event `at` (see [`MessageReply::inject`]).
    pub fn inject(mut self, at: usize, raw: impl Into<String>) -> Self {
        if let Some(m) = self.message_mut() {
            m.inject.push((at, raw.into()));
        }
        self
    }

    pub fn with_sse_error(
        mut self,
        error_type: impl Into<String>,
        message: impl Into<String>,
        after_events: usize,
    ) -> Self {
        if let Some(m) = self.message_mut() {
            m.sse_error = Some(ErrorSpec {
                error_type: error_type.into(),
                message: message.into(),
            });
            m.after_events = after_events;
        }
        self
    }
}

/// The JSON form of a reply: one flat object whose keys select the kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyWire {
    #[serde(default, rename = "match")]
    matcher: Option<Match>,
    #[serde(default, deserialize_with = "header_map")]
    headers: Vec<(String, String)>,
    #[serde(default)]
    delay_ms: u64,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    tool_use: Option<ToolUseWire>,
    #[serde(default)]
    content: Option<Vec<Value>>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Option<UsageSpec>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    chunk_delay_ms: u64,
    #[serde(default)]
    cut_after_events: Option<usize>,
    #[serde(default)]
    sse_error: Option<ErrorWire>,
    #[serde(default)]
    after_events: usize,
    #[serde(default)]
    stall_after_events: Option<usize>,
    #[serde(default)]
    inject: Vec<InjectWire>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    error: Option<ErrorWire>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    raw_sse: Option<String>,
    #[serde(default)]
    hang: bool,
    #[serde(default)]
    demo: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolUseWire {
    name: String,
    #[serde(default)]
    input: Option<Value>,
    #[serde(default)]
    id: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InjectWire {
    at: usize,
    raw: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ErrorWire {
    #[serde(default, rename = "type")]
    error_type: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// Header maps accept strings, numbers and booleans as values (`"retry-after": 1`).
fn header_map<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, String)>, D::Error> {
    let m = Map::<String, Value>::deserialize(d)?;
    m.into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k, s)),
            Value::Number(n) => Ok((k, n.to_string())),
            Value::Bool(b) => Ok((k, b.to_string())),
            other => Err(de::Error::custom(format!(
                "header {k}: value must be a string or number, got {other}"
            ))),
        })
        .collect()
}

impl TryFrom<ReplyWire> for Reply {
    type Error = String;

    fn try_from(w: ReplyWire) -> Result<Self, String> {
        let is_message = w.text.is_some() || w.tool_use.is_some() || w.content.is_some();
        let kinds = [
            is_message || w.sse_error.is_some(),
            w.status.is_some(),
            w.raw_sse.is_some(),
            w.hang,
            w.demo,
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            return Err("a reply needs exactly one of: text/tool_use/content/sse_error (a message), status (an HTTP error), raw_sse, hang, demo".into());
        }
        if w.content.is_some() && (w.text.is_some() || w.tool_use.is_some()) {
            return Err("`content` cannot be combined with `text` or `tool_use`".into());
        }
        let message_only = w.stop_reason.is_some()
            || w.usage.is_some()
            || w.model.is_some()
            || w.chunk_delay_ms != 0
            || w.cut_after_events.is_some()
            || w.after_events != 0
            || w.stall_after_events.is_some()
            || !w.inject.is_empty();
        if message_only && !kinds[0] {
            return Err("stop_reason, usage, model, chunk_delay_ms, cut_after_events, after_events, stall_after_events and inject apply to message replies only".into());
        }
        if (w.error.is_some() || w.body.is_some()) && w.status.is_none() {
            return Err("`error` and `body` need `status`".into());
        }
        let kind = if let Some(status) = w.status {
            let e = w.error.unwrap_or_default();
            ReplyKind::Http {
                status,
                error: ErrorSpec {
                    error_type: e
                        .error_type
                        .unwrap_or_else(|| default_error_type(status).into()),
                    message: e
                        .message
                        .unwrap_or_else(|| default_error_message(status).into()),
                },
                body: w.body,
            }
        } else if let Some(raw) = w.raw_sse {
            ReplyKind::RawSse(raw)
        } else if w.hang {
            ReplyKind::Hang
        } else if w.demo {
            ReplyKind::Demo
        } else {
            let mut content = w.content.unwrap_or_default();
            if let Some(t) = w.text {
                content.push(json!({"type": "text", "text": t}));
            }
            if let Some(tu) = w.tool_use {
                let mut b = json!({"type": "tool_use", "name": tu.name,
                    "input": tu.input.unwrap_or_else(|| json!({}))});
                if let Some(id) = tu.id {
                    b["id"] = Value::String(id);
                }
                content.push(b);
            }
            for b in &content {
                if b.get("type").and_then(Value::as_str).is_none() {
                    return Err(format!("content block without a \"type\": {b}"));
                }
            }
            ReplyKind::Message(MessageReply {
                content,
                stop_reason: w.stop_reason,
                usage: w.usage.unwrap_or_default(),
                model: w.model,
                chunk_delay_ms: w.chunk_delay_ms,
                cut_after_events: w.cut_after_events,
                sse_error: w.sse_error.map(|e| ErrorSpec {
                    error_type: e.error_type.unwrap_or_else(|| "api_error".into()),
                    message: e.message.unwrap_or_else(|| "Internal server error".into()),
                }),
                after_events: w.after_events,
                stall_after_events: w.stall_after_events,
                inject: w.inject.into_iter().map(|i| (i.at, i.raw)).collect(),
            })
        };
        Ok(Reply {
            kind,
            matcher: w.matcher,
            headers: w.headers,
            delay_ms: w.delay_ms,
        })
    }
}

impl<'de> Deserialize<'de> for Reply {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Reply::try_from(ReplyWire::deserialize(d)?).map_err(de::Error::custom)
    }
}

/// An extra endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay_ms: u64,
}

impl Route {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Route {
            status,
            headers: Vec::new(),
            body: body.into(),
            delay_ms: 0,
        }
    }

    pub fn html(body: impl Into<String>) -> Self {
        Self::new(200, body.into()).header("content-type", "text/html; charset=utf-8")
    }

    pub fn text(body: impl Into<String>) -> Self {
        Self::new(200, body.into()).header("content-type", "text/plain; charset=utf-8")
    }

    /// A `302` to `location` (absolute or relative).
    pub fn redirect(location: impl Into<String>) -> Self {
        Self::new(302, Vec::new()).header("location", location)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn delay_ms(mut self, ms: u64) -> Self {
        self.delay_ms = ms;
        self
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteWire {
    #[serde(default = "ok_status")]
    status: u16,
    #[serde(default, deserialize_with = "header_map")]
    headers: Vec<(String, String)>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_base64: Option<String>,
    #[serde(default)]
    delay_ms: u64,
}

fn ok_status() -> u16 {
    200
}

impl<'de> Deserialize<'de> for Route {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let w = RouteWire::deserialize(d)?;
        let body = match (w.body, w.body_base64) {
            (Some(_), Some(_)) => {
                return Err(de::Error::custom(
                    "a route has `body` or `body_base64`, not both",
                ));
            }
            (Some(b), None) => b.into_bytes(),
            (None, Some(b)) => base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .map_err(|e| de::Error::custom(format!("body_base64: {e}")))?,
            (None, None) => Vec::new(),
        };
        Ok(Route {
            status: w.status,
            headers: w.headers,
            body,
            delay_ms: w.delay_ms,
        })
    }
}

/// Claude Code's OAuth client id (the default the mock expects).
pub const CLAUDE_CODE_CLIENT_ID: &str = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";

/// Behaviour of the OAuth endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthConfig {
    pub client_id: String,
    /// `expires_in` of issued access tokens (unless the token request asks for its own).
    pub access_token_ttl_secs: u64,
    /// A refresh issues a new refresh token and kills the old one.
    pub rotate_refresh_tokens: bool,
    /// `/v1/messages` requires `Authorization: Bearer <live access token>`.
    pub require_valid_access_token: bool,
    pub email: String,
    pub account_uuid: String,
    pub organization_uuid: String,
    /// Granted scope when the request names none.
    pub scope: String,
    /// Wait this long between deciding a token request (a refresh token is spent at that
    /// moment) and answering it: the window in which a killed client loses the answer.
    pub token_delay_ms: u64,
}

impl Default for OAuthConfig {
    fn default() -> Self {
        OAuthConfig {
            client_id: CLAUDE_CODE_CLIENT_ID.into(),
            access_token_ttl_secs: 3600,
            rotate_refresh_tokens: true,
            require_valid_access_token: false,
            email: "mock@example.com".into(),
            account_uuid: "00000000-0000-4000-8000-00000000acc7".into(),
            organization_uuid: "00000000-0000-4000-8000-0000000000a9".into(),
            scope: "user:inference user:profile".into(),
            token_delay_ms: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(v: Value) -> Result<Reply, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn text_and_tool_use_forms() {
        assert_eq!(reply(json!({"text": "Hi"})).unwrap(), Reply::text("Hi"));
        assert_eq!(
            reply(
                json!({"tool_use": {"name": "Bash", "input": {"command": "ls"}, "id": "toolu_x"}})
            )
            .unwrap(),
            Reply::tool_use_with_id("toolu_x", "Bash", json!({"command": "ls"}))
        );
        let both = reply(json!({"text": "Let me look.", "tool_use": {"name": "Read"}})).unwrap();
        let ReplyKind::Message(m) = both.kind else {
            panic!("not a message")
        };
        assert_eq!(m.content.len(), 2);
        assert_eq!(m.content[1]["input"], json!({}));
    }

    #[test]
    fn options_and_match() {
        let r = reply(
            json!({"text": "x", "match": {"model": "haiku"}, "stop_reason": "max_tokens",
            "usage": {"input_tokens": 5}, "chunk_delay_ms": 3, "cut_after_events": 4,
            "headers": {"retry-after": 1, "x-a": "b"}}),
        )
        .unwrap();
        assert_eq!(
            r,
            Reply::text("x")
                .matching_model("haiku")
                .stop_reason("max_tokens")
                .usage(UsageSpec {
                    input_tokens: Some(5),
                    ..Default::default()
                })
                .chunk_delay_ms(3)
                .cut_after_events(4)
                .header("retry-after", "1")
                .header("x-a", "b")
        );
    }

    #[test]
    fn error_forms_get_defaults() {
        assert_eq!(
            reply(json!({"status": 529})).unwrap(),
            Reply::error(529, "overloaded_error", "Overloaded")
        );
        assert_eq!(
            reply(json!({"status": 429, "error": {"message": "slow down"}})).unwrap(),
            Reply::error(429, "rate_limit_error", "slow down")
        );
        let r = reply(json!({"sse_error": {"type": "overloaded_error", "message": "Overloaded"}, "after_events": 2})).unwrap();
        assert_eq!(r, Reply::sse_error("overloaded_error", "Overloaded", 2));
    }

    #[test]
    fn ambiguous_or_unknown_replies_are_rejected() {
        for bad in [
            json!({}),
            json!({"text": "a", "status": 500}),
            json!({"hang": true, "raw_sse": "x"}),
            json!({"txt": "typo"}),
            json!({"status": 500, "stop_reason": "end_turn"}),
            json!({"content": [{"text": "no type"}]}),
            json!({"content": [], "text": "a"}),
        ] {
            assert!(reply(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn scenario_with_routes_and_oauth() {
        let s = Scenario::from_json(
            r#"{"replies": [{"text": "a"}, {"hang": true}], "fallback": {"demo": true},
                "routes": {"GET /page": {"headers": {"content-type": "text/html"}, "body": "<p>x</p>"},
                           "/bin": {"body_base64": "AAEC"}},
                "oauth": {"access_token_ttl_secs": 5}, "require_api_key": "k", "repeat": true}"#,
        )
        .unwrap();
        assert_eq!(s.replies.len(), 2);
        assert_eq!(s.fallback, Some(Reply::demo()));
        assert_eq!(s.routes["GET /page"].status, 200);
        assert_eq!(s.routes["/bin"].body, vec![0, 1, 2]);
        let o = s.oauth.unwrap();
        assert_eq!(o.access_token_ttl_secs, 5);
        assert_eq!(o.client_id, CLAUDE_CODE_CLIENT_ID);
        assert!(o.rotate_refresh_tokens);
        assert!(s.repeat);
    }

    #[test]
    fn match_semantics() {
        let m = Match {
            model: Some("haiku".into()),
            body_contains: Some("Web page".into()),
        };
        assert!(m.fits("claude-haiku-4-5", "a Web page b"));
        assert!(!m.fits("claude-sonnet-5", "a Web page b"));
        assert!(!m.fits("claude-haiku-4-5", "nothing"));
        assert!(Match::default().fits("any", ""));
    }
}
