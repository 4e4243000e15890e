//! Checkpoints of the files a session edits, for `/rewind`, in Claude Code's own layout:
//! backups in `<config dir>/file-history/<session id>/<sha256(path)[..16]>@v<version>`, and a
//! `file-history-snapshot` line per prompt listing every tracked file's backup at that prompt.
//!
//! A file is tracked from the first time Edit, Write or NotebookEdit is about to change it: its
//! current content becomes version 1 (`backupFileName: null` when it did not exist). At each
//! prompt, a tracked file that changed since its last backup gets a new version. Rewinding to a
//! prompt puts every tracked file back as it was when that prompt was sent.
//!
//! Bounded: a file over 1 MiB is kept by reference, a hard link to its inode (ccrs's tools
//! replace files by renaming a new one over them, so the old inode keeps the old content; its
//! size and mtime are recorded and checked before a restore, so a file changed in place is not
//! restored wrongly). Where a link is impossible (another file system) a copy is made up to
//! 64 MiB per file and 1 GiB per session; beyond that the file is not checkpointed and a rewind
//! says so.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const LINK_OVER: u64 = 1 << 20;
const MAX_COPY: u64 = 64 << 20;
const MAX_COPIED_PER_SESSION: u64 = 1 << 30;

/// One tracked file's state at a prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct Backup {
    /// The backup file (`None`: the file did not exist).
    pub name: Option<String>,
    pub version: u32,
    pub time: String,
    /// Size and mtime (ns) of the backed-up inode, for a backup kept by hard link.
    pub linked: Option<(u64, i128)>,
}

/// Every tracked file's backup at one prompt.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The prompt's line uuid.
    pub message_id: String,
    /// By path (relative to the cwd when inside it, as Claude Code keys them).
    pub files: BTreeMap<String, Backup>,
    pub timestamp: String,
}

impl Snapshot {
    /// Reads a `file-history-snapshot` line.
    pub fn from_line(v: &Value) -> Option<Snapshot> {
        let snap = v.get("snapshot")?;
        let message_id = v
            .get("messageId")
            .or_else(|| snap.get("messageId"))?
            .as_str()?
            .to_string();
        let mut files = BTreeMap::new();
        if let Some(m) = snap.get("trackedFileBackups").and_then(Value::as_object) {
            for (path, b) in m {
                let linked = b.get("ccrsLinked").and_then(|l| {
                    Some((
                        l.get(0)?.as_u64()?,
                        l.get(1)?.as_str()?.parse::<i128>().ok()?,
                    ))
                });
                files.insert(
                    path.clone(),
                    Backup {
                        name: b
                            .get("backupFileName")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        version: b.get("version").and_then(Value::as_u64).unwrap_or(1) as u32,
                        time: b
                            .get("backupTime")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        linked,
                    },
                );
            }
        }
        Some(Snapshot {
            message_id,
            files,
            timestamp: snap
                .get("timestamp")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        })
    }

    fn to_line(&self, update: bool) -> Value {
        let mut files = Map::new();
        for (path, b) in &self.files {
            let mut e = json!({
                "backupFileName": b.name,
                "version": b.version,
                "backupTime": b.time,
            });
            if let (Some((size, mtime)), Some(o)) = (b.linked, e.as_object_mut()) {
                o.insert("ccrsLinked".into(), json!([size, mtime.to_string()]));
            }
            files.insert(path.clone(), e);
        }
        json!({
            "type": "file-history-snapshot",
            "messageId": self.message_id,
            "snapshot": {
                "messageId": self.message_id,
                "trackedFileBackups": files,
                "timestamp": self.timestamp,
            },
            "isSnapshotUpdate": update,
        })
    }
}

/// What rewinding the files did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FilesRewound {
    /// Put back to their content at the chosen prompt.
    pub restored: Vec<PathBuf>,
    /// Removed: they did not exist at the chosen prompt.
    pub deleted: Vec<PathBuf>,
    /// Could not be put back, and why.
    pub failed: Vec<(PathBuf, String)>,
}

pub struct FileHistory {
    dir: PathBuf,
    cwd: PathBuf,
    snapshots: Vec<Snapshot>,
    copied: u64,
    /// Files that were too large to keep, and why (reported by a rewind).
    skipped: BTreeMap<String, String>,
}

fn stat_of(m: &std::fs::Metadata) -> (u64, i128) {
    use std::os::unix::fs::MetadataExt;
    (
        m.len(),
        m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128,
    )
}

impl FileHistory {
    pub fn new(dir: PathBuf, cwd: PathBuf) -> FileHistory {
        FileHistory {
            dir,
            cwd,
            snapshots: Vec::new(),
            copied: 0,
            skipped: BTreeMap::new(),
        }
    }

    /// Continues from the snapshots a transcript holds. `from` is another session's backup
    /// directory (a fork): its backups are linked (or copied) into this session's.
    pub fn resume(&mut self, snapshots: Vec<Snapshot>, from: Option<&Path>) {
        if let Some(src) = from.filter(|s| *s != self.dir) {
            let _ = std::fs::create_dir_all(&self.dir);
            for s in &snapshots {
                for b in s.files.values() {
                    if let Some(name) = &b.name {
                        let (a, z) = (src.join(name), self.dir.join(name));
                        if !z.exists() && std::fs::hard_link(&a, &z).is_err() {
                            let _ = std::fs::copy(&a, &z);
                        }
                    }
                }
            }
        }
        self.snapshots = snapshots;
    }

    /// Where this session's backups go.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    #[cfg(test)]
    pub fn snapshots(&self) -> &[Snapshot] {
        &self.snapshots
    }

    /// The key of a path: relative to the cwd when inside it.
    fn key(&self, path: &Path) -> String {
        match path.strip_prefix(&self.cwd) {
            Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
            _ => path.display().to_string(),
        }
    }

    fn abs(&self, key: &str) -> PathBuf {
        let p = Path::new(key);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.cwd.join(p)
        }
    }

    fn latest(&self, key: &str) -> Option<&Backup> {
        self.snapshots.iter().rev().find_map(|s| s.files.get(key))
    }

    /// Keeps `path`'s current content as `version`. `None` when it is too large to keep.
    fn backup(&mut self, key: &str, path: &Path, version: u32) -> Option<Backup> {
        let time = crate::timeutil::now_iso();
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(_) => {
                return Some(Backup {
                    name: None,
                    version,
                    time,
                    linked: None,
                });
            }
        };
        if !meta.is_file() {
            self.skipped
                .insert(key.to_string(), "it is not a regular file".into());
            return None;
        }
        let digest = ring::digest::digest(&ring::digest::SHA256, path.to_string_lossy().as_bytes());
        let hex: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let name = format!("{hex}@v{version}");
        let dest = self.dir.join(&name);
        if std::fs::create_dir_all(&self.dir).is_err() {
            self.skipped.insert(
                key.to_string(),
                "the checkpoint directory cannot be made".into(),
            );
            return None;
        }
        let _ = std::fs::remove_file(&dest);
        let size = meta.len();
        if size > LINK_OVER && std::fs::hard_link(path, &dest).is_ok() {
            return Some(Backup {
                name: Some(name),
                version,
                time,
                linked: Some(stat_of(&meta)),
            });
        }
        if size > MAX_COPY || self.copied + size > MAX_COPIED_PER_SESSION {
            self.skipped.insert(
                key.to_string(),
                format!("it was too large to checkpoint ({} MB)", size >> 20),
            );
            return None;
        }
        match std::fs::copy(path, &dest) {
            Ok(n) => {
                self.copied += n;
                Some(Backup {
                    name: Some(name),
                    version,
                    time,
                    linked: None,
                })
            }
            Err(e) => {
                self.skipped.insert(
                    key.to_string(),
                    format!("it could not be checkpointed: {e}"),
                );
                None
            }
        }
    }

    /// Whether `path` differs from `b` (by existence, size and mtime).
    fn changed(&self, path: &Path, b: &Backup) -> bool {
        let cur = std::fs::metadata(path).ok();
        let Some(name) = &b.name else {
            return cur.is_some();
        };
        let Some(cur) = cur else {
            return true;
        };
        let Ok(bak) = std::fs::metadata(self.dir.join(name)) else {
            return true;
        };
        let (csize, cmtime) = stat_of(&cur);
        match b.linked {
            // A linked backup shares the inode: compare with what was recorded.
            Some(recorded) => (csize, cmtime) != recorded,
            None => {
                // A copy is newer than the file unless the file changed since (or in the same
                // clock tick); only then are the bytes compared.
                let (bsize, bmtime) = stat_of(&bak);
                csize != bsize
                    || (cmtime >= bmtime
                        && std::fs::read(path).ok() != std::fs::read(self.dir.join(name)).ok())
            }
        }
    }

    /// The snapshot line for a new prompt: every tracked file, backed up again if it changed.
    pub fn snapshot(&mut self, message_id: &str) -> Value {
        let keys: Vec<String> = self
            .snapshots
            .last()
            .map(|s| s.files.keys().cloned().collect())
            .unwrap_or_default();
        let mut files = BTreeMap::new();
        for key in keys {
            let Some(prev) = self.latest(&key).cloned() else {
                continue;
            };
            let path = self.abs(&key);
            let b = if self.changed(&path, &prev) {
                match self.backup(&key, &path, prev.version + 1) {
                    Some(b) => b,
                    None => continue,
                }
            } else {
                prev
            };
            files.insert(key, b);
        }
        let snap = Snapshot {
            message_id: message_id.to_string(),
            files,
            timestamp: crate::timeutil::now_iso(),
        };
        let line = snap.to_line(false);
        self.snapshots.push(snap);
        line
    }

    /// Before a tool writes `paths`: those not tracked at the current prompt are backed up.
    /// Returns the updated snapshot line, if anything was added.
    pub fn track(&mut self, paths: &[PathBuf]) -> Option<Value> {
        self.snapshots.last()?;
        let mut added = false;
        for path in paths {
            let key = self.key(path);
            if self
                .snapshots
                .last()
                .is_some_and(|s| s.files.contains_key(&key))
            {
                continue;
            }
            let version = self.latest(&key).map_or(1, |b| b.version + 1);
            if let Some(b) = self.backup(&key, path, version)
                && let Some(s) = self.snapshots.last_mut()
            {
                s.files.insert(key, b);
                added = true;
            }
        }
        let s = self.snapshots.last()?;
        added.then(|| s.to_line(true))
    }

    /// Files changed by the turns of this prompt and the later ones (what a rewind to it
    /// would put back).
    pub fn changed_since(&self, message_id: &str) -> Vec<String> {
        let Some(i) = self
            .snapshots
            .iter()
            .position(|s| s.message_id == message_id)
        else {
            return Vec::new();
        };
        let mut out: Vec<String> = Vec::new();
        for key in self.snapshots[i..].iter().flat_map(|s| s.files.keys()) {
            if out.contains(key) {
                continue;
            }
            let target = self.target(i, key);
            let path = self.abs(key);
            if target.is_some_and(|b| self.changed(&path, b)) {
                out.push(key.clone());
            }
        }
        out
    }

    /// The backup a file returns to when rewinding to snapshot `i`: its backup there, or the
    /// first one if it was tracked only later (its state before any tracked edit).
    fn target(&self, i: usize, key: &str) -> Option<&Backup> {
        self.snapshots[i].files.get(key).or_else(|| {
            self.snapshots[i..]
                .iter()
                .find_map(|s| s.files.get(key))
                .filter(|b| b.version == 1)
        })
    }

    /// Whether a rewind to this prompt can restore files (it has a checkpoint).
    pub fn has(&self, message_id: &str) -> bool {
        self.snapshots.iter().any(|s| s.message_id == message_id)
    }

    /// Puts every tracked file back as it was at the prompt `message_id`.
    pub fn rewind(&self, message_id: &str) -> Result<FilesRewound, String> {
        let i = self
            .snapshots
            .iter()
            .position(|s| s.message_id == message_id)
            .ok_or_else(|| "no checkpoint of the files at that prompt".to_string())?;
        let mut keys: Vec<&String> = Vec::new();
        for k in self.snapshots[i..].iter().flat_map(|s| s.files.keys()) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        let mut out = FilesRewound::default();
        for key in keys {
            let path = self.abs(key);
            let Some(b) = self.target(i, key) else {
                continue;
            };
            if !self.changed(&path, b) {
                continue;
            }
            match &b.name {
                None => match std::fs::remove_file(&path) {
                    Ok(()) => out.deleted.push(path),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => out.failed.push((path, e.to_string())),
                },
                Some(name) => match self.restore(&self.dir.join(name), b, &path) {
                    Ok(()) => out.restored.push(path),
                    Err(e) => out.failed.push((path, e)),
                },
            }
        }
        for (key, why) in &self.skipped {
            out.failed.push((self.abs(key), why.clone()));
        }
        Ok(out)
    }

    fn restore(&self, backup: &Path, b: &Backup, path: &Path) -> Result<(), String> {
        let meta = std::fs::metadata(backup).map_err(|e| format!("its checkpoint is gone: {e}"))?;
        if let Some(recorded) = b.linked
            && stat_of(&meta) != recorded
        {
            return Err("it was changed in place after its checkpoint".into());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        // A copy renamed over the file: the backup keeps its own inode.
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = path.with_file_name(format!(
            ".{name}.ccrs-tmp-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::copy(backup, &tmp)
            .and_then(|_| std::fs::rename(&tmp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                e.to_string()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewind_restores_edited_and_removes_created_files() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("p");
        std::fs::create_dir_all(&cwd).unwrap();
        let a = cwd.join("a.txt");
        std::fs::write(&a, "one\n").unwrap();
        let mut h = FileHistory::new(d.path().join("fh/s"), cwd.clone());
        h.snapshot("m1");
        let line = h.track(std::slice::from_ref(&a)).unwrap();
        assert_eq!(line["isSnapshotUpdate"], true);
        assert_eq!(
            line["snapshot"]["trackedFileBackups"]["a.txt"]["version"],
            1
        );
        crate::fsutil::atomic_write(&a, b"two\n", None).unwrap();
        let b = cwd.join("new.txt");
        h.snapshot("m2");
        assert!(h.track(std::slice::from_ref(&b)).is_some());
        std::fs::write(&b, "created").unwrap();
        crate::fsutil::atomic_write(&a, b"three\n", None).unwrap();
        let s3 = h.snapshot("m3");
        // a.txt changed since its v2 backup (taken at m2): a new version.
        assert_eq!(s3["snapshot"]["trackedFileBackups"]["a.txt"]["version"], 3);
        assert_eq!(h.changed_since("m2").len(), 2);
        let r = h.rewind("m2").unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "two\n");
        assert!(!b.exists());
        assert_eq!(r.deleted, vec![b.clone()]);
        assert_eq!(r.restored, vec![a.clone()]);
        // Parsed back from its line, a snapshot is the same.
        let parsed = Snapshot::from_line(&s3).unwrap();
        assert_eq!(parsed, h.snapshots()[2]);
        assert!(h.rewind("nope").is_err());
    }

    #[test]
    fn large_files_are_kept_by_link_and_checked() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("p");
        std::fs::create_dir_all(&cwd).unwrap();
        let big = cwd.join("big.bin");
        std::fs::write(&big, vec![b'x'; (LINK_OVER + 10) as usize]).unwrap();
        let mut h = FileHistory::new(d.path().join("fh/s"), cwd.clone());
        h.snapshot("m1");
        let line = h.track(std::slice::from_ref(&big)).unwrap();
        assert!(line["snapshot"]["trackedFileBackups"]["big.bin"]["ccrsLinked"].is_array());
        // Replaced by rename (as the tools do): the link keeps the old content.
        crate::fsutil::atomic_write(&big, b"small now", None).unwrap();
        h.rewind("m1").unwrap();
        assert_eq!(std::fs::metadata(&big).unwrap().len(), LINK_OVER + 10);
        // Changed in place behind the link's back: refused, not restored wrongly.
        let mut h2 = FileHistory::new(d.path().join("fh/s2"), cwd.clone());
        h2.snapshot("m1");
        h2.track(std::slice::from_ref(&big)).unwrap();
        std::fs::write(&big, b"in place").unwrap();
        let r = h2.rewind("m1").unwrap();
        assert_eq!(r.failed.len(), 1);
        assert!(r.failed[0].1.contains("in place"), "{:?}", r.failed);
    }
}
