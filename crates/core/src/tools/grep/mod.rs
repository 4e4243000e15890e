//! The `Grep` tool: ripgrep's semantics and output, in process (ripgrep's own crates, no `rg`).
//!
//! Differences from Claude Code, all deliberate: paths are always printed (also when `path` is a
//! single file, where `rg` would print bare line numbers), CR before LF is dropped from printed
//! lines, content and count results are in path order (ripgrep's parallel order changes from run
//! to run, which breaks `offset` paging), count totals cover every match, not just the page, and
//! `glob` patterns containing a slash are anchored at the searched `path` (Claude Code's `rg`
//! anchors them at its working directory).

mod search;
pub(crate) mod walk;

use crate::BoxFuture;
use crate::events::INTERRUPTED_TOOL_USE;
use crate::fsutil::SpecialKind;
use crate::message::ToolResultContent;
use crate::tools::schema::{self, opt_str};
use crate::tools::textfile::format_size;
use crate::tools::{Subject, Tool, ToolContext, ToolOutput};
use search::{Found, Mode, SearchError, Skipped, Spec};
use serde_json::{Value, json};
use std::path::PathBuf;

/// Results per page when `head_limit` is not given (Claude Code 2.1's default).
pub const DEFAULT_HEAD_LIMIT: usize = 250;

pub struct GrepTool;

const DESCRIPTION: &str = "Search file contents with a Rust regex (ripgrep). Honours .gitignore, \
skips binary files. output_mode: files_with_matches (default, newest first), content (lines; \
-A/-B/-C context), count. Filter with glob or type; page with head_limit (default 250, 0 = \
all) and offset.";

impl Tool for GrepTool {
    fn name(&self) -> &str {
        "Grep"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "pattern": {"type": "string", "description": "Regex (Rust syntax)"},
                "path": {"type": "string", "description": "File or directory (default: cwd)"},
                "glob": {"type": "string", "description": "File filter, e.g. \"*.rs\", \"*.{ts,tsx}\""},
                "type": {"type": "string", "description": "File type, e.g. rust, py, js"},
                "output_mode": {"type": "string", "enum": ["content", "files_with_matches", "count"]},
                "-A": {"type": "number", "minimum": 0, "description": "Lines after each match"},
                "-B": {"type": "number", "minimum": 0, "description": "Lines before each match"},
                "-C": {"type": "number", "minimum": 0, "description": "Lines around each match"},
                "context": {"type": "number", "minimum": 0, "description": "Same as -C"},
                "-n": {"type": "boolean", "description": "Line numbers (default true)"},
                "-i": {"type": "boolean", "description": "Case insensitive"},
                "multiline": {"type": "boolean", "description": "Matches may span lines; . matches newline"},
                "head_limit": {"type": "number", "minimum": 0, "description": "Max results (default 250, 0 = all)"},
                "offset": {"type": "number", "minimum": 0, "description": "Results to skip"}
            },
            "required": ["pattern"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject {
        Subject::Read(vec![search_root(input, ctx)])
    }

    fn summary(&self, input: &Value) -> String {
        schema::pattern_summary(input)
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        crate::tools::call_blocking("Grep", input, ctx, |i, c| run(&i, c))
    }
}

fn run(input: &Value, ctx: &ToolContext) -> ToolOutput {
    match Request::parse(input, ctx) {
        Ok(req) => req.execute(&ctx.cancel),
        Err(e) => ToolOutput::tool_use_error(e),
    }
}

/// A non-negative whole number field (fractions are dropped, negatives read as 0).
fn opt_num(input: &Value, key: &str) -> Option<usize> {
    let f = input.get(key)?.as_f64()?;
    Some(if f.is_nan() || f <= 0.0 {
        0
    } else {
        f.min(1e12) as usize
    })
}

fn search_root(input: &Value, ctx: &ToolContext) -> PathBuf {
    opt_str(input, "path")
        .map(|p| ctx.resolve(p))
        .unwrap_or_else(|| ctx.cwd.clone())
}

/// Splits the `glob` parameter into ripgrep `--glob`s: on whitespace and commas, except inside
/// braces (`*.{ts,tsx}` stays whole).
pub fn split_globs(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '{' => {
                depth += 1;
                cur.push(c);
            }
            '}' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            c if depth == 0 && (c == ',' || c.is_whitespace()) => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `head_limit` and `offset`.
#[derive(Clone, Copy, Debug)]
struct Page {
    /// `None`: unlimited.
    limit: Option<usize>,
    offset: usize,
}

impl Page {
    /// How many results from the start the page needs.
    fn cap(&self) -> Option<usize> {
        self.limit.map(|l| l.saturating_add(self.offset))
    }

    /// The page of `items`, and whether the limit cut something off (`more`: results beyond
    /// `items` exist).
    fn apply<T>(&self, items: Vec<T>, more: bool) -> (Vec<T>, bool) {
        let after_offset = items.len().saturating_sub(self.offset);
        let cut = match self.limit {
            Some(l) => more || after_offset > l,
            None => false,
        };
        let page = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect();
        (page, cut)
    }

    /// `[Showing results with pagination = limit: N, offset: M]` when the page is partial.
    fn note(&self, cut: bool) -> Option<String> {
        let mut parts = Vec::new();
        if cut && let Some(l) = self.limit {
            parts.push(format!("limit: {l}"));
        }
        if self.offset > 0 {
            parts.push(format!("offset: {}", self.offset));
        }
        (!parts.is_empty())
            .then(|| format!("[Showing results with pagination = {}]", parts.join(", ")))
    }

    fn structured(&self, cut: bool, v: &mut Value) {
        if cut && let Some(l) = self.limit {
            v["appliedLimit"] = json!(l);
        }
        if self.offset > 0 {
            v["appliedOffset"] = json!(self.offset);
        }
    }
}

/// A validated Grep call.
struct Request {
    spec: Spec,
    page: Page,
    /// As the model gave it, for messages.
    path_arg: Option<String>,
}

impl Request {
    fn parse(input: &Value, ctx: &ToolContext) -> Result<Request, String> {
        let pattern = input
            .get("pattern")
            .and_then(Value::as_str)
            .ok_or("The required parameter `pattern` is missing")?
            .to_string();
        let mode = match opt_str(input, "output_mode") {
            None | Some("files_with_matches") => Mode::Files,
            Some("content") => Mode::Content,
            Some("count") => Mode::Count,
            Some(other) => {
                return Err(format!(
                    "Invalid output_mode \"{other}\": use content, files_with_matches or count"
                ));
            }
        };
        let around = opt_num(input, "-C").or_else(|| opt_num(input, "context"));
        let limit = match opt_num(input, "head_limit") {
            None => Some(DEFAULT_HEAD_LIMIT),
            Some(0) => None,
            Some(n) => Some(n),
        };
        let types = opt_str(input, "type")
            .map(|t| {
                t.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let page = Page {
            limit,
            offset: opt_num(input, "offset").unwrap_or(0),
        };
        Ok(Request {
            spec: Spec {
                root: search_root(input, ctx),
                cwd: ctx.cwd.clone(),
                pattern,
                mode,
                line_numbers: input.get("-n").and_then(Value::as_bool).unwrap_or(true),
                before: opt_num(input, "-B").or(around).unwrap_or(0),
                after: opt_num(input, "-A").or(around).unwrap_or(0),
                case_insensitive: input.get("-i").and_then(Value::as_bool).unwrap_or(false),
                multiline: input
                    .get("multiline")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                globs: opt_str(input, "glob").map(split_globs).unwrap_or_default(),
                types,
                cap: page.cap(),
                read_deny: walk::read_deny_filter(ctx.permissions.as_ref()),
            },
            page,
            path_arg: opt_str(input, "path").map(str::to_string),
        })
    }

    /// Runs the search and renders the result (blocking).
    fn execute(self, cancel: &crate::cancel::CancelToken) -> ToolOutput {
        let root = &self.spec.root;
        let shown = || {
            self.path_arg
                .clone()
                .unwrap_or_else(|| root.display().to_string())
        };
        match std::fs::metadata(root) {
            Err(_) => {
                return ToolOutput::tool_use_error(format!(
                    "Path does not exist: {}. Note: your current working directory is {}.",
                    shown(),
                    self.spec.cwd.display()
                ));
            }
            // A FIFO would block the search (forever, without a writer), a device may never end.
            Ok(m) => {
                if let Some(kind) =
                    SpecialKind::of(m.file_type()).filter(|k| *k != SpecialKind::Directory)
                {
                    return ToolOutput::tool_use_error(format!(
                        "{} is not a regular file ({}); Grep searches files and directories.",
                        shown(),
                        kind.describe()
                    ));
                }
            }
        }
        match search::run(&self.spec, cancel) {
            Ok((found, skipped)) => {
                with_skipped(render(found, self.page, &self.spec), &skipped, &self.spec)
            }
            Err(SearchError::Cancelled) => ToolOutput::error(INTERRUPTED_TOOL_USE),
            Err(SearchError::Invalid(msg)) => {
                ToolOutput::tool_use_error(if msg.starts_with("Invalid") {
                    msg
                } else if msg.contains("file type") {
                    format!("Invalid type: {msg}")
                } else if msg.contains("\"\\n\"") {
                    format!(
                        "Invalid regex pattern \"{}\": {msg}. Set multiline: true to match across lines.",
                        self.spec.pattern
                    )
                } else {
                    format!("Invalid regex pattern \"{}\": {msg}", self.spec.pattern)
                })
            }
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn with_note(mut text: String, note: Option<String>) -> String {
    if let Some(n) = note {
        text.push_str("\n\n");
        text.push_str(&n);
    }
    text
}

/// Names the files skipped for their size at the end of the result.
fn with_skipped(out: ToolOutput, skipped: &Skipped, spec: &Spec) -> ToolOutput {
    if skipped.count == 0 {
        return out;
    }
    let mut names: Vec<String> = skipped
        .examples
        .iter()
        .map(|p| walk::display_path(p, &spec.cwd))
        .collect();
    if skipped.count > names.len() {
        names.push(format!("and {} more", skipped.count - names.len()));
    }
    let what = if spec.multiline {
        "larger than"
    } else {
        "with a line longer than"
    };
    let note = format!(
        "[Skipped {} {what} {}: {}. Use Bash to search them (e.g. grep -o with a bounded \
         pattern).]",
        plural(skipped.count, "file", "files"),
        format_size(search::HEAP_LIMIT as u64),
        names.join(", ")
    );
    let text = out.text();
    let text = if text.is_empty() {
        note
    } else {
        format!("{text}\n\n{note}")
    };
    ToolOutput {
        content: ToolResultContent::Text(text),
        ..out
    }
}

fn render(found: Found, page: Page, spec: &Spec) -> ToolOutput {
    match found {
        Found::Files { files, total } => {
            let shown: Vec<String> = files
                .iter()
                .map(|p| walk::display_path(p, &spec.cwd))
                .collect();
            let (shown, cut) = page.apply(shown, total > files.len());
            let mut structured = json!({
                "mode": "files_with_matches",
                "filenames": shown,
                "numFiles": shown.len(),
            });
            page.structured(cut, &mut structured);
            let text = if shown.is_empty() {
                if total > 0 {
                    format!(
                        "No files found at offset {} ({} matched)",
                        page.offset,
                        plural(total, "file", "files")
                    )
                } else {
                    "No files found".to_string()
                }
            } else {
                with_note(
                    format!(
                        "Found {}\n{}",
                        plural(shown.len(), "file", "files"),
                        shown.join("\n")
                    ),
                    page.note(cut),
                )
            };
            ToolOutput::ok(text).with_structured(structured)
        }
        Found::Content { text, lines, more } => {
            let kept = lines;
            let (content, shown, cut) =
                if page.offset == 0 && page.limit.is_none_or(|l| lines <= l) && !more {
                    // The common case: the whole text is the page.
                    let mut t = text;
                    t.truncate(t.trim_end_matches('\n').len());
                    (t, lines, false)
                } else {
                    let all: Vec<&str> = text.split_terminator('\n').collect();
                    let (page_lines, cut) = page.apply(all, more);
                    (page_lines.join("\n"), page_lines.len(), cut)
                };
            let mut structured = json!({
                "mode": "content",
                "numFiles": 0,
                "filenames": [],
                "content": content,
                "numLines": shown,
            });
            page.structured(cut, &mut structured);
            let text = if shown == 0 {
                if kept > 0 {
                    // Nothing was dropped when the offset is past the end, so `kept` is exact.
                    format!(
                        "No matches found at offset {} ({} in total)",
                        page.offset,
                        plural(kept, "line", "lines")
                    )
                } else {
                    "No matches found".to_string()
                }
            } else {
                with_note(content, page.note(cut))
            };
            ToolOutput::ok(text).with_structured(structured)
        }
        Found::Count {
            entries,
            total_files,
            total_matches,
        } => {
            let kept = entries.len();
            let (shown, cut) = page.apply(entries, total_files > kept);
            let content: Vec<String> = shown.iter().map(|(p, c)| format!("{p}:{c}")).collect();
            let content = content.join("\n");
            let mut structured = json!({
                "mode": "count",
                "numFiles": total_files,
                "numMatches": total_matches,
                "filenames": [],
                "content": content,
            });
            page.structured(cut, &mut structured);
            let summary = format!(
                "Found {} total {} across {}.",
                total_matches,
                if total_matches == 1 {
                    "occurrence"
                } else {
                    "occurrences"
                },
                plural(total_files, "file", "files")
            );
            let text = if total_files == 0 {
                "No matches found".to_string()
            } else if shown.is_empty() {
                format!("No entries at offset {}. {summary}", page.offset)
            } else {
                with_note(format!("{content}\n\n{summary}"), page.note(cut))
            };
            ToolOutput::ok(text).with_structured(structured)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_split_outside_braces() {
        assert_eq!(split_globs("*.rs"), ["*.rs"]);
        assert_eq!(split_globs("*.ts, *.tsx  *.js"), ["*.ts", "*.tsx", "*.js"]);
        assert_eq!(
            split_globs("src/**/*.{ts,tsx},!*.d.ts"),
            ["src/**/*.{ts,tsx}", "!*.d.ts"]
        );
        assert!(split_globs("  ").is_empty());
    }

    #[test]
    fn page_cuts_and_notes() {
        let p = Page {
            limit: Some(2),
            offset: 1,
        };
        assert_eq!(p.cap(), Some(3));
        let (v, cut) = p.apply(vec![1, 2, 3, 4], false);
        assert_eq!(v, [2, 3]);
        assert!(cut);
        assert_eq!(
            p.note(cut).unwrap(),
            "[Showing results with pagination = limit: 2, offset: 1]"
        );
        let (v, cut) = p.apply(vec![1, 2, 3], false);
        assert_eq!(v, [2, 3]);
        assert!(!cut);
        assert_eq!(
            p.note(cut).unwrap(),
            "[Showing results with pagination = offset: 1]"
        );
        // Results beyond those kept count as cut.
        assert!(p.apply(vec![1, 2, 3], true).1);
        let all = Page {
            limit: None,
            offset: 0,
        };
        assert_eq!(all.cap(), None);
        let (v, cut) = all.apply(vec![1, 2, 3], false);
        assert_eq!((v.len(), cut, all.note(cut)), (3, false, None));
    }

    #[test]
    fn numbers_are_lenient() {
        let v = json!({"a": 2.7, "b": -3, "c": "x"});
        assert_eq!(opt_num(&v, "a"), Some(2));
        assert_eq!(opt_num(&v, "b"), Some(0));
        assert_eq!(opt_num(&v, "c"), None);
        assert_eq!(opt_num(&v, "d"), None);
    }

    #[test]
    fn description_is_short() {
        assert!(DESCRIPTION.split_whitespace().count() <= 60);
    }
}
