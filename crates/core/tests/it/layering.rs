//! The core is layered one way (docs/architecture.md): a module may use modules of its own
//! layer or below, never above. This reads the sources and checks every `crate::…` path (and a
//! top-level file's `super::…`), so a wrong import fails here, not in review.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every top-level module of `crates/core/src`, by layer (0 = the leaf layer).
const LAYERS: &[(&str, u8)] = &[
    // Leaf: data and helpers everything may use.
    ("events", 0),
    ("message", 0),
    ("paths", 0),
    ("fsutil", 0),
    ("env", 0),
    ("cancel", 0),
    ("timeutil", 0),
    ("log", 0),
    ("process", 0),
    ("join", 0),
    ("frontmatter", 0),
    // Services.
    ("api", 1),
    ("error", 1),
    ("auth", 1),
    ("settings", 1),
    ("permissions", 1),
    ("models", 1),
    ("prompt", 1),
    ("sandbox", 1),
    ("net", 1),
    ("transcript", 1),
    ("memory", 1),
    ("hooks", 1),
    // Then tools, the loop, the session.
    ("tools", 2),
    ("agent", 3),
    ("mcp", 3),
    ("session", 4),
    // A health report over everything (`ccrs doctor`).
    ("doctor", 4),
];

/// Imports that break the rule today and are being removed by a named change. The test fails
/// when one of them is gone too, so the list cannot go stale.
const PENDING: &[(&str, &str, &str)] = &[];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a line without its `//` comment (strings holding `//` are rare enough here:
/// a URL in a string only hides the rest of its own line).
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The top-level modules `text` names through `crate::` (also in `crate::{a, b::c}` groups)
/// and, for a file directly under `src/`, through `super::`.
fn imported_modules(text: &str, top_level_file: bool) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut prefixes = vec!["crate::"];
    if top_level_file {
        prefixes.push("super::");
    }
    for line in text.lines().map(code) {
        for prefix in &prefixes {
            let mut rest = line;
            while let Some(i) = rest.find(prefix) {
                // `$crate::` is a macro's path, resolved where the macro is used.
                let before = &rest[..i];
                rest = &rest[i + prefix.len()..];
                if before.ends_with('$')
                    || before.ends_with(|c: char| c.is_alphanumeric() || c == '_')
                {
                    continue;
                }
                if let Some(group) = rest.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    for item in group[..end].split(',') {
                        let name = ident(item.trim());
                        if !name.is_empty() {
                            out.insert(name.to_string());
                        }
                    }
                } else {
                    let name = ident(rest);
                    if !name.is_empty() {
                        out.insert(name.to_string());
                    }
                }
            }
        }
    }
    out
}

#[test]
fn no_module_imports_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "found only {} sources", files.len());
    let mut violations = Vec::new();
    let mut pending_seen = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let mut parts = rel.components();
        let first = parts
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        if first == "lib.rs" {
            continue;
        }
        let top_level_file = parts.next().is_none();
        let module = first.trim_end_matches(".rs").to_string();
        let Some(own) = layer(&module) else {
            violations.push(format!(
                "{}: module `{module}` has no layer: add it to LAYERS (and docs/architecture.md)",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for used in imported_modules(&text, top_level_file) {
            if used == module {
                continue;
            }
            // Crate-root items (`crate::VERSION`, `crate::BoxFuture`) are fine.
            let Some(theirs) = layer(&used) else { continue };
            if theirs <= own {
                continue;
            }
            if PENDING.iter().any(|(a, b, _)| *a == module && *b == used) {
                pending_seen.insert((module.clone(), used.clone()));
                continue;
            }
            violations.push(format!(
                "{}: `{module}` (layer {own}) imports `{used}` (layer {theirs})",
                rel.display()
            ));
        }
    }
    for (a, b, why) in PENDING {
        if !pending_seen.contains(&(a.to_string(), b.to_string())) {
            violations.push(format!(
                "`{a}` no longer imports `{b}` ({why}): remove the entry from PENDING"
            ));
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn the_import_scanner_sees_every_form() {
    let text = "use crate::tools::Subject;\nuse crate::{agent::Agent, events};\n\
                let x = crate::session::Session::new(); // crate::log in a comment\n\
                $crate::log::write(); foo_crate::x(); super::paths::home_dir();\n";
    let found: Vec<String> = imported_modules(text, true).into_iter().collect();
    assert_eq!(found, ["agent", "events", "paths", "session", "tools"]);
    let nested: Vec<String> = imported_modules(text, false).into_iter().collect();
    assert_eq!(nested, ["agent", "events", "session", "tools"]);
}

/// What the issue asks to be true, spelled out.
#[test]
fn tools_do_not_import_the_agent_or_the_session() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src.join("tools"), &mut files);
    sources(&src.join("agent"), &mut files);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let used = imported_modules(&text, false);
        let in_tools = f.starts_with(src.join("tools"));
        assert!(!used.contains("session"), "{} imports session", f.display());
        if in_tools {
            assert!(!used.contains("agent"), "{} imports agent", f.display());
        }
    }
}
