//! Prompt history, persisted across sessions in `<ccrs config dir>/history.jsonl` (one JSON
//! object per line, appended as prompts are sent). Only this project's entries are recalled;
//! memory and the file stay bounded.

use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Entries kept in memory (and per project in the file after compaction).
const MAX_ENTRIES: usize = 1000;
/// The file is rewritten with its newest lines once it has this many.
const COMPACT_AT: usize = 4 * MAX_ENTRIES;
/// Prompts longer than this are not saved.
const MAX_ENTRY_BYTES: usize = 64 * 1024;

pub struct History {
    path: Option<PathBuf>,
    project: String,
    entries: Vec<String>,
    /// Position while walking the history (`None` = the draft being typed).
    pos: Option<usize>,
    draft: String,
}

impl History {
    pub fn default_path() -> PathBuf {
        ccrs_core::paths::ccrs_config_dir().join("history.jsonl")
    }

    /// Loads this project's entries. A missing or damaged file is not an error: bad lines
    /// are skipped.
    pub fn load(path: Option<PathBuf>, project: &Path) -> History {
        let project = project.to_string_lossy().into_owned();
        let mut entries = Vec::new();
        let mut total_lines = 0;
        if let Some(p) = &path
            && let Ok(text) = std::fs::read_to_string(p)
        {
            for line in text.lines() {
                total_lines += 1;
                let Ok(v) = serde_json::from_str::<Value>(line) else {
                    continue;
                };
                if v.get("project").and_then(Value::as_str) != Some(project.as_str()) {
                    continue;
                }
                if let Some(d) = v.get("display").and_then(Value::as_str)
                    && entries.last().map(String::as_str) != Some(d)
                {
                    entries.push(d.to_string());
                }
            }
            if total_lines > COMPACT_AT {
                compact(p, &text);
            }
        }
        if entries.len() > MAX_ENTRIES {
            entries.drain(..entries.len() - MAX_ENTRIES);
        }
        History {
            path,
            project,
            entries,
            pos: None,
            draft: String::new(),
        }
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Records a sent prompt (in memory and appended to the file).
    pub fn add(&mut self, prompt: &str) {
        self.pos = None;
        let p = prompt.trim_end();
        if p.trim().is_empty() || p.len() > MAX_ENTRY_BYTES {
            return;
        }
        if self.entries.last().map(String::as_str) == Some(p) {
            return;
        }
        self.entries.push(p.to_string());
        if self.entries.len() > MAX_ENTRIES {
            self.entries.remove(0);
        }
        if let Some(path) = &self.path {
            let line = json!({
                "display": p,
                "timestamp": ccrs_core::timeutil::now_ms(),
                "project": self.project,
            });
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            // One write of one line with O_APPEND: concurrent sessions do not interleave.
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let mut s = line.to_string();
                s.push('\n');
                let _ = f.write_all(s.as_bytes());
            }
        }
    }

    /// Up: the previous entry (`current` is kept as the draft when leaving it).
    pub fn prev(&mut self, current: &str) -> Option<String> {
        let next = match self.pos {
            None => {
                if self.entries.is_empty() {
                    return None;
                }
                self.draft = current.to_string();
                self.entries.len() - 1
            }
            Some(0) => return None,
            Some(i) => i - 1,
        };
        self.pos = Some(next);
        self.entries.get(next).cloned()
    }

    /// Down: the next entry, or the draft after the newest.
    pub fn next(&mut self) -> Option<String> {
        let i = self.pos?;
        if i + 1 < self.entries.len() {
            self.pos = Some(i + 1);
            self.entries.get(i + 1).cloned()
        } else {
            self.pos = None;
            Some(std::mem::take(&mut self.draft))
        }
    }

    /// Leaves history navigation (the user edited the recalled text).
    pub fn reset(&mut self) {
        self.pos = None;
    }
}

/// Keeps the newest lines of the file (atomically), so it never grows without bound.
fn compact(path: &Path, text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    let keep = &lines[lines.len().saturating_sub(COMPACT_AT / 2)..];
    let mut out = keep.join("\n");
    out.push('\n');
    let _ = ccrs_core::fsutil::atomic_write(path, out.as_bytes(), None);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persists_and_recalls_per_project() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("h/history.jsonl");
        let mut h = History::load(Some(p.clone()), Path::new("/proj/a"));
        h.add("first");
        h.add("second");
        h.add("second");
        h.add("   ");
        let mut other = History::load(Some(p.clone()), Path::new("/proj/b"));
        other.add("elsewhere");
        let mut h2 = History::load(Some(p.clone()), Path::new("/proj/a"));
        assert_eq!(h2.len(), 2);
        assert_eq!(h2.prev("draft").as_deref(), Some("second"));
        assert_eq!(h2.prev("").as_deref(), Some("first"));
        assert_eq!(h2.prev(""), None);
        assert_eq!(h2.next().as_deref(), Some("second"));
        assert_eq!(h2.next().as_deref(), Some("draft"));
        assert_eq!(h2.next(), None);
    }

    #[test]
    fn damaged_lines_are_skipped_and_file_is_compacted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("history.jsonl");
        let mut text = String::from("{not json\n");
        for i in 0..(COMPACT_AT + 10) {
            text.push_str(&json!({"display": format!("p{i}"), "project": "/x"}).to_string());
            text.push('\n');
        }
        std::fs::write(&p, text).unwrap();
        let mut h = History::load(Some(p.clone()), Path::new("/x"));
        assert_eq!(h.len(), MAX_ENTRIES);
        assert_eq!(
            h.prev("").as_deref(),
            Some(format!("p{}", COMPACT_AT + 9).as_str())
        );
        let after = std::fs::read_to_string(&p).unwrap();
        assert_eq!(after.lines().count(), COMPACT_AT / 2);
    }
}
