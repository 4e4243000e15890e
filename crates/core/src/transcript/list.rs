//! Finding sessions: the newest of a project (`--continue`), one by id (`--resume <id>`), and
//! the list the picker shows. Listing reads directories only; a session's summary (first
//! prompt, message count) reads its file, so a picker asks for the rows it shows.

use super::index::open_regular;
use super::path;
use serde::Deserialize;
use std::borrow::Cow;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A session file.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionFile {
    pub id: String,
    pub path: PathBuf,
    pub modified: SystemTime,
    pub size: u64,
}

/// What the picker shows of a session.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// The first prompt (its first line, cut).
    pub first_prompt: String,
    /// Prompts and answers in the file (main conversation, not counting tool results).
    pub messages: usize,
    /// A title Claude Code gave it (`custom-title`, `ai-title`, `summary`), if any.
    pub title: Option<String>,
    /// The working directory its lines name.
    pub cwd: Option<String>,
}

/// Why a session could not be found.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FindError {
    #[error("No conversation found to continue")]
    NothingToContinue,
    #[error("No conversation found with session ID: {0}")]
    NotFound(String),
    #[error(
        "This conversation is from a different directory ({cwd}). To resume it, run:\n  cd {cwd} && ccrs --resume {id}"
    )]
    OtherDirectory { id: String, cwd: String },
}

/// The sessions of `cwd`'s project, newest first (by the file's modification time).
pub fn sessions(config_dir: &Path, cwd: &Path) -> Vec<SessionFile> {
    let mut out = Vec::new();
    for dir in path::project_dirs(config_dir, cwd) {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".jsonl")) else {
                continue;
            };
            let Ok(meta) = e.metadata() else {
                continue;
            };
            if !meta.is_file() || meta.len() == 0 {
                continue;
            }
            out.push(SessionFile {
                id: id.to_string(),
                path: e.path(),
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                size: meta.len(),
            });
        }
    }
    out.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| a.id.cmp(&b.id)));
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Peek<'a> {
    #[serde(rename = "type", borrow)]
    ty: Option<Cow<'a, str>>,
    is_sidechain: Option<bool>,
    #[serde(default)]
    is_meta: bool,
    #[serde(borrow)]
    cwd: Option<Cow<'a, str>>,
    #[serde(borrow)]
    custom_title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    ai_title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    summary: Option<Cow<'a, str>>,
    message: Option<PeekMessage>,
}

#[derive(Deserialize)]
struct PeekMessage {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    content: Option<serde_json::Value>,
}

/// The text of a prompt's content, if it is one (not tool results, not a command's output).
fn prompt_text(content: &serde_json::Value) -> Option<String> {
    let text = match content {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(blocks) => {
            if blocks
                .iter()
                .any(|b| b.get("type").and_then(|t| t.as_str()) == Some("tool_result"))
            {
                return None;
            }
            blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(|t| t.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        }
        _ => return None,
    };
    let t = text.trim();
    if t.is_empty()
        || t.starts_with("<local-command-")
        || t.starts_with("<command-")
        || t.starts_with("[Request interrupted")
        || t.starts_with("Caveat:")
    {
        return None;
    }
    Some(t.to_string())
}

/// Reads a session file for the picker: its first prompt, how many messages, its title.
pub fn summarize(path: &Path) -> Summary {
    let mut s = Summary::default();
    let Ok(file) = open_regular(path) else {
        return s;
    };
    let mut r = BufReader::with_capacity(64 * 1024, file);
    let mut buf = Vec::new();
    let mut last_msg_id: Option<String> = None;
    while r.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
        if let Ok(p) = serde_json::from_slice::<Peek>(&buf) {
            if s.cwd.is_none() {
                s.cwd = p.cwd.as_deref().map(str::to_string);
            }
            if let Some(t) = p.custom_title.or(p.ai_title).or(p.summary) {
                s.title = Some(t.into_owned());
            }
            if p.is_sidechain != Some(true)
                && let Some(m) = p.message
            {
                match p.ty.as_deref() {
                    Some("user") if !p.is_meta => {
                        if let Some(t) = m.content.as_ref().and_then(prompt_text) {
                            s.messages += 1;
                            last_msg_id = None;
                            if s.first_prompt.is_empty() {
                                s.first_prompt = t;
                            }
                        }
                    }
                    Some("assistant") => {
                        // One message may be written as several lines (one per block).
                        if m.id.is_none() || m.id != last_msg_id {
                            s.messages += 1;
                        }
                        last_msg_id = m.id;
                    }
                    _ => {}
                }
            }
        }
        buf.clear();
        if buf.capacity() > 4 << 20 {
            buf = Vec::new();
        }
    }
    if let Some(line) = s.first_prompt.lines().next() {
        let mut line: String = line.chars().take(200).collect();
        if line.len() < s.first_prompt.len() {
            line.push('…');
        }
        s.first_prompt = line;
    }
    s
}

/// Whether a session file holds a conversation (a prompt of the main chain).
fn has_conversation(path: &Path) -> bool {
    let Ok(file) = open_regular(path) else {
        return false;
    };
    let mut r = BufReader::with_capacity(64 * 1024, file);
    let mut buf = Vec::new();
    while r.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
        if let Ok(p) = serde_json::from_slice::<Peek>(&buf)
            && p.is_sidechain != Some(true)
            && matches!(p.ty.as_deref(), Some("user" | "assistant"))
        {
            return true;
        }
        buf.clear();
    }
    false
}

/// The newest session of `cwd` that holds a conversation (`--continue`).
pub fn latest(config_dir: &Path, cwd: &Path) -> Result<SessionFile, FindError> {
    sessions(config_dir, cwd)
        .into_iter()
        .find(|s| has_conversation(&s.path))
        .ok_or(FindError::NothingToContinue)
}

/// The session `id` (`--resume <id>`): in `cwd`'s project, else in another project (then the
/// error says where it is).
pub fn by_id(config_dir: &Path, cwd: &Path, id: &str) -> Result<SessionFile, FindError> {
    let not_found = || FindError::NotFound(id.to_string());
    if !path::valid_session_id(id) {
        return Err(not_found());
    }
    let file = format!("{id}.jsonl");
    let found = |p: PathBuf| {
        let meta = std::fs::metadata(&p).ok().filter(|m| m.is_file())?;
        Some(SessionFile {
            id: id.to_string(),
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            size: meta.len(),
            path: p,
        })
    };
    for dir in path::project_dirs(config_dir, cwd) {
        if let Some(s) = found(dir.join(&file)) {
            return Ok(s);
        }
    }
    let rd = std::fs::read_dir(path::projects_dir(config_dir)).map_err(|_| not_found())?;
    for e in rd.flatten() {
        if let Some(s) = found(e.path().join(&file)) {
            let cwd = summarize(&s.path)
                .cwd
                .unwrap_or_else(|| e.file_name().to_string_lossy().into_owned());
            return Err(FindError::OtherDirectory {
                id: id.to_string(),
                cwd,
            });
        }
    }
    Err(not_found())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_count_prompts_and_answers_once() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.jsonl");
        let lines = [
            r#"{"type":"queue-operation","operation":"enqueue"}"#,
            r#"{"parentUuid":null,"type":"user","message":{"role":"user","content":"fix the bug\nplease"},"uuid":"1","cwd":"/w"}"#,
            r#"{"type":"assistant","message":{"id":"m1","role":"assistant","content":[{"type":"text","text":"a"}]},"uuid":"2"}"#,
            r#"{"type":"assistant","message":{"id":"m1","role":"assistant","content":[{"type":"tool_use","id":"t","name":"Bash","input":{}}]},"uuid":"3"}"#,
            r#"{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"x"}]},"uuid":"4"}"#,
            r#"{"type":"user","isMeta":true,"message":{"role":"user","content":"meta"},"uuid":"5"}"#,
            r#"not json"#,
            r#"{"type":"ai-title","aiTitle":"Bug fix"}"#,
        ];
        std::fs::write(&p, lines.join("\n")).unwrap();
        let s = summarize(&p);
        assert_eq!(s.first_prompt, "fix the bug…");
        assert_eq!(s.messages, 2);
        assert_eq!(s.title.as_deref(), Some("Bug fix"));
        assert_eq!(s.cwd.as_deref(), Some("/w"));
    }
}
