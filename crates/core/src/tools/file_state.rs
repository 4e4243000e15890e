//! Which files the model has read in this conversation, so that Write and Edit can refuse to
//! overwrite a file the model has not seen, or one that changed on disk since it was read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRecord {
    /// Modification time when read (or when ccrs last wrote it).
    pub mtime: Option<SystemTime>,
    /// Size in bytes at that time.
    pub len: u64,
    /// True when only part of the file was read (offset/limit).
    pub partial: bool,
}

/// Why a file may not be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteCheck {
    Ok,
    /// Never read, or only partly.
    NotRead,
    /// Changed on disk since it was read.
    Modified,
}

impl WriteCheck {
    /// Claude Code's message for the refusal (empty for `Ok`).
    pub fn message(self) -> &'static str {
        match self {
            WriteCheck::Ok => "",
            WriteCheck::NotRead => {
                "File has not been read yet. Read it first before writing to it."
            }
            WriteCheck::Modified => {
                "File has been modified since read, either by the user or by a linter. Read it again before attempting to write it."
            }
        }
    }
}

#[derive(Default, Debug)]
pub struct FileTracker {
    reads: Mutex<HashMap<PathBuf, ReadRecord>>,
}

fn stat(path: &Path) -> (Option<SystemTime>, u64) {
    match std::fs::metadata(path) {
        Ok(m) => (m.modified().ok(), m.len()),
        Err(_) => (None, 0),
    }
}

impl FileTracker {
    /// Records a successful read of `path` (whole file unless `partial`).
    pub fn record_read(&self, path: &Path, partial: bool) {
        let (mtime, len) = stat(path);
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        // A partial read never downgrades an earlier full read of the same, unchanged file.
        if partial
            && let Some(prev) = reads.get(path)
            && !prev.partial
            && prev.mtime == mtime
            && prev.len == len
        {
            return;
        }
        reads.insert(
            path.to_path_buf(),
            ReadRecord {
                mtime,
                len,
                partial,
            },
        );
    }

    /// Records that ccrs itself wrote `path`: the model knows its content.
    pub fn record_write(&self, path: &Path) {
        self.record_read(path, false);
    }

    pub fn get(&self, path: &Path) -> Option<ReadRecord> {
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(path)
            .cloned()
    }

    /// May an existing file at `path` be overwritten or edited now?
    pub fn check_write(&self, path: &Path) -> WriteCheck {
        let Some(rec) = self.get(path) else {
            return WriteCheck::NotRead;
        };
        if rec.partial {
            return WriteCheck::NotRead;
        }
        let (mtime, len) = stat(path);
        if mtime != rec.mtime || len != rec.len {
            WriteCheck::Modified
        } else {
            WriteCheck::Ok
        }
    }

    /// Forgets everything (a new conversation).
    pub fn clear(&self) {
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_then_modify_then_reread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        std::fs::write(&p, "one").unwrap();
        let t = FileTracker::default();
        assert_eq!(t.check_write(&p), WriteCheck::NotRead);
        t.record_read(&p, true);
        assert_eq!(t.check_write(&p), WriteCheck::NotRead);
        t.record_read(&p, false);
        assert_eq!(t.check_write(&p), WriteCheck::Ok);
        std::fs::write(&p, "changed!").unwrap();
        assert_eq!(t.check_write(&p), WriteCheck::Modified);
        t.record_read(&p, false);
        assert_eq!(t.check_write(&p), WriteCheck::Ok);
    }
}
