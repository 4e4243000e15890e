//! `@path` mentions: the file's content is attached to the prompt (numbered like the Read
//! tool's output) and the read is recorded, so the model may Edit the file right away.

use ccrs_core::api::ContentBlock;
use ccrs_core::tools::file_state::FileTracker;
use std::path::{Path, PathBuf};

/// Files larger than this are attached in part (the first `MAX_LINES` lines).
const MAX_BYTES: usize = 256 * 1024;
const MAX_LINES: usize = 2000;
const MAX_DIR_ENTRIES: usize = 200;

/// The `@word`s of a prompt, without the `@`.
pub fn words(prompt: &str) -> Vec<&str> {
    prompt
        .split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .filter(|w| !w.is_empty())
        .collect()
}

fn resolve(word: &str, cwd: &Path) -> Option<PathBuf> {
    let candidates = [
        word,
        word.trim_end_matches([',', '.', ';', ':', ')', '!', '?', '"', '\'']),
    ];
    for w in candidates {
        let p = if let Some(rest) = w.strip_prefix("~/") {
            ccrs_core::paths::home_dir()?.join(rest)
        } else if Path::new(w).is_absolute() {
            PathBuf::from(w)
        } else {
            cwd.join(w)
        };
        let p = ccrs_core::paths::normalize(&p);
        if p.exists() {
            return Some(p);
        }
    }
    None
}

/// What attaching the mentions produced.
pub struct Attached {
    /// The prompt, then one block per attached file or directory.
    pub blocks: Vec<ContentBlock>,
    /// Short notes for the user (what was attached, what could not be).
    pub notes: Vec<String>,
}

/// Builds the prompt's content blocks.
pub fn attach(prompt: &str, cwd: &Path, files: &FileTracker) -> Attached {
    let mut blocks = vec![ContentBlock::text(prompt)];
    let mut notes = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for w in words(prompt) {
        let Some(path) = resolve(w, cwd) else {
            continue;
        };
        if seen.contains(&path) {
            continue;
        }
        seen.push(path.clone());
        let shown = path.display().to_string();
        let short = crate::tui::render::display_path(&shown, cwd);
        if path.is_dir() {
            let mut names: Vec<String> = match std::fs::read_dir(&path) {
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
                    notes.push(format!("@{w}: cannot list the directory ({e})"));
                    continue;
                }
            };
            names.sort();
            let more = names.len().saturating_sub(MAX_DIR_ENTRIES);
            names.truncate(MAX_DIR_ENTRIES);
            let mut listing = names.join("\n");
            if more > 0 {
                listing.push_str(&format!("\n… and {more} more entries"));
            }
            blocks.push(ContentBlock::text(format!(
                "<system-reminder>\nThe user mentioned the directory {shown}. Its entries:\n{listing}\n</system-reminder>"
            )));
            notes.push(format!("Listed {short}"));
            continue;
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                notes.push(format!("@{w}: cannot be read ({e})"));
                continue;
            }
        };
        if bytes.iter().take(8192).any(|b| *b == 0) {
            notes.push(format!("@{w}: binary file, not attached"));
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let total = text.lines().count();
        let partial = bytes.len() > MAX_BYTES || total > MAX_LINES;
        let mut numbered = String::with_capacity(text.len().min(MAX_BYTES) + total * 8);
        let mut size = 0;
        let mut shown_lines = 0;
        for (i, line) in text.lines().enumerate() {
            if i >= MAX_LINES || size > MAX_BYTES {
                break;
            }
            numbered.push_str(&format!("{:>6}\t{line}\n", i + 1));
            size += line.len() + 8;
            shown_lines += 1;
        }
        let range = if partial {
            format!(" (lines 1-{shown_lines} of {total}; use the Read tool for the rest)")
        } else {
            String::new()
        };
        blocks.push(ContentBlock::text(format!(
            "<system-reminder>\nThe user attached the file {shown}{range}. Its contents, as the Read tool would show them:\n{numbered}</system-reminder>"
        )));
        files.record_read(&path, partial);
        notes.push(format!(
            "Read {short} ({shown_lines} line{})",
            if shown_lines == 1 { "" } else { "s" }
        ));
    }
    Attached { blocks, notes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccrs_core::tools::file_state::WriteCheck;

    #[test]
    fn attaches_files_and_records_the_read() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a.txt"), "alpha\nbeta\n").unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/x.rs"), "").unwrap();
        let files = FileTracker::default();
        let a = attach("explain @a.txt, then @sub and @missing", d.path(), &files);
        assert_eq!(a.blocks.len(), 3);
        let ContentBlock::Text { text } = &a.blocks[1] else {
            panic!()
        };
        assert!(text.contains("     1\talpha\n     2\tbeta\n"), "{text}");
        let ContentBlock::Text { text } = &a.blocks[2] else {
            panic!()
        };
        assert!(text.contains("x.rs"));
        assert_eq!(files.check_write(&d.path().join("a.txt")), WriteCheck::Ok);
        assert_eq!(a.notes.len(), 2);
    }

    #[test]
    fn binary_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("b.bin"), [0u8, 1, 2]).unwrap();
        let files = FileTracker::default();
        let a = attach("@b.bin", d.path(), &files);
        assert_eq!(a.blocks.len(), 1);
        assert!(a.notes[0].contains("binary"));
    }
}
