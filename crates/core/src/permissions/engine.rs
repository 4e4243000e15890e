//! The permission engine: rules, mode and working directories in, one decision per tool call
//! out. Deny beats ask beats allow whatever file each rule came from; Bash command lines are
//! parsed and every command in them must be allowed on its own.

use super::bash::{self, CommandCheck, Kind, PathArg};
use super::paths::{self, PathForms, Roots};
use super::rules::{
    PATH_TOOLS, Rule, RuleBehavior, RuleSource, SourcedRule, Specifier, ToolPattern, parse_rule,
};
use super::web::url_host;
use super::{Decision, Mode};
use crate::settings::SettingsWriteError;
use crate::tools::Subject;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// "Don't ask again" offers at most this many rules for one compound command.
const MAX_SUGGESTIONS: usize = 5;

/// Built-in tool names, for "did you mean" warnings on rules.
const KNOWN_TOOLS: &[&str] = &[
    "Bash",
    "Read",
    "Edit",
    "Write",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
    "Glob",
    "Grep",
    "LS",
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
    /// Where "don't ask again" rules are written (`<cwd>/.claude/settings.local.json`).
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
    state: RwLock<State>,
    warnings: Vec<String>,
}

/// Whether a path is being read or written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// How an allow rule covers one command.
enum Level {
    /// The rule names this command line exactly.
    Exact,
    /// A prefix or wildcard rule (named for messages).
    Pattern(String),
}

/// The verdict on one command of a command line.
enum One {
    Allow,
    Ask(String, Option<String>),
    Deny(String),
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

/// Does rule `c` govern `tool` (or, when empty, any tool) accessing a path? Edit/Write rules
/// cover every file write, Read rules every file read; an Edit allow also grants reading, and
/// a Read deny or ask path rule also blocks writing.
fn covers(c: &Compiled, tool: &str, access: Access) -> bool {
    let named = !tool.is_empty() && c.rule.tool.matches(tool);
    let allow = c.src.behavior == RuleBehavior::Allow;
    let t = c.rule.tool.exact();
    match access {
        Access::Read => {
            named || t == Some("Read") || (allow && matches!(t, Some("Edit" | "Write")))
        }
        Access::Write => {
            named
                || matches!(t, Some("Edit" | "Write"))
                || (!allow && t == Some("Read") && matches!(c.rule.spec, Specifier::Path(_)))
        }
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
        if let ToolPattern::Exact(name) = &c.rule.tool
            && !KNOWN_TOOLS.contains(&name.as_str())
            && !name.starts_with("mcp__")
            && let Some(k) = KNOWN_TOOLS.iter().find(|k| k.eq_ignore_ascii_case(name))
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

    /// Every rule in force, in the order they were given.
    pub fn rules(&self) -> Vec<SourcedRule> {
        self.read_state()
            .rules
            .iter()
            .map(|c| c.src.clone())
            .collect()
    }

    /// Adds rules for the rest of the session (malformed ones are skipped).
    pub fn add_session_rules(&self, behavior: RuleBehavior, rules: &[String]) {
        let compiled: Vec<Compiled> = rules
            .iter()
            .filter_map(|r| {
                self.compile(&SourcedRule::new(behavior, r.clone(), RuleSource::Session))
                    .ok()
            })
            .collect();
        self.write_state().rules.extend(compiled);
    }

    /// Removes session rules added by [`add_session_rules`](Self::add_session_rules) (one
    /// occurrence each, the newest first): grants that last one turn, like a custom command's
    /// `allowed-tools`.
    pub fn remove_session_rules(&self, behavior: RuleBehavior, rules: &[String]) {
        let mut st = self.write_state();
        for r in rules {
            if let Some(i) = st.rules.iter().rposition(|c| {
                c.src.source == RuleSource::Session
                    && c.src.behavior == behavior
                    && &c.src.rule == r
            }) {
                st.rules.remove(i);
            }
        }
    }

    /// The rule editor (`/permissions`): adds `add` to or removes `remove` from the `behavior`
    /// list of the settings file `file` (of `source`), on disk (atomically, through the settings
    /// writer) and in force at once. Without a file, session rules are edited. Nothing changes
    /// when a rule does not parse or the file cannot be written.
    pub fn edit_rules(
        &self,
        behavior: RuleBehavior,
        source: RuleSource,
        file: Option<&Path>,
        add: &[String],
        remove: &[String],
    ) -> Result<(), SettingsWriteError> {
        let mut compiled = Vec::new();
        for r in add {
            let src = SourcedRule {
                behavior,
                rule: r.clone(),
                source: source.clone(),
                file: file.map(Path::to_path_buf),
            };
            let c = self
                .compile(&src)
                .map_err(|message| SettingsWriteError::InvalidRule { message })?;
            compiled.push(c);
        }
        if let Some(path) = file {
            crate::settings::edit_rules(path, behavior.as_str(), add, remove)?;
        }
        let mut st = self.write_state();
        // One file per source: the source says which rules came from it.
        st.rules.retain(|c| {
            !(c.src.behavior == behavior && c.src.source == source && remove.contains(&c.src.rule))
        });
        for c in compiled {
            if !st.rules.iter().any(|o| {
                o.src.behavior == behavior && o.src.source == source && o.src.rule == c.src.rule
            }) {
                st.rules.push(c);
            }
        }
        Ok(())
    }

    /// "Yes, and don't ask again": the rules apply to this session at once; Bash, WebFetch and
    /// other tool rules are also added to `.claude/settings.local.json` (merged, atomically).
    /// File-path rules (Read/Edit/Write) stay in the session, as in Claude Code. An invalid
    /// settings file is never overwritten: the error is returned (the session keeps the rules).
    pub fn persist_allow(&self, rules: &[String]) -> Result<(), SettingsWriteError> {
        let mut compiled = Vec::new();
        for r in rules {
            let src = SourcedRule {
                behavior: RuleBehavior::Allow,
                rule: r.clone(),
                source: RuleSource::LocalSettings,
                file: self.local_settings_path.clone(),
            };
            let c = self
                .compile(&src)
                .map_err(|message| SettingsWriteError::InvalidRule { message })?;
            compiled.push(c);
        }
        let (session, to_file): (Vec<Compiled>, Vec<Compiled>) =
            compiled.into_iter().partition(|c| {
                matches!(c.rule.spec, Specifier::Path(_))
                    || c.rule.tool.exact().is_some_and(|t| PATH_TOOLS.contains(&t))
            });
        let file_rules: Vec<String> = to_file.iter().map(|c| c.src.rule.clone()).collect();
        {
            let mut st = self.write_state();
            for mut c in session {
                c.src.source = RuleSource::Session;
                c.src.file = None;
                st.rules.push(c);
            }
            st.rules.extend(to_file);
        }
        match (&self.local_settings_path, file_rules.is_empty()) {
            (Some(path), false) => crate::settings::add_allow_rules(path, &file_rules),
            _ => Ok(()),
        }
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

    /// True when some deny rule names Read: only then must search tools check each file.
    pub fn has_read_deny_rules(&self) -> bool {
        self.any_path_rule(&self.read_state(), RuleBehavior::Deny, Access::Read)
            .is_some()
    }

    /// True when a Read deny rule covers `path` (for search tools that must skip such files;
    /// see [`WalkReadDeny`] for a whole walk).
    pub fn read_denied(&self, path: &Path) -> bool {
        self.read_denied_forms(&PathForms::of(path))
    }

    fn read_denied_forms(&self, forms: &PathForms) -> bool {
        let st = self.read_state();
        self.path_rule(&st, RuleBehavior::Deny, "", Access::Read, forms)
            .is_some()
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

    /// Decides one call.
    pub fn check(&self, tool_name: &str, subject: &Subject) -> Decision {
        let st = self.read_state();
        match subject {
            Subject::Passive => match self.bare_rule(&st, RuleBehavior::Deny, tool_name) {
                Some(r) => Decision::Deny {
                    message: denied_message(&format!("use {tool_name}"), &r.src),
                },
                None => Decision::Allow,
            },
            Subject::Read(paths) => self.check_read(&st, tool_name, paths),
            Subject::Write(paths) => self.check_write(&st, tool_name, paths),
            Subject::Shell { command, cwd } => self.check_shell(&st, tool_name, command, cwd),
            Subject::SandboxedShell { command, cwd } => {
                self.check_sandboxed_shell(&st, tool_name, command, cwd)
            }
            Subject::UnsandboxedShell { command, cwd } => {
                self.check_unsandboxed_shell(&st, tool_name, command, cwd)
            }
            Subject::Fetch(url) => self.check_fetch(&st, tool_name, url),
            Subject::Other => self.check_other(&st, tool_name),
            Subject::ExitPlan { .. } => {
                if let Some(r) = self.bare_rule(&st, RuleBehavior::Deny, tool_name) {
                    return Decision::Deny {
                        message: denied_message(&format!("use {tool_name}"), &r.src),
                    };
                }
                if st.mode == Mode::Plan {
                    Decision::Ask {
                        reason:
                            "The plan is ready: approve it to leave plan mode and start working."
                                .to_string(),
                        suggestions: Vec::new(),
                    }
                } else {
                    Decision::Allow
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
        st.rules.iter().find(|c| {
            if c.src.behavior != b || !covers(c, tool, access) {
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

    fn inside(&self, forms: &PathForms) -> bool {
        paths::inside(&forms.real, &self.working_dirs)
    }

    /// The file tool's paths, resolved, unless a deny or ask rule decides the call first.
    fn file_rules(
        &self,
        st: &State,
        tool: &str,
        access: Access,
        list: &[PathBuf],
    ) -> Result<Vec<PathForms>, Decision> {
        let forms: Vec<PathForms> = list
            .iter()
            .map(|p| PathForms::of(&self.absolute(p)))
            .collect();
        for f in &forms {
            if let Some(r) = self.path_rule(st, RuleBehavior::Deny, tool, access, f) {
                return Err(Decision::Deny {
                    message: denied_message(&format!("use {tool} on {}", show(&f.lexical)), &r.src),
                });
            }
        }
        for f in &forms {
            if let Some(r) = self.path_rule(st, RuleBehavior::Ask, tool, access, f) {
                let verb = match access {
                    Access::Read => "reading",
                    Access::Write => "writing",
                };
                return Err(self.ask_or_deny(
                    st,
                    tool,
                    format!(
                        "the rule {} asks before {verb} {}",
                        r.src.rule,
                        show(&f.lexical)
                    ),
                    vec![],
                ));
            }
        }
        Ok(forms)
    }

    fn check_read(&self, st: &State, tool: &str, list: &[PathBuf]) -> Decision {
        let forms = match self.file_rules(st, tool, Access::Read, list) {
            Ok(forms) => forms,
            Err(decision) => return decision,
        };
        if st.mode == Mode::BypassPermissions {
            return Decision::Allow;
        }
        let outside: Vec<&PathForms> = forms
            .iter()
            .filter(|f| {
                !self.inside(f)
                    && self
                        .path_rule(st, RuleBehavior::Allow, tool, Access::Read, f)
                        .is_none()
            })
            .collect();
        let Some(first) = outside.first() else {
            return Decision::Allow;
        };
        let dir = if first.real.is_dir() {
            first.real.clone()
        } else {
            first
                .real
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        };
        self.ask_or_deny(
            st,
            tool,
            format!(
                "{tool} wants to read {}, outside the working directories",
                show(&first.lexical)
            ),
            vec![format!("Read({}/**)", paths::rule_path(&dir))],
        )
    }

    fn check_write(&self, st: &State, tool: &str, list: &[PathBuf]) -> Decision {
        let forms = match self.file_rules(st, tool, Access::Write, list) {
            Ok(forms) => forms,
            Err(decision) => return decision,
        };
        if st.mode == Mode::Plan {
            return Decision::Deny {
                message: plan_message(&format!(
                    "{tool} on {}",
                    show(&forms.first().map(|f| f.lexical.clone()).unwrap_or_default())
                )),
            };
        }
        if st.mode == Mode::BypassPermissions {
            return Decision::Allow;
        }
        let pending: Vec<&PathForms> = forms
            .iter()
            .filter(|f| !self.write_permitted(st, tool, f, false))
            .collect();
        let Some(first) = pending.first() else {
            return Decision::Allow;
        };
        let protected = paths::is_protected(&first.lexical) || paths::is_protected(&first.real);
        let suggestion = if protected {
            format!("Edit({})", paths::rule_path(&first.lexical))
        } else {
            let dir = first
                .lexical
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            format!("Edit({}/**)", paths::rule_path(&dir))
        };
        let why = if protected {
            "a protected path"
        } else if self.inside(first) {
            "a file edit"
        } else {
            "outside the working directories"
        };
        self.ask_or_deny(
            st,
            tool,
            format!("{tool} wants to write {} ({why})", show(&first.lexical)),
            vec![suggestion],
        )
    }

    /// May this path be written without asking (bypass aside)? An Edit allow rule, or
    /// acceptEdits inside the working directories away from protected paths; `by_rule` is an
    /// explicit Bash allow rule for the command, which covers its own writes inside the
    /// working directories.
    fn write_permitted(&self, st: &State, tool: &str, f: &PathForms, by_rule: bool) -> bool {
        if self
            .path_rule(st, RuleBehavior::Allow, tool, Access::Write, f)
            .is_some()
        {
            return true;
        }
        let safe_inside = self.inside(f)
            && paths::inside(&f.lexical, &self.write_dirs)
            && !paths::is_protected(&f.lexical)
            && !paths::is_protected(&f.real);
        safe_inside && (by_rule || st.mode == Mode::AcceptEdits)
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
    ) -> Decision {
        if st.mode == Mode::DontAsk {
            return Decision::Deny {
                message: format!("{} ({reason})", super::auto_denied_message(tool)),
            };
        }
        Decision::Ask {
            reason,
            suggestions,
        }
    }

    fn check_fetch(&self, st: &State, tool: &str, url: &str) -> Decision {
        let host = url_host(url);
        let find = |b: RuleBehavior| {
            st.rules.iter().find(|c| {
                c.src.behavior == b
                    && c.rule.tool.matches(tool)
                    && match &c.rule.spec {
                        Specifier::Any => true,
                        Specifier::Domain(d) => d.matches(host.as_deref()),
                        _ => false,
                    }
            })
        };
        let what = host.clone().unwrap_or_else(|| url.to_string());
        if let Some(r) = find(RuleBehavior::Deny) {
            return Decision::Deny {
                message: denied_message(&format!("fetch {what}"), &r.src),
            };
        }
        if let Some(r) = find(RuleBehavior::Ask) {
            return self.ask_or_deny(
                st,
                tool,
                format!("the rule {} asks before fetching {what}", r.src.rule),
                vec![],
            );
        }
        if st.mode == Mode::BypassPermissions || find(RuleBehavior::Allow).is_some() {
            return Decision::Allow;
        }
        let suggestions = host
            .map(|h| vec![format!("WebFetch(domain:{h})")])
            .unwrap_or_default();
        self.ask_or_deny(
            st,
            tool,
            format!("{tool} wants to fetch {what}"),
            suggestions,
        )
    }

    fn check_other(&self, st: &State, tool: &str) -> Decision {
        if let Some(r) = self.bare_rule(st, RuleBehavior::Deny, tool) {
            return Decision::Deny {
                message: denied_message(&format!("use {tool}"), &r.src),
            };
        }
        if let Some(r) = self.bare_rule(st, RuleBehavior::Ask, tool) {
            return self.ask_or_deny(
                st,
                tool,
                format!("the rule {} asks first", r.src.rule),
                vec![],
            );
        }
        if st.mode == Mode::Plan && tool != "WebSearch" {
            return Decision::Deny {
                message: plan_message(tool),
            };
        }
        if st.mode == Mode::BypassPermissions
            || self.bare_rule(st, RuleBehavior::Allow, tool).is_some()
        {
            return Decision::Allow;
        }
        self.ask_or_deny(
            st,
            tool,
            format!("{tool} needs approval"),
            vec![tool.to_string()],
        )
    }

    /// Bash rules of behaviour `b` matching any of `forms`.
    fn command_rule<'a>(
        &self,
        st: &'a State,
        b: RuleBehavior,
        tool: &str,
        forms: &[String],
    ) -> Option<&'a Compiled> {
        st.rules.iter().find(|c| {
            c.src.behavior == b
                && c.rule.tool.matches(tool)
                && match &c.rule.spec {
                    Specifier::Any => true,
                    Specifier::Command(p) => forms.iter().any(|f| p.matches(f)),
                    _ => false,
                }
        })
    }

    fn has_command_rules(&self, st: &State, tool: &str, b: RuleBehavior) -> bool {
        st.rules.iter().any(|c| {
            c.src.behavior == b
                && c.rule.tool.matches(tool)
                && matches!(c.rule.spec, Specifier::Any | Specifier::Command(_))
        })
    }

    /// autoAllowBashIfSandboxed: the kernel bounds what the command can do, so the question
    /// the analyzer would ask is spared. Deny rules, an ask rule naming the command, and plan
    /// mode still decide.
    fn check_sandboxed_shell(&self, st: &State, tool: &str, command: &str, cwd: &Path) -> Decision {
        let d = self.check_shell(st, tool, command, cwd);
        let whole = vec![command.trim().to_string()];
        match d {
            Decision::Ask { .. }
                if st.mode != Mode::Plan
                    && st.mode != Mode::DontAsk
                    && self
                        .command_rule(st, RuleBehavior::Ask, tool, &whole)
                        .is_none() =>
            {
                Decision::Allow
            }
            d => d,
        }
    }

    /// dangerouslyDisableSandbox: deny rules still apply; otherwise the user is always asked
    /// (bypassPermissions keeps its meaning, dontAsk denies).
    fn check_unsandboxed_shell(
        &self,
        st: &State,
        tool: &str,
        command: &str,
        cwd: &Path,
    ) -> Decision {
        match self.check_shell(st, tool, command, cwd) {
            d @ Decision::Deny { .. } => d,
            d if st.mode == Mode::BypassPermissions => d,
            _ => self.ask_or_deny(
                st,
                tool,
                "the command asks to run outside the sandbox (dangerouslyDisableSandbox)"
                    .to_string(),
                vec![],
            ),
        }
    }

    fn check_shell(&self, st: &State, tool: &str, command: &str, cwd: &Path) -> Decision {
        let whole = vec![command.trim().to_string()];
        if let Some(r) = self.command_rule(st, RuleBehavior::Deny, tool, &whole) {
            return Decision::Deny {
                message: denied_message(&format!("run `{}`", command.trim()), &r.src),
            };
        }
        let guarded = self.has_command_rules(st, tool, RuleBehavior::Deny)
            || self.has_command_rules(st, tool, RuleBehavior::Ask);
        let blanket = self.bare_rule(st, RuleBehavior::Allow, tool).is_some();
        let cwd = self.absolute(cwd);
        let checks = match bash::analyze(command, &cwd, self.home.as_deref()) {
            Ok(c) => c,
            Err(e) => {
                if !guarded && (st.mode == Mode::BypassPermissions || blanket) {
                    return Decision::Allow;
                }
                if st.mode == Mode::Plan {
                    return Decision::Deny {
                        message: plan_message("a command that cannot be parsed"),
                    };
                }
                return self.ask_or_deny(
                    st,
                    tool,
                    format!("the command cannot be parsed ({e}), so it cannot be checked"),
                    vec![],
                );
            }
        };
        let mut reasons: Vec<String> = Vec::new();
        let mut suggestions: Vec<String> = Vec::new();
        for c in &checks {
            match self.decide_command(st, tool, c, guarded, blanket) {
                One::Allow => {}
                One::Deny(m) => return Decision::Deny { message: m },
                One::Ask(reason, suggestion) => {
                    reasons.push(reason);
                    if let Some(s) = suggestion
                        && !suggestions.contains(&s)
                        && suggestions.len() < MAX_SUGGESTIONS
                    {
                        suggestions.push(s);
                    }
                }
            }
        }
        if reasons.is_empty() {
            return Decision::Allow;
        }
        let reason = if reasons.len() == 1 {
            reasons.remove(0)
        } else {
            format!("{} (and {} more)", reasons[0], reasons.len() - 1)
        };
        self.ask_or_deny(st, tool, reason, suggestions)
    }

    fn resolve_forms(&self, p: &PathArg) -> Option<PathForms> {
        match p {
            PathArg::Known(p) => Some(PathForms::of(p)),
            PathArg::Unknown(_) => None,
        }
    }

    /// Some rule of behaviour `b` that covers some path for this access.
    fn any_path_rule(&self, st: &State, b: RuleBehavior, access: Access) -> Option<SourcedRule> {
        st.rules
            .iter()
            .find(|c| {
                c.src.behavior == b
                    && matches!(c.rule.spec, Specifier::Path(_) | Specifier::Any)
                    && covers(c, "", access)
            })
            .map(|c| c.src.clone())
    }

    fn decide_command(
        &self,
        st: &State,
        tool: &str,
        c: &CommandCheck,
        guarded: bool,
        blanket: bool,
    ) -> One {
        let cmd = &c.display;
        // 1. Deny rules: the command, then every path it touches.
        if let Some(r) = self.command_rule(st, RuleBehavior::Deny, tool, &c.deny_forms) {
            return One::Deny(denied_message(&format!("run `{cmd}`"), &r.src));
        }
        // Every known path resolved once (unknown ones are handled below).
        let resolve = |list: &[PathArg], harmless: fn(&Path) -> bool| -> Vec<PathForms> {
            list.iter()
                .filter_map(|p| self.resolve_forms(p))
                .filter(|f| !harmless(&f.lexical))
                .collect()
        };
        let reads = resolve(&c.reads, paths::is_harmless_read);
        let arg_writes = resolve(&c.writes, paths::is_harmless_device);
        let redirect_writes = resolve(&c.redirect_writes, paths::is_harmless_device);
        let writes = || arg_writes.iter().chain(&redirect_writes);
        for f in &reads {
            if let Some(r) = self.path_rule(st, RuleBehavior::Deny, "", Access::Read, f) {
                return One::Deny(denied_message(
                    &format!("read {} (in `{cmd}`)", show(&f.lexical)),
                    &r.src,
                ));
            }
        }
        for f in writes() {
            if let Some(r) = self.path_rule(st, RuleBehavior::Deny, "", Access::Write, f) {
                return One::Deny(denied_message(
                    &format!("write {} (in `{cmd}`)", show(&f.lexical)),
                    &r.src,
                ));
            }
        }
        // 2. Ask rules, and what cannot be verified against deny rules.
        let suggestion = c.suggestion.clone();
        if let Some(r) = self.command_rule(st, RuleBehavior::Ask, tool, &c.deny_forms) {
            return One::Ask(
                format!("the rule {} asks before running `{cmd}`", r.src.rule),
                suggestion,
            );
        }
        for f in &reads {
            if let Some(r) = self.path_rule(st, RuleBehavior::Ask, "", Access::Read, f) {
                return One::Ask(
                    format!(
                        "the rule {} asks before reading {}",
                        r.src.rule,
                        show(&f.lexical)
                    ),
                    suggestion,
                );
            }
        }
        for f in writes() {
            if let Some(r) = self.path_rule(st, RuleBehavior::Ask, "", Access::Write, f) {
                return One::Ask(
                    format!(
                        "the rule {} asks before writing {}",
                        r.src.rule,
                        show(&f.lexical)
                    ),
                    suggestion,
                );
            }
        }
        for m in &c.mentions {
            let Some(f) = self.resolve_forms(m) else {
                continue;
            };
            for access in [Access::Read, Access::Write] {
                for b in [RuleBehavior::Deny, RuleBehavior::Ask] {
                    if let Some(r) = self.path_rule(st, b, "", access, &f) {
                        return One::Ask(
                            format!(
                                "`{cmd}` may access {}, which the rule {} covers",
                                show(&f.lexical),
                                r.src.rule
                            ),
                            suggestion,
                        );
                    }
                }
            }
        }
        let read_guard = self
            .any_path_rule(st, RuleBehavior::Deny, Access::Read)
            .or_else(|| self.any_path_rule(st, RuleBehavior::Ask, Access::Read));
        let write_guard = self
            .any_path_rule(st, RuleBehavior::Deny, Access::Write)
            .or_else(|| self.any_path_rule(st, RuleBehavior::Ask, Access::Write));
        if let Some(r) = &read_guard {
            if c.reads.iter().any(|p| matches!(p, PathArg::Unknown(_))) {
                return One::Ask(
                    format!(
                        "`{cmd}` reads a path known only at run time, which the rule {} might cover",
                        r.rule
                    ),
                    suggestion,
                );
            }
            for d in &c.recursive_reads {
                let hit = match self.resolve_forms(d) {
                    None => Some(r.clone()),
                    Some(f) => st
                        .rules
                        .iter()
                        .filter(|x| {
                            x.src.behavior != RuleBehavior::Allow && covers(x, "", Access::Read)
                        })
                        .find(|x| match &x.rule.spec {
                            Specifier::Path(p) if c.skips_hidden && p.hidden_only() => false,
                            Specifier::Path(p) => {
                                p.may_match_under(&f.lexical) || p.may_match_under(&f.real)
                            }
                            Specifier::Any => true,
                            _ => false,
                        })
                        .map(|x| x.src.clone()),
                };
                if let Some(hit) = hit {
                    return One::Ask(
                        format!(
                            "`{cmd}` reads a directory tree that may contain files the rule {} covers",
                            hit.rule
                        ),
                        suggestion,
                    );
                }
            }
        }
        let unknown_writes = c
            .writes
            .iter()
            .chain(c.redirect_writes.iter())
            .any(|p| matches!(p, PathArg::Unknown(_)));
        if let Some(r) = &write_guard
            && unknown_writes
        {
            return One::Ask(
                format!(
                    "`{cmd}` writes a path known only at run time, which the rule {} might cover",
                    r.rule
                ),
                suggestion,
            );
        }
        // 3. Plan mode: nothing that changes anything.
        let writes_anything = writes().next().is_some() || unknown_writes;
        if st.mode == Mode::Plan
            && (writes_anything || matches!(c.kind, Kind::Other(_) | Kind::Dynamic(_)))
        {
            return One::Deny(plan_message(&format!("`{cmd}`")));
        }
        // 4. The command itself: a blanket `Bash` allow or bypass mode covers everything deny
        // and ask rules left; an exact rule approves the command as written (its paths too); a
        // pattern rule approves the command but not reads outside the working directories,
        // writes beyond them, or options that run programs (the CVE class of prefix bypasses).
        let bypass = st.mode == Mode::BypassPermissions;
        if let Kind::Dynamic(why) = &c.kind {
            if (bypass || blanket) && !guarded {
                return One::Allow;
            }
            return One::Ask(format!("`{cmd}` cannot be checked: {why}"), None);
        }
        if bypass || blanket {
            return One::Allow;
        }
        let level = self.allow_level(st, tool, &c.allow_forms);
        let unknown_reads = c.reads.iter().any(|p| matches!(p, PathArg::Unknown(_)));
        let check_reads = || -> Option<One> {
            if unknown_reads {
                return Some(One::Ask(
                    format!("`{cmd}` reads a path known only at run time"),
                    suggestion.clone(),
                ));
            }
            for f in &reads {
                let ok = self.inside(f)
                    || self
                        .path_rule(st, RuleBehavior::Allow, "", Access::Read, f)
                        .is_some();
                if !ok {
                    return Some(One::Ask(
                        format!(
                            "`{cmd}` reads {}, outside the working directories",
                            show(&f.lexical)
                        ),
                        suggestion.clone(),
                    ));
                }
            }
            None
        };
        match (&level, &c.kind) {
            (Some(Level::Exact), _) => {}
            (Some(Level::Pattern(rule)), _) => {
                if let Some(r) = &c.risky {
                    return One::Ask(
                        format!("`{cmd}` uses {r}, which the rule {rule} does not cover"),
                        suggestion,
                    );
                }
                if let Some(ask) = check_reads() {
                    return ask;
                }
            }
            (None, Kind::Known | Kind::Neutral) => {
                if let Some(ask) = check_reads() {
                    return ask;
                }
            }
            (None, Kind::Other(why)) => {
                return One::Ask(format!("`{cmd}` needs approval: {why}"), suggestion);
            }
            (None, Kind::Dynamic(_)) => return One::Ask(format!("`{cmd}` needs approval"), None),
        }
        // 5. What it writes: the command's own writes are covered by an exact rule, by a
        // pattern rule inside the working directories, by acceptEdits there, or by an Edit
        // rule; output redirections only by acceptEdits or an Edit rule.
        if unknown_writes {
            return One::Ask(
                format!("`{cmd}` writes a path known only at run time"),
                suggestion,
            );
        }
        let by_rule = level.is_some();
        if !matches!(level, Some(Level::Exact)) {
            for f in &arg_writes {
                if !self.write_permitted(st, "", f, by_rule) {
                    return One::Ask(
                        format!("`{cmd}` writes {}", show(&f.lexical)),
                        Some(self.write_suggestion(f, by_rule, &suggestion)),
                    );
                }
            }
        }
        for f in &redirect_writes {
            if !self.write_permitted(st, "", f, false) {
                return One::Ask(
                    format!("`{cmd}` writes {} (output redirection)", show(&f.lexical)),
                    Some(self.write_suggestion(f, true, &suggestion)),
                );
            }
        }
        One::Allow
    }

    /// How an allow rule covers the command: exactly as written, or by a pattern.
    fn allow_level(&self, st: &State, tool: &str, forms: &[String]) -> Option<Level> {
        let mut best = None;
        for c in &st.rules {
            if c.src.behavior != RuleBehavior::Allow || !c.rule.tool.matches(tool) {
                continue;
            }
            if let Specifier::Command(p) = &c.rule.spec
                && forms.iter().any(|f| p.matches(f))
            {
                if p.is_exact() {
                    return Some(Level::Exact);
                }
                best.get_or_insert_with(|| Level::Pattern(c.src.rule.clone()));
            }
        }
        best
    }

    /// An Edit rule for the written path when the command itself is fine, else the command's
    /// own rule.
    fn write_suggestion(&self, f: &PathForms, cmd_ok: bool, cmd: &Option<String>) -> String {
        match (cmd_ok, cmd) {
            (false, Some(s)) => s.clone(),
            _ => format!("Edit({})", paths::rule_path(&f.lexical)),
        }
    }
}

/// [`PermissionEngine::read_denied`] for every entry of a walk of `root` that does not follow
/// symlinks: the walk entered no symlinked directory, so an entry that is not a symlink
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

    /// Does a Read deny rule cover this entry of the walk?
    pub fn denied(&self, path: &Path, is_symlink: bool) -> bool {
        let real = match path.strip_prefix(&self.root) {
            Ok(rel) if rel.as_os_str().is_empty() => self.real_root.clone(),
            Ok(rel) if !is_symlink => self.real_root.join(rel),
            _ => paths::realpath(path),
        };
        self.engine.read_denied_forms(&PathForms {
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
