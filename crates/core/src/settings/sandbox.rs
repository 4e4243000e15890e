//! The `sandbox` keys, merged like Claude Code merges them: scalars from the highest layer
//! that sets them, lists across layers. Paths stay as written here; `crate::sandbox` resolves
//! them.

use super::Settings;
use crate::permissions::RuleBehavior;
use serde_json::Value;

/// A path from a settings file. `base` is set for paths taken from permission rules, where a
/// single leading `/` is relative to the settings file's project (Claude Code's rule syntax);
/// `sandbox.filesystem` paths are absolute, `~/`, or relative to the working directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingPath {
    pub path: String,
    pub base: Option<std::path::PathBuf>,
}

/// The sandbox settings in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxSettings {
    pub enabled: bool,
    pub fail_if_unavailable: bool,
    /// Claude Code 2.1.197's default is true (2.1.3xx made it false).
    pub auto_allow_bash_if_sandboxed: bool,
    pub allow_unsandboxed_commands: bool,
    /// Bash permission-rule patterns of commands that run outside the sandbox.
    pub excluded_commands: Vec<String>,
    /// `filesystem.allowWrite` plus Edit allow rules.
    pub allow_write: Vec<SettingPath>,
    /// `filesystem.denyWrite` plus Edit deny rules.
    pub deny_write: Vec<SettingPath>,
    /// `filesystem.denyRead`, `credentials.files` deny entries, plus Read deny rules.
    pub deny_read: Vec<SettingPath>,
    /// `filesystem.allowRead`: re-allowed inside denied reads.
    pub allow_read: Vec<SettingPath>,
    /// `network.allowedDomains` plus `WebFetch(domain:…)` allow rules.
    pub allowed_domains: Vec<String>,
    pub denied_domains: Vec<String>,
    pub allow_local_binding: bool,
    pub allow_all_unix_sockets: bool,
    /// `credentials.envVars` deny entries: unset for sandboxed commands.
    pub deny_env: Vec<String>,
    /// Keys that are set but that ccrs does not honour (reported once).
    pub unsupported: Vec<String>,
}

impl Default for SandboxSettings {
    fn default() -> Self {
        SandboxSettings {
            enabled: false,
            fail_if_unavailable: false,
            auto_allow_bash_if_sandboxed: true,
            allow_unsandboxed_commands: true,
            excluded_commands: Vec::new(),
            allow_write: Vec::new(),
            deny_write: Vec::new(),
            deny_read: Vec::new(),
            allow_read: Vec::new(),
            allowed_domains: Vec::new(),
            denied_domains: Vec::new(),
            allow_local_binding: false,
            allow_all_unix_sockets: false,
            deny_env: Vec::new(),
            unsupported: Vec::new(),
        }
    }
}

/// Keys ccrs reads; any other key under `sandbox` is reported as not honoured.
const KNOWN: &[&str] = &[
    "enabled",
    "failIfUnavailable",
    "autoAllowBashIfSandboxed",
    "allowUnsandboxedCommands",
    "excludedCommands",
    "filesystem",
    "network",
    "credentials",
    // Meaningless here: no bubblewrap, no nested-sandbox fallback.
    "bwrapPath",
    "socatPath",
    "enableWeakerNestedSandbox",
];
const KNOWN_FILESYSTEM: &[&str] = &["allowWrite", "denyWrite", "denyRead", "allowRead"];
const KNOWN_NETWORK: &[&str] = &[
    "allowedDomains",
    "deniedDomains",
    "allowLocalBinding",
    "allowAllUnixSockets",
    // macOS only in Claude Code too.
    "allowUnixSockets",
];

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The path inside a `Read(…)`/`Edit(…)` rule, if the rule is one of `tools`.
fn rule_path<'a>(rule: &'a str, tools: &[&str]) -> Option<&'a str> {
    let (tool, rest) = rule.split_once('(')?;
    let spec = rest.strip_suffix(')')?;
    tools.contains(&tool.trim()).then_some(spec.trim())
}

impl Settings {
    /// The `sandbox` settings, with the permission rules they take in.
    pub fn sandbox(&self) -> SandboxSettings {
        let mut s = SandboxSettings::default();
        let scalar = |key: &str| self.get(&format!("sandbox.{key}")).and_then(Value::as_bool);
        s.enabled = scalar("enabled").unwrap_or(false);
        s.fail_if_unavailable = scalar("failIfUnavailable").unwrap_or(false);
        s.auto_allow_bash_if_sandboxed = scalar("autoAllowBashIfSandboxed").unwrap_or(true);
        s.allow_unsandboxed_commands = scalar("allowUnsandboxedCommands").unwrap_or(true);
        s.allow_local_binding = scalar("network.allowLocalBinding").unwrap_or(false);
        s.allow_all_unix_sockets = scalar("network.allowAllUnixSockets").unwrap_or(false);
        for l in &self.layers {
            let path = |p: String| SettingPath {
                path: p,
                base: None,
            };
            let Some(sb) = l.value.get("sandbox").and_then(Value::as_object) else {
                continue;
            };
            for k in sb.keys().filter(|k| !KNOWN.contains(&k.as_str())) {
                push_unique(&mut s.unsupported, format!("sandbox.{k}"));
            }
            for c in strings(sb.get("excludedCommands")) {
                push_unique(&mut s.excluded_commands, c);
            }
            if let Some(fs) = sb.get("filesystem").and_then(Value::as_object) {
                for k in fs
                    .keys()
                    .filter(|k| !KNOWN_FILESYSTEM.contains(&k.as_str()))
                {
                    push_unique(&mut s.unsupported, format!("sandbox.filesystem.{k}"));
                }
                for (key, list) in [
                    ("allowWrite", &mut s.allow_write),
                    ("denyWrite", &mut s.deny_write),
                    ("denyRead", &mut s.deny_read),
                    ("allowRead", &mut s.allow_read),
                ] {
                    for p in strings(fs.get(key)) {
                        push_unique(list, path(p));
                    }
                }
            }
            if let Some(net) = sb.get("network").and_then(Value::as_object) {
                for k in net.keys().filter(|k| !KNOWN_NETWORK.contains(&k.as_str())) {
                    push_unique(&mut s.unsupported, format!("sandbox.network.{k}"));
                }
                for d in strings(net.get("allowedDomains")) {
                    push_unique(&mut s.allowed_domains, d.to_ascii_lowercase());
                }
                for d in strings(net.get("deniedDomains")) {
                    push_unique(&mut s.denied_domains, d.to_ascii_lowercase());
                }
            }
            if let Some(cred) = sb.get("credentials").and_then(Value::as_object) {
                let denied = |key: &str, field: &str| -> Vec<String> {
                    cred.get(key)
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter(|e| {
                                    e.get("mode").and_then(Value::as_str).unwrap_or("deny")
                                        == "deny"
                                })
                                .filter_map(|e| e.get(field).and_then(Value::as_str))
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                for v in denied("envVars", "name") {
                    push_unique(&mut s.deny_env, v);
                }
                for p in denied("files", "path") {
                    push_unique(&mut s.deny_read, path(p));
                }
                let masked = cred
                    .get("envVars")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .chain(
                        cred.get("files")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten(),
                    )
                    .any(|e| {
                        e.get("mode")
                            .and_then(Value::as_str)
                            .is_some_and(|m| m != "deny")
                    });
                if masked {
                    push_unique(
                        &mut s.unsupported,
                        "sandbox.credentials (mode other than \"deny\")".to_string(),
                    );
                }
            }
        }
        for r in self.permission_rules() {
            let base = r
                .file
                .as_ref()
                .and_then(|f| f.parent())
                .and_then(|c| c.parent())
                .map(std::path::Path::to_path_buf);
            let sp = |p: &str| SettingPath {
                path: p.to_string(),
                base: base.clone(),
            };
            match r.behavior {
                RuleBehavior::Deny => {
                    if let Some(p) = rule_path(&r.rule, &["Read"]) {
                        push_unique(&mut s.deny_read, sp(p));
                    }
                    if let Some(p) = rule_path(&r.rule, &["Edit", "Write", "MultiEdit"]) {
                        push_unique(&mut s.deny_write, sp(p));
                    }
                }
                RuleBehavior::Allow => {
                    if let Some(p) = rule_path(&r.rule, &["Edit", "Write", "MultiEdit"]) {
                        push_unique(&mut s.allow_write, sp(p));
                    }
                    if let Some(d) = rule_path(&r.rule, &["WebFetch"])
                        .and_then(|spec| spec.strip_prefix("domain:"))
                    {
                        push_unique(&mut s.allowed_domains, d.trim().to_ascii_lowercase());
                    }
                }
                RuleBehavior::Ask => {}
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{SettingsLayer, SettingsSource};
    use serde_json::json;

    fn layer(source: SettingsSource, path: &str, v: Value) -> SettingsLayer {
        SettingsLayer {
            source,
            path: Some(path.into()),
            value: v.as_object().unwrap().clone(),
        }
    }

    #[test]
    fn merges_scalars_lists_and_rules() {
        let s = Settings {
            layers: vec![
                layer(
                    SettingsSource::Local,
                    "/p/.claude/settings.local.json",
                    json!({"sandbox": {"enabled": true, "excludedCommands": ["docker *"],
                        "network": {"allowedDomains": ["GitHub.com"], "httpProxyPort": 1},
                        "credentials": {"envVars": [{"name": "TOKEN", "mode": "deny"}]}},
                        "permissions": {"deny": ["Read(./.env)", "Edit(//etc/**)"],
                                        "allow": ["WebFetch(domain:npmjs.org)", "Edit(~/.cache/**)"]}}),
                ),
                layer(
                    SettingsSource::User,
                    "/home/u/.claude/settings.json",
                    json!({"sandbox": {"enabled": false, "autoAllowBashIfSandboxed": false,
                        "excludedCommands": ["git *"],
                        "filesystem": {"denyRead": ["~/.ssh"], "allowWrite": ["/opt/x"]}}}),
                ),
            ],
            warnings: vec![],
        };
        let sb = s.sandbox();
        assert!(sb.enabled);
        assert!(!sb.auto_allow_bash_if_sandboxed);
        assert!(sb.allow_unsandboxed_commands);
        assert_eq!(sb.excluded_commands, ["docker *", "git *"]);
        assert_eq!(sb.allowed_domains, ["github.com", "npmjs.org"]);
        assert_eq!(sb.deny_env, ["TOKEN"]);
        let paths = |v: &[SettingPath]| v.iter().map(|p| p.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(&sb.deny_read), ["~/.ssh", "./.env"]);
        assert_eq!(paths(&sb.deny_write), ["//etc/**"]);
        assert_eq!(paths(&sb.allow_write), ["/opt/x", "~/.cache/**"]);
        assert_eq!(
            sb.deny_read[1].base.as_deref(),
            Some(std::path::Path::new("/p"))
        );
        assert_eq!(sb.unsupported, ["sandbox.network.httpProxyPort"]);
    }

    #[test]
    fn defaults() {
        let sb = Settings::default().sandbox();
        assert!(!sb.enabled && sb.auto_allow_bash_if_sandboxed && sb.allow_unsandboxed_commands);
    }
}
