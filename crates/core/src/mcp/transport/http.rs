//! Streamable HTTP (MCP 2025-03-26 and later): every message is a POST to the server's URL; a
//! request is answered with a JSON body or an SSE stream that carries the response (and any
//! requests or notifications the server sends meanwhile). The session id the server issues at
//! `initialize` (`Mcp-Session-Id`) and the negotiated protocol version
//! (`Mcp-Protocol-Version`) go on every later request; closing sends `DELETE`. After
//! initialisation a GET stream is opened for messages the server sends on its own (servers
//! without one answer 405, which is fine).

use super::{Inbound, Inbox, Transport};
use crate::BoxFuture;
use crate::api::sse::SseDecoder;
use crate::mcp::McpError;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};
use std::sync::Mutex;
use std::time::Duration;
use tokio::task::JoinHandle;

/// A body (JSON answer) may be this large.
const MAX_BODY: usize = 64 << 20;

pub struct HttpTransport {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    session: Mutex<Option<String>>,
    version: Mutex<Option<String>>,
    inbox: Inbox,
    streams: Mutex<Vec<JoinHandle<()>>>,
}

pub fn connect(
    url: &str,
    headers: HeaderMap,
    inbox: Inbox,
) -> Result<std::sync::Arc<dyn Transport>, McpError> {
    reqwest::Url::parse(url).map_err(|e| McpError::Config(format!("invalid URL {url}: {e}")))?;
    Ok(std::sync::Arc::new(HttpTransport {
        http: super::http_client()?,
        url: url.to_string(),
        headers,
        session: Mutex::new(None),
        version: Mutex::new(None),
        inbox,
        streams: Mutex::new(Vec::new()),
    }))
}

/// Explains a refused request: 401/403 need credentials ccrs cannot obtain by itself.
pub(crate) async fn refusal(resp: reqwest::Response) -> McpError {
    let status = resp.status();
    let body = resp.text().await.unwrap_or_default();
    let snippet: String = body.trim().chars().take(300).collect();
    if status.as_u16() == 401 || status.as_u16() == 403 {
        return McpError::NeedsAuth(format!(
            "HTTP {status}: the server wants authentication (ccrs does not do OAuth for MCP \
             servers yet; put a token in the server's \"headers\"){}",
            if snippet.is_empty() {
                String::new()
            } else {
                format!(": {snippet}")
            }
        ));
    }
    McpError::Transport(format!(
        "HTTP {status}{}",
        if snippet.is_empty() {
            String::new()
        } else {
            format!(": {snippet}")
        }
    ))
}

/// Reads an SSE body, delivering each event's data as messages. Returns the ids of the
/// responses seen (so a stream that ends early can fail its request).
pub(crate) async fn pump_sse(
    mut resp: reqwest::Response,
    inbox: &Inbox,
    on_event: &mut (dyn FnMut(&str, &str) -> bool + Send),
) -> Result<Vec<Value>, String> {
    let mut dec = SseDecoder::new();
    let mut events = Vec::new();
    let mut ids = Vec::new();
    loop {
        let chunk = match resp.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(ids),
            Err(e) => return Err(format!("the event stream broke: {e}")),
        };
        dec.push(&chunk, &mut events)?;
        for ev in events.drain(..) {
            if !on_event(&ev.event, &ev.data) || ev.data.trim().is_empty() {
                continue;
            }
            if ev.event != "message" {
                continue;
            }
            if let Ok(v) = serde_json::from_str::<Value>(&ev.data)
                && let Some(id) = v.get("id").filter(|_| v.get("method").is_none())
            {
                ids.push(id.clone());
            }
            if !super::deliver(inbox, ev.data.as_bytes()).await {
                return Ok(ids);
            }
        }
    }
}

/// Reads a whole body, bounded.
async fn body(mut resp: reqwest::Response) -> Result<Vec<u8>, McpError> {
    let mut out = Vec::new();
    while let Some(c) = resp
        .chunk()
        .await
        .map_err(|e| McpError::Transport(format!("reading the answer failed: {e}")))?
    {
        out.extend_from_slice(&c);
        if out.len() > MAX_BODY {
            return Err(McpError::Transport(format!(
                "the answer is over {} MB",
                MAX_BODY >> 20
            )));
        }
    }
    Ok(out)
}

impl HttpTransport {
    fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .request(method, &self.url)
            .headers(self.headers.clone())
            .header("user-agent", concat!("ccrs/", env!("CARGO_PKG_VERSION")));
        if let Some(s) = self.session.lock().ok().and_then(|s| s.clone()) {
            rb = rb.header("mcp-session-id", s);
        }
        if let Some(v) = self.version.lock().ok().and_then(|v| v.clone()) {
            rb = rb.header("mcp-protocol-version", v);
        }
        rb
    }

    fn keep(&self, task: JoinHandle<()>) {
        if let Ok(mut s) = self.streams.lock() {
            s.retain(|t| !t.is_finished());
            s.push(task);
        }
    }
}

impl Transport for HttpTransport {
    fn send(&self, msg: Value) -> BoxFuture<'_, Result<(), McpError>> {
        Box::pin(async move {
            let request_id = msg.get("method").and(msg.get("id")).cloned();
            let had_session = self.session.lock().is_ok_and(|s| s.is_some());
            let resp = self
                .request(reqwest::Method::POST)
                .header(ACCEPT, "application/json, text/event-stream")
                .header(CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&msg).unwrap_or_default())
                .send()
                .await
                .map_err(|e| McpError::Transport(format!("cannot reach {}: {e}", self.url)))?;
            if let Some(id) = resp
                .headers()
                .get("mcp-session-id")
                .and_then(|v| v.to_str().ok())
                && let Ok(mut s) = self.session.lock()
            {
                *s = Some(id.to_string());
            }
            let status = resp.status();
            if status.as_u16() == 404 && had_session {
                let _ = self
                    .inbox
                    .send(Inbound::Closed(
                        "the server ended the session (HTTP 404)".into(),
                    ))
                    .await;
                return Err(McpError::Closed("the server ended the session".into()));
            }
            if !status.is_success() {
                return Err(refusal(resp).await);
            }
            let Some(id) = request_id else {
                // A notification or a response: 202 Accepted, nothing to read.
                return Ok(());
            };
            let sse = resp
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/event-stream"));
            if sse {
                let inbox = self.inbox.clone();
                self.keep(tokio::spawn(async move {
                    let res = pump_sse(resp, &inbox, &mut |_, _| true).await;
                    let answered = matches!(&res, Ok(ids) if ids.contains(&id));
                    if !answered {
                        let why = res.err().unwrap_or_else(|| {
                            "the server closed the stream without answering".into()
                        });
                        let err = json!({"jsonrpc": "2.0", "id": id,
                                         "error": {"code": -32000, "message": why}});
                        let _ = inbox.send(Inbound::Message(err)).await;
                    }
                }));
                return Ok(());
            }
            let bytes = body(resp).await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Err(McpError::Transport(
                    "the server answered a request with an empty body".into(),
                ));
            }
            super::deliver(&self.inbox, &bytes).await;
            Ok(())
        })
    }

    fn set_protocol_version(&self, version: &str) {
        if let Ok(mut v) = self.version.lock() {
            *v = Some(version.to_string());
        }
        // The stream of messages the server sends on its own.
        let get = self
            .request(reqwest::Method::GET)
            .header(ACCEPT, "text/event-stream");
        let inbox = self.inbox.clone();
        self.keep(tokio::spawn(async move {
            let Ok(resp) = get.send().await else { return };
            let is_sse = resp
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|t| t.starts_with("text/event-stream"));
            if resp.status().is_success() && is_sse {
                let _ = pump_sse(resp, &inbox, &mut |_, _| true).await;
            }
        }));
    }

    fn close(&self, grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Ok(mut s) = self.streams.lock() {
                for t in s.drain(..) {
                    t.abort();
                }
            }
            if self.session.lock().is_ok_and(|s| s.is_some()) {
                let del = self.request(reqwest::Method::DELETE).send();
                let _ = tokio::time::timeout(grace, del).await;
            }
        })
    }
}

impl Drop for HttpTransport {
    fn drop(&mut self) {
        if let Ok(mut s) = self.streams.lock() {
            for t in s.drain(..) {
                t.abort();
            }
        }
    }
}
