//! The differential corpus: permission rules of real `.claude/settings*.json` files from public
//! repositories, tool calls ("probes") derived from those rules, and Claude Code 2.1.197's
//! verdict on each (recorded once by `scripts/cc_differential.py run`, which runs Claude Code
//! in print mode against ccrs-mock). This test replays every probe through ccrs's engine with
//! the same settings file and fails when a call would run in ccrs where Claude Code refused it,
//! unless it is one of the deliberate differences below (each documented in
//! docs/permissions.md, "Deliberate differences from Claude Code").
//!
//! Calls ccrs refuses where Claude Code runs them are counted, not failed: refusing more is the
//! safe direction, and the reasons are the same documented list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::permissions::{Decision, PermissionConfig, PermissionEngine};
use ccrs_core::settings::{LoadOptions, Settings};
use ccrs_core::tools::{ToolContext, ToolRegistry, schema};
use serde_json::Value;
use std::path::Path;

/// Files of the fixture project every entry runs in (the script creates the same).
const FIXTURE_FILES: &[(&str, &str)] = &[
    ("src/main.rs", "fn main() {}\n"),
    ("src/lib.rs", "\n"),
    ("docs/readme.md", "# hi\n"),
    (".env", "SECRET=1\n"),
    ("sub/.env", "SECRET=2\n"),
    ("package.json", "{}\n"),
    ("README.md", "hi\n"),
    ("scripts/build.sh", "#!/bin/sh\n"),
];

/// Calls ccrs may run although Claude Code refuses them: (entry id, tool input as JSON, why,
/// naming the section of docs/permissions.md that documents it). Empty: on this corpus ccrs
/// runs nothing Claude Code refuses. (Constructs ccrs allows beyond Claude Code — read-only
/// loops, groups, subshells, `${…}` expansions, process substitution — are listed in
/// docs/permissions.md; the probes here do not reach them.)
const DELIBERATE: &[(&str, &str, &str)] = &[];

fn fill(v: &Value, proj: &str, home: &str, bin: &str) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.replace("{P}", proj)
                .replace("{H}", home)
                .replace("{BIN}", bin),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), fill(v, proj, home, bin)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| fill(v, proj, home, bin)).collect()),
        other => other.clone(),
    }
}

struct Run {
    engine: PermissionEngine,
    ctx: ToolContext,
    proj: String,
    home: String,
    bin: String,
    _dir: tempfile::TempDir,
}

fn setup(permissions: &Value) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let proj = base.join("project");
    let home = base.join("home");
    for (rel, text) in FIXTURE_FILES {
        let p = proj.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    for d in ["project/.claude", "home/.claude", "outside", "bin"] {
        std::fs::create_dir_all(base.join(d)).unwrap();
    }
    std::fs::write(
        proj.join(".claude/settings.json"),
        serde_json::json!({ "permissions": permissions }).to_string(),
    )
    .unwrap();
    let settings = Settings::load(&LoadOptions {
        cwd: proj.clone(),
        flag_settings: None,
        sources: None,
        managed_path: base.join("managed-settings.json"),
        claude_dir: home.join(".claude"),
    });
    let mode = settings.default_mode().unwrap().unwrap_or_default();
    let engine = PermissionEngine::new(PermissionConfig {
        mode,
        rules: settings.permission_rules(),
        cwd: proj.clone(),
        additional_dirs: settings.additional_directories(&proj),
        local_settings_path: Some(proj.join(".claude/settings.local.json")),
        disable_bypass: settings.disable_bypass_permissions_mode(),
        home: Some(home.clone()),
    });
    let s = |p: &Path| p.display().to_string();
    Run {
        engine,
        ctx: ToolContext::for_tests(&proj),
        proj: s(&proj),
        home: s(&home),
        bin: s(&base.join("bin")),
        _dir: dir,
    }
}

/// ccrs's verdict as print mode acts on it: "allow" (runs) or "deny" (refused or asked), and
/// the decision for the failure message.
fn ccrs_verdict(run: &Run, registry: &ToolRegistry, tool: &str, input: &Value) -> (bool, String) {
    let input = fill(input, &run.proj, &run.home, &run.bin);
    let tool = registry.get(tool).expect("a built-in tool");
    if !schema::validate(&tool.input_schema(), &input).is_empty() {
        return (false, "input rejected by the schema".into());
    }
    let subject = tool.subject(&input, &run.ctx);
    let d = run.engine.check(tool.name(), &subject);
    let text = match &d {
        Decision::Allow { why } => format!("allow ({why})"),
        Decision::Ask { reason, why, .. } => format!("ask: {reason} ({why})"),
        Decision::Deny { message, why } => format!("deny: {message} ({why})"),
    };
    (d.is_allow(), text)
}

#[test]
fn claude_code_corpus() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/data/cc_corpus.json");
    let corpus: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let registry = ToolRegistry::builtin();
    // CCRS_CORPUS_SHOW=1 prints every disagreement.
    let show = std::env::var_os("CCRS_CORPUS_SHOW").is_some();
    let (mut agree, mut stricter, mut probes, mut invalid) = (0usize, 0usize, 0usize, 0usize);
    let mut deliberate = 0usize;
    let mut failures = Vec::new();
    let entries = corpus["entries"].as_array().unwrap();
    for entry in entries {
        let run = setup(&entry["permissions"]);
        for probe in entry["probes"].as_array().unwrap() {
            let Some(cc) = probe["cc"].as_str() else {
                continue;
            };
            if cc == "invalid" {
                // Claude Code rejected the input before its permission check: no verdict.
                invalid += 1;
                continue;
            }
            probes += 1;
            let tool = probe["tool"].as_str().unwrap();
            let (allowed, text) = ccrs_verdict(&run, &registry, tool, &probe["input"]);
            if show && (cc == "allow") != allowed {
                eprintln!(
                    "{}\tcc={cc}\t{tool} {}\tccrs: {text}",
                    entry["id"].as_str().unwrap(),
                    probe["input"]
                );
            }
            match (cc == "allow", allowed) {
                (a, b) if a == b => agree += 1,
                (true, false) => stricter += 1,
                _ => {
                    let id = entry["id"].as_str().unwrap();
                    let input = probe["input"].to_string();
                    if DELIBERATE.iter().any(|(e, i, _)| *e == id && *i == input) {
                        deliberate += 1;
                    } else {
                        failures.push(format!(
                            "{id}: {tool} {input} — Claude Code refuses, ccrs: {text}"
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "{} files, {probes} probes with a verdict ({invalid} more whose input Claude Code \
         rejected): {agree} agree, {stricter} refused only by ccrs, run only by ccrs: \
         {deliberate} deliberate, {} not",
        entries.len(),
        failures.len()
    );
    assert!(
        probes >= 1000,
        "the corpus has Claude Code's verdicts ({probes})"
    );
    assert!(
        failures.is_empty(),
        "{} calls run in ccrs that Claude Code refuses:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
