//! The HTTP client for `POST /v1/messages` (streaming), with retries.

use super::request::MessagesRequest;
use super::sse::{SseDecoder, SseEvent};
pub use super::stream::StreamUpdate;
use super::stream::{MalformedToolInput, MessageAssembler};
use super::types::{AssistantMessage, Message};
use crate::auth::{AuthHeader, AuthProvider, Credential};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The first system block the API requires with Claude-account OAuth tokens.
pub const OAUTH_IDENTITY: &str = "You are Claude Code, Anthropic's official CLI for Claude.";

/// Client settings, mostly from the environment.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// `ANTHROPIC_BASE_URL` (default `https://api.anthropic.com`), without trailing slash.
    pub base_url: String,
    /// `API_TIMEOUT_MS`: the longest wait for the response or for the next bytes of the stream.
    pub timeout: Duration,
    /// Retries after the first attempt (`CLAUDE_CODE_MAX_RETRIES`, default 10).
    pub max_retries: u32,
    pub user_agent: String,
    /// `anthropic-beta` values (`--betas`), joined with commas.
    pub betas: Vec<String>,
    /// `ANTHROPIC_CUSTOM_HEADERS` (`Name: Value` per line).
    pub custom_headers: Vec<(String, String)>,
    /// Sent as `X-Claude-Code-Session-Id`.
    pub session_id: String,
    /// Longest `retry-after` honoured; longer waits are capped.
    pub max_retry_after: Duration,
}

impl ClientConfig {
    pub fn from_env(session_id: &str) -> Self {
        let env = crate::env::nonempty;
        let base_url = env("ANTHROPIC_BASE_URL")
            .unwrap_or_else(|| "https://api.anthropic.com".to_string())
            .trim_end_matches('/')
            .to_string();
        let timeout = crate::env::parse::<u64>("API_TIMEOUT_MS")
            .filter(|v| *v > 0)
            .map(Duration::from_millis)
            .unwrap_or(Duration::from_secs(600));
        let max_retries = crate::env::parse("CLAUDE_CODE_MAX_RETRIES").unwrap_or(10);
        let custom_headers = env("ANTHROPIC_CUSTOM_HEADERS")
            .map(|h| {
                h.lines()
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                    .filter(|(k, _)| !k.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        ClientConfig {
            base_url,
            timeout,
            max_retries,
            user_agent: format!("ccrs/{}", crate::VERSION),
            betas: Vec::new(),
            custom_headers,
            session_id: session_id.to_string(),
            max_retry_after: Duration::from_secs(300),
        }
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
    Retry {
        attempt: u32,
        max_retries: u32,
        delay_ms: u64,
        status: Option<u16>,
        error: String,
    },
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
}

/// Why one attempt failed, and whether another may follow.
struct AttemptError {
    error: ApiError,
    retryable: bool,
    retry_after: Option<Duration>,
    status: Option<u16>,
}

impl AttemptError {
    fn fatal(error: ApiError) -> Self {
        let status = error.status();
        AttemptError {
            error,
            retryable: false,
            retry_after: None,
            status,
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

/// Exponential backoff with jitter: 0.5 s, 1 s, 2 s, … capped at 32 s, each scaled by 75–100 %.
fn backoff(attempt: u32) -> Duration {
    let base = 500u64
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(6))
        .min(32_000);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = 0.75 + (nanos % 1000) as f64 / 4000.0;
    Duration::from_millis((base as f64 * jitter) as u64)
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

impl ApiClient {
    pub fn new(cfg: ClientConfig, auth: Arc<dyn AuthProvider>) -> Result<Self, ApiError> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30).min(cfg.timeout))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ApiError::Connection {
                url: cfg.base_url.clone(),
                attempts: 0,
                message: e.to_string(),
            })?;
        Ok(ApiClient { http, cfg, auth })
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

    /// Sends `req` with `messages` and streams the answer, retrying transient failures.
    /// `on_event` sees every update; it must not block.
    pub async fn stream(
        &self,
        req: &MessagesRequest,
        messages: &[Message],
        cancel: &CancelToken,
        on_event: &mut (dyn FnMut(ClientEvent) + Send),
    ) -> Result<StreamOutcome, ApiError> {
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut refreshed = false;
        loop {
            attempt += 1;
            // Fetching the credential may run `apiKeyHelper` or wait for an OAuth refresh:
            // cancellable like the request itself.
            let cred = unless_cancelled(cancel, self.auth.credential()).await??;
            let result =
                unless_cancelled(cancel, self.attempt(req, messages, &cred, on_event)).await?;
            match result {
                Ok((message, malformed_tool_inputs, ttft)) => {
                    return Ok(StreamOutcome {
                        message,
                        malformed_tool_inputs,
                        api_duration: started.elapsed(),
                        ttft,
                    });
                }
                Err(e) => {
                    if e.status == Some(401) && !refreshed {
                        refreshed = true;
                        if unless_cancelled(cancel, self.auth.refresh_after_unauthorized(&cred))
                            .await??
                        {
                            attempt -= 1;
                            continue;
                        }
                    }
                    if !e.retryable || attempt > self.cfg.max_retries {
                        return Err(match e.error {
                            ApiError::RateLimited { message, .. } => ApiError::RateLimited {
                                attempts: attempt,
                                message,
                            },
                            ApiError::Overloaded { message, .. } => ApiError::Overloaded {
                                attempts: attempt,
                                message,
                            },
                            ApiError::Server {
                                status, message, ..
                            } => ApiError::Server {
                                status,
                                attempts: attempt,
                                message,
                            },
                            ApiError::Connection { url, message, .. } => ApiError::Connection {
                                url,
                                attempts: attempt,
                                message,
                            },
                            other => other,
                        });
                    }
                    let delay = e
                        .retry_after
                        .map(|d| d.min(self.cfg.max_retry_after))
                        .unwrap_or_else(|| backoff(attempt));
                    on_event(ClientEvent::Retry {
                        attempt,
                        max_retries: self.cfg.max_retries,
                        delay_ms: delay.as_millis() as u64,
                        status: e.status,
                        error: e.error.to_string(),
                    });
                    unless_cancelled(cancel, tokio::time::sleep(delay)).await?;
                }
            }
        }
    }

    async fn attempt(
        &self,
        req: &MessagesRequest,
        messages: &[Message],
        cred: &Credential,
        on_event: &mut (dyn FnMut(ClientEvent) + Send),
    ) -> Result<(AssistantMessage, Vec<MalformedToolInput>, Option<Duration>), AttemptError> {
        let url = format!("{}/v1/messages", self.cfg.base_url);
        let prefix = (cred.is_oauth && req.system.first().is_none_or(|b| b.text != OAUTH_IDENTITY))
            .then_some(OAUTH_IDENTITY);
        let body = req.body(messages, prefix).map_err(|e| {
            AttemptError::fatal(ApiError::Malformed(format!("cannot encode request: {e}")))
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
        let mut rb = self
            .http
            .post(&url)
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .header("user-agent", &self.cfg.user_agent)
            .header("x-claude-code-session-id", &self.cfg.session_id);
        rb = match &cred.header {
            AuthHeader::ApiKey(k) => rb.header("x-api-key", k),
            AuthHeader::Bearer(t) => rb.bearer_auth(t),
            AuthHeader::Both(v) => rb.header("x-api-key", v).bearer_auth(v),
        };
        if !betas.is_empty() {
            rb = rb.header("anthropic-beta", betas.join(","));
        }
        for (k, v) in &self.cfg.custom_headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        let sent = Instant::now();
        let timeout = self.cfg.timeout;
        let timed_out = || AttemptError {
            error: ApiError::Timeout {
                secs: timeout.as_secs(),
            },
            retryable: true,
            retry_after: None,
            status: None,
        };
        let resp = match tokio::time::timeout(timeout, rb.body(body).send()).await {
            Err(_) => return Err(timed_out()),
            Ok(Err(e)) => {
                return Err(AttemptError {
                    error: ApiError::Connection {
                        url,
                        attempts: 0,
                        message: crate::error::error_chain(&e),
                    },
                    retryable: true,
                    retry_after: None,
                    status: None,
                });
            }
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
        if status != 200 {
            let retry_after = parse_retry_after(resp.headers());
            let should_retry_header = resp
                .headers()
                .get("x-should-retry")
                .and_then(|v| v.to_str().ok())
                .map(|v| v == "true");
            let text = match tokio::time::timeout(timeout, resp.text()).await {
                Ok(Ok(t)) => t,
                _ => String::new(),
            };
            let message = error_message(&text);
            let error = match status {
                401 => ApiError::Unauthorized { status, message },
                403 => ApiError::Forbidden { message },
                400 | 413 if message.to_ascii_lowercase().contains("prompt is too long") => {
                    ApiError::PromptTooLong { message }
                }
                429 => ApiError::RateLimited {
                    attempts: 0,
                    message,
                },
                529 => ApiError::Overloaded {
                    attempts: 0,
                    message,
                },
                s if s >= 500 => ApiError::Server {
                    status,
                    attempts: 0,
                    message,
                },
                _ => ApiError::InvalidRequest { status, message },
            };
            let retryable =
                should_retry_header.unwrap_or(matches!(status, 408 | 409 | 429) || status >= 500);
            return Err(AttemptError {
                error,
                retryable,
                retry_after,
                status: Some(status),
            });
        }
        on_event(ClientEvent::ResponseStarted {
            request_id: request_id.clone(),
        });
        let mut resp = resp;
        let mut decoder = SseDecoder::new();
        let mut assembler = MessageAssembler::new();
        let mut events: Vec<SseEvent> = Vec::new();
        let mut updates = Vec::new();
        let mut ttft = None;
        loop {
            let chunk = match tokio::time::timeout(timeout, resp.chunk()).await {
                Err(_) => {
                    let mut e = timed_out();
                    e.retryable = !assembler.content_seen();
                    return Err(e);
                }
                Ok(Err(e)) => {
                    return Err(AttemptError {
                        error: ApiError::StreamEnded(format!(
                            "connection lost: {}",
                            crate::error::error_chain(&e)
                        )),
                        retryable: !assembler.content_seen(),
                        retry_after: None,
                        status: None,
                    });
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(c))) => c,
            };
            ttft.get_or_insert_with(|| sent.elapsed());
            decoder
                .push(&chunk, &mut events)
                .map_err(|e| AttemptError::fatal(ApiError::Malformed(e)))?;
            for ev in events.drain(..) {
                if let Err(error) = assembler.handle(&ev, &mut updates) {
                    let retryable = matches!(&error, ApiError::StreamError { kind, .. }
                        if matches!(kind.as_str(), "overloaded_error" | "api_error" | "rate_limit_error"))
                        && !assembler.content_seen();
                    return Err(AttemptError {
                        error,
                        retryable,
                        retry_after: None,
                        status: None,
                    });
                }
                for u in updates.drain(..) {
                    on_event(ClientEvent::Update(u));
                }
            }
            if assembler.is_complete() {
                // Read the end of the chunked body too: a response dropped before its end
                // closes the connection, and the next turn would pay a new TCP + TLS handshake.
                let _ = tokio::time::timeout(DRAIN_AFTER_STOP, async {
                    while let Ok(Some(_)) = resp.chunk().await {}
                })
                .await;
                break;
            }
        }
        let content_seen = assembler.content_seen();
        match assembler.finish(request_id) {
            Ok((m, bad)) => Ok((m, bad, ttft)),
            Err(error) => Err(AttemptError {
                error,
                retryable: !content_seen,
                retry_after: None,
                status: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(1) <= Duration::from_millis(500));
        assert!(backoff(1) >= Duration::from_millis(375));
        assert!(backoff(3) >= Duration::from_millis(1500));
        assert!(backoff(30) <= Duration::from_secs(32));
    }

    #[test]
    fn error_messages_are_extracted() {
        assert_eq!(
            error_message(r#"{"type":"error","error":{"type":"x","message":"bad key"}}"#),
            "bad key"
        );
        assert_eq!(error_message("<html>oops</html>"), "<html>oops</html>");
        assert_eq!(error_message(""), "(no details)");
    }
}
