//! Turns a scripted message into the Messages-API event stream, shaped like the real API's (and
//! what Claude Code accepts): `message_start`, per block start/deltas/stop, one `ping` after the
//! first block start, `message_delta`, `message_stop`.

use crate::scenario::{ErrorSpec, MessageReply};
use serde_json::{Value, json};

/// Characters per `text_delta` (characters, not bytes).
pub const TEXT_PIECE: usize = 8;
/// Characters per `input_json_delta` and `thinking_delta`.
pub const JSON_PIECE: usize = 16;

/// A random lowercase hex string of `n` characters.
pub fn hex_id(n: usize) -> String {
    let mut s = uuid::Uuid::new_v4().simple().to_string();
    while s.len() < n {
        s.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    s.truncate(n);
    s
}

/// One SSE event in wire form.
pub fn event(v: &Value) -> String {
    let name = v.get("type").and_then(Value::as_str).unwrap_or("message");
    format!("event: {name}\ndata: {v}\n\n")
}

/// The `error` event.
pub fn error_event(e: &ErrorSpec) -> String {
    event(&json!({"type": "error", "error": {"type": e.error_type, "message": e.message}}))
}

fn pieces(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n).map(|c| c.iter().collect()).collect()
}

fn str_of<'a>(b: &'a Value, k: &str) -> &'a str {
    b.get(k).and_then(Value::as_str).unwrap_or("")
}

/// A tool_use block's `id`, or a generated `toolu_mock_…` (`srvtoolu_mock_…` for server tools).
fn tool_id(block: &Value, kind: &str) -> String {
    let prefix = if kind == "tool_use" {
        "toolu_mock_"
    } else {
        "srvtoolu_mock_"
    };
    block
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| format!("{prefix}{}", hex_id(24)))
}

/// The whole message as a non-streaming request (`"stream": false`) gets it: the same content,
/// stop reason and usage as the events of [`message_events`].
pub fn message_json(msg: &MessageReply, requested_model: &str, body_len: usize) -> Value {
    let model = msg.model.as_deref().unwrap_or(requested_model);
    let mut generated_chars = 0usize;
    let mut has_tool_use = false;
    let content: Vec<Value> = msg
        .content
        .iter()
        .map(|block| {
            let kind = str_of(block, "type");
            match kind {
                "text" => {
                    generated_chars += str_of(block, "text").chars().count();
                    json!({"type": "text", "text": str_of(block, "text")})
                }
                "thinking" => {
                    generated_chars += str_of(block, "thinking").chars().count();
                    json!({"type": "thinking", "thinking": str_of(block, "thinking"),
                        "signature": str_of(block, "signature")})
                }
                "tool_use" | "server_tool_use" => {
                    has_tool_use |= kind == "tool_use";
                    let id = tool_id(block, kind);
                    // A `raw_input` that is not JSON cannot be sent whole: it becomes `{}`.
                    let input = match block.get("raw_input").and_then(Value::as_str) {
                        Some(raw) => serde_json::from_str(raw).unwrap_or_else(|_| json!({})),
                        None => block.get("input").cloned().unwrap_or_else(|| json!({})),
                    };
                    generated_chars += input.to_string().chars().count();
                    json!({"type": kind, "id": id, "name": str_of(block, "name"), "input": input})
                }
                _ => block.clone(),
            }
        })
        .collect();
    let stop_reason = msg
        .stop_reason
        .clone()
        .unwrap_or_else(|| if has_tool_use { "tool_use" } else { "end_turn" }.to_string());
    let u = &msg.usage;
    json!({
        "id": format!("msg_mock_{}", hex_id(24)),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {
            "input_tokens": u.input_tokens.unwrap_or((body_len / 4) as u64),
            "cache_creation_input_tokens": u.cache_creation_input_tokens.unwrap_or(0),
            "cache_read_input_tokens": u.cache_read_input_tokens.unwrap_or(0),
            "output_tokens": u.output_tokens.unwrap_or((generated_chars / 4) as u64 + 1),
        }
    })
}

/// The events of `msg` answering a request for `requested_model` whose body had `body_len`
/// bytes.
pub fn message_events(msg: &MessageReply, requested_model: &str, body_len: usize) -> Vec<String> {
    let model = msg.model.as_deref().unwrap_or(requested_model);
    let has_tool_use = msg
        .content
        .iter()
        .any(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"));
    let stop_reason = msg
        .stop_reason
        .clone()
        .unwrap_or_else(|| if has_tool_use { "tool_use" } else { "end_turn" }.to_string());
    let mut generated_chars = 0usize;
    let mut out = Vec::new();
    let u = &msg.usage;
    out.push(event(&json!({
        "type": "message_start",
        "message": {
            "id": format!("msg_mock_{}", hex_id(24)),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {
                "input_tokens": u.input_tokens.unwrap_or((body_len / 4) as u64),
                "cache_creation_input_tokens": u.cache_creation_input_tokens.unwrap_or(0),
                "cache_read_input_tokens": u.cache_read_input_tokens.unwrap_or(0),
                "output_tokens": 1
            }
        }
    })));
    let delta =
        |i: usize, d: Value| event(&json!({"type": "content_block_delta", "index": i, "delta": d}));
    for (i, block) in msg.content.iter().enumerate() {
        let kind = str_of(block, "type");
        let start = |out: &mut Vec<String>, content_block: Value| {
            out.push(event(&json!({"type": "content_block_start", "index": i,
                "content_block": content_block})));
            if i == 0 {
                out.push(event(&json!({"type": "ping"})));
            }
        };
        match kind {
            "text" => {
                start(&mut out, json!({"type": "text", "text": ""}));
                let text = str_of(block, "text");
                generated_chars += text.chars().count();
                for p in pieces(text, TEXT_PIECE) {
                    out.push(delta(i, json!({"type": "text_delta", "text": p})));
                }
            }
            "thinking" => {
                start(&mut out, json!({"type": "thinking", "thinking": ""}));
                let thinking = str_of(block, "thinking");
                generated_chars += thinking.chars().count();
                for p in pieces(thinking, JSON_PIECE) {
                    out.push(delta(i, json!({"type": "thinking_delta", "thinking": p})));
                }
                out.push(delta(
                    i,
                    json!({"type": "signature_delta", "signature": str_of(block, "signature")}),
                ));
            }
            "tool_use" | "server_tool_use" => {
                let id = tool_id(block, kind);
                start(
                    &mut out,
                    json!({"type": kind, "id": id, "name": str_of(block, "name"), "input": {}}),
                );
                // `raw_input` streams a verbatim (possibly invalid) JSON text instead of `input`.
                let json_text = match block.get("raw_input").and_then(Value::as_str) {
                    Some(raw) => raw.to_string(),
                    None => block
                        .get("input")
                        .cloned()
                        .unwrap_or_else(|| json!({}))
                        .to_string(),
                };
                generated_chars += json_text.chars().count();
                out.push(delta(
                    i,
                    json!({"type": "input_json_delta", "partial_json": ""}),
                ));
                for p in pieces(&json_text, JSON_PIECE) {
                    out.push(delta(
                        i,
                        json!({"type": "input_json_delta", "partial_json": p}),
                    ));
                }
            }
            _ => {
                // Redacted thinking, server tool results, anything else: complete at the start.
                start(&mut out, block.clone());
            }
        }
        out.push(event(&json!({"type": "content_block_stop", "index": i})));
    }
    if msg.content.is_empty() {
        out.push(event(&json!({"type": "ping"})));
    }
    let output_tokens = u.output_tokens.unwrap_or((generated_chars / 4) as u64 + 1);
    out.push(event(&json!({"type": "message_delta",
        "delta": {"stop_reason": stop_reason, "stop_sequence": null},
        "usage": {"output_tokens": output_tokens}})));
    out.push(event(&json!({"type": "message_stop"})));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::UsageSpec;

    fn data(e: &str) -> Value {
        let line = e.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn text_is_cut_in_characters() {
        let msg = MessageReply {
            content: vec![json!({"type": "text", "text": "héllo wörld 🌍 ünïcödé!"})],
            ..Default::default()
        };
        let ev = message_events(&msg, "m", 400);
        let types: Vec<String> = ev
            .iter()
            .map(|e| data(e)["type"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            types,
            [
                "message_start",
                "content_block_start",
                "ping",
                "content_block_delta",
                "content_block_delta",
                "content_block_delta",
                "content_block_stop",
                "message_delta",
                "message_stop"
            ]
        );
        let d: Vec<String> = ev
            .iter()
            .map(|e| data(e))
            .filter(|v| v["type"] == "content_block_delta")
            .map(|v| v["delta"]["text"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(d, ["héllo wö", "rld 🌍 ün", "ïcödé!"]);
        assert_eq!(data(&ev[0])["message"]["usage"]["input_tokens"], 100);
        assert_eq!(data(&ev[7])["delta"]["stop_reason"], "end_turn");
        assert_eq!(data(&ev[7])["usage"]["output_tokens"], 22 / 4 + 1);
    }

    #[test]
    fn usage_and_model_override() {
        let msg = MessageReply {
            content: vec![],
            usage: UsageSpec {
                input_tokens: Some(7),
                output_tokens: Some(9),
                cache_read_input_tokens: Some(3),
                ..Default::default()
            },
            model: Some("claude-x".into()),
            stop_reason: Some("max_tokens".into()),
            ..Default::default()
        };
        let ev = message_events(&msg, "m", 400);
        let start = data(&ev[0]);
        assert_eq!(start["message"]["model"], "claude-x");
        assert_eq!(start["message"]["usage"]["input_tokens"], 7);
        assert_eq!(start["message"]["usage"]["cache_read_input_tokens"], 3);
        let md = data(&ev[ev.len() - 2]);
        assert_eq!(md["usage"]["output_tokens"], 9);
        assert_eq!(md["delta"]["stop_reason"], "max_tokens");
    }
}
