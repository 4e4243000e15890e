//! The permission engine. (Foundation version: bare tool-name rules and a conservative
//! read-only Bash allow-list; the full rule grammar replaces the matching internals.)

use super::{Decision, Mode};
use crate::tools::Subject;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleBehavior {
    Allow,
    Ask,
    Deny,
}

impl RuleBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleBehavior::Allow => "allow",
            RuleBehavior::Ask => "ask",
            RuleBehavior::Deny => "deny",
        }
    }
}

/// Where a rule came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSource {
    /// `/etc/claude-code/managed-settings.json`.
    Managed,
    /// `--settings <file or JSON>`.
    FlagSettings,
    /// `--allowedTools` / `--disallowedTools`.
    CliArg,
    /// `.claude/settings.local.json`.
    LocalSettings,
    /// `.claude/settings.json`.
    ProjectSettings,
    /// `~/.claude/settings.json`.
    UserSettings,
    /// Granted during this session ("yes" with session scope, SDK updates).
    Session,
}

impl RuleSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            RuleSource::Managed => "policySettings",
            RuleSource::FlagSettings => "flagSettings",
            RuleSource::CliArg => "cliArg",
            RuleSource::LocalSettings => "localSettings",
            RuleSource::ProjectSettings => "projectSettings",
            RuleSource::UserSettings => "userSettings",
            RuleSource::Session => "session",
        }
    }
}

/// A rule string with its behaviour and origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcedRule {
    pub behavior: RuleBehavior,
    pub rule: String,
    pub source: RuleSource,
    /// The file the rule was read from, when it came from a file: `/path` patterns are
    /// relative to that file's settings root.
    pub file: Option<PathBuf>,
}

impl SourcedRule {
    pub fn new(behavior: RuleBehavior, rule: impl Into<String>, source: RuleSource) -> Self {
        SourcedRule {
            behavior,
            rule: rule.into(),
            source,
            file: None,
        }
    }
}

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
}

struct State {
    mode: Mode,
    rules: Vec<SourcedRule>,
}

pub struct PermissionEngine {
    cwd: PathBuf,
    working_dirs: Vec<PathBuf>,
    local_settings_path: Option<PathBuf>,
    state: RwLock<State>,
    warnings: Vec<String>,
}

const READ_ONLY_COMMANDS: &[&str] = &[
    "ls", "cat", "echo", "pwd", "head", "tail", "wc", "which", "true",
];

impl PermissionEngine {
    pub fn new(cfg: PermissionConfig) -> Self {
        let cwd = crate::paths::canonicalize_lenient(&cfg.cwd);
        let mut working_dirs = vec![cwd.clone()];
        for d in &cfg.additional_dirs {
            working_dirs.push(crate::paths::canonicalize_lenient(&cwd.join(d)));
        }
        PermissionEngine {
            cwd,
            working_dirs,
            local_settings_path: cfg.local_settings_path,
            state: RwLock::new(State {
                mode: cfg.mode,
                rules: cfg.rules,
            }),
            warnings: Vec::new(),
        }
    }

    /// Problems found in the configured rules (malformed rules are ignored, never widened).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn mode(&self) -> Mode {
        self.state.read().map(|s| s.mode).unwrap_or_default()
    }

    pub fn set_mode(&self, mode: Mode) {
        if let Ok(mut s) = self.state.write() {
            s.mode = mode;
        }
    }

    pub fn working_dirs(&self) -> &[PathBuf] {
        &self.working_dirs
    }

    pub fn cwd(&self) -> &Path {
        &self.cwd
    }

    /// Every rule in force, in evaluation order of their files.
    pub fn rules(&self) -> Vec<SourcedRule> {
        self.state
            .read()
            .map(|s| s.rules.clone())
            .unwrap_or_default()
    }

    /// Adds rules for the rest of the session.
    pub fn add_session_rules(&self, behavior: RuleBehavior, rules: &[String]) {
        if let Ok(mut s) = self.state.write() {
            for r in rules {
                s.rules
                    .push(SourcedRule::new(behavior, r.clone(), RuleSource::Session));
            }
        }
    }

    /// Removes session rules added by [`add_session_rules`](Self::add_session_rules) (one
    /// occurrence each, the newest first): grants that last one turn, like a custom command's
    /// `allowed-tools`.
    pub fn remove_session_rules(&self, behavior: RuleBehavior, rules: &[String]) {
        if let Ok(mut s) = self.state.write() {
            for r in rules {
                if let Some(i) = s.rules.iter().rposition(|x| {
                    x.source == RuleSource::Session && x.behavior == behavior && &x.rule == r
                }) {
                    s.rules.remove(i);
                }
            }
        }
    }

    /// "Yes, and don't ask again": adds allow rules to `.claude/settings.local.json` (merging with
    /// what is there, atomically) and to this session.
    pub fn persist_allow(&self, rules: &[String]) -> std::io::Result<()> {
        if let Some(path) = &self.local_settings_path {
            crate::settings::add_allow_rules(path, rules)?;
        }
        if let Ok(mut s) = self.state.write() {
            for r in rules {
                s.rules.push(SourcedRule {
                    behavior: RuleBehavior::Allow,
                    rule: r.clone(),
                    source: RuleSource::LocalSettings,
                    file: self.local_settings_path.clone(),
                });
            }
        }
        Ok(())
    }

    /// A bare deny rule (`"WebSearch"`) removes the tool from the model's tool list.
    pub fn hides_tool(&self, tool_name: &str) -> bool {
        self.rules()
            .iter()
            .any(|r| r.behavior == RuleBehavior::Deny && r.rule == tool_name)
    }

    fn matches(rule: &str, tool_name: &str, subject: &Subject) -> bool {
        if rule == tool_name || rule == format!("{tool_name}(*)") {
            return true;
        }
        if let (Some(spec), Subject::Shell { command, .. }) = (
            rule.strip_prefix("Bash(").and_then(|r| r.strip_suffix(')')),
            subject,
        ) {
            return tool_name == "Bash" && spec == command.trim();
        }
        false
    }

    fn inside_working_dirs(&self, p: &Path) -> bool {
        let real = crate::paths::canonicalize_lenient(p);
        self.working_dirs.iter().any(|d| real.starts_with(d))
    }

    fn is_read_only_command(command: &str) -> bool {
        if command
            .chars()
            .any(|c| "|&;<>()$`\\\n\"'*?[]{}~".contains(c))
        {
            return false;
        }
        let mut words = command.split_whitespace();
        matches!(words.next(), Some(w) if READ_ONLY_COMMANDS.contains(&w))
            && !command
                .split_whitespace()
                .skip(1)
                .any(|w| w.starts_with('/') || w.contains(".."))
    }

    /// Decides one call.
    pub fn check(&self, tool_name: &str, subject: &Subject) -> Decision {
        let rules = self.rules();
        let mode = self.mode();
        let find = |b: RuleBehavior| {
            rules
                .iter()
                .find(|r| r.behavior == b && Self::matches(&r.rule, tool_name, subject))
        };
        if let Some(r) = find(RuleBehavior::Deny) {
            return Decision::Deny {
                message: format!(
                    "Permission to use {tool_name} has been denied by the rule {} ({}).",
                    r.rule,
                    r.source.as_str()
                ),
            };
        }
        if let Some(r) = find(RuleBehavior::Ask) {
            return Decision::Ask {
                reason: format!("the rule {} asks for approval", r.rule),
                suggestions: vec![],
            };
        }
        if mode == Mode::BypassPermissions {
            return Decision::Allow;
        }
        if find(RuleBehavior::Allow).is_some() {
            return Decision::Allow;
        }
        let auto = match subject {
            Subject::Passive => true,
            Subject::Read(paths) => paths.iter().all(|p| self.inside_working_dirs(p)),
            Subject::Write(paths) => {
                mode == Mode::AcceptEdits && paths.iter().all(|p| self.inside_working_dirs(p))
            }
            Subject::Shell { command, .. } => Self::is_read_only_command(command),
            Subject::Fetch(_) | Subject::Other => false,
        };
        if auto {
            return Decision::Allow;
        }
        if mode == Mode::Plan {
            return Decision::Deny {
                message: format!(
                    "{tool_name} is not available in plan mode: nothing that changes anything runs until the plan is approved."
                ),
            };
        }
        if mode == Mode::DontAsk {
            return Decision::Deny {
                message: super::auto_denied_message(tool_name),
            };
        }
        let suggestions = match subject {
            Subject::Shell { command, .. } => vec![format!("Bash({})", command.trim())],
            _ => vec![tool_name.to_string()],
        };
        Decision::Ask {
            reason: format!("{tool_name} needs approval"),
            suggestions,
        }
    }
}
