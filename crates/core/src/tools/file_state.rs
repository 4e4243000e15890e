//! Which files the model has read in this conversation, so that Write and Edit can refuse to
//! overwrite a file the model has not seen, or one that changed on disk since it was read.
//!
//! Records are keyed by the real path (symlinks resolved), so reading through a link and editing
//! the target (or the reverse) is the same file. A full read also keeps a hash of the bytes: a file
//! whose mtime changed but whose content did not (`touch`, a formatter that changed nothing) is not
//! reported as modified.

use std::collections::HashMap;
use std::hash::Hasher;
use std::io::Read;
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
    /// Hash of the whole content ([`ContentHasher`]), when it was read in full.
    pub hash: Option<u64>,
}

/// The metadata of a file at one moment, taken before its bytes are read so that a change made
/// while reading shows up as a modification later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub mtime: Option<SystemTime>,
    pub len: u64,
}

impl Snapshot {
    pub fn of_meta(m: &std::fs::Metadata) -> Self {
        Snapshot {
            mtime: m.modified().ok(),
            len: m.len(),
        }
    }

    pub fn of_path(path: &Path) -> Self {
        match std::fs::metadata(path) {
            Ok(m) => Self::of_meta(&m),
            Err(_) => Snapshot {
                mtime: None,
                len: 0,
            },
        }
    }
}

/// A streaming content hash: feeding the bytes in any chunking gives the same value.
#[derive(Default)]
pub struct ContentHasher(std::collections::hash_map::DefaultHasher);

impl ContentHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.write(bytes);
    }

    pub fn finish(&self) -> u64 {
        self.0.finish()
    }

    pub fn of(bytes: &[u8]) -> u64 {
        let mut h = Self::new();
        h.update(bytes);
        h.finish()
    }
}

fn hash_file(path: &Path) -> Option<u64> {
    // Never blocks on a FIFO that replaced the file.
    let (mut f, _) = crate::fsutil::open_regular(path).ok()?;
    let mut h = ContentHasher::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Some(h.finish()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
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

fn key(path: &Path) -> PathBuf {
    crate::paths::canonicalize_lenient(path)
}

impl FileTracker {
    /// Records a successful read of `path` (whole file unless `partial`), as it is on disk now.
    pub fn record_read(&self, path: &Path, partial: bool) {
        self.record(path, Snapshot::of_path(path), partial, None);
    }

    /// Records a read of `path` whose metadata was `snap` when reading began; `hash` is the
    /// [`ContentHasher`] value of the whole file when it was read in full.
    pub fn record(&self, path: &Path, snap: Snapshot, partial: bool, hash: Option<u64>) {
        let k = key(path);
        let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
        // A partial read never downgrades an earlier full read of the same, unchanged file.
        if partial
            && let Some(prev) = reads.get(&k)
            && !prev.partial
            && prev.mtime == snap.mtime
            && prev.len == snap.len
        {
            return;
        }
        reads.insert(
            k,
            ReadRecord {
                mtime: snap.mtime,
                len: snap.len,
                partial,
                hash: if partial { None } else { hash },
            },
        );
    }

    /// Records that ccrs wrote exactly `data` to `path`.
    pub fn record_written(&self, path: &Path, data: &[u8]) {
        self.record(
            path,
            Snapshot::of_path(path),
            false,
            Some(ContentHasher::of(data)),
        );
    }

    pub fn get(&self, path: &Path) -> Option<ReadRecord> {
        self.reads
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key(path))
            .cloned()
    }

    /// May an existing file at `path` be overwritten now? Needs a full read (Write, NotebookEdit).
    pub fn check_write(&self, path: &Path) -> WriteCheck {
        self.check(path, false)
    }

    /// May an existing file at `path` be edited now? A partial read is enough: an edit only
    /// touches text the model quotes exactly, and a file too long to read at once must stay
    /// editable.
    pub fn check_edit(&self, path: &Path) -> WriteCheck {
        self.check(path, true)
    }

    fn check(&self, path: &Path, partial_ok: bool) -> WriteCheck {
        let Some(rec) = self.get(path) else {
            return WriteCheck::NotRead;
        };
        if rec.partial && !partial_ok {
            return WriteCheck::NotRead;
        }
        let now = Snapshot::of_path(path);
        if now.mtime == rec.mtime && now.len == rec.len {
            return WriteCheck::Ok;
        }
        // Same size, new mtime: unchanged if the bytes are the ones that were read.
        if now.len == rec.len
            && let Some(h) = rec.hash
            && hash_file(path) == Some(h)
        {
            self.record(path, now, false, Some(h));
            return WriteCheck::Ok;
        }
        WriteCheck::Modified
    }

    /// Forgets everything (a new conversation).
    pub fn clear(&self) {
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn set_mtime(p: &Path, t: SystemTime) {
        let f = std::fs::OpenOptions::new().write(true).open(p).unwrap();
        f.set_modified(t).unwrap();
    }

    #[test]
    fn read_then_modify_then_reread() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        std::fs::write(&p, "one").unwrap();
        let t = FileTracker::default();
        assert_eq!(t.check_write(&p), WriteCheck::NotRead);
        t.record_read(&p, true);
        assert_eq!(t.check_write(&p), WriteCheck::NotRead);
        assert_eq!(t.check_edit(&p), WriteCheck::Ok);
        t.record_read(&p, false);
        assert_eq!(t.check_write(&p), WriteCheck::Ok);
        std::fs::write(&p, "changed!").unwrap();
        assert_eq!(t.check_write(&p), WriteCheck::Modified);
        assert_eq!(t.check_edit(&p), WriteCheck::Modified);
        t.record_read(&p, false);
        assert_eq!(t.check_write(&p), WriteCheck::Ok);
    }

    #[test]
    fn same_size_change_is_caught_by_mtime_and_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        std::fs::write(&p, "aaaa").unwrap();
        let base = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        set_mtime(&p, base);
        let t = FileTracker::default();
        t.record(
            &p,
            Snapshot::of_path(&p),
            false,
            Some(ContentHasher::of(b"aaaa")),
        );
        // Touched, same bytes: still fine.
        set_mtime(&p, base + Duration::from_secs(5));
        assert_eq!(t.check_write(&p), WriteCheck::Ok);
        // Same size, different bytes.
        std::fs::write(&p, "bbbb").unwrap();
        set_mtime(&p, base + Duration::from_secs(10));
        assert_eq!(t.check_write(&p), WriteCheck::Modified);
    }

    #[test]
    fn partial_read_has_no_hash_and_does_not_downgrade() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        std::fs::write(&p, "x\ny\n").unwrap();
        let t = FileTracker::default();
        t.record(&p, Snapshot::of_path(&p), false, Some(1));
        t.record(&p, Snapshot::of_path(&p), true, Some(2));
        let r = t.get(&p).unwrap();
        assert!(!r.partial);
        assert_eq!(r.hash, Some(1));
    }

    #[test]
    fn symlink_and_target_share_a_record() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        std::fs::write(&real, "x").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let t = FileTracker::default();
        t.record_read(&link, false);
        assert_eq!(t.check_write(&real), WriteCheck::Ok);
    }

    #[test]
    fn hasher_is_independent_of_chunking() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = ContentHasher::of(&data);
        for chunk in [1usize, 3, 7, 64, 999, 4096] {
            let mut h = ContentHasher::new();
            for c in data.chunks(chunk) {
                h.update(c);
            }
            assert_eq!(h.finish(), whole, "chunk {chunk}");
        }
    }
}
