//! Which MCP servers a session has, read the way Claude Code reads them.
//!
//! | scope | where | precedence on a name clash |
//! |---|---|---|
//! | dynamic | `--mcp-config <file or JSON>` (repeatable) | highest |
//! | local | `~/.claude.json` → `projects["<cwd>"].mcpServers` | |
//! | project | `.mcp.json` in the working directory (needs approval) | |
//! | user | `~/.claude.json` → `mcpServers` | lowest |
//!
//! `--strict-mcp-config` keeps only the dynamic ones. `.mcp.json` is read only when the
//! `project` setting source is on. A project server runs once approved: `disabledMcpjsonServers`
//! (any settings layer, or the legacy list in `~/.claude.json`) rejects it, then
//! `enableAllProjectMcpServers` or `enabledMcpjsonServers` approve it; otherwise it is pending —
//! print mode and the SDK use it anyway (as Claude Code does), the terminal UI asks once and
//! remembers the answer in `.claude/settings.local.json` (see [`super::store`]).
//!
//! `${VAR}` and `${VAR:-default}` are expanded in `command`, `args`, `env`, `url` and `headers`;
//! a variable that is unset and has no default stays as written, with a warning.

use crate::settings::{SettingsSource, parse_settings};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a server's configuration comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// `--mcp-config`.
    Dynamic,
    Local,
    Project,
    User,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Dynamic => "dynamic",
            Scope::Local => "local",
            Scope::Project => "project",
            Scope::User => "user",
        }
    }

    /// How `ccrs mcp get` describes it (Claude Code's words).
    pub fn describe(self) -> &'static str {
        match self {
            Scope::Dynamic => "Dynamic config (from --mcp-config)",
            Scope::Local => "Local config (private to you in this project)",
            Scope::Project => "Project config (shared via .mcp.json)",
            Scope::User => "User config (available in all your projects)",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "local" => Some(Scope::Local),
            "project" => Some(Scope::Project),
            "user" => Some(Scope::User),
            _ => None,
        }
    }
}

/// How ccrs talks to a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportConfig {
    Stdio {
        command: String,
        args: Vec<String>,
        env: Vec<(String, String)>,
    },
    /// Streamable HTTP (`http`, `streamable-http`).
    Http {
        url: String,
        headers: Vec<(String, String)>,
        headers_helper: Option<String>,
    },
    /// The legacy HTTP+SSE transport.
    Sse {
        url: String,
        headers: Vec<(String, String)>,
        headers_helper: Option<String>,
    },
    /// A server inside the SDK host process (`{"type":"sdk","name":…}`), reached through the
    /// control protocol.
    Sdk { name: String },
}

impl TransportConfig {
    pub fn kind(&self) -> &'static str {
        match self {
            TransportConfig::Stdio { .. } => "stdio",
            TransportConfig::Http { .. } => "http",
            TransportConfig::Sse { .. } => "sse",
            TransportConfig::Sdk { .. } => "sdk",
        }
    }

    /// `command args` or the URL, for lists.
    pub fn target(&self) -> String {
        match self {
            TransportConfig::Stdio { command, args, .. } => {
                let mut s = command.clone();
                for a in args {
                    s.push(' ');
                    s.push_str(a);
                }
                s
            }
            TransportConfig::Http { url, .. } | TransportConfig::Sse { url, .. } => url.clone(),
            TransportConfig::Sdk { name } => format!("(SDK server {name})"),
        }
    }
}

/// One configured server.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerConfig {
    /// The name as configured.
    pub name: String,
    pub scope: Scope,
    /// `Err`: why the entry cannot be used (the server is reported failed, the rest go on).
    pub transport: Result<TransportConfig, String>,
    /// `timeout` (ms): this server's start-up limit instead of `MCP_TIMEOUT`.
    pub timeout: Option<Duration>,
    /// `alwaysLoad`: its tools are never deferred.
    pub always_load: bool,
    /// Variables used but not set (left as written).
    pub missing_vars: Vec<String>,
}

/// What [`load`] found.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Servers to start (approved or pending, see `pending`), in listing order.
    pub servers: Vec<ServerConfig>,
    /// Project servers nobody approved or rejected yet.
    pub pending: Vec<String>,
    /// Project servers rejected by `disabledMcpjsonServers`.
    pub rejected: Vec<String>,
    /// Unreadable files and entries, to show once.
    pub warnings: Vec<String>,
}

/// Where to look.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub cwd: PathBuf,
    /// `~/.claude.json` (or `$CLAUDE_CONFIG_DIR/.claude.json`).
    pub global_file: PathBuf,
    /// `--mcp-config` values: files (relative to `cwd`) or inline JSON.
    pub flag_configs: Vec<String>,
    /// `--strict-mcp-config`.
    pub strict: bool,
    /// The `project` setting source is on (`.mcp.json` is read).
    pub project_source: bool,
    /// The `user` and `local` setting sources are on (`~/.claude.json` servers are read).
    pub user_source: bool,
}

/// `~/.claude.json`, or `.claude.json` inside `$CLAUDE_CONFIG_DIR` when that is set.
pub fn global_file() -> PathBuf {
    match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join(".claude.json"),
        None => crate::paths::home_dir()
            .unwrap_or_else(|| PathBuf::from("/"))
            .join(".claude.json"),
    }
}

/// The key of a project in `~/.claude.json` (`projects`): its absolute path.
pub fn project_key(cwd: &Path) -> String {
    cwd.to_string_lossy().into_owned()
}

/// The parts of `~/.claude.json` that concern MCP; everything else is skipped without being
/// kept in memory (the file can be large).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GlobalFile {
    #[serde(default)]
    pub mcp_servers: Option<Map<String, Value>>,
    #[serde(default)]
    pub projects: HashMap<String, ProjectEntry>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProjectEntry {
    #[serde(default)]
    pub mcp_servers: Option<Map<String, Value>>,
    #[serde(default)]
    pub enabled_mcpjson_servers: Option<Vec<Value>>,
    #[serde(default)]
    pub disabled_mcpjson_servers: Option<Vec<Value>>,
    #[serde(default)]
    pub enable_all_project_mcp_servers: Option<bool>,
}

pub(crate) fn read_global(path: &Path, warnings: &mut Vec<String>) -> GlobalFile {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return GlobalFile::default(),
        Err(e) => {
            warnings.push(format!("{}: {e}", path.display()));
            return GlobalFile::default();
        }
    };
    match serde_json::from_slice::<GlobalFile>(&text) {
        Ok(g) => g,
        Err(e) => {
            warnings.push(format!(
                "{}: cannot read its MCP servers: {e}",
                path.display()
            ));
            GlobalFile::default()
        }
    }
}

/// Expands `${VAR}` and `${VAR:-default}` (the default applies when VAR is unset or empty).
/// An unset variable without a default is kept as written and its name added to `missing`.
pub fn expand(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    missing: &mut Vec<String>,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = &after[..end];
        let (name, default) = match inner.split_once(":-") {
            Some((n, d)) => (n, Some(d)),
            None => (inner, None),
        };
        let value = lookup(name).filter(|v| default.is_none() || !v.is_empty());
        match (value, default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                if !missing.iter().any(|m| m == name) {
                    missing.push(name.to_string());
                }
                out.push_str(&rest[i..i + 3 + end]);
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

fn string_map(
    v: Option<&Value>,
    field: &str,
    x: &mut dyn FnMut(&str) -> String,
) -> Result<Vec<(String, String)>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), x(s))),
                // Numbers and booleans are common in hand-written files; use their text.
                Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
                _ => Err(format!("\"{field}.{k}\" must be a string")),
            })
            .collect(),
        Some(_) => Err(format!("\"{field}\" must be an object")),
    }
}

/// Interprets one `mcpServers` entry. `lookup` reads a variable for expansion.
pub fn parse_server(
    name: &str,
    scope: Scope,
    v: &Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> ServerConfig {
    let mut missing = Vec::new();
    let mut server = ServerConfig {
        name: name.to_string(),
        scope,
        transport: Err(String::new()),
        timeout: None,
        always_load: false,
        missing_vars: Vec::new(),
    };
    let Some(obj) = v.as_object() else {
        server.transport = Err("the entry must be a JSON object".into());
        return server;
    };
    server.timeout = obj
        .get("timeout")
        .and_then(Value::as_u64)
        .filter(|t| *t > 0)
        .map(Duration::from_millis);
    server.always_load = obj.get("alwaysLoad").and_then(Value::as_bool) == Some(true);
    let str_field = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    let ty = match obj.get("type") {
        None | Some(Value::Null) => {
            if obj.contains_key("command") || !obj.contains_key("url") {
                "stdio"
            } else {
                "http"
            }
        }
        Some(Value::String(t)) => t.as_str(),
        Some(_) => "",
    };
    let mut x = |s: &str| expand(s, lookup, &mut missing);
    server.transport = (|| match ty {
        "stdio" => {
            let command = str_field("command")
                .filter(|c| !c.trim().is_empty())
                .ok_or("\"command\" is missing or empty")?;
            let args = match obj.get("args") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| v.as_str().map(&mut x).ok_or("\"args\" must be strings"))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("\"args\" must be an array of strings".to_string()),
            };
            Ok(TransportConfig::Stdio {
                command: x(&command),
                args,
                env: string_map(obj.get("env"), "env", &mut x)?,
            })
        }
        "http" | "streamable-http" | "sse" => {
            let url = str_field("url").ok_or("\"url\" is missing")?;
            let url = x(&url);
            let headers = string_map(obj.get("headers"), "headers", &mut x)?;
            let headers_helper = str_field("headersHelper");
            Ok(if ty == "sse" {
                TransportConfig::Sse {
                    url,
                    headers,
                    headers_helper,
                }
            } else {
                TransportConfig::Http {
                    url,
                    headers,
                    headers_helper,
                }
            })
        }
        "sdk" => Ok(TransportConfig::Sdk {
            name: str_field("name").unwrap_or_else(|| name.to_string()),
        }),
        "ws" | "ws-ide" | "sse-ide" => Err(format!(
            "the \"{ty}\" transport is not supported by ccrs (use stdio, http or sse)"
        )),
        other => Err(format!(
            "unknown transport type \"{other}\" (expected stdio, http or sse)"
        )),
    })();
    server.missing_vars = missing;
    server
}

/// The `mcpServers` object of a config document (`.mcp.json`, `--mcp-config`).
fn servers_of(doc: &Value, origin: &str, warnings: &mut Vec<String>) -> Map<String, Value> {
    match doc.get("mcpServers") {
        Some(Value::Object(m)) => m.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => {
            warnings.push(format!("{origin}: \"mcpServers\" must be an object"));
            Map::new()
        }
    }
}

/// Reads a config document from a file; a missing file is `None` without a warning only when
/// `optional`.
fn read_doc(path: &Path, optional: bool, warnings: &mut Vec<String>) -> Option<Value> {
    match std::fs::read_to_string(path) {
        Ok(t) => match parse_settings(&t, &path.display().to_string()) {
            Ok(m) => Some(Value::Object(m)),
            Err(e) => {
                warnings.push(e);
                None
            }
        },
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            warnings.push(format!("{}: {e}", path.display()));
            None
        }
    }
}

/// One `--mcp-config` value: inline JSON, or a file relative to `cwd`.
fn flag_doc(value: &str, cwd: &Path, warnings: &mut Vec<String>) -> Option<Value> {
    if value.trim_start().starts_with('{') {
        return match parse_settings(value, "--mcp-config") {
            Ok(m) => Some(Value::Object(m)),
            Err(e) => {
                warnings.push(e);
                None
            }
        };
    }
    read_doc(&cwd.join(value), false, warnings)
}

/// The approval lists of the settings layers and the legacy project entry.
#[derive(Default)]
struct Approvals {
    all: bool,
    enabled: Vec<String>,
    disabled: Vec<String>,
}

fn names(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn approvals(layers: &[(SettingsSource, &Map<String, Value>)], legacy: &ProjectEntry) -> Approvals {
    let mut a = Approvals::default();
    for (_, l) in layers {
        a.all |= l.get("enableAllProjectMcpServers").and_then(Value::as_bool) == Some(true);
        a.enabled.extend(names(l.get("enabledMcpjsonServers")));
        a.disabled.extend(names(l.get("disabledMcpjsonServers")));
    }
    a.all |= legacy.enable_all_project_mcp_servers == Some(true);
    let legacy_names = |v: &Option<Vec<Value>>| -> Vec<String> {
        v.iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    };
    a.enabled
        .extend(legacy_names(&legacy.enabled_mcpjson_servers));
    a.disabled
        .extend(legacy_names(&legacy.disabled_mcpjson_servers));
    a
}

/// Whether a project server may run: `Some(true)` approved, `Some(false)` rejected, `None`
/// pending.
fn approval(a: &Approvals, name: &str) -> Option<bool> {
    if a.disabled.iter().any(|n| n == name) {
        Some(false)
    } else if a.all || a.enabled.iter().any(|n| n == name) {
        Some(true)
    } else {
        None
    }
}

/// Collects the servers of every source, precedence applied. `layers` are the settings
/// layers (for the approval keys); `lookup` reads variables for `${VAR}` expansion.
pub fn load(
    src: &Sources,
    layers: &[(SettingsSource, &Map<String, Value>)],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Loaded {
    let mut out = Loaded::default();
    let mut found: Vec<(Scope, String, Value)> = Vec::new();
    for value in &src.flag_configs {
        if let Some(doc) = flag_doc(value, &src.cwd, &mut out.warnings) {
            let origin = if value.trim_start().starts_with('{') {
                "--mcp-config".to_string()
            } else {
                format!("--mcp-config {value}")
            };
            for (k, v) in servers_of(&doc, &origin, &mut out.warnings) {
                found.push((Scope::Dynamic, k, v));
            }
        }
    }
    let mut legacy = ProjectEntry::default();
    if !src.strict {
        let global = if src.user_source || src.project_source {
            read_global(&src.global_file, &mut out.warnings)
        } else {
            GlobalFile::default()
        };
        if let Some(p) = global.projects.get(&project_key(&src.cwd)) {
            legacy = p.clone();
        }
        if src.user_source {
            for (k, v) in legacy.mcp_servers.clone().unwrap_or_default() {
                found.push((Scope::Local, k, v));
            }
        }
        if src.project_source {
            let path = src.cwd.join(".mcp.json");
            if let Some(doc) = read_doc(&path, true, &mut out.warnings) {
                let origin = path.display().to_string();
                for (k, v) in servers_of(&doc, &origin, &mut out.warnings) {
                    found.push((Scope::Project, k, v));
                }
            }
        }
        if src.user_source {
            for (k, v) in global.mcp_servers.unwrap_or_default() {
                found.push((Scope::User, k, v));
            }
        }
    }
    let approvals = approvals(layers, &legacy);
    // `found` is in precedence order: the first entry of a name wins. Listed in Claude
    // Code's order: user, project, local, dynamic.
    let mut winners: Vec<&(Scope, String, Value)> = Vec::new();
    for f in &found {
        if !winners.iter().any(|w| w.1 == f.1) {
            winners.push(f);
        }
    }
    winners.sort_by_key(|(scope, _, _)| std::cmp::Reverse(*scope));
    for (winner, name, v) in winners {
        let winner = *winner;
        if winner == Scope::Project {
            match approval(&approvals, name) {
                Some(false) => {
                    out.rejected.push(name.clone());
                    continue;
                }
                None => out.pending.push(name.clone()),
                Some(true) => {}
            }
        }
        let server = parse_server(name, winner, v, lookup);
        // Accepted but not honoured yet: said once, so nobody relies on it unknowingly.
        if v.get("oauth").is_some_and(|o| !o.is_null()) {
            out.warnings.push(format!(
                "MCP server \"{name}\": \"oauth\" is not supported by ccrs yet; the server is \
                 used with its configured headers only"
            ));
        }
        if !server.missing_vars.is_empty() {
            out.warnings.push(format!(
                "MCP server \"{name}\": {} not set; used as written",
                server
                    .missing_vars
                    .iter()
                    .map(|v| format!("${{{v}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        out.servers.push(server);
    }
    out
}

/// A tool or server name as it appears in `mcp__server__tool`: every character outside
/// `[A-Za-z0-9_-]` becomes `_`.
pub fn normalize_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(k: &str) -> Option<String> {
        match k {
            "HOME" => Some("/home/u".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expansion() {
        let mut missing = Vec::new();
        let mut x = |s: &str| expand(s, &env, &mut missing);
        assert_eq!(x("${HOME}/bin"), "/home/u/bin");
        assert_eq!(x("a${NOPE:-def}b"), "adefb");
        assert_eq!(x("${EMPTY:-d}"), "d");
        assert_eq!(x("${EMPTY}"), "");
        assert_eq!(x("${HOME:-x}"), "/home/u");
        assert_eq!(x("keep ${NOPE} and ${NOPE}"), "keep ${NOPE} and ${NOPE}");
        assert_eq!(x("unclosed ${HOME"), "unclosed ${HOME");
        assert_eq!(x("$HOME ${}"), "$HOME ${}");
        assert_eq!(x("${A:-}x"), "x");
        assert_eq!(missing, ["NOPE", ""]);
    }

    #[test]
    fn entries_parse() {
        let s = parse_server(
            "a",
            Scope::User,
            &json!({"command": "${HOME}/srv", "args": ["-x", "${NOPE:-y}"], "env": {"K": "${HOME}", "N": 3}}),
            &env,
        );
        assert_eq!(
            s.transport,
            Ok(TransportConfig::Stdio {
                command: "/home/u/srv".into(),
                args: vec!["-x".into(), "y".into()],
                env: vec![("K".into(), "/home/u".into()), ("N".into(), "3".into())],
            })
        );
        let h = parse_server(
            "h",
            Scope::User,
            &json!({"type": "streamable-http", "url": "https://h/${NOPE}", "headers": {"A": "b"}, "timeout": 500, "alwaysLoad": true}),
            &env,
        );
        assert_eq!(h.transport.as_ref().map(TransportConfig::kind), Ok("http"));
        assert_eq!(h.missing_vars, ["NOPE"]);
        assert_eq!(h.timeout, Some(Duration::from_millis(500)));
        assert!(h.always_load);
        for (bad, why) in [
            (json!({"command": ""}), "command"),
            (json!({"command": "x", "args": "y"}), "args"),
            (json!({"type": "ws", "url": "ws://x"}), "not supported"),
            (json!({"type": "bogus"}), "unknown transport"),
            (json!({"type": "sse"}), "url"),
            (json!({"command": "x", "env": {"K": []}}), "env.K"),
            (json!([]), "object"),
        ] {
            let e = parse_server("b", Scope::User, &bad, &env)
                .transport
                .unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert_eq!(normalize_name("my server.v2"), "my_server_v2");
    }

    fn write(p: &Path, v: Value) {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, v.to_string()).unwrap();
    }

    #[test]
    fn sources_precedence_and_approval() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("proj");
        let global = d.path().join("home/.claude.json");
        let srv = |c: &str| json!({"command": c});
        write(
            &global,
            json!({
                "mcpServers": {"u": srv("user"), "both": srv("user"), "p2": srv("user")},
                "projects": {cwd.to_string_lossy(): {"mcpServers": {"both": srv("local")},
                                                     "disabledMcpjsonServers": ["legacy_no"]}},
                "other": {"big": [1, 2, 3]}
            }),
        );
        write(
            &cwd.join(".mcp.json"),
            json!({"mcpServers": {"p": srv("proj"), "p2": srv("proj"), "new": srv("proj"),
                                  "legacy_no": srv("proj"), "no": srv("proj")}}),
        );
        let mut src = Sources {
            cwd: cwd.clone(),
            global_file: global,
            flag_configs: vec![r#"{"mcpServers": {"both": {"command": "flag"}}}"#.into()],
            strict: false,
            project_source: true,
            user_source: true,
        };
        let local: Map<String, Value> = serde_json::from_value(json!({
            "enabledMcpjsonServers": ["p", "no"], "disabledMcpjsonServers": ["no"]
        }))
        .unwrap();
        let user: Map<String, Value> =
            serde_json::from_value(json!({"enabledMcpjsonServers": ["p2"]})).unwrap();
        let layers = [
            (SettingsSource::Local, &local),
            (SettingsSource::User, &user),
        ];
        let l = load(&src, &layers, &env);
        let got: Vec<(String, Scope, String)> = l
            .servers
            .iter()
            .map(|s| {
                (
                    s.name.clone(),
                    s.scope,
                    s.transport.clone().unwrap().target(),
                )
            })
            .collect();
        let want = [
            ("u", Scope::User, "user"),
            ("p", Scope::Project, "proj"),
            ("p2", Scope::Project, "proj"),
            ("new", Scope::Project, "proj"),
            ("both", Scope::Dynamic, "flag"),
        ];
        assert_eq!(got, want.map(|(a, b, c)| (a.to_string(), b, c.to_string())));
        assert_eq!(l.pending, ["new"]);
        let mut rejected = l.rejected.clone();
        rejected.sort();
        assert_eq!(rejected, ["legacy_no", "no"]);
        // Strict: only --mcp-config.
        src.strict = true;
        let l = load(&src, &layers, &env);
        assert_eq!(l.servers.len(), 1);
        // No project source: .mcp.json is not read.
        src.strict = false;
        src.project_source = false;
        assert!(
            !load(&src, &layers, &env)
                .servers
                .iter()
                .any(|s| s.scope == Scope::Project)
        );
        // A bad file is reported, the rest is read.
        std::fs::write(cwd.join(".mcp.json"), "{bad").unwrap();
        src.project_source = true;
        let l = load(&src, &layers, &env);
        assert!(
            l.warnings.iter().any(|w| w.contains(".mcp.json")),
            "{:?}",
            l.warnings
        );
        assert!(l.servers.iter().any(|s| s.name == "u"));
    }
}
