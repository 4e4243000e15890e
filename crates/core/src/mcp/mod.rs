//! The MCP client: the servers of a session, started in parallel in the background, their tools
//! registered in the session's [`ToolSet`] as `mcp__<server>__<tool>` as soon as each server is
//! ready (offered from the next request on), their prompts as `/mcp__<server>__<prompt>`
//! commands and their resources through two tools.
//!
//! ```text
//! config (which servers) ─▶ McpManager::start ─▶ one task per server:
//!     transport (stdio | http | sse | a host's) ─▶ Connection (JSON-RPC) ─▶ initialize, list
//!     ─▶ tools registered; list_changed re-lists; the end of the connection withdraws them
//! ```
//!
//! A server that cannot start, does not answer within `MCP_TIMEOUT` (30 s; a server's own
//! `timeout` wins) or dies later is reported (`/mcp`, stream-json `init`, a warning) with the
//! reason and the end of its stderr, and the session goes on without its tools. As in Claude
//! Code 2.1.332 (observed): print mode and the SDK wait for the servers before `init` and the
//! first request (bounded by their start-up limits) unless `MCP_CONNECTION_NONBLOCKING` is set;
//! the terminal UI never waits — a prompt sent meanwhile goes without their tools (ToolSearch
//! waits a few seconds for servers still starting) — unless `MCP_CONNECTION_NONBLOCKING=0`. Tool calls end after `MCP_TOOL_TIMEOUT` (10 minutes by default:
//! Claude Code's default is a day, which turns a hung server into a hung session).
//!
//! Stdio servers run in their own process group under the exec helper (see
//! [`crate::process`]): closing the session, any exit of ccrs and `kill -9` all end them and
//! everything they started.

pub mod client;
pub mod config;
pub mod resources;
pub mod search;
pub mod store;
pub mod tool;
pub mod transport;

pub use client::{Connection, Note, ServerInfo};
pub use config::{Scope, ServerConfig, TransportConfig};
pub use transport::{Inbound, Inbox, Transport};

use crate::BoxFuture;
use crate::agent::ToolSet;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Why an MCP exchange failed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum McpError {
    #[error("{0}")]
    Transport(String),
    #[error("{0}")]
    Config(String),
    /// The server needs credentials (HTTP 401/403).
    #[error("{0}")]
    NeedsAuth(String),
    #[error("{0}")]
    Closed(String),
    #[error("the server answered with error {code}: {message}")]
    Rpc { code: i64, message: String },
    #[error("{method} got no answer within {} s", after.as_secs_f64())]
    Timeout { method: String, after: Duration },
    #[error("cancelled")]
    Cancelled,
}

/// A server's state, as `/mcp` and stream-json `init` (`status`) show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    /// Starting.
    Pending,
    Connected,
    /// Could not start, or ended; the reason.
    Failed(String),
    /// The server wants credentials.
    NeedsAuth(String),
}

impl State {
    /// The `status` of stream-json's `mcp_servers`.
    pub fn as_str(&self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Connected => "connected",
            State::Failed(_) => "failed",
            State::NeedsAuth(_) => "needs-auth",
        }
    }
}

/// A prompt a server offers (`/mcp__server__prompt`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    /// The command name, `mcp__<server>__<prompt>`.
    pub command: String,
    pub name: String,
    pub description: String,
    /// Argument names, and whether each is required.
    pub arguments: Vec<(String, bool)>,
}

/// What `/mcp` shows of a server.
#[derive(Clone, Debug)]
pub struct ServerReport {
    pub name: String,
    pub scope: Scope,
    /// `stdio`, `http`, `sse`, `sdk` (or `?` for an entry that cannot be used).
    pub transport: &'static str,
    /// The command line or URL.
    pub target: String,
    pub state: State,
    /// `mcp__…` tool names.
    pub tools: Vec<String>,
    pub prompts: Vec<String>,
    pub resources: bool,
    /// The server's name and version from `initialize`.
    pub server_info: Option<(String, String)>,
    /// The last lines of its stderr (when it failed).
    pub stderr: String,
    pub pid: Option<u32>,
}

/// One line (and the end of its stderr) telling that a server failed.
pub fn failure_text(r: &ServerReport) -> String {
    let why = match &r.state {
        State::Failed(w) | State::NeedsAuth(w) => w.as_str(),
        _ => "",
    };
    let mut s = format!("MCP server \"{}\" failed: {why}", r.name);
    if !r.stderr.is_empty() {
        s.push_str("\n  stderr: ");
        s.push_str(&r.stderr.replace('\n', "\n          "));
    }
    s
}

/// Connects servers whose transport is not ccrs's own: the SDK front end supplies one for
/// `{"type":"sdk"}` servers (messages go to the host as `mcp_message` control requests).
pub trait Connector: Send + Sync {
    /// A transport for the SDK server `name` that delivers the host's replies into `inbox`.
    fn connect(
        &self,
        name: &str,
        inbox: Inbox,
    ) -> BoxFuture<'_, Result<Arc<dyn Transport>, McpError>>;
}

/// What the servers of a session share.
#[derive(Clone)]
pub struct StartContext {
    pub cwd: PathBuf,
    /// The working directories (`roots/list`).
    pub roots: Vec<PathBuf>,
    /// `MCP_TIMEOUT`.
    pub startup_timeout: Duration,
    /// `MCP_TOOL_TIMEOUT`.
    pub tool_timeout: Duration,
    /// `MCP_CONNECTION_NONBLOCKING`: `Some(true)` never wait for servers still starting,
    /// `Some(false)` always wait (bounded), unset: the front end's default.
    pub nonblocking: Option<bool>,
}

impl StartContext {
    /// The limits from the environment (the settings' `env` included).
    pub fn from_env(cwd: PathBuf, roots: Vec<PathBuf>) -> Self {
        let ms = |k: &str, default: u64| {
            Duration::from_millis(
                crate::env::parse::<u64>(k)
                    .filter(|v| *v > 0)
                    .unwrap_or(default),
            )
        };
        StartContext {
            cwd,
            roots,
            startup_timeout: ms("MCP_TIMEOUT", 30_000),
            tool_timeout: ms("MCP_TOOL_TIMEOUT", 600_000),
            nonblocking: crate::env::nonempty("MCP_CONNECTION_NONBLOCKING")
                .and_then(|v| crate::env::switch(&v)),
        }
    }
}

struct Server {
    config: ServerConfig,
    state: State,
    info: Option<ServerInfo>,
    tools: Vec<String>,
    prompts: Vec<Prompt>,
    conn: Option<Arc<Connection>>,
    stderr: String,
    pid: Option<u32>,
}

struct Inner {
    servers: Mutex<Vec<Server>>,
    tools: ToolSet,
    ctx: StartContext,
    connector: Mutex<Option<Arc<dyn Connector>>>,
    /// Bumped on every state change (waiters watch it).
    version: watch::Sender<u64>,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

/// The MCP servers of a session. Cheap to clone.
#[derive(Clone)]
pub struct McpManager {
    inner: Arc<Inner>,
}

/// Closing waits this long for servers to exit by themselves before killing them.
const CLOSE_GRACE: Duration = Duration::from_millis(300);

impl McpManager {
    pub fn new(tools: ToolSet, ctx: StartContext) -> Self {
        McpManager {
            inner: Arc::new(Inner {
                servers: Mutex::new(Vec::new()),
                tools,
                ctx,
                connector: Mutex::new(None),
                version: watch::channel(0).0,
                tasks: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Supplies the transport for `{"type":"sdk"}` servers (before [`Self::start`]).
    pub fn set_connector(&self, c: Arc<dyn Connector>) {
        if let Ok(mut g) = self.inner.connector.lock() {
            *g = Some(c);
        }
    }

    fn weak(&self) -> Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    fn from_weak(w: &Weak<Inner>) -> Option<McpManager> {
        w.upgrade().map(|inner| McpManager { inner })
    }

    /// Starts every server in the background (needs a tokio runtime; without one they are
    /// reported failed).
    pub fn start(&self, configs: Vec<ServerConfig>) {
        let runtime = tokio::runtime::Handle::try_current().ok();
        for config in configs {
            let state = match (&config.transport, &runtime) {
                (Err(e), _) => State::Failed(format!("invalid configuration: {e}")),
                (_, None) => State::Failed("no async runtime to start it on".into()),
                _ => State::Pending,
            };
            let starts = state == State::Pending;
            let name = config.name.clone();
            if let Ok(mut s) = self.inner.servers.lock() {
                s.push(Server {
                    config,
                    state,
                    info: None,
                    tools: Vec::new(),
                    prompts: Vec::new(),
                    conn: None,
                    stderr: String::new(),
                    pid: None,
                });
            }
            if starts && let Some(rt) = &runtime {
                let task = rt.spawn(run_server(self.weak(), name));
                if let Ok(mut t) = self.inner.tasks.lock() {
                    t.push(task);
                }
            }
        }
        self.bump();
    }

    fn bump(&self) {
        self.inner.version.send_modify(|v| *v += 1);
    }

    fn with_server<R>(&self, name: &str, f: impl FnOnce(&mut Server) -> R) -> Option<R> {
        let mut s = self.inner.servers.lock().ok()?;
        s.iter_mut().find(|s| s.config.name == name).map(f)
    }

    /// Every server's state, in listing order.
    pub fn report(&self) -> Vec<ServerReport> {
        let Ok(servers) = self.inner.servers.lock() else {
            return Vec::new();
        };
        servers
            .iter()
            .map(|s| ServerReport {
                name: s.config.name.clone(),
                scope: s.config.scope,
                transport: s.config.transport.as_ref().map_or("?", |t| t.kind()),
                target: s
                    .config
                    .transport
                    .as_ref()
                    .map(|t| t.target())
                    .unwrap_or_default(),
                state: s.state.clone(),
                tools: s.tools.clone(),
                prompts: s.prompts.iter().map(|p| p.command.clone()).collect(),
                resources: s.info.as_ref().is_some_and(|i| i.has("resources")),
                server_info: s.info.as_ref().map(|i| (i.name.clone(), i.version.clone())),
                stderr: s.stderr.clone(),
                pid: s.pid,
            })
            .collect()
    }

    /// stream-json `init`'s `mcp_servers`: `[{"name", "status"}]`.
    pub fn status_json(&self) -> Vec<Value> {
        self.report()
            .iter()
            .map(|r| json!({"name": r.name, "status": r.state.as_str()}))
            .collect()
    }

    /// Names of the servers still starting.
    pub fn pending(&self) -> Vec<String> {
        self.report()
            .into_iter()
            .filter(|r| r.state == State::Pending)
            .map(|r| r.name)
            .collect()
    }

    /// Waits until no server is starting, at most `bound`. True when none is.
    pub async fn wait_settled(&self, bound: Duration) -> bool {
        let mut rx = self.inner.version.subscribe();
        let settled = async {
            loop {
                if self.pending().is_empty() {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(bound, settled).await;
        self.pending().is_empty()
    }

    /// Waits (bounded by the servers' own start-up limits) for the servers still starting when
    /// `MCP_CONNECTION_NONBLOCKING=0` asks the first request to wait.
    /// Waits (bounded) for the servers still starting, unless `MCP_CONNECTION_NONBLOCKING`
    /// says otherwise; `default_wait` is the front end's default (print mode: wait).
    pub async fn settle(&self, default_wait: bool) {
        if !self.inner.ctx.nonblocking.unwrap_or(!default_wait) {
            let bound = self.inner.ctx.startup_timeout + Duration::from_secs(1);
            self.wait_settled(bound).await;
        }
    }

    /// The prompt behind `/mcp__server__prompt`.
    pub fn prompt(&self, command: &str) -> Option<(String, Prompt)> {
        let servers = self.inner.servers.lock().ok()?;
        servers.iter().find_map(|s| {
            s.prompts
                .iter()
                .find(|p| p.command == command)
                .map(|p| (s.config.name.clone(), p.clone()))
        })
    }

    /// Every prompt command of the connected servers.
    pub fn prompts(&self) -> Vec<Prompt> {
        self.inner
            .servers
            .lock()
            .map(|s| s.iter().flat_map(|s| s.prompts.clone()).collect())
            .unwrap_or_default()
    }

    pub(crate) fn connection(&self, server: &str) -> Option<Arc<Connection>> {
        self.with_server(server, |s| s.conn.clone()).flatten()
    }

    /// Connected servers that offer resources.
    pub(crate) fn resource_servers(&self) -> Vec<(String, Arc<Connection>)> {
        let Ok(servers) = self.inner.servers.lock() else {
            return Vec::new();
        };
        servers
            .iter()
            .filter(|s| s.info.as_ref().is_some_and(|i| i.has("resources")))
            .filter_map(|s| s.conn.clone().map(|c| (s.config.name.clone(), c)))
            .collect()
    }

    pub(crate) fn tool_timeout(&self) -> Duration {
        self.inner.ctx.tool_timeout
    }

    /// Runs `/mcp__server__prompt args`: the arguments are split on blanks and given to the
    /// prompt's arguments in order (the last takes the rest); the prompt's messages become the
    /// content of the turn.
    pub async fn get_prompt(
        &self,
        server: &str,
        prompt: &Prompt,
        args: &str,
    ) -> Result<Vec<crate::message::ContentBlock>, McpError> {
        let conn = self
            .connection(server)
            .ok_or_else(|| McpError::Closed(format!("MCP server \"{server}\" is not connected")))?;
        let mut arguments = serde_json::Map::new();
        let mut rest = args.trim();
        let n = prompt.arguments.len();
        for (i, (name, required)) in prompt.arguments.iter().enumerate() {
            let value = if i + 1 == n {
                std::mem::take(&mut rest).to_string()
            } else {
                let (word, tail) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
                rest = tail.trim_start();
                word.to_string()
            };
            if value.is_empty() && *required {
                return Err(McpError::Config(format!(
                    "/{} needs the argument \"{name}\"",
                    prompt.command
                )));
            }
            if !value.is_empty() {
                arguments.insert(name.clone(), Value::String(value));
            }
        }
        let r = conn
            .request(
                "prompts/get",
                json!({"name": prompt.name, "arguments": arguments}),
                self.inner.ctx.startup_timeout,
                None,
            )
            .await?;
        let mut blocks = Vec::new();
        for m in r
            .get("messages")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(c) = m.get("content") {
                tool::content_blocks(c, &mut blocks);
            }
        }
        Ok(blocks
            .into_iter()
            .map(crate::message::ContentBlock::from_value)
            .collect())
    }

    /// Stops every server: end of file on stdin (a short grace to exit), then the kill of
    /// whatever is left, process groups included.
    pub async fn shutdown(&self) {
        let conns: Vec<Arc<Connection>> = self
            .inner
            .servers
            .lock()
            .map(|s| s.iter().filter_map(|s| s.conn.clone()).collect())
            .unwrap_or_default();
        if let Ok(mut t) = self.inner.tasks.lock() {
            for task in t.drain(..) {
                task.abort();
            }
        }
        let closes: Vec<_> = conns.iter().map(|c| c.close(CLOSE_GRACE)).collect();
        for c in closes {
            c.await;
        }
        self.kill_all();
    }

    /// Kills every server at once (synchronous: for `Drop` and the exit paths).
    pub fn kill_all(&self) {
        if let Ok(mut t) = self.inner.tasks.lock() {
            for task in t.drain(..) {
                task.abort();
            }
        }
        if let Ok(mut s) = self.inner.servers.lock() {
            for server in s.iter_mut() {
                // Dropping the last handle of a stdio transport kills its process group.
                server.conn = None;
            }
        }
    }
}

/// Starts one server and follows it until its connection ends.
async fn run_server(inner: Weak<Inner>, name: String) {
    let Some(m) = McpManager::from_weak(&inner) else {
        return;
    };
    let Some((config, connector)) = m.with_server(&name, |s| s.config.clone()).map(|c| {
        let connector = m.inner.connector.lock().ok().and_then(|c| c.clone());
        (c, connector)
    }) else {
        return;
    };
    let ctx = m.inner.ctx.clone();
    let timeout = config.timeout.unwrap_or(ctx.startup_timeout);
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    let (inbox, inbox_rx) = mpsc::channel(transport::INBOX);
    crate::debug_log!(
        crate::log::MCP,
        "{name}: starting ({})",
        config.scope.as_str()
    );
    let transport: Mutex<Option<Arc<dyn Transport>>> = Mutex::new(None);
    let start = async {
        let t: Arc<dyn Transport> = match config.transport.clone() {
            Err(e) => return Err(McpError::Config(e)),
            Ok(TransportConfig::Stdio { command, args, env }) => {
                let cmd = transport::stdio::Command {
                    name: &name,
                    command: &command,
                    args: &args,
                    env: &env,
                    cwd: &ctx.cwd,
                };
                transport::stdio::connect(cmd, inbox).await?
            }
            Ok(TransportConfig::Http {
                url,
                headers,
                headers_helper,
            }) => {
                let h = transport::headers(&headers, headers_helper.as_deref(), &ctx.cwd).await?;
                transport::http::connect(&url, h, inbox)?
            }
            Ok(TransportConfig::Sse {
                url,
                headers,
                headers_helper,
            }) => {
                let h = transport::headers(&headers, headers_helper.as_deref(), &ctx.cwd).await?;
                transport::sse::connect(&url, h, inbox, timeout).await?
            }
            Ok(TransportConfig::Sdk { name: sdk_name }) => match &connector {
                Some(c) => c.connect(&sdk_name, inbox).await?,
                None => {
                    return Err(McpError::Config(
                        "an SDK server is only reachable when ccrs runs under the Agent SDK".into(),
                    ));
                }
            },
        };
        if let Ok(mut g) = transport.lock() {
            *g = Some(t.clone());
        }
        let conn = Connection::new(t, inbox_rx, ctx.roots.clone(), notes_tx);
        let info = conn.initialize(timeout).await?;
        Ok::<_, McpError>((conn, info))
    };
    let started = tokio::time::timeout(timeout, start).await;
    let t = transport.lock().ok().and_then(|mut g| g.take());
    let stderr = || t.as_ref().map(|t| t.stderr_tail()).unwrap_or_default();
    let (conn, info) = match started {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => {
            let state = match e {
                McpError::NeedsAuth(why) => State::NeedsAuth(why),
                McpError::Closed(why) => {
                    let ended = match &t {
                        Some(t) => t.ended(Duration::from_secs(1)).await,
                        None => None,
                    };
                    State::Failed(ended.unwrap_or(why))
                }
                e => State::Failed(e.to_string()),
            };
            m.fail(&name, state, stderr(), t.as_ref());
            return;
        }
        Err(_) => {
            let why = format!(
                "did not start within {} s ({})",
                timeout.as_secs_f64(),
                if config.timeout.is_some() {
                    "its \"timeout\""
                } else {
                    "MCP_TIMEOUT"
                }
            );
            m.fail(&name, State::Failed(why), stderr(), t.as_ref());
            return;
        }
    };
    m.with_server(&name, |s| {
        s.pid = conn.transport().pid();
        s.info = Some(info.clone());
        s.conn = Some(conn.clone());
    });
    m.refresh_tools(&name, &conn, &config).await;
    m.refresh_prompts(&name, &conn, &info).await;
    if info.has("resources") {
        resources::register(&m);
    }
    m.with_server(&name, |s| s.state = State::Connected);
    crate::debug_log!(
        crate::log::MCP,
        "{name}: connected ({} {}, protocol {})",
        info.name,
        info.version,
        info.protocol_version
    );
    m.bump();
    drop(m);
    while let Some(note) = notes.recv().await {
        let Some(m) = McpManager::from_weak(&inner) else {
            return;
        };
        match note {
            Note::ToolsChanged => m.refresh_tools(&name, &conn, &config).await,
            Note::PromptsChanged => m.refresh_prompts(&name, &conn, &info).await,
            Note::ResourcesChanged => {}
            Note::Closed(why) => {
                let tail = conn.transport().stderr_tail();
                m.fail(&name, State::Failed(why), tail, Some(conn.transport()));
                return;
            }
        }
        m.bump();
    }
}

impl McpManager {
    /// Records a failure, withdraws the server's tools and drops its connection.
    fn fail(&self, name: &str, state: State, stderr: String, t: Option<&Arc<dyn Transport>>) {
        crate::debug_log!(crate::log::MCP, "{name}: {state:?}; stderr: {stderr}");
        let tools = self
            .with_server(name, |s| {
                s.state = state;
                s.stderr = stderr;
                s.conn = None;
                s.prompts.clear();
                s.pid = s.pid.or_else(|| t.and_then(|t| t.pid()));
                std::mem::take(&mut s.tools)
            })
            .unwrap_or_default();
        if !tools.is_empty() {
            self.inner
                .tools
                .retain(|t| !tools.iter().any(|n| n == t.name()));
        }
        self.bump();
    }

    async fn refresh_tools(&self, name: &str, conn: &Arc<Connection>, config: &ServerConfig) {
        let listed = match conn
            .list_all("tools/list", "tools", self.inner.ctx.startup_timeout)
            .await
        {
            Ok(l) => l,
            // A server without tools may not implement the method at all.
            Err(McpError::Rpc { code: -32601, .. }) => Vec::new(),
            Err(e) => {
                crate::debug_log!(crate::log::MCP, "{name}: tools/list failed: {e}");
                Vec::new()
            }
        };
        let mut tools = Vec::new();
        for v in &listed {
            match tool::McpTool::from_listing(name, v, conn, self.inner.ctx.tool_timeout) {
                Some(mut t) => {
                    t.always_load = config.always_load;
                    tools.push(t);
                }
                None => crate::debug_log!(crate::log::MCP, "{name}: skipped a tool: {v}"),
            }
        }
        let names: Vec<String> = tools.iter().map(|t| t.name.clone()).collect();
        let old = self
            .with_server(name, |s| std::mem::replace(&mut s.tools, names.clone()))
            .unwrap_or_default();
        self.inner
            .tools
            .retain(|t| !old.iter().any(|n| n == t.name()) || names.iter().any(|n| n == t.name()));
        for t in tools {
            self.inner.tools.register(Arc::new(t));
        }
    }

    async fn refresh_prompts(&self, name: &str, conn: &Arc<Connection>, info: &ServerInfo) {
        if !info.has("prompts") {
            return;
        }
        let listed = conn
            .list_all("prompts/list", "prompts", self.inner.ctx.startup_timeout)
            .await
            .unwrap_or_default();
        let prompts: Vec<Prompt> = listed
            .iter()
            .filter_map(|p| {
                let pname = p.get("name")?.as_str()?.to_string();
                Some(Prompt {
                    command: tool::tool_name(name, &pname),
                    description: p
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    arguments: p
                        .get("arguments")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|a| {
                            Some((
                                a.get("name")?.as_str()?.to_string(),
                                a.get("required") == Some(&Value::Bool(true)),
                            ))
                        })
                        .collect(),
                    name: pname,
                })
            })
            .collect();
        self.with_server(name, |s| s.prompts = prompts);
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(mut t) = self.tasks.lock() {
            for task in t.drain(..) {
                task.abort();
            }
        }
    }
}
