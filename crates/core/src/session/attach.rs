//! `@path` mentions: each mentioned file is read by the Read tool itself — the same numbered
//! lines, limits, image/PDF/notebook handling and read record as a model's call (so the model
//! may Edit the file right away) — and attached to the prompt the way Claude Code attaches it
//! ("Called the Read tool with the following input: …"). A mentioned directory attaches its
//! listing. Read deny rules hold here too.

use crate::events::ToolOutput;
use crate::message::{ContentBlock, ToolResultContent};
use crate::permissions::{Decision, PermissionEngine};
use crate::tools::read::ReadTool;
use crate::tools::{Subject, Tool, ToolContext};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

const MAX_DIR_ENTRIES: usize = 200;

/// The `@word`s of a prompt, without the `@`.
pub fn words(prompt: &str) -> Vec<&str> {
    prompt
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The existing path a word names (trailing punctuation is tried without, `~/` is home).
fn resolve(word: &str, cwd: &Path) -> Option<PathBuf> {
    let candidates = [
        word,
        word.trim_end_matches([',', '.', ';', ':', ')', '!', '?', '"', '\'']),
    ];
    for w in candidates {
        let p = if let Some(rest) = w.strip_prefix("~/") {
            crate::paths::home_dir()?.join(rest)
        } else if Path::new(w).is_absolute() {
            PathBuf::from(w)
        } else {
            cwd.join(w)
        };
        let p = crate::paths::normalize(&p);
        if p.exists() {
            return Some(p);
        }
    }
    None
}

/// `path` relative to `cwd` when inside it, for notes.
fn short(path: &Path, cwd: &Path) -> String {
    match path.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => path.display().to_string(),
    }
}

/// What attaching the mentions produced.
#[derive(Debug, Default)]
pub struct Attached {
    /// One or more blocks per attached file or directory (the prompt itself not included).
    pub blocks: Vec<ContentBlock>,
    /// What was attached, for the user ("Read src/a.rs (12 lines)").
    pub notes: Vec<String>,
    /// What could not be attached, and why.
    pub problems: Vec<String>,
}

/// Attaches the files and directories `prompt` mentions. `permissions`: Read deny rules keep
/// a file out.
pub async fn attach(
    prompt: &str,
    ctx: &ToolContext,
    permissions: Option<&PermissionEngine>,
) -> Attached {
    let mut out = Attached::default();
    let mut seen: Vec<PathBuf> = Vec::new();
    for w in words(prompt) {
        let Some(path) = resolve(w, &ctx.cwd) else {
            continue;
        };
        if seen.contains(&path) {
            continue;
        }
        seen.push(path.clone());
        if let Some(engine) = permissions
            && let Decision::Deny { message, .. } =
                engine.check("Read", &Subject::Read(vec![path.clone()]))
        {
            out.problems.push(format!("@{w}: not attached: {message}"));
            continue;
        }
        if path.is_dir() {
            attach_dir(w, &path, &ctx.cwd, &mut out);
        } else {
            attach_file(w, &path, ctx, &mut out).await;
        }
    }
    out
}

fn attach_dir(word: &str, path: &Path, cwd: &Path, out: &mut Attached) {
    let mut names: Vec<String> = match std::fs::read_dir(path) {
        Ok(rd) => rd
            .flatten()
            .map(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    format!("{n}/")
                } else {
                    n
                }
            })
            .collect(),
        Err(e) => {
            out.problems
                .push(format!("@{word}: cannot list the directory ({e})"));
            return;
        }
    };
    names.sort();
    let more = names.len().saturating_sub(MAX_DIR_ENTRIES);
    names.truncate(MAX_DIR_ENTRIES);
    let mut listing = names.join("\n");
    if more > 0 {
        listing.push_str(&format!("\n… and {more} more entries"));
    }
    out.blocks.push(ContentBlock::text(format!(
        "<system-reminder>\nThe user mentioned the directory {}. Its entries:\n{listing}\n</system-reminder>",
        path.display()
    )));
    out.notes.push(format!("Listed {}", short(path, cwd)));
}

/// The error text of a failed Read, without the `<tool_use_error>` wrapper.
fn error_text(o: &ToolOutput) -> String {
    let t = o.text();
    t.strip_prefix("<tool_use_error>")
        .and_then(|t| t.strip_suffix("</tool_use_error>"))
        .map(str::to_string)
        .unwrap_or(t)
}

async fn attach_file(word: &str, path: &Path, ctx: &ToolContext, out: &mut Attached) {
    let input = json!({"file_path": path.display().to_string()});
    let result = ReadTool.call(input.clone(), ctx).await;
    if result.is_error {
        out.problems
            .push(format!("@{word}: not attached: {}", error_text(&result)));
        return;
    }
    let called = format!("Called the Read tool with the following input: {input}");
    match result.content {
        ToolResultContent::Text(text) => out.blocks.push(ContentBlock::text(format!(
            "<system-reminder>\n{called}\nResult of calling the Read tool:\n{text}\n</system-reminder>"
        ))),
        ToolResultContent::Blocks(blocks) => {
            // Images and documents travel as blocks of their own after the note.
            out.blocks.push(ContentBlock::text(format!(
                "<system-reminder>\n{called}\nResult of calling the Read tool follows.\n</system-reminder>"
            )));
            // Kept as they are: the API takes a tool result's image and document blocks in a
            // user message too.
            out.blocks.extend(blocks.into_iter().map(ContentBlock::Other));
        }
    }
    let shown = short(path, &ctx.cwd);
    let lines = result
        .structured
        .as_ref()
        .and_then(|s| s.pointer("/file/numLines"))
        .and_then(Value::as_u64);
    out.notes.push(match lines {
        Some(n) => format!("Read {shown} ({n} line{})", if n == 1 { "" } else { "s" }),
        None => format!("Read {shown}"),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::{PermissionConfig, RuleBehavior, RuleSource, SourcedRule};
    use crate::tools::file_state::WriteCheck;

    fn text(b: &ContentBlock) -> &str {
        match b {
            ContentBlock::Text { text } => text,
            other => panic!("not text: {other:?}"),
        }
    }

    #[tokio::test]
    async fn attaches_files_as_read_shows_them_and_records_the_read() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.txt"), "alpha\nbeta\n").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/x.rs"), "").unwrap();
        let ctx = ToolContext::for_tests(d.path());
        let a = attach("explain @a.txt, then @sub and @missing", &ctx, None).await;
        assert_eq!(a.blocks.len(), 2);
        let file = d.path().join("a.txt");
        assert_eq!(
            text(&a.blocks[0]),
            format!(
                "<system-reminder>\nCalled the Read tool with the following input: {{\"file_path\":\"{}\"}}\nResult of calling the Read tool:\n1\talpha\n2\tbeta\n</system-reminder>",
                file.display()
            )
        );
        assert!(text(&a.blocks[1]).contains("x.rs"));
        assert_eq!(ctx.session.files.check_write(&file), WriteCheck::Ok);
        assert_eq!(a.notes, ["Read a.txt (2 lines)", "Listed sub"]);
    }

    #[tokio::test]
    async fn images_travel_as_image_blocks() {
        let d = tempfile::tempdir().unwrap();
        // A 1x1 PNG.
        let png: &[u8] = &[
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52,
            0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49,
            0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0,
            0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
        ];
        std::fs::write(d.path().join("dot.png"), png).unwrap();
        let ctx = ToolContext::for_tests(d.path());
        let a = attach("look at @dot.png", &ctx, None).await;
        assert_eq!(a.blocks.len(), 2, "{:?}", a.blocks);
        assert!(text(&a.blocks[0]).contains("Result of calling the Read tool follows."));
        assert_eq!(a.blocks[1].type_name(), "image");
        let v = a.blocks[1].to_value();
        assert_eq!(v["source"]["media_type"], "image/png");
        assert_eq!(a.notes, ["Read dot.png"]);
    }

    #[tokio::test]
    async fn binary_and_denied_files_are_not_attached() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b.bin"), [0u8, 1, 2]).unwrap();
        std::fs::write(d.path().join(".env"), "SECRET=1\n").unwrap();
        let ctx = ToolContext::for_tests(d.path());
        let engine = PermissionEngine::new(PermissionConfig {
            cwd: d.path().to_path_buf(),
            rules: vec![SourcedRule::new(
                RuleBehavior::Deny,
                "Read(./.env)".to_string(),
                RuleSource::CliArg,
            )],
            ..Default::default()
        });
        let a = attach("@b.bin and @.env", &ctx, Some(&engine)).await;
        assert!(a.blocks.is_empty(), "{:?}", a.blocks);
        assert!(a.notes.is_empty(), "{:?}", a.notes);
        assert!(a.problems[0].contains("binary"), "{:?}", a.problems);
        assert!(
            a.problems[1].starts_with("@.env: not attached"),
            "{:?}",
            a.problems
        );
        assert!(ctx.session.files.get(&d.path().join(".env")).is_none());
    }
}
