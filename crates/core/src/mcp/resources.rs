//! `ListMcpResourcesTool` and `ReadMcpResourceTool` (Claude Code's names and schemas),
//! registered once a server that offers resources is connected.

use super::{McpError, McpManager};
use crate::BoxFuture;
use crate::events::{INTERRUPTED_TOOL_USE, ToolOutput};
use crate::message::ToolResultContent;
use crate::tools::{Subject, Tool, ToolContext};
use serde_json::{Value, json};
use std::sync::{Arc, Weak};

pub const LIST: &str = "ListMcpResourcesTool";
pub const READ: &str = "ReadMcpResourceTool";

/// Registers both tools (again: replacing is harmless).
pub(super) fn register(m: &McpManager) {
    if m.inner.tools.get(LIST).is_none() {
        m.inner.tools.register(Arc::new(ListResources(m.weak())));
        m.inner.tools.register(Arc::new(ReadResource(m.weak())));
    }
}

struct ListResources(Weak<super::Inner>);
struct ReadResource(Weak<super::Inner>);

fn manager(w: &Weak<super::Inner>) -> Result<McpManager, ToolOutput> {
    McpManager::from_weak(w).ok_or_else(|| ToolOutput::error("the session has ended"))
}

fn failed(server: &str, e: McpError) -> ToolOutput {
    match e {
        McpError::Cancelled => ToolOutput::error(INTERRUPTED_TOOL_USE),
        e => ToolOutput::error(format!("MCP server \"{server}\": {e}")),
    }
}

impl Tool for ListResources {
    fn name(&self) -> &str {
        LIST
    }

    fn aliases(&self) -> &[&str] {
        &["ListMcpResources"]
    }

    fn description(&self) -> &str {
        "List the resources (files, records, documents) that connected MCP servers offer, optionally of one server. Read one with ReadMcpResourceTool."
    }

    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "server": {"type": "string", "description": "Only this server's resources"}
        }, "additionalProperties": false})
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn deferrable(&self) -> bool {
        true
    }

    fn subject(&self, _: &Value, _: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let m = match manager(&self.0) {
                Ok(m) => m,
                Err(e) => return e,
            };
            let only = input.get("server").and_then(Value::as_str);
            let servers: Vec<_> = m
                .resource_servers()
                .into_iter()
                .filter(|(n, _)| only.is_none_or(|o| o == n))
                .collect();
            if servers.is_empty() {
                return ToolOutput::error(match only {
                    Some(s) => format!("No connected MCP server \"{s}\" offers resources."),
                    None => "No connected MCP server offers resources.".to_string(),
                });
            }
            let mut all = Vec::new();
            for (name, conn) in servers {
                let listed = tokio::select! {
                    r = conn.list_all("resources/list", "resources", m.tool_timeout()) => r,
                    _ = ctx.cancel.cancelled() => Err(McpError::Cancelled),
                };
                match listed {
                    Ok(items) => all.extend(items.into_iter().map(|mut r| {
                        r["server"] = json!(name);
                        r
                    })),
                    Err(e) => return failed(&name, e),
                }
            }
            let text = if all.is_empty() {
                "No resources found.".to_string()
            } else {
                serde_json::to_string(&all).unwrap_or_default()
            };
            ToolOutput::ok(text).with_structured(Value::Array(all))
        })
    }
}

impl Tool for ReadResource {
    fn name(&self) -> &str {
        READ
    }

    fn aliases(&self) -> &[&str] {
        &["ReadMcpResource"]
    }

    fn description(&self) -> &str {
        "Read a resource of an MCP server by its URI (see ListMcpResourcesTool)."
    }

    fn input_schema(&self) -> Value {
        json!({"type": "object", "properties": {
            "server": {"type": "string", "description": "The MCP server name"},
            "uri": {"type": "string", "description": "The resource URI to read"}
        }, "required": ["server", "uri"], "additionalProperties": false})
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn deferrable(&self) -> bool {
        true
    }

    fn subject(&self, _: &Value, _: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let m = match manager(&self.0) {
                Ok(m) => m,
                Err(e) => return e,
            };
            let server = input.get("server").and_then(Value::as_str).unwrap_or("");
            let uri = input.get("uri").and_then(Value::as_str).unwrap_or("");
            let Some((_, conn)) = m.resource_servers().into_iter().find(|(n, _)| n == server)
            else {
                return ToolOutput::error(format!(
                    "No connected MCP server \"{server}\" offers resources."
                ));
            };
            let r = match conn
                .request(
                    "resources/read",
                    json!({"uri": uri}),
                    m.tool_timeout(),
                    Some(&ctx.cancel),
                )
                .await
            {
                Ok(r) => r,
                Err(e) => return failed(server, e),
            };
            let mut blocks = Vec::new();
            for c in r
                .get("contents")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                super::tool::resource_blocks(c, &mut blocks);
            }
            if blocks.is_empty() {
                return ToolOutput::ok(format!("The resource {uri} is empty."));
            }
            let content = if blocks.iter().all(|b| b["type"] == "text") {
                ToolResultContent::Text(
                    blocks
                        .iter()
                        .filter_map(|b| b["text"].as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            } else {
                ToolResultContent::Blocks(blocks)
            };
            ToolOutput {
                content,
                is_error: false,
                structured: Some(r),
            }
        })
    }
}
