//! Hooks: commands (or in-process callbacks) that run at points of a session and can block,
//! change or add to what happens there. Configured under `hooks` in every settings layer and
//! `--settings`, in every mode (print, terminal, SDK); the SDK front end registers its host's
//! callbacks through [`Hooks::register_callback`].
//!
//! ```text
//! Hooks::from_settings(&settings, facts)     // once per session (SessionSetup::start)
//! hooks.pre_tool_use(&call, &events, &cancel).await  -> PreToolUse { decision, updated_input, context, stop }
//! hooks.post_tool_use(&call, &response, ms, ..)      -> PostToolUse { context, stop }
//! hooks.user_prompt_submit(prompt, ..)               -> PromptCheck { blocked, context, stop }
//! hooks.stop(active, last_text, ..)                  -> StopCheck { block, stop }   (SubagentStop in a subagent view)
//! hooks.session_start(source, model, ..) / session_end(reason, ..) / pre_compact(..) / notify(..)
//! hooks.for_subagent(id, type, transcript)          // the view a subagent's loop uses
//! ```
//!
//! All hooks of an event that match run in parallel; identical commands run once. A command
//! runs with `/bin/sh -c` in the session's directory, with the settings' `env`,
//! `CLAUDE_PROJECT_DIR` and `CLAUDECODE=1`, the input JSON on stdin, under the exec helper
//! (nothing it starts outlives ccrs), and is killed with everything it started at its timeout
//! (600 s by default) or when the user interrupts. Each run is logged to the `hooks` debug
//! category (event, command, exit, ms) and reported as [`AgentEvent::HookFinished`]; what
//! the user must know (a failure, a timeout, invalid JSON, a `systemMessage`) is its `message`.
//!
//! Modules: `config` (the settings), `matcher`, `run` (one command), `reply` (one answer),
//! `outcomes` (each event's input and what its answers decide), `status_line`.

mod config;
pub mod matcher;
mod outcomes;
mod reply;
mod run;
pub mod status_line;

pub use config::{
    CommandHook, ConfiguredHook, DEFAULT_TIMEOUT, HookEvent, Shell, StatusLineConfig,
};
pub use matcher::Matcher;
pub use outcomes::{
    CompactTrigger, EndReason, PermissionVerdict, PostToolUse, PreCompact, PreDecision, PreToolUse,
    PromptCheck, StartSource, StopCheck, ToolCallInfo, reminder,
};

use crate::BoxFuture;
use crate::cancel::CancelToken;
use crate::events::{AgentEvent, EventSink, HookRun};
use crate::log;
use crate::permissions::PermissionEngine;
use crate::settings::Settings;
use reply::{Reply, Verdict};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// An in-process hook (the SDK host's `hook_callback`). It gets the same input JSON a command
/// gets on stdin and answers with the same JSON output (`Ok(Value::Null)` for none); an `Err`
/// is a non-blocking error.
pub trait HookCallback: Send + Sync {
    fn call(
        &self,
        input: Value,
        tool_use_id: Option<String>,
    ) -> BoxFuture<'_, Result<Value, String>>;
}

/// What a hook runs.
#[derive(Clone)]
pub enum Handler {
    Command(CommandHook),
    Callback(Arc<dyn HookCallback>),
}

/// One registered hook.
#[derive(Clone)]
pub struct HookSpec {
    pub event: HookEvent,
    pub matcher: Matcher,
    pub handler: Handler,
    pub timeout: Duration,
    pub status_message: Option<String>,
    /// Started and not waited for (its answer decides nothing).
    pub run_async: bool,
    /// Runs once per session.
    pub once: bool,
    /// Where it comes from (a settings file, `--settings`, `sdk`).
    pub origin: String,
}

impl HookSpec {
    fn from_config(c: ConfiguredHook) -> Self {
        HookSpec {
            event: c.event,
            matcher: c.matcher,
            handler: Handler::Command(c.command),
            timeout: c.timeout,
            status_message: c.status_message,
            run_async: c.run_async,
            once: c.once,
            origin: c.origin,
        }
    }

    fn name(&self) -> String {
        match &self.handler {
            Handler::Command(c) => c.display(),
            Handler::Callback(_) => "callback".into(),
        }
    }
}

/// A hook as `/hooks` lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct HookListing {
    pub event: HookEvent,
    pub matcher: String,
    pub command: String,
    pub timeout_secs: f64,
    pub origin: String,
}

struct Entry {
    spec: HookSpec,
    fired: AtomicBool,
}

/// The facts every hook input carries.
#[derive(Clone, Debug, Default)]
pub struct SessionFacts {
    pub session_id: String,
    /// The session's transcript (Claude Code's path for it).
    pub transcript_path: PathBuf,
    /// Where hooks run (`cwd` in their input).
    pub cwd: PathBuf,
    /// `CLAUDE_PROJECT_DIR`.
    pub project_dir: PathBuf,
}

impl SessionFacts {
    /// The facts of session `id` started in `cwd`, its transcript where Claude Code keeps it.
    pub fn new(session_id: &str, cwd: &Path) -> Self {
        SessionFacts {
            session_id: session_id.to_string(),
            transcript_path: crate::transcript::path::session_file(
                &crate::paths::claude_dir(),
                cwd,
                session_id,
            ),
            cwd: cwd.to_path_buf(),
            project_dir: cwd.to_path_buf(),
        }
    }
}

#[derive(Debug)]
struct Subagent {
    id: String,
    agent_type: String,
    transcript_path: Option<PathBuf>,
}

struct Inner {
    entries: RwLock<Vec<Arc<Entry>>>,
    facts: RwLock<SessionFacts>,
    permissions: RwLock<Option<Arc<PermissionEngine>>>,
    /// Someone is at the terminal (permission and idle notifications make sense).
    interactive: AtomicBool,
    warnings: Vec<String>,
    status_line: Option<StatusLineConfig>,
}

/// The session's hooks. Cheap to clone (shared).
#[derive(Clone)]
pub struct Hooks {
    inner: Arc<Inner>,
    /// Set in the view a subagent's loop uses ([`Hooks::for_subagent`]).
    subagent: Option<Arc<Subagent>>,
}

impl Default for Hooks {
    fn default() -> Self {
        Hooks::none()
    }
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hooks")
            .field("hooks", &self.read_entries().len())
            .finish()
    }
}

impl Hooks {
    /// No hooks (library use, tests); callbacks may still be registered.
    pub fn none() -> Hooks {
        Hooks::with(Vec::new(), Vec::new(), None, SessionFacts::default())
    }

    /// The hooks and `statusLine` of every settings layer; problems are in
    /// [`Hooks::warnings`].
    pub fn from_settings(settings: &Settings, facts: SessionFacts) -> Hooks {
        let (configured, mut warnings) = config::load(settings);
        let (status_line, problem) = config::status_line(settings);
        warnings.extend(problem);
        let specs = configured.into_iter().map(HookSpec::from_config).collect();
        Hooks::with(specs, warnings, status_line, facts)
    }

    fn with(
        specs: Vec<HookSpec>,
        warnings: Vec<String>,
        status_line: Option<StatusLineConfig>,
        facts: SessionFacts,
    ) -> Hooks {
        let entries = specs
            .into_iter()
            .map(|spec| {
                Arc::new(Entry {
                    spec,
                    fired: AtomicBool::new(false),
                })
            })
            .collect();
        Hooks {
            inner: Arc::new(Inner {
                entries: RwLock::new(entries),
                facts: RwLock::new(facts),
                permissions: RwLock::new(None),
                interactive: AtomicBool::new(false),
                warnings,
                status_line,
            }),
            subagent: None,
        }
    }

    /// Problems found in the settings (to show once).
    pub fn warnings(&self) -> &[String] {
        &self.inner.warnings
    }

    pub fn status_line(&self) -> Option<&StatusLineConfig> {
        self.inner.status_line.as_ref()
    }

    /// Where `permission_mode` in the inputs comes from.
    pub fn set_permissions(&self, engine: Arc<PermissionEngine>) {
        if let Ok(mut p) = self.inner.permissions.write() {
            *p = Some(engine);
        }
    }

    pub fn facts(&self) -> SessionFacts {
        self.inner
            .facts
            .read()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    /// Replaces the session facts (a resumed session's id and transcript).
    pub fn set_facts(&self, facts: SessionFacts) {
        if let Ok(mut f) = self.inner.facts.write() {
            *f = facts;
        }
    }

    /// Tells the hooks a person is at the terminal: permission prompts and idle waits then
    /// fire `Notification`.
    pub fn set_interactive(&self, yes: bool) {
        self.inner.interactive.store(yes, Ordering::Relaxed);
    }

    pub fn interactive(&self) -> bool {
        self.inner.interactive.load(Ordering::Relaxed)
    }

    /// Adds a hook (after those of the settings).
    pub fn register(&self, spec: HookSpec) {
        if let Ok(mut e) = self.inner.entries.write() {
            e.push(Arc::new(Entry {
                spec,
                fired: AtomicBool::new(false),
            }));
        }
    }

    /// Adds an in-process hook: the SDK's `initialize` registers each of its host's
    /// `hookCallbackIds` this way. `matcher` has the settings' syntax; `timeout` defaults to
    /// 600 s.
    pub fn register_callback(
        &self,
        event: HookEvent,
        matcher: Option<&str>,
        callback: Arc<dyn HookCallback>,
        timeout: Option<Duration>,
    ) -> Result<(), String> {
        let matcher = match matcher {
            None => Matcher::All,
            Some(m) => Matcher::parse(m).map_err(|e| format!("invalid matcher \"{m}\": {e}"))?,
        };
        self.register(HookSpec {
            event,
            matcher,
            handler: Handler::Callback(callback),
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
            status_message: None,
            run_async: false,
            once: false,
            origin: "sdk".into(),
        });
        Ok(())
    }

    /// The view a subagent's loop uses: its inputs carry `agent_id` and `agent_type`, and its
    /// [`Hooks::stop`] fires `SubagentStop` instead of `Stop`.
    pub fn for_subagent(
        &self,
        agent_id: &str,
        agent_type: &str,
        transcript_path: Option<PathBuf>,
    ) -> Hooks {
        Hooks {
            inner: self.inner.clone(),
            subagent: Some(Arc::new(Subagent {
                id: agent_id.to_string(),
                agent_type: agent_type.to_string(),
                transcript_path,
            })),
        }
    }

    /// Every hook, for `/hooks`.
    pub fn list(&self) -> Vec<HookListing> {
        self.read_entries()
            .iter()
            .map(|e| HookListing {
                event: e.spec.event,
                matcher: e.spec.matcher.describe(),
                command: e.spec.name(),
                timeout_secs: e.spec.timeout.as_secs_f64(),
                origin: e.spec.origin.clone(),
            })
            .collect()
    }

    /// True when some hook is registered for `event`.
    pub fn has(&self, event: HookEvent) -> bool {
        self.read_entries().iter().any(|e| e.spec.event == event)
    }

    fn read_entries(&self) -> Vec<Arc<Entry>> {
        self.inner
            .entries
            .read()
            .map(|e| e.clone())
            .unwrap_or_default()
    }

    /// The hooks `event` runs for `target` (a tool name, a source, a trigger): matching, not
    /// yet run if `once`, identical commands once.
    fn matching(&self, event: HookEvent, target: Option<&str>) -> Vec<Arc<Entry>> {
        let mut out: Vec<Arc<Entry>> = Vec::new();
        for e in self.read_entries() {
            if e.spec.event != event {
                continue;
            }
            if !event.ignores_matcher()
                && let Some(t) = target
                && !e.spec.matcher.matches(t)
            {
                continue;
            }
            let dup = out
                .iter()
                .any(|o| match (&o.spec.handler, &e.spec.handler) {
                    (Handler::Command(a), Handler::Command(b)) => a == b,
                    (Handler::Callback(a), Handler::Callback(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                });
            if dup || (e.spec.once && e.fired.load(Ordering::SeqCst)) {
                continue;
            }
            out.push(e);
        }
        for e in &out {
            e.fired.store(true, Ordering::SeqCst);
        }
        out
    }

    /// The input every event starts with; `with_mode` adds `permission_mode`.
    fn input(&self, event: HookEvent, with_mode: bool) -> Map<String, Value> {
        let facts = self.facts();
        let mut m = Map::new();
        m.insert("session_id".into(), facts.session_id.into());
        m.insert(
            "transcript_path".into(),
            facts.transcript_path.display().to_string().into(),
        );
        m.insert("cwd".into(), facts.cwd.display().to_string().into());
        if with_mode
            && let Ok(p) = self.inner.permissions.read()
            && let Some(engine) = p.as_ref()
        {
            m.insert("permission_mode".into(), engine.mode().as_str().into());
        }
        if let Some(a) = &self.subagent {
            m.insert("agent_id".into(), a.id.clone().into());
            m.insert("agent_type".into(), a.agent_type.clone().into());
        }
        m.insert("hook_event_name".into(), event.as_str().into());
        m
    }

    /// Runs `hooks` with `input` and returns their replies (background ones are not waited
    /// for and return nothing).
    async fn run_all(
        &self,
        hooks: Vec<Arc<Entry>>,
        hook_name: &str,
        input: Map<String, Value>,
        tool_use_id: Option<&str>,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> Vec<Reply> {
        if hooks.is_empty() {
            return Vec::new();
        }
        let input = Value::Object(input);
        let bytes: Arc<[u8]> = serde_json::to_vec(&input).unwrap_or_default().into();
        let facts = self.facts();
        let env = Arc::new(hook_env(&facts));
        let mut waited = Vec::new();
        for e in hooks {
            let hook_id = uuid::Uuid::new_v4().to_string();
            events.emit(AgentEvent::HookStarted {
                hook_id: hook_id.clone(),
                hook_name: hook_name.to_string(),
                event: e.spec.event.as_str().to_string(),
                status_message: e.spec.status_message.clone(),
            });
            let job = Job {
                hook_id,
                entry: e.clone(),
                hook_name: hook_name.to_string(),
                input: input.clone(),
                bytes: bytes.clone(),
                tool_use_id: tool_use_id.map(str::to_string),
                cwd: facts.cwd.clone(),
                env: env.clone(),
            };
            if e.spec.run_async {
                let events = events.clone();
                tokio::spawn(async move {
                    job.run(&events, &CancelToken::new()).await;
                });
            } else {
                waited.push(job);
            }
        }
        crate::join::join_all(waited.iter().map(|j| j.run(events, cancel)).collect()).await
    }
}

/// One hook to run, with everything it needs owned (background hooks outlive the caller).
struct Job {
    hook_id: String,
    entry: Arc<Entry>,
    hook_name: String,
    input: Value,
    bytes: Arc<[u8]>,
    tool_use_id: Option<String>,
    cwd: PathBuf,
    env: Arc<Vec<(String, String)>>,
}

impl Job {
    async fn run(&self, events: &Arc<dyn EventSink>, cancel: &CancelToken) -> Reply {
        let spec = &self.entry.spec;
        let reply = match &spec.handler {
            Handler::Command(c) => {
                let r = run::run(
                    c,
                    &run::RunSpec {
                        cwd: &self.cwd,
                        env: &self.env,
                        input: &self.bytes,
                        timeout: spec.timeout,
                        cancel,
                    },
                )
                .await;
                Reply::from_run(c.display(), spec.timeout.as_secs_f64(), r)
            }
            Handler::Callback(cb) => {
                let started = Instant::now();
                let call = cb.call(self.input.clone(), self.tool_use_id.clone());
                let result = tokio::select! {
                    r = tokio::time::timeout(spec.timeout, call) => r.unwrap_or_else(|_| {
                        Err(format!("timed out after {} s", spec.timeout.as_secs_f64()))
                    }),
                    _ = cancel.cancelled() => Err("cancelled".to_string()),
                };
                let mut reply = Reply::from_callback(result, started.elapsed().as_millis() as u64);
                if cancel.is_cancelled() {
                    reply.verdict = Verdict::Cancelled;
                }
                reply
            }
        };
        self.report(&reply, events);
        reply
    }

    /// The debug log line and the front end's report.
    fn report(&self, r: &Reply, events: &Arc<dyn EventSink>) {
        let event = self.entry.spec.event;
        let outcome = match &r.verdict {
            Verdict::Success => "success",
            Verdict::Blocking => "blocked",
            Verdict::NonBlocking(_) => "error",
            Verdict::Cancelled => "cancelled",
        };
        crate::debug_log!(
            log::HOOKS,
            "{} `{}` ({}): {}{} in {} ms",
            self.hook_name,
            r.name,
            self.entry.spec.origin,
            outcome,
            r.exit_code.map_or(String::new(), |c| format!(", exit {c}")),
            r.duration_ms
        );
        let mut message = Vec::new();
        match &r.verdict {
            Verdict::NonBlocking(why) => {
                message.push(format!("{} hook error: `{}` {why}", self.hook_name, r.name))
            }
            // Where stderr goes to the user only, the user sees it here.
            Verdict::Blocking if user_only_blocking(event) => message.push(format!(
                "{} hook error: {}",
                self.hook_name,
                r.stderr.trim()
            )),
            _ => {}
        }
        if let Some(e) = &r.json_error {
            crate::debug_log!(log::HOOKS, "{}: invalid JSON output: {e}", self.hook_name);
            message.push(format!(
                "{} hook `{}` printed invalid JSON ({e}); its output was taken as plain text",
                self.hook_name, r.name
            ));
        }
        if let Some(m) = r.system_message() {
            message.push(m.to_string());
        }
        events.emit(AgentEvent::HookFinished(HookRun {
            hook_id: self.hook_id.clone(),
            hook_name: self.hook_name.clone(),
            event: event.as_str().to_string(),
            command: r.name.clone(),
            exit_code: r.exit_code,
            outcome,
            stdout: r.stdout.clone(),
            stderr: r.stderr.clone(),
            duration_ms: r.duration_ms,
            message: (!message.is_empty()).then(|| message.join("\n")),
        }));
    }
}

/// Events whose exit-2 stderr is for the user only (nothing is blocked or sent to the model).
fn user_only_blocking(e: HookEvent) -> bool {
    matches!(
        e,
        HookEvent::Notification
            | HookEvent::SessionStart
            | HookEvent::SessionEnd
            | HookEvent::PostCompact
            | HookEvent::SubagentStart
    )
}

/// A hook's environment on top of ccrs's own: the settings' `env`, `CLAUDE_PROJECT_DIR`,
/// `CLAUDECODE=1` and the session id.
fn hook_env(facts: &SessionFacts) -> Vec<(String, String)> {
    let mut env = crate::env::overlay();
    env.push((
        "CLAUDE_PROJECT_DIR".into(),
        facts.project_dir.display().to_string(),
    ));
    env.push(("CLAUDECODE".into(), "1".into()));
    if !facts.session_id.is_empty() {
        env.push(("CLAUDE_CODE_SESSION_ID".into(), facts.session_id.clone()));
    }
    env
}
