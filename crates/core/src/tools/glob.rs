//! The `Glob` tool: files whose path matches a glob, most recently modified first.
//!
//! Pattern semantics are `rg --files --glob <pattern>` rooted at the search directory: `*.rs`
//! (no slash) matches at any depth, `src/**/*.{ts,tsx}` is anchored. `.gitignore`/`.ignore` are
//! honoured (no `target/` or `node_modules/` noise) unless `CLAUDE_CODE_GLOB_NO_IGNORE=1`; unlike
//! `rg --glob`, the pattern only filters and cannot re-include ignored files (`**/*` would
//! otherwise list all of `node_modules/`). Hidden files are included unless
//! `CLAUDE_CODE_GLOB_HIDDEN=0`; `.git` is never listed.
//!
//! Order: newest first, ties by path. Claude Code 2.1.88 lists oldest first, which with a cap of
//! 100 shows the files least likely to matter; the files being worked on are the recent ones.

use crate::BoxFuture;
use crate::cancel::CancelToken;
use crate::events::INTERRUPTED_TOOL_USE;
use crate::tools::grep::walk::{self, Dated, GlobFilter, NewestFirst, WalkOptions};
use crate::tools::schema::{self, opt_str, str_arg};
use crate::tools::{Subject, Tool, ToolContext, ToolOutput};
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};
use serde_json::{Value, json};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// At most this many paths are returned.
pub const MAX_RESULTS: usize = 100;

pub const TRUNCATED_NOTICE: &str =
    "(Results are truncated. Consider using a more specific path or pattern.)";

const DESCRIPTION: &str = "Find files by glob pattern, e.g. \"**/*.rs\" or \
\"src/**/*.{ts,tsx}\"; a pattern without a slash (\"*.rs\") matches at any depth. Honours \
.gitignore, includes hidden files, never lists .git. Returns up to 100 paths, most recently \
modified first.";

pub struct GlobTool;

impl Tool for GlobTool {
    fn name(&self) -> &str {
        "Glob"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Glob to match file paths against"},
                "path": {"type": "string", "description": "Directory to search (default: cwd); omit rather than pass \"undefined\""}
            },
            "required": ["pattern"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject {
        let pattern = str_arg(input, "pattern").unwrap_or("");
        let (root, _) = plan(pattern, opt_str(input, "path"), ctx);
        Subject::Read(vec![root])
    }

    fn summary(&self, input: &Value) -> String {
        schema::pattern_summary(input)
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        crate::tools::call_blocking("Glob", input, ctx, |i, c| run(&i, c))
    }
}

fn run(input: &Value, ctx: &ToolContext) -> ToolOutput {
    let pattern = str_arg(input, "pattern").unwrap_or("").trim();
    if pattern.is_empty() {
        return ToolOutput::tool_use_error("The glob pattern must not be empty");
    }
    let path_arg = opt_str(input, "path");
    let (root, glob) = plan(pattern, path_arg, ctx);
    let opts = Options {
        respect_ignore: !ctx.env_flag("CLAUDE_CODE_GLOB_NO_IGNORE"),
        hidden: ctx.env_switch("CLAUDE_CODE_GLOB_HIDDEN").unwrap_or(true),
        read_deny: walk::read_deny_filter(ctx.permissions.as_ref()),
    };
    execute(&root, &glob, path_arg, &ctx.cwd, opts, &ctx.cancel)
}

#[derive(Clone)]
struct Options {
    respect_ignore: bool,
    hidden: bool,
    read_deny: Option<std::sync::Arc<crate::permissions::PermissionEngine>>,
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

/// The directory to walk and the glob relative to it. An absolute pattern (or one climbing out
/// with `..`, or starting at `~`) is split at its first component with glob syntax:
/// `/p/src/**/*.rs` walks `/p/src` for `/**/*.rs` (anchored, as the path was spelled out).
fn plan(pattern: &str, path: Option<&str>, ctx: &ToolContext) -> (PathBuf, String) {
    let base = path
        .map(|p| ctx.resolve(p))
        .unwrap_or_else(|| ctx.cwd.clone());
    let mut pat = pattern.trim();
    while let Some(rest) = pat.strip_prefix("./") {
        pat = rest;
    }
    let abs = if Path::new(pat).is_absolute() {
        PathBuf::from(pat)
    } else if pat.starts_with("~/") {
        ctx.resolve(pat)
    } else if pat.starts_with("../") || pat == ".." {
        base.join(pat)
    } else {
        return (base, pat.to_string());
    };
    let abs = crate::paths::normalize(&abs);
    let mut root = PathBuf::new();
    let mut rest: Vec<String> = Vec::new();
    for c in abs.components() {
        let s = c.as_os_str().to_string_lossy();
        if rest.is_empty() && !has_glob_meta(&s) {
            match c {
                Component::RootDir | Component::Prefix(_) => root.push(c.as_os_str()),
                _ => root.push(&*s),
            }
        } else {
            rest.push(s.into_owned());
        }
    }
    if rest.is_empty() {
        // A literal path: look for that one file in its directory.
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = root.parent().map(Path::to_path_buf).unwrap_or(root);
        return (parent, format!("/{name}"));
    }
    (root, format!("/{}", rest.join("/")))
}

fn execute(
    root: &Path,
    glob: &str,
    path_arg: Option<&str>,
    cwd: &Path,
    opts: Options,
    cancel: &CancelToken,
) -> ToolOutput {
    let started = Instant::now();
    let shown_root = path_arg
        .map(str::to_string)
        .unwrap_or_else(|| root.display().to_string());
    match std::fs::metadata(root) {
        Err(_) => {
            return ToolOutput::tool_use_error(format!(
                "Directory does not exist: {shown_root}. Note: your current working directory is {}.",
                cwd.display()
            ));
        }
        Ok(m) if !m.is_dir() => {
            return ToolOutput::tool_use_error(format!(
                "Path is not a directory: {shown_root}. Give a directory as path and the file \
                 name pattern as pattern."
            ));
        }
        Ok(_) => {}
    }
    let found = match find(root, glob, opts, cancel) {
        Ok(f) => f,
        Err(FindError::Invalid(msg)) => return ToolOutput::tool_use_error(msg),
        Err(FindError::Cancelled) => return ToolOutput::error(INTERRUPTED_TOOL_USE),
    };
    let truncated = found.total > MAX_RESULTS;
    let names: Vec<String> = found
        .into_sorted()
        .iter()
        .map(|d| walk::display_path(&d.path, cwd))
        .collect();
    let structured = json!({
        "filenames": names,
        "durationMs": started.elapsed().as_millis() as u64,
        "numFiles": names.len(),
        "truncated": truncated,
    });
    let text = if names.is_empty() {
        "No files found".to_string()
    } else if truncated {
        format!("{}\n{TRUNCATED_NOTICE}", names.join("\n"))
    } else {
        names.join("\n")
    };
    ToolOutput::ok(text).with_structured(structured)
}

#[derive(Debug)]
enum FindError {
    Invalid(String),
    Cancelled,
}

/// Walks `root` in parallel; keeps the newest [`MAX_RESULTS`] matches and counts all.
fn find(
    root: &Path,
    glob: &str,
    opts: Options,
    cancel: &CancelToken,
) -> Result<NewestFirst, FindError> {
    let filter = GlobFilter::new(root, glob).map_err(FindError::Invalid)?;
    let wb = walk::walker(
        root,
        WalkOptions {
            respect_ignore: opts.respect_ignore,
            hidden: opts.hidden,
            globs: &[],
            types: None,
            read_deny: opts.read_deny.clone(),
        },
    )
    .map_err(FindError::Invalid)?;
    let results = Mutex::new(NewestFirst::new(Some(MAX_RESULTS)));
    let mut builder = Builder {
        results: &results,
        filter: &filter,
        cancel,
    };
    wb.build_parallel().visit(&mut builder);
    if cancel.is_cancelled() {
        return Err(FindError::Cancelled);
    }
    Ok(results.into_inner().unwrap_or_else(|p| p.into_inner()))
}

struct Builder<'s> {
    results: &'s Mutex<NewestFirst>,
    filter: &'s GlobFilter,
    cancel: &'s CancelToken,
}

impl<'s> ParallelVisitorBuilder<'s> for Builder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            results: self.results,
            filter: self.filter,
            cancel: self.cancel,
            local: NewestFirst::new(Some(MAX_RESULTS)),
        })
    }
}

/// One walker thread: collects locally, merges once when the walk ends.
struct Visitor<'s> {
    results: &'s Mutex<NewestFirst>,
    filter: &'s GlobFilter,
    cancel: &'s CancelToken,
    local: NewestFirst,
}

impl ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        if self.cancel.is_cancelled() {
            return WalkState::Quit;
        }
        let Ok(entry) = entry else {
            return WalkState::Continue;
        };
        if entry.depth() > 0
            && entry.file_type().is_some_and(|t| t.is_file())
            && self.filter.is_match(entry.path())
        {
            let mtime = entry
                .metadata()
                .map(|m| walk::mtime_of(&m))
                .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
            self.local.push(Dated {
                mtime,
                path: entry.into_path(),
            });
        }
        WalkState::Continue
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        self.results
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .merge(local);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_keeps_relative_patterns_and_splits_absolute_ones() {
        let ctx = ToolContext::for_tests(Path::new("/w/proj"));
        assert_eq!(
            plan("**/*.rs", None, &ctx),
            (PathBuf::from("/w/proj"), "**/*.rs".to_string())
        );
        assert_eq!(
            plan("./src/*.rs", Some("sub"), &ctx),
            (PathBuf::from("/w/proj/sub"), "src/*.rs".to_string())
        );
        assert_eq!(
            plan("/w/proj/src/**/*.{ts,tsx}", None, &ctx),
            (PathBuf::from("/w/proj/src"), "/**/*.{ts,tsx}".to_string())
        );
        assert_eq!(
            plan("../other/*.md", None, &ctx),
            (PathBuf::from("/w/other"), "/*.md".to_string())
        );
        assert_eq!(
            plan("/w/proj/Cargo.toml", None, &ctx),
            (PathBuf::from("/w/proj"), "/Cargo.toml".to_string())
        );
    }

    #[test]
    fn tilde_patterns_start_at_home() {
        let Some(home) = crate::paths::home_dir() else {
            return;
        };
        let ctx = ToolContext::for_tests(Path::new("/w/proj"));
        assert_eq!(
            plan("~/notes/*.md", Some("sub"), &ctx),
            (
                crate::paths::normalize(&home.join("notes")),
                "/*.md".to_string()
            )
        );
    }

    #[test]
    fn description_is_short() {
        assert!(DESCRIPTION.split_whitespace().count() <= 60);
    }
}
