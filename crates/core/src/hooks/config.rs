//! The `hooks` key of the settings files: events, matcher groups and hook entries, read from
//! every layer and checked. A malformed part is reported (file and key) and skipped; the rest
//! of the file still applies.

use super::matcher::Matcher;
use crate::settings::{Settings, SettingsSource};
use serde_json::{Map, Value};
use std::time::Duration;

/// The events ccrs fires.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HookEvent {
    PreToolUse,
    PostToolUse,
    PostToolUseFailure,
    PermissionRequest,
    UserPromptSubmit,
    Notification,
    Stop,
    SubagentStart,
    SubagentStop,
    PreCompact,
    PostCompact,
    SessionStart,
    SessionEnd,
}

impl HookEvent {
    pub const ALL: [HookEvent; 13] = [
        HookEvent::PreToolUse,
        HookEvent::PostToolUse,
        HookEvent::PostToolUseFailure,
        HookEvent::PermissionRequest,
        HookEvent::UserPromptSubmit,
        HookEvent::Notification,
        HookEvent::Stop,
        HookEvent::SubagentStart,
        HookEvent::SubagentStop,
        HookEvent::PreCompact,
        HookEvent::PostCompact,
        HookEvent::SessionStart,
        HookEvent::SessionEnd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HookEvent::PreToolUse => "PreToolUse",
            HookEvent::PostToolUse => "PostToolUse",
            HookEvent::PostToolUseFailure => "PostToolUseFailure",
            HookEvent::PermissionRequest => "PermissionRequest",
            HookEvent::UserPromptSubmit => "UserPromptSubmit",
            HookEvent::Notification => "Notification",
            HookEvent::Stop => "Stop",
            HookEvent::SubagentStart => "SubagentStart",
            HookEvent::SubagentStop => "SubagentStop",
            HookEvent::PreCompact => "PreCompact",
            HookEvent::PostCompact => "PostCompact",
            HookEvent::SessionStart => "SessionStart",
            HookEvent::SessionEnd => "SessionEnd",
        }
    }

    pub fn parse(name: &str) -> Option<HookEvent> {
        HookEvent::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// Events whose matcher is ignored (Claude Code runs every group of them).
    pub fn ignores_matcher(self) -> bool {
        matches!(self, HookEvent::UserPromptSubmit | HookEvent::Stop)
    }
}

impl std::fmt::Display for HookEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Events of newer Claude Code versions that ccrs does not fire: named when configured, so
/// nobody relies on them unknowingly.
const UNSUPPORTED_EVENTS: &[&str] = &[
    "Setup",
    "InstructionsLoaded",
    "UserPromptExpansion",
    "MessageDisplay",
    "PostToolBatch",
    "PermissionDenied",
    "TaskCreated",
    "TaskCompleted",
    "StopFailure",
    "TeammateIdle",
    "ConfigChange",
    "CwdChanged",
    "DirectoryAdded",
    "FileChanged",
    "WorktreeCreate",
    "WorktreeRemove",
    "Elicitation",
    "ElicitationResult",
];

/// The default timeout of a command hook (Claude Code 2.1.3+; 2.0 used 60 s).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// Which shell runs a command hook's `command`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// `/bin/sh -c` (Claude Code's default).
    Sh,
    /// `bash -c` (`"shell": "bash"`).
    Bash,
}

/// One `{"type": "command", ...}` entry as configured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandHook {
    pub command: String,
    /// Exec form (`args`): `command` is the program, run without a shell.
    pub args: Option<Vec<String>>,
    pub shell: Shell,
}

impl CommandHook {
    /// How the hook is named in messages: the command line as configured.
    pub fn display(&self) -> String {
        match &self.args {
            None => self.command.clone(),
            Some(a) => std::iter::once(self.command.as_str())
                .chain(a.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// A hook read from a settings file.
#[derive(Clone, Debug)]
pub struct ConfiguredHook {
    pub event: HookEvent,
    pub matcher: Matcher,
    pub command: CommandHook,
    pub timeout: Duration,
    /// Shown while the hook runs.
    pub status_message: Option<String>,
    /// Runs in the background: its result is not waited for.
    pub run_async: bool,
    /// Runs once per session.
    pub once: bool,
    /// The file it comes from (`--settings` for inline JSON).
    pub origin: String,
    pub source: SettingsSource,
}

/// Hook entry keys ccrs reads; documentation keys that change nothing are accepted silently.
const HOOK_KEYS: &[&str] = &[
    "type",
    "command",
    "args",
    "shell",
    "timeout",
    "statusMessage",
    "async",
    "once",
];

/// Every hook of every layer, highest precedence first, and the problems found. With
/// `disableAllHooks` in a layer, that layer and those below it contribute nothing (a managed
/// setting turns off every hook); with `allowManagedHooksOnly` in the managed layer only managed
/// hooks run.
pub fn load(settings: &Settings) -> (Vec<ConfiguredHook>, Vec<String>) {
    let mut hooks = Vec::new();
    let mut warnings = Vec::new();
    let managed_only = settings.layers.iter().any(|l| {
        l.source == SettingsSource::Managed
            && l.value.get("allowManagedHooksOnly") == Some(&Value::Bool(true))
    });
    let disabled_from = settings
        .layers
        .iter()
        .position(|l| l.value.get("disableAllHooks") == Some(&Value::Bool(true)));
    for (i, layer) in settings.layers.iter().enumerate() {
        let origin = layer
            .path
            .as_ref()
            .map_or_else(|| "--settings".to_string(), |p| p.display().to_string());
        let Some(value) = layer.value.get("hooks") else {
            continue;
        };
        // Managed hooks stay unless the managed layer itself disables them.
        let disabled = match disabled_from {
            Some(d) if layer.source == SettingsSource::Managed => d <= i,
            Some(_) => true,
            None => false,
        };
        if disabled || (managed_only && layer.source != SettingsSource::Managed) {
            continue;
        }
        let Value::Object(events) = value else {
            if !value.is_null() {
                warnings.push(format!(
                    "{origin}: \"hooks\" must be an object of events; the value was ignored"
                ));
            }
            continue;
        };
        for (name, groups) in events {
            let Some(event) = HookEvent::parse(name) else {
                let why = if UNSUPPORTED_EVENTS.contains(&name.as_str()) {
                    "is not supported by this version of ccrs yet"
                } else {
                    "is not a hook event"
                };
                warnings.push(format!("{origin}: hooks.{name} {why}; ignored"));
                continue;
            };
            read_groups(
                event,
                groups,
                &origin,
                layer.source,
                &mut hooks,
                &mut warnings,
            );
        }
    }
    (hooks, warnings)
}

fn read_groups(
    event: HookEvent,
    groups: &Value,
    origin: &str,
    source: SettingsSource,
    out: &mut Vec<ConfiguredHook>,
    warnings: &mut Vec<String>,
) {
    let Value::Array(groups) = groups else {
        warnings.push(format!(
            "{origin}: hooks.{event} must be an array of matcher groups; ignored"
        ));
        return;
    };
    for (gi, group) in groups.iter().enumerate() {
        let at = format!("hooks.{event}[{gi}]");
        let Value::Object(group) = group else {
            warnings.push(format!("{origin}: {at} must be an object; ignored"));
            continue;
        };
        let matcher = match group.get("matcher") {
            None | Some(Value::Null) => Matcher::All,
            Some(Value::String(m)) => match Matcher::parse(m) {
                Ok(m) => m,
                Err(e) => {
                    warnings.push(format!(
                        "{origin}: {at}.matcher \"{m}\" is not a valid pattern ({e}); it matches the name exactly"
                    ));
                    Matcher::exact(m)
                }
            },
            Some(_) => {
                warnings.push(format!(
                    "{origin}: {at}.matcher must be a string; the group was ignored"
                ));
                continue;
            }
        };
        let Some(Value::Array(list)) = group.get("hooks") else {
            warnings.push(format!(
                "{origin}: {at}.hooks must be an array of hooks; the group was ignored"
            ));
            continue;
        };
        for (hi, h) in list.iter().enumerate() {
            let at = format!("{at}.hooks[{hi}]");
            match read_hook(h) {
                Ok((command, timeout, status_message, run_async, once, notes)) => {
                    for n in notes {
                        warnings.push(format!("{origin}: {at}: {n}"));
                    }
                    out.push(ConfiguredHook {
                        event,
                        matcher: matcher.clone(),
                        command,
                        timeout,
                        status_message,
                        run_async,
                        once,
                        origin: origin.to_string(),
                        source,
                    });
                }
                Err(e) => warnings.push(format!("{origin}: {at}: {e}; the hook was ignored")),
            }
        }
    }
}

type ReadHook = (
    CommandHook,
    Duration,
    Option<String>,
    bool,
    bool,
    Vec<String>,
);

fn read_hook(h: &Value) -> Result<ReadHook, String> {
    let Value::Object(h) = h else {
        return Err("must be an object".into());
    };
    let kind = h.get("type").and_then(Value::as_str).unwrap_or("");
    match kind {
        "command" => {}
        "" => return Err("\"type\" is missing (expected \"command\")".into()),
        "prompt" | "http" | "agent" | "mcp_tool" => {
            return Err(format!(
                "\"type\": \"{kind}\" hooks are not supported by this version of ccrs yet"
            ));
        }
        other => return Err(format!("\"type\": \"{other}\" is not a hook type")),
    }
    let command = h
        .get("command")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty())
        .ok_or("\"command\" must be a non-empty string")?
        .to_string();
    let mut notes = Vec::new();
    let args = match h.get("args") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Some(_) => return Err("\"args\" must be an array of strings".into()),
    };
    let shell = match h.get("shell").and_then(Value::as_str) {
        None | Some("sh") => Shell::Sh,
        Some("bash") => Shell::Bash,
        Some(other) => {
            notes.push(format!(
                "\"shell\": \"{other}\" is not available here; /bin/sh runs it"
            ));
            Shell::Sh
        }
    };
    let timeout = match h.get("timeout") {
        None | Some(Value::Null) => DEFAULT_TIMEOUT,
        Some(v) => match v.as_f64() {
            Some(s) if s.is_finite() && s > 0.0 => Duration::from_secs_f64(s.min(86_400.0)),
            _ => {
                notes.push(format!(
                    "\"timeout\" must be a positive number of seconds, not {v}; {} s applies",
                    DEFAULT_TIMEOUT.as_secs()
                ));
                DEFAULT_TIMEOUT
            }
        },
    };
    let flag = |k: &str| h.get(k).and_then(Value::as_bool).unwrap_or(false);
    let status_message = h
        .get("statusMessage")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string);
    for k in unknown_keys(h) {
        notes.push(format!(
            "\"{k}\" is not supported by this version of ccrs yet; the hook runs without it"
        ));
    }
    Ok((
        CommandHook {
            command,
            args,
            shell,
        },
        timeout,
        status_message,
        flag("async"),
        flag("once"),
        notes,
    ))
}

fn unknown_keys(h: &Map<String, Value>) -> Vec<&str> {
    h.keys()
        .map(String::as_str)
        .filter(|k| !HOOK_KEYS.contains(k) && *k != "description")
        .collect()
}

/// The `statusLine` setting: `{"type": "command", "command": "...", "padding": 0}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusLineConfig {
    pub command: String,
    pub padding: usize,
}

/// `statusLine` from the highest layer that sets it (a problem is a warning).
pub fn status_line(settings: &Settings) -> (Option<StatusLineConfig>, Option<String>) {
    let Some(v) = settings.get("statusLine") else {
        return (None, None);
    };
    let command = v
        .get("command")
        .and_then(Value::as_str)
        .filter(|c| !c.trim().is_empty());
    match (v.get("type").and_then(Value::as_str), command) {
        (Some("command") | None, Some(c)) => (
            Some(StatusLineConfig {
                command: c.to_string(),
                padding: v
                    .get("padding")
                    .and_then(Value::as_u64)
                    .map_or(0, |p| p.min(20) as usize),
            }),
            None,
        ),
        _ => (
            None,
            Some(
                "\"statusLine\" must be {\"type\": \"command\", \"command\": \"...\"}; ignored"
                    .into(),
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SettingsLayer;
    use serde_json::json;

    fn layer(source: SettingsSource, v: Value) -> SettingsLayer {
        let Value::Object(value) = v else { panic!() };
        SettingsLayer {
            source,
            path: Some(format!("/{}.json", source.as_str()).into()),
            value,
        }
    }

    fn settings(layers: Vec<SettingsLayer>) -> Settings {
        Settings {
            layers,
            warnings: vec![],
        }
    }

    #[test]
    fn reads_groups_of_every_layer_and_reports_problems() {
        let s = settings(vec![
            layer(
                SettingsSource::Project,
                json!({"hooks": {
                    "PreToolUse": [
                        {"matcher": "Write|Edit", "description": "doc only", "hooks": [
                            {"type": "command", "command": "$CLAUDE_PROJECT_DIR/x.sh", "timeout": 3, "statusMessage": "Checking"},
                            {"type": "prompt", "prompt": "is it safe?"},
                            {"type": "command"}
                        ]},
                        {"hooks": {"type": "command", "command": "y"}}
                    ],
                    "Stop": [{"hooks": [{"type": "command", "command": "z", "async": true, "if": "Bash(git *)", "timeout": "soon"}]}],
                    "TeammateIdle": [],
                    "Bogus": []
                }}),
            ),
            layer(
                SettingsSource::User,
                json!({"hooks": {"SessionStart": [{"matcher": "startup", "hooks": [{"type": "command", "command": "u", "args": ["a b", "c"]}]}]}}),
            ),
        ]);
        let (hooks, warnings) = load(&s);
        assert_eq!(hooks.len(), 3, "{hooks:?}");
        let h = &hooks[0];
        assert_eq!(h.event, HookEvent::PreToolUse);
        assert!(h.matcher.matches("Edit") && !h.matcher.matches("Read"));
        assert_eq!(h.timeout, Duration::from_secs(3));
        assert_eq!(h.status_message.as_deref(), Some("Checking"));
        assert_eq!(h.origin, "/project.json");
        assert!(hooks[1].run_async);
        assert_eq!(hooks[1].timeout, DEFAULT_TIMEOUT);
        assert_eq!(hooks[2].command.display(), "u a b c");
        let all = warnings.join("\n");
        for needle in [
            "hooks.PreToolUse[0].hooks[1]: \"type\": \"prompt\" hooks are not supported",
            "hooks.PreToolUse[0].hooks[2]: \"command\" must be a non-empty string",
            "hooks.PreToolUse[1].hooks must be an array",
            "\"if\" is not supported",
            "\"timeout\" must be a positive number",
            "hooks.TeammateIdle is not supported by this version of ccrs yet",
            "hooks.Bogus is not a hook event",
        ] {
            assert!(all.contains(needle), "missing {needle:?} in:\n{all}");
        }
        assert_eq!(warnings.len(), 7, "{all}");
    }

    #[test]
    fn disable_all_hooks_and_managed_only() {
        let hook =
            |c: &str| json!({"PreToolUse": [{"hooks": [{"type": "command", "command": c}]}]});
        let s = settings(vec![
            layer(SettingsSource::Managed, json!({"hooks": hook("m")})),
            layer(
                SettingsSource::Local,
                json!({"disableAllHooks": true, "hooks": hook("l")}),
            ),
            layer(SettingsSource::User, json!({"hooks": hook("u")})),
        ]);
        let names: Vec<String> = load(&s).0.into_iter().map(|h| h.command.command).collect();
        assert_eq!(names, ["m"]);
        let s = settings(vec![
            layer(
                SettingsSource::Managed,
                json!({"allowManagedHooksOnly": true}),
            ),
            layer(SettingsSource::User, json!({"hooks": hook("u")})),
        ]);
        assert!(load(&s).0.is_empty());
        let s = settings(vec![
            layer(
                SettingsSource::Managed,
                json!({"disableAllHooks": true, "hooks": hook("m")}),
            ),
            layer(SettingsSource::User, json!({"hooks": hook("u")})),
        ]);
        assert!(load(&s).0.is_empty());
    }

    #[test]
    fn status_line_setting() {
        let s = settings(vec![layer(
            SettingsSource::User,
            json!({"statusLine": {"type": "command", "command": "echo hi", "padding": 2}}),
        )]);
        assert_eq!(
            status_line(&s).0,
            Some(StatusLineConfig {
                command: "echo hi".into(),
                padding: 2
            })
        );
        let s = settings(vec![layer(
            SettingsSource::User,
            json!({"statusLine": {"type": "static", "text": "x"}}),
        )]);
        assert!(status_line(&s).0.is_none() && status_line(&s).1.is_some());
    }
}
