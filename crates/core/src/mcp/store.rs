//! Editing the files Claude Code keeps MCP servers in, the way `claude mcp add|remove` and its
//! approval dialog do (checked against Claude Code 2.1.197 on a scratch home):
//!
//! - local: `~/.claude.json` → `projects["<cwd>"].mcpServers` (a new project entry gets Claude
//!   Code's default fields); user: `~/.claude.json` → `mcpServers`; the file is created 0600;
//! - project: `.mcp.json` in the working directory;
//! - approvals of `.mcp.json` servers: `.claude/settings.local.json` (`enabledMcpjsonServers`,
//!   `enableAllProjectMcpServers`, `disabledMcpjsonServers`).
//!
//! JSON is written as Claude Code writes it (two-space indent) and atomically; a file that is not
//! valid JSON is left untouched and reported.

use super::config::{Scope, global_file, project_key};
use crate::settings::parse_settings;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StoreError(pub String);

/// A name `ccrs mcp add` accepts.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The answer to "use this project server?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    Yes,
    /// Yes, and every future `.mcp.json` server of this project.
    YesAll,
    No,
}

/// The files of one project.
#[derive(Clone, Debug)]
pub struct Files {
    pub global: PathBuf,
    pub cwd: PathBuf,
}

fn read_object(path: &Path) -> Result<Map<String, Value>, StoreError> {
    match std::fs::read_to_string(path) {
        Ok(t) if t.trim().is_empty() => Ok(Map::new()),
        Ok(t) => parse_settings(&t, &path.display().to_string())
            .map_err(|e| StoreError(e.replace("the file was skipped", "nothing was changed"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(StoreError(format!("{}: {e}", path.display()))),
    }
}

/// Reads `path`, lets `f` change it, writes it back atomically when `f` says it changed.
fn edit(
    path: &Path,
    mode: Option<u32>,
    newline: bool,
    f: impl FnOnce(&mut Map<String, Value>) -> Result<bool, StoreError>,
) -> Result<(), StoreError> {
    let mut doc = read_object(path)?;
    if !f(&mut doc)? {
        return Ok(());
    }
    let io = |e: std::io::Error| StoreError(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text =
        serde_json::to_string_pretty(&Value::Object(doc)).map_err(|e| StoreError(e.to_string()))?;
    if newline {
        text.push('\n');
    }
    crate::fsutil::atomic_write(path, text.as_bytes(), mode).map_err(io)
}

/// `doc[key]` as an object, created if absent.
fn object<'a>(
    doc: &'a mut Map<String, Value>,
    key: &str,
    file: &Path,
) -> Result<&'a mut Map<String, Value>, StoreError> {
    match doc.entry(key).or_insert_with(|| Value::Object(Map::new())) {
        Value::Object(m) => Ok(m),
        _ => Err(StoreError(format!(
            "{}: \"{key}\" is not an object; nothing was changed",
            file.display()
        ))),
    }
}

/// The project entry Claude Code creates.
fn new_project_entry() -> Value {
    json!({
        "allowedTools": [],
        "mcpContextUris": [],
        "mcpServers": {},
        "enabledMcpjsonServers": [],
        "disabledMcpjsonServers": [],
        "hasTrustDialogAccepted": false,
        "projectOnboardingSeenCount": 0,
        "hasClaudeMdExternalIncludesApproved": false,
        "hasClaudeMdExternalIncludesWarningShown": false
    })
}

impl Files {
    pub fn new(cwd: &Path) -> Files {
        Files {
            global: global_file(),
            cwd: cwd.to_path_buf(),
        }
    }

    pub fn mcp_json(&self) -> PathBuf {
        self.cwd.join(".mcp.json")
    }

    pub fn local_settings(&self) -> PathBuf {
        self.cwd.join(".claude").join("settings.local.json")
    }

    /// Where a scope's servers are written, as `claude mcp` names it in "File modified".
    pub fn describe(&self, scope: Scope) -> String {
        match scope {
            Scope::Local => format!(
                "{} [project: {}]",
                self.global.display(),
                project_key(&self.cwd)
            ),
            Scope::User => self.global.display().to_string(),
            Scope::Project => self.mcp_json().display().to_string(),
            Scope::Dynamic => "--mcp-config".into(),
        }
    }

    /// The servers of one scope as stored.
    pub fn servers(&self, scope: Scope) -> Result<Map<String, Value>, StoreError> {
        let get = |v: Option<&Value>| v.and_then(Value::as_object).cloned().unwrap_or_default();
        Ok(match scope {
            Scope::Project => get(read_object(&self.mcp_json())?.get("mcpServers")),
            Scope::User => get(read_object(&self.global)?.get("mcpServers")),
            Scope::Local => {
                let doc = read_object(&self.global)?;
                get(doc
                    .get("projects")
                    .and_then(|p| p.get(project_key(&self.cwd)))
                    .and_then(|p| p.get("mcpServers")))
            }
            Scope::Dynamic => Map::new(),
        })
    }

    /// Every configured server (project ones whether approved or not), in Claude Code's
    /// listing order: user, project, local.
    pub fn all(&self) -> Result<Vec<(Scope, String, Value)>, StoreError> {
        let mut out = Vec::new();
        for scope in [Scope::User, Scope::Project, Scope::Local] {
            for (k, v) in self.servers(scope)? {
                out.push((scope, k, v));
            }
        }
        Ok(out)
    }

    /// Adds a server; an existing one of the same name in that scope is an error.
    pub fn add(&self, scope: Scope, name: &str, entry: Value) -> Result<(), StoreError> {
        if !valid_name(name) {
            return Err(StoreError(format!(
                "Invalid name {name}. Names can only contain letters, numbers, hyphens, and underscores."
            )));
        }
        let exists = || {
            StoreError(format!(
                "MCP server {name} already exists in {} config",
                scope.as_str()
            ))
        };
        match scope {
            Scope::Project => {
                let path = self.mcp_json();
                edit(&path, None, false, |doc| {
                    let servers = object(doc, "mcpServers", &path)?;
                    if servers.contains_key(name) {
                        return Err(exists());
                    }
                    servers.insert(name.to_string(), entry);
                    Ok(true)
                })
            }
            Scope::User | Scope::Local => {
                let path = self.global.clone();
                edit(&path, Some(0o600), false, |doc| {
                    let servers = if scope == Scope::User {
                        object(doc, "mcpServers", &path)?
                    } else {
                        let projects = object(doc, "projects", &path)?;
                        let p = projects
                            .entry(project_key(&self.cwd))
                            .or_insert_with(new_project_entry);
                        let Value::Object(p) = p else {
                            return Err(StoreError(format!(
                                "{}: the project entry is not an object; nothing was changed",
                                path.display()
                            )));
                        };
                        object(p, "mcpServers", &path)?
                    };
                    if servers.contains_key(name) {
                        return Err(exists());
                    }
                    servers.insert(name.to_string(), entry);
                    Ok(true)
                })
            }
            Scope::Dynamic => Err(StoreError("cannot add to --mcp-config".into())),
        }
    }

    /// Removes a server from `scope`, or from the one scope that has it.
    pub fn remove(&self, name: &str, scope: Option<Scope>) -> Result<Scope, StoreError> {
        let scope = match scope {
            Some(s) => {
                if !self.servers(s)?.contains_key(name) {
                    return Err(StoreError(format!(
                        "No MCP server named \"{name}\" in {} scope",
                        s.as_str()
                    )));
                }
                s
            }
            None => {
                let found: Vec<Scope> = [Scope::Local, Scope::Project, Scope::User]
                    .into_iter()
                    .filter(|s| self.servers(*s).is_ok_and(|m| m.contains_key(name)))
                    .collect();
                match found.as_slice() {
                    [one] => *one,
                    [] => {
                        let names: Vec<String> =
                            self.all()?.into_iter().map(|(_, n, _)| n).collect();
                        let mut names = names;
                        names.sort();
                        names.dedup();
                        return Err(StoreError(format!(
                            "No MCP server named \"{name}\". Configured servers: {}",
                            names.join(", ")
                        )));
                    }
                    many => {
                        let mut msg = format!("MCP server \"{name}\" exists in multiple scopes:\n");
                        for s in many {
                            msg.push_str(&format!(
                                "  - {} ({})\n",
                                s.describe(),
                                self.describe(*s)
                            ));
                        }
                        msg.push_str("\nTo remove from a specific scope, use:\n");
                        for s in many {
                            msg.push_str(&format!("  ccrs mcp remove {name} -s {}\n", s.as_str()));
                        }
                        return Err(StoreError(msg.trim_end().to_string()));
                    }
                }
            }
        };
        let drop_from = |m: &mut Map<String, Value>| -> bool {
            m.get_mut("mcpServers")
                .and_then(Value::as_object_mut)
                .is_some_and(|s| s.remove(name).is_some())
        };
        match scope {
            Scope::Project => edit(&self.mcp_json(), None, false, |doc| Ok(drop_from(doc)))?,
            Scope::User => edit(&self.global, Some(0o600), false, |doc| Ok(drop_from(doc)))?,
            Scope::Local => edit(&self.global, Some(0o600), false, |doc| {
                Ok(doc
                    .get_mut("projects")
                    .and_then(|p| p.get_mut(project_key(&self.cwd)))
                    .and_then(Value::as_object_mut)
                    .is_some_and(drop_from))
            })?,
            Scope::Dynamic => {}
        }
        Ok(scope)
    }

    /// Remembers the answer about project servers, where Claude Code's dialog does.
    pub fn approve(&self, names: &[String], choice: Approval) -> Result<(), StoreError> {
        let path = self.local_settings();
        edit(&path, None, true, |doc| {
            let key = match choice {
                Approval::No => "disabledMcpjsonServers",
                _ => "enabledMcpjsonServers",
            };
            let list = doc.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            let Value::Array(list) = list else {
                return Err(StoreError(format!(
                    "{}: \"{key}\" is not an array; nothing was changed",
                    path.display()
                )));
            };
            for n in names {
                if !list.iter().any(|v| v.as_str() == Some(n)) {
                    list.push(Value::String(n.clone()));
                }
            }
            if choice == Approval::YesAll {
                doc.insert("enableAllProjectMcpServers".into(), Value::Bool(true));
            }
            Ok(true)
        })
    }

    /// Forgets every approval and rejection of this project's `.mcp.json` servers.
    pub fn reset_project_choices(&self) -> Result<(), StoreError> {
        const KEYS: [&str; 3] = [
            "enabledMcpjsonServers",
            "disabledMcpjsonServers",
            "enableAllProjectMcpServers",
        ];
        edit(&self.global, Some(0o600), false, |doc| {
            let Some(p) = doc
                .get_mut("projects")
                .and_then(|p| p.get_mut(project_key(&self.cwd)))
                .and_then(Value::as_object_mut)
            else {
                return Ok(false);
            };
            let mut changed = false;
            for k in KEYS {
                changed |= p.remove(k).is_some();
            }
            Ok(changed)
        })?;
        let path = self.local_settings();
        if path.exists() {
            edit(&path, None, true, |doc| {
                let mut changed = false;
                for k in KEYS {
                    changed |= doc.remove(k).is_some();
                }
                Ok(changed)
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_remove_and_approve_like_claude_code() {
        let d = tempfile::tempdir().unwrap();
        let f = Files {
            global: d.path().join("home/.claude.json"),
            cwd: d.path().join("proj"),
        };
        std::fs::create_dir_all(&f.cwd).unwrap();
        let stdio = json!({"type": "stdio", "command": "echo", "args": ["hi"], "env": {}});
        f.add(Scope::Local, "a", stdio.clone()).unwrap();
        f.add(
            Scope::User,
            "a",
            json!({"type": "http", "url": "https://h/mcp"}),
        )
        .unwrap();
        f.add(
            Scope::Project,
            "p",
            json!({"type": "sse", "url": "https://h/sse"}),
        )
        .unwrap();
        assert!(
            f.add(Scope::Local, "a", stdio.clone())
                .unwrap_err()
                .0
                .contains("already exists in local config")
        );
        assert!(
            f.add(Scope::Local, "bad name", stdio)
                .unwrap_err()
                .0
                .starts_with("Invalid name")
        );
        let g: Value = serde_json::from_str(&std::fs::read_to_string(&f.global).unwrap()).unwrap();
        let key = f.cwd.to_string_lossy().into_owned();
        assert_eq!(g["projects"][&key]["mcpServers"]["a"]["command"], "echo");
        assert_eq!(g["projects"][&key]["hasTrustDialogAccepted"], false);
        assert_eq!(g["mcpServers"]["a"]["url"], "https://h/mcp");
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&f.global).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let mcp_json = std::fs::read_to_string(f.mcp_json()).unwrap();
        assert_eq!(
            mcp_json,
            "{\n  \"mcpServers\": {\n    \"p\": {\n      \"type\": \"sse\",\n      \"url\": \"https://h/sse\"\n    }\n  }\n}"
        );
        // Two scopes: remove needs -s.
        let e = f.remove("a", None).unwrap_err().0;
        assert!(
            e.contains("exists in multiple scopes") && e.contains("ccrs mcp remove a -s user"),
            "{e}"
        );
        assert_eq!(f.remove("a", Some(Scope::User)).unwrap(), Scope::User);
        assert_eq!(f.remove("a", None).unwrap(), Scope::Local);
        assert!(
            f.remove("a", None)
                .unwrap_err()
                .0
                .starts_with("No MCP server named \"a\". Configured servers: p")
        );
        assert!(
            f.remove("zz", Some(Scope::User))
                .unwrap_err()
                .0
                .contains("in user scope")
        );
        assert_eq!(f.remove("p", None).unwrap(), Scope::Project);
        assert_eq!(
            std::fs::read_to_string(f.mcp_json()).unwrap(),
            "{\n  \"mcpServers\": {}\n}"
        );
        // Approvals go to settings.local.json, and reset removes them.
        f.approve(&["p".into()], Approval::Yes).unwrap();
        f.approve(&["q".into()], Approval::YesAll).unwrap();
        f.approve(&["r".into()], Approval::No).unwrap();
        let s: Value =
            serde_json::from_str(&std::fs::read_to_string(f.local_settings()).unwrap()).unwrap();
        assert_eq!(
            s,
            json!({"enabledMcpjsonServers": ["p", "q"], "enableAllProjectMcpServers": true, "disabledMcpjsonServers": ["r"]})
        );
        f.reset_project_choices().unwrap();
        assert_eq!(std::fs::read_to_string(f.local_settings()).unwrap(), "{}\n");
        // A broken file is left alone.
        std::fs::write(&f.global, "{oops").unwrap();
        assert!(f.add(Scope::User, "x", json!({})).is_err());
        assert_eq!(std::fs::read_to_string(&f.global).unwrap(), "{oops");
    }
}
