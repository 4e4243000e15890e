//! Where ccrs reads and writes: home, the Claude config dir, ccrs's own config dir.

use std::path::{Component, Path, PathBuf};

/// `$HOME`.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `$CLAUDE_CONFIG_DIR`, else `~/.claude`: user settings, transcripts, commands.
pub fn claude_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    home_dir()
        .unwrap_or_else(|| PathBuf::from("/"))
        .join(".claude")
}

/// ccrs's own config dir: `$XDG_CONFIG_HOME/claude-code-rs`, else `~/.config/claude-code-rs`.
pub fn ccrs_config_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            home_dir()
                .unwrap_or_else(|| PathBuf::from("/"))
                .join(".config")
        });
    base.join("claude-code-rs")
}

/// Lexically normalises a path: removes `.` and resolves `..` (never above the root).
/// Does not touch the filesystem; use [`canonicalize_lenient`] to also resolve symlinks.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    // `..` above a relative start is kept; above the root it is dropped.
                    if !p.is_absolute() {
                        out.push("..");
                    }
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(if p.is_absolute() { "/" } else { "." });
    }
    out
}

/// Resolves symlinks of the longest existing prefix of `p`, then appends the rest: the path the
/// OS would really touch, even when the file does not exist yet.
pub fn canonicalize_lenient(p: &Path) -> PathBuf {
    let p = normalize(p);
    if let Ok(c) = std::fs::canonicalize(&p) {
        return c;
    }
    let mut tail = Vec::new();
    let mut cur = p.clone();
    while let Some(parent) = cur.parent().map(Path::to_path_buf) {
        if let Some(name) = cur.file_name() {
            tail.push(name.to_os_string());
        }
        if let Ok(c) = std::fs::canonicalize(&parent) {
            let mut out = c;
            for t in tail.iter().rev() {
                out.push(t);
            }
            return normalize(&out);
        }
        cur = parent;
    }
    p
}

/// Claude Code's project directory name: every char outside `[A-Za-z0-9]` becomes `-`.
pub fn sanitize_project_path(p: &Path) -> String {
    p.to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(normalize(Path::new("/a/../../x")), PathBuf::from("/x"));
        assert_eq!(normalize(Path::new("a/../../x")), PathBuf::from("../x"));
        assert_eq!(normalize(Path::new("/")), PathBuf::from("/"));
    }

    #[test]
    fn lenient_canonicalize_follows_symlinks_of_existing_prefix() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::os::unix::fs::symlink(&real, d.path().join("link")).unwrap();
        let got = canonicalize_lenient(&d.path().join("link/new/file.txt"));
        assert_eq!(
            got,
            std::fs::canonicalize(&real).unwrap().join("new/file.txt")
        );
    }

    #[test]
    fn project_path_is_sanitized() {
        assert_eq!(
            sanitize_project_path(Path::new("/Users/alice/work/my.repo")),
            "-Users-alice-work-my-repo"
        );
    }
}
