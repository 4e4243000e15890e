//! One session, whatever drives it: print mode, the terminal UI and the SDK front end build a
//! [`Session`] from typed [`SessionOptions`] and only drive it and render its events.
//!
//! ```text
//! SessionOptions ──SessionSetup::load──▶ settings read, precedence resolved (config.rs)
//!                ──SessionSetup::start(auth, prompter)──▶ Session
//! Session::prepare(input) ──▶ Prepared::Turn (custom command expanded, @paths attached)
//!                           | Prepared::Local (a built-in the front end handles) | Unknown
//! Session::run(turn, events, cancel) ──▶ QueryResult
//! ```
//!
//! The session owns the conversation and the agent, the tool registry ([`ToolSet`], which can
//! grow at runtime) and the tool context, the permission engine, and the custom commands. The
//! front end supplies what only it can: the credential provider and the [`PermissionPrompter`]
//! (the terminal's question, print mode's refusal, the SDK's `can_use_tool`).

pub mod attach;
pub mod commands;
pub mod config;
pub mod control;
pub mod options;
mod persist;
pub mod skills;

pub use crate::agent::{
    AgentDefinition, AgentSource, ModelUsage, Outcome, QueryResult, ToolSet, TurnOptions,
};
pub use commands::{BUILTINS, Builtin, BuiltinKind, CustomCommand};
pub use config::{Config, Origin};
pub use control::SessionControl;
pub use options::{PromptText, SessionOptions, ToolSelection, parse_setting_sources};
pub use persist::{RewindPoint, RewindScope, Rewound, transcript_file};

use crate::BoxFuture;
use crate::agent::definitions;
use crate::agent::structured_output::{STRUCTURED_OUTPUT, StructuredOutputTool};
use crate::agent::{AGENT_TOOL, Agent, AgentConfig, AgentParts, AgentTool, SubagentHost};
use crate::api::{ApiClient, ClientConfig, ContentBlock, Message, SystemBlock};
use crate::auth::{AuthProvider, CredentialSource};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use crate::events::{AgentEvent, EventSink, Todo};
use crate::hooks::{EndReason, Hooks, SessionFacts, StartSource};
use crate::log;
use crate::mcp::McpManager;
use crate::memory::{Discovery, Memory};
use crate::permissions::{
    Mode, PermissionConfig, PermissionEngine, PermissionPrompter, PermissionRequest, PromptAnswer,
};
use crate::sandbox::{Sandbox, SandboxReport};
use crate::settings::{LoadOptions, Settings, SettingsSource};
use crate::tools::{ToolContext, ToolRegistry};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Why a session could not start.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("Invalid session ID. Must be a valid UUID.")]
    InvalidSessionId,
    #[error("--add-dir: {} is not a directory", .0.display())]
    AddDir(PathBuf),
    #[error("{flag}: cannot read {}: {source}", path.display())]
    PromptFile {
        flag: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Bypass mode was asked for where it is not allowed.
    #[error("{0}")]
    BypassRefused(String),
    #[error("--tools: unknown tool '{name}' (available: {available})")]
    UnknownTool { name: String, available: String },
    #[error(transparent)]
    Client(#[from] ApiError),
    /// `sandbox.failIfUnavailable` and the kernel cannot sandbox.
    #[error("{0}")]
    Sandbox(String),
    /// `--agents` could not be read.
    #[error("{0}")]
    Agents(String),
    #[error("--agent: no agent named '{name}' (available: {available})")]
    UnknownAgent { name: String, available: String },
    #[error("--json-schema: {0}")]
    JsonSchema(String),
    #[error("Session ID {0} is already in use.")]
    SessionIdInUse(String),
    /// The transcript to resume could not be read.
    #[error("{0}")]
    Resume(String),
}

/// Who answers permission questions, replaceable while subagents hold it (a subagent asks
/// whoever the session's prompter is at the time).
struct SharedPrompter(RwLock<Arc<dyn PermissionPrompter>>);

impl SharedPrompter {
    fn current(&self) -> Option<Arc<dyn PermissionPrompter>> {
        self.0.read().ok().map(|p| p.clone())
    }
}

impl PermissionPrompter for SharedPrompter {
    fn ask<'a>(&'a self, request: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer> {
        let current = self.current();
        Box::pin(async move {
            match current {
                Some(p) => p.ask(request).await,
                None => PromptAnswer::Deny {
                    message: crate::permissions::auto_denied_message(&request.tool_name),
                },
            }
        })
    }
}

/// Parses `--json-schema` (or the SDK's `jsonSchema`).
pub fn parse_json_schema(text: &str) -> Result<Value, SessionError> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| SessionError::JsonSchema(format!("invalid JSON: {e}")))?;
    if !v.is_object() {
        return Err(SessionError::JsonSchema(
            "a schema must be a JSON object".into(),
        ));
    }
    Ok(v)
}

/// What the user sent.
#[derive(Clone, Debug)]
pub enum UserInput {
    /// Typed text: may be a `/command` and may mention `@paths`.
    Text(String),
    /// Content blocks as they are (the SDK's user messages).
    Blocks(Vec<ContentBlock>),
}

/// A turn ready to run.
#[derive(Clone, Debug, Default)]
pub struct Turn {
    /// The user message.
    pub content: Vec<ContentBlock>,
    /// The prompt as `UserPromptSubmit` hooks see it: the text typed (a command expanded).
    pub prompt: String,
    pub options: TurnOptions,
    /// What attaching `@paths` did, for the user ("Read src/a.rs (12 lines)").
    pub notes: Vec<String>,
    /// What could not be attached, and why (a front end must show these).
    pub problems: Vec<String>,
}

/// What an input turned into.
#[derive(Clone, Debug)]
pub enum Prepared {
    /// Send this to the model.
    Turn(Turn),
    /// A built-in command the front end carries out (`/help`, `/model opus`, …).
    Local {
        builtin: &'static Builtin,
        args: String,
    },
    /// `/name` that no command has.
    Unknown {
        name: String,
        suggestions: Vec<String>,
    },
}

/// Reads the settings files `options` asks for and installs their `env` overlay, so every
/// later lookup (credentials, the base URL, tools) sees it.
pub fn load_settings(options: &SessionOptions) -> Settings {
    let settings = Settings::load(&load_options(options));
    crate::env::set_overlay(settings.env());
    settings
}

/// Which settings files `options` asks for.
pub fn load_options(options: &SessionOptions) -> LoadOptions {
    let mut load = LoadOptions::new(&options.cwd);
    load.flag_settings = options.settings.clone();
    load.sources = options.setting_sources.clone();
    load
}

/// A session's settings read and its options resolved, waiting for the front end's
/// credential provider and prompter.
pub struct SessionSetup {
    options: SessionOptions,
    settings: Settings,
    config: Config,
    mcp: crate::mcp::config::Loaded,
    mcp_connector: Option<Arc<dyn crate::mcp::Connector>>,
}

impl SessionSetup {
    /// Reads the settings (see [`load_settings`]) and applies precedence once.
    pub fn load(options: SessionOptions) -> Result<Self, SessionError> {
        let settings = load_settings(&options);
        let config = config::resolve(&options, &settings, &|k| std::env::var(k).ok())?;
        persist::check_session_id(&options, &config)?;
        if crate::log::enabled(log::SESSION) {
            for (src, path) in settings.loaded_files() {
                let shown = path.map_or_else(|| "inline JSON".into(), |p| p.display().to_string());
                crate::log::write(
                    log::SESSION,
                    format_args!("settings: {} {shown}", src.as_str()),
                );
            }
            crate::log::write(
                log::SESSION,
                format_args!(
                    "session {} in {}: model {} ({}), mode {} ({}), {} rules, {} extra dirs",
                    config.session_id,
                    options.cwd.display(),
                    config.model,
                    config.model_origin,
                    config.mode,
                    config.mode_origin,
                    config.rules.len(),
                    config.additional_dirs.len()
                ),
            );
        }
        let mcp = mcp_servers(&options, &settings);
        Ok(SessionSetup {
            options,
            settings,
            config,
            mcp,
            mcp_connector: None,
        })
    }

    /// The transport of `{"type":"sdk"}` MCP servers (the SDK front end: `mcp_message` control
    /// requests). Set before [`Self::prepare`], which starts the servers.
    pub fn set_mcp_connector(&mut self, c: Arc<dyn crate::mcp::Connector>) {
        self.mcp_connector = Some(c);
    }

    /// Project (`.mcp.json`) servers nobody approved or rejected yet. Print mode and the SDK
    /// use them (as Claude Code does); the terminal UI asks first ([`Self::answer_mcp`]).
    pub fn pending_mcp_servers(&self) -> &[String] {
        &self.mcp.pending
    }

    /// Records the user's answer about the pending project servers (in
    /// `.claude/settings.local.json`, as Claude Code does); refused ones do not start. `None`:
    /// no answer — they do not start, and nothing is remembered.
    pub fn answer_mcp(
        &mut self,
        names: &[String],
        choice: Option<crate::mcp::store::Approval>,
    ) -> Result<(), crate::mcp::store::StoreError> {
        use crate::mcp::store::{Approval, Files};
        self.mcp.pending.retain(|p| !names.contains(p));
        if matches!(choice, None | Some(Approval::No)) {
            self.mcp.servers.retain(|s| !names.contains(&s.name));
        }
        match choice {
            Some(c) => Files::new(&self.options.cwd).approve(names, c),
            None => Ok(()),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The permission engine's configuration (also used by `ccrs permissions explain`).
    pub fn permission_config(&self) -> PermissionConfig {
        let cwd = &self.options.cwd;
        PermissionConfig {
            mode: self.config.mode,
            rules: self.config.rules.clone(),
            cwd: cwd.clone(),
            additional_dirs: self.config.additional_dirs.clone(),
            local_settings_path: Some(cwd.join(".claude").join("settings.local.json")),
            disable_bypass: self.config.disable_bypass,
            home: None,
        }
    }

    /// Starts the session with the front end's credential provider and prompter.
    pub fn start(
        self,
        auth: Arc<dyn AuthProvider>,
        prompter: Arc<dyn PermissionPrompter>,
    ) -> Result<Session, SessionError> {
        let permissions = Arc::new(PermissionEngine::new(self.permission_config()));
        let SessionSetup {
            options,
            settings,
            config,
            mcp: mcp_loaded,
            mcp_connector,
        } = self;
        let cwd = options.cwd.clone();
        let mut warnings = settings.warnings.clone();
        warnings.extend(config.warnings.iter().cloned());
        // Rules that cannot work as written are `ccrs doctor`'s business (and the debug log's),
        // not a message on every start.
        for w in permissions.warnings() {
            if w.contains(" rule \"") {
                crate::debug_log!(log::PERMISSIONS, "{w}");
            } else {
                warnings.push(w.clone());
            }
        }

        let mut client_cfg = ClientConfig::from_env(&config.session_id);
        client_cfg.betas = config.betas.clone();
        let search_mode = crate::agent::deferred::SearchMode::parse(
            crate::env::var("ENABLE_TOOL_SEARCH").as_deref(),
            &client_cfg.base_url,
        );
        let client = Arc::new(ApiClient::new(client_cfg, auth)?);
        let (mut tools, with_agents) = select_tools(&config.tools)?;
        let (skills, problems) = skills::discover(&cwd, &crate::paths::claude_dir());
        warnings.extend(problems);
        let skill_tool_wanted = match &config.tools {
            ToolSelection::Default => true,
            ToolSelection::Only(w) => w.iter().any(|w| w == "Skill"),
        };
        if skill_tool_wanted && let Some(t) = skills::SkillTool::new(&skills) {
            tools.register(Arc::new(t));
        }

        // Subagents: built-in, user and project files, then `--agents`.
        let (mut agents, agent_warnings) = definitions::discover(&cwd, &crate::paths::claude_dir());
        warnings.extend(agent_warnings);
        if let Some(spec) = &options.agents {
            let (more, notes) =
                definitions::parse_flag(spec, &cwd).map_err(SessionError::Agents)?;
            warnings.extend(notes);
            agents = definitions::merge(agents, more);
        }
        let json_schema = options
            .json_schema
            .as_deref()
            .map(parse_json_schema)
            .transpose()?;
        let mut config = config;
        // `--agent`: the main thread takes the agent's prompt, tools and model (flags win).
        if let Some(name) = &options.agent {
            let Some(def) = definitions::find(&agents, name) else {
                return Err(SessionError::UnknownAgent {
                    name: name.clone(),
                    available: agents
                        .iter()
                        .map(|a| a.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            };
            if config.system_prompt.is_none() {
                let env = crate::prompt::Environment::detect(
                    &cwd,
                    &config.additional_dirs,
                    &config.model,
                );
                config.system_prompt = Some(format!("{}\n\n{}", def.prompt.trim(), env.render()));
            }
            if config.model_origin != Origin::Flag
                && let Some(m) = def.model()
            {
                config.model = crate::models::resolve_alias(m);
            }
            if let Some(list) = &def.tools {
                tools.retain(|t| {
                    list.iter().any(|w| {
                        let w = w.split('(').next().unwrap_or(w).trim();
                        w == t.name() || t.aliases().contains(&w)
                    })
                });
            }
            crate::debug_log!(log::SESSION, "main thread runs as agent {}", def.name);
        }
        if let Some(schema) = &json_schema {
            tools.register(Arc::new(StructuredOutputTool::new(schema.clone())));
        }
        let system = system_prompt(&config, &cwd);
        let prompter = Arc::new(SharedPrompter(RwLock::new(prompter)));
        let prompter_for_sandbox: Arc<dyn PermissionPrompter> = prompter.clone();
        let hooks = Hooks::from_settings(&settings, SessionFacts::new(&config.session_id, &cwd));
        hooks.set_permissions(permissions.clone());
        warnings.extend(hooks.warnings().iter().cloned());
        let mut agent = Agent::new(AgentParts {
            config: AgentConfig {
                model: config.model.clone(),
                small_model: crate::models::resolve_alias("haiku"),
                system,
                max_turns: config.max_turns,
                max_tokens: None,
                thinking_budget: config.thinking_budget,
                max_budget_usd: config.max_budget_usd,
                session_id: config.session_id.clone(),
                json_schema,
            },
            client: client.clone(),
            tools,
            permissions: permissions.clone(),
            prompter: prompter.clone(),
            cwd: cwd.clone(),
            env: config.env.clone(),
        });
        agent.set_hooks(hooks.clone());
        let host = with_agents.then(|| {
            Arc::new(SubagentHost {
                client,
                tools: agent.tools().clone(),
                permissions: permissions.clone(),
                prompter: prompter.clone(),
                cwd: cwd.clone(),
                additional_dirs: config.additional_dirs.clone(),
                env: config.env.clone(),
                small_model: crate::models::resolve_alias("haiku"),
                thinking_budget: config.thinking_budget,
                session_id: config.session_id.clone(),
                hooks: hooks.clone(),
                transcript: std::sync::OnceLock::new(),
            })
        });
        if let Some(h) = &host {
            agent
                .tools()
                .register(Arc::new(AgentTool::new(h.clone(), agents.clone())));
        }
        let control = SessionControl::new(
            agent.model_switch().clone(),
            permissions,
            config.bypass_allowed,
            config.disable_bypass,
        );
        // The Bash sandbox (`sandbox.enabled`): it refuses to start only with failIfUnavailable.
        if let Some(sb) = Sandbox::new(settings.sandbox(), &cwd, &config.additional_dirs)
            .map_err(SessionError::Sandbox)?
        {
            warnings.extend(sb.startup_warnings());
            sb.set_prompter(prompter_for_sandbox);
            let _ = agent.session_state().sandbox.set(Arc::new(sb));
        }
        persist::start(&options, &config, &settings, &mut agent, &mut warnings)?;
        let resumed = options.resume.is_some();
        if let (Some(h), Some(t)) = (&host, agent.transcript()) {
            let _ = h.transcript.set(t.clone());
        }
        let commands = commands::discover(&cwd, &crate::paths::claude_dir());
        agent.set_auto_compact(crate::agent::AutoCompact::from_env(
            settings
                .get("autoCompactEnabled")
                .and_then(serde_json::Value::as_bool),
        ));
        let memory = Memory::discover(memory_discovery(&options, &config));
        for p in memory.problems().iter().filter(|p| !p.quiet) {
            warnings.push(format!("memory: {}: {}", p.path.display(), p.reason));
        }
        crate::debug_log!(
            log::SESSION,
            "memory: {} files, about {} tokens on every request",
            memory.files().len(),
            memory.reminder_tokens()
        );
        let memory = Arc::new(std::sync::Mutex::new(memory));
        agent.set_memory(memory.clone());
        let mut roots = vec![cwd.clone()];
        roots.extend(config.additional_dirs.iter().cloned());
        let mcp = McpManager::new(
            agent.tools().clone(),
            crate::mcp::StartContext::from_env(cwd.clone(), roots),
        );
        let search_allowed = match &config.tools {
            ToolSelection::Default => true,
            ToolSelection::Only(list) => list
                .iter()
                .any(|t| t == crate::agent::deferred::TOOL_SEARCH),
        };
        if search_mode != crate::agent::deferred::SearchMode::Off && search_allowed {
            agent
                .tools()
                .register(Arc::new(crate::mcp::search::ToolSearch::new(
                    agent.tools().clone(),
                    &mcp,
                )));
            agent.set_tool_search(search_mode);
        }
        warnings.extend(mcp_loaded.warnings.iter().cloned());
        if let Some(c) = mcp_connector {
            mcp.set_connector(c);
        }
        mcp.start(mcp_loaded.servers);
        let mut session = Session {
            agent,
            settings,
            load: load_options(&options),
            config,
            commands,
            memory,
            skills,
            warnings,
            control,
            agents,
            host,
            prompter,
            hooks,
            session_start: None,
            ended: false,
            mcp,
            mcp_reported: 0,
        };
        session.start_hooks(
            if resumed {
                StartSource::Resume
            } else {
                StartSource::Startup
            },
            None,
        );
        Ok(session)
    }
}

/// Where the session looks for memory files: every source `--setting-sources` keeps, the
/// `--add-dir` directories (only those with `--bare`).
fn memory_discovery(options: &SessionOptions, config: &Config) -> Discovery {
    let mut d = Discovery::new(&options.cwd);
    d.additional_dirs = config.additional_dirs.clone();
    if let Some(sources) = &options.setting_sources {
        d.user = sources.contains(&SettingsSource::User);
        d.project = sources.contains(&SettingsSource::Project);
        d.local = sources.contains(&SettingsSource::Local);
    }
    d.bare = options.bare;
    d
}

/// Runs `SessionStart` hooks (after `SessionEnd` ones when a conversation ends): their context
/// and their reports.
async fn run_start_hooks(
    hooks: Hooks,
    source: StartSource,
    end: Option<EndReason>,
    model: String,
) -> (Vec<String>, Vec<AgentEvent>) {
    let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
    let r2 = reports.clone();
    let sink: Arc<dyn EventSink> = Arc::new(move |e: AgentEvent| {
        if let Ok(mut r) = r2.lock() {
            r.push(e);
        }
    });
    let cancel = CancelToken::new();
    if let Some(reason) = end {
        hooks.session_end(reason, &sink, &cancel).await;
    }
    let context = hooks.session_start(source, &model, &sink, &cancel).await;
    let reports = reports
        .lock()
        .map(|mut r| std::mem::take(&mut *r))
        .unwrap_or_default();
    (context, reports)
}

/// The text of a message's text blocks (an SDK prompt).
fn prompt_text(content: &[ContentBlock]) -> String {
    content
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The MCP servers the options and settings configure (see [`crate::mcp::config`]).
fn mcp_servers(options: &SessionOptions, settings: &Settings) -> crate::mcp::config::Loaded {
    let on = |s: SettingsSource| {
        options
            .setting_sources
            .as_ref()
            .is_none_or(|list| list.contains(&s))
    };
    let src = crate::mcp::config::Sources {
        cwd: options.cwd.clone(),
        global_file: crate::mcp::config::global_file(),
        flag_configs: options.mcp_config.clone(),
        strict: options.strict_mcp_config,
        project_source: on(SettingsSource::Project),
        user_source: on(SettingsSource::User) || on(SettingsSource::Local),
    };
    let layers: Vec<_> = settings
        .layers
        .iter()
        .map(|l| (l.source, &l.value))
        .collect();
    crate::mcp::config::load(&src, &layers, &|k| crate::env::var(k))
}

/// The Agent tool's names (it is not in the built-in registry: it lives above the tools).
fn is_agent_tool(name: &str) -> bool {
    name == AGENT_TOOL || name == "Task"
}

/// Restricts the built-in tools per `--tools`; also says whether the Agent tool is wanted.
fn select_tools(sel: &ToolSelection) -> Result<(ToolRegistry, bool), SessionError> {
    let mut reg = ToolRegistry::builtin();
    let mut with_agents = true;
    if let ToolSelection::Only(wanted) = sel {
        with_agents = wanted.iter().any(|w| is_agent_tool(w));
        for w in wanted.iter().filter(|w| !is_agent_tool(w)) {
            // `Skill` exists when skills do (registered after this).
            if reg.get(w).is_none() && w != "Skill" {
                let mut available = reg.names();
                available.push(AGENT_TOOL.to_string());
                return Err(SessionError::UnknownTool {
                    name: w.clone(),
                    available: available.join(", "),
                });
            }
        }
        reg.retain(|t| {
            wanted
                .iter()
                .any(|w| w == t.name() || t.aliases().contains(&w.as_str()))
        });
    }
    Ok((reg, with_agents))
}

/// The system prompt: the flag's (an empty one sends none) or ccrs's own with the environment,
/// then the appended block.
fn system_prompt(config: &Config, cwd: &Path) -> Vec<SystemBlock> {
    let base = match &config.system_prompt {
        Some(s) => s.clone(),
        None => {
            let env =
                crate::prompt::Environment::detect(cwd, &config.additional_dirs, &config.model);
            crate::prompt::default_system_prompt(&env)
        }
    };
    let mut blocks = Vec::new();
    if !base.trim().is_empty() {
        blocks.push(SystemBlock::new(base));
    }
    if let Some(a) = config
        .append_system_prompt
        .as_ref()
        .filter(|a| !a.trim().is_empty())
    {
        blocks.push(SystemBlock::new(a.clone()));
    }
    blocks
}

/// `SessionStart` hooks under way (they run while the user types; the first turn waits for
/// their context).
enum SessionStartHooks {
    Running(tokio::task::JoinHandle<(Vec<String>, Vec<AgentEvent>)>),
    /// No runtime was there to start them: they run at the first turn.
    Due(StartSource, Option<EndReason>),
}

/// A running session.
pub struct Session {
    agent: Agent,
    settings: Settings,
    /// How the settings were found (to look again).
    load: LoadOptions,
    config: Config,
    commands: Vec<CustomCommand>,
    /// The `CLAUDE.md` files, sent before the first user message of a conversation (shared
    /// with the agent, which adds nested ones as files are read).
    memory: Arc<std::sync::Mutex<Memory>>,
    skills: Vec<skills::Skill>,
    warnings: Vec<String>,
    control: SessionControl,
    /// The subagent definitions (built-in, files, `--agents`, SDK).
    agents: Vec<AgentDefinition>,
    /// What subagents borrow; `None` when the Agent tool is not offered.
    host: Option<Arc<SubagentHost>>,
    prompter: Arc<SharedPrompter>,
    hooks: Hooks,
    session_start: Option<SessionStartHooks>,
    /// `SessionEnd` hooks ran.
    ended: bool,
    mcp: McpManager,
    /// How many MCP failures have been told as warnings.
    mcp_reported: usize,
}

impl Session {
    pub fn id(&self) -> &str {
        &self.config.session_id
    }

    pub fn cwd(&self) -> &Path {
        self.agent.cwd()
    }

    /// The model of the next requests (an id).
    pub fn model(&self) -> String {
        self.control
            .pending_model()
            .unwrap_or_else(|| self.agent.config.model.clone())
    }

    /// Sets the model for the next requests (`/model`, the SDK's `set_model`); returns the id
    /// an alias resolved to.
    pub fn set_model(&mut self, name: &str) -> String {
        let id = self.control.set_model(name);
        self.agent.config.model = id.clone();
        id
    }

    /// The handle that acts on the session while a turn runs (see [`SessionControl`]).
    pub fn control(&self) -> &SessionControl {
        &self.control
    }

    pub fn permission_mode(&self) -> Mode {
        self.agent.permissions().mode()
    }

    /// Switches the permission mode; bypass only when the session may use it.
    pub fn set_permission_mode(&self, mode: Mode) -> Result<(), String> {
        self.control.set_permission_mode(mode)
    }

    /// The subagent definitions, in order (later sources replaced earlier ones).
    pub fn agents(&self) -> &[AgentDefinition] {
        &self.agents
    }

    /// Adds subagent definitions (the SDK's `initialize`); they replace ones of the same name.
    pub fn add_agents(&mut self, more: Vec<AgentDefinition>) {
        self.agents = definitions::merge(std::mem::take(&mut self.agents), more);
        if let Some(h) = &self.host {
            self.agent
                .tools()
                .register(Arc::new(AgentTool::new(h.clone(), self.agents.clone())));
        }
    }

    /// Replaces the system prompt (`Some("")`: none) and the appended block (the SDK's
    /// `initialize` `systemPrompt` / `appendSystemPrompt`); `None` keeps what is there.
    pub fn set_system_prompt(&mut self, system: Option<String>, append: Option<String>) {
        if let Some(s) = system {
            self.config.system_prompt = Some(s);
        }
        if let Some(a) = append {
            self.config.append_system_prompt = Some(a);
        }
        self.agent.config.system = system_prompt(&self.config, self.agent.cwd());
    }

    /// Asks for the final answer as JSON of `schema` (the SDK's `jsonSchema`), or no longer.
    pub fn set_json_schema(&mut self, schema: Option<Value>) {
        match &schema {
            Some(s) => self
                .agent
                .tools()
                .register(Arc::new(StructuredOutputTool::new(s.clone()))),
            None => self.agent.tools().retain(|t| t.name() != STRUCTURED_OUTPUT),
        }
        self.agent.config.json_schema = schema;
    }

    /// Bypass mode may be entered (it joins the terminal's Shift-Tab cycle).
    pub fn bypass_allowed(&self) -> bool {
        self.config.bypass_allowed
    }

    /// The permission engine (its rules and mode, for display; it decides every call).
    pub fn permissions(&self) -> &Arc<PermissionEngine> {
        self.agent.permissions()
    }

    /// Supplies who answers permission questions from now on (the main thread, its
    /// subagents and the sandbox's network questions).
    pub fn set_prompter(&mut self, prompter: Arc<dyn PermissionPrompter>) {
        if let Ok(mut p) = self.prompter.0.write() {
            *p = prompter;
        }
    }

    /// What `/sandbox` shows: the mode, what is in force, and whether the kernel supports it.
    pub fn sandbox_report(&self) -> SandboxReport {
        match self.agent.session_state().sandbox.get() {
            Some(sb) => sb.report(),
            None => crate::sandbox::report_disabled(&self.settings.sandbox()),
        }
    }

    /// The tool registry (tools registered through it are offered from the next request on).
    pub fn tools(&self) -> &ToolSet {
        self.agent.tools()
    }

    /// The tools offered to the model (bare deny rules hide a tool).
    pub fn offered_tools(&self) -> Vec<String> {
        self.agent.offered_tool_names()
    }

    /// A context like a tool call's (for previews of what a call would do).
    pub fn tool_context(&self) -> ToolContext {
        self.agent.tool_context()
    }

    /// The conversation as sent to the API.
    pub fn messages(&self) -> &[Message] {
        self.agent.messages()
    }

    /// Starts a new conversation (`/clear`): `SessionEnd` (reason `clear`) and `SessionStart`
    /// (source `clear`) hooks run in the background; the next turn gets their context. The
    /// memory files are read again for it.
    pub fn clear(&mut self) {
        self.agent.clear();
        self.memory().reload();
        self.start_hooks(StartSource::Clear, Some(EndReason::Clear));
    }

    /// The session's hooks: the SDK front end registers its callbacks here, the terminal UI
    /// marks the session interactive and runs the status line through it.
    pub fn hooks(&self) -> &Hooks {
        &self.hooks
    }

    /// Starts `SessionStart` hooks (after `SessionEnd` ones for `end`) in the background, or
    /// marks them due at the next turn without a runtime.
    fn start_hooks(&mut self, source: StartSource, end: Option<EndReason>) {
        use crate::hooks::HookEvent;
        let wanted = self.hooks.has(HookEvent::SessionStart)
            || (end.is_some() && self.hooks.has(HookEvent::SessionEnd));
        if !wanted {
            return;
        }
        if tokio::runtime::Handle::try_current().is_err() {
            self.session_start = Some(SessionStartHooks::Due(source, end));
            return;
        }
        let hooks = self.hooks.clone();
        let model = self.model().to_string();
        self.session_start = Some(SessionStartHooks::Running(tokio::spawn(async move {
            run_start_hooks(hooks, source, end, model).await
        })));
    }

    /// The context of `SessionStart` hooks (waiting for them if they still run); their reports
    /// go to `events`.
    async fn session_start_context(&mut self, events: &Arc<dyn EventSink>) -> Vec<String> {
        let (context, reports) = match self.session_start.take() {
            None => return Vec::new(),
            Some(SessionStartHooks::Running(h)) => h.await.unwrap_or_default(),
            Some(SessionStartHooks::Due(source, end)) => {
                run_start_hooks(self.hooks.clone(), source, end, self.model().to_string()).await
            }
        };
        for e in reports {
            events.emit(e);
        }
        context
    }

    /// Ends the session: `SessionEnd` hooks run (once) with `reason`, their reports go to
    /// `events`, then what the session started is stopped. Front ends call it before exiting.
    pub async fn end(&mut self, reason: EndReason, events: Arc<dyn EventSink>) {
        if !self.ended {
            self.ended = true;
            // Start hooks still running are not waited for: the session is over.
            if let Some(SessionStartHooks::Running(h)) = self.session_start.take() {
                h.abort();
            }
            self.hooks
                .session_end(reason, &events, &CancelToken::new())
                .await;
        }
        self.shutdown().await;
    }

    /// Compacts the conversation now (`/compact [instructions]`): the memory files are read
    /// again and put back with the summary, the todo list and the last user message. Never
    /// fails (see [`crate::agent::CompactReport`]).
    pub async fn compact(
        &mut self,
        instructions: Option<&str>,
        cancel: &CancelToken,
    ) -> crate::agent::CompactReport {
        self.memory().reload();
        Box::pin(
            self.agent
                .compact(crate::agent::CompactTrigger::Manual, instructions, cancel),
        )
        .await
    }

    /// The context's size in tokens (the last request's, or an estimate), and the size at which
    /// it is compacted on its own.
    pub fn context_tokens(&self) -> u64 {
        self.agent.context_tokens()
    }

    /// The memory files loaded (`/memory`), and what was skipped.
    pub fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the memory files again (after `/memory` edited one). The new text reaches the
    /// model with the next conversation (`/clear`) or compaction, as in Claude Code.
    pub fn reload_memory(&mut self) {
        self.memory().reload();
    }

    /// The current todo list.
    pub fn todos(&self) -> Vec<Todo> {
        self.agent
            .session_state()
            .todos
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// Usage per model since the session started.
    pub fn usage(&self) -> &[ModelUsage] {
        self.agent.session_usage()
    }

    /// Total cost so far (models with known prices).
    pub fn cost_usd(&self) -> f64 {
        self.agent.session_cost()
    }

    /// Time spent waiting for the API so far.
    pub fn api_duration(&self) -> Duration {
        self.agent.session_api_duration()
    }

    /// Where the credential comes from (it may change after `/login`).
    pub fn auth_source(&self) -> CredentialSource {
        self.agent.client().auth().source()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The settings files in force, highest precedence first.
    pub fn settings_files(&self) -> Vec<(SettingsSource, Option<PathBuf>)> {
        self.settings.loaded_files()
    }

    /// The settings files as they are on disk now (`/status`: a file created or removed
    /// since start-up shows as such).
    pub fn settings_files_now(&self) -> Vec<(SettingsSource, Option<PathBuf>)> {
        Settings::load(&self.load).loaded_files()
    }

    /// What the options resolved to.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Problems found while starting (settings files, rules), to show once.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The custom commands as last discovered.
    /// The skills found at start (`/skills`, stream-json `init`).
    pub fn skills(&self) -> &[skills::Skill] {
        &self.skills
    }

    pub fn custom_commands(&self) -> &[CustomCommand] {
        &self.commands
    }

    /// Reads the command directories again (files may have changed).
    pub fn reload_commands(&mut self) {
        self.commands = commands::discover(self.agent.cwd(), &crate::paths::claude_dir());
    }

    /// The MCP servers (state, tools, prompts: `/mcp`, stream-json `init`).
    pub fn mcp(&self) -> &McpManager {
        &self.mcp
    }

    /// Waits for the MCP servers still starting (bounded by their start-up limits) unless
    /// `MCP_CONNECTION_NONBLOCKING` is set: print mode and the SDK call it before `init`, as
    /// Claude Code does. The terminal UI does not (see [`crate::mcp`]).
    pub async fn wait_for_mcp(&self) {
        self.mcp.settle(true).await;
    }

    /// Servers that failed since the last call, as warnings (name, reason, end of stderr).
    fn mcp_failures(&mut self) -> Vec<String> {
        let failed: Vec<_> = self
            .mcp
            .report()
            .into_iter()
            .filter(|r| {
                matches!(
                    r.state,
                    crate::mcp::State::Failed(_) | crate::mcp::State::NeedsAuth(_)
                )
            })
            .collect();
        let new = failed
            .iter()
            .skip(self.mcp_reported)
            .map(crate::mcp::failure_text)
            .collect();
        self.mcp_reported = failed.len();
        new
    }

    /// The commands that can be sent as input (stream-json `init`'s `slash_commands`): the
    /// built-ins that prompt the model and the custom commands.
    pub fn slash_commands(&self) -> Vec<String> {
        if self.config.disable_slash_commands {
            return Vec::new();
        }
        let mut out: Vec<String> = BUILTINS
            .iter()
            .filter(|b| matches!(b.kind, BuiltinKind::Prompt(_)))
            .map(|b| b.name.to_string())
            .collect();
        for c in &self.commands {
            if !out.contains(&c.name) {
                out.push(c.name.clone());
            }
        }
        for p in self.mcp.prompts() {
            if !out.contains(&p.command) {
                out.push(p.command);
            }
        }
        out
    }

    /// Turns an input into a turn: a `/command` expands (custom commands are read again, so
    /// an edited file applies at once), `@paths` attach the files they name.
    pub async fn prepare(&mut self, input: UserInput) -> Prepared {
        let text = match input {
            UserInput::Blocks(content) => {
                return Prepared::Turn(Turn {
                    content,
                    ..Default::default()
                });
            }
            UserInput::Text(t) => t,
        };
        let mut options = TurnOptions::default();
        let mut prompt = text;
        let mut invocation: Option<String> = None;
        let mut shell_problems = Vec::new();
        if !self.config.disable_slash_commands
            && let Some((name, args)) = commands::parse_invocation(&prompt)
        {
            let (name, args) = (name.to_string(), args.to_string());
            // Read again at each command: a file edited meanwhile applies at once (and `/help`
            // lists what is there now).
            self.reload_commands();
            if let Some(b) = commands::builtin(&name) {
                match b.kind {
                    BuiltinKind::Local => return Prepared::Local { builtin: b, args },
                    BuiltinKind::Prompt(p) => prompt = p.to_string(),
                }
            } else {
                if let Some((server, p)) = self.mcp.prompt(&name) {
                    crate::debug_log!(log::SESSION, "command /{name}: MCP prompt of {server}");
                    return match self.mcp.get_prompt(&server, &p, &args).await {
                        Ok(content) => Prepared::Turn(Turn {
                            content,
                            ..Default::default()
                        }),
                        // The model hears of it too (an empty turn cannot be sent).
                        Err(e) => Prepared::Turn(Turn {
                            content: vec![ContentBlock::text(format!(
                                "The user ran /{name} {args}, but the MCP prompt could not be loaded: {e}"
                            ))],
                            problems: vec![format!("/{name}: {e}")],
                            ..Default::default()
                        }),
                    };
                }
                let Some(c) = self.commands.iter().find(|c| c.name == name) else {
                    return Prepared::Unknown {
                        suggestions: commands::suggestions(&name, &self.commands),
                        name,
                    };
                };
                crate::debug_log!(log::SESSION, "command /{name} from {}", c.path.display());
                options.model = c.model.as_deref().map(crate::models::resolve_alias);
                options.allowed_tools = c.allowed_tools.clone();
                let expanded = commands::expand_in(&c.body, &args, &self.config.session_id);
                let (text, problems) = self.run_shell_spans(&expanded, &c.allowed_tools).await;
                shell_problems = problems;
                invocation = Some(commands::invocation_block(&name, &args));
                prompt = text;
            }
        }
        let ctx = self.agent.tool_context();
        let attached = attach::attach(&prompt, &ctx, Some(self.agent.permissions())).await;
        let mut content: Vec<ContentBlock> =
            invocation.map(ContentBlock::text).into_iter().collect();
        content.push(ContentBlock::text(prompt.clone()));
        content.extend(attached.blocks);
        shell_problems.extend(attached.problems);
        Prepared::Turn(Turn {
            content,
            prompt,
            options,
            notes: attached.notes,
            problems: shell_problems,
        })
    }

    /// Runs a custom command's `` !`cmd` `` spans and puts their output in their place. Each
    /// goes through the permission engine as a Bash call would, with the command's
    /// `allowed-tools` granted: what the rules do not allow is not run (nobody is asked: the
    /// command is being prepared, not run by the model) and is reported instead.
    async fn run_shell_spans(&self, body: &str, allowed: &[String]) -> (String, Vec<String>) {
        use crate::permissions::{Decision, RuleBehavior};
        use crate::tools::Tool;
        let spans = commands::shell_spans(body);
        if spans.is_empty() {
            return (body.to_string(), Vec::new());
        }
        let engine = self.agent.permissions().clone();
        engine.add_session_rules(RuleBehavior::Allow, allowed);
        let ctx = self.agent.tool_context();
        let bash = crate::tools::bash::BashTool::new();
        let mut out = String::with_capacity(body.len());
        let mut problems = Vec::new();
        let mut last = 0;
        for (range, cmd) in spans {
            out.push_str(&body[last..range.start]);
            last = range.end;
            let input = serde_json::json!({ "command": cmd });
            let refusal = match engine.check(bash.name(), &bash.subject(&input, &ctx)) {
                Decision::Allow { .. } => None,
                Decision::Deny { message, .. } => Some(message),
                Decision::Ask { reason, .. } => Some(reason),
            };
            if let Some(why) = refusal {
                crate::debug_log!(log::PERMISSIONS, "command span !`{cmd}` not run: {why}");
                problems.push(format!(
                    "!`{cmd}` was not run: {why} (the command's allowed-tools can allow it, e.g. `Bash({}:*)`)",
                    cmd.split_whitespace().next().unwrap_or("")
                ));
                out.push_str(&format!("[!`{cmd}` was not run: permission needed]"));
                continue;
            }
            let result = bash.call(input, &ctx).await;
            if result.is_error {
                problems.push(format!("!`{cmd}` failed"));
            }
            out.push_str(result.content.as_text().trim_end_matches('\n'));
        }
        out.push_str(&body[last..]);
        engine.remove_session_rules(RuleBehavior::Allow, allowed);
        (out, problems)
    }

    /// Runs a turn until the model stops, a limit is hit, `cancel` fires or an error ends it.
    /// `SessionStart` context (first turn) and `UserPromptSubmit` hooks come first: a hook
    /// may block the prompt (nothing is sent) or add context after it.
    pub async fn run(
        &mut self,
        mut turn: Turn,
        events: Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> QueryResult {
        self.control.set_turn(Some(cancel.clone()));
        let started = std::time::Instant::now();
        self.mcp.settle(false).await;
        for w in self.mcp_failures() {
            events.emit(crate::events::AgentEvent::Warning(w));
        }
        let mut context = self.session_start_context(&events).await;
        let prompt = if turn.prompt.is_empty() {
            prompt_text(&turn.content)
        } else {
            std::mem::take(&mut turn.prompt)
        };
        let check = self
            .hooks
            .user_prompt_submit(&prompt, &events, cancel)
            .await;
        if let Some(reason) = check.blocked.or(check.stop) {
            crate::debug_log!(
                log::HOOKS,
                "the prompt was stopped by a UserPromptSubmit hook"
            );
            let mut r = QueryResult::new();
            r.result_text = reason.clone();
            r.outcome = crate::agent::Outcome::HookStopped { reason };
            r.duration = started.elapsed();
            self.control.set_turn(None);
            return r;
        }
        context.extend(check.context);
        turn.content.extend(
            context
                .iter()
                .map(|c| ContentBlock::text(crate::hooks::reminder(c))),
        );
        let mut content = turn.content;
        // The memory files open the conversation, in the first user message (Claude Code's
        // place for them: the system prompt stays the same for every project, and cached).
        if self.agent.messages().is_empty() {
            let memory = self.memory();
            if !memory.files().is_empty() {
                content.insert(0, ContentBlock::text(memory.reminder()));
            }
        }
        // On the heap: the loop's state is large, and a front end's own future holds this one.
        let res = Box::pin(
            self.agent
                .query_turn(content, &turn.options, events.clone(), cancel),
        )
        .await;
        for w in self.mcp_failures() {
            events.emit(crate::events::AgentEvent::Warning(w));
        }
        self.control.set_turn(None);
        res
    }

    /// Stops the MCP servers gently (end of input, a short grace, then the kill), then what
    /// [`Self::close`] stops.
    pub async fn shutdown(&self) {
        self.mcp.shutdown().await;
        self.close();
    }

    /// Stops what the session started in the background (shells, MCP servers, with everything
    /// they started). Also done on drop.
    pub fn close(&self) {
        self.agent.session_state().shells.kill_all();
        self.mcp.kill_all();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}
