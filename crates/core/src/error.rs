//! Errors that end a turn: transport, HTTP status, stream and auth failures. (A failed tool call
//! is not an error: it goes back to the model as an `is_error` tool_result.)

use crate::auth::AuthError;

/// An error and its chain of sources, `outer: inner: innermost` (reqwest hides the useful part,
/// e.g. "connection refused", in the sources).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    msg
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(
        "authentication failed (HTTP {status}): {message} — check ANTHROPIC_API_KEY or run `ccrs login`"
    )]
    Unauthorized { status: u16, message: String },
    #[error("permission denied by the API (HTTP 403): {message}")]
    Forbidden { message: String },
    #[error("prompt is too long for the model's context window (HTTP 400): {message}")]
    PromptTooLong { message: String },
    #[error("invalid request (HTTP {status}): {message}")]
    InvalidRequest { status: u16, message: String },
    #[error("rate limited (HTTP 429): {message}")]
    RateLimited { message: String },
    #[error("the API is overloaded (HTTP 529): {message}")]
    Overloaded { message: String },
    #[error("API server error (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    /// Something other than the Anthropic API answered (a captive portal, a proxy's page, a
    /// wrong `ANTHROPIC_BASE_URL`).
    #[error(
        "{url} did not answer like the Anthropic API (HTTP {status}, content-type {content_type}{snippet}) — check ANTHROPIC_BASE_URL, and whether a proxy or captive portal is in the way (HTTPS_PROXY, NO_PROXY)"
    )]
    NotApi {
        url: String,
        status: u16,
        content_type: String,
        /// `: "…"`, a short excerpt of the page (its title when it has one), or empty.
        snippet: String,
    },
    /// No usable connection: `message` says what failed and which variable to check.
    #[error("{message}")]
    Connection { url: String, message: String },
    /// Nothing arrived for `ms` (`limit` says which setting made it that long).
    #[error("the API sent nothing for {}s ({limit})", fmt_secs(*.ms))]
    Timeout { ms: u64, limit: String },
    #[error("the API stream ended unexpectedly: {0}")]
    StreamEnded(String),
    #[error("the API reported an error during the stream: {kind}: {message}")]
    StreamError { kind: String, message: String },
    #[error("malformed event from the API: {0}")]
    Malformed(String),
    #[error("request cancelled")]
    Cancelled,
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The last failure of a request that was tried `attempts` times.
    #[error("{last} (gave up after {attempts} attempts in {}s)", fmt_secs(*.elapsed_ms))]
    GaveUp {
        attempts: u32,
        elapsed_ms: u64,
        last: Box<ApiError>,
    },
}

fn fmt_secs(ms: u64) -> String {
    if ms < 10_000 {
        format!("{:.1}", ms as f64 / 1000.0)
    } else {
        (ms / 1000).to_string()
    }
}

impl ApiError {
    /// The error behind a [`ApiError::GaveUp`] (itself otherwise).
    pub fn last(&self) -> &ApiError {
        match self {
            ApiError::GaveUp { last, .. } => last.last(),
            other => other,
        }
    }

    /// How many attempts the request had (1 unless it was retried).
    pub fn attempts(&self) -> u32 {
        match self {
            ApiError::GaveUp { attempts, .. } => *attempts,
            _ => 1,
        }
    }

    /// The HTTP status behind the error, when there was one (`api_error_status`).
    pub fn status(&self) -> Option<u16> {
        match self.last() {
            ApiError::Unauthorized { status, .. } => Some(*status),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::PromptTooLong { .. } => Some(400),
            ApiError::InvalidRequest { status, .. } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::Overloaded { .. } => Some(529),
            ApiError::Server { status, .. } => Some(*status),
            ApiError::NotApi { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Claude Code's `error` category for assistant messages and `api_retry` lines.
    pub fn category(&self) -> &'static str {
        match self.last() {
            ApiError::Unauthorized { .. } | ApiError::Auth(_) => "authentication_failed",
            ApiError::Forbidden { .. } => "billing_error",
            ApiError::PromptTooLong { .. } | ApiError::InvalidRequest { .. } => "invalid_request",
            ApiError::RateLimited { .. } => "rate_limit",
            ApiError::Overloaded { .. } => "overloaded",
            ApiError::Server { .. } => "server_error",
            ApiError::StreamError { kind, .. } => match kind.as_str() {
                "overloaded_error" => "overloaded",
                "rate_limit_error" => "rate_limit",
                "api_error" => "server_error",
                "invalid_request_error" => "invalid_request",
                "authentication_error" => "authentication_failed",
                _ => "unknown",
            },
            _ => "unknown",
        }
    }
}
