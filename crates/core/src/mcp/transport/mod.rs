//! How JSON-RPC messages travel between ccrs and a server. A transport sends ccrs's messages
//! and delivers the server's into an [`Inbox`]; the [`super::client::Connection`] above it
//! matches responses to requests and answers the server's own requests.
//!
//! Four implementations: [`stdio`] (a child process, newline-delimited JSON), [`http`]
//! (streamable HTTP: POST, answers as JSON or an SSE stream), [`sse`] (the legacy HTTP+SSE
//! transport) and any [`Transport`] a host supplies — the SDK front end plugs servers that live
//! in the SDK process in this way (`mcp_message` over the control protocol): its `send`
//! forwards the message, and it pushes the host's reply into the inbox.

pub mod http;
pub mod sse;
pub mod stdio;

use super::McpError;
use crate::BoxFuture;
use serde_json::Value;
use tokio::sync::mpsc;

/// What a transport delivers.
#[derive(Debug)]
pub enum Inbound {
    /// One JSON-RPC message from the server (a response, a request or a notification).
    Message(Value),
    /// The connection ended; the text says why ("exited with status 1", "stream closed").
    Closed(String),
}

/// Where a transport delivers what the server sends. Bounded: a server that floods
/// notifications is slowed down, not buffered without limit.
pub type Inbox = mpsc::Sender<Inbound>;

/// The inbox capacity.
pub const INBOX: usize = 64;

/// A connection to one server.
pub trait Transport: Send + Sync {
    /// Sends one JSON-RPC message. For a request, the response arrives in the inbox.
    fn send(&self, msg: Value) -> BoxFuture<'_, Result<(), McpError>>;

    /// Ends the connection: a stdio server gets end of file on stdin and, if it has not exited
    /// within `grace`, is killed with everything it started.
    fn close(&self, grace: std::time::Duration) -> BoxFuture<'_, ()>;

    /// Told once `initialize` has answered (streamable HTTP sends it as a header).
    fn set_protocol_version(&self, _version: &str) {}

    /// The last lines the server wrote to stderr, for reports (stdio only).
    fn stderr_tail(&self) -> String {
        String::new()
    }

    /// The server's process id (stdio only), for `/mcp` and tests.
    fn pid(&self) -> Option<u32> {
        None
    }

    /// After a failure: why the connection ended, once known (a stdio server's exit status,
    /// with its stderr read to the end), waiting at most `bound`. `None`: nothing better known.
    fn ended(&self, _bound: std::time::Duration) -> BoxFuture<'_, Option<String>> {
        Box::pin(async { None })
    }
}

/// Parses one message; a batch (array) is split into its messages.
pub(crate) fn parse_messages(text: &[u8]) -> Result<Vec<Value>, String> {
    match serde_json::from_slice::<Value>(text) {
        Ok(Value::Array(batch)) => Ok(batch),
        Ok(v @ Value::Object(_)) => Ok(vec![v]),
        Ok(other) => Err(format!("not a JSON-RPC message: {other}")),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// Delivers parsed messages; false when nobody listens any more.
pub(crate) async fn deliver(inbox: &Inbox, text: &[u8]) -> bool {
    match parse_messages(text) {
        Ok(msgs) => {
            for m in msgs {
                if inbox.send(Inbound::Message(m)).await.is_err() {
                    return false;
                }
            }
            true
        }
        Err(e) => {
            let shown: String = String::from_utf8_lossy(text).chars().take(200).collect();
            crate::debug_log!(crate::log::MCP, "ignored a message ({e}): {shown}");
            true
        }
    }
}

/// An HTTP client for MCP servers: the proxies, `NO_PROXY` and extra CAs of the API client
/// ([`crate::net`]).
pub(crate) fn http_client() -> Result<reqwest::Client, McpError> {
    crate::net::client_builder()
        .connect_timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| McpError::Transport(format!("cannot create an HTTP client: {e}")))
}

/// The request headers: the configured ones, then those a `headersHelper` command prints (a
/// JSON object), which win.
pub(crate) async fn headers(
    fixed: &[(String, String)],
    helper: Option<&str>,
    cwd: &std::path::Path,
) -> Result<reqwest::header::HeaderMap, McpError> {
    use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
    let mut all: Vec<(String, String)> = fixed.to_vec();
    if let Some(cmd) = helper {
        all.extend(run_headers_helper(cmd, cwd).await?);
    }
    let mut map = HeaderMap::new();
    for (k, v) in all {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| McpError::Config(format!("invalid header name \"{k}\"")))?;
        let value = HeaderValue::from_str(&v)
            .map_err(|_| McpError::Config(format!("invalid value for header \"{k}\"")))?;
        map.insert(name, value);
    }
    Ok(map)
}

/// Runs `headersHelper` (through the shell, bounded to 10 s) and reads its JSON object.
async fn run_headers_helper(
    cmd: &str,
    cwd: &std::path::Path,
) -> Result<Vec<(String, String)>, McpError> {
    use std::process::Stdio;
    use tokio::io::AsyncReadExt;
    let fail = |why: String| McpError::Config(format!("headersHelper: {why}"));
    let mut child = crate::process::Spawn::new("/bin/sh")
        .args(["-c", cmd])
        .current_dir(cwd)
        .envs(crate::env::overlay())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    let mut stdout = child.stdout.take();
    let read = async {
        if let Some(s) = stdout.as_mut() {
            let _ = s.take(1 << 20).read_to_end(&mut out).await;
        }
        child.wait().await
    };
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .map_err(|_| fail("timed out after 10 s".into()))?
        .map_err(|e| fail(e.to_string()))?;
    child.kill();
    if !status.success() {
        return Err(fail(format!("exited with status {}", status.code())));
    }
    match serde_json::from_slice::<Value>(&out) {
        Ok(Value::Object(m)) => Ok(m
            .into_iter()
            .map(|(k, v)| match v {
                Value::String(s) => (k, s),
                other => (k, other.to_string()),
            })
            .collect()),
        _ => Err(fail("did not print a JSON object".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_split() {
        assert_eq!(parse_messages(br#"[{"a":1},{"b":2}]"#).unwrap().len(), 2);
        assert_eq!(parse_messages(br#"{"a":1}"#).unwrap().len(), 1);
        assert!(parse_messages(b"3").is_err());
        assert!(parse_messages(b"{nope").is_err());
    }
}
