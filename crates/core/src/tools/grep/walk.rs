//! What Glob and Grep share: how the tree is walked (ripgrep's rules), how paths are shown, the
//! newest-first ordering, and a reader that stops when the call is cancelled.

use crate::cancel::CancelToken;
use crate::permissions::{PermissionEngine, WalkReadDeny};
use ignore::WalkBuilder;
use ignore::overrides::OverrideBuilder;
use ignore::types::Types;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Version-control directories that are never walked, whatever the ignore settings.
pub(crate) const VCS_DIRS: [&str; 6] = [".git", ".svn", ".hg", ".bzr", ".jj", ".sl"];

/// How a walk filters the tree.
pub(crate) struct WalkOptions<'a> {
    /// Honour `.gitignore` (inside git repositories, as ripgrep does), `.ignore`, `.rgignore`,
    /// the global gitignore and `.git/info/exclude`.
    pub respect_ignore: bool,
    /// Include hidden (dot) files and directories.
    pub hidden: bool,
    /// ripgrep `--glob` patterns, rooted at the walk's root; later ones win, `!` excludes.
    pub globs: &'a [String],
    /// A `--type` selection.
    pub types: Option<Types>,
    /// Files a `Read(...)` deny rule covers are skipped (Claude Code passes them to rg as
    /// `--glob !…`): otherwise Grep would read what Read may not.
    pub read_deny: Option<Arc<PermissionEngine>>,
}

/// The engine to filter a walk with, when it has Read deny rules at all (each check resolves
/// the path, which is not free on a large tree).
pub(crate) fn read_deny_filter(
    engine: Option<&Arc<PermissionEngine>>,
) -> Option<Arc<PermissionEngine>> {
    engine.filter(|e| e.has_read_deny_rules()).cloned()
}

/// ripgrep's default thread count: the available cores, at most 12.
pub(crate) fn thread_count() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(12)
}

/// A walker over `root` with ripgrep's filtering. Errors name the glob that failed to parse.
pub(crate) fn walker(root: &Path, opts: WalkOptions<'_>) -> Result<WalkBuilder, String> {
    let mut ob = OverrideBuilder::new(root);
    for g in opts.globs {
        ob.add(g)
            .map_err(|e| format!("Invalid glob pattern \"{g}\": {}", glob_error(&e)))?;
    }
    // Added last so that no user glob can re-include them.
    for d in VCS_DIRS {
        ob.add(&format!("!{d}"))
            .map_err(|e| format!("internal glob error: {e}"))?;
    }
    let overrides = ob
        .build()
        .map_err(|e| format!("Invalid glob pattern: {}", glob_error(&e)))?;

    let mut wb = WalkBuilder::new(root);
    let r = opts.respect_ignore;
    wb.hidden(!opts.hidden)
        .ignore(r)
        .git_ignore(r)
        .git_global(r)
        .git_exclude(r)
        .parents(r)
        .follow_links(false)
        .overrides(overrides)
        .threads(thread_count());
    if r {
        wb.add_custom_ignore_filename(".rgignore");
    }
    if let Some(t) = opts.types {
        wb.types(t);
    }
    if let Some(engine) = opts.read_deny {
        let deny = WalkReadDeny::new(engine, root);
        wb.filter_entry(move |e| !deny.denied(e.path(), e.path_is_symlink()));
    }
    Ok(wb)
}

/// A file filter with `rg --glob` pattern semantics, rooted at `root`, that (unlike `--glob`)
/// cannot re-include ignored files: Glob filters what the walk yields.
pub(crate) struct GlobFilter {
    matcher: ignore::overrides::Override,
    negated: bool,
}

impl GlobFilter {
    pub fn new(root: &Path, pattern: &str) -> Result<Self, String> {
        let mut ob = OverrideBuilder::new(root);
        ob.add(pattern)
            .map_err(|e| format!("Invalid glob pattern \"{pattern}\": {}", glob_error(&e)))?;
        let matcher = ob
            .build()
            .map_err(|e| format!("Invalid glob pattern \"{pattern}\": {}", glob_error(&e)))?;
        Ok(GlobFilter {
            matcher,
            negated: pattern.starts_with('!'),
        })
    }

    /// Whether the file at `path` (under the root) matches.
    pub fn is_match(&self, path: &Path) -> bool {
        let m = self.matcher.matched(path, false);
        if self.negated {
            !m.is_ignore()
        } else {
            m.is_whitelist()
        }
    }
}

/// The useful part of an `ignore` glob error (without the path/line wrappers).
fn glob_error(e: &ignore::Error) -> String {
    let s = e.to_string();
    s.rsplit_once("error parsing glob")
        .map(|(_, rest)| format!("error parsing glob{rest}"))
        .unwrap_or(s)
}

/// `path` as shown to the model: relative to `cwd` when under it, absolute otherwise.
pub(crate) fn display_path(path: &Path, cwd: &Path) -> String {
    match path.strip_prefix(cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        _ => path.to_string_lossy().into_owned(),
    }
}

/// A file with its modification time, ordered newest first, then by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dated {
    pub mtime: SystemTime,
    pub path: PathBuf,
}

impl Ord for Dated {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .mtime
            .cmp(&self.mtime)
            .then_with(|| self.path.cmp(&other.path))
    }
}

impl PartialOrd for Dated {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps the first `cap` files in newest-first order (all of them when `cap` is `None`) and counts
/// every file offered, so a huge result set never sits in memory.
#[derive(Debug, Default)]
pub(crate) struct NewestFirst {
    cap: Option<usize>,
    /// A max-heap whose top is the entry that sorts last: the one to evict.
    heap: BinaryHeap<Dated>,
    pub total: usize,
}

impl NewestFirst {
    pub fn new(cap: Option<usize>) -> Self {
        NewestFirst {
            cap,
            heap: BinaryHeap::new(),
            total: 0,
        }
    }

    pub fn push(&mut self, d: Dated) {
        self.total += 1;
        if let Some(cap) = self.cap {
            if cap == 0 {
                return;
            }
            if self.heap.len() >= cap {
                match self.heap.peek() {
                    Some(worst) if d < *worst => {
                        self.heap.pop();
                    }
                    _ => return,
                }
            }
        }
        self.heap.push(d);
    }

    /// Absorbs another collector (from another thread).
    pub fn merge(&mut self, other: NewestFirst) {
        let extra = other.total - other.heap.len();
        for d in other.heap {
            self.push(d);
        }
        self.total += extra;
    }

    /// The kept entries, newest first.
    pub fn into_sorted(self) -> Vec<Dated> {
        self.heap.into_sorted_vec()
    }
}

/// The modification time of `meta`, the epoch when the platform has none.
pub(crate) fn mtime_of(meta: &std::fs::Metadata) -> SystemTime {
    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)
}

/// Wraps a reader so that a cancelled call stops reading a big file at the next buffer refill.
pub(crate) struct CancelReader<'a, R> {
    pub inner: R,
    pub cancel: &'a CancelToken,
}

impl<R: Read> Read for CancelReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.is_cancelled() {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
        }
        self.inner.read(buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn dated(secs: u64, p: &str) -> Dated {
        Dated {
            mtime: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            path: PathBuf::from(p),
        }
    }

    #[test]
    fn newest_first_keeps_the_newest_within_cap_and_counts_all() {
        let mut n = NewestFirst::new(Some(2));
        for (t, p) in [(1, "a"), (5, "b"), (3, "c"), (5, "a"), (2, "d")] {
            n.push(dated(t, p));
        }
        assert_eq!(n.total, 5);
        let got: Vec<_> = n
            .into_sorted()
            .into_iter()
            .map(|d| d.path.to_string_lossy().into_owned())
            .collect();
        // Same mtime: by path.
        assert_eq!(got, ["a", "b"]);
    }

    #[test]
    fn newest_first_merge_keeps_exact_total() {
        let mut a = NewestFirst::new(Some(1));
        let mut b = NewestFirst::new(Some(1));
        a.push(dated(1, "x"));
        a.push(dated(2, "y"));
        b.push(dated(9, "z"));
        b.push(dated(0, "w"));
        a.merge(b);
        assert_eq!(a.total, 4);
        assert_eq!(a.into_sorted(), vec![dated(9, "z")]);
    }

    #[test]
    fn unbounded_keeps_everything() {
        let mut n = NewestFirst::new(None);
        for i in 0..10 {
            n.push(dated(i, &format!("f{i}")));
        }
        let v = n.into_sorted();
        assert_eq!(v.len(), 10);
        assert_eq!(v[0], dated(9, "f9"));
    }

    #[test]
    fn glob_filter_has_rg_glob_semantics() {
        let root = Path::new("/r");
        let any_depth = GlobFilter::new(root, "*.rs").unwrap();
        assert!(any_depth.is_match(Path::new("/r/a.rs")));
        assert!(any_depth.is_match(Path::new("/r/x/y/a.rs")));
        assert!(!any_depth.is_match(Path::new("/r/a.ts")));
        let anchored = GlobFilter::new(root, "src/**/*.{ts,tsx}").unwrap();
        assert!(anchored.is_match(Path::new("/r/src/a/b.tsx")));
        assert!(anchored.is_match(Path::new("/r/src/b.ts")));
        assert!(!anchored.is_match(Path::new("/r/lib/src/b.ts")));
        let negated = GlobFilter::new(root, "!*.md").unwrap();
        assert!(negated.is_match(Path::new("/r/a.rs")));
        assert!(!negated.is_match(Path::new("/r/d/a.md")));
        assert!(GlobFilter::new(root, "src/{a,b").is_err());
    }

    #[test]
    fn display_path_is_relative_under_cwd_only() {
        let cwd = Path::new("/p/proj");
        assert_eq!(display_path(Path::new("/p/proj/src/a.rs"), cwd), "src/a.rs");
        assert_eq!(
            display_path(Path::new("/p/other/a.rs"), cwd),
            "/p/other/a.rs"
        );
        assert_eq!(display_path(Path::new("/p/proj"), cwd), "/p/proj");
    }

    #[test]
    fn cancel_reader_stops_after_cancel() {
        let token = CancelToken::new();
        let data = b"hello".to_vec();
        let mut r = CancelReader {
            inner: &data[..],
            cancel: &token,
        };
        let mut buf = [0u8; 2];
        assert_eq!(r.read(&mut buf).unwrap(), 2);
        token.cancel();
        assert!(r.read(&mut buf).is_err());
    }
}
