//! Assembles Messages-API stream events into an [`AssistantMessage`], reporting deltas as they
//! come. Unknown event and block types are tolerated; malformed data is an error, never a panic.

use super::sse::SseEvent;
use super::types::{AssistantMessage, ContentBlock, Usage};
use crate::error::ApiError;
use serde_json::{Map, Value, json};

/// What the assembler saw in one event, for front ends.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamUpdate {
    /// The event as received (for `--include-partial-messages`).
    Raw(Value),
    MessageStart {
        id: String,
        model: String,
        usage: Usage,
    },
    TextDelta(String),
    ThinkingDelta(String),
    /// A block is complete.
    BlockComplete(ContentBlock),
}

#[derive(Debug)]
enum Builder {
    Text {
        text: String,
        citations: Vec<Value>,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    ToolUse {
        start: Map<String, Value>,
        json: String,
    },
    /// Blocks that arrive complete (redacted thinking, server tool results, unknown kinds).
    Verbatim(Value),
}

/// A tool_use whose streamed input was not valid JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct MalformedToolInput {
    pub id: String,
    pub error: String,
}

#[derive(Debug, Default)]
pub struct MessageAssembler {
    id: String,
    model: String,
    usage: Usage,
    stop_reason: Option<String>,
    stop_sequence: Option<String>,
    open: Vec<Option<Builder>>,
    done: Vec<(usize, ContentBlock)>,
    started: bool,
    stopped: bool,
    content_seen: bool,
    malformed: Vec<MalformedToolInput>,
}

/// The Messages API's event names: their data must be JSON.
const KNOWN_EVENTS: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "error",
];

/// The events a stream of `message` (a complete Messages-API message, as a non-streaming
/// request gets it) would have had, so one assembler serves both kinds of answers and front
/// ends see the same updates.
pub fn events_of_message(message: &Value) -> Vec<SseEvent> {
    let ev = |v: Value| SseEvent {
        event: v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("message")
            .to_string(),
        data: v.to_string(),
    };
    let mut start = message.clone();
    if let Some(m) = start.as_object_mut() {
        m.insert("content".into(), json!([]));
        m.insert("stop_reason".into(), Value::Null);
        m.insert("stop_sequence".into(), Value::Null);
    }
    let mut out = vec![ev(json!({"type": "message_start", "message": start}))];
    let blocks = message
        .get("content")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, block) in blocks.into_iter().enumerate() {
        let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
        let delta = |d: Value| ev(json!({"type": "content_block_delta", "index": i, "delta": d}));
        let str_of = |k: &str| {
            block
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        match kind {
            "text" => {
                out.push(ev(json!({"type": "content_block_start", "index": i,
                    "content_block": {"type": "text", "text": ""}})));
                out.push(delta(json!({"type": "text_delta", "text": str_of("text")})));
                for c in block
                    .get("citations")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    out.push(delta(json!({"type": "citations_delta", "citation": c})));
                }
            }
            "thinking" => {
                out.push(ev(json!({"type": "content_block_start", "index": i,
                    "content_block": {"type": "thinking", "thinking": ""}})));
                out.push(delta(
                    json!({"type": "thinking_delta", "thinking": str_of("thinking")}),
                ));
                out.push(delta(
                    json!({"type": "signature_delta", "signature": str_of("signature")}),
                ));
            }
            "tool_use" | "server_tool_use" | "mcp_tool_use" => {
                let mut b = block.clone();
                let input = b
                    .as_object_mut()
                    .and_then(|m| m.insert("input".into(), json!({})))
                    .unwrap_or_else(|| json!({}));
                out.push(ev(
                    json!({"type": "content_block_start", "index": i, "content_block": b}),
                ));
                out.push(delta(
                    json!({"type": "input_json_delta", "partial_json": input.to_string()}),
                ));
            }
            _ => out.push(ev(
                json!({"type": "content_block_start", "index": i, "content_block": block}),
            )),
        }
        out.push(ev(json!({"type": "content_block_stop", "index": i})));
    }
    out.push(ev(json!({"type": "message_delta",
        "delta": {"stop_reason": message.get("stop_reason"), "stop_sequence": message.get("stop_sequence")},
        "usage": message.get("usage").cloned().unwrap_or_else(|| json!({}))})));
    out.push(ev(json!({"type": "message_stop"})));
    out
}

/// Indexes beyond this are refused (a broken server must not make us allocate gigabytes).
const MAX_BLOCKS: usize = 4096;

fn malformed(what: &str, data: &str) -> ApiError {
    let snippet: String = data.chars().take(200).collect();
    ApiError::Malformed(format!("{what}: {snippet}"))
}

impl MessageAssembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// True once any content delta has been delivered (a retry would then repeat output).
    pub fn content_seen(&self) -> bool {
        self.content_seen
    }

    pub fn is_complete(&self) -> bool {
        self.stopped
    }

    fn index(v: &Value, data: &str) -> Result<usize, ApiError> {
        let i = v
            .get("index")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed("event without a block index", data))?
            as usize;
        if i >= MAX_BLOCKS {
            return Err(malformed("block index out of range", data));
        }
        Ok(i)
    }

    /// Handles one SSE event.
    pub fn handle(&mut self, ev: &SseEvent, out: &mut Vec<StreamUpdate>) -> Result<(), ApiError> {
        if ev.event == "ping" || (ev.data.trim().is_empty() && ev.event != "error") {
            return Ok(());
        }
        let v: Value = match serde_json::from_str(&ev.data) {
            Ok(v) => v,
            // An event the API does not document, with data that is not JSON (a gateway's
            // keep-alive or telemetry): nothing to assemble, so skip it.
            Err(_) if !KNOWN_EVENTS.contains(&ev.event.as_str()) => return Ok(()),
            Err(e) => {
                return Err(malformed(
                    &format!("invalid JSON in '{}' event ({e})", ev.event),
                    &ev.data,
                ));
            }
        };
        let ty = v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or(ev.event.as_str())
            .to_string();
        if ty == "ping" {
            return Ok(());
        }
        if ty == "error" {
            let err = v.get("error").cloned().unwrap_or(Value::Null);
            return Err(ApiError::StreamError {
                kind: err
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_string(),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or(&ev.data)
                    .to_string(),
            });
        }
        if self.stopped {
            return Ok(()); // anything after message_stop is ignored
        }
        out.push(StreamUpdate::Raw(v.clone()));
        match ty.as_str() {
            "message_start" => {
                let m = v
                    .get("message")
                    .ok_or_else(|| malformed("message_start without message", &ev.data))?;
                self.id = m
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                self.model = m
                    .get("model")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if let Some(u) = m.get("usage") {
                    self.usage = serde_json::from_value(u.clone())
                        .map_err(|e| malformed(&format!("bad usage ({e})"), &ev.data))?;
                }
                self.started = true;
                out.push(StreamUpdate::MessageStart {
                    id: self.id.clone(),
                    model: self.model.clone(),
                    usage: self.usage.clone(),
                });
            }
            "content_block_start" => {
                let i = Self::index(&v, &ev.data)?;
                let block = v
                    .get("content_block")
                    .and_then(Value::as_object)
                    .ok_or_else(|| {
                        malformed("content_block_start without content_block", &ev.data)
                    })?;
                let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
                let b = match kind {
                    "text" => Builder::Text {
                        text: block
                            .get("text")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        citations: Vec::new(),
                    },
                    "thinking" => Builder::Thinking {
                        thinking: block
                            .get("thinking")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        signature: block
                            .get("signature")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    },
                    "tool_use" | "server_tool_use" | "mcp_tool_use" => Builder::ToolUse {
                        start: block.clone(),
                        json: String::new(),
                    },
                    _ => Builder::Verbatim(Value::Object(block.clone())),
                };
                if self.open.len() <= i {
                    self.open.resize_with(i + 1, || None);
                }
                self.open[i] = Some(b);
            }
            "content_block_delta" => {
                let i = Self::index(&v, &ev.data)?;
                let delta = v
                    .get("delta")
                    .ok_or_else(|| malformed("content_block_delta without delta", &ev.data))?;
                let dty = delta.get("type").and_then(Value::as_str).unwrap_or("");
                let Some(Some(b)) = self.open.get_mut(i) else {
                    return Err(malformed(
                        "delta for a block that was never started",
                        &ev.data,
                    ));
                };
                let s = |k: &str| {
                    delta
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                match (b, dty) {
                    (Builder::Text { text, .. }, "text_delta") => {
                        let t = s("text");
                        text.push_str(&t);
                        self.content_seen = true;
                        out.push(StreamUpdate::TextDelta(t));
                    }
                    (Builder::Text { citations, .. }, "citations_delta") => {
                        if let Some(c) = delta.get("citation") {
                            citations.push(c.clone());
                        }
                    }
                    (Builder::Thinking { thinking, .. }, "thinking_delta") => {
                        let t = s("thinking");
                        thinking.push_str(&t);
                        self.content_seen = true;
                        out.push(StreamUpdate::ThinkingDelta(t));
                    }
                    (Builder::Thinking { signature, .. }, "signature_delta") => {
                        signature.push_str(&s("signature"))
                    }
                    (Builder::ToolUse { json, .. }, "input_json_delta") => {
                        json.push_str(&s("partial_json"));
                        self.content_seen = true;
                    }
                    _ => {} // a delta kind we do not know: ignore
                }
            }
            "content_block_stop" => {
                let i = Self::index(&v, &ev.data)?;
                let Some(b) = self.open.get_mut(i).and_then(Option::take) else {
                    return Err(malformed(
                        "stop for a block that was never started",
                        &ev.data,
                    ));
                };
                let block = self.finish_block(b);
                out.push(StreamUpdate::BlockComplete(block.clone()));
                self.done.push((i, block));
            }
            "message_delta" => {
                if let Some(d) = v.get("delta") {
                    if let Some(r) = d.get("stop_reason").and_then(Value::as_str) {
                        self.stop_reason = Some(r.to_string());
                    }
                    if let Some(r) = d.get("stop_sequence").and_then(Value::as_str) {
                        self.stop_sequence = Some(r.to_string());
                    }
                }
                if let Some(u) = v.get("usage") {
                    self.usage.merge_delta(u);
                }
            }
            "message_stop" => self.stopped = true,
            _ => {} // unknown event type: ignore
        }
        Ok(())
    }

    fn finish_block(&mut self, b: Builder) -> ContentBlock {
        match b {
            Builder::Text { text, citations } if citations.is_empty() => {
                ContentBlock::Text { text }
            }
            Builder::Text { text, citations } => {
                ContentBlock::Other(json!({"type": "text", "text": text, "citations": citations}))
            }
            Builder::Thinking {
                thinking,
                signature,
            } => ContentBlock::Thinking {
                thinking,
                signature,
            },
            Builder::Verbatim(v) => ContentBlock::from_value(v),
            Builder::ToolUse { mut start, json } => {
                let id = start
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let input = if json.trim().is_empty() {
                    start
                        .get("input")
                        .cloned()
                        .filter(Value::is_object)
                        .unwrap_or_else(|| json!({}))
                } else {
                    match serde_json::from_str::<Value>(&json) {
                        Ok(v) if v.is_object() => v,
                        Ok(_) => {
                            self.malformed.push(MalformedToolInput {
                                id: id.clone(),
                                error: "tool input is not a JSON object".into(),
                            });
                            json!({})
                        }
                        Err(e) => {
                            self.malformed.push(MalformedToolInput {
                                id: id.clone(),
                                error: format!("tool input is not valid JSON ({e})"),
                            });
                            json!({})
                        }
                    }
                };
                // A client tool call is built directly, moving its input (a large Write is
                // not copied once more); other kinds keep their extra fields through from_value.
                if start.get("type").and_then(Value::as_str) == Some("tool_use")
                    && start.get("id").is_some_and(Value::is_string)
                    && let Some(name) = start.get("name").and_then(Value::as_str)
                {
                    return ContentBlock::ToolUse {
                        id,
                        name: name.to_string(),
                        input,
                    };
                }
                start.insert("input".to_string(), input);
                ContentBlock::from_value(Value::Object(start))
            }
        }
    }

    /// Tool calls whose input could not be parsed (they are answered with an error).
    pub fn malformed_tool_inputs(&self) -> &[MalformedToolInput] {
        &self.malformed
    }

    /// The assembled message. Fails if the stream did not reach `message_stop`.
    pub fn finish(
        mut self,
        request_id: Option<String>,
    ) -> Result<(AssistantMessage, Vec<MalformedToolInput>), ApiError> {
        if !self.started {
            return Err(ApiError::StreamEnded(
                "no message_start was received".into(),
            ));
        }
        if !self.stopped {
            return Err(ApiError::StreamEnded(
                "the connection closed before message_stop".into(),
            ));
        }
        // Blocks still open at message_stop are completed as they are.
        let open: Vec<(usize, Builder)> = std::mem::take(&mut self.open)
            .into_iter()
            .enumerate()
            .filter_map(|(i, b)| b.map(|b| (i, b)))
            .collect();
        for (i, b) in open {
            let block = self.finish_block(b);
            self.done.push((i, block));
        }
        self.done.sort_by_key(|(i, _)| *i);
        let msg = AssistantMessage {
            id: self.id,
            model: self.model,
            content: self.done.into_iter().map(|(_, b)| b).collect(),
            stop_reason: self.stop_reason,
            stop_sequence: self.stop_sequence,
            usage: self.usage,
            request_id,
        };
        Ok((msg, self.malformed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::sse::SseDecoder;

    /// A recorded stream: text, thinking with signature, a tool_use with chunked JSON, a ping,
    /// CRLF line ends in places, a comment, an unknown event type.
    const RECORDED: &str = concat!(
        "event: message_start\r\n",
        "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":null,\"cache_read_input_tokens\":3,\"output_tokens\":1}}}\r\n\r\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\": \"ping\"}\n\n",
        ": keep-alive comment\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Let me think\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAh\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"Héllo \"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"wörld 🌍\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
        "event: future_event\ndata: {\"type\":\"future_event\",\"x\":1}\n\n",
        "event: content_block_start\n",
        "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"Bash\",\"input\":{}}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"command\\\": \\\"ec\"}}\n\n",
        "event: content_block_delta\n",
        "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"ho hi\\\"}\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":2}\n\n",
        "event: message_delta\n",
        "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":57}}\n\n",
        "event: message_stop\r\ndata: {\"type\":\"message_stop\"}\r\n\r\n",
    );

    fn assemble(chunks: &[&[u8]]) -> Result<AssistantMessage, ApiError> {
        let mut dec = SseDecoder::new();
        let mut asm = MessageAssembler::new();
        let mut events = Vec::new();
        let mut updates = Vec::new();
        for c in chunks {
            dec.push(c, &mut events).map_err(ApiError::Malformed)?;
            for e in events.drain(..) {
                asm.handle(&e, &mut updates)?;
            }
        }
        asm.finish(None).map(|(m, _)| m)
    }

    fn expected() -> AssistantMessage {
        AssistantMessage {
            id: "msg_1".into(),
            model: "claude-sonnet-5".into(),
            content: vec![
                ContentBlock::Thinking {
                    thinking: "Let me think".into(),
                    signature: "EqQBCgIYAh".into(),
                },
                ContentBlock::Text {
                    text: "Héllo wörld 🌍".into(),
                },
                ContentBlock::ToolUse {
                    id: "toolu_1".into(),
                    name: "Bash".into(),
                    input: json!({"command": "echo hi"}),
                },
            ],
            stop_reason: Some("tool_use".into()),
            stop_sequence: None,
            usage: Usage {
                input_tokens: 12,
                cache_read_input_tokens: 3,
                output_tokens: 57,
                ..Default::default()
            },
            request_id: None,
        }
    }

    #[test]
    fn whole_stream_assembles() {
        assert_eq!(assemble(&[RECORDED.as_bytes()]).unwrap(), expected());
    }

    #[test]
    fn same_message_for_every_split_point() {
        let bytes = RECORDED.as_bytes();
        let want = expected();
        for cut in 0..=bytes.len() {
            let got = assemble(&[&bytes[..cut], &bytes[cut..]]).unwrap();
            assert_eq!(got, want, "split at byte {cut}");
        }
    }

    #[test]
    fn byte_at_a_time() {
        let chunks: Vec<&[u8]> = RECORDED.as_bytes().chunks(1).collect();
        assert_eq!(assemble(&chunks).unwrap(), expected());
    }

    #[test]
    fn three_way_splits() {
        let bytes = RECORDED.as_bytes();
        let want = expected();
        for a in (0..bytes.len()).step_by(37) {
            for b in (a..bytes.len()).step_by(53) {
                assert_eq!(
                    assemble(&[&bytes[..a], &bytes[a..b], &bytes[b..]]).unwrap(),
                    want
                );
            }
        }
    }

    #[test]
    fn truncated_stream_is_an_error() {
        let bytes = RECORDED.as_bytes();
        let cut = RECORDED.find("event: message_stop").unwrap();
        let err = assemble(&[&bytes[..cut]]).unwrap_err();
        assert!(matches!(err, ApiError::StreamEnded(_)), "{err}");
        assert!(matches!(
            assemble(&[]).unwrap_err(),
            ApiError::StreamEnded(_)
        ));
    }

    #[test]
    fn error_event_is_reported() {
        let s = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        match assemble(&[s.as_bytes()]).unwrap_err() {
            ApiError::StreamError { kind, message } => {
                assert_eq!(kind, "overloaded_error");
                assert_eq!(message, "Overloaded");
            }
            e => panic!("unexpected {e}"),
        }
    }

    #[test]
    fn malformed_json_is_an_error_not_a_panic() {
        for bad in [
            "event: message_start\ndata: {not json\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":99999999,\"content_block\":{}}\n\n",
            "event: content_block_stop\ndata: {\"type\":\"content_block_stop\"}\n\n",
            "event: message_start\ndata: {\"type\":\"message_start\"}\n\n",
        ] {
            assert!(
                matches!(
                    assemble(&[bad.as_bytes()]).unwrap_err(),
                    ApiError::Malformed(_)
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn invalid_tool_json_is_recorded() {
        let s = RECORDED.replace("ho hi\\\"}", "ho hi");
        let mut dec = SseDecoder::new();
        let mut asm = MessageAssembler::new();
        let mut events = Vec::new();
        dec.push(s.as_bytes(), &mut events).unwrap();
        let mut ups = Vec::new();
        for e in &events {
            asm.handle(e, &mut ups).unwrap();
        }
        let (msg, bad) = asm.finish(None).unwrap();
        assert_eq!(bad.len(), 1, "{s}");
        assert_eq!(bad[0].id, "toolu_1");
        assert!(
            matches!(&msg.content[2], ContentBlock::ToolUse { input, .. } if input == &json!({}))
        );
    }
}
