//! The parallel search behind Grep: ripgrep's walker and searcher, one searcher per thread,
//! per-thread result collectors merged at the end into a deterministic order.
//!
//! Memory stays bounded by what the page needs: files-with-matches keeps the newest `cap` files,
//! content keeps the first `cap` output lines in path order, count keeps the first `cap` files in
//! path order. Totals (files, counts) are always exact.

use super::walk::{self, CancelReader, Dated, NewestFirst, WalkOptions};
use crate::cancel::CancelToken;
use crate::fsutil::open_nonblocking;
use grep_matcher::Matcher;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{
    BinaryDetection, Searcher, SearcherBuilder, Sink, SinkContext, SinkFinish, SinkMatch,
};
use ignore::types::TypesBuilder;
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Lines longer than this (in bytes, terminator included) are replaced by a marker, as
/// `rg --max-columns 500` does: minified files would otherwise flood the context.
pub(crate) const MAX_COLUMNS: usize = 500;
/// A searcher's buffer holds at least one whole line (with `multiline`, the whole file): files
/// that need more are skipped and reported, so one minified or generated file cannot take
/// gigabytes.
pub(crate) const HEAP_LIMIT: usize = 64 << 20;
/// Skipped files named in the report.
const SKIPPED_NAMED: usize = 5;

/// Files skipped because they need more than [`HEAP_LIMIT`] of buffer.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Skipped {
    pub count: usize,
    /// The first few, in path order.
    pub examples: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Files,
    Content,
    Count,
}

/// One Grep search, fully resolved.
#[derive(Clone, Debug)]
pub(crate) struct Spec {
    /// Absolute file or directory.
    pub root: PathBuf,
    /// Paths under it are shown relative.
    pub cwd: PathBuf,
    pub pattern: String,
    pub mode: Mode,
    pub line_numbers: bool,
    pub before: usize,
    pub after: usize,
    pub case_insensitive: bool,
    pub multiline: bool,
    /// ripgrep `--glob` patterns.
    pub globs: Vec<String>,
    /// ripgrep `--type` names (`!name` negates).
    pub types: Vec<String>,
    /// How many results (files, lines or count entries) the caller needs; `None` = all.
    pub cap: Option<usize>,
    /// Skip files covered by Read deny rules.
    pub read_deny: Option<std::sync::Arc<crate::permissions::PermissionEngine>>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SearchError {
    /// Bad input: an invalid regex, glob or type. The text is for the model.
    Invalid(String),
    Cancelled,
}

/// What a search found.
#[derive(Debug, PartialEq)]
pub(crate) enum Found {
    /// Matching files, newest first (at most `cap`), and how many matched in all.
    Files { files: Vec<PathBuf>, total: usize },
    /// Output lines in path order (at least the first `cap` when that many exist), each ended
    /// by `\n`; `more` is true when lines beyond those were dropped.
    Content {
        text: String,
        lines: usize,
        more: bool,
    },
    /// `(shown path, count)` in path order (at least the first `cap`), plus exact totals.
    Count {
        entries: Vec<(String, u64)>,
        total_files: usize,
        total_matches: u64,
    },
}

/// Compiles the pattern as ripgrep does (`-U --multiline-dotall` when `multiline`).
pub(crate) fn build_matcher(
    pattern: &str,
    case_insensitive: bool,
    multiline: bool,
) -> Result<RegexMatcher, String> {
    let mut b = RegexMatcherBuilder::new();
    b.case_insensitive(case_insensitive)
        .multi_line(true)
        .unicode(true)
        .octal(false);
    if multiline {
        b.dot_matches_new_line(true);
    } else {
        // Lets the searcher look for candidate lines fast, and rejects `\n` in the pattern.
        b.line_terminator(Some(b'\n')).dot_matches_new_line(false);
    }
    b.build(pattern).map_err(|e| e.to_string())
}

fn build_types(names: &[String]) -> Result<Option<ignore::types::Types>, String> {
    if names.is_empty() {
        return Ok(None);
    }
    let mut tb = TypesBuilder::new();
    tb.add_defaults();
    for n in names {
        match n.strip_prefix('!') {
            Some(neg) => tb.negate(neg),
            None => tb.select(n),
        };
    }
    tb.build().map(Some).map_err(|e| {
        let msg = e.to_string();
        format!("{msg}. Use a ripgrep type name such as rust, py, js, ts, go, java, c, cpp, md")
    })
}

/// Runs the search (blocking; call from a blocking thread).
pub(crate) fn run(spec: &Spec, cancel: &CancelToken) -> Result<(Found, Skipped), SearchError> {
    let matcher = build_matcher(&spec.pattern, spec.case_insensitive, spec.multiline)
        .map_err(SearchError::Invalid)?;
    let types = build_types(&spec.types).map_err(SearchError::Invalid)?;
    let wb = walk::walker(
        &spec.root,
        WalkOptions {
            respect_ignore: true,
            hidden: true,
            globs: &spec.globs,
            types,
            read_deny: spec.read_deny.clone(),
        },
    )
    .map_err(SearchError::Invalid)?;

    let shared = Shared {
        spec,
        matcher,
        cancel,
        results: Mutex::new(Vec::new()),
        skipped: Mutex::new(Vec::new()),
    };
    let mut builder = WorkerBuilder { shared: &shared };
    wb.build_parallel().visit(&mut builder);
    if cancel.is_cancelled() {
        return Err(SearchError::Cancelled);
    }
    let parts = shared
        .results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    let mut skipped = shared
        .skipped
        .into_inner()
        .unwrap_or_else(|p| p.into_inner());
    skipped.sort();
    let count = skipped.len();
    skipped.truncate(SKIPPED_NAMED);
    Ok((
        merge(spec, parts),
        Skipped {
            count,
            examples: skipped,
        },
    ))
}

struct Shared<'a> {
    spec: &'a Spec,
    matcher: RegexMatcher,
    cancel: &'a CancelToken,
    results: Mutex<Vec<Local>>,
    /// Files skipped for [`HEAP_LIMIT`].
    skipped: Mutex<Vec<PathBuf>>,
}

/// One thread's results.
enum Local {
    Files(NewestFirst),
    Content(PathOrdered<String>),
    Count {
        entries: PathOrdered<u64>,
        files: usize,
        matches: u64,
    },
}

impl Local {
    fn new(mode: Mode, cap: Option<usize>) -> Self {
        match mode {
            Mode::Files => Local::Files(NewestFirst::new(cap)),
            Mode::Content => Local::Content(PathOrdered::new(cap)),
            Mode::Count => Local::Count {
                entries: PathOrdered::new(cap),
                files: 0,
                matches: 0,
            },
        }
    }
}

fn merge(spec: &Spec, parts: Vec<Local>) -> Found {
    let mut all = Local::new(spec.mode, spec.cap);
    for part in parts {
        match (&mut all, part) {
            (Local::Files(a), Local::Files(b)) => a.merge(b),
            (Local::Content(a), Local::Content(b)) => a.merge(b),
            (
                Local::Count {
                    entries,
                    files,
                    matches,
                },
                Local::Count {
                    entries: e,
                    files: f,
                    matches: m,
                },
            ) => {
                entries.merge(e);
                *files += f;
                *matches += m;
            }
            _ => {}
        }
    }
    match all {
        Local::Files(n) => {
            let total = n.total;
            Found::Files {
                files: n.into_sorted().into_iter().map(|d| d.path).collect(),
                total,
            }
        }
        Local::Content(p) => {
            let more = p.dropped;
            let separate = spec.before > 0 || spec.after > 0;
            let mut text = String::with_capacity(p.map.values().map(|(t, _)| t.len() + 3).sum());
            let mut lines = 0;
            for (i, (_, (file_text, n))) in p.map.into_iter().enumerate() {
                // ripgrep separates files with `--` when context is shown.
                if separate && i > 0 {
                    text.push_str("--\n");
                    lines += 1;
                }
                text.push_str(&file_text);
                lines += n;
            }
            Found::Content { text, lines, more }
        }
        Local::Count {
            entries,
            files,
            matches,
        } => Found::Count {
            entries: entries
                .map
                .into_iter()
                .map(|(k, (c, _))| (walk::display_path(&key_path(k), &spec.cwd), c))
                .collect(),
            total_files: files,
            total_matches: matches,
        },
    }
}

/// A path as a sort key: its bytes with `/` as 0, so that plain byte order is component order
/// (`a/b` before `a-b`, as `Path`'s `Ord`) at a fraction of the cost of comparing `Path`s.
type Key = Vec<u8>;

fn path_key(path: PathBuf) -> Key {
    use std::os::unix::ffi::OsStringExt;
    let mut k = path.into_os_string().into_vec();
    for b in &mut k {
        if *b == b'/' {
            *b = 0;
        }
    }
    k
}

fn key_path(mut key: Key) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    for b in &mut key {
        if *b == 0 {
            *b = b'/';
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(key))
}

/// Compares `path` with `key` as [`path_key`] would order it, without allocating.
fn cmp_path_key(path: &Path, key: &[u8]) -> std::cmp::Ordering {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str()
        .as_bytes()
        .iter()
        .map(|&b| if b == b'/' { 0 } else { b })
        .cmp(key.iter().copied())
}

/// Results keyed by path, keeping only what the first `cap` units (lines, entries) in path order
/// need: files that sort after enough units are dropped.
#[derive(Debug)]
pub(crate) struct PathOrdered<T> {
    cap: Option<usize>,
    map: BTreeMap<Key, (T, usize)>,
    units: usize,
    /// Something was dropped: there is more than what is kept.
    dropped: bool,
}

impl<T> PathOrdered<T> {
    fn new(cap: Option<usize>) -> Self {
        PathOrdered {
            cap,
            map: BTreeMap::new(),
            units: 0,
            dropped: false,
        }
    }

    fn insert(&mut self, path: PathBuf, value: T, units: usize) {
        self.insert_key(path_key(path), value, units);
    }

    fn insert_key(&mut self, key: Key, value: T, units: usize) {
        self.units += units;
        if let Some((_, old)) = self.map.insert(key, (value, units)) {
            self.units -= old;
        }
        let Some(cap) = self.cap else { return };
        while self.map.len() > 1 {
            let Some((_, (_, last))) = self.map.last_key_value() else {
                break;
            };
            let last = *last;
            if self.units - last < cap {
                break;
            }
            self.map.pop_last();
            self.units -= last;
            self.dropped = true;
        }
    }

    /// True when `path` can only land beyond the page: more than `cap` units sort before it, so
    /// the result is cut whatever `path` holds.
    fn is_full_before(&self, path: &Path) -> bool {
        match (self.cap, self.map.last_key_value()) {
            (Some(cap), Some((last, _))) => {
                self.units > cap && cmp_path_key(path, last) == std::cmp::Ordering::Greater
            }
            _ => false,
        }
    }

    fn merge(&mut self, other: PathOrdered<T>) {
        self.dropped |= other.dropped;
        for (k, (v, u)) in other.map {
            self.insert_key(k, v, u);
        }
    }
}

struct WorkerBuilder<'s> {
    shared: &'s Shared<'s>,
}

impl<'s> ParallelVisitorBuilder<'s> for WorkerBuilder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        let spec = self.shared.spec;
        Box::new(Worker {
            shared: self.shared,
            implicit: searcher(spec, BinaryDetection::quit(0)),
            explicit: None,
            local: Some(Local::new(spec.mode, spec.cap)),
        })
    }
}

fn searcher(spec: &Spec, binary: BinaryDetection) -> Searcher {
    let content = spec.mode == Mode::Content;
    // The default line terminator is LF, as in ripgrep without --crlf.
    SearcherBuilder::new()
        .line_number(content && spec.line_numbers)
        .multi_line(spec.multiline)
        .before_context(if content { spec.before } else { 0 })
        .after_context(if content { spec.after } else { 0 })
        .binary_detection(binary)
        .heap_limit(Some(HEAP_LIMIT))
        .build()
}

/// One walker thread: its searchers (buffers reused across files) and its results.
struct Worker<'s> {
    shared: &'s Shared<'s>,
    /// For files found by walking: stop at the first NUL byte (ripgrep's default).
    implicit: Searcher,
    /// For a file given explicitly as `path`: search it anyway, as ripgrep does.
    explicit: Option<Searcher>,
    local: Option<Local>,
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        if let Some(local) = self.local.take() {
            let mut results = self
                .shared
                .results
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            results.push(local);
        }
    }
}

impl ParallelVisitor for Worker<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        let sh = self.shared;
        if sh.cancel.is_cancelled() {
            return WalkState::Quit;
        }
        let Ok(entry) = entry else {
            return WalkState::Continue;
        };
        let explicit = entry.depth() == 0;
        let Some(ft) = entry.file_type() else {
            return WalkState::Continue;
        };
        // Walked symlinks are not followed (ripgrep's default); an explicit path always is.
        if !(ft.is_file() || (explicit && !ft.is_dir())) {
            return WalkState::Continue;
        }
        self.search(entry.into_path(), explicit);
        if sh.cancel.is_cancelled() {
            WalkState::Quit
        } else {
            WalkState::Continue
        }
    }
}

impl Worker<'_> {
    fn search(&mut self, path: PathBuf, explicit: bool) {
        let sh = self.shared;
        let spec = sh.spec;
        // Content mode needs no exact totals: skip files that cannot reach the page.
        if let Some(Local::Content(p)) = &self.local
            && p.is_full_before(&path)
        {
            return;
        }
        // A walked entry is a regular file; the path given as `path` was checked before the
        // search. Neither open can block, should the file have been swapped for a FIFO.
        let Ok(file) = open_nonblocking(&path) else {
            return;
        };
        let searcher = if explicit {
            self.explicit
                .get_or_insert_with(|| searcher(spec, BinaryDetection::convert(0)))
        } else {
            &mut self.implicit
        };
        let mut sink = FileSink {
            mode: spec.mode,
            // As ripgrep: a real multi-line search counts matches, otherwise matching lines.
            count_matches: spec.mode == Mode::Count
                && searcher.multi_line_with_matcher(&sh.matcher),
            matcher: &sh.matcher,
            path: &path,
            cwd: &spec.cwd,
            display: None,
            line_cap: match spec.mode {
                Mode::Content => spec.cap.unwrap_or(usize::MAX),
                _ => usize::MAX,
            },
            out: Vec::new(),
            lines: 0,
            count: 0,
            binary_at: None,
            matched_binary: false,
            cancel: sh.cancel,
        };
        let reader = CancelReader {
            inner: &file,
            cancel: sh.cancel,
        };
        if let Err(e) = searcher.search_reader(&sh.matcher, reader, &mut sink) {
            // grep-searcher reports its heap limit only in the message.
            if e.to_string().contains("allocation limit") {
                sh.skipped
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(path);
            }
            // Otherwise unreadable (or cancelled): skipped silently, like ripgrep without
            // messages.
            return;
        }
        let quit_on_binary = searcher.binary_detection().quit_byte().is_some();
        let FileSink {
            out,
            lines,
            count,
            binary_at,
            ..
        } = sink;
        let Some(local) = self.local.as_mut() else {
            return;
        };
        match local {
            Local::Files(n) => {
                if count > 0 {
                    let mtime = file
                        .metadata()
                        .map(|m| walk::mtime_of(&m))
                        .unwrap_or(std::time::SystemTime::UNIX_EPOCH);
                    n.push(Dated { mtime, path });
                }
            }
            Local::Content(p) => {
                if lines > 0 {
                    let text = String::from_utf8(out)
                        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                    p.insert(path, text, lines);
                }
            }
            Local::Count {
                entries,
                files,
                matches,
            } => {
                // ripgrep reports no count for a file it stopped reading as binary.
                let count = if quit_on_binary && binary_at.is_some() {
                    0
                } else {
                    count
                };
                if count > 0 {
                    *files += 1;
                    *matches += count;
                    entries.insert(path, count, 1);
                }
            }
        }
    }
}

/// Collects one file's results.
struct FileSink<'a> {
    mode: Mode,
    count_matches: bool,
    matcher: &'a RegexMatcher,
    path: &'a Path,
    cwd: &'a Path,
    /// The shown path, computed at the first output line.
    display: Option<String>,
    /// Content mode: stop once more than this many lines are kept.
    line_cap: usize,
    /// Content mode: the output lines, each ended by `\n` (one buffer, not a String per line).
    out: Vec<u8>,
    lines: usize,
    count: u64,
    binary_at: Option<u64>,
    /// Convert mode: a match after binary data was seen.
    matched_binary: bool,
    cancel: &'a CancelToken,
}

impl FileSink<'_> {
    fn push_prefix(&mut self) {
        let display = self
            .display
            .get_or_insert_with(|| walk::display_path(self.path, self.cwd));
        self.out.extend_from_slice(display.as_bytes());
    }

    fn push_line(&mut self, sep: u8, line_number: Option<u64>, raw: &[u8], is_match: bool) {
        self.push_prefix();
        self.out.push(sep);
        if let Some(n) = line_number {
            push_u64(&mut self.out, n);
            self.out.push(sep);
        }
        if raw.len() > MAX_COLUMNS {
            self.out.extend_from_slice(if is_match {
                b"[Omitted long matching line]"
            } else {
                b"[Omitted long context line]"
            });
        } else {
            let text = raw.strip_suffix(b"\n").unwrap_or(raw);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            self.out.extend_from_slice(text);
        }
        self.out.push(b'\n');
        self.lines += 1;
    }

    fn push_note(&mut self, note: &str) {
        self.push_prefix();
        self.out.extend_from_slice(b": ");
        self.out.extend_from_slice(note.as_bytes());
        self.out.push(b'\n');
        self.lines += 1;
    }
}

/// Appends `n` in decimal (cheaper than `write!` on the hot path).
fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

impl Sink for FileSink<'_> {
    type Error = io::Error;

    fn matched(&mut self, searcher: &Searcher, mat: &SinkMatch<'_>) -> Result<bool, io::Error> {
        if self.cancel.is_cancelled() {
            return Ok(false);
        }
        match self.mode {
            Mode::Files => {
                self.count = 1;
                Ok(false)
            }
            Mode::Count if self.count_matches => {
                let mut n = 0;
                let _ = self.matcher.find_iter(mat.bytes(), |_| {
                    n += 1;
                    true
                });
                self.count += n.max(1);
                Ok(true)
            }
            Mode::Count => {
                self.count += 1;
                Ok(true)
            }
            Mode::Content => {
                self.count += 1;
                if self.binary_at.is_some() && searcher.binary_detection().convert_byte().is_some()
                {
                    self.matched_binary = true;
                    return Ok(false);
                }
                let first = mat.line_number();
                for (i, line) in mat.lines().enumerate() {
                    self.push_line(b':', first.map(|n| n + i as u64), line, true);
                }
                Ok(self.lines <= self.line_cap)
            }
        }
    }

    fn context(&mut self, _: &Searcher, ctx: &SinkContext<'_>) -> Result<bool, io::Error> {
        if self.mode == Mode::Content {
            self.push_line(b'-', ctx.line_number(), ctx.bytes(), false);
        }
        Ok(self.lines <= self.line_cap)
    }

    fn context_break(&mut self, _: &Searcher) -> Result<bool, io::Error> {
        if self.mode == Mode::Content {
            self.out.extend_from_slice(b"--\n");
            self.lines += 1;
        }
        Ok(true)
    }

    fn binary_data(&mut self, _: &Searcher, offset: u64) -> Result<bool, io::Error> {
        self.binary_at.get_or_insert(offset);
        Ok(true)
    }

    fn finish(&mut self, searcher: &Searcher, fin: &SinkFinish) -> Result<(), io::Error> {
        let Some(offset) = fin.binary_byte_offset().or(self.binary_at) else {
            return Ok(());
        };
        self.binary_at = Some(offset);
        if self.mode != Mode::Content || self.count == 0 {
            return Ok(());
        }
        let bin = searcher.binary_detection();
        if bin.quit_byte().is_some() {
            self.push_note(&format!(
                "WARNING: stopped searching binary file after match (found \"\\0\" byte around offset {offset})"
            ));
        } else if self.matched_binary {
            self.push_note(&format!(
                "binary file matches (found \"\\0\" byte around offset {offset})"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_ordered_keeps_first_units_in_path_order() {
        let mut p = PathOrdered::new(Some(3));
        p.insert(PathBuf::from("c"), (), 2);
        p.insert(PathBuf::from("a"), (), 1);
        assert!(!p.dropped);
        // a(1) + b(2) = 3 units before c: c goes.
        p.insert(PathBuf::from("b"), (), 2);
        assert!(p.dropped);
        let keys: Vec<_> = p.map.keys().cloned().map(key_path).collect();
        assert_eq!(keys, [PathBuf::from("a"), PathBuf::from("b")]);
        // Something sorting last is dropped at once.
        p.insert(PathBuf::from("z"), (), 1);
        assert_eq!(p.map.len(), 2);
    }

    #[test]
    fn path_ordered_keeps_a_single_oversized_file() {
        let mut p = PathOrdered::new(Some(2));
        p.insert(PathBuf::from("a"), (), 10);
        assert_eq!(p.map.len(), 1);
        assert!(!p.dropped);
    }

    #[test]
    fn is_full_before_needs_more_than_cap_units_before_the_path() {
        let mut p = PathOrdered::new(Some(2));
        p.insert(PathBuf::from("b"), (), 2);
        // Exactly `cap` units: a later file could still decide whether the page is cut.
        assert!(!p.is_full_before(Path::new("c")));
        p.insert(PathBuf::from("a"), (), 1);
        assert!(p.is_full_before(Path::new("c")));
        assert!(!p.is_full_before(Path::new("a0")));
        assert!(!PathOrdered::<()>::new(None).is_full_before(Path::new("z")));
    }

    #[test]
    fn path_keys_sort_by_component() {
        let mut v: Vec<Key> = ["a-b", "a/b", "a/b/c", "a.b", "a", "b"]
            .iter()
            .map(|p| path_key(PathBuf::from(p)))
            .collect();
        v.sort();
        let back: Vec<PathBuf> = v.into_iter().map(key_path).collect();
        let mut want: Vec<PathBuf> = ["a-b", "a/b", "a/b/c", "a.b", "a", "b"]
            .iter()
            .map(PathBuf::from)
            .collect();
        want.sort();
        assert_eq!(back, want);
        let k = path_key(PathBuf::from("x/y"));
        assert_eq!(
            cmp_path_key(Path::new("x/y"), &k),
            std::cmp::Ordering::Equal
        );
        assert_eq!(
            cmp_path_key(Path::new("x-y"), &k),
            std::cmp::Ordering::Greater
        );
    }

    #[test]
    fn push_u64_formats_decimal() {
        let mut v = Vec::new();
        for n in [0, 7, 10, 12345, u64::MAX] {
            v.clear();
            push_u64(&mut v, n);
            assert_eq!(String::from_utf8(v.clone()).unwrap(), n.to_string());
        }
    }

    #[test]
    fn matcher_rejects_newline_unless_multiline() {
        assert!(build_matcher("a\\nb", false, false).is_err());
        assert!(build_matcher("a\\nb", false, true).is_ok());
        assert!(build_matcher("(unclosed", false, false).is_err());
    }

    #[test]
    fn unknown_type_is_an_error() {
        let e = build_types(&["nosuchtype".to_string()]).unwrap_err();
        assert!(e.contains("nosuchtype"), "{e}");
        assert!(build_types(&["rust".to_string()]).unwrap().is_some());
    }
}
