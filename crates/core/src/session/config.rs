//! Precedence, resolved once: the flag layer ([`SessionOptions`]), the environment (the
//! settings files' `env` first, as Claude Code copies it over its own environment, then the
//! process environment), the settings layers (managed policy, `--settings`, local, project,
//! user — [`Settings`] keeps them highest first) and the defaults.
//!
//! | option | precedence (first that is set wins) |
//! |---|---|
//! | model | `--model` › `ANTHROPIC_MODEL` › settings `model` › default |
//! | permission mode | `--dangerously-skip-permissions` › `--permission-mode` › settings `permissions.defaultMode` › default |
//! | allow/ask/deny rules | all merged: every settings layer and `--allowedTools`/`--disallowedTools` (the engine: deny › ask › allow) |
//! | working directories | all merged: settings `permissions.additionalDirectories` then `--add-dir` |
//! | system prompt | `--system-prompt(-file)` › ccrs's own; `--append-system-prompt(-file)` adds a block |
//! | max turns, budget | the flag only |
//! | thinking budget | `--max-thinking-tokens` › `MAX_THINKING_TOKENS` |
//! | env | per key, the highest settings layer that sets it, then the process environment |
//! | setting sources | `--setting-sources` › all (managed and `--settings` always load) |
//!
//! [`resolve`] is pure (the process environment is passed in), so the table test in this
//! module covers every combination of sources.

use super::SessionError;
use super::options::{PromptText, SessionOptions, ToolSelection};
use crate::permissions::{Mode, RuleBehavior, RuleSource, SourcedRule, split_rule_list};
use crate::settings::{Settings, SettingsSource};
use std::path::{Path, PathBuf};

/// Where a resolved value came from (for `/status` and the debug log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag,
    /// An environment variable (from a settings file's `env` or the process).
    Env(&'static str),
    Settings(SettingsSource),
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Flag => f.write_str("flag"),
            Origin::Env(k) => write!(f, "env {k}"),
            Origin::Settings(s) => write!(f, "{} settings", s.as_str()),
            Origin::Default => f.write_str("default"),
        }
    }
}

/// The budget when thinking is on without a number (`alwaysThinkingEnabled`, `--thinking
/// enabled`): Claude Code's.
pub const DEFAULT_THINKING_BUDGET: u64 = 31_999;

/// Everything a session's start needs, precedence applied.
#[derive(Clone, Debug)]
pub struct Config {
    pub session_id: String,
    /// The model id (aliases resolved).
    pub model: String,
    pub model_origin: Origin,
    pub mode: Mode,
    pub mode_origin: Origin,
    /// Bypass mode may be entered during the session (started in it, or allowed by flag and
    /// not refused).
    pub bypass_allowed: bool,
    /// `permissions.disableBypassPermissionsMode: "disable"` in some layer.
    pub disable_bypass: bool,
    pub rules: Vec<SourcedRule>,
    /// Extra working directories (absolute), settings first then flags.
    pub additional_dirs: Vec<PathBuf>,
    /// `None`: ccrs's own system prompt; `Some("")`: none at all.
    pub system_prompt: Option<String>,
    pub append_system_prompt: Option<String>,
    pub max_turns: Option<u32>,
    pub max_budget_usd: Option<f64>,
    pub thinking_budget: Option<u64>,
    /// The settings' merged `env` (for child processes and the environment overlay).
    pub env: Vec<(String, String)>,
    pub tools: ToolSelection,
    pub betas: Vec<String>,
    pub disable_slash_commands: bool,
    /// Problems worth telling the user (bad values that were ignored).
    pub warnings: Vec<String>,
}

fn read_prompt(p: &PromptText, cwd: &Path, flag: &'static str) -> Result<String, SessionError> {
    match p {
        PromptText::Text(t) => Ok(t.clone()),
        PromptText::File(f) => {
            let path = cwd.join(f);
            std::fs::read_to_string(&path).map_err(|source| SessionError::PromptFile {
                flag,
                path,
                source,
            })
        }
    }
}

/// The session id: `--session-id` (must be a UUID) or a new one.
fn session_id(opts: &SessionOptions) -> Result<String, SessionError> {
    match &opts.session_id {
        Some(id) => uuid::Uuid::parse_str(id)
            .map(|_| id.clone())
            .map_err(|_| SessionError::InvalidSessionId),
        None => Ok(uuid::Uuid::new_v4().to_string()),
    }
}

/// Applies precedence. `process_env` looks up the process environment (injected for tests).
pub fn resolve(
    opts: &SessionOptions,
    settings: &Settings,
    process_env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, SessionError> {
    let mut warnings = Vec::new();
    let env = settings.env();
    // Settings `env` first, then the process: blank counts as unset.
    let var = |key: &str| -> Option<String> {
        env.iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .or_else(|| process_env(key))
            .filter(|v| !v.trim().is_empty())
    };
    let cwd = &opts.cwd;

    let (model, model_origin) = if let Some(m) = opts.model.clone().filter(|m| !m.trim().is_empty())
    {
        (m, Origin::Flag)
    } else if let Some(m) = var("ANTHROPIC_MODEL") {
        (m, Origin::Env("ANTHROPIC_MODEL"))
    } else if let Some(m) = settings.model() {
        (m, Origin::Settings(layer_of(settings, "model")))
    } else {
        (
            crate::models::DEFAULT_MODEL_ALIAS.to_string(),
            Origin::Default,
        )
    };
    let model = crate::models::resolve_alias(&model);

    let disable_bypass = settings.disable_bypass_permissions_mode();
    let (mode, mode_origin) = if opts.dangerously_skip_permissions {
        (Mode::BypassPermissions, Origin::Flag)
    } else if let Some(m) = opts.permission_mode {
        (m, Origin::Flag)
    } else {
        match settings.default_mode() {
            Ok(Some(m)) => (
                m,
                Origin::Settings(layer_of(settings, "permissions.defaultMode")),
            ),
            Ok(None) => (Mode::Default, Origin::Default),
            Err(e) => {
                warnings.push(format!("settings: permissions.defaultMode: {e}"));
                (Mode::Default, Origin::Default)
            }
        }
    };
    // Refused when the settings disable it, or as root outside a sandbox (`IS_SANDBOX=1`).
    let may_bypass = crate::permissions::bypass_refusal_for(
        rustix::process::geteuid().is_root(),
        var("IS_SANDBOX").as_deref(),
        disable_bypass,
    );
    if mode == Mode::BypassPermissions
        && let Some(refusal) = &may_bypass
    {
        return Err(SessionError::BypassRefused(refusal.clone()));
    }
    let bypass_allowed = mode == Mode::BypassPermissions
        || (opts.allow_dangerously_skip_permissions && may_bypass.is_none());

    let mut rules = settings.permission_rules();
    for (values, behavior) in [
        (&opts.disallowed_tools, RuleBehavior::Deny),
        (&opts.allowed_tools, RuleBehavior::Allow),
    ] {
        for r in values.iter().flat_map(|v| split_rule_list(v)) {
            rules.push(SourcedRule::new(behavior, r, RuleSource::CliArg));
        }
    }

    let mut additional_dirs = settings.additional_directories(cwd);
    for d in &opts.add_dirs {
        let p = crate::paths::normalize(&cwd.join(d));
        if !p.is_dir() {
            return Err(SessionError::AddDir(p));
        }
        if !additional_dirs.contains(&p) {
            additional_dirs.push(p);
        }
    }

    let system_prompt = opts
        .system_prompt
        .as_ref()
        .map(|p| read_prompt(p, cwd, "--system-prompt-file"))
        .transpose()?;
    let append_system_prompt = opts
        .append_system_prompt
        .as_ref()
        .map(|p| read_prompt(p, cwd, "--append-system-prompt-file"))
        .transpose()?;

    // An explicit budget (`0` turns thinking off), then `--thinking`, then the setting.
    let explicit = opts
        .max_thinking_tokens
        .or_else(|| var("MAX_THINKING_TOKENS").and_then(|v| v.trim().parse::<u64>().ok()));
    let always = settings
        .get("alwaysThinkingEnabled")
        .and_then(serde_json::Value::as_bool);
    let thinking_budget = match opts.thinking.as_deref().map(str::trim) {
        Some("disabled") => None,
        Some(mode) => {
            if mode != "enabled" {
                warnings.push(format!(
                    "--thinking {mode}: this version of ccrs sends a fixed thinking budget (as --thinking enabled)"
                ));
            }
            Some(explicit.filter(|b| *b > 0).unwrap_or(DEFAULT_THINKING_BUDGET))
        }
        None => match explicit {
            Some(b) => Some(b),
            None => always
                .unwrap_or(false)
                .then_some(DEFAULT_THINKING_BUDGET),
        },
    }
    .filter(|b| *b > 0);

    Ok(Config {
        session_id: session_id(opts)?,
        model,
        model_origin,
        mode,
        mode_origin,
        bypass_allowed,
        disable_bypass,
        rules,
        additional_dirs,
        system_prompt,
        append_system_prompt,
        max_turns: opts.max_turns,
        max_budget_usd: opts.max_budget_usd,
        thinking_budget,
        env,
        tools: opts.tools.clone(),
        betas: opts.betas.iter().flat_map(|b| split_rule_list(b)).collect(),
        disable_slash_commands: opts.disable_slash_commands,
        warnings,
    })
}

/// The layer a scalar setting comes from (the highest that sets it).
fn layer_of(settings: &Settings, dotted: &str) -> SettingsSource {
    settings
        .layers
        .iter()
        .find(|l| {
            let mut v = None;
            for (i, part) in dotted.split('.').enumerate() {
                v = if i == 0 {
                    l.value.get(part)
                } else {
                    v.and_then(|v: &serde_json::Value| v.get(part))
                };
            }
            v.is_some_and(|v| !v.is_null())
        })
        .map(|l| l.source)
        .unwrap_or(SettingsSource::User)
}

#[cfg(test)]
mod tests {
    //! The precedence table, over every combination of sources.
    use super::*;
    use crate::settings::LoadOptions;
    use serde_json::{Value, json};

    /// Where a test value can be set.
    #[derive(Clone, Copy, Debug, PartialEq)]
    enum Src {
        Flag,
        /// `env` of the user settings file (Claude Code copies it over the process env).
        SettingsEnv,
        ProcessEnv,
        Managed,
        FlagSettings,
        Local,
        Project,
        User,
    }

    /// The flag and every settings file, highest precedence first.
    const FLAG_AND_FILES: [Src; 6] = [
        Src::Flag,
        Src::Managed,
        Src::FlagSettings,
        Src::Local,
        Src::Project,
        Src::User,
    ];

    /// One project with some layers set.
    struct World {
        _dir: tempfile::TempDir,
        load: LoadOptions,
        opts: SessionOptions,
        process: Vec<(String, String)>,
    }

    impl World {
        fn new() -> World {
            let dir = tempfile::tempdir().unwrap();
            let cwd = dir.path().join("proj");
            let claude = dir.path().join("home/.claude");
            std::fs::create_dir_all(cwd.join(".claude")).unwrap();
            std::fs::create_dir_all(&claude).unwrap();
            let load = LoadOptions {
                cwd: cwd.clone(),
                flag_settings: None,
                sources: None,
                managed_path: dir.path().join("managed.json"),
                claude_dir: claude,
            };
            World {
                _dir: dir,
                load,
                opts: SessionOptions {
                    cwd,
                    ..Default::default()
                },
                // Bypass mode is refused to root outside a sandbox; tests may run as root.
                process: vec![("IS_SANDBOX".into(), "1".into())],
            }
        }

        fn file(&self, src: Src) -> PathBuf {
            match src {
                Src::Managed => self.load.managed_path.clone(),
                Src::FlagSettings => self.load.cwd.join("flag-settings.json"),
                Src::Local => self.load.cwd.join(".claude/settings.local.json"),
                Src::Project => self.load.cwd.join(".claude/settings.json"),
                Src::User | Src::SettingsEnv => self.load.claude_dir.join("settings.json"),
                Src::Flag | Src::ProcessEnv => unreachable!(),
            }
        }

        /// Merges `v` into the JSON file of `src`.
        fn set_json(&mut self, src: Src, v: Value) {
            let path = self.file(src);
            let mut cur: Value = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(json!({}));
            merge(&mut cur, v);
            std::fs::write(&path, cur.to_string()).unwrap();
            if src == Src::FlagSettings {
                self.load.flag_settings = Some("flag-settings.json".into());
            }
        }

        fn resolve(&self) -> Result<(Config, Settings), SessionError> {
            let settings = Settings::load(&self.load);
            let process = self.process.clone();
            let lookup = move |k: &str| {
                process
                    .iter()
                    .find(|(pk, _)| pk == k)
                    .map(|(_, v)| v.clone())
            };
            resolve(&self.opts, &settings, &lookup).map(|c| (c, settings))
        }
    }

    fn merge(a: &mut Value, b: Value) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k).or_insert(Value::Null), v);
                }
            }
            (a, b) => *a = b,
        }
    }

    /// Every subset of `srcs` (as bit masks).
    fn subsets(srcs: &[Src]) -> impl Iterator<Item = Vec<Src>> + '_ {
        (0u32..(1 << srcs.len())).map(move |mask| {
            srcs.iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, s)| *s)
                .collect()
        })
    }

    fn settings_source(src: Src) -> SettingsSource {
        match src {
            Src::Managed => SettingsSource::Managed,
            Src::FlagSettings => SettingsSource::Flag,
            Src::Local => SettingsSource::Local,
            Src::Project => SettingsSource::Project,
            _ => SettingsSource::User,
        }
    }

    fn name(src: Src) -> String {
        format!("{src:?}").to_lowercase()
    }

    #[test]
    fn model_precedence_over_every_combination() {
        // Highest first.
        let order = [
            Src::Flag,
            Src::SettingsEnv,
            Src::ProcessEnv,
            Src::Managed,
            Src::FlagSettings,
            Src::Local,
            Src::Project,
            Src::User,
        ];
        for set in subsets(&order) {
            let mut w = World::new();
            for &s in &set {
                let model = format!("model-{}", name(s));
                match s {
                    Src::Flag => w.opts.model = Some(model),
                    Src::ProcessEnv => w.process.push(("ANTHROPIC_MODEL".into(), model)),
                    Src::SettingsEnv => w.set_json(s, json!({"env": {"ANTHROPIC_MODEL": model}})),
                    _ => w.set_json(s, json!({"model": model})),
                }
            }
            let (c, _) = w.resolve().unwrap();
            let (want, origin) = match order.iter().find(|s| set.contains(s)) {
                None => (
                    crate::models::resolve_alias(crate::models::DEFAULT_MODEL_ALIAS),
                    Origin::Default,
                ),
                Some(&s) => (
                    format!("model-{}", name(s)),
                    match s {
                        Src::Flag => Origin::Flag,
                        Src::SettingsEnv | Src::ProcessEnv => Origin::Env("ANTHROPIC_MODEL"),
                        other => Origin::Settings(settings_source(other)),
                    },
                ),
            };
            assert_eq!((c.model, c.model_origin), (want, origin), "sources {set:?}");
        }
    }

    #[test]
    fn permission_mode_precedence_over_every_combination() {
        let order = FLAG_AND_FILES;
        let mode_of = |s: Src| match s {
            Src::Flag => Mode::Plan,
            Src::Managed => Mode::AcceptEdits,
            Src::FlagSettings => Mode::DontAsk,
            Src::Local => Mode::Plan,
            Src::Project => Mode::AcceptEdits,
            _ => Mode::DontAsk,
        };
        for set in subsets(&order) {
            for skip in [false, true] {
                let mut w = World::new();
                w.opts.dangerously_skip_permissions = skip;
                for &s in &set {
                    match s {
                        Src::Flag => w.opts.permission_mode = Some(mode_of(s)),
                        _ => w.set_json(
                            s,
                            json!({"permissions": {"defaultMode": mode_of(s).as_str()}}),
                        ),
                    }
                }
                let (c, _) = w.resolve().unwrap();
                let want = if skip {
                    (Mode::BypassPermissions, Origin::Flag)
                } else {
                    match order.iter().find(|s| set.contains(s)) {
                        None => (Mode::Default, Origin::Default),
                        Some(&Src::Flag) => (mode_of(Src::Flag), Origin::Flag),
                        Some(&s) => (mode_of(s), Origin::Settings(settings_source(s))),
                    }
                };
                assert_eq!((c.mode, c.mode_origin), want, "sources {set:?} skip {skip}");
                assert_eq!(c.bypass_allowed, skip);
            }
        }
    }

    #[test]
    fn bypass_is_refused_when_any_layer_disables_it() {
        for layer in [
            Src::Managed,
            Src::FlagSettings,
            Src::Local,
            Src::Project,
            Src::User,
        ] {
            let mut w = World::new();
            w.set_json(
                layer,
                json!({"permissions": {"disableBypassPermissionsMode": "disable"}}),
            );
            w.opts.dangerously_skip_permissions = true;
            assert!(
                matches!(w.resolve(), Err(SessionError::BypassRefused(_))),
                "{layer:?}"
            );
            // Allowed by flag but disabled: it never joins the cycle.
            w.opts.dangerously_skip_permissions = false;
            w.opts.allow_dangerously_skip_permissions = true;
            assert!(!w.resolve().unwrap().0.bypass_allowed, "{layer:?}");
        }
    }

    #[test]
    fn rules_merge_from_every_source_with_their_origin() {
        let srcs = FLAG_AND_FILES;
        for set in subsets(&srcs) {
            let mut w = World::new();
            for &s in &set {
                let allow = format!("Bash(allow-{}:*)", name(s));
                let deny = format!("Bash(deny-{}:*)", name(s));
                match s {
                    Src::Flag => {
                        // Flags take space/comma lists, split outside parentheses.
                        w.opts.allowed_tools = vec![format!("{allow} Read")];
                        w.opts.disallowed_tools = vec![deny];
                    }
                    _ => w.set_json(
                        s,
                        json!({"permissions": {"allow": [allow], "deny": [deny]}}),
                    ),
                }
            }
            let (c, _) = w.resolve().unwrap();
            let mut want = Vec::new();
            for &s in &set {
                let source = match s {
                    Src::Flag => RuleSource::CliArg,
                    other => settings_source(other).rule_source(),
                };
                want.push((
                    RuleBehavior::Allow,
                    format!("Bash(allow-{}:*)", name(s)),
                    source.clone(),
                ));
                want.push((
                    RuleBehavior::Deny,
                    format!("Bash(deny-{}:*)", name(s)),
                    source.clone(),
                ));
                if s == Src::Flag {
                    want.push((RuleBehavior::Allow, "Read".to_string(), source.clone()));
                }
            }
            let mut got: Vec<_> = c
                .rules
                .iter()
                .map(|r| (r.behavior, r.rule.clone(), r.source.clone()))
                .collect();
            let key = |r: &(RuleBehavior, String, RuleSource)| r.1.clone();
            got.sort_by_key(key);
            want.sort_by_key(key);
            assert_eq!(got, want, "sources {set:?}");
        }
    }

    #[test]
    fn flag_rule_lists_split_outside_parentheses() {
        let mut w = World::new();
        w.opts.allowed_tools = vec![
            "Bash(git log:*) Edit".to_string(),
            "Read,Bash(npm install)".to_string(),
            "Bash(a, b)".to_string(),
            // A stray `)` does not unbalance the rules after it.
            "Read) Bash(git status:*)".to_string(),
        ];
        let (c, _) = w.resolve().unwrap();
        let rules: Vec<&str> = c.rules.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "Bash(git log:*)",
                "Edit",
                "Read",
                "Bash(npm install)",
                "Bash(a, b)",
                "Read)",
                "Bash(git status:*)"
            ]
        );
    }

    #[test]
    fn working_directories_merge_settings_then_flags() {
        let srcs = FLAG_AND_FILES;
        for set in subsets(&srcs) {
            let mut w = World::new();
            for &s in &set {
                let d = w.load.cwd.join(format!("dir-{}", name(s)));
                std::fs::create_dir_all(&d).unwrap();
                match s {
                    Src::Flag => w.opts.add_dirs.push(PathBuf::from(format!("dir-{}", name(s)))),
                    _ => w.set_json(
                        s,
                        json!({"permissions": {"additionalDirectories": [format!("dir-{}", name(s))]}}),
                    ),
                }
            }
            let (c, _) = w.resolve().unwrap();
            let mut want: Vec<PathBuf> = set
                .iter()
                .filter(|s| **s != Src::Flag)
                .map(|s| w.load.cwd.join(format!("dir-{}", name(*s))))
                .collect();
            // Settings layers come highest first.
            let rank = |p: &PathBuf| {
                ["managed", "flagsettings", "local", "project", "user"]
                    .iter()
                    .position(|n| p.ends_with(format!("dir-{n}")))
            };
            want.sort_by_key(rank);
            if set.contains(&Src::Flag) {
                want.push(w.load.cwd.join("dir-flag"));
            }
            assert_eq!(c.additional_dirs, want, "sources {set:?}");
        }
        let mut w = World::new();
        w.opts.add_dirs.push(PathBuf::from("missing"));
        assert!(matches!(w.resolve(), Err(SessionError::AddDir(_))));
    }

    #[test]
    fn system_prompts_come_from_flags_text_or_file() {
        let mut w = World::new();
        let (c, _) = w.resolve().unwrap();
        assert_eq!((c.system_prompt, c.append_system_prompt), (None, None));
        std::fs::write(w.load.cwd.join("sys.txt"), "From a file.").unwrap();
        w.opts.system_prompt = Some(PromptText::File("sys.txt".into()));
        w.opts.append_system_prompt = Some(PromptText::Text("Appended.".into()));
        let (c, _) = w.resolve().unwrap();
        assert_eq!(c.system_prompt.as_deref(), Some("From a file."));
        assert_eq!(c.append_system_prompt.as_deref(), Some("Appended."));
        w.opts.system_prompt = Some(PromptText::Text(String::new()));
        assert_eq!(w.resolve().unwrap().0.system_prompt.as_deref(), Some(""));
        w.opts.append_system_prompt = Some(PromptText::File("missing.txt".into()));
        assert!(matches!(
            w.resolve(),
            Err(SessionError::PromptFile {
                flag: "--append-system-prompt-file",
                ..
            })
        ));
    }

    #[test]
    fn thinking_budget_and_turn_limits() {
        let order = [Src::Flag, Src::SettingsEnv, Src::ProcessEnv];
        for set in subsets(&order) {
            let mut w = World::new();
            for &s in &set {
                let n = match s {
                    Src::Flag => 3000u64,
                    Src::SettingsEnv => 2000,
                    _ => 1000,
                };
                match s {
                    Src::Flag => w.opts.max_thinking_tokens = Some(n),
                    Src::ProcessEnv => w
                        .process
                        .push(("MAX_THINKING_TOKENS".into(), n.to_string())),
                    _ => w.set_json(s, json!({"env": {"MAX_THINKING_TOKENS": n.to_string()}})),
                }
            }
            let want = order.iter().find(|s| set.contains(s)).map(|s| match s {
                Src::Flag => 3000,
                Src::SettingsEnv => 2000,
                _ => 1000,
            });
            assert_eq!(w.resolve().unwrap().0.thinking_budget, want, "{set:?}");
        }
        // Zero means off; max turns and the budget are flags only.
        let mut w = World::new();
        w.opts.max_thinking_tokens = Some(0);
        w.opts.max_turns = Some(3);
        w.opts.max_budget_usd = Some(0.5);
        let (c, _) = w.resolve().unwrap();
        assert_eq!(
            (c.thinking_budget, c.max_turns, c.max_budget_usd),
            (None, Some(3), Some(0.5))
        );
        // alwaysThinkingEnabled: Claude Code's budget unless a number is given; --thinking
        // disabled wins over everything, enabled over the setting's false.
        let mut w = World::new();
        w.set_json(Src::User, json!({"alwaysThinkingEnabled": true}));
        assert_eq!(
            w.resolve().unwrap().0.thinking_budget,
            Some(DEFAULT_THINKING_BUDGET)
        );
        w.opts.max_thinking_tokens = Some(5000);
        assert_eq!(w.resolve().unwrap().0.thinking_budget, Some(5000));
        w.opts.thinking = Some("disabled".into());
        assert_eq!(w.resolve().unwrap().0.thinking_budget, None);
        let mut w = World::new();
        w.set_json(Src::User, json!({"alwaysThinkingEnabled": false}));
        assert_eq!(w.resolve().unwrap().0.thinking_budget, None);
        w.opts.thinking = Some("enabled".into());
        assert_eq!(
            w.resolve().unwrap().0.thinking_budget,
            Some(DEFAULT_THINKING_BUDGET)
        );
        w.opts.thinking = Some("adaptive".into());
        let (c, _) = w.resolve().unwrap();
        assert_eq!(c.thinking_budget, Some(DEFAULT_THINKING_BUDGET));
        assert!(c.warnings.iter().any(|x| x.contains("--thinking adaptive")));
    }

    #[test]
    fn env_keys_take_the_highest_layer() {
        let order = &FLAG_AND_FILES[1..];
        for set in subsets(order) {
            let mut w = World::new();
            for &s in &set {
                w.set_json(
                    s,
                    json!({"env": {"K": name(s), format!("ONLY_{}", name(s)): "1"}}),
                );
            }
            let (c, _) = w.resolve().unwrap();
            let k = c.env.iter().find(|(k, _)| k == "K").map(|(_, v)| v.clone());
            assert_eq!(
                k,
                order.iter().find(|s| set.contains(s)).map(|s| name(*s)),
                "{set:?}"
            );
            for &s in &set {
                let key = format!("ONLY_{}", name(s));
                assert!(c.env.iter().any(|(k, _)| *k == key), "{key} in {set:?}");
            }
        }
    }

    #[test]
    fn setting_sources_limit_the_file_layers() {
        // Every subset of --setting-sources against a model set in every file layer: the
        // highest loaded layer wins; managed and --settings always load.
        let files = [Src::Local, Src::Project, Src::User];
        for chosen in subsets(&files) {
            for with_flag_settings in [false, true] {
                let mut w = World::new();
                for &s in &files {
                    w.set_json(s, json!({"model": format!("model-{}", name(s))}));
                }
                if with_flag_settings {
                    w.set_json(
                        Src::FlagSettings,
                        json!({"permissions": {"allow": ["Read"]}}),
                    );
                }
                w.load.sources = Some(chosen.iter().map(|s| settings_source(*s)).collect());
                let (c, settings) = w.resolve().unwrap();
                let want = files
                    .iter()
                    .find(|s| chosen.contains(s))
                    .map(|s| format!("model-{}", name(*s)))
                    .unwrap_or_else(|| {
                        crate::models::resolve_alias(crate::models::DEFAULT_MODEL_ALIAS)
                    });
                assert_eq!(c.model, want, "{chosen:?}");
                let loaded: Vec<SettingsSource> =
                    settings.layers.iter().map(|l| l.source).collect();
                assert_eq!(
                    loaded.contains(&SettingsSource::Flag),
                    with_flag_settings,
                    "{chosen:?}"
                );
            }
        }
    }

    #[test]
    fn session_ids_must_be_uuids() {
        let mut w = World::new();
        w.opts.session_id = Some("not-a-uuid".into());
        assert!(matches!(w.resolve(), Err(SessionError::InvalidSessionId)));
        let id = "6f0f3c1e-8f0a-4a57-9d1e-2f4b8c6d7e90";
        w.opts.session_id = Some(id.into());
        assert_eq!(w.resolve().unwrap().0.session_id, id);
    }
}
