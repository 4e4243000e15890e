//! Claude Code's settings files, read the way Claude Code reads them.
//!
//! Layers, highest precedence first: managed policy, `--settings`, `.claude/settings.local.json`,
//! `.claude/settings.json`, `~/.claude/settings.json`. Scalars take the highest layer that sets
//! them; permission lists and `env` merge. A file that is not valid JSON is reported (file and
//! line) and skipped, never overwritten.

use crate::permissions::{Mode, RuleBehavior, RuleSource, SourcedRule};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Which file a layer came from.
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
                    Ok(value) => s.layers.push(SettingsLayer {
                        source: SettingsSource::Flag,
                        path: None,
                        value,
                    }),
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
        match parse_settings(&text, &path.display().to_string()) {
            Ok(value) => self.layers.push(SettingsLayer {
                source,
                path: Some(path.to_path_buf()),
                value,
            }),
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

/// Why "don't ask again" could not save its rules.
#[derive(Debug, thiserror::Error)]
pub enum SettingsWriteError {
    /// The settings file exists but is not a valid settings document: it is left untouched.
    #[error("{message}")]
    Invalid { message: String },
    #[error("not a valid permission rule: {message}")]
    InvalidRule { message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Adds `rules` to `permissions.allow` of the settings file at `path` (creating it and its
/// directory if needed), keeping every other key and not duplicating rules. The write is atomic.
/// A file that is not valid JSON is left untouched and an error is returned.
pub fn add_allow_rules(path: &Path, rules: &[String]) -> Result<(), SettingsWriteError> {
    let io = |source: std::io::Error| SettingsWriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut doc = match std::fs::read_to_string(path) {
        Ok(t) if t.trim().is_empty() => Map::new(),
        Ok(t) => parse_settings(&t, &path.display().to_string())
            .map_err(|message| SettingsWriteError::Invalid { message })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(io(e)),
    };
    let perms = doc
        .entry("permissions")
        .or_insert_with(|| Value::Object(Map::new()));
    if !perms.is_object() {
        *perms = Value::Object(Map::new());
    }
    if let Value::Object(perms) = perms {
        let allow = perms
            .entry("allow")
            .or_insert_with(|| Value::Array(Vec::new()));
        if !allow.is_array() {
            *allow = Value::Array(Vec::new());
        }
        if let Value::Array(list) = allow {
            for r in rules {
                if !list.iter().any(|v| v.as_str() == Some(r)) {
                    list.push(Value::String(r.clone()));
                }
            }
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(doc))
        .map_err(|e| io(std::io::Error::other(e)))?;
    text.push('\n');
    crate::fsutil::atomic_write(path, text.as_bytes(), None).map_err(io)
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
    fn add_allow_rules_merges_and_keeps_other_keys() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".claude/settings.local.json");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            r#"{"model":"x","permissions":{"allow":["Read"],"deny":["WebFetch"]}}"#,
        )
        .unwrap();
        add_allow_rules(&p, &["Bash(ls)".into(), "Read".into()]).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["model"], "x");
        assert_eq!(
            v["permissions"]["allow"],
            serde_json::json!(["Read", "Bash(ls)"])
        );
        assert_eq!(v["permissions"]["deny"], serde_json::json!(["WebFetch"]));
        // An invalid file is never overwritten.
        std::fs::write(&p, "{oops").unwrap();
        assert!(add_allow_rules(&p, &["X".into()]).is_err());
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{oops");
    }
}
