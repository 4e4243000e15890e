//! `ccrs mcp add|add-json|remove|list|get|reset-project-choices`: the same files, entries and
//! messages as `claude mcp` (Claude Code 2.1.197), with `ccrs` in the hints.

use crate::args::{AddArgs, McpCommand};
use crate::output;
use anyhow::{Result, anyhow, bail};
use ccrs_core::agent::ToolSet;
use ccrs_core::mcp::config::{self, Scope, TransportConfig};
use ccrs_core::mcp::store::Files;
use ccrs_core::mcp::{McpManager, StartContext, State};
use ccrs_core::session::SessionOptions;
use serde_json::{Map, Value, json};
use std::path::Path;

fn scope_arg(s: Option<&str>) -> Result<Scope> {
    let s = s.unwrap_or("local");
    Scope::parse(s)
        .ok_or_else(|| anyhow!("Invalid scope: {s}. Must be one of: local, user, project"))
}

fn pairs(items: &[String], sep: char, what: &str) -> Result<Map<String, Value>> {
    let mut m = Map::new();
    for i in items {
        let Some((k, v)) = i.split_once(sep) else {
            bail!(
                "Invalid {what} format: \"{i}\". Expected format: {}",
                if sep == '=' {
                    "\"KEY=value\""
                } else {
                    "\"Header-Name: value\""
                }
            );
        };
        let (k, v) = if sep == ':' {
            (k.trim(), v.trim())
        } else {
            (k, v)
        };
        if k.is_empty() {
            bail!("Invalid {what} format: \"{i}\"");
        }
        m.insert(k.to_string(), Value::String(v.to_string()));
    }
    Ok(m)
}

fn add(files: &Files, a: &AddArgs) -> Result<()> {
    let scope = scope_arg(a.scope.as_deref())?;
    let transport = match a.transport.as_deref().unwrap_or("stdio") {
        "stdio" => "stdio",
        "sse" => "sse",
        "http" | "streamable-http" => "http",
        other => bail!(
            "Invalid transport type: {other}. Must be one of: stdio, sse, http (or streamable-http)"
        ),
    };
    let (entry, what) = if transport == "stdio" {
        let entry = json!({"type": "stdio", "command": a.target, "args": a.args, "env": pairs(&a.env, '=', "environment variable")?});
        let mut line = a.target.clone();
        for arg in &a.args {
            line.push(' ');
            line.push_str(arg);
        }
        (
            entry,
            format!("stdio MCP server {} with command: {line}", a.name),
        )
    } else {
        let mut entry = json!({"type": transport, "url": a.target});
        let headers = pairs(&a.headers, ':', "header")?;
        if !headers.is_empty() {
            entry["headers"] = Value::Object(headers);
        }
        if a.client_id.is_some() || a.callback_port.is_some() {
            let mut oauth = Map::new();
            if let Some(id) = &a.client_id {
                oauth.insert("clientId".into(), json!(id));
            }
            if let Some(p) = &a.callback_port {
                let port: u16 = p
                    .parse()
                    .map_err(|_| anyhow!("Invalid callback port: {p}"))?;
                oauth.insert("callbackPort".into(), json!(port));
            }
            entry["oauth"] = Value::Object(oauth);
            eprintln!(
                "ccrs: warning: ccrs does not do OAuth for MCP servers yet; the OAuth settings are stored for Claude Code"
            );
        }
        let kind = if transport == "sse" { "SSE" } else { "HTTP" };
        (
            entry,
            format!("{kind} MCP server {} with URL: {}", a.name, a.target),
        )
    };
    if a.client_secret {
        eprintln!("ccrs: warning: --client-secret is not supported by ccrs yet; ignored");
    }
    files.add(scope, &a.name, entry.clone())?;
    let mut out = format!("Added {what} to {} config", scope.as_str());
    if let Some(h) = entry.get("headers").and_then(Value::as_object) {
        let shown: Map<String, Value> = h
            .iter()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("authorization") {
                    json!("[REDACTED]")
                } else {
                    v.clone()
                };
                (k.clone(), v)
            })
            .collect();
        out.push_str(&format!(
            "\nHeaders: {}",
            serde_json::to_string_pretty(&shown)?
        ));
    }
    out.push_str(&format!("\nFile modified: {}", files.describe(scope)));
    output::text(&out);
    Ok(())
}

fn add_json(files: &Files, name: &str, text: &str, scope: &str) -> Result<()> {
    let scope = scope_arg(Some(scope))?;
    let mut entry: Value = serde_json::from_str(text).map_err(|e| anyhow!("Invalid JSON: {e}"))?;
    let parsed = config::parse_server(name, scope, &entry, &|_| None);
    let transport = parsed
        .transport
        .map_err(|e| anyhow!("Invalid configuration: {e}"))?;
    if let TransportConfig::Stdio { .. } = transport
        && entry.get("args").is_none()
    {
        entry["args"] = json!([]);
    }
    files.add(scope, name, entry)?;
    output::text(&format!(
        "Added {} MCP server {name} to {} config",
        transport.kind(),
        scope.as_str()
    ));
    Ok(())
}

fn remove(files: &Files, name: &str, scope: Option<&str>) -> Result<()> {
    let given = scope.map(|s| scope_arg(Some(s))).transpose()?;
    let scope = files.remove(name, given)?;
    let shown = if given.is_some() {
        name.to_string()
    } else {
        format!("\"{name}\"")
    };
    output::text(&format!(
        "Removed MCP server {shown} from {} config\nFile modified: {}",
        scope.as_str(),
        files.describe(scope)
    ));
    Ok(())
}

/// The servers a session here would use (approvals applied), and the rejected ones.
fn configured(cwd: &Path) -> config::Loaded {
    let options = SessionOptions {
        cwd: cwd.to_path_buf(),
        ..Default::default()
    };
    let settings = ccrs_core::session::load_settings(&options);
    let layers: Vec<_> = settings
        .layers
        .iter()
        .map(|l| (l.source, &l.value))
        .collect();
    let src = config::Sources {
        cwd: cwd.to_path_buf(),
        global_file: config::global_file(),
        flag_configs: Vec::new(),
        strict: false,
        project_source: true,
        user_source: true,
    };
    config::load(&src, &layers, &|k| ccrs_core::env::var(k))
}

/// Connects to each server (in parallel, within `MCP_TIMEOUT`) and says how it went.
async fn health(cwd: &Path, servers: Vec<config::ServerConfig>) -> Vec<(String, State)> {
    let ctx = StartContext::from_env(cwd.to_path_buf(), vec![cwd.to_path_buf()]);
    let bound = ctx.startup_timeout + std::time::Duration::from_secs(1);
    let m = McpManager::new(ToolSet::default(), ctx);
    m.start(servers);
    m.wait_settled(bound).await;
    let states = m.report().into_iter().map(|r| (r.name, r.state)).collect();
    m.shutdown().await;
    states
}

fn status_text(s: &State) -> &'static str {
    match s {
        State::Connected => "✔ Connected",
        State::NeedsAuth(_) => "⚠ Needs authentication",
        State::Pending | State::Failed(_) => "✘ Failed to connect",
    }
}

const PENDING: &str = "⏸ Pending approval (run `ccrs` to approve)";
const REJECTED: &str = "✘ Rejected (see disabledMcpjsonServers in settings)";

fn list_target(t: &Result<TransportConfig, String>) -> String {
    match t {
        Ok(TransportConfig::Stdio { command, args, .. }) => format!("{command} {}", args.join(" ")),
        Ok(TransportConfig::Http { url, .. }) => format!("{url} (HTTP)"),
        Ok(TransportConfig::Sse { url, .. }) => format!("{url} (SSE)"),
        Ok(t) => t.target(),
        Err(e) => format!("(invalid: {e})"),
    }
}

async fn list(cwd: &Path) -> Result<()> {
    let loaded = configured(cwd);
    for w in &loaded.warnings {
        eprintln!("ccrs: warning: {w}");
    }
    if loaded.servers.is_empty() && loaded.rejected.is_empty() {
        output::text("No MCP servers configured. Use `ccrs mcp add` to add a server.");
        return Ok(());
    }
    let approved: Vec<_> = loaded
        .servers
        .iter()
        .filter(|s| !loaded.pending.contains(&s.name))
        .cloned()
        .collect();
    let states = health(cwd, approved).await;
    let mut out = String::from("Checking MCP server health…\n");
    for s in &loaded.servers {
        let status = match states.iter().find(|(n, _)| *n == s.name) {
            Some((_, st)) => status_text(st),
            None => PENDING,
        };
        out.push_str(&format!(
            "\n{}: {} - {status}",
            s.name,
            list_target(&s.transport)
        ));
    }
    for r in &loaded.rejected {
        out.push_str(&format!("\n{r}: - {REJECTED}"));
    }
    output::text(&out);
    Ok(())
}

async fn get(cwd: &Path, files: &Files, name: &str) -> Result<i32> {
    let loaded = configured(cwd);
    let Some(server) = loaded.servers.iter().find(|s| s.name == name).cloned() else {
        let mut names: Vec<String> = files.all()?.into_iter().map(|(_, n, _)| n).collect();
        names.sort();
        names.dedup();
        bail!(
            "No MCP server named \"{name}\". Configured servers: {}",
            names.join(", ")
        );
    };
    let status = if loaded.rejected.iter().any(|r| r == name) {
        REJECTED
    } else if loaded.pending.contains(&server.name) {
        PENDING
    } else {
        let states = health(cwd, vec![server.clone()]).await;
        states
            .first()
            .map_or("✘ Failed to connect", |(_, s)| status_text(s))
    };
    let mut out = format!(
        "{name}:\n  Scope: {}\n  Status: {status}\n",
        server.scope.describe()
    );
    // What is stored, not expanded.
    let raw = files
        .servers(server.scope)?
        .get(name)
        .cloned()
        .unwrap_or(Value::Null);
    let field = |k: &str| raw.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let map_lines = |k: &str, sep: &str| -> String {
        raw.get(k)
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        format!(
                            "    {k}{sep}{}\n",
                            v.as_str().map_or_else(|| v.to_string(), str::to_string)
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    match &server.transport {
        Ok(TransportConfig::Stdio { .. }) => {
            let args: Vec<String> = raw
                .get("args")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            out.push_str(&format!(
                "  Type: stdio\n  Command: {}\n  Args: {}\n",
                field("command"),
                args.join(" ")
            ));
            let env = map_lines("env", "=");
            if !env.is_empty() {
                out.push_str(&format!("  Environment:\n{env}"));
            }
        }
        Ok(t) => {
            out.push_str(&format!("  Type: {}\n  URL: {}\n", t.kind(), field("url")));
            let headers = map_lines("headers", ": ");
            if !headers.is_empty() {
                out.push_str(&format!("  Headers:\n{headers}"));
            }
        }
        Err(e) => out.push_str(&format!("  Invalid configuration: {e}\n")),
    }
    out.push_str(&format!(
        "\nTo remove this server, run: ccrs mcp remove {name} -s {}",
        server.scope.as_str()
    ));
    output::text(&out);
    Ok(0)
}

/// Asks (on the plain terminal, before the UI starts) about `.mcp.json` servers nobody approved
/// or rejected yet, and remembers the answer where Claude Code does.
pub fn ask_approvals(
    setup: &mut ccrs_core::session::SessionSetup,
    io: &mut dyn crate::login::LoginIo,
) {
    use ccrs_core::mcp::store::Approval;
    let pending = setup.pending_mcp_servers().to_vec();
    if pending.is_empty() {
        return;
    }
    io.say(&format!(
        "New MCP server{} found in .mcp.json: {}
         MCP servers run commands and reach services as you; use them only if you trust this project.
           1) Use {}
           2) Use {} and all future MCP servers of this project
           3) Continue without {}",
        if pending.len() == 1 { "" } else { "s" },
        pending.join(", "),
        if pending.len() == 1 { "this server" } else { "these servers" },
        if pending.len() == 1 { "it" } else { "them" },
        if pending.len() == 1 { "it" } else { "them" },
    ));
    let choice = loop {
        match io.ask("Choose 1, 2 or 3 [3]: ") {
            Ok(Some(a)) => match a.trim() {
                "1" => break Some(Approval::Yes),
                "2" => break Some(Approval::YesAll),
                "" | "3" => break Some(Approval::No),
                other => io.say(&format!("'{other}' is not a choice: type 1, 2 or 3.")),
            },
            // No answer (end of input): nothing is remembered, nothing starts.
            _ => break None,
        }
    };
    if let Err(e) = setup.answer_mcp(&pending, choice) {
        io.say(&format!("Your choice applies to this session only: {e}"));
    }
}

/// Runs one `ccrs mcp` command; the exit status. Errors are printed as Claude Code prints
/// them (no prefix), with status 1.
pub async fn run(cmd: McpCommand, cwd: &Path) -> Result<i32> {
    match run_inner(cmd, cwd).await {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("{e:#}");
            Ok(1)
        }
    }
}

async fn run_inner(cmd: McpCommand, cwd: &Path) -> Result<i32> {
    let files = Files::new(cwd);
    match cmd {
        McpCommand::Add(a) => add(&files, &a)?,
        McpCommand::AddJson { name, json, scope } => add_json(&files, &name, &json, &scope)?,
        McpCommand::Remove { name, scope } => remove(&files, &name, scope.as_deref())?,
        McpCommand::List => list(cwd).await?,
        McpCommand::Get { name } => return get(cwd, &files, &name).await,
        McpCommand::ResetProjectChoices => {
            files.reset_project_choices()?;
            output::text(
                "Project-scoped (.mcp.json) server approvals and rejections stored for this project have been reset.",
            );
        }
    }
    Ok(0)
}
