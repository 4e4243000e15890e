//! WebSearch: one request to the main model with the API's server-side `web_search` tool; the
//! search results (titles and URLs) and the model's cited summary come back as a compact text.

use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::api::{ContentBlock, Message, MessagesRequest, SystemBlock};
use crate::error::ApiError;
use crate::events::INTERRUPTED_TOOL_USE;
use serde_json::{Value, json};
use std::time::Instant;

/// Searches the backend may run per call.
const MAX_USES: u64 = 8;
/// `pause_turn` continuations before giving up on more results.
const MAX_CONTINUATIONS: usize = 4;
const MAX_TOKENS: u64 = 4096;

const SYSTEM: &str = "You run web searches for a coding agent. Search for what it asks, then \
summarise the relevant findings in a few sentences, citing your sources.";

pub struct WebSearch;

/// Non-empty, trimmed domain names from an optional array.
fn domains(input: &Value, key: &str) -> Vec<String> {
    input
        .get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The server tool entry of the request.
pub fn server_tool(allowed: &[String], blocked: &[String]) -> Value {
    let mut t = json!({"type": "web_search_20250305", "name": "web_search", "max_uses": MAX_USES});
    if !allowed.is_empty() {
        t["allowed_domains"] = json!(allowed);
    }
    if !blocked.is_empty() {
        t["blocked_domains"] = json!(blocked);
    }
    t
}

/// What the search produced, gathered over every (continued) response.
#[derive(Debug, Default, PartialEq)]
pub struct Collected {
    /// (title, url), first occurrence of each URL.
    pub links: Vec<(String, String)>,
    /// Per `web_search_tool_result`: its tool_use_id and hits, for the structured result.
    pub results: Vec<Value>,
    /// `error_code`s of failed searches.
    pub errors: Vec<String>,
    /// The model's text, with citations as inline links.
    pub text: String,
}

impl Collected {
    pub fn add(&mut self, blocks: &[ContentBlock]) {
        for b in blocks {
            match b {
                ContentBlock::Text { text } => self.text.push_str(text),
                ContentBlock::Other(v) => match v.get("type").and_then(Value::as_str) {
                    Some("text") => self.cited_text(v),
                    Some("web_search_tool_result") => self.search_result(v),
                    _ => {}
                },
                _ => {}
            }
        }
    }

    fn cited_text(&mut self, v: &Value) {
        self.text
            .push_str(v.get("text").and_then(Value::as_str).unwrap_or(""));
        let mut seen: Vec<&str> = Vec::new();
        for c in v
            .get("citations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(url) = c.get("url").and_then(Value::as_str) else {
                continue;
            };
            if seen.contains(&url) {
                continue;
            }
            seen.push(url);
            let title = c
                .get("title")
                .and_then(Value::as_str)
                .filter(|t| !t.trim().is_empty())
                .unwrap_or(url);
            self.text.push_str(&format!(" ([{}]({url}))", title.trim()));
        }
    }

    fn search_result(&mut self, v: &Value) {
        let id = v.get("tool_use_id").cloned().unwrap_or(Value::Null);
        match v.get("content") {
            Some(Value::Array(items)) => {
                let mut hits = Vec::new();
                for it in items {
                    let Some(url) = it.get("url").and_then(Value::as_str) else {
                        continue;
                    };
                    let title = it
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    hits.push(json!({"title": title, "url": url}));
                    if !self.links.iter().any(|(_, u)| u == url) {
                        self.links.push((title, url.to_string()));
                    }
                }
                self.results
                    .push(json!({"tool_use_id": id, "content": hits}));
            }
            Some(err) => {
                let code = err
                    .get("error_code")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown_error");
                self.errors.push(code.to_string());
            }
            None => {}
        }
    }

    /// The tool result for the main model.
    pub fn render(&self, query: &str) -> String {
        let mut out = format!("Web search results for query: \"{query}\"\n\n");
        if self.links.is_empty() {
            out.push_str("No links found.\n\n");
        } else {
            out.push_str("Links:\n");
            for (i, (title, url)) in self.links.iter().enumerate() {
                let title = if title.is_empty() { url } else { title };
                out.push_str(&format!("{}. [{title}]({url})\n", i + 1));
            }
            out.push('\n');
        }
        if !self.errors.is_empty() {
            out.push_str(&format!(
                "Some searches failed: {}\n\n",
                self.errors.join(", ")
            ));
        }
        let text = self.text.trim();
        if !text.is_empty() {
            out.push_str(text);
            out.push_str("\n\n");
        }
        out.push_str("When you use these results, cite the sources as markdown links.");
        out
    }
}

fn describe_error(code: &str) -> &'static str {
    match code {
        "max_uses_exceeded" => "the search limit for this request was reached",
        "too_many_requests" => "searches are rate limited; try again later",
        "invalid_input" | "invalid_tool_input" => "the query was not accepted",
        "query_too_long" => "the query is too long",
        "unavailable" => "the search service is unavailable",
        _ => "the search failed",
    }
}

impl WebSearch {
    async fn run(&self, input: &Value, ctx: &ToolContext) -> ToolOutput {
        let started = Instant::now();
        let query = input
            .get("query")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim();
        if query.chars().count() < 2 {
            return ToolOutput::tool_use_error("Error: the query must have at least 2 characters");
        }
        let allowed = domains(input, "allowed_domains");
        let blocked = domains(input, "blocked_domains");
        if !allowed.is_empty() && !blocked.is_empty() {
            return ToolOutput::tool_use_error(
                "Error: allowed_domains and blocked_domains cannot both be given in one search",
            );
        }
        let Some(api) = &ctx.api else {
            return ToolOutput::error("WebSearch needs a connection to the API");
        };
        let mut req = MessagesRequest::new(ctx.model.clone(), MAX_TOKENS);
        req.system = vec![SystemBlock::new(SYSTEM)];
        req.raw_tools = vec![server_tool(&allowed, &blocked)];
        req.prompt_caching = false;
        let mut messages = vec![Message::user_text(format!("Search the web for: {query}"))];
        let mut got = Collected::default();
        for _ in 0..=MAX_CONTINUATIONS {
            let outcome = match api.stream(&req, &messages, &ctx.cancel, &mut |_| {}).await {
                Ok(o) => o,
                Err(ApiError::Cancelled) => return ToolOutput::error(INTERRUPTED_TOOL_USE),
                Err(e) => return ToolOutput::error(format!("Web search failed: {e}")),
            };
            ctx.session
                .record_side_usage(&req.model, &outcome.message.usage);
            got.add(&outcome.message.content);
            if outcome.message.stop_reason.as_deref() != Some("pause_turn")
                || outcome.message.content.is_empty()
            {
                break;
            }
            // The server paused a long search: send its partial turn back to let it go on.
            messages.push(outcome.message.to_message());
        }
        if got.links.is_empty() && !got.errors.is_empty() {
            let codes: Vec<String> = got
                .errors
                .iter()
                .map(|c| format!("{c} ({})", describe_error(c)))
                .collect();
            return ToolOutput::error(format!(
                "Web search for \"{query}\" failed: {}",
                codes.join(", ")
            ));
        }
        let text = got.render(query);
        let mut results = got.results.clone();
        if !got.text.trim().is_empty() {
            results.push(json!(got.text.trim()));
        }
        ToolOutput::ok(text).with_structured(json!({
            "query": query,
            "results": results,
            "durationSeconds": started.elapsed().as_secs_f64(),
        }))
    }
}

impl Tool for WebSearch {
    fn name(&self) -> &str {
        "WebSearch"
    }

    fn description(&self) -> &str {
        "Searches the web: result titles and URLs with a short cited summary, for current \
         information. Restrict with allowed_domains or blocked_domains (not both). Cite the \
         sources you use as markdown links."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 2, "description": "The search query"},
                "allowed_domains": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Only return results from these domains"
                },
                "blocked_domains": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Never return results from these domains"
                }
            },
            "required": ["query"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::Other
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move { self.run(&input, ctx).await })
    }

    fn summary(&self, input: &Value) -> String {
        super::schema::shorten(input.get("query").and_then(Value::as_str).unwrap_or(""), 80)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks() -> Vec<ContentBlock> {
        vec![
            ContentBlock::Other(json!({
                "type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                "input": {"query": "rust 2024 edition"}
            })),
            ContentBlock::Other(json!({
                "type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
                "content": [
                    {"type": "web_search_result", "title": "Rust 2024", "url": "https://blog.rust-lang.org/2025/02/20/Rust-1.85.0/", "encrypted_content": "x", "page_age": "1 year"},
                    {"type": "web_search_result", "title": "", "url": "https://doc.rust-lang.org/edition-guide/"}
                ]
            })),
            ContentBlock::text("Here is what I found. "),
            ContentBlock::Other(json!({
                "type": "text", "text": "The 2024 edition shipped with Rust 1.85.",
                "citations": [
                    {"type": "web_search_result_location", "url": "https://blog.rust-lang.org/2025/02/20/Rust-1.85.0/", "title": "Rust 2024", "cited_text": "..."},
                    {"type": "web_search_result_location", "url": "https://blog.rust-lang.org/2025/02/20/Rust-1.85.0/", "title": "Rust 2024", "cited_text": "..."}
                ]
            })),
        ]
    }

    #[test]
    fn results_are_rendered_with_links_and_citations() {
        let mut c = Collected::default();
        c.add(&blocks());
        // A second (continued) response repeating a link adds no duplicate.
        c.add(&[ContentBlock::Other(json!({
            "type": "web_search_tool_result", "tool_use_id": "srvtoolu_2",
            "content": [{"type": "web_search_result", "title": "Rust 2024", "url": "https://blog.rust-lang.org/2025/02/20/Rust-1.85.0/"}]
        }))]);
        assert_eq!(
            c.render("rust 2024 edition"),
            "Web search results for query: \"rust 2024 edition\"\n\n\
             Links:\n\
             1. [Rust 2024](https://blog.rust-lang.org/2025/02/20/Rust-1.85.0/)\n\
             2. [https://doc.rust-lang.org/edition-guide/](https://doc.rust-lang.org/edition-guide/)\n\n\
             Here is what I found. The 2024 edition shipped with Rust 1.85. \
             ([Rust 2024](https://blog.rust-lang.org/2025/02/20/Rust-1.85.0/))\n\n\
             When you use these results, cite the sources as markdown links."
        );
        assert_eq!(c.results.len(), 2);
        assert_eq!(c.results[0]["tool_use_id"], "srvtoolu_1");
        assert_eq!(
            c.results[0]["content"][1]["url"],
            "https://doc.rust-lang.org/edition-guide/"
        );
    }

    #[test]
    fn errors_are_collected() {
        let mut c = Collected::default();
        c.add(&[ContentBlock::Other(json!({
            "type": "web_search_tool_result", "tool_use_id": "s",
            "content": {"type": "web_search_tool_result_error", "error_code": "too_many_requests"}
        }))]);
        assert_eq!(c.errors, ["too_many_requests"]);
        assert!(c.links.is_empty());
        assert!(c.render("q").contains("No links found."));
    }

    #[test]
    fn server_tool_entry() {
        assert_eq!(
            server_tool(&[], &[]),
            json!({"type": "web_search_20250305", "name": "web_search", "max_uses": 8})
        );
        assert_eq!(
            server_tool(&["docs.rs".into()], &[])["allowed_domains"],
            json!(["docs.rs"])
        );
        assert_eq!(
            server_tool(&[], &["x.com".into()])["blocked_domains"],
            json!(["x.com"])
        );
    }

    #[tokio::test]
    async fn input_checks() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::for_tests(dir.path());
        let both = WebSearch
            .call(
                json!({"query": "rust", "allowed_domains": ["a.com"], "blocked_domains": ["b.com"]}),
                &ctx,
            )
            .await;
        assert!(both.is_error);
        assert!(both.text().contains("cannot both"), "{}", both.text());
        let short = WebSearch.call(json!({"query": " a "}), &ctx).await;
        assert!(short.is_error);
        // Empty lists count as absent; without an API client the call fails cleanly.
        let no_api = WebSearch
            .call(
                json!({"query": "rust", "allowed_domains": [], "blocked_domains": ["b.com"]}),
                &ctx,
            )
            .await;
        assert!(no_api.is_error);
        assert!(no_api.text().contains("API"), "{}", no_api.text());
    }
}
