//! Deferred tools: MCP tools (and a few rarely used built-ins) offered by name only, their
//! schemas loaded when the model asks for them through ToolSearch, as Claude Code 2.1.332 does.
//!
//! The wire protocol is the Messages API's tool search (beta `advanced-tool-use-2025-11-20`):
//! ToolSearch answers with `tool_reference` blocks, and from then on the referenced tool is sent
//! in `tools` with `defer_loading: true`, which the API expands where the reference is — so
//! loading a tool does not invalidate the cached prefix. Which tools are loaded is read from the
//! conversation itself (the `tool_reference` blocks in it), so `/clear`, compaction and resumed
//! sessions need no state of their own. The names of the deferred tools reach the model in a
//! `<system-reminder>` block of the user message that follows their arrival (the first prompt,
//! or the tool results after a server finished starting).
//!
//! `ENABLE_TOOL_SEARCH` (Claude Code's variable): unset = on, except that a non-Anthropic
//! `ANTHROPIC_BASE_URL` (a proxy or gateway, which may not forward `tool_reference` blocks)
//! turns it off; `true` = on; `false` = off (every schema is sent); `auto` / `auto:N` = on only
//! when the deferrable tools' schemas would take more than N % (default 10) of the model's
//! context window, estimated at four characters a token.

use crate::api::ToolSpec;
use crate::message::{ContentBlock, Message, Role, ToolResultContent};
use crate::tools::Tool;
use serde_json::{Value, json};
use std::sync::Arc;

pub const TOOL_SEARCH: &str = "ToolSearch";
/// Sent (deferred) whenever tools are deferred, so the request's shape does not change when
/// the first tool is loaded (Claude Code does the same).
pub const PLACEHOLDER: &str = "DeferredToolPlaceholder";
/// Built-in tools that are deferred with the MCP tools.
pub const DEFERRED_BUILTINS: &[&str] = &[
    "NotebookEdit",
    "WebFetch",
    "WebSearch",
    "KillShell",
    "MultiEdit",
];
const NOTICE_HEAD: &str = "<system-reminder>\nDeferred tools, available by name only: call ToolSearch with query \"select:<name>[,<name>...]\" to load their schemas before calling them.\n";
const NOTICE_TAIL: &str = "</system-reminder>";

/// `ENABLE_TOOL_SEARCH`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchMode {
    Off,
    On,
    /// On when the deferrable schemas exceed this percentage of the context window.
    Auto(u32),
}

impl SearchMode {
    /// From the variable's value (`None`: unset) and the API's base URL.
    pub fn parse(value: Option<&str>, base_url: &str) -> SearchMode {
        let v = value.map(|v| v.trim().to_ascii_lowercase());
        match v.as_deref() {
            None | Some("") => {
                let host = base_url
                    .split("://")
                    .nth(1)
                    .unwrap_or(base_url)
                    .split(['/', ':'])
                    .next()
                    .unwrap_or("");
                if host == "api.anthropic.com" {
                    SearchMode::On
                } else {
                    SearchMode::Off
                }
            }
            Some("auto") => SearchMode::Auto(10),
            Some(a) if a.starts_with("auto:") => {
                SearchMode::Auto(a[5..].trim().parse().unwrap_or(10).min(100))
            }
            Some(other) => match crate::env::switch(other) {
                Some(false) => SearchMode::Off,
                _ => SearchMode::On,
            },
        }
    }
}

/// Whether `t` may be offered by name only.
pub fn is_deferrable(t: &dyn Tool) -> bool {
    t.name() != TOOL_SEARCH && (t.deferrable() || DEFERRED_BUILTINS.contains(&t.name()))
}

/// The tools a request offers.
#[derive(Debug, Default)]
pub struct Plan {
    /// What goes in `tools`.
    pub specs: Vec<ToolSpec>,
    /// Offered by name only.
    pub deferred: Vec<String>,
}

fn spec(t: &dyn Tool, defer: bool) -> ToolSpec {
    ToolSpec {
        name: t.name().to_string(),
        description: t.description().to_string(),
        input_schema: t.input_schema(),
        defer_loading: defer,
    }
}

/// The names of the tools loaded in this conversation (`tool_reference` blocks).
pub fn loaded(messages: &[Message]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in messages.iter().filter(|m| m.role == Role::User) {
        for b in &m.content {
            let ContentBlock::ToolResult {
                content: ToolResultContent::Blocks(blocks),
                ..
            } = b
            else {
                continue;
            };
            for r in blocks {
                if r.get("type").and_then(Value::as_str) == Some("tool_reference")
                    && let Some(n) = r.get("tool_name").and_then(Value::as_str)
                    && !out.iter().any(|o| o == n)
                {
                    out.push(n.to_string());
                }
            }
        }
    }
    out
}

/// An estimate of what the tool's definition costs, in tokens.
fn tokens(t: &dyn Tool) -> u64 {
    let chars = t.name().len() + t.description().len() + t.input_schema().to_string().len();
    chars as u64 / 4
}

/// Decides which tools `tools` (those the model may see, in order) are sent whole, sent
/// deferred (loaded earlier) or named only.
pub fn plan(tools: &[Arc<dyn Tool>], mode: SearchMode, messages: &[Message], window: u64) -> Plan {
    let has_search = tools.iter().any(|t| t.name() == TOOL_SEARCH);
    let deferrable: Vec<&Arc<dyn Tool>> =
        tools.iter().filter(|t| is_deferrable(t.as_ref())).collect();
    let active = has_search
        && !deferrable.is_empty()
        && match mode {
            SearchMode::Off => false,
            SearchMode::On => true,
            SearchMode::Auto(pct) => {
                let total: u64 = deferrable.iter().map(|t| tokens(t.as_ref())).sum();
                total * 100 > window * u64::from(pct)
            }
        };
    let mut plan = Plan::default();
    if !active {
        plan.specs = tools
            .iter()
            .filter(|t| t.name() != TOOL_SEARCH)
            .map(|t| spec(t.as_ref(), false))
            .collect();
        return plan;
    }
    let loaded = loaded(messages);
    let mut later = Vec::new();
    for t in tools {
        if !is_deferrable(t.as_ref()) {
            plan.specs.push(spec(t.as_ref(), false));
        } else if loaded.iter().any(|l| l == t.name()) {
            later.push(spec(t.as_ref(), true));
        } else {
            plan.deferred.push(t.name().to_string());
        }
    }
    plan.specs.push(ToolSpec {
        name: PLACEHOLDER.into(),
        description: String::new(),
        input_schema: json!({"type": "object", "properties": {}}),
        defer_loading: true,
    });
    plan.specs.extend(later);
    // A tool loaded earlier whose server has gone: its reference must still resolve.
    for name in loaded {
        if !plan.specs.iter().any(|s| s.name == name) {
            plan.specs.push(ToolSpec {
                name,
                description: "No longer available.".into(),
                input_schema: json!({"type": "object"}),
                defer_loading: true,
            });
        }
    }
    plan
}

/// The names announced by earlier notices.
fn announced(messages: &[Message]) -> Vec<String> {
    let mut out = Vec::new();
    for m in messages.iter().filter(|m| m.role == Role::User) {
        for b in &m.content {
            if let ContentBlock::Text { text } = b
                && let Some(rest) = text.strip_prefix(NOTICE_HEAD)
            {
                out.extend(
                    rest.lines()
                        .take_while(|l| *l != NOTICE_TAIL)
                        .map(str::to_string),
                );
            }
        }
    }
    out
}

/// The reminder naming deferred tools the conversation has not been told about yet.
pub fn notice(deferred: &[String], messages: &[Message]) -> Option<ContentBlock> {
    let known = announced(messages);
    let new: Vec<&String> = deferred.iter().filter(|d| !known.contains(d)).collect();
    if new.is_empty() {
        return None;
    }
    let mut text = NOTICE_HEAD.to_string();
    for n in new {
        text.push_str(n);
        text.push('\n');
    }
    text.push_str(NOTICE_TAIL);
    Some(ContentBlock::text(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::todo_write::TodoWrite;

    /// A tool with a given name, deferrable or not.
    struct T(&'static str, bool);
    impl Tool for T {
        fn name(&self) -> &str {
            self.0
        }
        fn description(&self) -> &str {
            "d"
        }
        fn input_schema(&self) -> Value {
            json!({"type": "object"})
        }
        fn is_read_only(&self) -> bool {
            true
        }
        fn deferrable(&self) -> bool {
            self.1
        }
        fn subject(&self, _: &Value, _: &crate::tools::ToolContext) -> crate::tools::Subject {
            crate::tools::Subject::Passive
        }
        fn call<'a>(
            &'a self,
            _: Value,
            _: &'a crate::tools::ToolContext,
        ) -> crate::BoxFuture<'a, crate::events::ToolOutput> {
            Box::pin(async { crate::events::ToolOutput::ok("") })
        }
    }

    fn tools() -> Vec<Arc<dyn Tool>> {
        vec![
            Arc::new(T("Bash", false)),
            Arc::new(T(TOOL_SEARCH, false)),
            Arc::new(T("WebFetch", false)),
            Arc::new(T("mcp__s__a", true)),
            Arc::new(T("mcp__s__b", true)),
            Arc::new(TodoWrite),
        ]
    }

    fn names(p: &Plan) -> Vec<(String, bool)> {
        p.specs
            .iter()
            .map(|s| (s.name.clone(), s.defer_loading))
            .collect()
    }

    #[test]
    fn modes() {
        let anth = "https://api.anthropic.com";
        assert_eq!(SearchMode::parse(None, anth), SearchMode::On);
        assert_eq!(
            SearchMode::parse(None, "http://127.0.0.1:8080"),
            SearchMode::Off
        );
        assert_eq!(
            SearchMode::parse(Some("true"), "http://proxy"),
            SearchMode::On
        );
        assert_eq!(SearchMode::parse(Some("0"), anth), SearchMode::Off);
        assert_eq!(SearchMode::parse(Some("auto"), anth), SearchMode::Auto(10));
        assert_eq!(SearchMode::parse(Some("auto:5"), anth), SearchMode::Auto(5));
    }

    #[test]
    fn plans() {
        let t = tools();
        // Off: everything whole, no ToolSearch.
        let p = plan(&t, SearchMode::Off, &[], 200_000);
        assert_eq!(p.specs.len(), 5);
        assert!(p.deferred.is_empty() && !p.specs.iter().any(|s| s.name == TOOL_SEARCH));
        // On: deferrable ones named only; the placeholder is sent.
        let p = plan(&t, SearchMode::On, &[], 200_000);
        assert_eq!(
            names(&p),
            [
                ("Bash", false),
                (TOOL_SEARCH, false),
                ("TodoWrite", false),
                (PLACEHOLDER, true)
            ]
            .map(|(n, d)| (n.to_string(), d))
        );
        assert_eq!(p.deferred, ["WebFetch", "mcp__s__a", "mcp__s__b"]);
        // Auto: below the threshold nothing is deferred.
        assert!(
            plan(&t, SearchMode::Auto(10), &[], 200_000)
                .deferred
                .is_empty()
        );
        assert_eq!(plan(&t, SearchMode::Auto(10), &[], 100).deferred.len(), 3);
        // A referenced tool is sent deferred; one that has gone gets a stand-in.
        let reference = |n: &str| json!({"type": "tool_reference", "tool_name": n});
        let msgs = vec![Message::user(vec![ContentBlock::ToolResult {
            tool_use_id: "t1".into(),
            content: ToolResultContent::Blocks(vec![
                reference("mcp__s__b"),
                reference("mcp__gone__x"),
            ]),
            is_error: false,
        }])];
        let p = plan(&t, SearchMode::On, &msgs, 200_000);
        let n = names(&p);
        assert_eq!(
            &n[4..],
            &[
                ("mcp__s__b".to_string(), true),
                ("mcp__gone__x".to_string(), true)
            ]
        );
        assert_eq!(p.deferred, ["WebFetch", "mcp__s__a"]);
        // Without ToolSearch in the registry nothing is deferred.
        let no_search: Vec<_> = t.into_iter().filter(|t| t.name() != TOOL_SEARCH).collect();
        assert!(
            plan(&no_search, SearchMode::On, &[], 200_000)
                .deferred
                .is_empty()
        );
    }

    #[test]
    fn notices_name_each_tool_once() {
        let first = notice(&["a".into(), "b".into()], &[]).unwrap();
        let ContentBlock::Text { text } = &first else {
            panic!()
        };
        assert!(text.ends_with("a\nb\n</system-reminder>"));
        let msgs = vec![Message::user(vec![first, ContentBlock::text("hi")])];
        assert!(notice(&["a".into(), "b".into()], &msgs).is_none());
        let ContentBlock::Text { text } = notice(&["a".into(), "c".into()], &msgs).unwrap() else {
            panic!()
        };
        assert!(text.contains("\nc\n") && !text.contains("\na\n"));
    }
}
