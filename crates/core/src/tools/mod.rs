//! The tool registry and the contract every tool (built-in or MCP) implements.
//!
//! The agent loop only knows [`Tool`]: it validates the input against the tool's schema, asks the
//! permission engine about the tool's [`Subject`], then calls [`Tool::call`]. New tools, MCP tools
//! and permission checks plug in here without touching the loop.

pub mod bash;
pub mod bash_output;
pub mod context;
pub mod edit;
pub mod exit_plan_mode;
pub mod file_state;
pub mod glob;
pub mod grep;
pub mod html;
pub mod kill_shell;
pub mod multi_edit;
pub mod notebook_edit;
pub mod read;
pub mod schema;
pub mod shells;
pub mod textfile;
pub mod todo_write;
pub mod web_fetch;
pub mod web_search;
pub mod write;

pub use crate::events::ToolOutput;
pub use context::ToolContext;
pub use edit::{preview_diff, preview_patch};

use crate::BoxFuture;
use crate::events::INTERRUPTED_TOOL_USE;
pub use crate::permissions::Subject;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A tool the model can call.
pub trait Tool: Send + Sync {
    /// The name the model uses (`Bash`, `Read`, `mcp__server__tool`, ...).
    fn name(&self) -> &str;

    /// Other names accepted from the model and in rules (e.g. `TaskOutput` for `BashOutput`).
    fn aliases(&self) -> &[&str] {
        &[]
    }

    /// A short description for the model. Every token is paid on every request: keep it tight.
    fn description(&self) -> &str;

    /// JSON schema of the input (Claude Code's field names).
    fn input_schema(&self) -> Value;

    /// True when the tool never changes anything (it may run concurrently with other read-only
    /// calls, and runs in plan mode).
    fn is_read_only(&self) -> bool;

    /// True when several calls of this tool in one reply may run at the same time (the Agent
    /// tool: subagents work in parallel). Consecutive such calls run concurrently.
    fn is_concurrency_safe(&self) -> bool {
        false
    }

    /// What the call touches, for the permission engine. `input` has passed schema validation.
    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject;

    /// Runs the call. Failures are returned as error outputs, never as panics.
    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput>;

    /// Runs the call the permission engine checked as `subject` (from [`Tool::subject`]). A
    /// tool whose subject holds values resolved at check time (the Bash tool's working
    /// directory and shell) runs with exactly those; the others ignore it.
    fn call_checked<'a>(
        &'a self,
        input: Value,
        _subject: &'a Subject,
        ctx: &'a ToolContext,
    ) -> BoxFuture<'a, ToolOutput> {
        self.call(input, ctx)
    }

    /// Whether the tool may be offered by name only, its schema loaded when the model asks for
    /// it through ToolSearch (MCP tools; see `agent::deferred`).
    fn deferrable(&self) -> bool {
        false
    }

    /// A one-line summary of the call for display, e.g. `cargo test` for Bash.
    fn summary(&self, input: &Value) -> String {
        schema::default_summary(input)
    }
}

/// After cancellation, how long a blocking tool body gets to notice (it checks the token) and
/// finish cleanly before the call reports the interruption without it.
pub const CANCEL_GRACE: Duration = Duration::from_millis(1000);

/// Runs a tool body that does blocking file I/O on the blocking thread pool, so the async
/// runtime (streaming, other tools, the UI) never stalls on the disk. Once the call is
/// cancelled, the body has [`CANCEL_GRACE`] to return; a body still stuck after that (in a
/// kernel call that cannot be interrupted) is abandoned and the call ends as interrupted.
pub fn call_blocking<'a, F>(
    name: &'static str,
    input: Value,
    ctx: &ToolContext,
    body: F,
) -> BoxFuture<'a, ToolOutput>
where
    F: FnOnce(Value, &ToolContext) -> ToolOutput + Send + 'static,
{
    // One copy of the machinery below for every tool, not one per body.
    run_blocking(name, input, ctx.clone(), Box::new(body))
}

type BlockingBody = Box<dyn FnOnce(Value, &ToolContext) -> ToolOutput + Send>;

fn run_blocking<'a>(
    name: &'static str,
    input: Value,
    ctx: ToolContext,
    body: BlockingBody,
) -> BoxFuture<'a, ToolOutput> {
    Box::pin(async move {
        let cancel = ctx.cancel.clone();
        let mut task = tokio::task::spawn_blocking(move || body(input, &ctx));
        let joined = tokio::select! {
            r = &mut task => r,
            _ = cancel.cancelled() => match tokio::time::timeout(CANCEL_GRACE, &mut task).await {
                Ok(r) => r,
                Err(_) => return ToolOutput::error(INTERRUPTED_TOOL_USE),
            },
        };
        match joined {
            Ok(out) => out,
            Err(e) => ToolOutput::tool_use_error(format!("{name} failed: {e}")),
        }
    })
}

/// The set of tools offered to the model, looked up by name or alias.
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Vec<Arc<dyn Tool>>,
}

impl ToolRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every built-in tool.
    pub fn builtin() -> Self {
        let mut r = Self::new();
        for t in builtin_tools() {
            r.register(t);
        }
        r
    }

    /// Adds a tool, replacing any tool of the same name.
    pub fn register(&mut self, tool: Arc<dyn Tool>) {
        self.tools.retain(|t| t.name() != tool.name());
        self.tools.push(tool);
    }

    /// Removes tools for which `keep` returns false.
    pub fn retain(&mut self, mut keep: impl FnMut(&dyn Tool) -> bool) {
        self.tools.retain(|t| keep(t.as_ref()));
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.tools
            .iter()
            .find(|t| t.name() == name)
            .or_else(|| self.tools.iter().find(|t| t.aliases().contains(&name)))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Tool>> {
        self.tools.iter()
    }

    pub fn names(&self) -> Vec<String> {
        self.tools.iter().map(|t| t.name().to_string()).collect()
    }

    pub fn len(&self) -> usize {
        self.tools.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }
}

/// The built-in tools, in the order they are offered to the model.
pub fn builtin_tools() -> Vec<Arc<dyn Tool>> {
    vec![
        Arc::new(bash::BashTool::new()),
        Arc::new(glob::GlobTool),
        Arc::new(grep::GrepTool),
        Arc::new(exit_plan_mode::ExitPlanMode),
        Arc::new(read::ReadTool),
        Arc::new(edit::EditTool),
        Arc::new(multi_edit::MultiEditTool),
        Arc::new(write::WriteTool),
        Arc::new(notebook_edit::NotebookEditTool),
        Arc::new(web_fetch::WebFetch::default()),
        Arc::new(todo_write::TodoWrite),
        Arc::new(web_search::WebSearch),
        Arc::new(bash_output::BashOutputTool),
        Arc::new(kill_shell::KillShellTool),
    ]
}
