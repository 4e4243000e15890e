//! The Agent SDK front end: `--input-format stream-json --output-format stream-json`, the way the
//! Python and TypeScript `claude-agent-sdk` run Claude Code.
//!
//! stdin carries NDJSON user messages and control messages; each user message is one turn,
//! answered by the stream-json lines of print mode and one `result`. Messages that arrive while
//! a turn runs are queued. The control protocol runs both ways: the host's `initialize`,
//! `interrupt`, `set_model`, `set_permission_mode` (the last three also mid-turn, through
//! [`SessionControl`]); ccrs's `can_use_tool` (`--permission-prompt-tool stdio`) and
//! `mcp_message` (SDK-hosted MCP servers) through [`host::Host`]. The process ends right after
//! stdin closes and the last turn's `result`. Like print mode, it only drives a core `Session`.

mod host;
mod input;
mod mcp;

use crate::args::{Args, OutputFormat};
use crate::print_mode::{PrintSink, local_result, watch_signals};
use crate::sdk_messages as msg;
use crate::{output, setup};
use anyhow::{Result, bail};
use ccrs_core::cancel::CancelToken;
use ccrs_core::message::ContentBlock;
use ccrs_core::permissions::{DenyPrompter, Mode, PermissionPrompter};
use ccrs_core::session::{AgentSource, Prepared, Session, SessionControl, SessionSetup, UserInput};
use host::Host;
use input::Incoming;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

/// Says once on stderr that an input the host sent is accepted but not honoured.
#[derive(Default)]
struct Unsupported(Vec<String>);

impl Unsupported {
    fn note(&mut self, what: &str) {
        if !self.0.iter().any(|w| w == what) {
            eprintln!(
                "ccrs: warning: {what} is not supported by this version of ccrs yet; ignored"
            );
            self.0.push(what.to_string());
        }
    }
}

/// What the loop keeps besides the session.
struct Front {
    host: Arc<Host>,
    sink: Arc<PrintSink>,
    control: SessionControl,
    args: Args,
    initialized: bool,
    /// SDK-hosted MCP servers, connected before the first turn.
    sdk_servers: Vec<String>,
    mcp_connected: bool,
    mcp_status: Vec<Value>,
    /// Core's MCP servers (the configured ones).
    mcp: ccrs_core::mcp::McpManager,
    unsupported: Unsupported,
    /// `CLAUDE_CODE_SDK_READS_SESSION_STATE`: the SDK waits for `idle` before closing stdin.
    session_state: Option<bool>,
}

pub async fn run(args: Args, session_id: String, resume: setup::Resume) -> Result<i32> {
    if args.output_format != OutputFormat::StreamJson {
        bail!("--input-format=stream-json requires output-format=stream-json.");
    }
    if !args.verbose {
        bail!("When using --print, --output-format=stream-json requires --verbose");
    }
    let cwd = std::env::current_dir()?;
    let mut options = setup::options(&args, &cwd)?;
    options.session_id = Some(session_id);
    // The SDK's own servers are reached through the host (sdk::mcp); core starts the others.
    options.mcp_config = mcp::without_sdk_servers(&options.mcp_config);
    if let setup::Resume::Found(f) = resume {
        options.resume = Some(f);
    }
    let setup = SessionSetup::load(options)?;
    let auth = crate::auth_setup::provider(setup.settings())?;
    let mut session = setup.start(auth, Arc::new(DenyPrompter))?;
    let host = Arc::new(Host::default());
    let mut unsupported = Unsupported::default();
    match args.permission_prompt_tool.as_deref() {
        Some("stdio") => session.set_prompter(Arc::new(host::SdkPrompter {
            host: host.clone(),
            control: session.control().clone(),
            warned_updates: AtomicBool::new(false),
        }) as Arc<dyn PermissionPrompter>),
        Some(_) => unsupported.note("--permission-prompt-tool with an MCP tool"),
        None => {}
    }
    // Honoured here: the prompt tool (stdio), the SDK's MCP servers (others are named below).
    let honoured = [
        "--permission-prompt-tool",
        "--mcp-config",
        "--strict-mcp-config",
    ];
    for w in session.warnings().iter().cloned().chain(
        setup::not_yet_honoured(&args)
            .into_iter()
            .filter(|w| !honoured.iter().any(|h| w.starts_with(&format!("{h} ")))),
    ) {
        eprintln!("ccrs: warning: {w}");
    }
    let (sdk_servers, _) = mcp::sdk_servers(&args.mcp_config);
    let reads_state = std::env::var("CLAUDE_CODE_SDK_READS_SESSION_STATE").is_ok_and(|v| v == "1");
    let emit_state = std::env::var("CLAUDE_CODE_EMIT_SESSION_STATE_EVENTS").is_ok_and(|v| v == "1");
    let mut front = Front {
        sink: Arc::new(PrintSink {
            format: OutputFormat::StreamJson,
            verbose: true,
            partial: args.include_partial_messages,
            hook_events: args.include_hook_events,
            session_id: session.id().to_string(),
            collected: Mutex::new(Vec::new()),
            max_line: Some(msg::SDK_MAX_LINE),
        }),
        control: session.control().clone(),
        host: host.clone(),
        args,
        initialized: false,
        sdk_servers,
        mcp_connected: false,
        mcp_status: Vec::new(),
        mcp: session.mcp().clone(),
        unsupported,
        session_state: (reads_state || emit_state).then_some(!emit_state),
    };
    let stop = CancelToken::new();
    output::cancel_on_broken_pipe(&stop);
    let signal = watch_signals(stop.clone());
    let mut rx = input::spawn(host.clone());
    let mut queue: VecDeque<Value> = VecDeque::new();
    let mut eof = false;
    loop {
        if stop.is_cancelled() {
            break;
        }
        let Some(message) = queue.pop_front() else {
            if eof {
                break;
            }
            tokio::select! {
                m = rx.recv() => match m {
                    None => eof = true,
                    Some(Incoming::User(v)) => queue.push_back(v),
                    Some(Incoming::Control { id, request }) => {
                        let reply = front.idle_control(&mut session, &request).await;
                        respond(&id, reply);
                    }
                },
                _ = stop.cancelled() => {}
            }
            continue;
        };
        front
            .turn(&mut session, message, &mut rx, &mut queue, &mut eof, &stop)
            .await;
    }
    session.close();
    host.close();
    if output::broken() {
        return Ok(output::BROKEN_PIPE_STATUS);
    }
    if let Ok(g) = signal.lock()
        && let Some(code) = *g
    {
        return Ok(code);
    }
    Ok(0)
}

/// Writes the answer to one of the host's requests.
fn respond(id: &str, reply: Result<Value, String>) {
    let response = match reply {
        Ok(v) => json!({"subtype": "success", "request_id": id, "response": v}),
        Err(e) => json!({"subtype": "error", "request_id": id, "error": e}),
    };
    output::json_line(&json!({"type": "control_response", "response": response}));
}

fn subtype(request: &Value) -> &str {
    request.get("subtype").and_then(Value::as_str).unwrap_or("")
}

/// `set_model`'s `model`: null and "default" mean the default model.
fn model_of(request: &Value) -> String {
    request
        .get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .unwrap_or("default")
        .to_string()
}

fn mode_of(request: &Value) -> Result<Mode, String> {
    let m = request.get("mode").and_then(Value::as_str).unwrap_or("");
    m.parse::<Mode>()
        .map_err(|_| format!("Invalid permission mode: {m}"))
}

impl Front {
    /// The host's requests that work the same during a turn and between turns.
    fn common_control(&mut self, request: &Value) -> Option<Result<Value, String>> {
        Some(match subtype(request) {
            "interrupt" => {
                self.control.interrupt();
                Ok(json!({}))
            }
            "set_permission_mode" => mode_of(request)
                .and_then(|m| self.control.set_permission_mode(m))
                .map(|()| json!({})),
            "mcp_status" => Ok(json!({"mcpServers": self.mcp_servers()})),
            "initialize" | "set_model" => return None,
            other => Err(format!("Unsupported control request subtype: {other}")),
        })
    }

    async fn idle_control(
        &mut self,
        session: &mut Session,
        request: &Value,
    ) -> Result<Value, String> {
        match subtype(request) {
            "initialize" => self.initialize(session, request),
            "set_model" => {
                session.set_model(&model_of(request));
                Ok(json!({}))
            }
            _ => self
                .common_control(request)
                .unwrap_or_else(|| Err("unexpected request".into())),
        }
    }

    fn busy_control(&mut self, request: &Value) -> Result<Value, String> {
        match subtype(request) {
            "initialize" => Err("Already initialized".into()),
            "set_model" => {
                // Taken by the running query before its next request.
                self.control.set_model(&model_of(request));
                Ok(json!({}))
            }
            _ => self
                .common_control(request)
                .unwrap_or_else(|| Err("unexpected request".into())),
        }
    }

    fn initialize(&mut self, session: &mut Session, request: &Value) -> Result<Value, String> {
        if self.initialized {
            return Err("Already initialized".into());
        }
        self.initialized = true;
        if let Some(agents) = request.get("agents").filter(|a| !a.is_null()) {
            let (defs, notes) =
                ccrs_core::agent::definitions::parse_json(agents, AgentSource::Sdk)?;
            for n in notes {
                eprintln!("ccrs: warning: {n}");
            }
            session.add_agents(defs);
        }
        let text = |k: &str| request.get(k).and_then(Value::as_str).map(str::to_string);
        if request.get("systemPrompt").is_some() || request.get("appendSystemPrompt").is_some() {
            session.set_system_prompt(text("systemPrompt"), text("appendSystemPrompt"));
        }
        if let Some(schema) = request.get("jsonSchema").filter(|s| !s.is_null()) {
            if !schema.is_object() {
                return Err("jsonSchema must be a JSON object".into());
            }
            session.set_json_schema(Some(schema.clone()));
        }
        if let Some(names) = request.get("sdkMcpServers").and_then(Value::as_array) {
            for n in names.iter().filter_map(Value::as_str) {
                if !self.sdk_servers.iter().any(|s| s == n) {
                    self.sdk_servers.push(n.to_string());
                }
            }
        }
        if let Some(hooks) = request.get("hooks").and_then(Value::as_object) {
            self.register_hooks(session, hooks)?;
        }
        for k in [
            "excludeDynamicSections",
            "systemPromptSnapshot",
            "skills",
            "forwardSubagentText",
            "promptSuggestions",
        ] {
            if request.get(k).is_some_and(|v| !v.is_null()) {
                self.unsupported.note(&format!("initialize's {k}"));
            }
        }
        let commands: Vec<Value> = ccrs_core::session::BUILTINS
            .iter()
            .filter(|b| matches!(b.kind, ccrs_core::session::BuiltinKind::Prompt(_)))
            .map(|b| json!({"name": b.name, "description": b.description, "argumentHint": b.hint}))
            .chain(session.custom_commands().iter().map(|c| {
                json!({"name": c.name, "description": c.description, "argumentHint": c.argument_hint.clone().unwrap_or_default()})
            }))
            .collect();
        let agents: Vec<Value> = session
            .agents()
            .iter()
            .map(|a| json!({"name": a.name, "description": a.description, "model": a.model}))
            .collect();
        let models: Vec<Value> = ccrs_core::models::MODELS
            .iter()
            .map(|m| json!({"value": m.alias.unwrap_or(m.id), "displayName": m.display, "description": m.id}))
            .collect();
        let source = session.auth_source().api_key_source();
        Ok(json!({
            "commands": commands,
            "agents": agents,
            "output_style": "default",
            "available_output_styles": ["default"],
            "models": models,
            "account": {"apiKeySource": source},
            "pid": std::process::id(),
            "fast_mode_state": "off",
        }))
    }

    /// `initialize`'s `hooks`: `{Event: [{matcher, hookCallbackIds, timeout?}]}`, each id a
    /// callback the host runs when ccrs sends `hook_callback`.
    fn register_hooks(
        &mut self,
        session: &Session,
        hooks: &serde_json::Map<String, Value>,
    ) -> Result<(), String> {
        for (event, matchers) in hooks {
            let Some(ev) = ccrs_core::hooks::HookEvent::parse(event) else {
                self.unsupported.note(&format!("the hook event {event}"));
                continue;
            };
            for m in matchers.as_array().into_iter().flatten() {
                let matcher = m
                    .get("matcher")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty() && *s != "*");
                let timeout = m
                    .get("timeout")
                    .and_then(Value::as_f64)
                    .filter(|t| *t > 0.0)
                    .map(std::time::Duration::from_secs_f64);
                if m.get("onFailure").is_some_and(|v| !v.is_null()) {
                    self.unsupported.note("onFailure on SDK hook matchers");
                }
                for id in m
                    .get("hookCallbackIds")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    let cb = Arc::new(host::SdkHook {
                        host: self.host.clone(),
                        callback_id: id.to_string(),
                    });
                    session
                        .hooks()
                        .register_callback(ev, matcher, cb, timeout)?;
                }
            }
        }
        Ok(())
    }

    /// Connects the SDK's MCP servers once and offers their tools.
    async fn connect_mcp(&mut self, session: &Session) {
        if self.mcp_connected {
            return;
        }
        self.mcp_connected = true;
        for name in self.sdk_servers.clone() {
            let server = Arc::new(mcp::Server::new(self.host.clone(), name.clone()));
            match server.connect().await {
                Ok(tools) => {
                    for t in tools {
                        session.tools().register(t);
                    }
                    self.mcp_status
                        .push(json!({"name": name, "status": "connected"}));
                }
                Err(e) => {
                    eprintln!("ccrs: warning: MCP server {name} (SDK) failed to start: {e}");
                    self.mcp_status
                        .push(json!({"name": name, "status": "failed"}));
                }
            }
        }
    }

    fn session_state(&self, state: &str) {
        if let Some(host_only) = self.session_state {
            let mut v = json!({"type": "system", "subtype": "session_state_changed", "state": state, "session_id": self.sink.session_id, "uuid": uuid::Uuid::new_v4().to_string()});
            if host_only {
                v["sdk_host_only"] = json!(true);
            }
            output::json_line(&v);
        }
    }

    fn init_line(&self, session: &Session) -> Value {
        let cwd = session.cwd().display().to_string();
        let model = session.model();
        msg::init(&msg::InitInfo {
            cwd: &cwd,
            session_id: session.id(),
            tools: session.offered_tools(),
            model: &model,
            permission_mode: session.permission_mode().as_str(),
            api_key_source: session.auth_source().api_key_source(),
            slash_commands: session.slash_commands(),
            agents: session.agents().iter().map(|a| a.name.clone()).collect(),
            skills: session.skills().iter().map(|s| s.name.clone()).collect(),
            mcp_servers: self.mcp_servers(),
        })
    }

    /// Every MCP server's state: core's (configured) and the SDK's own.
    fn mcp_servers(&self) -> Vec<Value> {
        let mut all = self.mcp.status_json();
        all.extend(self.mcp_status.iter().cloned());
        all
    }

    /// Runs one user message as a turn, answering the host's requests meanwhile.
    async fn turn(
        &mut self,
        session: &mut Session,
        message: Value,
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<Incoming>,
        queue: &mut VecDeque<Value>,
        eof: &mut bool,
        stop: &CancelToken,
    ) {
        self.connect_mcp(session).await;
        self.session_state("running");
        if self.args.replay_user_messages {
            let mut replay = message.clone();
            replay["session_id"] = json!(session.id());
            replay["parent_tool_use_id"] = Value::Null;
            if replay.get("uuid").is_none_or(Value::is_null) {
                replay["uuid"] = json!(uuid::Uuid::new_v4().to_string());
            }
            replay["isReplay"] = json!(true);
            output::json_line(&replay);
        }
        self.sink.line(self.init_line(session));
        if message.get("shouldQuery").and_then(Value::as_bool) == Some(false) {
            self.unsupported
                .note("shouldQuery: false (the message is sent to the model as a turn)");
        }
        let cancel = CancelToken::new();
        let res = match user_input(&message) {
            Err(e) => local_result(e),
            Ok(input) => match session.prepare(input).await {
                Prepared::Turn(turn) => {
                    for p in &turn.problems {
                        eprintln!("ccrs: warning: {p}");
                    }
                    let run = session.run(turn, self.sink.clone(), &cancel);
                    tokio::pin!(run);
                    loop {
                        tokio::select! {
                            r = &mut run => break r,
                            m = rx.recv(), if !*eof => match m {
                                None => *eof = true,
                                Some(Incoming::User(v)) => queue.push_back(v),
                                Some(Incoming::Control { id, request }) => {
                                    let reply = self.busy_control(&request);
                                    respond(&id, reply);
                                }
                            },
                            _ = stop.cancelled(), if !cancel.is_cancelled() => cancel.cancel(),
                        }
                    }
                }
                Prepared::Local { builtin, .. } => local_result(format!(
                    "/{} is only available in the interactive session",
                    builtin.name
                )),
                Prepared::Unknown { name, .. } => local_result(format!("Unknown command: /{name}")),
            },
        };
        let (result, _) = msg::result(
            &res,
            session.id(),
            self.args.max_turns,
            self.args.max_budget_usd,
        );
        self.sink.line(result);
        if queue.is_empty() {
            // Nothing more is owed: the SDK may close stdin once it sees this.
            self.session_state("idle");
        }
    }
}

/// A stream-json user message as the session's input: a string is typed text (it may be a
/// `/command`), an array is content blocks as they are.
fn user_input(message: &Value) -> Result<UserInput, String> {
    let content = message.pointer("/message/content").unwrap_or(&Value::Null);
    match content {
        Value::String(s) => Ok(UserInput::Text(s.clone())),
        Value::Array(_) => serde_json::from_value::<Vec<ContentBlock>>(content.clone())
            .map(UserInput::Blocks)
            .map_err(|e| format!("Invalid user message content: {e}")),
        _ => Err(
            "Invalid user message: message.content must be a string or an array of content blocks"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_messages_become_inputs() {
        let t = user_input(&json!({"type": "user", "message": {"role": "user", "content": "hi"}}));
        assert!(matches!(t, Ok(UserInput::Text(s)) if s == "hi"));
        let b = user_input(
            &json!({"message": {"role": "user", "content": [{"type": "text", "text": "a"}]}}),
        );
        assert!(matches!(b, Ok(UserInput::Blocks(v)) if v.len() == 1));
        assert!(user_input(&json!({"message": {}})).is_err());
        assert!(user_input(&json!({"message": {"content": [42]}})).is_err());
    }

    #[test]
    fn set_model_null_means_default() {
        assert_eq!(model_of(&json!({"model": null})), "default");
        assert_eq!(model_of(&json!({"model": "haiku"})), "haiku");
        assert!(mode_of(&json!({"mode": "acceptEdits"})).is_ok());
        assert!(mode_of(&json!({"mode": "bogus"})).is_err());
    }
}
