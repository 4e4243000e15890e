//! ToolSearch (Claude Code 2.1.332's name and schema): loads deferred tools' schemas by name
//! (`select:a,b`) or by keywords (`+word` must be in the name), answering with `tool_reference`
//! blocks (see [`crate::agent::deferred`]). When nothing matches while servers are still
//! starting, it waits a few seconds for them before answering.

use super::McpManager;
use crate::BoxFuture;
use crate::agent::ToolSet;
use crate::agent::deferred::is_deferrable;
use crate::events::ToolOutput;
use crate::message::ToolResultContent;
use crate::tools::{Subject, Tool, ToolContext};
use serde_json::{Value, json};
use std::sync::Weak;
use std::time::Duration;

/// How long a search waits for servers still starting.
const WAIT_FOR_SERVERS: Duration = Duration::from_secs(5);

pub struct ToolSearch {
    tools: ToolSet,
    mcp: Weak<super::Inner>,
}

impl ToolSearch {
    pub fn new(tools: ToolSet, mcp: &McpManager) -> Self {
        ToolSearch {
            tools,
            mcp: mcp.weak(),
        }
    }

    /// The deferrable tools the model may use, with their descriptions.
    fn candidates(&self, ctx: &ToolContext) -> Vec<(String, String)> {
        self.tools
            .snapshot()
            .iter()
            .filter(|t| is_deferrable(t.as_ref()))
            .filter(|t| {
                ctx.permissions
                    .as_ref()
                    .is_none_or(|p| !p.hides_tool(t.name()))
            })
            .map(|t| (t.name().to_string(), t.description().to_lowercase()))
            .collect()
    }
}

/// The words of a tool name: `mcp__github__create_issue` → mcp, github, create, issue.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if (c == '_' || c == '-' || (c.is_uppercase() && prev_lower)) && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        if c != '_' && c != '-' {
            cur.extend(c.to_lowercase());
        }
        prev_lower = c.is_lowercase();
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The names matching `query`, best first.
pub fn search(query: &str, candidates: &[(String, String)], max: usize) -> Vec<String> {
    if let Some(list) = query.trim().strip_prefix("select:") {
        let mut out = Vec::new();
        for want in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let hit = candidates.iter().find(|(n, _)| n == want).or_else(|| {
                candidates
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(want))
            });
            if let Some((n, _)) = hit
                && !out.contains(n)
            {
                out.push(n.clone());
            }
        }
        return out;
    }
    let terms: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    let mut scored: Vec<(u32, &String)> = candidates
        .iter()
        .filter_map(|(name, desc)| {
            let lname = name.to_lowercase();
            let parts = words(name);
            let mut score = 0;
            for t in &terms {
                let (required, t) = match t.strip_prefix('+') {
                    Some(r) => (true, r),
                    None => (false, t.as_str()),
                };
                if t.is_empty() {
                    continue;
                }
                let s = if lname == t {
                    20
                } else if parts.iter().any(|p| p == t) {
                    10
                } else if lname.contains(t) {
                    5
                } else if desc.contains(t) {
                    2
                } else {
                    0
                };
                if required && s < 5 {
                    return None;
                }
                score += s;
            }
            (score > 0).then_some((score, name))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(max)
        .map(|(_, n)| n.clone())
        .collect()
}

impl Tool for ToolSearch {
    fn name(&self) -> &str {
        crate::agent::deferred::TOOL_SEARCH
    }

    fn description(&self) -> &str {
        "Loads the schemas of deferred tools (named in a system reminder) so that you can call them. \"select:name1,name2\" loads those tools; other queries search tool names and descriptions by keyword (\"+word\" requires the word in the name). Call the tools you found right after."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "\"select:<tool_name>[,...]\" to load tools by name, or keywords to search"},
                "max_results": {"type": "number", "default": 5, "description": "Maximum number of results (default 5)"}
            },
            "required": ["query"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, _: &Value, _: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn summary(&self, input: &Value) -> String {
        input
            .get("query")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let query = input.get("query").and_then(Value::as_str).unwrap_or("");
            let max = input
                .get("max_results")
                .and_then(Value::as_f64)
                .filter(|m| *m >= 1.0)
                .map_or(5, |m| m.min(50.0) as usize);
            let mut candidates = self.candidates(ctx);
            let mut found = search(query, &candidates, max);
            let mcp = McpManager::from_weak(&self.mcp);
            if found.is_empty()
                && let Some(m) = &mcp
                && !m.pending().is_empty()
            {
                tokio::select! {
                    _ = m.wait_settled(WAIT_FOR_SERVERS) => {}
                    _ = ctx.cancel.cancelled() => {}
                }
                candidates = self.candidates(ctx);
                found = search(query, &candidates, max);
            }
            let structured = json!({
                "matches": found,
                "query": query,
                "total_deferred_tools": candidates.len(),
            });
            if found.is_empty() {
                let mut text = "No matching deferred tools found.".to_string();
                let pending = mcp.map(|m| m.pending()).unwrap_or_default();
                if !pending.is_empty() {
                    text.push_str(&format!(
                        " Some MCP servers are still starting: {}. Their tools become available when they are ready; search again later.",
                        pending.join(", ")
                    ));
                } else if !query.trim().starts_with("select:") {
                    text.push_str(" Try other keywords, or \"select:<name>\" with a name from the list of deferred tools.");
                }
                return ToolOutput::ok(text).with_structured(structured);
            }
            let refs = found
                .iter()
                .map(|n| json!({"type": "tool_reference", "tool_name": n}))
                .collect();
            ToolOutput {
                content: ToolResultContent::Blocks(refs),
                is_error: false,
                structured: Some(structured),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: &str, d: &str) -> (String, String) {
        (n.to_string(), d.to_lowercase())
    }

    #[test]
    fn selects_and_searches() {
        let all = vec![
            c(
                "mcp__github__create_issue",
                "Create an issue in a repository",
            ),
            c("mcp__github__list_issues", "List issues"),
            c("mcp__slack__send_message", "Send a message to a channel"),
            c("WebFetch", "Fetch a URL"),
        ];
        assert_eq!(
            search(
                "select:WebFetch, mcp__slack__send_message,nope,webfetch",
                &all,
                5
            ),
            ["WebFetch", "mcp__slack__send_message"]
        );
        assert_eq!(
            search("issue", &all, 5)[..2],
            ["mcp__github__create_issue", "mcp__github__list_issues"]
        );
        assert_eq!(
            search("message channel", &all, 5),
            ["mcp__slack__send_message"]
        );
        assert_eq!(
            search("+slack issue", &all, 5),
            ["mcp__slack__send_message"]
        );
        assert!(search("+jira issue", &all, 5).is_empty());
        assert_eq!(
            search("+github repository", &all, 1),
            ["mcp__github__create_issue"]
        );
        assert!(search("zzz", &all, 5).is_empty());
        assert_eq!(
            words("mcp__my-srv__readFile"),
            ["mcp", "my", "srv", "read", "file"]
        );
    }
}
