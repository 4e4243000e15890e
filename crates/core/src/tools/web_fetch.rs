//! WebFetch: GET a page, turn it into markdown, and let the small fast model answer the prompt
//! over it (as Claude Code does), so the main conversation only receives the answer.
//!
//! `http://` is upgraded to `https://` except for loopback hosts (127.0.0.1, ::1, localhost):
//! local servers rarely speak TLS, and the tests use a plain-HTTP mock. Redirects are followed
//! here, not by reqwest, so that a hop to another host is reported to the model instead of
//! silently followed.

use super::html_to_md::{cp1252_high, html_to_markdown};
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::agent::INTERRUPTED_TOOL_USE;
use crate::api::{ApiClient, ContentBlock, Message, MessagesRequest, SystemBlock};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use reqwest::Url;
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const MAX_URL_LEN: usize = 2000;
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_CONTENT_CHARS: usize = 100_000;
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(60);
pub const MAX_REDIRECTS: usize = 10;
pub const CACHE_TTL: Duration = Duration::from_secs(15 * 60);
pub const CACHE_MAX_ENTRIES: usize = 50;
pub const CACHE_MAX_BYTES: usize = 20 * 1024 * 1024;
/// Output budget of the side request: answers should be short.
const SIDE_MAX_TOKENS: u64 = 2048;

const SIDE_SYSTEM: &str = "You read one web page on behalf of a coding agent and answer its \
request about the page. Use only the page content. Be brief and factual; keep code, commands, \
version numbers and URLs exact. Quote at most a few short passages word for word.";

fn user_agent() -> String {
    format!("Claude-User (ccrs/{})", crate::VERSION)
}

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

// ---------------------------------------------------------------------------------------------
// URLs and redirects

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Checks and normalises a URL from the model: length, scheme, host, no credentials, and the
/// https upgrade.
pub fn prepare_url(raw: &str) -> Result<Url, FetchError> {
    let raw = raw.trim();
    let n = raw.chars().count();
    if n > MAX_URL_LEN {
        return Err(FetchError::InvalidUrl(format!(
            "The URL is too long ({n} characters; the limit is {MAX_URL_LEN})"
        )));
    }
    let mut url =
        Url::parse(raw).map_err(|e| FetchError::InvalidUrl(format!("Invalid URL {raw}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::InvalidUrl(format!(
            "Only http and https URLs can be fetched, not {}",
            url.scheme()
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(FetchError::InvalidUrl(format!("The URL {raw} has no host")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(FetchError::InvalidUrl(
            "URLs with a user name or password are not fetched".into(),
        ));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        // Both schemes are "special", so this cannot fail; keep http if it somehow does.
        let _ = url.set_scheme("https");
    }
    Ok(url)
}

fn strip_www(h: &str) -> &str {
    h.strip_prefix("www.").unwrap_or(h)
}

/// Whether a redirect from `from` to `to` stays on the same site and may be followed: same host
/// (ignoring a `www.` prefix), same port, no credentials, and no downgrade from https.
pub fn redirect_allowed(from: &Url, to: &Url) -> bool {
    if !to.username().is_empty() || to.password().is_some() {
        return false;
    }
    let same_scheme = from.scheme() == to.scheme();
    let upgrade = from.scheme() == "http" && to.scheme() == "https";
    if !(same_scheme || upgrade) {
        return false;
    }
    if same_scheme && from.port_or_known_default() != to.port_or_known_default() {
        return false;
    }
    match (from.host_str(), to.host_str()) {
        (Some(a), Some(b)) => strip_www(a).eq_ignore_ascii_case(strip_www(b)),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Content types and decoding

#[derive(Clone, Copy, Debug, PartialEq)]
enum BodyKind {
    Html,
    Text,
    Binary,
}

fn mime_of(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// What the Content-Type says, or `None` when only the bytes can tell.
fn classify(content_type: &str) -> Option<BodyKind> {
    let mime = mime_of(content_type);
    match mime.as_str() {
        "" | "application/octet-stream" | "binary/octet-stream" => None,
        "text/html" | "application/xhtml+xml" => Some(BodyKind::Html),
        m if m.starts_with("text/") => Some(BodyKind::Text),
        m if m.ends_with("+json") || m.ends_with("+xml") || m.ends_with("+yaml") => {
            Some(BodyKind::Text)
        }
        "application/json"
        | "application/xml"
        | "application/javascript"
        | "application/ecmascript"
        | "application/x-javascript"
        | "application/x-sh"
        | "application/x-httpd-php"
        | "application/toml"
        | "application/yaml"
        | "application/x-yaml"
        | "application/x-ndjson"
        | "application/jsonl"
        | "application/graphql"
        | "application/sql" => Some(BodyKind::Text),
        _ => Some(BodyKind::Binary),
    }
}

/// Guesses from the bytes: NULs or mostly invalid UTF-8 mean binary; an HTML start means HTML.
fn sniff(body: &[u8]) -> BodyKind {
    let head = &body[..body.len().min(8192)];
    if head.contains(&0) {
        return BodyKind::Binary;
    }
    // A cut multi-byte char at the end of `head` is fine; real binary fails early.
    if let Err(e) = std::str::from_utf8(head)
        && e.error_len().is_some()
        && e.valid_up_to() < head.len() / 2
    {
        return BodyKind::Binary;
    }
    let start: String = String::from_utf8_lossy(&head[..head.len().min(512)])
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .take(20)
        .collect::<String>()
        .to_ascii_lowercase();
    if start.starts_with("<!doctype html") || start.starts_with("<html") {
        BodyKind::Html
    } else {
        BodyKind::Text
    }
}

fn charset_of(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_ascii_lowercase())
    })
}

/// Bytes to text: UTF-8 when valid, else Windows-1252 (the web's usual legacy encoding, a
/// superset of Latin-1) unless another charset is declared, which is decoded lossily.
fn decode_text(body: &[u8], content_type: &str) -> String {
    let body = body.strip_prefix(b"\xef\xbb\xbf").unwrap_or(body);
    if let Ok(s) = std::str::from_utf8(body) {
        return s.to_string();
    }
    let latin = charset_of(content_type).is_none_or(|c| {
        matches!(
            c.as_str(),
            "iso-8859-1" | "latin1" | "windows-1252" | "cp1252" | "us-ascii" | "ascii"
        )
    });
    if !latin {
        return String::from_utf8_lossy(body).into_owned();
    }
    body.iter()
        .map(|&b| {
            if (0x80..=0x9f).contains(&b) {
                cp1252_high(b)
            } else {
                char::from(b)
            }
        })
        .collect()
}

/// The first `max` chars of `s`, and whether anything was cut.
fn truncate_chars(s: String, max: usize) -> (String, bool) {
    match s.char_indices().nth(max) {
        Some((i, _)) => {
            let mut s = s;
            s.truncate(i);
            (s, true)
        }
        None => (s, false),
    }
}

// ---------------------------------------------------------------------------------------------
// Cache

/// A fetched page as kept in the cache (already converted and truncated).
#[derive(Clone, Debug, PartialEq)]
pub struct FetchedPage {
    /// The URL the content came from (after same-host redirects).
    pub url: String,
    pub status: u16,
    pub content_type: String,
    /// Bytes received.
    pub bytes: usize,
    /// Markdown or text, at most [`MAX_CONTENT_CHARS`] chars plus truncation notes.
    pub content: String,
}

struct CacheEntry {
    key: String,
    page: FetchedPage,
    stored: Instant,
}

type Clock = Box<dyn Fn() -> Instant + Send + Sync>;

/// A bounded, time-limited cache of fetched pages, keyed by URL. Least recently used entries go
/// first when it is full.
pub struct PageCache {
    /// Most recently used last.
    entries: Mutex<Vec<CacheEntry>>,
    ttl: Duration,
    max_entries: usize,
    max_bytes: usize,
    clock: Clock,
}

impl Default for PageCache {
    fn default() -> Self {
        Self::new(Box::new(Instant::now))
    }
}

impl PageCache {
    /// The standard limits with the given clock (tests pass a manual one).
    pub fn new(clock: Clock) -> Self {
        Self::with_limits(CACHE_TTL, CACHE_MAX_ENTRIES, CACHE_MAX_BYTES, clock)
    }

    pub fn with_limits(ttl: Duration, max_entries: usize, max_bytes: usize, clock: Clock) -> Self {
        PageCache {
            entries: Mutex::new(Vec::new()),
            ttl,
            max_entries,
            max_bytes,
            clock,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<CacheEntry>> {
        // The cache holds plain data; a poisoned lock is still consistent.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, key: &str) -> Option<FetchedPage> {
        let now = (self.clock)();
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|e| now.saturating_duration_since(e.stored) < ttl);
        let i = entries.iter().position(|e| e.key == key)?;
        let e = entries.remove(i);
        let page = e.page.clone();
        entries.push(e);
        Some(page)
    }

    pub fn insert(&self, key: &str, page: FetchedPage) {
        if page.content.len() > self.max_bytes {
            return;
        }
        let now = (self.clock)();
        let mut entries = self.lock();
        let ttl = self.ttl;
        entries.retain(|e| e.key != key && now.saturating_duration_since(e.stored) < ttl);
        entries.push(CacheEntry {
            key: key.to_string(),
            page,
            stored: now,
        });
        while entries.len() > self.max_entries
            || entries.iter().map(|e| e.page.content.len()).sum::<usize>() > self.max_bytes
        {
            entries.remove(0);
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// The process-wide page cache.
pub fn global_cache() -> Arc<PageCache> {
    static CACHE: OnceLock<Arc<PageCache>> = OnceLock::new();
    CACHE.get_or_init(|| Arc::new(PageCache::default())).clone()
}

// ---------------------------------------------------------------------------------------------
// Fetching

fn http_client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // Proxies and extra CAs as every ccrs client has them (crate::net).
            crate::net::client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(err) = src {
        let s = err.to_string();
        if !msg.contains(&s) {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        src = err.source();
    }
    msg
}

/// What a fetch produced.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetched {
    Page(FetchedPage),
    /// A redirect to another host, not followed.
    Redirect {
        original: String,
        target: String,
        status: u16,
    },
}

/// Fetches `url` (already prepared), following same-host redirects, within the time limit.
pub async fn fetch(url: Url, cancel: &CancelToken) -> Result<Fetched, FetchError> {
    let shown = url.to_string();
    tokio::select! {
        r = tokio::time::timeout(FETCH_TIMEOUT, fetch_inner(url)) => match r {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout { url: shown }),
        },
        _ = cancel.cancelled() => Err(FetchError::Cancelled),
    }
}

async fn fetch_inner(url: Url) -> Result<Fetched, FetchError> {
    let client = http_client().map_err(|message| FetchError::Network {
        url: url.to_string(),
        message,
    })?;
    let original = url.to_string();
    let mut current = url;
    for _ in 0..=MAX_REDIRECTS {
        let resp = client
            .get(current.clone())
            .header(reqwest::header::USER_AGENT, user_agent())
            .header(
                reqwest::header::ACCEPT,
                "text/markdown, text/html;q=0.9, text/plain;q=0.8, */*;q=0.5",
            )
            .send()
            .await
            .map_err(|e| FetchError::Network {
                url: current.to_string(),
                message: describe(&e),
            })?;
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(loc) = location
        {
            let target = current.join(loc.trim()).map_err(|e| FetchError::Network {
                url: current.to_string(),
                message: format!("invalid redirect location {loc:?}: {e}"),
            })?;
            if redirect_allowed(&current, &target) {
                current = target;
                continue;
            }
            return Ok(Fetched::Redirect {
                original,
                target: target.to_string(),
                status,
            });
        }
        if !(200..300).contains(&status) {
            return Err(FetchError::Status {
                status,
                url: current.to_string(),
            });
        }
        return read_page(resp, current).await.map(Fetched::Page);
    }
    Err(FetchError::TooManyRedirects { url: original })
}

async fn read_page(mut resp: reqwest::Response, url: Url) -> Result<FetchedPage, FetchError> {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let declared = classify(&content_type);
    if declared == Some(BodyKind::Binary) {
        return Err(FetchError::Binary {
            url: url.to_string(),
            content_type: mime_of(&content_type),
        });
    }
    let mut body: Vec<u8> = Vec::new();
    let mut cut = false;
    while let Some(chunk) = resp.chunk().await.map_err(|e| FetchError::Network {
        url: url.to_string(),
        message: describe(&e),
    })? {
        let room = MAX_BODY_BYTES - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            cut = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let kind = declared.unwrap_or_else(|| sniff(&body));
    if kind == BodyKind::Binary {
        return Err(FetchError::Binary {
            url: url.to_string(),
            content_type: if content_type.is_empty() {
                "unknown type".into()
            } else {
                mime_of(&content_type)
            },
        });
    }
    let text = decode_text(&body, &content_type);
    let converted = match kind {
        BodyKind::Html => html_to_markdown(&text, Some(url.as_str())),
        _ => text,
    };
    let (mut content, truncated) = truncate_chars(converted, MAX_CONTENT_CHARS);
    if cut {
        content.push_str(&format!(
            "\n\n[The response was larger than {} MB; only the first {} MB were read.]",
            MAX_BODY_BYTES / (1024 * 1024),
            MAX_BODY_BYTES / (1024 * 1024)
        ));
    }
    if truncated {
        content.push_str(&format!(
            "\n\n[Content truncated to the first {MAX_CONTENT_CHARS} characters.]"
        ));
    }
    Ok(FetchedPage {
        url: url.to_string(),
        status,
        content_type: mime_of(&content_type),
        bytes: body.len(),
        content,
    })
}

/// The user message of the side request.
pub fn side_prompt(content: &str, prompt: &str) -> String {
    format!(
        "<page>\n{content}\n</page>\n\nRequest about the page above:\n{prompt}\n\nAnswer from the \
         page alone; if it does not contain the answer, say so."
    )
}

/// Asks the small model `prompt` about `content`.
async fn apply_prompt(
    api: &ApiClient,
    model: &str,
    content: &str,
    prompt: &str,
    cancel: &CancelToken,
    session: &crate::tools::context::SessionState,
) -> Result<String, ApiError> {
    let mut req = MessagesRequest::new(model, SIDE_MAX_TOKENS);
    req.system = vec![SystemBlock::new(SIDE_SYSTEM)];
    // A one-off request: nothing to reuse from a cache write.
    req.prompt_caching = false;
    let messages = [Message::user_text(side_prompt(content, prompt))];
    let outcome = api.stream(&req, &messages, cancel, &mut |_| {}).await?;
    session.record_side_usage(model, &outcome.message.usage);
    let text: Vec<&str> = outcome
        .message
        .content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    Ok(text.join("\n").trim().to_string())
}

/// The message for a redirect to another host.
pub fn redirect_message(original: &str, target: &str, status: u16, prompt: &str) -> String {
    let reason = status_text(status);
    format!(
        "REDIRECT DETECTED: The URL redirects to a different host.\n\n\
         Original URL: {original}\n\
         Redirect URL: {target}\n\
         Status: {status} {reason}\n\n\
         The redirect was not followed. To read the page, call WebFetch again with \
         url \"{target}\" and prompt \"{prompt}\".",
    )
    .replace(" \n", "\n")
}

// ---------------------------------------------------------------------------------------------
// The tool

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

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn urls_are_checked_and_upgraded() {
        assert_eq!(
            prepare_url("http://example.com/a?b=1").unwrap().as_str(),
            "https://example.com/a?b=1"
        );
        assert_eq!(
            prepare_url(" https://example.com ").unwrap().as_str(),
            "https://example.com/"
        );
        assert_eq!(
            prepare_url("http://example.com:8080/").unwrap().as_str(),
            "https://example.com:8080/"
        );
        // Loopback stays plain HTTP.
        for local in [
            "http://127.0.0.1:8080/x",
            "http://localhost/",
            "http://[::1]:9/",
            "http://127.1.2.3/",
        ] {
            assert_eq!(prepare_url(local).unwrap().scheme(), "http", "{local}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert!(
            prepare_url(&long)
                .unwrap_err()
                .to_string()
                .contains("too long")
        );
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "https://user:pw@example.com/",
            "",
        ] {
            assert!(
                matches!(prepare_url(bad), Err(FetchError::InvalidUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn redirect_rules() {
        let ok = [
            ("https://a.com/x", "https://a.com/y"),
            ("https://a.com/x", "https://www.a.com/y"),
            ("https://www.a.com/x", "https://a.com/"),
            ("https://A.com/", "https://a.COM/z"),
            ("http://127.0.0.1:5/", "http://127.0.0.1:5/other"),
            ("http://a.com/", "https://a.com/"),
        ];
        for (from, to) in ok {
            assert!(redirect_allowed(&u(from), &u(to)), "{from} -> {to}");
        }
        let refused = [
            ("https://a.com/", "https://b.com/"),
            ("https://a.com/", "https://sub.a.com/"),
            ("https://a.com/", "https://a.com.evil.net/"),
            ("https://a.com/", "http://a.com/"),
            ("https://a.com/", "https://a.com:8443/"),
            ("http://127.0.0.1:5/", "http://127.0.0.1:6/"),
            ("https://a.com/", "https://u:p@a.com/"),
            ("http://localhost:5/", "http://127.0.0.1:5/"),
        ];
        for (from, to) in refused {
            assert!(!redirect_allowed(&u(from), &u(to)), "{from} -> {to}");
        }
    }

    #[test]
    fn redirect_message_names_both_urls_and_status() {
        let m = redirect_message("https://a.com/x", "https://b.com/y", 301, "get docs");
        assert!(m.starts_with("REDIRECT DETECTED: The URL redirects to a different host."));
        assert!(m.contains("Original URL: https://a.com/x"));
        assert!(m.contains("Redirect URL: https://b.com/y"));
        assert!(m.contains("Status: 301 Moved Permanently"));
        assert!(m.contains("call WebFetch again with url \"https://b.com/y\""));
    }

    #[test]
    fn content_types() {
        assert_eq!(classify("text/html; charset=UTF-8"), Some(BodyKind::Html));
        assert_eq!(classify("application/xhtml+xml"), Some(BodyKind::Html));
        for t in [
            "text/plain",
            "text/markdown",
            "application/json",
            "application/ld+json",
            "image/svg+xml",
            "text/csv",
        ] {
            assert_eq!(classify(t), Some(BodyKind::Text), "{t}");
        }
        for t in [
            "image/png",
            "application/pdf",
            "video/mp4",
            "application/zip",
        ] {
            assert_eq!(classify(t), Some(BodyKind::Binary), "{t}");
        }
        assert_eq!(classify(""), None);
        assert_eq!(classify("application/octet-stream"), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0"), BodyKind::Binary);
        assert_eq!(sniff(b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"), BodyKind::Binary);
        assert_eq!(sniff(b"  <!DOCTYPE html><p>x"), BodyKind::Html);
        assert_eq!(sniff(b"\xef\xbb\xbf<html>"), BodyKind::Html);
        assert_eq!(sniff("plain text é".as_bytes()), BodyKind::Text);
    }

    #[test]
    fn decoding() {
        assert_eq!(decode_text("é".as_bytes(), "text/html"), "é");
        assert_eq!(decode_text(b"\xef\xbb\xbfx", ""), "x");
        assert_eq!(
            decode_text(b"caf\xe9 \x93q\x94", "text/html; charset=ISO-8859-1"),
            "café “q”"
        );
        assert_eq!(decode_text(b"caf\xe9", ""), "café");
        assert_eq!(
            decode_text(b"\x82\xa0x\xff", "text/html; charset=\"Shift_JIS\""),
            "\u{fffd}\u{fffd}x\u{fffd}"
        );
        assert_eq!(
            charset_of("text/html; Charset=\"UTF-8\""),
            Some("utf-8".into())
        );
    }

    #[test]
    fn truncation_counts_chars() {
        assert_eq!(truncate_chars("héllo".into(), 2), ("hé".into(), true));
        assert_eq!(truncate_chars("hé".into(), 2), ("hé".into(), false));
    }

    fn page(content: &str) -> FetchedPage {
        FetchedPage {
            url: "https://a.com/".into(),
            status: 200,
            content_type: "text/html".into(),
            bytes: content.len(),
            content: content.into(),
        }
    }

    /// A clock the test moves by hand.
    fn manual_clock() -> (Arc<Mutex<Duration>>, Clock) {
        let base = Instant::now();
        let offset = Arc::new(Mutex::new(Duration::ZERO));
        let o = offset.clone();
        (offset, Box::new(move || base + *o.lock().unwrap()))
    }

    #[test]
    fn cache_entries_expire() {
        let (offset, clock) = manual_clock();
        let cache = PageCache::new(clock);
        cache.insert("k", page("hello"));
        *offset.lock().unwrap() = Duration::from_secs(14 * 60);
        assert_eq!(cache.get("k").unwrap().content, "hello");
        *offset.lock().unwrap() = Duration::from_secs(15 * 60);
        assert!(cache.get("k").is_none());
        assert!(cache.is_empty(), "expired entries are dropped");
    }

    #[test]
    fn cache_is_bounded_by_count_and_bytes() {
        let (_offset, clock) = manual_clock();
        let cache = PageCache::with_limits(CACHE_TTL, 3, 10, clock);
        cache.insert("a", page("1111"));
        cache.insert("b", page("2222"));
        // Using "a" makes "b" the least recently used.
        assert!(cache.get("a").is_some());
        cache.insert("c", page("33"));
        assert_eq!(cache.len(), 3);
        cache.insert("d", page("4"));
        assert_eq!(cache.len(), 3);
        assert!(cache.get("b").is_none(), "least recently used goes first");
        // Bytes: a(4) + c(2) + d(1) = 7; adding 5 more evicts until ≤ 10.
        cache.insert("e", page("55555"));
        assert!(cache.get("a").is_none());
        assert!(cache.get("e").is_some());
        assert!(cache.get("d").is_some());
        // An entry larger than the whole budget is not stored.
        cache.insert("huge", page("x".repeat(11).as_str()));
        assert!(cache.get("huge").is_none());
        // Re-inserting a key replaces it.
        cache.insert("d", page("new"));
        assert_eq!(cache.get("d").unwrap().content, "new");
    }

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
        cache.insert(url, page("# Cached page"));
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
