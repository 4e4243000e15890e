//! `cleanupPeriodDays`: transcripts (and their subagent sidechains and file checkpoints) not
//! touched for that many days are removed. It runs on a background thread at most once a day
//! (a stamp file says when it last ran), so thousands of old sessions never slow a start.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Claude Code's default retention.
pub const DEFAULT_DAYS: u64 = 30;
const DAY: Duration = Duration::from_secs(86_400);

/// What a sweep removed.
#[derive(Debug, Default, PartialEq)]
pub struct Swept {
    pub transcripts: usize,
    pub other: usize,
}

fn old(p: &Path, cutoff: SystemTime) -> bool {
    std::fs::symlink_metadata(p)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t < cutoff)
}

/// The newest modification time of anything under `dir` (a directory's own mtime does not
/// change when a file inside it is appended to).
fn newest_under(dir: &Path, depth: u32) -> Option<SystemTime> {
    let mut newest = std::fs::symlink_metadata(dir).ok()?.modified().ok();
    if depth == 0 {
        return newest;
    }
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let t = if ft.is_dir() {
            newest_under(&e.path(), depth - 1)
        } else {
            e.metadata().ok().and_then(|m| m.modified().ok())
        };
        newest = newest.max(t);
    }
    newest
}

/// Removes what is older than `days` under `config_dir`: `projects/*/<id>.jsonl`, their
/// `<id>/` directories, and `file-history/<id>/`.
pub fn sweep(config_dir: &Path, days: u64, now: SystemTime) -> Swept {
    let mut out = Swept::default();
    let Some(cutoff) = now.checked_sub(DAY * days.min(36_500) as u32) else {
        return out;
    };
    let projects = super::path::projects_dir(config_dir);
    for project in std::fs::read_dir(&projects).into_iter().flatten().flatten() {
        let dir = project.path();
        if !project.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let mut removed_here = false;
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let p = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_file() && name.ends_with(".jsonl") {
                if old(&p, cutoff) && std::fs::remove_file(&p).is_ok() {
                    out.transcripts += 1;
                    removed_here = true;
                }
            } else if ft.is_dir() && super::path::valid_session_id(&name) {
                // A session's subagents: gone with its transcript, once they are old too.
                let transcript = dir.join(format!("{name}.jsonl"));
                if !transcript.exists()
                    && newest_under(&p, 3).is_some_and(|t| t < cutoff)
                    && std::fs::remove_dir_all(&p).is_ok()
                {
                    out.other += 1;
                    removed_here = true;
                }
            }
        }
        // A project directory this sweep emptied goes too (fails harmlessly when not empty).
        // One that was empty already is left alone: it is a session's that is starting (made
        // just before its first line), and removing it lost that line.
        if removed_here {
            let _ = std::fs::remove_dir(&dir);
        }
    }
    let history = config_dir.join("file-history");
    for e in std::fs::read_dir(&history).into_iter().flatten().flatten() {
        let p: PathBuf = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir())
            && newest_under(&p, 1).is_some_and(|t| t < cutoff)
            && std::fs::remove_dir_all(&p).is_ok()
        {
            out.other += 1;
        }
    }
    out
}

/// Runs [`sweep`] on a background thread unless it ran in the last day (`stamp` records when).
/// Never blocks the caller.
pub fn spawn_daily(config_dir: PathBuf, days: u64, stamp: PathBuf) {
    let now = SystemTime::now();
    if std::fs::metadata(&stamp)
        .and_then(|m| m.modified())
        .is_ok_and(|t| now.duration_since(t).is_ok_and(|d| d < DAY))
    {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("ccrs-cleanup".into())
        .spawn(move || {
            // Claim the day first: two sessions starting together sweep once.
            if let Some(dir) = stamp.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            if std::fs::write(&stamp, b"").is_err() {
                return;
            }
            let swept = sweep(&config_dir, days, now);
            crate::debug_log!(
                crate::log::SESSION,
                "cleanupPeriodDays {days}: removed {} transcripts and {} other entries",
                swept.transcripts,
                swept.other
            );
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn age(p: &Path, days: u64) {
        let t = SystemTime::now() - DAY * days as u32;
        let f = std::fs::File::options().write(true).open(p).unwrap();
        f.set_modified(t).unwrap();
    }

    #[test]
    fn old_sessions_go_and_recent_ones_stay() {
        let d = tempfile::tempdir().unwrap();
        let proj = d.path().join("projects/-w");
        let old_id = "11111111-1111-4111-8111-111111111111";
        let new_id = "22222222-2222-4222-8222-222222222222";
        std::fs::create_dir_all(proj.join(old_id).join("subagents")).unwrap();
        let sub = proj.join(old_id).join("subagents/agent-a.jsonl");
        std::fs::write(&sub, "{}").unwrap();
        age(&sub, 40);
        let t_old = proj.join(format!("{old_id}.jsonl"));
        let t_new = proj.join(format!("{new_id}.jsonl"));
        std::fs::write(&t_old, "{}").unwrap();
        std::fs::write(&t_new, "{}").unwrap();
        age(&t_old, 40);
        let fh = d.path().join("file-history").join(old_id);
        std::fs::create_dir_all(&fh).unwrap();
        let b = fh.join("abc@v1");
        std::fs::write(&b, "x").unwrap();
        age(&b, 40);
        let swept = sweep(d.path(), 30, SystemTime::now() + DAY);
        assert_eq!(swept.transcripts, 1);
        assert!(!t_old.exists());
        assert!(t_new.exists());
        // The sidechain and checkpoint directories were touched now (their own mtime): they
        // stay until they are old too.
        assert!(sub.exists());
        assert!(fh.exists());
        // With the directories' own mtimes recent, they stay until they age too.
        let later = sweep(d.path(), 30, SystemTime::now() + DAY * 31);
        assert_eq!(later.transcripts, 1);
        assert!(!proj.join(old_id).exists());
        assert!(!fh.exists());
    }

    /// A new session makes its project directory just before writing its first line; a sweep
    /// (the same process's, at start) that comes in between must not remove it.
    #[test]
    fn an_empty_project_directory_of_a_starting_session_stays() {
        let d = tempfile::tempdir().unwrap();
        let starting = d.path().join("projects/-new");
        std::fs::create_dir_all(&starting).unwrap();
        let emptied = d.path().join("projects/-old");
        std::fs::create_dir_all(&emptied).unwrap();
        let t_old = emptied.join("11111111-1111-4111-8111-111111111111.jsonl");
        std::fs::write(&t_old, "{}").unwrap();
        age(&t_old, 40);
        let swept = sweep(d.path(), 30, SystemTime::now());
        assert_eq!(swept.transcripts, 1);
        assert!(starting.is_dir());
        assert!(!emptied.exists());
    }
}
