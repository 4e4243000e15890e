//! ccrs's temp files, recognisable by name, and the safe removal of the ones a killed process
//! left behind.
//!
//! An atomic write first writes `.{name}.ccrs-tmp-{pid}-{id}` (32 hex digits of id) next to its
//! target, then renames it over the target. A `kill -9` in between leaves a full-size hidden
//! file. Two ways find such files later:
//! - [`temp_files_of`] lists the temp files of one target (the credential store looks next to
//!   its own file at start, and may recover a complete newer one);
//! - the journal: when a front end calls [`enable_journal`], every atomic write first records
//!   its temp path as a symlink `{pid}-{id}` in the journal directory and removes it once
//!   renamed, and [`enable_journal`] removes the stale temps that older runs recorded, wherever
//!   they were written.
//!
//! A file is only ever removed when all of these hold: its name has exactly the shape above
//! (for a journal entry: with the entry's own pid and id), it is a regular file (not followed
//! through a symlink) owned by this user, it has not been modified for [`STALE_AFTER`], and
//! the process that made it is gone (or the file is older than [`ABANDONED_AFTER`], for a pid
//! that was reused). Removing a temp file never loses data: the target is untouched until the
//! rename, and a writer that was merely stopped gets an error at its rename.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// What sets ccrs's temp files apart: `.{name}` + this + `{pid}-{id}`.
pub const TEMP_MARK: &str = ".ccrs-tmp-";
/// A temp file untouched for this long is not being written.
pub const STALE_AFTER: Duration = Duration::from_secs(5 * 60);
/// Past this age a temp file is stale even if a process with its pid runs (a reused pid).
pub const ABANDONED_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
const ID_LEN: usize = 32;

/// The parts of a temp file's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TempName {
    /// The target's file name.
    pub target: OsString,
    pub pid: u32,
    /// 32 lowercase hex digits.
    pub id: String,
}

impl TempName {
    /// A new name for a temp file of `target` (a file name) in this process.
    pub fn new(target: &OsStr) -> TempName {
        TempName {
            target: target.to_os_string(),
            pid: std::process::id(),
            id: uuid::Uuid::new_v4().simple().to_string(),
        }
    }

    pub fn file_name(&self) -> OsString {
        let mut s = OsString::from(".");
        s.push(&self.target);
        s.push(format!("{TEMP_MARK}{}-{}", self.pid, self.id));
        s
    }

    /// Parses a file name of the shape [`TempName::file_name`] makes; `None` for anything else.
    pub fn parse(name: &OsStr) -> Option<TempName> {
        let bytes = name.as_bytes().strip_prefix(b".")?;
        let mark = TEMP_MARK.as_bytes();
        let at = bytes.windows(mark.len()).rposition(|w| w == mark)?;
        let (target, rest) = (&bytes[..at], &bytes[at + mark.len()..]);
        let rest = std::str::from_utf8(rest).ok()?;
        let (pid, id) = rest.split_once('-')?;
        let valid_pid = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
        let valid_id = id.len() == ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if target.is_empty() || !valid_pid || !valid_id {
            return None;
        }
        Some(TempName {
            target: OsStr::from_bytes(target).to_os_string(),
            pid: pid.parse().ok()?,
            id: id.to_string(),
        })
    }

    /// The journal entry's name for this temp file.
    fn entry_name(&self) -> String {
        format!("{}-{}", self.pid, self.id)
    }
}

/// Whether a process with this pid exists (one of another user counts).
pub fn pid_alive(pid: u32) -> bool {
    let Some(p) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    match rustix::process::test_kill_process(p) {
        Ok(()) => true,
        Err(e) => e != rustix::io::Errno::SRCH,
    }
}

/// One temp file found next to its target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TempFile {
    pub path: PathBuf,
    pub name: TempName,
    pub len: u64,
    pub modified: SystemTime,
    /// Safe to remove (see the module's rules).
    pub stale: bool,
}

impl TempFile {
    /// `path` as a temp file of ours: its name parses, it is a regular file owned by this user.
    fn inspect(path: &Path, now: SystemTime) -> Option<TempFile> {
        let name = TempName::parse(path.file_name()?)?;
        let meta = fs::symlink_metadata(path).ok()?;
        if !meta.file_type().is_file() || meta.uid() != rustix::process::geteuid().as_raw() {
            return None;
        }
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let age = now.duration_since(modified).unwrap_or(Duration::ZERO);
        let stale = age >= STALE_AFTER && (age >= ABANDONED_AFTER || !pid_alive(name.pid));
        Some(TempFile {
            path: path.to_path_buf(),
            name,
            len: meta.len(),
            modified,
            stale,
        })
    }
}

/// The temp files of `target` in its directory (of any process, stale or not).
pub fn temp_files_of(target: &Path) -> io::Result<Vec<TempFile>> {
    let Some(name) = target.file_name() else {
        return Ok(Vec::new());
    };
    let dir = parent_dir(target);
    let now = SystemTime::now();
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)?.flatten() {
        let file_name = entry.file_name();
        if TempName::parse(&file_name).is_some_and(|t| t.target == name)
            && let Some(t) = TempFile::inspect(&entry.path(), now)
        {
            out.push(t);
        }
    }
    Ok(out)
}

/// Removes the stale temp files of `target`; returns how many.
pub fn remove_stale_temps_of(target: &Path) -> usize {
    temp_files_of(target)
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.stale && fs::remove_file(&t.path).is_ok())
        .count()
}

pub(crate) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

// ---------------------------------------------------------------------------------------------
// The journal

static JOURNAL: OnceLock<PathBuf> = OnceLock::new();

/// Turns the journal on for this process (the first call wins) and removes the stale temp files
/// recorded by earlier runs. Returns how many were removed. Failures are silent: the journal
/// only helps clean up, it must never make a write fail.
pub fn enable_journal(dir: PathBuf) -> usize {
    let dir = JOURNAL.get_or_init(|| dir);
    if fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .is_err()
    {
        return 0;
    }
    clean_journal(dir)
}

/// Records that this process is about to create `temp`; returns the entry to remove after.
pub(crate) fn journal_add(temp: &Path, name: &TempName) -> Option<PathBuf> {
    let dir = JOURNAL.get()?;
    let entry = dir.join(name.entry_name());
    let temp = std::path::absolute(temp).ok()?;
    std::os::unix::fs::symlink(temp, &entry).ok()?;
    Some(entry)
}

pub(crate) fn journal_remove(entry: Option<PathBuf>) {
    if let Some(e) = entry {
        let _ = fs::remove_file(e);
    }
}

/// Removes the stale temp files the journal in `dir` lists, and the entries of temps that are
/// gone. Entries of live writers stay.
pub fn clean_journal(dir: &Path) -> usize {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in rd.flatten() {
        let entry_path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&entry_path) else {
            continue;
        };
        if !meta.file_type().is_symlink() {
            continue;
        }
        let Ok(temp) = fs::read_link(&entry_path) else {
            continue;
        };
        let expected = entry.file_name();
        let name = temp.file_name().and_then(TempName::parse);
        // The link must name a temp file of the same pid and id as the entry itself.
        if name
            .as_ref()
            .is_none_or(|n| OsStr::new(&n.entry_name()) != expected)
        {
            let _ = fs::remove_file(&entry_path);
            continue;
        }
        match TempFile::inspect(&temp, now) {
            Some(t) if t.stale => {
                if fs::remove_file(&t.path).is_ok() {
                    removed += 1;
                }
                let _ = fs::remove_file(&entry_path);
            }
            // Still being written, or too young to judge.
            Some(_) => {}
            None => {
                // The temp is gone (renamed or removed) or is not ours: the entry is done, once
                // its writer is.
                let writer_gone = name.is_some_and(|n| !pid_alive(n.pid));
                let entry_age = now
                    .duration_since(meta.modified().unwrap_or(now))
                    .unwrap_or(Duration::ZERO);
                if writer_gone || entry_age >= ABANDONED_AFTER {
                    let _ = fs::remove_file(&entry_path);
                }
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid that is not running (the largest possible, never handed out in tests).
    fn dead_pid() -> u32 {
        let max: u32 = fs::read_to_string("/proc/sys/kernel/pid_max")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(4_194_304);
        (2..200).map(|i| max - i).find(|&p| !pid_alive(p)).unwrap()
    }

    fn set_age(p: &Path, age: Duration) {
        let f = fs::OpenOptions::new().write(true).open(p).unwrap();
        f.set_modified(SystemTime::now() - age).unwrap();
    }

    fn temp_of(dir: &Path, target: &str, pid: u32) -> PathBuf {
        let mut n = TempName::new(OsStr::new(target));
        n.pid = pid;
        let p = dir.join(n.file_name());
        fs::write(&p, vec![b'x'; 1000]).unwrap();
        p
    }

    #[test]
    fn names_round_trip_and_nothing_else_parses() {
        let n = TempName::new(OsStr::new("a.ccrs-tmp-b.txt"));
        let f = n.file_name();
        assert!(
            f.to_string_lossy()
                .starts_with(".a.ccrs-tmp-b.txt.ccrs-tmp-")
        );
        assert_eq!(TempName::parse(&f), Some(n));
        for other in [
            "a.txt",
            ".a.txt",
            ".a.txt.ccrs-tmp-",
            ".a.txt.ccrs-tmp-12-abc",
            ".a.txt.ccrs-tmp-x1-0123456789abcdef0123456789abcdef",
            ".a.txt.ccrs-tmp-12-0123456789ABCDEF0123456789ABCDEF",
            ".a.txt.ccrs-tmp-12-0123456789abcdef0123456789abcdef0",
            "a.txt.ccrs-tmp-12-0123456789abcdef0123456789abcdef",
            "..ccrs-tmp-12-0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(TempName::parse(OsStr::new(other)), None, "{other}");
        }
    }

    #[test]
    fn only_old_temps_of_dead_writers_are_stale() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("f.txt");
        let dead = dead_pid();
        let old_dead = temp_of(d.path(), "f.txt", dead);
        set_age(&old_dead, STALE_AFTER + Duration::from_secs(5));
        let young_dead = temp_of(d.path(), "f.txt", dead);
        let old_live = temp_of(d.path(), "f.txt", std::process::id());
        set_age(&old_live, STALE_AFTER * 2);
        let ancient_live = temp_of(d.path(), "f.txt", std::process::id());
        set_age(&ancient_live, ABANDONED_AFTER + Duration::from_secs(5));
        let other_target = temp_of(d.path(), "g.txt", dead);
        set_age(&other_target, STALE_AFTER * 2);
        // A user's file that merely looks alike, and a symlink with our name.
        let lookalike = d.path().join(".f.txt.ccrs-tmp-notes");
        fs::write(&lookalike, "mine").unwrap();
        let mut ln = TempName::new(OsStr::new("f.txt"));
        ln.pid = dead;
        let link = d.path().join(ln.file_name());
        std::os::unix::fs::symlink(&lookalike, &link).unwrap();

        let found = temp_files_of(&target).unwrap();
        assert_eq!(found.len(), 4, "{found:?}");
        let stale: Vec<&Path> = found
            .iter()
            .filter(|t| t.stale)
            .map(|t| t.path.as_path())
            .collect();
        assert_eq!(stale.len(), 2, "{stale:?}");
        assert!(stale.contains(&old_dead.as_path()) && stale.contains(&ancient_live.as_path()));

        assert_eq!(remove_stale_temps_of(&target), 2);
        for kept in [&young_dead, &old_live, &other_target, &lookalike, &link] {
            assert!(fs::symlink_metadata(kept).is_ok(), "{}", kept.display());
        }
        assert!(!old_dead.exists() && !ancient_live.exists());
    }

    #[test]
    fn journal_cleans_stale_temps_anywhere_and_keeps_live_ones() {
        let d = tempfile::tempdir().unwrap();
        let journal = d.path().join("journal");
        fs::create_dir(&journal).unwrap();
        let work = d.path().join("work");
        fs::create_dir(&work).unwrap();
        let dead = dead_pid();
        let entry_for = |temp: &Path| {
            let n = TempName::parse(temp.file_name().unwrap()).unwrap();
            let e = journal.join(n.entry_name());
            std::os::unix::fs::symlink(temp, &e).unwrap();
            e
        };
        let stale = temp_of(&work, "a.rs", dead);
        set_age(&stale, STALE_AFTER * 2);
        let stale_entry = entry_for(&stale);
        let live = temp_of(&work, "b.rs", std::process::id());
        set_age(&live, STALE_AFTER * 2);
        let live_entry = entry_for(&live);
        // An entry whose temp was renamed into place by a writer that has exited.
        let gone = work.join(
            TempName {
                pid: dead,
                ..TempName::new(OsStr::new("c.rs"))
            }
            .file_name(),
        );
        let gone_entry = entry_for(&gone);
        // A planted entry pointing at a user's file: never followed to it.
        let user_file = work.join("precious.txt");
        fs::write(&user_file, "keep").unwrap();
        let planted = journal.join(format!("{dead}-0123456789abcdef0123456789abcdef"));
        std::os::unix::fs::symlink(&user_file, &planted).unwrap();

        assert_eq!(clean_journal(&journal), 1);
        assert!(!stale.exists() && fs::symlink_metadata(&stale_entry).is_err());
        assert!(live.exists() && fs::symlink_metadata(&live_entry).is_ok());
        assert!(fs::symlink_metadata(&gone_entry).is_err());
        assert!(fs::symlink_metadata(&planted).is_err());
        assert_eq!(fs::read_to_string(&user_file).unwrap(), "keep");
    }

    #[test]
    fn pid_alive_knows_this_process() {
        assert!(pid_alive(std::process::id()));
        assert!(!pid_alive(dead_pid()));
        assert!(!pid_alive(0));
    }
}
