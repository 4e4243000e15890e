//! What a tool call can see: directories, per-session state shared between tools, the event sink
//! and the cancellation token.

use crate::api::ApiClient;
use crate::cancel::CancelToken;
use crate::events::EventSink;
pub use crate::events::{Todo, TodoStatus};
use crate::tools::file_state::FileTracker;
use crate::tools::shells::ShellManager;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// State shared by every tool call of one session.
pub struct SessionState {
    /// Files read (and written) in this conversation, for the read-before-write checks.
    pub files: FileTracker,
    /// Background shells started with `run_in_background`.
    pub shells: ShellManager,
    /// Bash's working directory, which persists across calls.
    pub shell_cwd: Mutex<PathBuf>,
    /// The TodoWrite list.
    pub todos: Mutex<Vec<Todo>>,
    /// Usage of requests tools made themselves (WebFetch's small model, WebSearch), per model,
    /// not yet counted by the agent loop.
    pub side_usage: Mutex<Vec<(String, crate::api::Usage)>>,
    /// The Bash sandbox, when the settings enable it (set once by the front end).
    pub sandbox: std::sync::OnceLock<Arc<crate::sandbox::Sandbox>>,
    /// Allow rules a tool granted until the end of the current turn (a skill's
    /// `allowed-tools`); the agent removes them when the turn ends.
    pub turn_grants: Mutex<Vec<String>>,
}

impl SessionState {
    pub fn new(cwd: &Path) -> Self {
        SessionState {
            files: FileTracker::default(),
            shells: ShellManager::default(),
            shell_cwd: Mutex::new(cwd.to_path_buf()),
            todos: Mutex::new(Vec::new()),
            side_usage: Mutex::new(Vec::new()),
            sandbox: std::sync::OnceLock::new(),
            turn_grants: Mutex::new(Vec::new()),
        }
    }

    /// Records the usage of a request a tool made, so it counts in the session's cost.
    pub fn record_side_usage(&self, model: &str, usage: &crate::api::Usage) {
        if let Ok(mut u) = self.side_usage.lock() {
            u.push((model.to_string(), usage.clone()));
        }
    }

    /// Takes the recorded side usage.
    pub fn take_side_usage(&self) -> Vec<(String, crate::api::Usage)> {
        self.side_usage
            .lock()
            .map(|mut u| std::mem::take(&mut *u))
            .unwrap_or_default()
    }
}

/// Everything a tool call gets. Cheap to clone.
#[derive(Clone)]
pub struct ToolContext {
    /// The directory ccrs was started in (project root); relative paths resolve against it.
    pub cwd: PathBuf,
    /// The working directories: `cwd` first, then `--add-dir` and `additionalDirectories`.
    pub working_dirs: Arc<Vec<PathBuf>>,
    pub session: Arc<SessionState>,
    /// Extra environment for child processes (the settings' `env`), applied after the inherited
    /// environment.
    pub env: Arc<Vec<(String, String)>>,
    pub cancel: CancelToken,
    pub events: Arc<dyn EventSink>,
    /// The id of the tool_use being answered.
    pub tool_use_id: String,
    /// The API client, for tools that ask a model themselves (WebFetch) or use server tools
    /// (WebSearch). `None` in unit tests.
    pub api: Option<Arc<ApiClient>>,
    /// The small, fast model (haiku) for such side requests.
    pub small_model: String,
    /// The main model, for server-tool requests.
    pub model: String,
    /// The session's permission engine (ExitPlanMode switches its mode). `None` in unit tests.
    pub permissions: Option<Arc<crate::permissions::PermissionEngine>>,
}

impl ToolContext {
    /// Resolves a path from the model against `cwd` (paths should be absolute, but be lenient).
    pub fn resolve(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        let joined = if p.is_absolute() {
            p.to_path_buf()
        } else if let Ok(rest) = p.strip_prefix("~")
            && let Some(home) = crate::paths::home_dir()
        {
            home.join(rest)
        } else {
            self.cwd.join(p)
        };
        crate::paths::normalize(&joined)
    }

    /// An environment variable as this call sees it: the context's `env` (the settings' `env`;
    /// its last entry wins), else the settings overlay or ccrs's own environment
    /// ([`crate::env::var`]). Empty counts as unset.
    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| crate::env::var(name))
            .filter(|v| !v.is_empty())
    }

    /// A switch from [`Self::env_var`]: `Some(true)` for `1`/`true`/`yes`/`on`, `Some(false)` for
    /// `0`/`false`/`no`/`off`, `None` when unset or unclear ([`crate::env::switch`]).
    pub fn env_switch(&self, name: &str) -> Option<bool> {
        self.env_var(name).and_then(|v| crate::env::switch(&v))
    }

    /// True when [`Self::env_switch`] is on.
    pub fn env_flag(&self, name: &str) -> bool {
        self.env_switch(name) == Some(true)
    }

    /// A positive integer from [`Self::env_var`].
    pub fn env_u64(&self, name: &str) -> Option<u64> {
        self.env_var(name)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| *n > 0)
    }

    /// The one constructor: a session's directories and shared state; events are dropped,
    /// no API client, no permission engine and no extra environment until the caller sets them
    /// (the agent does, per call).
    pub fn new(cwd: &Path, working_dirs: Vec<PathBuf>, session: Arc<SessionState>) -> Self {
        ToolContext {
            cwd: cwd.to_path_buf(),
            working_dirs: Arc::new(working_dirs),
            session,
            env: Arc::new(Vec::new()),
            cancel: CancelToken::new(),
            events: Arc::new(crate::events::NullSink),
            tool_use_id: String::new(),
            api: None,
            small_model: crate::models::resolve_alias("haiku"),
            model: crate::models::resolve_alias("sonnet"),
            permissions: None,
        }
    }

    /// A context for unit tests: `cwd` is the only working directory.
    pub fn for_tests(cwd: &Path) -> Self {
        let mut ctx = Self::new(
            cwd,
            vec![cwd.to_path_buf()],
            Arc::new(SessionState::new(cwd)),
        );
        ctx.tool_use_id = "toolu_test".to_string();
        ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lookups_prefer_the_context_env() {
        let mut ctx = ToolContext::for_tests(Path::new("/"));
        ctx.env = Arc::new(vec![
            ("CCRS_TEST_CTX_FLAG".into(), "yes".into()),
            ("CCRS_TEST_CTX_FLAG".into(), " Off ".into()),
            ("CCRS_TEST_CTX_NUM".into(), " 42 ".into()),
            ("CCRS_TEST_CTX_ZERO".into(), "0".into()),
            ("CCRS_TEST_CTX_EMPTY".into(), String::new()),
        ]);
        assert_eq!(ctx.env_switch("CCRS_TEST_CTX_FLAG"), Some(false));
        assert!(!ctx.env_flag("CCRS_TEST_CTX_FLAG"));
        assert_eq!(ctx.env_u64("CCRS_TEST_CTX_NUM"), Some(42));
        assert_eq!(ctx.env_u64("CCRS_TEST_CTX_ZERO"), None);
        assert_eq!(ctx.env_var("CCRS_TEST_CTX_EMPTY"), None);
        assert_eq!(ctx.env_switch("CCRS_TEST_CTX_SURELY_UNSET"), None);
    }

    #[test]
    fn env_switch_prefers_settings_env() {
        let mut ctx = ToolContext::for_tests(Path::new("/"));
        ctx.env = Arc::new(vec![("CCRS_TEST_FLAG_X".to_string(), "0".to_string())]);
        assert_eq!(ctx.env_switch("CCRS_TEST_FLAG_X"), Some(false));
        assert_eq!(ctx.env_switch("CCRS_TEST_FLAG_SURELY_UNSET"), None);
    }
}
