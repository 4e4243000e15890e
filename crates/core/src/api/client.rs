//! The HTTP client for `POST /v1/messages`: a streaming request, checked, assembled and retried
//! within the bounds of [`super::retry`].
//!
//! A stream that fails after output was shown is retried like any transient failure: the front
//! ends get a [`RetryNotice`] with `discarded_output` and the retry's answer replaces the partial
//! one. After two such breaks in a row the remaining attempts go without streaming (Claude Code
//! falls back to a non-streaming request as well), for proxies that cut long-lived responses.
//! An answer that is not the API's (an HTML page, a wrong content type) fails at once with the
//! content type and a hint.

use super::request::MessagesRequest;
use super::retry::{Budget, Class, RetryNotice, RetryPolicy};
use super::sse::{SseDecoder, SseEvent};
pub use super::stream::StreamUpdate;
use super::stream::{MalformedToolInput, MessageAssembler, events_of_message};
use super::types::{AssistantMessage, Message};
use crate::auth::{AuthHeader, AuthProvider, Credential};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use crate::net::{Failure, NetConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The first system block the API requires with Claude-account OAuth tokens.
pub const OAUTH_IDENTITY: &str = "You are Claude Code, Anthropic's official CLI for Claude.";

/// The longest silence before the headers or inside a stream when nothing is configured (what
/// Claude Code allows the first-party API).
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(180);

/// `max_tokens` of a non-streaming fallback request: larger answers take longer than the API
/// lets a non-streaming request run (Claude Code uses the same cap).
const NON_STREAMING_MAX_TOKENS: u64 = 64_000;

/// How much of a body that is not the API's answer is read for the error message.
const NOT_API_EXCERPT: usize = 64 * 1024;

/// Client settings, mostly from the environment.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `ANTHROPIC_BASE_URL` (default `https://api.anthropic.com`), without trailing slash.
    pub base_url: String,
    /// `API_TIMEOUT_MS` (default 600 s): the longest a request may wait for its answer; a
    /// non-streaming answer must be complete by then.
    pub timeout: Duration,
    /// The longest silence before the response headers or between two pieces of a stream:
    /// `CLAUDE_STREAM_IDLE_TIMEOUT_MS`, else `API_TIMEOUT_MS` when set, else 180 s; never more
    /// than `timeout`.
    pub stall_timeout: Duration,
    /// What set `stall_timeout`, for the timeout message (`API_TIMEOUT_MS=5000`).
    pub stall_limit: String,
    /// Retry limits (`CLAUDE_CODE_MAX_RETRIES` sets `max_retries`).
    pub retry: RetryPolicy,
    pub user_agent: String,
    /// `anthropic-beta` values (`--betas`), joined with commas.
    pub betas: Vec<String>,
    /// `ANTHROPIC_CUSTOM_HEADERS` (`Name: Value` per line).
    pub custom_headers: Vec<(String, String)>,
    /// Sent as `X-Claude-Code-Session-Id`.
    pub session_id: String,
    /// Proxies and extra CAs.
    pub net: NetConfig,
    /// Where the `/v1/models` list is cached ([`crate::models::catalog`]); `None`: never
    /// fetched.
    pub model_cache: Option<std::path::PathBuf>,
}

impl ClientConfig {
    /// Defaults for `base_url`, reading no environment (tests, and the base of
    /// [`from_env`](Self::from_env)).
    pub fn new(base_url: &str, session_id: &str) -> Self {
        ClientConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            timeout: Duration::from_secs(600),
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            stall_limit: "the default stall limit; set API_TIMEOUT_MS to change it".into(),
            retry: RetryPolicy::default(),
            user_agent: format!("ccrs/{}", crate::VERSION),
            betas: Vec::new(),
            custom_headers: Vec::new(),
            session_id: session_id.to_string(),
            net: NetConfig::default(),
            model_cache: None,
        }
    }

    pub fn from_env(session_id: &str) -> Self {
        let env = crate::env::nonempty;
        let base_url =
            env("ANTHROPIC_BASE_URL").unwrap_or_else(|| "https://api.anthropic.com".into());
        let mut cfg = ClientConfig::new(base_url.trim(), session_id);
        let ms = |k: &str| crate::env::parse::<u64>(k).filter(|v| *v > 0);
        if let Some(t) = ms("API_TIMEOUT_MS") {
            cfg.timeout = Duration::from_millis(t);
            cfg.stall_timeout = cfg.timeout;
            cfg.stall_limit = format!("API_TIMEOUT_MS={t}");
        }
        if let Some(t) = ms("CLAUDE_STREAM_IDLE_TIMEOUT_MS") {
            cfg.stall_timeout = Duration::from_millis(t).min(cfg.timeout);
            cfg.stall_limit = format!("CLAUDE_STREAM_IDLE_TIMEOUT_MS={t}");
        }
        if let Some(n) = crate::env::parse("CLAUDE_CODE_MAX_RETRIES") {
            cfg.retry.max_retries = n;
        }
        cfg.custom_headers = env("ANTHROPIC_CUSTOM_HEADERS")
            .map(|h| {
                h.lines()
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .filter(|(k, _)| !k.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        cfg.net = NetConfig::from_env();
        cfg.model_cache = Some(crate::models::catalog::default_path());
        cfg
    }

    /// The stall limit in force (never more than the request timeout).
    fn stall(&self) -> Duration {
        self.stall_timeout.min(self.timeout)
    }
}

/// What the client reports while a request runs.
#[derive(Clone, Debug)]
pub enum ClientEvent {
    /// The API accepted the request and the stream begins (`request-id` header, if any).
    ResponseStarted {
        request_id: Option<String>,
    },
    Update(StreamUpdate),
    /// A failed attempt is tried again (output it streamed is void).
    Retry(RetryNotice),
}

/// A completed request.
#[derive(Clone, Debug)]
pub struct StreamOutcome {
    pub message: AssistantMessage,
    /// tool_use blocks whose input was not valid JSON.
    pub malformed_tool_inputs: Vec<MalformedToolInput>,
    /// Time from sending to the last byte, over every attempt.
    pub api_duration: Duration,
    /// Time to the first streamed byte of the successful attempt.
    pub ttft: Option<Duration>,
}

pub struct ApiClient {
    http: reqwest::Client,
    cfg: ClientConfig,
    auth: Arc<dyn AuthProvider>,
    /// The model list was checked (and refreshed if stale) in this process.
    models_checked: std::sync::atomic::AtomicBool,
}

/// Why one attempt failed, and whether another may follow.
struct AttemptError {
    error: ApiError,
    class: Class,
    retry_after: Option<Duration>,
    status: Option<u16>,
    /// The attempt had streamed output (text, thinking or tool input) before it failed.
    shown_output: bool,
    /// The response had begun (headers arrived) when it failed: the stream itself broke.
    broke_stream: bool,
}

impl AttemptError {
    fn new(error: ApiError, class: Class) -> Self {
        let status = error.status();
        AttemptError {
            error,
            class,
            retry_after: None,
            status,
            shown_output: false,
            broke_stream: false,
        }
    }
}

/// How long to wait for the end of the body after `message_stop` (it follows at once).
const DRAIN_AFTER_STOP: Duration = Duration::from_millis(500);

/// Installs ring as rustls's crypto provider (once per process; later calls do nothing). Every
/// `reqwest::Client` is built after it.
pub(crate) fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
    {
        return Some(Duration::from_millis(ms.max(0.0) as u64));
    }
    let v = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return Some(Duration::from_millis((secs.max(0.0) * 1000.0) as u64));
    }
    None
}

/// `fut`'s output, or [`ApiError::Cancelled`] as soon as `cancel` fires.
async fn unless_cancelled<T>(
    cancel: &CancelToken,
    fut: impl std::future::Future<Output = T>,
) -> Result<T, ApiError> {
    tokio::select! {
        r = fut => Ok(r),
        _ = cancel.cancelled() => Err(ApiError::Cancelled),
    }
}

fn is_json(content_type: &str) -> bool {
    let ct = content_type.to_ascii_lowercase();
    ct.starts_with("application/json") || (ct.starts_with("application/") && ct.contains("+json"))
}

/// A short, single-line excerpt of a page that is not an API answer: its `<title>` when it has
/// one, else the start of its text without tags.
fn page_excerpt(body: &str) -> String {
    let lower = body.to_ascii_lowercase();
    let text = match (lower.find("<title"), lower.find("</title>")) {
        (Some(a), Some(b)) if a < b => {
            let start = body[a..].find('>').map(|i| a + i + 1).unwrap_or(b);
            body[start.min(b)..b].to_string()
        }
        _ => {
            let mut out = String::new();
            let mut in_tag = false;
            for c in body.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => {
                        in_tag = false;
                        out.push(' ');
                    }
                    c if !in_tag => out.push(c),
                    _ => {}
                }
            }
            out
        }
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    let mut excerpt: String = joined.chars().take(120).collect();
    if joined.chars().count() > 120 {
        excerpt.push('…');
    }
    excerpt
}

/// The message of an API error body, or a short excerpt of whatever else it is.
fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(|e| e.get("message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| {
            let t: String = body.trim().chars().take(300).collect();
            if t.is_empty() {
                "(no details)".to_string()
            } else {
                t
            }
        })
}

/// A response body that broke off: transient.
fn connection_lost(e: &reqwest::Error) -> AttemptError {
    AttemptError::new(
        ApiError::StreamEnded(format!("connection lost: {}", crate::error::error_chain(e))),
        Class::Transient,
    )
}

/// Reads at most `limit` bytes of a body (for error messages), within `wait`.
async fn read_some(resp: &mut reqwest::Response, limit: usize, wait: Duration) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(wait, async {
        while out.len() < limit {
            match resp.chunk().await {
                Ok(Some(c)) => out.extend_from_slice(&c),
                _ => break,
            }
        }
    })
    .await;
    out.truncate(limit);
    String::from_utf8_lossy(&out).into_owned()
}

impl ApiClient {
    pub fn new(cfg: ClientConfig, auth: Arc<dyn AuthProvider>) -> Result<Self, ApiError> {
        let http = cfg
            .net
            .builder()
            .connect_timeout(Duration::from_secs(30).min(cfg.stall()))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| {
                let explained = crate::net::explain(&e, &cfg.base_url, &cfg.net);
                ApiError::Connection {
                    url: cfg.base_url.clone(),
                    message: format!("cannot set up the HTTP client: {}", explained.message),
                }
            })?;
        Ok(ApiClient {
            http,
            cfg,
            auth,
            models_checked: Default::default(),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    pub fn auth(&self) -> &Arc<dyn AuthProvider> {
        &self.auth
    }

    /// The shared HTTP client (for tools that fetch web pages).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `req` with `messages` and streams the answer, retrying transient failures within
    /// the [`RetryPolicy`]. `on_event` sees every update; it must not block.
    pub async fn stream(
        &self,
        req: &MessagesRequest,
        messages: &[Message],
        cancel: &CancelToken,
        on_event: &mut (dyn FnMut(ClientEvent) + Send),
    ) -> Result<StreamOutcome, ApiError> {
        let started = Instant::now();
        let mut budget = Budget::new(self.cfg.retry.clone());
        let mut attempts: u32 = 0;
        let mut refreshed = false;
        let mut broken_streams = 0u32;
        loop {
            attempts += 1;
            let streaming = broken_streams < 2;
            // Fetching the credential may run `apiKeyHelper` or wait for an OAuth refresh:
            // cancellable like the request itself.
            let cred = unless_cancelled(cancel, self.auth.credential()).await??;
            self.refresh_models_alongside(&cred);
            let result = unless_cancelled(
                cancel,
                self.attempt(req, messages, &cred, streaming, on_event),
            )
            .await?;
            let e = match result {
                Ok((message, malformed_tool_inputs, ttft)) => {
                    return Ok(StreamOutcome {
                        message,
                        malformed_tool_inputs,
                        api_duration: started.elapsed(),
                        ttft,
                    });
                }
                Err(e) => e,
            };
            if e.status == Some(401) && !refreshed {
                refreshed = true;
                if unless_cancelled(cancel, self.auth.refresh_after_unauthorized(&cred)).await?? {
                    attempts -= 1;
                    continue;
                }
            }
            broken_streams = if e.broke_stream {
                broken_streams + 1
            } else {
                0
            };
            let Some(granted) = budget.next(e.class, e.retry_after) else {
                return Err(if attempts > 1 {
                    ApiError::GaveUp {
                        attempts,
                        elapsed_ms: started.elapsed().as_millis() as u64,
                        last: Box::new(e.error),
                    }
                } else {
                    e.error
                });
            };
            on_event(ClientEvent::Retry(RetryNotice {
                attempt: granted.attempt,
                max_retries: granted.max_retries,
                delay_ms: granted.delay.as_millis() as u64,
                status: e.status,
                category: e.error.category(),
                message: e.error.to_string(),
                discarded_output: e.shown_output,
                non_streaming: broken_streams >= 2,
            }));
            unless_cancelled(cancel, tokio::time::sleep(granted.delay)).await?;
        }
    }

    /// With the first request of the process, fetches `GET /v1/models` alongside (its own
    /// task and connection) when the cached list is missing or a day old, for the next run's
    /// alias resolution: the request never waits for it, and it is usually done before the
    /// answer is (a `-p` run exiting first just leaves the cache for another run). A failure
    /// leaves the cache as it was.
    fn refresh_models_alongside(&self, cred: &Credential) {
        use std::sync::atomic::Ordering;
        let Some(path) = self.cfg.model_cache.clone() else {
            return;
        };
        if self.models_checked.swap(true, Ordering::Relaxed) {
            return;
        }
        let base = self.cfg.base_url.clone();
        let now = crate::timeutil::now_ms();
        if crate::models::catalog::read(&path).is_some_and(|c| c.is_fresh(&base, now)) {
            return;
        }
        let rb = self.with_headers(self.http.get(format!("{base}/v1/models?limit=1000")), cred);
        tokio::spawn(async move {
            let fetch = async {
                let resp = rb.send().await.ok()?;
                if !resp.status().is_success() {
                    return None;
                }
                let bytes = resp.bytes().await.ok()?;
                let answer: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
                crate::models::catalog::Catalog::from_answer(&base, now, &answer)
            };
            if let Ok(Some(c)) = tokio::time::timeout(Duration::from_secs(10), fetch).await {
                let _ = crate::models::catalog::write(&path, &c);
            }
        });
    }

    /// The headers every API request carries: version, agent, session, credential, custom.
    fn with_headers(
        &self,
        mut rb: reqwest::RequestBuilder,
        cred: &Credential,
    ) -> reqwest::RequestBuilder {
        rb = rb
            .header("anthropic-version", "2023-06-01")
            .header("user-agent", &self.cfg.user_agent)
            .header("x-claude-code-session-id", &self.cfg.session_id);
        rb = match &cred.header {
            AuthHeader::ApiKey(k) => rb.header("x-api-key", k),
            AuthHeader::Bearer(t) => rb.bearer_auth(t),
            AuthHeader::Both(v) => rb.header("x-api-key", v).bearer_auth(v),
        };
        for (k, v) in &self.cfg.custom_headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        rb
    }

    /// The error for a failed send (no response): what failed and what to check.
    fn send_error(&self, e: &reqwest::Error, url: &str) -> AttemptError {
        let explained = crate::net::explain(e, url, &self.cfg.net);
        let base = &self.cfg.base_url;
        let (class, message) = match explained.failure {
            Failure::Tls | Failure::Proxy => (Class::Fatal, explained.message),
            Failure::Connect => (
                Class::Connect,
                format!(
                    "cannot reach the API at {base}: {} — check ANTHROPIC_BASE_URL and the network",
                    explained.message
                ),
            ),
            Failure::Other => (
                Class::Transient,
                format!("the request to {base} failed: {}", explained.message),
            ),
        };
        AttemptError::new(
            ApiError::Connection {
                url: url.to_string(),
                message,
            },
            class,
        )
    }

    fn timed_out(&self, limit: Duration) -> AttemptError {
        let label = if limit == self.cfg.stall() {
            self.cfg.stall_limit.clone()
        } else {
            format!("API_TIMEOUT_MS={}", limit.as_millis())
        };
        AttemptError::new(
            ApiError::Timeout {
                ms: limit.as_millis() as u64,
                limit: label,
            },
            Class::Timeout,
        )
    }

    async fn attempt(
        &self,
        req: &MessagesRequest,
        messages: &[Message],
        cred: &Credential,
        streaming: bool,
        on_event: &mut (dyn FnMut(ClientEvent) + Send),
    ) -> Result<(AssistantMessage, Vec<MalformedToolInput>, Option<Duration>), AttemptError> {
        let url = format!("{}/v1/messages", self.cfg.base_url);
        let prefix = (cred.is_oauth && req.system.first().is_none_or(|b| b.text != OAUTH_IDENTITY))
            .then_some(OAUTH_IDENTITY);
        let body = if streaming {
            req.body(messages, prefix)
        } else {
            let mut whole = req.clone();
            whole.max_tokens = whole.max_tokens.min(NON_STREAMING_MAX_TOKENS);
            whole.body_non_streaming(messages, prefix)
        }
        .map_err(|e| {
            AttemptError::new(
                ApiError::Malformed(format!("cannot encode request: {e}")),
                Class::Fatal,
            )
        })?;
        crate::debug_log!(
            crate::log::API,
            "POST {url}: model {}, {} messages, {} tools, {} bytes, {}",
            req.model,
            messages.len(),
            req.tools.len(),
            body.len(),
            if cred.is_oauth { "OAuth" } else { "API key" }
        );
        let mut betas = self.cfg.betas.clone();
        let mut add_beta = |b: &str| {
            if !betas.iter().any(|x| x == b) {
                betas.push(b.to_string());
            }
        };
        if cred.is_oauth {
            add_beta("claude-code-20250219");
            add_beta("oauth-2025-04-20");
        }
        if req.thinking.is_some() && !crate::env::flag("DISABLE_INTERLEAVED_THINKING") {
            add_beta("interleaved-thinking-2025-05-14");
        }
        if req.tools.iter().any(|t| t.defer_loading) {
            add_beta(super::request::TOOL_SEARCH_BETA);
        }
        // `name[1m]` asks for the 1M-token context window: the model is sent as `name`.
        if crate::models::split_1m(&req.model).1 {
            add_beta(crate::models::CONTEXT_1M_BETA);
        }
        let mut rb = self.with_headers(
            self.http
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json"),
            cred,
        );
        if !betas.is_empty() {
            rb = rb.header("anthropic-beta", betas.join(","));
        }
        // Streams must show signs of life within the stall limit; a non-streaming answer only
        // arrives when it is complete.
        let wait = if streaming {
            self.cfg.stall()
        } else {
            self.cfg.timeout
        };
        let sent = Instant::now();
        let resp = match tokio::time::timeout(wait, rb.body(body).send()).await {
            Err(_) => return Err(self.timed_out(wait)),
            Ok(Err(e)) => return Err(self.send_error(&e, &url)),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        let request_id = resp
            .headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        crate::debug_log!(
            crate::log::API,
            "HTTP {status} after {} ms (request-id {})",
            sent.elapsed().as_millis(),
            request_id.as_deref().unwrap_or("none")
        );
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .trim()
            .to_string();
        if status != 200 {
            return Err(self.status_error(resp, status, &content_type, &url).await);
        }
        let is_stream = content_type.is_empty()
            || content_type
                .to_ascii_lowercase()
                .starts_with("text/event-stream");
        if !is_stream && !is_json(&content_type) {
            let mut resp = resp;
            let body = read_some(&mut resp, NOT_API_EXCERPT, Duration::from_secs(2)).await;
            let excerpt = page_excerpt(&body);
            return Err(AttemptError::new(
                ApiError::NotApi {
                    url: self.cfg.base_url.clone(),
                    status,
                    content_type,
                    snippet: if excerpt.is_empty() {
                        String::new()
                    } else {
                        format!(": \"{excerpt}\"")
                    },
                },
                Class::Fatal,
            ));
        }
        on_event(ClientEvent::ResponseStarted {
            request_id: request_id.clone(),
        });
        let mut assembler = MessageAssembler::new();
        let result = if is_stream {
            self.read_stream(resp, wait, sent, &mut assembler, on_event)
                .await
        } else {
            self.read_whole(resp, &content_type, sent, &mut assembler, on_event)
                .await
        };
        let shown_output = assembler.content_seen();
        let ttft = match result {
            Ok(t) => t,
            Err(mut e) => {
                e.shown_output = shown_output;
                e.broke_stream = is_stream && e.class != Class::Fatal;
                return Err(e);
            }
        };
        match assembler.finish(request_id) {
            Ok((m, bad)) => Ok((m, bad, ttft)),
            Err(error) => {
                let mut e = AttemptError::new(error, Class::Transient);
                e.shown_output = shown_output;
                e.broke_stream = is_stream;
                Err(e)
            }
        }
    }

    /// The error for a response that is not 200.
    async fn status_error(
        &self,
        mut resp: reqwest::Response,
        status: u16,
        content_type: &str,
        url: &str,
    ) -> AttemptError {
        let retry_after = parse_retry_after(resp.headers());
        let should_retry_header = resp
            .headers()
            .get("x-should-retry")
            .and_then(|v| v.to_str().ok())
            .map(|v| v == "true");
        let text = read_some(&mut resp, NOT_API_EXCERPT, self.cfg.stall()).await;
        let json_body = serde_json::from_str::<serde_json::Value>(&text).is_ok();
        if status == 407 {
            let var = self
                .cfg
                .net
                .proxy_for_str(url)
                .map(|p| p.var)
                .unwrap_or("HTTPS_PROXY");
            return AttemptError::new(
                ApiError::Connection {
                    url: url.to_string(),
                    message: format!(
                        "the proxy asks for credentials (HTTP 407): put them in {var} as                          http://user:password@host:port"
                    ),
                },
                Class::Fatal,
            );
        }
        let mut message = error_message(&text);
        if !json_body && !text.trim().is_empty() {
            let excerpt = page_excerpt(&text);
            message = format!(
                "{} (content-type {}: not an API answer — a proxy or gateway may be in the way;                  check ANTHROPIC_BASE_URL, HTTPS_PROXY)",
                if excerpt.is_empty() { message } else { excerpt },
                if content_type.is_empty() {
                    "none"
                } else {
                    content_type
                }
            );
        }
        let error = match status {
            401 => ApiError::Unauthorized { status, message },
            403 => ApiError::Forbidden { message },
            400 | 413 if message.to_ascii_lowercase().contains("prompt is too long") => {
                ApiError::PromptTooLong { message }
            }
            429 => ApiError::RateLimited { message },
            529 => ApiError::Overloaded { message },
            s if s >= 500 => ApiError::Server { status, message },
            _ => ApiError::InvalidRequest { status, message },
        };
        let retryable =
            should_retry_header.unwrap_or(matches!(status, 408 | 409 | 429) || status >= 500);
        let mut e = AttemptError::new(
            error,
            if retryable {
                Class::Transient
            } else {
                Class::Fatal
            },
        );
        e.retry_after = retry_after;
        e.status = Some(status);
        e
    }

    /// Reads an event stream into `assembler`; returns the time to the first byte.
    async fn read_stream(
        &self,
        mut resp: reqwest::Response,
        stall: Duration,
        sent: Instant,
        assembler: &mut MessageAssembler,
        on_event: &mut (dyn FnMut(ClientEvent) + Send),
    ) -> Result<Option<Duration>, AttemptError> {
        let mut decoder = SseDecoder::new();
        let mut events: Vec<SseEvent> = Vec::new();
        let mut ttft = None;
        loop {
            let chunk = match tokio::time::timeout(stall, resp.chunk()).await {
                Err(_) => return Err(self.timed_out(stall)),
                Ok(Err(e)) => return Err(connection_lost(&e)),
                Ok(Ok(None)) => return Ok(ttft),
                Ok(Ok(Some(c))) => c,
            };
            ttft.get_or_insert_with(|| sent.elapsed());
            decoder
                .push(&chunk, &mut events)
                .map_err(|e| AttemptError::new(ApiError::Malformed(e), Class::Fatal))?;
            self.assemble(&mut events, assembler, on_event)?;
            if assembler.is_complete() {
                // Read the end of the chunked body too: a response dropped before its end
                // closes the connection, and the next turn would pay a new TCP + TLS handshake.
                let _ = tokio::time::timeout(DRAIN_AFTER_STOP, async {
                    while let Ok(Some(_)) = resp.chunk().await {}
                })
                .await;
                return Ok(ttft);
            }
        }
    }

    /// Reads a complete JSON answer (a non-streaming request's, or a gateway that ignored
    /// `"stream": true`) into `assembler` through the events a stream of it would have had.
    async fn read_whole(
        &self,
        resp: reqwest::Response,
        content_type: &str,
        sent: Instant,
        assembler: &mut MessageAssembler,
        on_event: &mut (dyn FnMut(ClientEvent) + Send),
    ) -> Result<Option<Duration>, AttemptError> {
        let text = match tokio::time::timeout(self.cfg.timeout, resp.text()).await {
            Err(_) => return Err(self.timed_out(self.cfg.timeout)),
            Ok(Err(e)) => return Err(connection_lost(&e)),
            Ok(Ok(t)) => t,
        };
        let ttft = Some(sent.elapsed());
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            AttemptError::new(
                ApiError::NotApi {
                    url: self.cfg.base_url.clone(),
                    status: 200,
                    content_type: content_type.to_string(),
                    snippet: format!(": invalid JSON ({e})"),
                },
                Class::Fatal,
            )
        })?;
        if value.get("type").and_then(|t| t.as_str()) != Some("message") {
            let mut events = vec![SseEvent {
                event: "error".into(),
                data: text,
            }];
            if value.get("error").is_some() {
                self.assemble(&mut events, assembler, on_event)?;
            }
            return Err(AttemptError::new(
                ApiError::NotApi {
                    url: self.cfg.base_url.clone(),
                    status: 200,
                    content_type: content_type.to_string(),
                    snippet: ": JSON that is not a message".into(),
                },
                Class::Fatal,
            ));
        }
        let mut events = events_of_message(&value);
        self.assemble(&mut events, assembler, on_event)?;
        Ok(ttft)
    }

    /// Feeds `events` to the assembler and its updates to `on_event`.
    fn assemble(
        &self,
        events: &mut Vec<SseEvent>,
        assembler: &mut MessageAssembler,
        on_event: &mut (dyn FnMut(ClientEvent) + Send),
    ) -> Result<(), AttemptError> {
        let mut updates = Vec::new();
        for ev in events.drain(..) {
            if let Err(error) = assembler.handle(&ev, &mut updates) {
                let class = match &error {
                    ApiError::StreamError { kind, .. }
                        if matches!(
                            kind.as_str(),
                            "overloaded_error" | "api_error" | "rate_limit_error"
                        ) =>
                    {
                        Class::Transient
                    }
                    _ => Class::Fatal,
                };
                for u in updates.drain(..) {
                    on_event(ClientEvent::Update(u));
                }
                return Err(AttemptError::new(error, class));
            }
            for u in updates.drain(..) {
                on_event(ClientEvent::Update(u));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_extracted() {
        assert_eq!(
            error_message(r#"{"type":"error","error":{"type":"x","message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(error_message("<html>oops</html>"), "<html>oops</html>");
        assert_eq!(error_message(""), "(no details)");
    }

    #[test]
    fn page_excerpts() {
        assert_eq!(
            page_excerpt("<html><head><TITLE>Network\n login</TITLE></head><body>x</body>"),
            "Network login"
        );
        assert_eq!(
            page_excerpt("<p>Access <b>denied</b></p>\n<p>by policy</p>"),
            "Access denied by policy"
        );
        assert_eq!(page_excerpt(&"a ".repeat(200)).chars().count(), 121);
    }

    #[test]
    fn content_types() {
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/html"));
    }
}
