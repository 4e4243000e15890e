//! How tool calls, their results, diffs, todo lists, errors and the user's own prompts look.
//! Every function returns finished terminal lines (no trailing newline); none keeps state.

use super::text::{self, Span, paint};
use super::theme::{self, Style, Theme};
use ccrs_core::tools::ToolOutput;
use ccrs_core::tools::context::{Todo, TodoStatus};
use serde_json::Value;

/// Result lines shown under a tool call before `… +N lines`.
pub const RESULT_LINES: usize = 3;
/// Lines of a created file shown under the call.
pub const CREATE_LINES: usize = 8;
/// Diff lines shown under an edit before `… +N lines`.
pub const DIFF_LINES: usize = 60;

const ELBOW: &str = "  ⎿  ";
const UNDER: &str = "     ";
/// Columns both leads take (`ELBOW.len()` counts the bytes of `⎿`, three).
const LEAD_WIDTH: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallState {
    Running,
    Ok,
    Error,
}

/// `● Name(summary)`.
pub fn tool_call(
    theme: &Theme,
    name: &str,
    summary: &str,
    state: CallState,
    width: usize,
) -> String {
    let bullet = match state {
        CallState::Running => theme::SECONDARY,
        CallState::Ok => theme::OK,
        CallState::Error => theme::ERROR,
    };
    let summary = text::sanitize(summary).replace('\n', " ");
    let room = width.saturating_sub(text::width(name) + 4).max(8);
    let mut spans = vec![Span::new(bullet, "● "), Span::new(theme::TOOL, name)];
    if !summary.is_empty() {
        spans.push(Span::plain(format!(
            "({})",
            text::truncate(&summary, room.saturating_sub(2))
        )));
    }
    paint(theme, &spans)
}

/// Lines under a call: the first with `  ⎿  `, the rest indented to match.
fn under(theme: &Theme, lines: Vec<(Style, String)>, width: usize) -> Vec<String> {
    let room = width.saturating_sub(LEAD_WIDTH).max(8);
    lines
        .into_iter()
        .enumerate()
        .map(|(i, (style, l))| {
            let lead = if i == 0 { ELBOW } else { UNDER };
            let body = text::truncate(&l, room);
            format!(
                "{}{}",
                theme.paint(theme::SECONDARY, lead),
                theme.paint(style, &body)
            )
        })
        .collect()
}

/// The first `max` lines of `s` (sanitised), then `… +N lines`.
fn head_lines(s: &str, max: usize, style: Style) -> Vec<(Style, String)> {
    let clean = text::sanitize(s.trim_end_matches('\n'));
    let all: Vec<&str> = clean.lines().collect();
    let mut out: Vec<(Style, String)> = all
        .iter()
        .take(max)
        .map(|l| (style, (*l).to_string()))
        .collect();
    if all.len() > max {
        out.push((
            theme::SECONDARY,
            format!("… +{} lines (ctrl+o to expand)", all.len() - max),
        ));
    }
    out
}

fn strip_tool_use_error(s: &str) -> &str {
    s.trim()
        .strip_prefix("<tool_use_error>")
        .and_then(|r| r.strip_suffix("</tool_use_error>"))
        .unwrap_or(s)
}

/// The output of a call the user interrupted, without the marker that says so (Bash's
/// `<error>Command was aborted before completion</error>`, the agent's "interrupted for tool
/// use"); `None` for any other result.
fn interrupted_output(text: &str) -> Option<String> {
    if text.trim() == ccrs_core::events::INTERRUPTED_TOOL_USE {
        return Some(String::new());
    }
    let aborted = ccrs_core::tools::bash::ABORTED;
    if !text.lines().any(|l| l.trim() == aborted) {
        return None;
    }
    let kept: Vec<&str> = text.lines().filter(|l| l.trim() != aborted).collect();
    Some(kept.join("\n"))
}

/// How a call ended, when it did not simply run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The user said no (with their feedback, if any).
    User(Option<String>),
    /// A rule or the mode refused it.
    Rule(String),
}

/// The summary printed under a finished call.
pub fn tool_result(
    theme: &Theme,
    name: &str,
    input: &Value,
    output: &ToolOutput,
    refusal: Option<&Refusal>,
    cwd: &std::path::Path,
    width: usize,
) -> Vec<String> {
    match refusal {
        Some(Refusal::User(fb)) => {
            let mut l = vec![(theme::ERROR, "Rejected by user".to_string())];
            if let Some(f) = fb.as_deref().filter(|f| !f.trim().is_empty()) {
                l.push((theme::SECONDARY, format!("Feedback: {}", f.trim())));
            }
            return under(theme, l, width);
        }
        Some(Refusal::Rule(msg)) => {
            return under(theme, head_lines(msg, RESULT_LINES, theme::ERROR), width);
        }
        None => {}
    }
    let text_out = output.text();
    if output.is_error
        && let Some(partial) = interrupted_output(&text_out)
    {
        // The user stopped it (Esc): what it printed so far, then a plain "Interrupted".
        let mut l = if partial.trim().is_empty() {
            Vec::new()
        } else {
            head_lines(&partial, RESULT_LINES, Style::plain())
        };
        l.push((theme::ERROR, "Interrupted".to_string()));
        return under(theme, l, width);
    }
    if output.is_error {
        let msg = strip_tool_use_error(&text_out);
        let msg = if msg.trim().is_empty() { "Error" } else { msg };
        return under(theme, head_lines(msg, RESULT_LINES, theme::ERROR), width);
    }
    if let Some(s) = &output.structured {
        let path = s
            .get("filePath")
            .and_then(Value::as_str)
            .or_else(|| input.get("file_path").and_then(Value::as_str))
            .unwrap_or("");
        match s.get("type").and_then(Value::as_str) {
            Some("update") if s.get("structuredPatch").is_some() => {
                let patch = s.get("structuredPatch").cloned().unwrap_or(Value::Null);
                return edit_summary(theme, &display_path(path, cwd), &patch, width);
            }
            Some("create") => {
                let content = s
                    .get("content")
                    .and_then(Value::as_str)
                    .or_else(|| input.get("content").and_then(Value::as_str))
                    .unwrap_or("");
                let n = content.lines().count();
                let mut l = vec![(
                    Style::plain(),
                    format!(
                        "Wrote {n} line{} to {}",
                        if n == 1 { "" } else { "s" },
                        display_path(path, cwd)
                    ),
                )];
                let shown = head_lines(content, CREATE_LINES, Style::plain());
                for (i, (st, line)) in shown.into_iter().enumerate() {
                    if i < CREATE_LINES && st == Style::plain() {
                        l.push((st, format!("{:>4} {line}", i + 1)));
                    } else {
                        l.push((st, line));
                    }
                }
                return under(theme, l, width);
            }
            _ => {}
        }
    }
    match name {
        "Read" => {
            let n = text_out.lines().count();
            under(
                theme,
                vec![(
                    Style::plain(),
                    format!("Read {n} line{}", if n == 1 { "" } else { "s" }),
                )],
                width,
            )
        }
        "Glob" => {
            let n = text_out.lines().filter(|l| l.starts_with('/')).count();
            let first = if n > 0 {
                format!("Found {n} file{}", if n == 1 { "" } else { "s" })
            } else {
                text_out
                    .lines()
                    .next()
                    .unwrap_or("No files found")
                    .to_string()
            };
            under(theme, vec![(Style::plain(), first)], width)
        }
        _ => {
            if text_out.trim().is_empty() {
                return under(
                    theme,
                    vec![(theme::SECONDARY, "(No content)".into())],
                    width,
                );
            }
            under(
                theme,
                head_lines(&text_out, RESULT_LINES, Style::plain()),
                width,
            )
        }
    }
}

/// `Updated <path> with N additions and M removals` and the coloured diff.
pub fn edit_summary(theme: &Theme, path: &str, patch: &Value, width: usize) -> Vec<String> {
    let (add, del) = patch_counts(patch);
    let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    let head = format!(
        "Updated {} with {} and {}",
        path,
        plural(add, "addition"),
        plural(del, "removal")
    );
    let mut out = under(theme, vec![(Style::plain(), head)], width);
    for l in structured_patch(theme, patch, width.saturating_sub(LEAD_WIDTH), DIFF_LINES) {
        out.push(format!("{UNDER}{l}"));
    }
    out
}

/// Added and removed line counts of a structuredPatch.
pub fn patch_counts(patch: &Value) -> (usize, usize) {
    let mut add = 0;
    let mut del = 0;
    for h in patch.as_array().into_iter().flatten() {
        for l in h
            .get("lines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match l.as_str().and_then(|s| s.chars().next()) {
                Some('+') => add += 1,
                Some('-') => del += 1,
                _ => {}
            }
        }
    }
    (add, del)
}

/// A structuredPatch (`[{oldStart, oldLines, newStart, newLines, lines: ["-a", "+b", " c"]}]`)
/// as numbered, coloured lines; at most `max` lines, then `… +N lines`.
pub fn structured_patch(theme: &Theme, patch: &Value, width: usize, max: usize) -> Vec<String> {
    let hunks: Vec<&Value> = patch
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut rows: Vec<(char, Option<u64>, String)> = Vec::new();
    let mut max_no = 1u64;
    for (k, h) in hunks.iter().enumerate() {
        if k > 0 {
            rows.push(('…', None, String::new()));
        }
        let mut old_no = h.get("oldStart").and_then(Value::as_u64).unwrap_or(1);
        let mut new_no = h.get("newStart").and_then(Value::as_u64).unwrap_or(1);
        for l in h
            .get("lines")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let s = l.as_str().unwrap_or("");
            let mut chars = s.chars();
            let sign = chars.next().unwrap_or(' ');
            let body = chars.as_str().to_string();
            let no = match sign {
                '+' => {
                    new_no += 1;
                    new_no - 1
                }
                '-' => {
                    old_no += 1;
                    old_no - 1
                }
                '\\' => continue, // "\ No newline at end of file"
                _ => {
                    old_no += 1;
                    new_no += 1;
                    new_no - 1
                }
            };
            max_no = max_no.max(no);
            rows.push((sign, Some(no), body));
        }
    }
    let nw = max_no.to_string().len();
    let total = rows.len();
    let mut out = Vec::new();
    for (sign, no, body) in rows.into_iter().take(max) {
        if sign == '…' {
            out.push(theme.paint(theme::SECONDARY, &format!("{:>nw$} ⋮", "")));
            continue;
        }
        let no = no.map(|n| n.to_string()).unwrap_or_default();
        let clean = text::sanitize(&body);
        let room = width.saturating_sub(nw + 3).max(8);
        let body = text::truncate(&clean, room);
        let (style, sign_s) = match sign {
            '+' => (theme::ADDED, "+"),
            '-' => (theme::REMOVED, "-"),
            _ => (Style::plain(), " "),
        };
        out.push(format!(
            "{} {}",
            theme.paint(theme::SECONDARY, &format!("{no:>nw$}")),
            theme.paint(style, &format!("{sign_s}{body}"))
        ));
    }
    if total > max {
        out.push(theme.paint(theme::SECONDARY, &format!("… +{} lines", total - max)));
    }
    out
}

/// The todo list as a checklist.
pub fn todos(theme: &Theme, list: &[Todo], width: usize) -> Vec<String> {
    let mut out = vec![format!(
        "{}{}",
        theme.paint(theme::OK, "● "),
        theme.paint(theme::TOOL, "Update Todos")
    )];
    let mut lines: Vec<(Style, String)> = list
        .iter()
        .map(|t| {
            let (mark, style) = match t.status {
                TodoStatus::Pending => ("☐", Style::plain()),
                TodoStatus::InProgress => ("◐", theme::SELECTED),
                TodoStatus::Completed => ("☒", theme::DIM.strike()),
            };
            (style, format!("{mark} {}", text::sanitize(&t.content)))
        })
        .collect();
    if lines.is_empty() {
        lines.push((theme::SECONDARY, "(empty)".into()));
    }
    out.extend(under(theme, lines, width));
    out
}

/// The todo list from TodoWrite's input (when the tool did not report it itself).
pub fn todos_from_input(input: &Value) -> Vec<Todo> {
    input
        .get("todos")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// Lines of an error message shown before `… +N lines` (a proxy's HTML page, not an API
/// error, is what gets that long).
const ERROR_LINES: usize = 40;

/// An error that ended a turn, in red: the whole message, wrapped at word boundaries under the
/// elbow, never cut with `…` (the docs URL at the end of an API error is the useful part).
pub fn error(theme: &Theme, msg: &str, width: usize) -> Vec<String> {
    wrapped_under(theme, msg, theme::ERROR, width, ERROR_LINES)
}

/// `msg` (sanitised) word-wrapped into the room under a call, first row after the elbow. A
/// word longer than a row (a URL) gets a row of its own and is left whole: the terminal
/// soft-wraps it, so it can still be selected and copied as one piece.
fn wrapped_under(
    theme: &Theme,
    msg: &str,
    style: Style,
    width: usize,
    max_lines: usize,
) -> Vec<String> {
    let room = width.saturating_sub(LEAD_WIDTH).max(8);
    let clean = text::sanitize(msg.trim());
    let lines: Vec<&str> = clean.lines().collect();
    let mut rows: Vec<(Style, String)> = Vec::new();
    for line in lines.iter().take(max_lines) {
        let mut row = String::new();
        for word in line.split_whitespace() {
            if !row.is_empty() && text::width(&row) + 1 + text::width(word) > room {
                rows.push((style, std::mem::take(&mut row)));
            }
            if !row.is_empty() {
                row.push(' ');
            }
            row.push_str(word);
        }
        rows.push((style, row));
    }
    if lines.len() > max_lines {
        rows.push((
            theme::SECONDARY,
            format!("… +{} lines", lines.len() - max_lines),
        ));
    }
    rows.into_iter()
        .enumerate()
        .map(|(i, (st, r))| {
            let lead = if i == 0 { ELBOW } else { UNDER };
            format!(
                "{}{}",
                theme.paint(theme::SECONDARY, lead),
                theme.paint(st, &r)
            )
        })
        .collect()
}

/// A warning (settings files, saving rules).
pub fn warning(theme: &Theme, msg: &str) -> String {
    theme.paint(theme::WARN, &format!("⚠ {}", text::sanitize(msg)))
}

/// `Retrying in Ns… (attempt k/N)` with the reason.
pub fn retry(theme: &Theme, n: &ccrs_core::api::RetryNotice, width: usize) -> Vec<String> {
    let secs = n.delay_ms.div_ceil(1000);
    let reason = match n.status {
        Some(s) => format!("API error {s}"),
        None => "Connection error".to_string(),
    };
    let mut out = under(
        theme,
        vec![(
            theme::WARN,
            format!(
                "{reason} · Retrying in {secs}s… (attempt {}/{})",
                n.attempt, n.max_retries
            ),
        )],
        width,
    );
    // The reason in full under the first line, and that the partial answer shown is void.
    let detail = n.message.split_whitespace().collect::<Vec<_>>().join(" ");
    let discarded = if n.discarded_output {
        "The partial answer above is discarded; the retry answers in full."
    } else {
        ""
    };
    for text in [detail.as_str(), discarded] {
        if text.is_empty() {
            continue;
        }
        let rows = wrapped_under(theme, text, theme::SECONDARY, width, 1);
        let elbow = theme.paint(theme::SECONDARY, ELBOW);
        let under_lead = theme.paint(theme::SECONDARY, UNDER);
        out.extend(rows.into_iter().map(|r| match r.strip_prefix(&elbow) {
            Some(rest) => format!("{under_lead}{rest}"),
            None => r,
        }));
    }
    out
}

/// The user's prompt as echoed into the scrollback: `> text`.
pub fn user_prompt(theme: &Theme, prompt: &str, width: usize) -> Vec<String> {
    let clean = text::sanitize(prompt);
    let mut out = Vec::new();
    for (i, line) in clean.lines().enumerate() {
        let lead = if i == 0 { "> " } else { "  " };
        let spans = vec![Span::plain(line)];
        let rows = text::wrap_spans(
            &spans,
            width.max(10),
            &[Span::plain(lead)],
            &[Span::plain("  ")],
        );
        for r in rows {
            out.push(paint(
                theme,
                &[Span::new(
                    theme::SECONDARY,
                    r.iter().map(|s| s.text.as_str()).collect::<String>(),
                )],
            ));
        }
    }
    if out.is_empty() {
        out.push(theme.paint(theme::SECONDARY, ">"));
    }
    out
}

/// The start-up header: name, version and model, the directory, and the hints, each wrapped
/// at word boundaries to `width` (a path without spaces is cut where it must be).
pub fn header(theme: &Theme, model: &str, cwd: &std::path::Path, width: usize) -> Vec<String> {
    let width = width.max(10);
    let model = text::sanitize(model);
    let cwd = text::sanitize(&cwd.display().to_string());
    let lines: [(&[Span], Style); 3] = [
        (
            &[
                Span::new(theme::ACCENT.bold(), "✻ ccrs"),
                Span::plain(" "),
                Span::new(
                    theme::SECONDARY,
                    format!("v{} · {model}", ccrs_core::VERSION),
                ),
            ],
            theme::SECONDARY,
        ),
        (&[Span::plain(cwd)], theme::SECONDARY),
        (
            &[Span::plain(
                "/help for help · @ to attach files · shift+tab to switch modes",
            )],
            theme::SECONDARY,
        ),
    ];
    let mut out = Vec::new();
    for (i, (spans, style)) in lines.iter().enumerate() {
        let lead = if i == 0 { "" } else { "  " };
        let spans: Vec<Span> = spans
            .iter()
            .map(|s| {
                if s.style.is_plain() {
                    Span::new(*style, s.text.clone())
                } else {
                    s.clone()
                }
            })
            .collect();
        let indent = [Span::plain(lead)];
        let hang = [Span::plain(if i == 0 { "  " } else { lead })];
        for row in text::wrap_spans(&spans, width, &indent, &hang) {
            out.push(paint(theme, &row));
        }
    }
    out
}

/// A path shown relative to `cwd` when it is inside it.
pub fn display_path(path: &str, cwd: &std::path::Path) -> String {
    let c = cwd.to_string_lossy();
    match path.strip_prefix(c.as_ref()) {
        Some(rest) if rest.starts_with('/') => rest[1..].to_string(),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn patch() -> Value {
        json!([
            {"oldStart": 9, "oldLines": 4, "newStart": 9, "newLines": 5,
             "lines": [" fn main() {", "-    println!(\"old\");", "+    println!(\"new\");", "+    println!(\"more\");", " }"]},
            {"oldStart": 120, "oldLines": 1, "newStart": 121, "newLines": 1,
             "lines": ["-x", "+y"]}
        ])
    }

    /// `tool_result` of a call that was not refused, in `/p`.
    fn result(theme: &Theme, name: &str, input: &Value, out: &ToolOutput, w: usize) -> Vec<String> {
        tool_result(theme, name, input, out, None, Path::new("/p"), w)
    }

    #[test]
    fn diff_snapshot_plain_and_colored() {
        let out = ToolOutput::ok("ok").with_structured(
            json!({"type": "update", "filePath": "src/main.rs", "structuredPatch": patch()}),
        );
        let input = json!({"file_path": "src/main.rs"});
        let plain = result(&Theme::PLAIN, "Edit", &input, &out, 80);
        insta::assert_snapshot!("diff_plain", plain.join("\n"));
        let color = result(&Theme::COLOR, "Edit", &input, &out, 80);
        insta::assert_snapshot!("diff_colored", color.join("\n"));
    }

    #[test]
    fn tool_call_snapshot() {
        let lines = [
            tool_call(&Theme::PLAIN, "Bash", "cargo test", CallState::Ok, 80),
            tool_call(&Theme::PLAIN, "Read", "src/main.rs", CallState::Error, 80),
            tool_call(&Theme::PLAIN, "Bash", &"x".repeat(200), CallState::Ok, 40),
            tool_call(&Theme::COLOR, "Bash", "cargo test", CallState::Ok, 80),
            tool_call(&Theme::COLOR, "Write", "a.txt", CallState::Error, 80),
        ];
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn tool_results_snapshot() {
        let mut all = Vec::new();
        let bash = ToolOutput::ok("line 1\nline 2\nline 3\nline 4\nline 5\n");
        all.extend(result(&Theme::PLAIN, "Bash", &json!({}), &bash, 60));
        let err = ToolOutput::tool_use_error("File has not been read yet.");
        all.extend(result(&Theme::PLAIN, "Edit", &json!({}), &err, 60));
        let read = ToolOutput::ok("     1\ta\n     2\tb\n");
        all.extend(result(&Theme::PLAIN, "Read", &json!({}), &read, 60));
        let rejected = Refusal::User(Some("use a temp dir".into()));
        all.extend(tool_result(
            &Theme::PLAIN,
            "Bash",
            &json!({}),
            &ToolOutput::error("x"),
            Some(&rejected),
            Path::new("/p"),
            60,
        ));
        let empty = ToolOutput::ok("");
        all.extend(result(&Theme::PLAIN, "Bash", &json!({}), &empty, 60));
        let aborted = ToolOutput::error(format!(
            "partial line 1\npartial line 2\n{}",
            ccrs_core::tools::bash::ABORTED
        ));
        all.extend(result(&Theme::PLAIN, "Bash", &json!({}), &aborted, 60));
        let aborted = ToolOutput::error(ccrs_core::tools::bash::ABORTED);
        all.extend(result(&Theme::PLAIN, "Bash", &json!({}), &aborted, 60));
        let stopped = ToolOutput::error(ccrs_core::events::INTERRUPTED_TOOL_USE);
        all.extend(result(&Theme::PLAIN, "Read", &json!({}), &stopped, 60));
        let timed_out = ToolOutput::error("out\nCommand timed out after 2s");
        all.extend(result(&Theme::PLAIN, "Bash", &json!({}), &timed_out, 60));
        let create = ToolOutput::ok("ok")
            .with_structured(json!({"type":"create","filePath":"/p/a.txt","content":"one\ntwo\n"}));
        all.extend(result(&Theme::PLAIN, "Write", &json!({}), &create, 60));
        insta::assert_snapshot!(all.join("\n"));
    }

    #[test]
    fn todo_snapshot() {
        let list = vec![
            Todo {
                content: "Write the parser".into(),
                status: TodoStatus::Completed,
                active_form: "Writing the parser".into(),
            },
            Todo {
                content: "Test the parser".into(),
                status: TodoStatus::InProgress,
                active_form: "Testing".into(),
            },
            Todo {
                content: "Ship it".into(),
                status: TodoStatus::Pending,
                active_form: "Shipping".into(),
            },
        ];
        insta::assert_snapshot!("todos_plain", todos(&Theme::PLAIN, &list, 60).join("\n"));
        insta::assert_snapshot!("todos_colored", todos(&Theme::COLOR, &list, 60).join("\n"));
    }

    #[test]
    fn retry_line_mentions_attempts() {
        let mut n = ccrs_core::api::RetryNotice {
            attempt: 2,
            max_retries: 10,
            delay_ms: 1500,
            status: Some(529),
            category: "overloaded",
            message: "overloaded".into(),
            discarded_output: false,
            non_streaming: false,
        };
        assert_eq!(
            retry(&Theme::PLAIN, &n, 100),
            vec![
                "  ⎿  API error 529 · Retrying in 2s… (attempt 2/10)",
                "     overloaded"
            ]
        );
        n.status = None;
        n.discarded_output = true;
        assert_eq!(
            retry(&Theme::PLAIN, &n, 100),
            vec![
                "  ⎿  Connection error · Retrying in 2s… (attempt 2/10)",
                "     overloaded",
                "     The partial answer above is discarded; the retry answers in full."
            ]
        );
    }

    #[test]
    fn api_errors_are_shown_whole_and_wrapped() {
        let msg = "API Error: 400 invalid_request_error: messages.1.content.0: tool_use ids \
                   must be unique; see https://docs.anthropic.com/en/api/errors#http-errors-and-a-very-long-anchor for details";
        let lines = error(&Theme::PLAIN, msg, 60);
        insta::assert_snapshot!(lines.join("\n"));
        let text: String = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        assert!(!text.contains('…'));
        assert!(text.contains(
            "https://docs.anthropic.com/en/api/errors#http-errors-and-a-very-long-anchor"
        ));
        // Everything fits but the URL, which keeps a row of its own.
        for l in &lines {
            assert!(text::width(l) <= 60 || !l.trim().contains(' '), "{l:?}");
        }
        let no_cred = "API Error: no credentials: set ANTHROPIC_API_KEY (recommended) or run \
                       `ccrs login` (or `/login` in an interactive session)";
        let lines = error(&Theme::COLOR, no_cred, 60);
        let plain: Vec<String> = lines.iter().map(|l| text::strip_ansi(l)).collect();
        assert_eq!(
            plain,
            [
                "  ⎿  API Error: no credentials: set ANTHROPIC_API_KEY",
                "     (recommended) or run `ccrs login` (or `/login` in an",
                "     interactive session)"
            ]
        );
        let long_body: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let lines = error(&Theme::PLAIN, &long_body, 60);
        assert_eq!(lines.len(), ERROR_LINES + 1);
        assert_eq!(lines[ERROR_LINES], "     … +60 lines");
    }

    #[test]
    fn lines_under_a_call_use_the_whole_width() {
        let fits = "x".repeat(55);
        let out = ToolOutput::ok(format!("{fits}\n{fits}y\n"));
        let l = result(&Theme::PLAIN, "Bash", &json!({}), &out, 60);
        assert_eq!(l[0], format!("  ⎿  {fits}"));
        assert_eq!(l[1], format!("     {}…", "x".repeat(54)));
        for r in &l {
            assert_eq!(text::width(r), 60);
        }
        let todo = Todo {
            content: "t".repeat(53),
            status: TodoStatus::Pending,
            active_form: String::new(),
        };
        assert_eq!(
            todos(&Theme::PLAIN, &[todo], 60)[1],
            format!("  ⎿  ☐ {}", "t".repeat(53))
        );
    }

    #[test]
    fn header_wraps_between_words_at_60_columns() {
        let cwd = Path::new("/home/someone/projects/a-rather-long-project-name/with/nested/dirs");
        let model = "Claude Sonnet 4.5 (claude-sonnet-4-5-20250929)";
        let lines = header(&Theme::PLAIN, model, cwd, 60);
        let v = ccrs_core::VERSION;
        insta::assert_snapshot!(lines.join("\n").replace(v, "<version>"));
        for l in &lines {
            assert!(text::width(l) <= 60, "{l:?}");
        }
        let words: Vec<&str> = lines.iter().flat_map(|l| l.split_whitespace()).collect();
        assert!(
            words.contains(&"modes") && words.contains(&"switch"),
            "{words:?}"
        );
        let colored = header(&Theme::COLOR, model, cwd, 60);
        assert_eq!(colored.len(), lines.len());
    }

    #[test]
    fn user_prompt_wraps_and_prefixes() {
        let l = user_prompt(&Theme::PLAIN, "hello there\nsecond line", 40);
        assert_eq!(l, vec!["> hello there", "  second line"]);
    }
}
