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
    #[error("rate limited (HTTP 429) after {attempts} attempts: {message}")]
    RateLimited { attempts: u32, message: String },
    #[error("the API is overloaded (HTTP 529) after {attempts} attempts: {message}")]
    Overloaded { attempts: u32, message: String },
    #[error("API server error (HTTP {status}) after {attempts} attempts: {message}")]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("cannot reach the API at {url} after {attempts} attempts: {message}")]
    Connection {
        url: String,
        attempts: u32,
        message: String,
    },
    #[error("no data from the API for {secs}s (API_TIMEOUT_MS); giving up")]
    Timeout { secs: u64 },
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
}

impl ApiError {
    /// The HTTP status behind the error, when there was one (`api_error_status`).
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { status, .. } => Some(*status),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::PromptTooLong { .. } => Some(400),
            ApiError::InvalidRequest { status, .. } => Some(*status),
            ApiError::RateLimited { .. } => Some(429),
            ApiError::Overloaded { .. } => Some(529),
            ApiError::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Claude Code's `error` category for assistant messages.
    pub fn category(&self) -> &'static str {
        match self {
            ApiError::Unauthorized { .. } | ApiError::Auth(_) => "authentication_failed",
            ApiError::Forbidden { .. } => "billing_error",
            ApiError::PromptTooLong { .. } | ApiError::InvalidRequest { .. } => "invalid_request",
            ApiError::RateLimited { .. } => "rate_limit",
            ApiError::Overloaded { .. } => "overloaded",
            ApiError::Server { .. } => "server_error",
            _ => "unknown",
        }
    }
}
