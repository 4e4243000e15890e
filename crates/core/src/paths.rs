//! Where ccrs reads and writes: home, the Claude config dir, ccrs's own config dir.

use std::collections::VecDeque;
use std::ffi::OsString;
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

/// A component-by-component walk (`out` so far, `todo` left) continues at a symlink's target:
/// an absolute target starts again at `/`, its components come before what is left.
pub fn follow_link(out: &mut PathBuf, todo: &mut VecDeque<OsString>, target: &Path) {
    if target.is_absolute() {
        *out = PathBuf::from("/");
    }
    for c in target.components().rev() {
        match c {
            Component::Normal(s) => todo.push_front(s.to_os_string()),
            Component::ParentDir => todo.push_front("..".into()),
            _ => {}
        }
    }
}

/// Symlink hops followed before giving up (the kernel's limit is 40).
const MAX_SYMLINK_HOPS: usize = 40;

/// The path the OS would really touch, even when the file does not exist yet: symlinks are
/// resolved component by component as the kernel does (a `..` after a symlink goes up from
/// the link's target, which a lexical [`normalize`] first would get wrong; a dangling link
/// leads to its target), and components that do not exist are appended as written. A
/// relative path starts at the current directory.
pub fn canonicalize_lenient(p: &Path) -> PathBuf {
    let mut todo: VecDeque<OsString> = VecDeque::new();
    let start = if p.is_relative() {
        std::env::current_dir().unwrap_or_default()
    } else {
        PathBuf::new()
    };
    for c in start.components().chain(p.components()) {
        match c {
            Component::Normal(s) => todo.push_back(s.to_os_string()),
            Component::ParentDir => todo.push_back("..".into()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let mut out = PathBuf::from("/");
    let mut hops = 0;
    let mut missing = false;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&c);
        if missing {
            out = next;
            continue;
        }
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() => {
                hops += 1;
                let target = match std::fs::read_link(&next) {
                    Ok(t) if hops <= MAX_SYMLINK_HOPS => t,
                    _ => {
                        // A loop or an unreadable link: the kernel would fail; keep the name.
                        out = next;
                        missing = true;
                        continue;
                    }
                };
                follow_link(&mut out, &mut todo, &target);
            }
            Ok(_) => out = next,
            Err(_) => {
                out = next;
                missing = true;
            }
        }
    }
    out
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
    fn lenient_canonicalize_resolves_like_the_kernel() {
        let d = tempfile::tempdir().unwrap();
        let base = std::fs::canonicalize(d.path()).unwrap();
        std::fs::create_dir_all(base.join("proj")).unwrap();
        std::fs::create_dir_all(base.join("outside/deep")).unwrap();
        std::os::unix::fs::symlink(base.join("outside/deep"), base.join("proj/link")).unwrap();
        // `..` after a symlink goes up from its target, not from the link.
        assert_eq!(
            canonicalize_lenient(&base.join("proj/link/../x")),
            base.join("outside/x")
        );
        // A dangling link leads where a write through it would go.
        std::os::unix::fs::symlink(base.join("outside/new.txt"), base.join("proj/dangling"))
            .unwrap();
        assert_eq!(
            canonicalize_lenient(&base.join("proj/dangling")),
            base.join("outside/new.txt")
        );
        // A loop does not hang.
        std::os::unix::fs::symlink(base.join("proj/loop"), base.join("proj/loop")).unwrap();
        assert_eq!(
            canonicalize_lenient(&base.join("proj/loop/x")),
            base.join("proj/loop/x")
        );
    }
}
