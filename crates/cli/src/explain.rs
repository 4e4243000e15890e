//! `ccrs permissions explain <tool> <input>`: what the permission engine decides for one tool
//! call with the settings and flags in force, and why — the rule and its file, the mode, the
//! read-only class, the protected path or what ccrs did not understand. The Bash sandbox is not
//! considered: a command is explained as it would be decided outside it.

use crate::args::Args;
use crate::setup;
use anyhow::{Result, bail};
use ccrs_core::permissions::{Decision, PermissionEngine, Subject};
use ccrs_core::session::SessionSetup;
use ccrs_core::tools::{ToolContext, ToolRegistry};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// The tool input: JSON, or for the common tools their one main argument.
fn input_of(tool: &str, text: &str) -> Result<Value> {
    if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
        return Ok(v);
    }
    Ok(match tool {
        "Bash" => json!({"command": text}),
        "Read" | "Edit" | "Write" | "MultiEdit" | "NotebookEdit" | "NotebookRead" => {
            json!({"file_path": text})
        }
        "Glob" | "Grep" | "LS" => json!({"pattern": "*", "path": text}),
        "WebFetch" => json!({"url": text, "prompt": ""}),
        _ => bail!("give the input of {tool} as a JSON object"),
    })
}

fn subject(tool: &str, input: &Value, cwd: &Path, env: Vec<(String, String)>) -> Result<Subject> {
    let reg = ToolRegistry::builtin();
    let Some(t) = reg.get(tool) else {
        if tool.starts_with("mcp__") {
            return Ok(Subject::Other);
        }
        bail!(
            "unknown tool '{tool}' (built-in tools: {})",
            reg.names().join(", ")
        );
    };
    let mut ctx = ToolContext::for_tests(cwd);
    ctx.env = Arc::new(env);
    Ok(t.subject(input, &ctx))
}

/// Writes the explanation.
pub fn render(tool: &str, input: &Value, mode: &str, d: &Decision) -> String {
    let mut out = String::new();
    let line = |out: &mut String, k: &str, v: &str| {
        out.push_str(&format!("{k:<9} {v}\n"));
    };
    line(&mut out, "tool:", tool);
    line(&mut out, "input:", &input.to_string());
    line(&mut out, "mode:", mode);
    match d {
        Decision::Allow { .. } => line(&mut out, "decision:", "allow"),
        Decision::Ask { .. } => line(
            &mut out,
            "decision:",
            "ask (in print mode: denied, there is nobody to ask)",
        ),
        Decision::Deny { .. } => line(&mut out, "decision:", "deny"),
    }
    out.push_str("why:\n");
    for r in &d.why().0 {
        if r.part.is_empty() {
            out.push_str(&format!("  {}\n", r.basis));
        } else {
            out.push_str(&format!("  {} — {}\n", r.part.replace('\n', "⏎"), r.basis));
        }
    }
    match d {
        Decision::Allow { .. } => {}
        Decision::Ask {
            reason,
            suggestions,
            ..
        } => {
            line(&mut out, "question:", reason);
            if suggestions.is_empty() {
                line(&mut out, "always:", "(not offered)");
            } else {
                line(&mut out, "always:", &suggestions.join(", "));
            }
        }
        Decision::Deny { message, .. } => line(&mut out, "message:", message),
    }
    out
}

/// Runs the subcommand; the exit status is 0 for allow, 1 for deny and 2 for ask.
pub fn run(args: &Args, tool: &str, input_text: &str) -> Result<u8> {
    let cwd = std::env::current_dir()?;
    let setup = SessionSetup::load(setup::options(args, &cwd)?)?;
    let engine = PermissionEngine::new(setup.permission_config());
    let warnings = setup
        .settings()
        .warnings
        .iter()
        .chain(&setup.config().warnings)
        .chain(engine.warnings());
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let input = input_of(tool, input_text)?;
    let subject = subject(tool, &input, &cwd, setup.config().env.clone())?;
    let d = engine.check(tool, &subject);
    let text = render(tool, &input, engine.mode().as_str(), &d);
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(match d {
        Decision::Allow { .. } => 0,
        Decision::Deny { .. } => 1,
        Decision::Ask { .. } => 2,
    })
}
