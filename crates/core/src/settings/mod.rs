//! Claude Code's settings files, read the way Claude Code reads them.
//!
//! Layers, highest precedence first: managed policy, `--settings`, `.claude/settings.local.json`,
//! `.claude/settings.json`, `~/.claude/settings.json`. Scalars take the highest layer that sets
//! them; permission lists merge across layers; `env` merges key by key. A file that is not
//! valid JSON is reported (file, line and column) and skipped, never overwritten; a wrongly
//! typed value is reported and ignored (lower layers still apply); unknown keys are ignored.

mod sandbox;
mod validate;
mod write;

pub use sandbox::{SandboxSettings, SettingPath};
pub use write::{SettingsWriteError, add_allow_rules, edit_rules, persist_always_allow};

use crate::permissions::{Mode, RuleBehavior, RuleSource, SourcedRule};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingsSource {
    Managed,
    Flag,
    Local,
    Project,
    User,
}

impl SettingsSource {
    pub fn rule_source(self) -> RuleSource {
        match self {
            SettingsSource::Managed => RuleSource::Managed,
            SettingsSource::Flag => RuleSource::FlagSettings,
            SettingsSource::Local => RuleSource::LocalSettings,
            SettingsSource::Project => RuleSource::ProjectSettings,
            SettingsSource::User => RuleSource::UserSettings,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SettingsSource::Managed => "managed",
            SettingsSource::Flag => "flag",
            SettingsSource::Local => "local",
            SettingsSource::Project => "project",
            SettingsSource::User => "user",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SettingsLayer {
    pub source: SettingsSource,
    /// `None` for inline `--settings` JSON.
    pub path: Option<PathBuf>,
    pub value: Map<String, Value>,
}

/// How to find the files.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub cwd: PathBuf,
    /// `--settings`: a file path or inline JSON.
    pub flag_settings: Option<String>,
    /// `--setting-sources`: which of user/project/local to read (`None` = all).
    pub sources: Option<Vec<SettingsSource>>,
    /// The managed policy file (`/etc/claude-code/managed-settings.json`, or
    /// `CCRS_MANAGED_SETTINGS_PATH` for tests).
    pub managed_path: PathBuf,
    /// `CLAUDE_CONFIG_DIR` or `~/.claude`.
    pub claude_dir: PathBuf,
}

impl LoadOptions {
    pub fn new(cwd: &Path) -> Self {
        LoadOptions {
            cwd: cwd.to_path_buf(),
            flag_settings: None,
            sources: None,
            managed_path: std::env::var_os("CCRS_MANAGED_SETTINGS_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/etc/claude-code/managed-settings.json")),
            claude_dir: crate::paths::claude_dir(),
        }
    }
}

/// The merged settings.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Highest precedence first.
    pub layers: Vec<SettingsLayer>,
    /// Problems worth telling the user (invalid files, bad values).
    pub warnings: Vec<String>,
}

/// Parses a settings document; the error names the file and line.
pub fn parse_settings(text: &str, origin: &str) -> Result<Map<String, Value>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!(
            "{origin}: settings must be a JSON object; the file was skipped"
        )),
        Err(e) => Err(format!(
            "{origin}: invalid JSON at line {}, column {}: {e}; the file was skipped",
            e.line(),
            e.column()
        )),
    }
}

impl Settings {
    /// Reads every layer. Never fails: problems become [`Settings::warnings`].
    pub fn load(opts: &LoadOptions) -> Settings {
        let mut s = Settings::default();
        let wanted = |src: SettingsSource| match &opts.sources {
            None => true,
            Some(list) => list.contains(&src),
        };
        s.read_file(SettingsSource::Managed, &opts.managed_path);
        if let Some(flag) = &opts.flag_settings {
            let trimmed = flag.trim_start();
            if trimmed.starts_with('{') {
                match parse_settings(flag, "--settings") {
                    Ok(mut value) => {
                        validate::sanitize(&mut value, "--settings", &mut s.warnings);
                        s.layers.push(SettingsLayer {
                            source: SettingsSource::Flag,
                            path: None,
                            value,
                        });
                    }
                    Err(e) => s.warnings.push(e),
                }
            } else {
                let p = opts.cwd.join(flag);
                if p.exists() {
                    s.read_file(SettingsSource::Flag, &p);
                } else {
                    s.warnings
                        .push(format!("--settings: file not found: {}", p.display()));
                }
            }
        }
        let project = opts.cwd.join(".claude");
        if wanted(SettingsSource::Local) {
            s.read_file(SettingsSource::Local, &project.join("settings.local.json"));
        }
        if wanted(SettingsSource::Project) {
            s.read_file(SettingsSource::Project, &project.join("settings.json"));
        }
        if wanted(SettingsSource::User) {
            s.read_file(SettingsSource::User, &opts.claude_dir.join("settings.json"));
        }
        s
    }

    fn read_file(&mut self, source: SettingsSource, path: &Path) {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
            Err(e) => {
                self.warnings.push(format!(
                    "{}: cannot be read ({e}); the file was skipped",
                    path.display()
                ));
                return;
            }
        };
        if text.trim().is_empty() {
            return;
        }
        let origin = path.display().to_string();
        match parse_settings(&text, &origin) {
            Ok(mut value) => {
                validate::sanitize(&mut value, &origin, &mut self.warnings);
                self.layers.push(SettingsLayer {
                    source,
                    path: Some(path.to_path_buf()),
                    value,
                });
            }
            Err(e) => self.warnings.push(e),
        }
    }

    /// The files that were loaded, highest precedence first.
    pub fn loaded_files(&self) -> Vec<(SettingsSource, Option<PathBuf>)> {
        self.layers
            .iter()
            .map(|l| (l.source, l.path.clone()))
            .collect()
    }

    /// A scalar at a dotted path, from the highest layer that sets it.
    pub fn get(&self, dotted: &str) -> Option<&Value> {
        self.layers.iter().find_map(|l| {
            let mut parts = dotted.split('.');
            let first = parts.next()?;
            let mut v = l.value.get(first)?;
            for p in parts {
                v = v.get(p)?;
            }
            (!v.is_null()).then_some(v)
        })
    }

    pub fn get_str(&self, dotted: &str) -> Option<String> {
        self.get(dotted).and_then(Value::as_str).map(str::to_string)
    }

    pub fn model(&self) -> Option<String> {
        self.get_str("model").filter(|m| !m.trim().is_empty())
    }

    pub fn api_key_helper(&self) -> Option<String> {
        self.get_str("apiKeyHelper")
            .filter(|m| !m.trim().is_empty())
    }

    pub fn include_co_authored_by(&self) -> bool {
        self.get("includeCoAuthoredBy")
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// `permissions.disableBypassPermissionsMode: "disable"` in any layer.
    pub fn disable_bypass_permissions_mode(&self) -> bool {
        self.layers.iter().any(|l| {
            l.value
                .get("permissions")
                .and_then(|p| p.get("disableBypassPermissionsMode"))
                .and_then(Value::as_str)
                == Some("disable")
        })
    }

    /// `permissions.defaultMode`, if set and valid.
    pub fn default_mode(&self) -> Result<Option<Mode>, String> {
        match self.get_str("permissions.defaultMode") {
            None => Ok(None),
            Some(m) => m.parse::<Mode>().map(Some),
        }
    }

    /// The `env` objects merged: a higher layer overrides a lower one key by key.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for l in self.layers.iter().rev() {
            if let Some(Value::Object(env)) = l.value.get("env") {
                for (k, v) in env {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Null => continue,
                        other => other.to_string(),
                    };
                    out.retain(|(ek, _)| ek != k);
                    out.push((k.clone(), v));
                }
            }
        }
        out
    }

    /// Every permission rule of every layer, with its source.
    pub fn permission_rules(&self) -> Vec<SourcedRule> {
        let mut out = Vec::new();
        for l in &self.layers {
            let Some(perms) = l.value.get("permissions") else {
                continue;
            };
            for (key, behavior) in [
                ("deny", RuleBehavior::Deny),
                ("ask", RuleBehavior::Ask),
                ("allow", RuleBehavior::Allow),
            ] {
                if let Some(list) = perms.get(key).and_then(Value::as_array) {
                    for r in list.iter().filter_map(Value::as_str) {
                        out.push(SourcedRule {
                            behavior,
                            rule: r.to_string(),
                            source: l.source.rule_source(),
                            file: l.path.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// `permissions.additionalDirectories` of every layer (relative paths resolve against `cwd`).
    pub fn additional_directories(&self, cwd: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for l in &self.layers {
            if let Some(list) = l
                .value
                .get("permissions")
                .and_then(|p| p.get("additionalDirectories"))
                .and_then(Value::as_array)
            {
                for d in list.iter().filter_map(Value::as_str) {
                    let p = if let Some(rest) = d.strip_prefix("~/") {
                        crate::paths::home_dir()
                            .map(|h| h.join(rest))
                            .unwrap_or_else(|| PathBuf::from(d))
                    } else {
                        cwd.join(d)
                    };
                    if !out.contains(&p) {
                        out.push(p);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(cwd: &Path, claude: &Path) -> LoadOptions {
        LoadOptions {
            cwd: cwd.to_path_buf(),
            flag_settings: None,
            sources: None,
            managed_path: cwd.join("no-managed.json"),
            claude_dir: claude.to_path_buf(),
        }
    }

    #[test]
    fn layers_merge_with_precedence() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("proj");
        let claude = d.path().join("home/.claude");
        std::fs::create_dir_all(cwd.join(".claude")).unwrap();
        std::fs::create_dir_all(&claude).unwrap();
        std::fs::write(
            claude.join("settings.json"),
            r#"{"model":"haiku","env":{"A":"user","B":"user"},"permissions":{"allow":["Read"]}}"#,
        )
        .unwrap();
        std::fs::write(
            cwd.join(".claude/settings.json"),
            r#"{"model":"opus","env":{"A":"project"},"permissions":{"allow":["Bash(ls)"]}}"#,
        )
        .unwrap();
        std::fs::write(
            cwd.join(".claude/settings.local.json"),
            r#"{"permissions":{"deny":["Bash(ls)"]}}"#,
        )
        .unwrap();
        let s = Settings::load(&opts(&cwd, &claude));
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert_eq!(s.model().as_deref(), Some("opus"));
        let env = s.env();
        assert!(env.contains(&("A".into(), "project".into())));
        assert!(env.contains(&("B".into(), "user".into())));
        let rules = s.permission_rules();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].behavior, RuleBehavior::Deny);
        assert_eq!(rules[0].source, RuleSource::LocalSettings);
    }

    #[test]
    fn invalid_file_is_reported_with_line_and_skipped() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".claude")).unwrap();
        std::fs::write(
            d.path().join(".claude/settings.json"),
            "{\n  \"model\": \"x\",\n}\n",
        )
        .unwrap();
        let s = Settings::load(&opts(d.path(), &d.path().join("c")));
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("settings.json"), "{}", s.warnings[0]);
        assert!(s.warnings[0].contains("line 3"), "{}", s.warnings[0]);
        assert!(s.model().is_none());
    }

    #[test]
    fn managed_and_flag_layers_and_sources() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("proj");
        let claude = d.path().join("home/.claude");
        std::fs::create_dir_all(cwd.join(".claude")).unwrap();
        std::fs::create_dir_all(&claude).unwrap();
        let managed = d.path().join("managed.json");
        std::fs::write(
            &managed,
            r#"{"model":"managed-model","permissions":{"deny":["WebSearch"],"disableBypassPermissionsMode":"disable"}}"#,
        )
        .unwrap();
        let flag = d.path().join("flag.json");
        std::fs::write(&flag, r#"{"model":"flag","env":{"F":"1"}}"#).unwrap();
        std::fs::write(
            claude.join("settings.json"),
            r#"{"env":{"F":"user","U":"1"}}"#,
        )
        .unwrap();
        std::fs::write(
            cwd.join(".claude/settings.local.json"),
            r#"{"permissions":{"allow":["Bash(ls)"]}}"#,
        )
        .unwrap();
        let mut o = opts(&cwd, &claude);
        o.managed_path = managed.clone();
        o.flag_settings = Some(flag.display().to_string());
        let s = Settings::load(&o);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert_eq!(s.model().as_deref(), Some("managed-model"));
        assert!(s.disable_bypass_permissions_mode());
        let env = s.env();
        assert!(env.contains(&("F".into(), "1".into())));
        assert!(env.contains(&("U".into(), "1".into())));
        let sources: Vec<SettingsSource> = s.layers.iter().map(|l| l.source).collect();
        assert_eq!(
            sources,
            [
                SettingsSource::Managed,
                SettingsSource::Flag,
                SettingsSource::Local,
                SettingsSource::User
            ]
        );
        // Inline JSON, and --setting-sources limiting the file layers (managed stays).
        o.flag_settings = Some(r#"{"model":"inline"}"#.into());
        o.sources = Some(vec![SettingsSource::User]);
        let s = Settings::load(&o);
        let sources: Vec<SettingsSource> = s.layers.iter().map(|l| l.source).collect();
        assert_eq!(
            sources,
            [
                SettingsSource::Managed,
                SettingsSource::Flag,
                SettingsSource::User
            ]
        );
        o.sources = Some(vec![]);
        o.managed_path = d.path().join("none.json");
        let s = Settings::load(&o);
        assert_eq!(s.layers.len(), 1);
        assert_eq!(s.model().as_deref(), Some("inline"));
    }

    #[test]
    fn wrong_types_fall_back_to_lower_layers() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("proj");
        let claude = d.path().join("c");
        std::fs::create_dir_all(cwd.join(".claude")).unwrap();
        std::fs::create_dir_all(&claude).unwrap();
        std::fs::write(
            cwd.join(".claude/settings.local.json"),
            r#"{"model": 7, "permissions": {"allow": "Bash", "defaultMode": "nope"}}"#,
        )
        .unwrap();
        std::fs::write(
            claude.join("settings.json"),
            r#"{"model": "sonnet", "permissions": {"allow": ["Read"], "defaultMode": "plan"}}"#,
        )
        .unwrap();
        let s = Settings::load(&opts(&cwd, &claude));
        assert_eq!(s.warnings.len(), 3, "{:?}", s.warnings);
        assert!(s.warnings.iter().all(|w| w.contains("settings.local.json")));
        assert_eq!(s.model().as_deref(), Some("sonnet"));
        assert_eq!(s.default_mode().unwrap(), Some(Mode::Plan));
        let rules: Vec<String> = s.permission_rules().into_iter().map(|r| r.rule).collect();
        assert_eq!(rules, ["Read"]);
    }

    #[test]
    fn bom_missing_flag_file_and_empty_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".claude")).unwrap();
        std::fs::write(
            d.path().join(".claude/settings.json"),
            "\u{feff}{\"model\":\"bom\"}",
        )
        .unwrap();
        std::fs::write(d.path().join(".claude/settings.local.json"), "  \n").unwrap();
        let mut o = opts(d.path(), &d.path().join("c"));
        o.flag_settings = Some("missing.json".into());
        let s = Settings::load(&o);
        assert_eq!(s.model().as_deref(), Some("bom"));
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].contains("missing.json"));
        o.flag_settings = Some("{bad".into());
        let s = Settings::load(&o);
        assert!(
            s.warnings[0].starts_with("--settings: invalid JSON at line 1"),
            "{:?}",
            s.warnings
        );
    }
}
