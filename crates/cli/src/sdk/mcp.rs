//! MCP servers that live inside the SDK program (`{"type": "sdk", "name": …}` in
//! `--mcp-config`): ccrs speaks MCP's JSON-RPC to them through `mcp_message` control requests
//! and offers their tools as `mcp__<server>__<tool>`, like any MCP tool.

use super::host::Host;
use ccrs_core::BoxFuture;
use ccrs_core::events::ToolOutput;
use ccrs_core::message::ToolResultContent;
use ccrs_core::tools::{Subject, Tool, ToolContext};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The MCP protocol version ccrs asks for.
const PROTOCOL_VERSION: &str = "2025-06-18";

/// The servers of the `--mcp-config` values that the SDK hosts; the other servers' names (for
/// a warning: ccrs does not start them here).
pub fn sdk_servers(configs: &[String]) -> (Vec<String>, Vec<String>) {
    let mut sdk = Vec::new();
    let mut other = Vec::new();
    for c in configs {
        let text = if c.trim_start().starts_with('{') {
            c.clone()
        } else {
            match std::fs::read_to_string(c) {
                Ok(t) => t,
                Err(_) => continue,
            }
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let Some(servers) = v.get("mcpServers").and_then(Value::as_object) else {
            continue;
        };
        for (name, s) in servers {
            if s.get("type").and_then(Value::as_str) == Some("sdk") {
                sdk.push(name.clone());
            } else {
                other.push(name.clone());
            }
        }
    }
    (sdk, other)
}

/// The `--mcp-config` values without the SDK's servers (this module connects those; core's
/// MCP client starts the rest). A value that cannot be read is kept for core to report.
pub fn without_sdk_servers(configs: &[String]) -> Vec<String> {
    configs
        .iter()
        .map(|c| {
            let text = if c.trim_start().starts_with('{') {
                c.clone()
            } else {
                match std::fs::read_to_string(c) {
                    Ok(t) => t,
                    Err(_) => return c.clone(),
                }
            };
            let Ok(mut v) = serde_json::from_str::<Value>(&text) else {
                return c.clone();
            };
            let Some(servers) = v.get_mut("mcpServers").and_then(Value::as_object_mut) else {
                return c.clone();
            };
            servers.retain(|_, s| s.get("type").and_then(Value::as_str) != Some("sdk"));
            v.to_string()
        })
        .collect()
}

/// One JSON-RPC exchange with an SDK server.
pub struct Server {
    host: Arc<Host>,
    name: String,
    next_id: AtomicU64,
}

impl Server {
    pub fn new(host: Arc<Host>, name: String) -> Self {
        Server {
            host,
            name,
            next_id: AtomicU64::new(0),
        }
    }

    async fn rpc(&self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let reply = self
            .host
            .request(json!({
                "subtype": "mcp_message",
                "server_name": self.name,
                "message": {"jsonrpc": "2.0", "id": id, "method": method, "params": params},
            }))
            .await?;
        let resp = reply.get("mcp_response").cloned().unwrap_or(Value::Null);
        if let Some(err) = resp.get("error") {
            let msg = err
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("error");
            return Err(format!("MCP error from {}: {msg}", self.name));
        }
        Ok(resp.get("result").cloned().unwrap_or(Value::Null))
    }

    async fn notify(&self, method: &str) {
        let _ = self
            .host
            .request(json!({
                "subtype": "mcp_message",
                "server_name": self.name,
                "message": {"jsonrpc": "2.0", "method": method},
            }))
            .await;
    }

    /// Initializes the server and returns its tools.
    pub async fn connect(self: Arc<Self>) -> Result<Vec<Arc<dyn Tool>>, String> {
        self.rpc(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "ccrs", "version": ccrs_core::VERSION},
            }),
        )
        .await?;
        self.notify("notifications/initialized").await;
        let list = self.rpc("tools/list", json!({})).await?;
        let tools = list
            .get("tools")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(tools
            .into_iter()
            .filter_map(|t| {
                let name = t.get("name")?.as_str()?.to_string();
                Some(Arc::new(SdkTool {
                    name: format!("mcp__{}__{}", self.name, name),
                    remote: name,
                    description: t
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    schema: t
                        .get("inputSchema")
                        .cloned()
                        .unwrap_or(json!({"type": "object"})),
                    read_only: t
                        .pointer("/annotations/readOnlyHint")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    server: self.clone(),
                }) as Arc<dyn Tool>)
            })
            .collect())
    }
}

/// One tool of an SDK server.
struct SdkTool {
    /// `mcp__<server>__<tool>`.
    name: String,
    /// The server's name for it.
    remote: String,
    description: String,
    schema: Value,
    read_only: bool,
    server: Arc<Server>,
}

/// An MCP `tools/call` result as a tool output.
fn output(result: Value) -> ToolOutput {
    let is_error = result.get("isError").and_then(Value::as_bool) == Some(true);
    let blocks = result
        .get("content")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let all_text = blocks
        .iter()
        .all(|b| b.get("type").and_then(Value::as_str) == Some("text"));
    let content = if all_text {
        ToolResultContent::Text(
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
        )
    } else {
        // MCP's image blocks in the Messages API's shape.
        ToolResultContent::Blocks(
            blocks
                .iter()
                .map(|b| match b.get("type").and_then(Value::as_str) {
                    Some("image") => json!({"type": "image", "source": {
                        "type": "base64",
                        "media_type": b.get("mimeType").cloned().unwrap_or(json!("image/png")),
                        "data": b.get("data").cloned().unwrap_or(json!("")),
                    }}),
                    Some("text") => {
                        json!({"type": "text", "text": b.get("text").cloned().unwrap_or(json!(""))})
                    }
                    _ => json!({"type": "text", "text": b.to_string()}),
                })
                .collect(),
        )
    };
    ToolOutput {
        content,
        is_error,
        structured: Some(Value::Array(blocks)),
    }
}

impl Tool for SdkTool {
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

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        if self.read_only {
            Subject::Passive
        } else {
            Subject::Other
        }
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let call = self.server.rpc(
                "tools/call",
                json!({"name": self.remote, "arguments": input}),
            );
            tokio::select! {
                r = call => match r {
                    Ok(result) => output(result),
                    Err(e) => ToolOutput::error(e),
                },
                _ = ctx.cancel.cancelled() => ToolOutput::error(ccrs_core::events::INTERRUPTED_TOOL_USE),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sdk_servers_in_mcp_config() {
        let (sdk, other) = sdk_servers(&[
            r#"{"mcpServers": {"calc": {"type": "sdk", "name": "calc"}, "fs": {"command": "x"}}}"#
                .into(),
        ]);
        assert_eq!(sdk, ["calc"]);
        assert_eq!(other, ["fs"]);
    }

    #[test]
    fn call_results_become_outputs() {
        let o = output(json!({"content": [{"type": "text", "text": "42"}]}));
        assert_eq!(o.content, ToolResultContent::Text("42".into()));
        assert!(!o.is_error);
        let e = output(json!({"content": [{"type": "text", "text": "bad"}], "isError": true}));
        assert!(e.is_error);
        let img = output(
            json!({"content": [{"type": "image", "data": "AA==", "mimeType": "image/png"}]}),
        );
        assert!(matches!(img.content, ToolResultContent::Blocks(_)));
    }
}
