//! The permission engine: rules, mode and working directories in, one decision per tool call
//! out, with what decided it. Deny beats ask beats allow whatever file each rule came from;
//! writes to protected paths always ask; Bash command lines are parsed and every command in
//! them must be allowed on its own. The engine decides; it never writes settings files (the
//! caller persists "always allow" answers, see [`PermissionEngine::grant_always`]).
//!
//! `files.rs` decides file tools, WebFetch and other tools; `shell.rs` Bash command lines;
//! `grant.rs` rules added during the session.

mod files;
mod grant;
mod shell;

pub use grant::InvalidRule;

use super::bash::GitRepo;
use super::explain::{Basis, Why};
use super::paths::{self, PathForms, Roots};
use super::rules::{
    PATH_TOOLS, Rule, RuleBehavior, SourcedRule, Specifier, ToolPattern, parse_rule,
};
use super::{Decision, Mode, Subject};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::SystemTime;

/// "Don't ask again" offers at most this many rules for one compound command.
const MAX_SUGGESTIONS: usize = 5;

/// Built-in tools whose rules take no path (with [`PATH_TOOLS`], every built-in tool name, for
/// "did you mean" warnings on rules).
const OTHER_TOOLS: &[&str] = &[
    "Bash",
    "WebFetch",
    "WebSearch",
    "Task",
    "Agent",
    "TodoWrite",
    "ExitPlanMode",
    "BashOutput",
    "KillShell",
    "SlashCommand",
    "Skill",
    "AskUserQuestion",
];

/// Everything the engine needs to start.
#[derive(Clone, Debug, Default)]
pub struct PermissionConfig {
    pub mode: Mode,
    pub rules: Vec<SourcedRule>,
    /// The directory ccrs runs in.
    pub cwd: PathBuf,
    /// Extra working directories (`--add-dir`, `additionalDirectories`).
    pub additional_dirs: Vec<PathBuf>,
    /// Where "don't ask again" rules belong (`<cwd>/.claude/settings.local.json`): the caller
    /// writes them there ([`PermissionEngine::grant_always`] says which).
    pub local_settings_path: Option<PathBuf>,
    /// `permissions.disableBypassPermissionsMode: "disable"`: bypass mode is refused.
    pub disable_bypass: bool,
    /// The home directory for `~` (default: `$HOME`).
    pub home: Option<PathBuf>,
}

struct Compiled {
    src: SourcedRule,
    rule: Rule,
}

struct State {
    mode: Mode,
    rules: Vec<Compiled>,
    /// Set when the user approved leaving plan mode; taken by the ExitPlanMode tool.
    plan_exit: Option<Mode>,
}

pub struct PermissionEngine {
    cwd: PathBuf,
    real_cwd: PathBuf,
    working_dirs: Vec<PathBuf>,
    /// The working directories as written (and resolved): a write must be inside in both forms.
    write_dirs: Vec<PathBuf>,
    home: Option<PathBuf>,
    local_settings_path: Option<PathBuf>,
    disable_bypass: bool,
    /// The git directories of the working directories when the session started: their
    /// configuration is trusted (git commands elsewhere may run programs a repository names).
    trusted_git: Vec<PathBuf>,
    started: SystemTime,
    state: RwLock<State>,
    warnings: Vec<String>,
}

/// Whether a path is being read or written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

fn plan_message(what: &str) -> String {
    format!(
        "Plan mode is active: {what} would change something, so it does not run until the plan is approved. Keep researching with read-only tools, then present your plan with ExitPlanMode."
    )
}

fn denied_message(what: &str, r: &SourcedRule) -> String {
    format!(
        "Permission to {what} has been denied by the rule {} ({}).",
        r.rule,
        r.origin()
    )
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

/// Does rule `c` govern `tool` (or, when empty, a Bash command) accessing a path? As in Claude
/// Code, allow rules with a path are read as `Read(…)` (reads) and `Edit(…)` (reads, every
/// file-writing tool, Bash output redirections); a `Write(…)`, `MultiEdit(…)` or
/// `NotebookEdit(…)` path allow grants nothing (a warning says so). A rule without a path
/// (`Edit`, `Write(*)`) allows only its own tool. Deny and ask rules reach further, the safe
/// direction: an Edit/Write/MultiEdit/NotebookEdit one covers every write, a Read one every
/// read and every write.
fn covers(c: &Compiled, tool: &str, access: Access, redirect: bool) -> bool {
    let allow = c.src.behavior == RuleBehavior::Allow;
    let path_rule = matches!(c.rule.spec, Specifier::Path(_));
    let t = c.rule.tool.exact();
    if !tool.is_empty()
        && c.rule.tool.matches(tool)
        && !(allow && path_rule && t != Some("Read") && t != Some("Edit"))
    {
        return true;
    }
    let file_tool = !tool.is_empty();
    let edit_family = matches!(t, Some("Edit" | "Write" | "MultiEdit" | "NotebookEdit"));
    match (access, allow) {
        (Access::Read, true) => path_rule && matches!(t, Some("Read" | "Edit")),
        (Access::Read, false) => t == Some("Read"),
        // Nothing allows a Bash command's own writes but acceptEdits or the command's own rule.
        (Access::Write, true) => path_rule && t == Some("Edit") && (file_tool || redirect),
        (Access::Write, false) => edit_family || (t == Some("Read") && path_rule),
    }
}

impl PermissionEngine {
    pub fn new(cfg: PermissionConfig) -> Self {
        let cwd = if cfg.cwd.is_absolute() {
            paths::lexical(&cfg.cwd)
        } else {
            std::env::current_dir()
                .map(|d| paths::lexical(&d.join(&cfg.cwd)))
                .unwrap_or_else(|_| cfg.cwd.clone())
        };
        let real_cwd = paths::realpath(&cwd);
        let mut working_dirs = vec![real_cwd.clone()];
        let mut write_dirs = vec![cwd.clone(), real_cwd.clone()];
        for d in &cfg.additional_dirs {
            let lexical = paths::lexical(&cwd.join(d));
            let real = paths::realpath(&lexical);
            if !working_dirs.contains(&real) {
                working_dirs.push(real.clone());
            }
            write_dirs.push(lexical);
            write_dirs.push(real);
        }
        let mut trusted_git = Vec::new();
        for d in &working_dirs {
            if let GitRepo::At(g) = super::bash::discover_repo(d) {
                // A worktree's git directory shares the main repository's configuration.
                if let Ok(common) = std::fs::read_to_string(g.join("commondir")) {
                    trusted_git.push(paths::realpath(&g.join(common.trim())));
                }
                trusted_git.push(g);
            }
        }
        let home = cfg.home.or_else(crate::paths::home_dir);
        let mut warnings = Vec::new();
        let mut mode = cfg.mode;
        if mode == Mode::BypassPermissions && cfg.disable_bypass {
            warnings.push(
                "bypassPermissions mode is disabled by permissions.disableBypassPermissionsMode; using default mode"
                    .to_string(),
            );
            mode = Mode::Default;
        }
        let mut engine = PermissionEngine {
            cwd,
            real_cwd,
            working_dirs,
            write_dirs,
            home,
            local_settings_path: cfg.local_settings_path,
            disable_bypass: cfg.disable_bypass,
            trusted_git,
            started: SystemTime::now(),
            state: RwLock::new(State {
                mode,
                rules: Vec::new(),
                plan_exit: None,
            }),
            warnings,
        };
        let mut compiled = Vec::new();
        for src in cfg.rules {
            match engine.compile(&src) {
                Ok(c) => {
                    engine.warn_about(&c);
                    compiled.push(c);
                }
                Err(w) => engine.warnings.push(w),
            }
        }
        engine.write_state().rules = compiled;
        engine
    }

    fn compile(&self, src: &SourcedRule) -> Result<Compiled, String> {
        let roots = Roots {
            cwd: self.cwd.clone(),
            home: self.home.clone(),
            source_root: src.source.root(src.file.as_deref(), &self.cwd),
        };
        match parse_rule(&src.rule, src.behavior, &roots) {
            Ok(rule) => Ok(Compiled {
                src: src.clone(),
                rule,
            }),
            Err(e) => Err(format!(
                "ignored the {} rule \"{}\" from {}: {e}",
                src.behavior.as_str(),
                src.rule,
                src.origin()
            )),
        }
    }

    fn warn_about(&mut self, c: &Compiled) {
        if let Specifier::Unsupported(spec) = &c.rule.spec {
            self.warnings.push(format!(
                "the {} rule \"{}\" from {}: ccrs cannot evaluate the specifier \"{spec}\" for this tool, so the rule never matches",
                c.src.behavior.as_str(),
                c.src.rule,
                c.src.origin()
            ));
        }
        if let Specifier::Command(p) = &c.rule.spec
            && p.never_matches()
        {
            self.warnings.push(format!(
                "the {} rule \"{}\" from {} never matches: there is a blank before \":*\" (as in Claude Code)",
                c.src.behavior.as_str(),
                c.src.rule,
                c.src.origin()
            ));
        }
        if c.src.behavior == RuleBehavior::Allow
            && matches!(c.rule.spec, Specifier::Path(_))
            && let Some(t @ ("Write" | "MultiEdit" | "NotebookEdit")) = c.rule.tool.exact()
        {
            self.warnings.push(format!(
                "the allow rule \"{}\" from {} grants nothing: file writes are allowed by Edit(…) path rules (as in Claude Code, which ignores {t}(…) path rules); did you mean \"Edit{}\"?",
                c.src.rule,
                c.src.origin(),
                c.src.rule.trim_start().get(t.len()..).unwrap_or("")
            ));
        }
        if let ToolPattern::Exact(name) = &c.rule.tool
            && !PATH_TOOLS.contains(&name.as_str())
            && !OTHER_TOOLS.contains(&name.as_str())
            && !name.starts_with("mcp__")
            && let Some(k) = PATH_TOOLS
                .iter()
                .chain(OTHER_TOOLS)
                .find(|k| k.eq_ignore_ascii_case(name))
        {
            self.warnings.push(format!(
                "the {} rule \"{}\" from {} names the tool \"{name}\"; tool names are case-sensitive (did you mean \"{k}\"?)",
                c.src.behavior.as_str(),
                c.src.rule,
                c.src.origin()
            ));
        }
    }

    fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Problems found in the configured rules (malformed rules are ignored, never widened).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn mode(&self) -> Mode {
        self.read_state().mode
    }

    /// Switches mode; bypassPermissions is ignored when settings disable it (see
    /// [`PermissionEngine::try_set_mode`] for the reason).
    pub fn set_mode(&self, mode: Mode) {
        let _ = self.try_set_mode(mode);
    }

    pub fn try_set_mode(&self, mode: Mode) -> Result<(), String> {
        if mode == Mode::BypassPermissions && self.disable_bypass {
            return Err(
                "bypassPermissions mode is disabled by permissions.disableBypassPermissionsMode"
                    .to_string(),
            );
        }
        self.write_state().mode = mode;
        Ok(())
    }

    /// True when settings forbid bypassPermissions mode.
    pub fn bypass_disabled(&self) -> bool {
        self.disable_bypass
    }

    /// The working directories, resolved: the cwd first, then the added ones.
    pub fn working_dirs(&self) -> &[PathBuf] {
        &self.working_dirs
    }

    /// The working directory, resolved (symlinks followed).
    #[allow(clippy::misnamed_getters)]
    pub fn cwd(&self) -> &Path {
        &self.real_cwd
    }

    /// Where "don't ask again" rules are saved (`.claude/settings.local.json`).
    pub fn local_settings_path(&self) -> Option<&Path> {
        self.local_settings_path.as_deref()
    }

    /// Every rule in force, in the order they were given.
    pub fn rules(&self) -> Vec<SourcedRule> {
        self.read_state()
            .rules
            .iter()
            .map(|c| c.src.clone())
            .collect()
    }

    /// A bare-name deny rule (`"WebSearch"`, `"mcp__server"`, not `"WebSearch(*)"`) removes
    /// the tool from the model's tool list.
    pub fn hides_tool(&self, tool_name: &str) -> bool {
        self.read_state().rules.iter().any(|c| {
            c.src.behavior == RuleBehavior::Deny
                && !c.src.rule.contains('(')
                && c.rule.tool.matches(tool_name)
        })
    }

    /// True when some deny or ask rule names reads: only then must search tools check each
    /// file.
    pub fn has_read_deny_rules(&self) -> bool {
        let st = self.read_state();
        self.any_path_rule(&st, RuleBehavior::Deny, Access::Read)
            .or_else(|| self.any_path_rule(&st, RuleBehavior::Ask, Access::Read))
            .is_some()
    }

    /// True when a Read deny rule covers `path`.
    pub fn read_denied(&self, path: &Path) -> bool {
        let st = self.read_state();
        self.path_rule(
            &st,
            RuleBehavior::Deny,
            "",
            Access::Read,
            &PathForms::of(path),
        )
        .is_some()
    }

    /// True when a Read deny or ask rule covers the path: a search that walks many files must
    /// leave it out (it cannot stop to ask for each).
    fn read_withheld_forms(&self, forms: &PathForms) -> bool {
        let st = self.read_state();
        [RuleBehavior::Deny, RuleBehavior::Ask]
            .into_iter()
            .any(|b| self.path_rule(&st, b, "", Access::Read, forms).is_some())
    }

    /// Records the user's approval of an `Ask`. Approving ExitPlanMode leaves plan mode:
    /// "always" means acceptEdits, "once" means default.
    pub fn approved(&self, subject: &Subject, always: bool) {
        if let Subject::ExitPlan { .. } = subject {
            let mut st = self.write_state();
            if st.mode == Mode::Plan {
                let next = if always {
                    Mode::AcceptEdits
                } else {
                    Mode::Default
                };
                st.mode = next;
                st.plan_exit = Some(next);
            }
        }
    }

    /// The mode chosen when plan mode was just left through ExitPlanMode (taken once).
    pub fn take_plan_exit(&self) -> Option<Mode> {
        self.write_state().plan_exit.take()
    }

    /// Decides one call, saying why.
    pub fn check(&self, tool_name: &str, subject: &Subject) -> Decision {
        let st = self.read_state();
        match subject {
            Subject::Passive => match self.bare_rule(&st, RuleBehavior::Deny, tool_name) {
                Some(r) => Decision::Deny {
                    message: denied_message(&format!("use {tool_name}"), &r.src),
                    why: Why::one(tool_name, Basis::rule(&r.src)),
                },
                None => Decision::Allow {
                    why: Why::one(tool_name, Basis::Passive),
                },
            },
            Subject::Read(paths) => self.check_read(&st, tool_name, paths),
            Subject::Write(paths) => self.check_write(&st, tool_name, paths),
            Subject::Shell {
                command,
                cwd,
                dialect,
            } => self.check_shell(&st, tool_name, command, cwd, dialect),
            Subject::SandboxedShell {
                command,
                cwd,
                dialect,
            } => self.check_sandboxed_shell(&st, tool_name, command, cwd, dialect),
            Subject::UnsandboxedShell {
                command,
                cwd,
                dialect,
            } => self.check_unsandboxed_shell(&st, tool_name, command, cwd, dialect),
            Subject::Fetch(url) => self.check_fetch(&st, tool_name, url),
            Subject::Other => self.check_other(&st, tool_name),
            Subject::ExitPlan { .. } => {
                if let Some(r) = self.bare_rule(&st, RuleBehavior::Deny, tool_name) {
                    return Decision::Deny {
                        message: denied_message(&format!("use {tool_name}"), &r.src),
                        why: Why::one(tool_name, Basis::rule(&r.src)),
                    };
                }
                if st.mode == Mode::Plan {
                    Decision::Ask {
                        reason:
                            "The plan is ready: approve it to leave plan mode and start working."
                                .to_string(),
                        suggestions: Vec::new(),
                        why: Why::one(tool_name, Basis::Mode(Mode::Plan)),
                    }
                } else {
                    Decision::Allow {
                        why: Why::one(tool_name, Basis::Mode(st.mode)),
                    }
                }
            }
        }
    }

    /// A rule with no specifier (or `(*)`) for this tool.
    fn bare_rule<'a>(&self, st: &'a State, b: RuleBehavior, tool: &str) -> Option<&'a Compiled> {
        st.rules.iter().find(|c| {
            c.src.behavior == b
                && matches!(c.rule.spec, Specifier::Any)
                && c.rule.tool.matches(tool)
        })
    }

    /// The first rule of behaviour `b` that [`covers`] `tool` accessing the path. Allow rules
    /// must match both the path as written and its symlink target; deny and ask rules either.
    fn path_rule<'a>(
        &self,
        st: &'a State,
        b: RuleBehavior,
        tool: &str,
        access: Access,
        forms: &PathForms,
    ) -> Option<&'a Compiled> {
        self.path_rule_for(st, b, tool, access, forms, false)
    }

    fn path_rule_for<'a>(
        &self,
        st: &'a State,
        b: RuleBehavior,
        tool: &str,
        access: Access,
        forms: &PathForms,
        redirect: bool,
    ) -> Option<&'a Compiled> {
        st.rules.iter().find(|c| {
            if c.src.behavior != b || !covers(c, tool, access, redirect) {
                return false;
            }
            match &c.rule.spec {
                Specifier::Any => true,
                Specifier::Path(p) => {
                    let lexical = p.matches(&forms.lexical);
                    // Most paths go through no symlink: one form, one match.
                    if forms.real == forms.lexical {
                        lexical
                    } else if b == RuleBehavior::Allow {
                        lexical && p.matches(&forms.real)
                    } else {
                        lexical || p.matches(&forms.real)
                    }
                }
                _ => false,
            }
        })
    }

    /// Some rule of behaviour `b` that covers some path for this access.
    fn any_path_rule(&self, st: &State, b: RuleBehavior, access: Access) -> Option<SourcedRule> {
        st.rules
            .iter()
            .find(|c| {
                c.src.behavior == b
                    && matches!(c.rule.spec, Specifier::Path(_) | Specifier::Any)
                    && covers(c, "", access, true)
            })
            .map(|c| c.src.clone())
    }

    fn inside(&self, forms: &PathForms) -> bool {
        paths::inside(&forms.real, &self.working_dirs)
    }

    fn absolute(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.cwd.join(p)
        }
    }

    /// An open question, unless the mode answers it: dontAsk denies.
    fn ask_or_deny(
        &self,
        st: &State,
        tool: &str,
        reason: String,
        suggestions: Vec<String>,
        mut why: Why,
    ) -> Decision {
        if st.mode == Mode::DontAsk {
            why.push("", Basis::Mode(Mode::DontAsk));
            return Decision::Deny {
                message: format!("{} ({reason})", super::auto_denied_message(tool)),
                why,
            };
        }
        Decision::Ask {
            reason,
            suggestions,
            why,
        }
    }

    /// Is this git directory one whose configuration ccrs trusts: the repository of a working
    /// directory, or one inside the working directories that existed, unchanged, before the
    /// session started?
    fn git_trusted(&self, repo: &GitRepo) -> Result<(), String> {
        match repo {
            GitRepo::None => Ok(()),
            GitRepo::Unknown(why) => Err(format!("the repository git uses is not known ({why})")),
            GitRepo::At(dir) => {
                if self.trusted_git.contains(dir) {
                    return Ok(());
                }
                let old = |p: &Path| {
                    std::fs::metadata(p).is_ok_and(|m| {
                        let before = |t: std::io::Result<SystemTime>| {
                            t.map(|t| t < self.started).unwrap_or(true)
                        };
                        before(m.modified()) && before(m.created())
                    })
                };
                if paths::inside(dir, &self.working_dirs) && old(dir) && old(&dir.join("config")) {
                    return Ok(());
                }
                Err(format!(
                    "git would use the repository at {}, whose configuration can make git run programs",
                    dir.display()
                ))
            }
        }
    }
}

/// Leaves out of a walk of `root` (that does not follow symlinks) every entry a Read deny or
/// ask rule covers: the walk entered no symlinked directory, so an entry that is not a symlink
/// itself resolves to the resolved root plus its relative path, with no file-system call.
pub struct WalkReadDeny {
    engine: Arc<PermissionEngine>,
    root: PathBuf,
    real_root: PathBuf,
}

impl WalkReadDeny {
    pub fn new(engine: Arc<PermissionEngine>, root: &Path) -> Self {
        WalkReadDeny {
            engine,
            root: root.to_path_buf(),
            real_root: paths::realpath(root),
        }
    }

    /// Does a Read deny or ask rule cover this entry of the walk?
    pub fn denied(&self, path: &Path, is_symlink: bool) -> bool {
        let real = match path.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => self.real_root.clone(),
            Ok(rel) if !is_symlink => self.real_root.join(rel),
            _ => paths::realpath(path),
        };
        self.engine.read_withheld_forms(&PathForms {
            lexical: paths::lexical(path),
            real,
        })
    }
}

/// The message Claude Code prints when bypass mode is requested as root.
pub const BYPASS_ROOT_REFUSAL: &str =
    "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons";

/// Why bypassPermissions mode must be refused, if it must: settings disable it, or ccrs runs
/// as root outside a sandbox (`IS_SANDBOX=1`). For the CLI to call before starting.
pub fn bypass_refusal(disabled_by_settings: bool) -> Option<String> {
    let root = rustix::process::geteuid().is_root();
    // Through the settings' `env` too, as every other variable ccrs reads.
    let sandbox = crate::env::var("IS_SANDBOX");
    bypass_refusal_for(root, sandbox.as_deref(), disabled_by_settings)
}

/// [`bypass_refusal`] with its inputs given (for tests).
pub fn bypass_refusal_for(
    is_root: bool,
    is_sandbox: Option<&str>,
    disabled_by_settings: bool,
) -> Option<String> {
    if disabled_by_settings {
        return Some(
            "bypassPermissions mode is disabled by the permissions.disableBypassPermissionsMode setting"
                .to_string(),
        );
    }
    if is_root && is_sandbox != Some("1") {
        return Some(BYPASS_ROOT_REFUSAL.to_string());
    }
    None
}

impl std::fmt::Debug for PermissionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PermissionEngine")
            .field("cwd", &self.cwd)
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}
