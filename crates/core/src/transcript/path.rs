//! Where transcripts live: `<config dir>/projects/<project>/<session id>.jsonl`, the project
//! named after the working directory as Claude Code names it.

use std::path::{Path, PathBuf};

/// Project directory names longer than this are cut and get a hash suffix (Claude Code 2.1).
const MAX_NAME: usize = 200;

/// `<config dir>/projects`.
pub fn projects_dir(config_dir: &Path) -> PathBuf {
    config_dir.join("projects")
}

/// The Java-style string hash Claude Code uses for long names (over UTF-16 code units).
fn js_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_shl(5).wrapping_sub(h).wrapping_add(unit as i32);
    }
    h
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

/// The project directory name for a working directory: every character outside `[A-Za-z0-9]`
/// becomes `-` (one per UTF-16 code unit, as JavaScript's regex replace does), and a name over
/// 200 characters is cut to 200 plus `-` and a base-36 hash of the whole path.
pub fn project_name(cwd: &Path) -> String {
    let s = cwd.to_string_lossy();
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else {
            for _ in 0..c.len_utf16() {
                out.push('-');
            }
        }
    }
    if out.len() <= MAX_NAME {
        return out;
    }
    out.truncate(MAX_NAME);
    format!("{out}-{}", base36(js_hash(&s).unsigned_abs() as u64))
}

/// `<config dir>/projects/<project name>`.
pub fn project_dir(config_dir: &Path, cwd: &Path) -> PathBuf {
    projects_dir(config_dir).join(project_name(cwd))
}

/// The transcript of `session_id` in the project of `cwd`.
pub fn session_file(config_dir: &Path, cwd: &Path, session_id: &str) -> PathBuf {
    project_dir(config_dir, cwd).join(format!("{session_id}.jsonl"))
}

/// The project directories that may hold `cwd`'s sessions: its own, and for a long name the
/// ones whose cut prefix matches (another hash function made them: Claude Code looks there too).
pub fn project_dirs(config_dir: &Path, cwd: &Path) -> Vec<PathBuf> {
    let own = project_dir(config_dir, cwd);
    let name = project_name(cwd);
    let mut out = vec![own.clone()];
    if name.len() > MAX_NAME {
        let prefix = format!("{}-", &name[..MAX_NAME]);
        if let Ok(rd) = std::fs::read_dir(projects_dir(config_dir)) {
            for e in rd.flatten() {
                let p = e.path();
                if p != own && e.file_name().to_string_lossy().starts_with(&prefix) && p.is_dir() {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// A session id that is safe as a file name (a UUID; Claude Code accepts only those).
pub fn valid_session_id(id: &str) -> bool {
    uuid::Uuid::try_parse(id).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_claude_code() {
        // Seen on disk: Claude Code 2.1.197 in /tmp/tr/recE/project.
        assert_eq!(
            project_name(Path::new("/tmp/tr/recE/project")),
            "-tmp-tr-recE-project"
        );
        assert_eq!(
            project_name(Path::new("/Users/alice/work/my.repo")),
            "-Users-alice-work-my-repo"
        );
        // One dash per UTF-16 unit: é is one, an emoji two.
        assert_eq!(project_name(Path::new("/a/é/😀")), "-a-----");
    }

    #[test]
    fn long_names_are_cut_with_a_hash() {
        let long = format!("/{}", "x".repeat(300));
        let name = project_name(Path::new(&long));
        assert!(name.starts_with(&format!("-{}", "x".repeat(199))));
        assert_eq!(&name[200..201], "-");
        // JavaScript: Math.abs(h).toString(36) with h = (h << 5) - h + c | 0.
        let mut h: i32 = 0;
        for c in long.bytes() {
            h = (h << 5).wrapping_sub(h).wrapping_add(c as i32);
        }
        assert_eq!(&name[201..], base36(h.unsigned_abs() as u64));
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
