//! MCP tools as ccrs tools (`mcp__<server>__<tool>`), what their results become, and the two
//! resource tools (`ListMcpResourcesTool`, `ReadMcpResourceTool`).

use super::McpError;
use super::client::Connection;
use crate::BoxFuture;
use crate::events::{INTERRUPTED_TOOL_USE, ToolOutput};
use crate::message::ToolResultContent;
use crate::tools::{Subject, Tool, ToolContext};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A server's tool description is cut here (every token is paid on every request).
pub const MAX_DESCRIPTION: usize = 2048;
/// The API's limit on tool names.
pub const MAX_NAME: usize = 128;

/// `mcp__<server>__<tool>`, each part normalised.
pub fn tool_name(server: &str, tool: &str) -> String {
    format!(
        "mcp__{}__{}",
        super::config::normalize_name(server),
        super::config::normalize_name(tool)
    )
}

/// One tool of a connected server.
pub struct McpTool {
    pub(super) name: String,
    pub(super) server: String,
    /// The name the server knows it by.
    pub(super) tool: String,
    pub(super) description: String,
    pub(super) schema: Value,
    pub(super) read_only: bool,
    pub(super) conn: Arc<Connection>,
    pub(super) timeout: Duration,
    /// The server's `alwaysLoad`: never deferred.
    pub(super) always_load: bool,
}

impl McpTool {
    /// From one `tools/list` entry; `None` when it has no usable name.
    pub(super) fn from_listing(
        server: &str,
        v: &Value,
        conn: &Arc<Connection>,
        timeout: Duration,
    ) -> Option<McpTool> {
        let tool = v.get("name")?.as_str()?.to_string();
        let name = tool_name(server, &tool);
        if tool.is_empty() || name.len() > MAX_NAME {
            return None;
        }
        let mut description = v
            .get("description")
            .and_then(Value::as_str)
            .or_else(|| v.get("title").and_then(Value::as_str))
            .unwrap_or("")
            .to_string();
        if let Some((i, _)) = description.char_indices().nth(MAX_DESCRIPTION) {
            description.truncate(i);
            description.push('…');
        }
        let mut schema = match v.get("inputSchema") {
            Some(s @ Value::Object(_)) => s.clone(),
            _ => json!({"type": "object"}),
        };
        if schema.get("type").is_none() {
            schema["type"] = json!("object");
        }
        Some(McpTool {
            name,
            server: server.to_string(),
            tool,
            description,
            schema,
            read_only: v.pointer("/annotations/readOnlyHint") == Some(&Value::Bool(true)),
            conn: conn.clone(),
            timeout,
            always_load: false,
        })
    }

    pub fn server(&self) -> &str {
        &self.server
    }
}

impl Tool for McpTool {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        self.schema.clone()
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn deferrable(&self) -> bool {
        !self.always_load
    }

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::Other
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let mut params = json!({"name": self.tool, "arguments": input});
            if !ctx.tool_use_id.is_empty() {
                params["_meta"] = json!({
                    "progressToken": ctx.tool_use_id,
                    "claudecode/toolUseId": ctx.tool_use_id,
                });
            }
            match self
                .conn
                .request("tools/call", params, self.timeout, Some(&ctx.cancel))
                .await
            {
                Ok(r) => map_result(&r, max_output_chars(ctx)),
                Err(McpError::Cancelled) => ToolOutput::error(INTERRUPTED_TOOL_USE),
                Err(e) => ToolOutput::error(format!(
                    "Error calling tool {} of MCP server \"{}\": {e}",
                    self.tool, self.server
                )),
            }
        })
    }
}

/// `MAX_MCP_OUTPUT_TOKENS` (25,000 by default) in characters (about four per token).
fn max_output_chars(ctx: &ToolContext) -> usize {
    ctx.env_var("MAX_MCP_OUTPUT_TOKENS")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|t| *t > 0)
        .unwrap_or(25_000)
        .saturating_mul(4)
}

fn text_block(t: impl Into<String>) -> Value {
    json!({"type": "text", "text": t.into()})
}

/// Images the Messages API accepts.
fn api_image(mime: &str) -> bool {
    matches!(
        mime,
        "image/png" | "image/jpeg" | "image/gif" | "image/webp"
    )
}

fn image_block(mime: &str, data: &str) -> Value {
    json!({"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}})
}

/// One content item of a tool result or a resource read, as API blocks.
pub(super) fn content_blocks(item: &Value, out: &mut Vec<Value>) {
    let s = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
    match s("type") {
        "text" => out.push(text_block(s("text"))),
        "image" if api_image(s("mimeType")) => out.push(image_block(s("mimeType"), s("data"))),
        "image" | "audio" => out.push(text_block(format!(
            "[{} content ({}, {} bytes base64) that cannot be shown]",
            s("type"),
            s("mimeType"),
            s("data").len()
        ))),
        "resource_link" => {
            let mut t = format!("[Resource link: {} ({})", s("name"), s("uri"));
            if !s("mimeType").is_empty() {
                t.push_str(&format!(", {}", s("mimeType")));
            }
            t.push(']');
            if !s("description").is_empty() {
                t.push_str(&format!(" {}", s("description")));
            }
            out.push(text_block(t));
        }
        "resource" => {
            if let Some(r) = item.get("resource") {
                resource_blocks(r, out);
            }
        }
        _ => out.push(text_block(item.to_string())),
    }
}

/// The contents of a resource (embedded in a result, or read): text as text, images as images,
/// other binary data named but not shown.
pub(super) fn resource_blocks(r: &Value, out: &mut Vec<Value>) {
    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("");
    if let Some(text) = r.get("text").and_then(Value::as_str) {
        out.push(text_block(format!("[Resource {}]\n{text}", s("uri"))));
    } else if api_image(s("mimeType")) {
        out.push(image_block(s("mimeType"), s("blob")));
    } else {
        out.push(text_block(format!(
            "[Binary resource {} ({}, {} bytes base64) that cannot be shown]",
            s("uri"),
            if s("mimeType").is_empty() {
                "unknown type"
            } else {
                s("mimeType")
            },
            s("blob").len()
        )));
    }
}

/// Text blocks cut to `max` characters in all, with a note; other blocks kept.
fn bound(blocks: &mut Vec<Value>, max: usize) {
    let total: usize = blocks
        .iter()
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .map(str::len)
        .sum();
    if total <= max {
        return;
    }
    let mut left = max;
    for b in blocks.iter_mut() {
        let Some(t) = b.get("text").and_then(Value::as_str) else {
            continue;
        };
        if t.len() <= left {
            left -= t.len();
            continue;
        }
        let mut cut = left;
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        let kept = t[..cut].to_string();
        left = 0;
        b["text"] = Value::String(kept);
    }
    blocks.retain(|b| b.get("text").and_then(Value::as_str) != Some(""));
    blocks.push(text_block(format!(
        "[Output truncated: the tool returned about {} tokens, over the limit of {} (MAX_MCP_OUTPUT_TOKENS)]",
        total / 4,
        max / 4
    )));
}

/// A `tools/call` result as a tool result: its content blocks (text joined into one string
/// when there is nothing else), `isError`, and `structuredContent` for stream-json.
pub fn map_result(r: &Value, max_chars: usize) -> ToolOutput {
    let mut blocks = Vec::new();
    for item in r
        .get("content")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        content_blocks(item, &mut blocks);
    }
    let structured = r.get("structuredContent").filter(|s| !s.is_null()).cloned();
    if blocks.is_empty()
        && let Some(s) = &structured
    {
        blocks.push(text_block(s.to_string()));
    }
    bound(&mut blocks, max_chars);
    let content = if blocks.iter().all(|b| b["type"] == "text") {
        let texts: Vec<&str> = blocks.iter().filter_map(|b| b["text"].as_str()).collect();
        ToolResultContent::Text(if texts.is_empty() {
            "(no output)".to_string()
        } else {
            texts.join("\n")
        })
    } else {
        ToolResultContent::Blocks(blocks)
    };
    ToolOutput {
        content,
        is_error: r.get("isError") == Some(&Value::Bool(true)),
        structured: Some(structured.unwrap_or_else(|| r.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_map_to_tool_results() {
        let r = json!({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]});
        let o = map_result(&r, 1000);
        assert_eq!(o.content, ToolResultContent::Text("a\nb".into()));
        assert!(!o.is_error);
        let r = json!({"isError": true, "content": [{"type": "text", "text": "boom"}]});
        assert!(map_result(&r, 1000).is_error);
        let r = json!({"content": [
            {"type": "text", "text": "see"},
            {"type": "image", "data": "AAAA", "mimeType": "image/png"},
            {"type": "image", "data": "AAAA", "mimeType": "image/tiff"},
            {"type": "resource_link", "uri": "file:///a", "name": "a", "mimeType": "text/plain", "description": "the a"},
            {"type": "resource", "resource": {"uri": "mem://x", "text": "inside"}},
            {"type": "resource", "resource": {"uri": "mem://p", "blob": "AAAA", "mimeType": "image/jpeg"}},
            {"type": "resource", "resource": {"uri": "mem://z", "blob": "AAAA"}},
            {"type": "audio", "data": "AA", "mimeType": "audio/wav"},
        ]});
        let o = map_result(&r, 1000);
        let ToolResultContent::Blocks(b) = &o.content else {
            panic!("{:?}", o.content)
        };
        let kinds: Vec<&str> = b.iter().map(|b| b["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "text", "image", "text", "text", "text", "image", "text", "text"
            ]
        );
        assert_eq!(b[1]["source"]["media_type"], "image/png");
        assert!(b[2]["text"].as_str().unwrap().contains("image/tiff"));
        assert_eq!(
            b[3]["text"],
            "[Resource link: a (file:///a), text/plain] the a"
        );
        assert_eq!(b[4]["text"], "[Resource mem://x]\ninside");
        assert!(
            b[6]["text"]
                .as_str()
                .unwrap()
                .contains("mem://z (unknown type")
        );
        // Only structured content: its JSON; none at all: a placeholder.
        let o = map_result(&json!({"content": [], "structuredContent": {"n": 1}}), 1000);
        assert_eq!(o.content, ToolResultContent::Text("{\"n\":1}".into()));
        assert_eq!(o.structured, Some(json!({"n": 1})));
        let o = map_result(&json!({}), 1000);
        assert_eq!(o.content, ToolResultContent::Text("(no output)".into()));
        // Too long: cut, with a note (on a character boundary).
        let o = map_result(
            &json!({"content": [{"type": "text", "text": "é".repeat(100)}]}),
            51,
        );
        let t = o.text();
        assert!(
            t.starts_with(&"é".repeat(25)) && t.contains("Output truncated"),
            "{t}"
        );
    }

    #[test]
    fn names_and_listings() {
        assert_eq!(tool_name("my srv", "do.it"), "mcp__my_srv__do_it");
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        drop(tx);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            struct Nothing;
            impl crate::mcp::transport::Transport for Nothing {
                fn send(&self, _: Value) -> BoxFuture<'_, Result<(), McpError>> {
                    Box::pin(async { Ok(()) })
                }
                fn close(&self, _: Duration) -> BoxFuture<'_, ()> {
                    Box::pin(async {})
                }
            }
            let (ntx, _) = tokio::sync::mpsc::unbounded_channel();
            let c = Connection::new(Arc::new(Nothing), rx, vec![], ntx);
            let long = "x".repeat(3000);
            let t = McpTool::from_listing(
                "s",
                &json!({"name": "t", "description": long, "annotations": {"readOnlyHint": true}}),
                &c,
                Duration::from_secs(1),
            )
            .unwrap();
            assert_eq!(t.name(), "mcp__s__t");
            assert_eq!(t.description().chars().count(), MAX_DESCRIPTION + 1);
            assert_eq!(t.input_schema(), json!({"type": "object"}));
            assert!(t.is_read_only());
            assert!(
                McpTool::from_listing(
                    "s",
                    &json!({"name": "x".repeat(200)}),
                    &c,
                    Duration::from_secs(1)
                )
                .is_none()
            );
            assert!(
                McpTool::from_listing(
                    "s",
                    &json!({"description": "no name"}),
                    &c,
                    Duration::from_secs(1)
                )
                .is_none()
            );
        });
    }
}
