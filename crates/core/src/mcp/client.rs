//! One JSON-RPC connection to a server: requests matched to their responses (with a timeout and
//! cancellation, which tells the server `notifications/cancelled`), the server's own requests
//! answered (`ping`, `roots/list`), its notifications passed on; and the MCP calls ccrs makes.

use super::McpError;
use super::transport::{Inbound, Transport};
use crate::cancel::CancelToken;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// The protocol version ccrs asks for; servers may answer with an older one they support.
pub const PROTOCOL_VERSION: &str = "2025-11-25";

/// What a connection tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    ToolsChanged,
    PromptsChanged,
    ResourcesChanged,
    /// The connection ended (the server exited, the stream closed).
    Closed(String),
}

type Reply = oneshot::Sender<Result<Value, McpError>>;

pub struct Connection {
    transport: Arc<dyn Transport>,
    next_id: AtomicI64,
    pending: Mutex<HashMap<i64, Reply>>,
    closed: Mutex<Option<String>>,
    /// `file://` URIs of the working directories (`roots/list`).
    roots: Vec<(String, String)>,
    notes: mpsc::UnboundedSender<Note>,
    reader: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// What `initialize` answered.
#[derive(Clone, Debug, Default)]
pub struct ServerInfo {
    pub protocol_version: String,
    pub capabilities: Value,
    pub name: String,
    pub version: String,
    pub instructions: Option<String>,
}

impl ServerInfo {
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities
            .get(capability)
            .is_some_and(|c| !c.is_null())
    }
}

/// Removes a request from the pending table when its caller stops waiting, however it stops.
struct PendingGuard<'a>(&'a Connection, i64);

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.0.pending.lock() {
            p.remove(&self.1);
        }
    }
}

fn response_id(v: &Value) -> Option<i64> {
    let id = v.get("id")?;
    id.as_i64()
        .or_else(|| id.as_str().and_then(|s| s.parse().ok()))
}

impl Connection {
    /// Starts reading what the transport delivers on `inbox`.
    pub fn new(
        transport: Arc<dyn Transport>,
        inbox: mpsc::Receiver<Inbound>,
        roots: Vec<std::path::PathBuf>,
        notes: mpsc::UnboundedSender<Note>,
    ) -> Arc<Connection> {
        let roots = roots
            .iter()
            .map(|p| {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| p.display().to_string());
                (format!("file://{}", p.display()), name)
            })
            .collect();
        let conn = Arc::new(Connection {
            transport,
            next_id: AtomicI64::new(1),
            pending: Mutex::new(HashMap::new()),
            closed: Mutex::new(None),
            roots,
            notes,
            reader: Mutex::new(None),
        });
        let handle = tokio::spawn(read_loop(Arc::downgrade(&conn), inbox));
        if let Ok(mut r) = conn.reader.lock() {
            *r = Some(handle);
        }
        conn
    }

    pub fn transport(&self) -> &Arc<dyn Transport> {
        &self.transport
    }

    /// Why the connection ended, once it has.
    pub fn closed(&self) -> Option<String> {
        self.closed.lock().ok().and_then(|c| c.clone())
    }

    fn fail_all(&self, why: &str) {
        if let Ok(mut c) = self.closed.lock()
            && c.is_none()
        {
            *c = Some(why.to_string());
        }
        let pending: Vec<Reply> = self
            .pending
            .lock()
            .map(|mut p| p.drain().map(|(_, r)| r).collect())
            .unwrap_or_default();
        for r in pending {
            let _ = r.send(Err(McpError::Closed(why.to_string())));
        }
    }

    /// Ends the connection (see [`Transport::close`]); pending requests fail.
    pub async fn close(&self, grace: Duration) {
        self.transport.close(grace).await;
        self.fail_all("the connection was closed");
        if let Some(r) = self.reader.lock().ok().and_then(|mut r| r.take()) {
            r.abort();
        }
    }

    async fn dispatch(&self, msg: Value) {
        let method = msg.get("method").and_then(Value::as_str);
        match (method, msg.get("id")) {
            (Some(m), Some(id)) => {
                let result = match m {
                    "ping" => Ok(json!({})),
                    "roots/list" => Ok(json!({"roots": self.roots.iter()
                        .map(|(uri, name)| json!({"uri": uri, "name": name}))
                        .collect::<Vec<_>>()})),
                    _ => Err(json!({"code": -32601, "message": format!("Method not found: {m}")})),
                };
                let mut reply = json!({"jsonrpc": "2.0", "id": id});
                match result {
                    Ok(r) => reply["result"] = r,
                    Err(e) => reply["error"] = e,
                }
                // Over HTTP a reply is a POST: do not hold up the messages behind it.
                let t = self.transport.clone();
                tokio::spawn(async move {
                    let _ = t.send(reply).await;
                });
            }
            (Some(m), None) => {
                let note = match m {
                    "notifications/tools/list_changed" => Some(Note::ToolsChanged),
                    "notifications/prompts/list_changed" => Some(Note::PromptsChanged),
                    "notifications/resources/list_changed" => Some(Note::ResourcesChanged),
                    "notifications/message" => {
                        crate::debug_log!(
                            crate::log::MCP,
                            "server log: {}",
                            msg.get("params").map(Value::to_string).unwrap_or_default()
                        );
                        None
                    }
                    _ => None,
                };
                if let Some(n) = note {
                    let _ = self.notes.send(n);
                }
            }
            (None, _) => {
                let Some(id) = response_id(&msg) else { return };
                let waiter = self.pending.lock().ok().and_then(|mut p| p.remove(&id));
                let Some(w) = waiter else { return };
                let res = match (msg.get("result"), msg.get("error")) {
                    (_, Some(e)) => Err(McpError::Rpc {
                        code: e.get("code").and_then(Value::as_i64).unwrap_or(0),
                        message: e
                            .get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("unknown error")
                            .to_string(),
                    }),
                    (Some(r), None) => Ok(r.clone()),
                    (None, None) => Ok(Value::Null),
                };
                let _ = w.send(res);
            }
        }
    }

    /// Sends a notification.
    pub async fn notify(&self, method: &str, params: Value) -> Result<(), McpError> {
        let mut msg = json!({"jsonrpc": "2.0", "method": method});
        if !params.is_null() {
            msg["params"] = params;
        }
        self.transport.send(msg).await
    }

    /// Sends a request and waits for its response, at most `timeout`; `cancel` gives up early.
    /// Either way the server is told the request is cancelled.
    pub async fn request(
        &self,
        method: &str,
        params: Value,
        timeout: Duration,
        cancel: Option<&CancelToken>,
    ) -> Result<Value, McpError> {
        if let Some(why) = self.closed() {
            return Err(McpError::Closed(why));
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id, tx);
        }
        let _guard = PendingGuard(self, id);
        let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let exchange = async {
            self.transport.send(msg).await?;
            rx.await
                .unwrap_or_else(|_| Err(McpError::Closed("the connection ended".into())))
        };
        let never = CancelToken::new();
        let cancel = cancel.unwrap_or(&never);
        let (res, why) = tokio::select! {
            r = tokio::time::timeout(timeout, exchange) => match r {
                Ok(r) => (r, None),
                Err(_) => (
                    Err(McpError::Timeout { method: method.to_string(), after: timeout }),
                    Some("timed out"),
                ),
            },
            _ = cancel.cancelled() => (Err(McpError::Cancelled), Some("cancelled by the user")),
        };
        if let Some(reason) = why {
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                self.notify(
                    "notifications/cancelled",
                    json!({"requestId": id, "reason": reason}),
                ),
            )
            .await;
        }
        res
    }

    /// `initialize`, then `notifications/initialized`.
    pub async fn initialize(&self, timeout: Duration) -> Result<ServerInfo, McpError> {
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {"roots": {"listChanged": false}},
            "clientInfo": {"name": "ccrs", "version": crate::VERSION},
        });
        let r = self.request("initialize", params, timeout, None).await?;
        let info = ServerInfo {
            protocol_version: r
                .get("protocolVersion")
                .and_then(Value::as_str)
                .unwrap_or(PROTOCOL_VERSION)
                .to_string(),
            capabilities: r.get("capabilities").cloned().unwrap_or(Value::Null),
            name: r
                .pointer("/serverInfo/name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            version: r
                .pointer("/serverInfo/version")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            instructions: r
                .get("instructions")
                .and_then(Value::as_str)
                .map(str::to_string),
        };
        self.transport.set_protocol_version(&info.protocol_version);
        self.notify("notifications/initialized", Value::Null)
            .await?;
        Ok(info)
    }

    /// Every item of a paginated list (`tools/list` → `tools`, …), at most 100 pages.
    pub async fn list_all(
        &self,
        method: &str,
        key: &str,
        timeout: Duration,
    ) -> Result<Vec<Value>, McpError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..100 {
            let mut params = Map::new();
            if let Some(c) = cursor.take() {
                params.insert("cursor".into(), Value::String(c));
            }
            let r = self
                .request(method, Value::Object(params), timeout, None)
                .await?;
            if let Some(items) = r.get(key).and_then(Value::as_array) {
                out.extend(items.iter().cloned());
            }
            match r.get("nextCursor").and_then(Value::as_str) {
                Some(c) if !c.is_empty() => cursor = Some(c.to_string()),
                _ => return Ok(out),
            }
        }
        Ok(out)
    }
}

async fn read_loop(conn: Weak<Connection>, mut inbox: mpsc::Receiver<Inbound>) {
    let why = loop {
        match inbox.recv().await {
            Some(Inbound::Message(m)) => match conn.upgrade() {
                Some(c) => c.dispatch(m).await,
                None => return,
            },
            Some(Inbound::Closed(why)) => break why,
            None => break "the connection ended".to_string(),
        }
    };
    if let Some(c) = conn.upgrade() {
        c.fail_all(&why);
        let _ = c.notes.send(Note::Closed(why));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BoxFuture;

    /// A transport whose "server" answers from a function.
    struct Echo {
        inbox: mpsc::Sender<Inbound>,
        sent: Mutex<Vec<Value>>,
    }

    impl Transport for Echo {
        fn send(&self, msg: Value) -> BoxFuture<'_, Result<(), McpError>> {
            Box::pin(async move {
                self.sent.lock().unwrap().push(msg.clone());
                let method = msg.get("method").and_then(Value::as_str).unwrap_or("");
                let id = msg.get("id").cloned();
                let reply = match method {
                    "slow" => return Ok(()),
                    "fail" => {
                        json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32602, "message": "bad"}})
                    }
                    "page" => {
                        let cursor = msg.pointer("/params/cursor").and_then(Value::as_str);
                        match cursor {
                            None => {
                                json!({"jsonrpc": "2.0", "id": id, "result": {"tools": [1], "nextCursor": "2"}})
                            }
                            Some(_) => {
                                json!({"jsonrpc": "2.0", "id": id, "result": {"tools": [2]}})
                            }
                        }
                    }
                    _ if id.is_some() && msg.get("method").is_some() => {
                        // Ask ccrs something first, as servers may.
                        let _ = self
                            .inbox
                            .send(Inbound::Message(
                                json!({"jsonrpc": "2.0", "id": "s1", "method": "roots/list"}),
                            ))
                            .await;
                        json!({"jsonrpc": "2.0", "id": id.map(|i| i.to_string()), "result": {"ok": method}})
                    }
                    _ => return Ok(()),
                };
                let _ = self.inbox.send(Inbound::Message(reply)).await;
                Ok(())
            })
        }
        fn close(&self, _: Duration) -> BoxFuture<'_, ()> {
            Box::pin(async {})
        }
    }

    #[tokio::test]
    async fn requests_responses_timeouts_and_server_requests() {
        let (tx, rx) = mpsc::channel(8);
        let (ntx, mut nrx) = mpsc::unbounded_channel();
        let t = Arc::new(Echo {
            inbox: tx.clone(),
            sent: Mutex::new(Vec::new()),
        });
        let c = Connection::new(t.clone(), rx, vec!["/w/proj".into()], ntx);
        let second = Duration::from_secs(5);
        // A string id ("1") still finds its request.
        assert_eq!(
            c.request("x", json!({}), second, None).await.unwrap(),
            json!({"ok": "x"})
        );
        match c.request("fail", json!({}), second, None).await {
            Err(McpError::Rpc {
                code: -32602,
                message,
            }) => assert_eq!(message, "bad"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            c.list_all("page", "tools", second).await.unwrap(),
            vec![json!(1), json!(2)]
        );
        let r = c
            .request("slow", json!({}), Duration::from_millis(50), None)
            .await;
        assert!(matches!(r, Err(McpError::Timeout { .. })), "{r:?}");
        let cancel = CancelToken::new();
        cancel.cancel();
        let r = c.request("slow", json!({}), second, Some(&cancel)).await;
        assert!(matches!(r, Err(McpError::Cancelled)));
        tokio::time::sleep(Duration::from_millis(20)).await;
        let sent = t.sent.lock().unwrap().clone();
        // The roots/list request was answered with the working directory.
        assert!(
            sent.iter()
                .any(|m| m["id"] == "s1" && m["result"]["roots"][0]["uri"] == "file:///w/proj")
        );
        let cancelled: Vec<&Value> = sent
            .iter()
            .filter(|m| m["method"] == "notifications/cancelled")
            .collect();
        assert_eq!(cancelled.len(), 2);
        assert!(c.pending.lock().unwrap().is_empty());
        // A notification reaches the owner; the end of the stream fails what waits.
        tx.send(Inbound::Message(
            json!({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}),
        ))
        .await
        .unwrap();
        assert_eq!(nrx.recv().await, Some(Note::ToolsChanged));
        let waiting = {
            let c = c.clone();
            tokio::spawn(async move {
                c.request("slow", json!({}), Duration::from_secs(30), None)
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        tx.send(Inbound::Closed("exited with status 3".into()))
            .await
            .unwrap();
        match waiting.await.unwrap() {
            Err(McpError::Closed(why)) => assert!(why.contains("status 3")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            nrx.recv().await,
            Some(Note::Closed("exited with status 3".into()))
        );
        assert!(matches!(
            c.request("x", json!({}), second, None).await,
            Err(McpError::Closed(_))
        ));
    }
}
