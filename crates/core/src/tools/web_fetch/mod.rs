//! WebFetch: GET a page, turn it into markdown, and let the small fast model answer the prompt
//! over it (as Claude Code does), so the main conversation only receives the answer.
//!
//! `http://` is upgraded to `https://` except for loopback hosts (127.0.0.1, ::1, localhost):
//! local servers rarely speak TLS, and the tests use a plain-HTTP mock. Redirects are followed
//! here, not by reqwest, so that a hop to another host is reported to the model instead of
//! silently followed.

mod body;
mod cache;
mod fetch;
mod side;
mod url;

pub use cache::{FetchedPage, PageCache, global_cache};
pub use fetch::{Fetched, fetch};
pub use side::side_prompt;
pub use url::{prepare_url, redirect_allowed, redirect_message};

use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::error::ApiError;
use crate::events::INTERRUPTED_TOOL_USE;
use serde_json::{Value, json};
use side::apply_prompt;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const MAX_URL_LEN: usize = 2000;
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_CONTENT_CHARS: usize = 100_000;
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
pub const MAX_REDIRECTS: usize = 10;
pub const CACHE_TTL: Duration = Duration::from_secs(15 * 60);
pub const CACHE_MAX_ENTRIES: usize = 50;
pub const CACHE_MAX_BYTES: usize = 20 * 1024 * 1024;

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{0}")]
    InvalidUrl(String),
    #[error("Request failed with status code {status}{} for {url}", reason_suffix(*.status))]
    Status { status: u16, url: String },
    #[error("Failed to fetch {url}: {message}")]
    Network { url: String, message: String },
    #[error("Fetching {url} timed out after {}s", FETCH_TIMEOUT.as_secs())]
    Timeout { url: String },
    #[error("Too many redirects (more than {MAX_REDIRECTS}) starting at {url}")]
    TooManyRedirects { url: String },
    #[error("{url} returned binary content ({content_type}); WebFetch only reads text and HTML")]
    Binary { url: String, content_type: String },
    #[error("cancelled")]
    Cancelled,
}

/// ` (Not Found)` for 404; empty for a status without a standard reason.
fn reason_suffix(status: u16) -> String {
    match status_text(status) {
        "" => String::new(),
        r => format!(" ({r})"),
    }
}

/// The standard reason phrase of `status` (`Not Found`), empty when there is none.
fn status_text(status: u16) -> &'static str {
    reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

pub struct WebFetch {
    cache: Arc<PageCache>,
}

impl Default for WebFetch {
    fn default() -> Self {
        WebFetch {
            cache: global_cache(),
        }
    }
}

impl WebFetch {
    /// A WebFetch with its own cache (tests).
    pub fn with_cache(cache: Arc<PageCache>) -> Self {
        WebFetch { cache }
    }

    async fn run(&self, input: &Value, ctx: &ToolContext) -> ToolOutput {
        let started = Instant::now();
        let raw = input.get("url").and_then(Value::as_str).unwrap_or("");
        let prompt = input.get("prompt").and_then(Value::as_str).unwrap_or("");
        let url = match prepare_url(raw) {
            Ok(u) => u,
            Err(e) => return ToolOutput::tool_use_error(e.to_string()),
        };
        let key = url.to_string();
        let page = match self.cache.get(&key) {
            Some(p) => p,
            None => match fetch(url, &ctx.cancel).await {
                Ok(Fetched::Page(p)) => {
                    self.cache.insert(&key, p.clone());
                    p
                }
                Ok(Fetched::Redirect {
                    original,
                    target,
                    status,
                }) => {
                    let text = redirect_message(&original, &target, status, prompt);
                    return ToolOutput::ok(text.clone()).with_structured(json!({
                        "bytes": text.len(),
                        "code": status,
                        "codeText": status_text(status),
                        "result": text,
                        "durationMs": started.elapsed().as_millis() as u64,
                        "url": original,
                    }));
                }
                Err(FetchError::Cancelled) => return ToolOutput::error(INTERRUPTED_TOOL_USE),
                Err(e) => return ToolOutput::error(e.to_string()),
            },
        };
        let result = if page.content.trim().is_empty() {
            "The page has no readable text (it may be built by JavaScript, which WebFetch does \
             not run)."
                .to_string()
        } else {
            match &ctx.api {
                None => page.content.clone(),
                Some(api) => {
                    match apply_prompt(
                        api,
                        &ctx.small_model,
                        &page.content,
                        prompt,
                        &ctx.cancel,
                        &ctx.session,
                    )
                    .await
                    {
                        Ok(a) if a.is_empty() => "The model gave no answer about the page.".into(),
                        Ok(a) => a,
                        Err(ApiError::Cancelled) => {
                            return ToolOutput::error(INTERRUPTED_TOOL_USE);
                        }
                        Err(e) => {
                            return ToolOutput::error(format!(
                                "Fetched {} but could not process it: {e}",
                                page.url
                            ));
                        }
                    }
                }
            }
        };
        ToolOutput::ok(result.clone()).with_structured(json!({
            "bytes": page.bytes,
            "code": page.status,
            "codeText": status_text(page.status),
            "result": result,
            "durationMs": started.elapsed().as_millis() as u64,
            "url": raw,
        }))
    }
}

impl Tool for WebFetch {
    fn name(&self) -> &str {
        "WebFetch"
    }

    fn description(&self) -> &str {
        "Fetches a URL and answers prompt about it (a small model reads the page as markdown: \
         ask precisely). Full URL; http becomes https. A redirect to another host is reported, \
         not followed: call again with the new URL. Cached 15 minutes."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "url": {"type": "string", "format": "uri", "description": "The URL to fetch"},
                "prompt": {"type": "string", "description": "What to find out from the page"}
            },
            "required": ["url", "prompt"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, input: &Value, _ctx: &ToolContext) -> Subject {
        let raw = input.get("url").and_then(Value::as_str).unwrap_or("");
        Subject::Fetch(raw.trim().to_string())
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move { self.run(&input, ctx).await })
    }

    fn summary(&self, input: &Value) -> String {
        super::schema::shorten(input.get("url").and_then(Value::as_str).unwrap_or(""), 80)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn invalid_url_is_a_tool_use_error() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::for_tests(dir.path());
        let t = WebFetch::with_cache(Arc::new(PageCache::default()));
        let out = t
            .call(json!({"url": "ftp://x.org/", "prompt": "p"}), &ctx)
            .await;
        assert!(out.is_error);
        assert!(out.text().starts_with("<tool_use_error>"), "{}", out.text());
    }

    #[tokio::test]
    async fn cached_page_is_served_without_network() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::for_tests(dir.path());
        let cache = Arc::new(PageCache::default());
        // A host that cannot resolve: only the cache can answer.
        let url = "https://cached.invalid/page";
        cache.insert(url, cache::test_page("# Cached page"));
        let t = WebFetch::with_cache(cache);
        let out = t
            .call(
                json!({"url": "http://cached.invalid/page", "prompt": "p"}),
                &ctx,
            )
            .await;
        assert!(!out.is_error, "{}", out.text());
        assert_eq!(out.text(), "# Cached page");
        assert_eq!(out.structured.unwrap()["code"], 200);
    }

    #[tokio::test]
    async fn connection_errors_are_reported() {
        // A port nobody listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::for_tests(dir.path());
        let t = WebFetch::with_cache(Arc::new(PageCache::default()));
        let out = t
            .call(
                json!({"url": format!("http://127.0.0.1:{port}/"), "prompt": "p"}),
                &ctx,
            )
            .await;
        assert!(out.is_error);
        assert!(
            out.text().starts_with("Failed to fetch http://127.0.0.1:"),
            "{}",
            out.text()
        );
    }

    #[test]
    fn subject_is_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::for_tests(dir.path());
        assert_eq!(
            WebFetch::default().subject(&json!({"url": "https://docs.rs/x", "prompt": "p"}), &ctx),
            Subject::Fetch("https://docs.rs/x".into())
        );
    }
}
