//! The legacy HTTP+SSE transport (MCP 2024-11-05): a GET opens an event stream whose first
//! event, `endpoint`, names the URL to POST messages to; every answer comes back on the stream.

use super::{Inbound, Inbox, Transport};
use crate::BoxFuture;
use crate::mcp::McpError;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinHandle;

pub struct SseTransport {
    http: reqwest::Client,
    endpoint: String,
    headers: HeaderMap,
    stream: Mutex<Option<JoinHandle<()>>>,
}

/// Opens the stream and waits (up to `timeout`) for the `endpoint` event.
pub async fn connect(
    url: &str,
    headers: HeaderMap,
    inbox: Inbox,
    timeout: Duration,
) -> Result<Arc<dyn Transport>, McpError> {
    let base = reqwest::Url::parse(url)
        .map_err(|e| McpError::Config(format!("invalid URL {url}: {e}")))?;
    let http = super::http_client()?;
    let resp = http
        .get(base.clone())
        .headers(headers.clone())
        .header(ACCEPT, "text/event-stream")
        .send()
        .await
        .map_err(|e| McpError::Transport(format!("cannot reach {url}: {e}")))?;
    if !resp.status().is_success() {
        return Err(super::http::refusal(resp).await);
    }
    let (tx, rx) = tokio::sync::oneshot::channel::<Result<String, String>>();
    let mut tx = Some(tx);
    let task = tokio::spawn(async move {
        let mut on_event = |event: &str, data: &str| {
            if event == "endpoint"
                && let Some(tx) = tx.take()
            {
                let target = base
                    .join(data.trim())
                    .map_err(|e| format!("bad endpoint \"{}\": {e}", data.trim()))
                    .and_then(|u| {
                        // Messages must not be sent somewhere else than the server.
                        if u.origin() == base.origin() {
                            Ok(u.to_string())
                        } else {
                            Err(format!("the endpoint {u} is on another origin"))
                        }
                    });
                let _ = tx.send(target);
            }
            true
        };
        let why = match super::http::pump_sse(resp, &inbox, &mut on_event).await {
            Ok(_) => "the event stream ended".to_string(),
            Err(e) => e,
        };
        let _ = inbox.send(Inbound::Closed(why)).await;
    });
    let endpoint = match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(Ok(e))) => e,
        Ok(Ok(Err(why))) => {
            task.abort();
            return Err(McpError::Transport(why));
        }
        Ok(Err(_)) => {
            return Err(McpError::Transport(
                "the event stream ended before naming its endpoint".into(),
            ));
        }
        Err(_) => {
            task.abort();
            return Err(McpError::Transport(
                "the server sent no endpoint event".into(),
            ));
        }
    };
    Ok(Arc::new(SseTransport {
        http,
        endpoint,
        headers,
        stream: Mutex::new(Some(task)),
    }))
}

impl Transport for SseTransport {
    fn send(&self, msg: Value) -> BoxFuture<'_, Result<(), McpError>> {
        Box::pin(async move {
            let resp = self
                .http
                .post(&self.endpoint)
                .headers(self.headers.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&msg).unwrap_or_default())
                .send()
                .await
                .map_err(|e| McpError::Transport(format!("cannot reach {}: {e}", self.endpoint)))?;
            if resp.status().is_success() {
                Ok(())
            } else {
                Err(super::http::refusal(resp).await)
            }
        })
    }

    fn close(&self, _grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            if let Some(t) = self.stream.lock().ok().and_then(|mut s| s.take()) {
                t.abort();
            }
        })
    }
}

impl Drop for SseTransport {
    fn drop(&mut self) {
        if let Some(t) = self.stream.lock().ok().and_then(|mut s| s.take()) {
            t.abort();
        }
    }
}
