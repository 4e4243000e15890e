//! The connection loop and request routing.

use crate::http::{self, Request};
use crate::oauth::{Answer, OAuth};
use crate::scenario::{Reply, ReplyKind, Route, Scenario};
use crate::sse;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt, AsyncWrite, BufReader};
use tokio::net::TcpStream;

/// One request as the mock received it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CapturedRequest {
    pub method: String,
    /// Without the query.
    pub path: String,
    pub query: String,
    /// Names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy for non-UTF-8 bytes).
    pub body: String,
    /// The body parsed as JSON, when it is JSON.
    pub json: Option<Value>,
    /// Which TCP connection it came on (numbered from 1 per server): equal numbers show that
    /// a client reused a kept-alive connection.
    pub connection: u64,
}

impl CapturedRequest {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `messages` of a Messages-API request body (empty otherwise).
    pub fn messages(&self) -> &[Value] {
        self.json
            .as_ref()
            .and_then(|j| j.get("messages"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The `tool_result` blocks of the last message: what the tools answered to the model.
    pub fn tool_results(&self) -> Vec<&Value> {
        self.messages()
            .last()
            .and_then(|m| m.get("content"))
            .and_then(Value::as_array)
            .map(|blocks| {
                blocks
                    .iter()
                    .filter(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

struct RouteEntry {
    method: Option<String>,
    path: String,
    query: Option<String>,
    route: Route,
}

fn route_entry(key: &str, route: Route) -> RouteEntry {
    let key = key.trim();
    let (method, target) = match key.split_once(' ') {
        Some((m, t)) => (Some(m.trim().to_ascii_uppercase()), t.trim()),
        None => (None, key),
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target.to_string(), None),
    };
    RouteEntry {
        method,
        path,
        query,
        route,
    }
}

/// Server state shared by every connection.
pub(crate) struct Shared {
    scenario: Scenario,
    queue: Mutex<VecDeque<Reply>>,
    routes: Mutex<Vec<RouteEntry>>,
    pub(crate) oauth: OAuth,
    requests: Mutex<Vec<CapturedRequest>>,
    connections: std::sync::atomic::AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Test servers keep going after a panicking test thread poisoned a lock.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(scenario: Scenario) -> Self {
        let routes = scenario
            .routes
            .iter()
            .map(|(k, r)| route_entry(k, r.clone()))
            .collect();
        Shared {
            queue: Mutex::new(scenario.replies.iter().cloned().collect()),
            routes: Mutex::new(routes),
            oauth: OAuth::new(scenario.oauth.clone().unwrap_or_default()),
            requests: Mutex::new(Vec::new()),
            connections: std::sync::atomic::AtomicU64::new(0),
            scenario,
        }
    }

    pub fn requests(&self) -> Vec<CapturedRequest> {
        lock(&self.requests).clone()
    }

    pub fn push_reply(&self, r: Reply) {
        lock(&self.queue).push_back(r);
    }

    pub fn remaining_replies(&self) -> usize {
        lock(&self.queue).len()
    }

    pub fn set_route(&self, key: &str, route: Route) {
        let entry = route_entry(key, route);
        let mut routes = lock(&self.routes);
        routes.retain(|r| {
            (r.method.as_ref(), &r.path, r.query.as_ref())
                != (entry.method.as_ref(), &entry.path, entry.query.as_ref())
        });
        routes.push(entry);
    }

    /// Back to the state right after start: scripted replies queued again, no requests
    /// recorded, routes and OAuth state as configured.
    pub fn reset(&self) {
        *lock(&self.queue) = self.scenario.replies.iter().cloned().collect();
        lock(&self.requests).clear();
        *lock(&self.routes) = self
            .scenario
            .routes
            .iter()
            .map(|(k, r)| route_entry(k, r.clone()))
            .collect();
        self.oauth.reset();
    }

    /// Takes the first queued reply that fits, else the fallback.
    fn next_reply(&self, model: &str, body: &str) -> Reply {
        let mut q = lock(&self.queue);
        if q.is_empty() && self.scenario.repeat {
            q.extend(self.scenario.replies.iter().cloned());
        }
        // A reply whose match fits beats an unconditional one, so side requests (WebFetch's
        // Haiku call, ...) get their replies whatever order they are queued in.
        let pos = q
            .iter()
            .position(|r| r.matcher.as_ref().is_some_and(|m| m.fits(model, body)))
            .or_else(|| q.iter().position(|r| r.matcher.is_none()));
        if let Some(r) = pos.and_then(|p| q.remove(p)) {
            return r;
        }
        drop(q);
        self.scenario
            .fallback
            .clone()
            .unwrap_or_else(|| Reply::error(500, "api_error", "mock: no scripted reply left"))
    }
}

/// Serves one accepted connection; with `tls`, after a TLS handshake (a client that does not
/// trust the certificate aborts it: the connection just ends).
pub(crate) async fn connection(
    stream: TcpStream,
    shared: Arc<Shared>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let conn_id = shared
        .connections
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    match tls {
        Some(acceptor) => {
            if let Ok(s) = acceptor.accept(stream).await {
                serve_connection(s, shared, conn_id).await
            }
        }
        None => serve_connection(stream, shared, conn_id).await,
    }
}

/// What to do with the connection after a response.
enum After {
    KeepAlive,
    Close,
}

async fn serve_connection<S>(stream: S, shared: Arc<Shared>, conn_id: u64)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (rd, mut wr) = tokio::io::split(stream);
    let mut rd = BufReader::new(rd);
    serve_requests(&shared, conn_id, &mut rd, &mut wr).await;
    // Over TLS this sends close_notify, so clients see a clean end of the connection.
    let _ = tokio::io::AsyncWriteExt::shutdown(&mut wr).await;
}

async fn serve_requests<R, W>(shared: &Shared, conn_id: u64, rd: &mut R, wr: &mut W)
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let req = match http::read_request(rd, wr).await {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err(e) => {
                if e.kind() == io::ErrorKind::InvalidData {
                    let body = json!({"type": "error", "error": {"type": "invalid_request_error",
                        "message": format!("mock: malformed HTTP request: {e}")}});
                    let _ = http::write_response(
                        wr,
                        400,
                        &json_headers(),
                        body.to_string().as_bytes(),
                        false,
                        false,
                    )
                    .await;
                }
                return;
            }
        };
        let keep_alive = req.keep_alive;
        match handle(shared, req, conn_id, rd, wr).await {
            Ok(After::KeepAlive) if keep_alive => continue,
            _ => return,
        }
    }
}

fn json_headers() -> Vec<(String, String)> {
    vec![("content-type".into(), "application/json".into())]
}

fn request_id() -> (String, String) {
    ("request-id".into(), format!("req_mock_{}", sse::hex_id(24)))
}

async fn send<W: AsyncWrite + Unpin>(
    w: &mut W,
    req: &Request,
    answer: Answer,
) -> io::Result<After> {
    http::write_response(
        w,
        answer.status,
        &answer.headers,
        &answer.body,
        req.keep_alive,
        req.method == "HEAD",
    )
    .await?;
    Ok(After::KeepAlive)
}

fn api_error(status: u16, kind: &str, message: &str) -> Answer {
    let mut a = Answer::json(
        status,
        &json!({"type": "error", "error": {"type": kind, "message": message}}),
    );
    a.headers.push(request_id());
    a
}

async fn handle<R, W>(
    shared: &Shared,
    req: Request,
    conn_id: u64,
    rd: &mut R,
    wr: &mut W,
) -> io::Result<After>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    if let Some(ctl) = req.path.strip_prefix("/_mock/") {
        let answer = control(shared, ctl, &req);
        return send(wr, &req, answer).await;
    }
    let body_text = String::from_utf8_lossy(&req.body).into_owned();
    let json = serde_json::from_slice::<Value>(&req.body).ok();
    lock(&shared.requests).push(CapturedRequest {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        headers: req.headers.clone(),
        body: body_text.clone(),
        json: json.clone(),
        connection: conn_id,
    });
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/v1/messages") => messages(shared, &req, &body_text, json, rd, wr).await,
        ("GET", "/oauth/authorize") => {
            let a = shared.oauth.authorize(&req.query);
            send(wr, &req, a).await
        }
        ("POST", "/v1/oauth/token") => {
            let a = shared.oauth.token(&req.body, req.header("content-type"));
            let delay = shared.oauth.cfg.token_delay_ms;
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            send(wr, &req, a).await
        }
        _ => {
            let route = {
                let routes = lock(&shared.routes);
                routes
                    .iter()
                    .find(|r| {
                        r.method
                            .as_ref()
                            .is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
                            && r.path == req.path
                            && r.query.as_ref().is_none_or(|q| *q == req.query)
                    })
                    .map(|r| r.route.clone())
            };
            match route {
                Some(r) => {
                    if r.delay_ms > 0 {
                        tokio::time::sleep(Duration::from_millis(r.delay_ms)).await;
                    }
                    let a = Answer {
                        status: r.status,
                        headers: r.headers,
                        body: r.body,
                    };
                    send(wr, &req, a).await
                }
                None if req.method == "GET" && req.path == "/v1/models" => {
                    send(wr, &req, Answer::json(200, &crate::models::list())).await
                }
                None => {
                    let a = api_error(
                        404,
                        "not_found_error",
                        &format!("mock: no route for {} {}", req.method, req.path),
                    );
                    send(wr, &req, a).await
                }
            }
        }
    }
}

fn control(shared: &Shared, what: &str, req: &Request) -> Answer {
    match (req.method.as_str(), what) {
        ("GET", "requests") => Answer::json(200, &json!(shared.requests())),
        ("POST", "replies") => {
            let parsed = serde_json::from_slice::<Value>(&req.body)
                .map_err(|e| e.to_string())
                .and_then(|v| match v {
                    Value::Array(items) => items
                        .into_iter()
                        .map(|i| serde_json::from_value::<Reply>(i).map_err(|e| e.to_string()))
                        .collect::<Result<Vec<_>, _>>(),
                    one => serde_json::from_value::<Reply>(one)
                        .map(|r| vec![r])
                        .map_err(|e| e.to_string()),
                });
            match parsed {
                Ok(replies) => {
                    let n = replies.len();
                    for r in replies {
                        shared.push_reply(r);
                    }
                    Answer::json(
                        200,
                        &json!({"queued": n, "remaining": shared.remaining_replies()}),
                    )
                }
                Err(e) => Answer::json(400, &json!({"error": format!("bad reply: {e}")})),
            }
        }
        ("POST", "reset") => {
            shared.reset();
            Answer::json(200, &json!({"reset": true}))
        }
        _ => Answer::json(
            404,
            &json!({"error": "control endpoints: GET /_mock/requests, POST /_mock/replies, POST /_mock/reset"}),
        ),
    }
}

/// Checks the credentials `/v1/messages` requires, if any.
fn check_auth(shared: &Shared, req: &Request) -> Result<(), Answer> {
    let want_key = shared.scenario.require_api_key.as_deref();
    let want_oauth = shared.oauth.cfg.require_valid_access_token;
    if want_key.is_none() && !want_oauth {
        return Ok(());
    }
    if let Some(k) = want_key
        && req.header("x-api-key") == Some(k)
    {
        return Ok(());
    }
    let bearer = req
        .header("authorization")
        .and_then(|a| {
            a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("bearer "))
        })
        .map(str::trim);
    // Report the OAuth problem when a bearer token was sent or only OAuth is accepted.
    let message = if want_oauth && (bearer.is_some() || want_key.is_none()) {
        match shared.oauth.check_access(bearer) {
            Ok(()) => return Ok(()),
            Err(m) => m,
        }
    } else {
        "invalid x-api-key"
    };
    Err(api_error(401, "authentication_error", message))
}

async fn messages<R, W>(
    shared: &Shared,
    req: &Request,
    body_text: &str,
    json: Option<Value>,
    rd: &mut R,
    wr: &mut W,
) -> io::Result<After>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    if let Err(a) = check_auth(shared, req) {
        return send(wr, req, a).await;
    }
    let model = json
        .as_ref()
        .and_then(|j| j.get("model"))
        .and_then(Value::as_str)
        .unwrap_or("claude-sonnet-5")
        .to_string();
    let mut reply = shared.next_reply(&model, body_text);
    if reply.kind == ReplyKind::Demo {
        let mut answer = crate::brain::answer(json.as_ref());
        answer.headers = std::mem::take(&mut reply.headers);
        answer.delay_ms = reply.delay_ms;
        reply = answer;
    }
    if reply.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.delay_ms)).await;
    }
    let mut headers = reply.headers.clone();
    headers.push(request_id());
    match reply.kind {
        ReplyKind::Http {
            status,
            error,
            body,
        } => {
            let body = body.map(String::into_bytes).unwrap_or_else(|| {
                json!({"type": "error", "error": {"type": error.error_type, "message": error.message}})
                    .to_string()
                    .into_bytes()
            });
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.insert(0, ("content-type".into(), "application/json".into()));
            }
            send(
                wr,
                req,
                Answer {
                    status,
                    headers,
                    body,
                },
            )
            .await
        }
        ReplyKind::RawSse(raw) => {
            headers.insert(0, ("content-type".into(), "text/event-stream".into()));
            http::write_chunked_head(wr, 200, &headers, req.keep_alive).await?;
            http::write_chunk(wr, raw.as_bytes()).await?;
            http::write_last_chunk(wr).await?;
            Ok(After::KeepAlive)
        }
        ReplyKind::Hang => {
            // Never answer; return when the client gives up and closes the connection.
            until_closed(rd).await
        }
        ReplyKind::Demo => Ok(After::Close), // replaced above
        ReplyKind::Message(mut msg) => {
            crate::template::fill(&mut msg.content, json.as_ref());
            // Only an explicit `"stream": false` gets the whole message (the real API also
            // answers an absent `stream` so; hand-written requests to the mock expect SSE).
            let streaming = json
                .as_ref()
                .and_then(|j| j.get("stream"))
                .and_then(Value::as_bool)
                != Some(false);
            if !streaming {
                return whole_message(&msg, &model, req, headers, rd, wr).await;
            }
            let events = sse::message_events(&msg, &model, req.body.len());
            headers.insert(0, ("content-type".into(), "text/event-stream".into()));
            headers.insert(1, ("cache-control".into(), "no-cache".into()));
            // After an error event the stream ends and the connection is closed.
            let keep_alive = req.keep_alive && msg.sse_error.is_none();
            http::write_chunked_head(wr, 200, &headers, keep_alive).await?;
            let error_at = msg
                .sse_error
                .as_ref()
                .map(|_| msg.after_events.min(events.len()));
            for i in 0..=events.len() {
                for (_, raw) in msg
                    .inject
                    .iter()
                    .filter(|(at, _)| *at == i || (i == events.len() && *at > events.len()))
                {
                    http::write_chunk(wr, raw.as_bytes()).await?;
                }
                if msg.stall_after_events == Some(i) {
                    return until_closed(rd).await;
                }
                if msg.cut_after_events == Some(i) {
                    return Ok(After::Close); // abrupt: no terminating chunk
                }
                if error_at == Some(i) {
                    break;
                }
                let Some(ev) = events.get(i) else { break };
                if i > 0 && msg.chunk_delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(msg.chunk_delay_ms)).await;
                }
                http::write_chunk(wr, ev.as_bytes()).await?;
            }
            if msg.stall_after_events.is_some_and(|n| n > events.len()) {
                return until_closed(rd).await;
            }
            if msg.cut_after_events.is_some_and(|n| n > events.len()) && error_at.is_none() {
                return Ok(After::Close);
            }
            if let Some(e) = &msg.sse_error {
                http::write_chunk(wr, sse::error_event(e).as_bytes()).await?;
                http::write_last_chunk(wr).await?;
                return Ok(After::Close);
            }
            http::write_last_chunk(wr).await?;
            Ok(After::KeepAlive)
        }
    }
}

/// Waits until the client closes the connection (a stalled or hung answer).
async fn until_closed<R: AsyncBufRead + Unpin>(rd: &mut R) -> io::Result<After> {
    let mut buf = [0u8; 1024];
    loop {
        match rd.read(&mut buf).await {
            Ok(0) | Err(_) => return Ok(After::Close),
            Ok(_) => {}
        }
    }
}

/// The HTTP status of an API error type (for an in-stream error scripted on a reply that a
/// non-streaming request gets).
fn status_of(error_type: &str) -> u16 {
    match error_type {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// A message reply to a non-streaming request (`"stream": false`): the whole message
/// as JSON. Its faults map to what such a request would meet: an in-stream error becomes the
/// HTTP error, a cut drops the connection half-way through the body, a stall sends the head
/// and nothing more.
async fn whole_message<R, W>(
    msg: &crate::scenario::MessageReply,
    model: &str,
    req: &Request,
    mut headers: Vec<(String, String)>,
    rd: &mut R,
    wr: &mut W,
) -> io::Result<After>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    use tokio::io::AsyncWriteExt;
    if let Some(e) = &msg.sse_error {
        let mut a = api_error(status_of(&e.error_type), &e.error_type, &e.message);
        a.headers.extend(headers);
        return send(wr, req, a).await;
    }
    let body = sse::message_json(msg, model, req.body.len()).to_string();
    headers.insert(0, ("content-type".into(), "application/json".into()));
    if msg.stall_after_events.is_some() || msg.cut_after_events.is_some() {
        let mut head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n", body.len());
        for (k, v) in &headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        wr.write_all(head.as_bytes()).await?;
        if msg.stall_after_events.is_some() {
            wr.flush().await?;
            return until_closed(rd).await;
        }
        wr.write_all(&body.as_bytes()[..body.len() / 2]).await?;
        wr.flush().await?;
        return Ok(After::Close);
    }
    send(
        wr,
        req,
        Answer {
            status: 200,
            headers,
            body: body.into_bytes(),
        },
    )
    .await
}
