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
pub mod options;

pub use crate::agent::{ModelUsage, Outcome, QueryResult, ToolSet, TurnOptions};
pub use commands::{BUILTINS, Builtin, BuiltinKind, CustomCommand};
pub use config::{Config, Origin};
pub use options::{PromptText, SessionOptions, ToolSelection, parse_setting_sources};

use crate::agent::{Agent, AgentConfig, AgentParts};
use crate::api::{ApiClient, ClientConfig, ContentBlock, Message, SystemBlock};
use crate::auth::{AuthProvider, CredentialSource};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use crate::events::{EventSink, Todo};
use crate::log;
use crate::permissions::{Mode, PermissionConfig, PermissionEngine, PermissionPrompter};
use crate::sandbox::{Sandbox, SandboxReport};
use crate::settings::{LoadOptions, Settings, SettingsSource};
use crate::tools::{ToolContext, ToolRegistry};
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
}

impl SessionSetup {
    /// Reads the settings (see [`load_settings`]) and applies precedence once.
    pub fn load(options: SessionOptions) -> Result<Self, SessionError> {
        let settings = load_settings(&options);
        let config = config::resolve(&options, &settings, &|k| std::env::var(k).ok())?;
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
        Ok(SessionSetup {
            options,
            settings,
            config,
        })
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
        let client = Arc::new(ApiClient::new(client_cfg, auth)?);
        let tools = select_tools(&config.tools)?;
        let system = system_prompt(&config, &cwd);
        let prompter_for_sandbox = prompter.clone();
        let agent = Agent::new(AgentParts {
            config: AgentConfig {
                model: config.model.clone(),
                small_model: crate::models::resolve_alias("haiku"),
                system,
                max_turns: config.max_turns,
                max_tokens: None,
                thinking_budget: config.thinking_budget,
                max_budget_usd: config.max_budget_usd,
                session_id: config.session_id.clone(),
            },
            client,
            tools,
            permissions,
            prompter: prompter.clone(),
            cwd: cwd.clone(),
            env: config.env.clone(),
        });
        // The Bash sandbox (`sandbox.enabled`): it refuses to start only with failIfUnavailable.
        if let Some(sb) = Sandbox::new(settings.sandbox(), &cwd, &config.additional_dirs)
            .map_err(SessionError::Sandbox)?
        {
            warnings.extend(sb.startup_warnings());
            sb.set_prompter(prompter_for_sandbox);
            let _ = agent.session_state().sandbox.set(Arc::new(sb));
        }
        let commands = commands::discover(&cwd, &crate::paths::claude_dir());
        Ok(Session {
            agent,
            settings,
            load: load_options(&options),
            config,
            commands,
            warnings,
        })
    }
}

/// Restricts the built-in tools per `--tools`.
fn select_tools(sel: &ToolSelection) -> Result<ToolRegistry, SessionError> {
    let mut reg = ToolRegistry::builtin();
    if let ToolSelection::Only(wanted) = sel {
        for w in wanted {
            if reg.get(w).is_none() {
                return Err(SessionError::UnknownTool {
                    name: w.clone(),
                    available: reg.names().join(", "),
                });
            }
        }
        reg.retain(|t| {
            wanted
                .iter()
                .any(|w| w == t.name() || t.aliases().contains(&w.as_str()))
        });
    }
    Ok(reg)
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

/// A running session.
pub struct Session {
    agent: Agent,
    settings: Settings,
    /// How the settings were found (to look again).
    load: LoadOptions,
    config: Config,
    commands: Vec<CustomCommand>,
    warnings: Vec<String>,
}

impl Session {
    pub fn id(&self) -> &str {
        &self.config.session_id
    }

    pub fn cwd(&self) -> &Path {
        self.agent.cwd()
    }

    /// The model of the next requests (an id).
    pub fn model(&self) -> &str {
        &self.agent.config.model
    }

    /// Sets the model for the next requests (`/model`, the SDK's `set_model`); returns the id
    /// an alias resolved to.
    pub fn set_model(&mut self, name: &str) -> String {
        let id = crate::models::resolve_alias(name);
        crate::debug_log!(log::SESSION, "model set to {id}");
        self.agent.config.model = id.clone();
        id
    }

    pub fn permission_mode(&self) -> Mode {
        self.agent.permissions().mode()
    }

    /// Switches the permission mode; bypass only when the session may use it.
    pub fn set_permission_mode(&self, mode: Mode) -> Result<(), String> {
        if mode == Mode::BypassPermissions && !self.config.bypass_allowed {
            return Err(crate::permissions::bypass_refusal(self.config.disable_bypass)
                .unwrap_or_else(|| {
                    "bypassPermissions mode needs --dangerously-skip-permissions or --allow-dangerously-skip-permissions".to_string()
                }));
        }
        crate::debug_log!(log::SESSION, "permission mode set to {mode}");
        self.agent.permissions().try_set_mode(mode)
    }

    /// Bypass mode may be entered (it joins the terminal's Shift-Tab cycle).
    pub fn bypass_allowed(&self) -> bool {
        self.config.bypass_allowed
    }

    /// The permission engine (its rules and mode, for display; it decides every call).
    pub fn permissions(&self) -> &Arc<PermissionEngine> {
        self.agent.permissions()
    }

    /// Supplies who answers permission questions from now on.
    pub fn set_prompter(&mut self, prompter: Arc<dyn PermissionPrompter>) {
        if let Some(sb) = self.agent.session_state().sandbox.get() {
            sb.set_prompter(prompter.clone());
        }
        self.agent.set_prompter(prompter);
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

    /// Starts a new conversation (`/clear`).
    pub fn clear(&mut self) {
        self.agent.clear();
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
    pub fn custom_commands(&self) -> &[CustomCommand] {
        &self.commands
    }

    /// Reads the command directories again (files may have changed).
    pub fn reload_commands(&mut self) {
        self.commands = commands::discover(self.agent.cwd(), &crate::paths::claude_dir());
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
                let Some(c) = self.commands.iter().find(|c| c.name == name) else {
                    return Prepared::Unknown {
                        suggestions: commands::suggestions(&name, &self.commands),
                        name,
                    };
                };
                crate::debug_log!(log::SESSION, "command /{name} from {}", c.path.display());
                options.model = c.model.as_deref().map(crate::models::resolve_alias);
                options.allowed_tools = c.allowed_tools.clone();
                prompt = commands::expand(&c.body, &args);
            }
        }
        let ctx = self.agent.tool_context();
        let attached = attach::attach(&prompt, &ctx, Some(self.agent.permissions())).await;
        let mut content = vec![ContentBlock::text(prompt)];
        content.extend(attached.blocks);
        Prepared::Turn(Turn {
            content,
            options,
            notes: attached.notes,
            problems: attached.problems,
        })
    }

    /// Runs a turn until the model stops, a limit is hit, `cancel` fires or an error ends it.
    pub async fn run(
        &mut self,
        turn: Turn,
        events: Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> QueryResult {
        // On the heap: the loop's state is large, and a front end's own future holds this one.
        Box::pin(
            self.agent
                .query_turn(turn.content, &turn.options, events, cancel),
        )
        .await
    }

    /// Stops what the session started in the background (shells). Also done on drop.
    pub fn close(&self) {
        self.agent.session_state().shells.kill_all();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.close();
    }
}
