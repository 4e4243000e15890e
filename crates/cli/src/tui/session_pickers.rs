//! Pickers on the plain terminal: which conversation `--resume` / `/resume` continues, which
//! prompt `/rewind` (Esc Esc) returns to and what it restores. A small list drawn inline (the
//! same live region the UI uses), ↑/↓ to move, Enter to choose, Esc to cancel. Also what a
//! resumed conversation shows of its history.

use super::markdown::Markdown;
use super::render::{self, CallState};
use super::terminal::{self, Screen};
use super::text;
use super::theme::{self, Theme};
use ccrs_core::message::{ContentBlock, Message, Role};
use ccrs_core::session::{RewindPoint, RewindScope};
use ccrs_core::transcript::{self, SessionFile, Summary};
use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers};
use std::path::Path;
use std::time::SystemTime;

/// Rows of the list shown at once.
const VISIBLE: usize = 10;

/// Lets the user choose one of `count` rows (`row(i)` draws row `i`, without the selection
/// mark). `None` when cancelled. The terminal must not be in use by the UI.
pub fn choose(
    title: &str,
    count: usize,
    row: &mut dyn FnMut(usize, usize) -> String,
) -> std::io::Result<Option<usize>> {
    if count == 0 {
        return Ok(None);
    }
    let t = Theme::detect();
    terminal::enter()?;
    let (w, h) = crossterm::terminal::size().unwrap_or((80, 24));
    let mut screen = Screen::new(std::io::stdout(), w, h);
    let visible = VISIBLE.min(h.saturating_sub(3).max(1) as usize);
    let mut sel = 0usize;
    let mut top = 0usize;
    let result = loop {
        if sel < top {
            top = sel;
        } else if sel >= top + visible {
            top = sel + 1 - visible;
        }
        let width = screen.width();
        let mut live = vec![t.paint(theme::TOOL, &format!(" {title}"))];
        for i in top..(top + visible).min(count) {
            let body = row(i, width.saturating_sub(4));
            live.push(if i == sel {
                t.paint(theme::SELECTED, &format!(" ❯ {body}"))
            } else {
                format!("   {body}")
            });
        }
        let more = if count > visible {
            format!(" ({}/{count})", sel + 1)
        } else {
            String::new()
        };
        live.push(t.paint(
            theme::SECONDARY,
            &format!(" ↑/↓ to select · Enter to choose · Esc to cancel{more}"),
        ));
        screen.frame(&[], &live, None)?;
        let ev = match crossterm::event::read() {
            Ok(ev) => ev,
            Err(e) => break Err(e),
        };
        match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => {
                let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
                match k.code {
                    KeyCode::Up | KeyCode::Char('k') => sel = sel.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => sel = (sel + 1).min(count - 1),
                    KeyCode::PageUp => sel = sel.saturating_sub(visible),
                    KeyCode::PageDown => sel = (sel + visible).min(count - 1),
                    KeyCode::Home => sel = 0,
                    KeyCode::End => sel = count - 1,
                    KeyCode::Enter => break Ok(Some(sel)),
                    KeyCode::Esc | KeyCode::Char('q') => break Ok(None),
                    KeyCode::Char('c' | 'd') if ctrl => break Ok(None),
                    _ => {}
                }
            }
            Event::Resize(w, h) => screen.resize(w, h),
            _ => {}
        }
    };
    let _ = screen.clear_live();
    terminal::restore();
    result
}

/// "5 minutes ago", "yesterday", "12 days ago".
pub fn ago(t: SystemTime) -> String {
    let s = SystemTime::now()
        .duration_since(t)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let plural = |n: u64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match s {
        0..60 => "just now".into(),
        60..3600 => plural(s / 60, "minute"),
        3600..86_400 => plural(s / 3600, "hour"),
        86_400..172_800 => "yesterday".into(),
        _ => plural(s / 86_400, "day"),
    }
}

/// One row of the session list.
pub fn session_row(f: &SessionFile, s: &Summary, width: usize) -> String {
    let what = s
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| s.first_prompt.clone());
    let what = text::sanitize(&what).replace('\n', " ");
    let head = format!(
        "{:<15} {:>4} message{}  ",
        ago(f.modified),
        s.messages,
        if s.messages == 1 { " " } else { "s" }
    );
    let room = width.saturating_sub(text::width(&head)).max(8);
    format!("{head}{}", text::truncate(&what, room))
}

/// The picker of `--resume` without an id and `/resume`: the sessions of `cwd`, newest first
/// (`except` the current one). Summaries are read for the rows shown only.
pub fn pick_session(cwd: &Path, except: Option<&str>) -> std::io::Result<Option<SessionFile>> {
    let mut files = transcript::sessions(&ccrs_core::paths::claude_dir(), cwd);
    files.retain(|f| Some(f.id.as_str()) != except);
    if files.is_empty() {
        eprintln!("No conversations found to resume.");
        return Ok(None);
    }
    let mut summaries: Vec<Option<Summary>> = vec![None; files.len()];
    let chosen = choose("Resume a conversation", files.len(), &mut |i, width| {
        let s = summaries[i].get_or_insert_with(|| transcript::summarize(&files[i].path));
        session_row(&files[i], s, width)
    })?;
    Ok(chosen.map(|i| files.swap_remove(i)))
}

/// The rewind picker: a prompt (newest first), then what to restore. `None` when cancelled.
pub fn pick_rewind(points: &[RewindPoint]) -> std::io::Result<Option<(usize, RewindScope)>> {
    let n = points.len();
    let Some(i) = choose(
        "Rewind to before which prompt? (the conversation and/or the files)",
        n,
        &mut |i, width| {
            let p = &points[n - 1 - i];
            let first = text::sanitize(p.text.lines().next().unwrap_or("")).to_string();
            let files = match p.files_changed.len() {
                0 => String::new(),
                1 => "  · 1 file changed".into(),
                k => format!("  · {k} files changed"),
            };
            let room = width.saturating_sub(text::width(&files)).max(8);
            format!("{}{files}", text::truncate(&first, room))
        },
    )?
    else {
        return Ok(None);
    };
    let p = &points[n - 1 - i];
    let mut options: Vec<(&str, RewindScope)> = Vec::new();
    if p.has_checkpoint && !p.files_changed.is_empty() {
        options.push(("Restore the code and the conversation", RewindScope::Both));
        options.push(("Restore the conversation only", RewindScope::Conversation));
        options.push(("Restore the code only", RewindScope::Files));
    } else {
        options.push(("Restore the conversation", RewindScope::Conversation));
    }
    let Some(o) = choose("What to restore?", options.len(), &mut |k, _| {
        options[k].0.to_string()
    })?
    else {
        return Ok(None);
    };
    Ok(Some((p.index, options[o].1)))
}

/// The first string in a tool input (a command, a path), as its one-line summary.
fn input_summary(input: &serde_json::Value) -> String {
    input
        .as_object()
        .and_then(|o| o.values().find_map(|v| v.as_str()))
        .unwrap_or("")
        .to_string()
}

/// What a resumed conversation shows of itself: its last `max` messages.
pub fn history(t: &Theme, messages: &[Message], width: usize, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let skip = messages.len().saturating_sub(max);
    if skip > 0 {
        out.push(t.paint(theme::SECONDARY, &format!("  … {skip} earlier messages")));
    }
    for m in &messages[skip..] {
        for b in &m.content {
            match (m.role, b) {
                (Role::User, ContentBlock::Text { text }) => {
                    out.push(String::new());
                    out.extend(render::user_prompt(t, text, width));
                }
                (Role::Assistant, ContentBlock::Text { text }) if !text.trim().is_empty() => {
                    out.push(String::new());
                    let mut md = Markdown::assistant(*t, width);
                    out.extend(md.push(text));
                    out.extend(md.finish());
                }
                (Role::Assistant, ContentBlock::ToolUse { name, input, .. }) => {
                    out.push(render::tool_call(
                        t,
                        name,
                        &input_summary(input),
                        CallState::Ok,
                        width,
                    ));
                }
                _ => {}
            }
        }
    }
    out
}
