//! Text files as numbered lines, streamed: a huge file costs only the lines asked for.

use super::{io_error, too_many_tokens};
use crate::cancel::CancelToken;
use crate::tools::file_state::{ContentHasher, Snapshot};
use crate::tools::textfile::{Encoding, format_size};
use crate::tools::{ToolContext, ToolOutput};
use rustix::fs::SeekFrom;
use serde_json::json;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Chain, Cursor};
use std::path::Path;

pub const DEFAULT_LIMIT: u64 = 2000;
pub const MAX_LINE_CHARS: usize = 2000;
/// Enough bytes for `MAX_LINE_CHARS` chars of any UTF-8.
const LINE_KEEP_BYTES: usize = MAX_LINE_CHARS * 4 + 4;
/// After the last requested line, the rest of a file is scanned for the total line count only
/// up to this many bytes.
const COUNT_BUDGET: u64 = 8 << 20;

/// Bytes of one line read past what is kept before Read gives up on it: a file that is one
/// huge line (minified, a disk image) must not be scanned to its end. Holes of sparse files are
/// skipped, not read, and do not count.
pub(super) const MAX_LINE_SCAN: u64 = 64 << 20;
/// Buffer refills between cancellation checks (64 KB each).
const CANCEL_EVERY: u32 = 64;

/// A buffered source of a text read.
pub(super) trait Source: BufRead {
    /// Bytes buffered and not yet consumed.
    fn buffered(&self) -> usize;

    /// With the buffer empty, moves past a hole of a sparse file at the current position;
    /// returns the bytes skipped (all zeros, so no line ends in them).
    fn skip_hole(&mut self) -> io::Result<u64> {
        Ok(0)
    }
}

impl<T: AsRef<[u8]>> Source for BufReader<Cursor<T>> {
    fn buffered(&self) -> usize {
        self.buffer().len()
    }
}

/// A file whose first bytes were already read (to sniff its type).
pub(super) type FileSource = BufReader<Chain<Cursor<Vec<u8>>, File>>;

impl Source for FileSource {
    fn buffered(&self) -> usize {
        self.buffer().len()
    }

    fn skip_hole(&mut self) -> io::Result<u64> {
        let (head, file) = self.get_mut().get_mut();
        if head.position() < head.get_ref().len() as u64 {
            return Ok(0);
        }
        let file: &File = file;
        let pos = rustix::fs::seek(file, SeekFrom::Current(0))?;
        match rustix::fs::seek(file, SeekFrom::Data(pos)) {
            Ok(data) => Ok(data.saturating_sub(pos)),
            // No data after `pos`: the rest is one hole.
            Err(rustix::io::Errno::NXIO) => {
                let end = rustix::fs::seek(file, SeekFrom::End(0))?;
                Ok(end.saturating_sub(pos))
            }
            // A file system without SEEK_DATA: read it.
            Err(_) => Ok(0),
        }
    }
}

/// One line as [`Lines::next`] saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Line {
    /// Its length, as far as it was scanned.
    len: u64,
    /// False when it was given up on ([`MAX_LINE_SCAN`]): the reader is inside it.
    ended: bool,
}

/// Reads lines without ever holding more than `keep` bytes of one line, nor scanning more than
/// [`MAX_LINE_SCAN`] bytes of one.
struct Lines<'c, R> {
    r: R,
    /// Hash of everything read, while the whole file may still be returned.
    hasher: Option<ContentHasher>,
    /// Bytes consumed so far (holes included).
    pos: u64,
    cancel: &'c CancelToken,
    refills: u32,
    /// [`MAX_LINE_SCAN`], smaller in tests.
    line_scan: u64,
}

/// The reader's buffer, refilled when empty; checks for cancellation every few refills.
fn fill<'a, R: BufRead>(
    r: &'a mut R,
    cancel: &CancelToken,
    refills: &mut u32,
) -> Result<&'a [u8], TextError> {
    *refills = refills.wrapping_add(1);
    if refills.is_multiple_of(CANCEL_EVERY) && cancel.is_cancelled() {
        return Err(TextError::Cancelled);
    }
    loop {
        match r.fill_buf() {
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(r.fill_buf()?)
}

impl<R: Source> Lines<'_, R> {
    /// The next line (without `\n`) into `buf`, at most `keep` bytes of it, or `None` at the end.
    fn next(&mut self, buf: &mut Vec<u8>, keep: usize) -> Result<Option<Line>, TextError> {
        buf.clear();
        let mut total = 0u64;
        let mut scanned = 0u64;
        let mut any = false;
        loop {
            // Past what is kept nobody reads the bytes: jump over holes instead of reading zeros.
            if buf.len() >= keep && self.hasher.is_none() && self.r.buffered() == 0 {
                let skipped = self.r.skip_hole()?;
                total += skipped;
                self.pos += skipped;
                any |= skipped > 0;
            }
            let avail = fill(&mut self.r, self.cancel, &mut self.refills)?;
            if avail.is_empty() {
                return Ok(any.then_some(Line {
                    len: total,
                    ended: true,
                }));
            }
            any = true;
            let (len, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = keep.saturating_sub(buf.len());
            buf.extend_from_slice(&avail[..len.min(room)]);
            if len > room {
                scanned += (len - room) as u64;
            }
            total += len as u64;
            let used = if done { len + 1 } else { len };
            if let Some(h) = &mut self.hasher {
                if len > room && keep > 0 {
                    // The line is cut: the whole file will not be returned, no hash needed.
                    self.hasher = None;
                } else {
                    h.update(&avail[..used]);
                }
            }
            self.r.consume(used);
            self.pos += used as u64;
            if done {
                return Ok(Some(Line {
                    len: total,
                    ended: true,
                }));
            }
            if scanned > self.line_scan {
                self.hasher = None;
                return Ok(Some(Line {
                    len: total,
                    ended: false,
                }));
            }
        }
    }

    fn at_end(&mut self) -> Result<bool, TextError> {
        Ok(fill(&mut self.r, self.cancel, &mut self.refills)?.is_empty())
    }

    /// Lines left, reading at most `budget` bytes; `None` when the budget runs out first.
    fn count_rest(&mut self, budget: u64) -> Result<Option<u64>, TextError> {
        let mut n = 0u64;
        let mut seen = 0u64;
        let mut last = b'\n';
        loop {
            let avail = fill(&mut self.r, self.cancel, &mut self.refills)?;
            if avail.is_empty() {
                return Ok(Some(n + u64::from(last != b'\n')));
            }
            seen += avail.len() as u64;
            if seen > budget {
                return Ok(None);
            }
            n += memchr::memchr_iter(b'\n', avail).count() as u64;
            last = avail[avail.len() - 1];
            let l = avail.len();
            self.r.consume(l);
        }
    }
}

enum TextError {
    Io(io::Error),
    Cancelled,
}

impl From<io::Error> for TextError {
    fn from(e: io::Error) -> Self {
        TextError::Io(e)
    }
}

/// What a text read produced.
#[derive(Debug, Default)]
struct Rendered {
    /// Numbered lines.
    out: String,
    /// The same lines without numbers.
    content: String,
    num_lines: u64,
    /// Lines in the file, when known.
    total: Option<u64>,
    /// The whole file was returned, no line cut.
    complete: bool,
    reached_end: bool,
    /// Formatted size when it went over the cap.
    over_cap: Option<u64>,
    hash: Option<u64>,
    /// A line longer than [`MAX_LINE_SCAN`] stopped the read here (its number).
    long_line: Option<u64>,
}

/// Where a read starts and how much it may return.
#[derive(Clone, Copy, Debug)]
struct Window {
    /// First line, 1-based.
    start: u64,
    limit: u64,
    /// Output cap in bytes.
    max_bytes: u64,
    /// Bytes of one line scanned past what is kept before giving up on it.
    line_scan: u64,
}

/// Renders the lines of `w` from `r`. `len_hint` is the input's size when known.
fn render_lines<R: Source>(
    r: R,
    len_hint: Option<u64>,
    encoding: Encoding,
    w: Window,
    cancel: &CancelToken,
) -> Result<Rendered, TextError> {
    let Window {
        start,
        limit,
        max_bytes,
        line_scan,
    } = w;
    let mut lines = Lines {
        r,
        hasher: (start == 1).then(ContentHasher::new),
        pos: 0,
        cancel,
        refills: 0,
        line_scan,
    };
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    while line_no + 1 < start {
        if line_no.is_multiple_of(4096) && cancel.is_cancelled() {
            return Err(TextError::Cancelled);
        }
        match lines.next(&mut buf, 0)? {
            None => {
                return Ok(Rendered {
                    total: Some(line_no),
                    reached_end: true,
                    ..Default::default()
                });
            }
            Some(Line { ended: false, .. }) => {
                return Ok(Rendered {
                    long_line: Some(line_no + 1),
                    ..Default::default()
                });
            }
            Some(_) => {}
        }
        line_no += 1;
    }
    let mut rd = Rendered {
        complete: true,
        ..Default::default()
    };
    let mut est = 0u64;
    let mut taken = 0u64;
    while taken < limit {
        if taken.is_multiple_of(1024) && cancel.is_cancelled() {
            return Err(TextError::Cancelled);
        }
        let Some(line) = lines.next(&mut buf, LINE_KEEP_BYTES)? else {
            break;
        };
        line_no += 1;
        taken += 1;
        let mut bytes: &[u8] = &buf;
        if line_no == 1 && encoding == Encoding::Utf8Bom {
            bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        }
        let whole = line.ended && line.len == buf.len() as u64;
        if whole {
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        }
        let text = String::from_utf8_lossy(bytes);
        let cut = !whole || text.chars().count() > MAX_LINE_CHARS;
        let shown: Cow<'_, str> = if cut {
            rd.complete = false;
            let mut s: String = text.chars().take(MAX_LINE_CHARS).collect();
            s.push_str("… [line truncated]");
            Cow::Owned(s)
        } else {
            text
        };
        let add = digits(line_no) + 2 + shown.len() as u64;
        est += add;
        if rd.over_cap.is_none() && est > max_bytes {
            rd.over_cap = Some(0);
            rd.out = String::new();
            rd.content = String::new();
        }
        if rd.over_cap.is_none() {
            if taken > 1 {
                rd.out.push('\n');
                rd.content.push('\n');
            }
            let _ = write!(rd.out, "{line_no}\t{shown}");
            rd.content.push_str(&shown);
        }
        if !line.ended {
            rd.long_line = Some(line_no);
            break;
        }
    }
    if let Some(o) = &mut rd.over_cap {
        *o = est;
    }
    rd.num_lines = taken;
    rd.reached_end = rd.long_line.is_none() && lines.at_end()?;
    if rd.long_line.is_some() {
        rd.complete = false;
    } else if rd.reached_end {
        rd.total = Some(line_no);
        rd.hash = lines.hasher.as_ref().map(ContentHasher::finish);
    } else {
        rd.complete = false;
        // Skip counting when the rest is known to be over budget.
        let left = len_hint.map(|l| l.saturating_sub(lines.pos));
        rd.total = if left.is_some_and(|l| l > COUNT_BUDGET) {
            None
        } else {
            lines.count_rest(COUNT_BUDGET)?.map(|n| n + line_no)
        };
    }
    if start > 1 {
        rd.complete = false;
    }
    Ok(rd)
}

fn digits(n: u64) -> u64 {
    n.checked_ilog10().map_or(1, |d| u64::from(d) + 1)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn read_text_from<R: Source>(
    path: &Path,
    reader: R,
    encoding: Encoding,
    offset: Option<u64>,
    limit: Option<u64>,
    snap: Snapshot,
    max_bytes: u64,
    raw_hash: Option<u64>,
    ctx: &ToolContext,
) -> ToolOutput {
    let start = offset.unwrap_or(1).max(1);
    let lim = limit.unwrap_or(DEFAULT_LIMIT);
    let mut rd = match render_lines(
        reader,
        // The file's size (for decoded UTF-16, an overestimate: counting may be skipped).
        Some(snap.len),
        encoding,
        Window {
            start,
            limit: lim,
            max_bytes,
            line_scan: MAX_LINE_SCAN,
        },
        &ctx.cancel,
    ) {
        Ok(rd) => rd,
        Err(TextError::Cancelled) => {
            return ToolOutput::error(crate::events::INTERRUPTED_TOOL_USE);
        }
        Err(TextError::Io(e)) => return io_error(path, &e),
    };
    if let Some(est) = rd.over_cap {
        return too_many_tokens(est, max_bytes / 4);
    }
    if rd.hash.is_some() && raw_hash.is_some() {
        rd.hash = raw_hash;
    }
    let file_path = path.display().to_string();
    let structured = |content: &str| {
        json!({
            "type": "text",
            "file": {
                "filePath": file_path,
                "content": content,
                "numLines": rd.num_lines,
                "startLine": start,
                "totalLines": rd.total,
            }
        })
    };
    let long_line = |n: u64| {
        format!(
            "Line {n} is longer than {} and was not read to its end; Read cannot go past it. \
             Use Bash to read part of it (e.g. head -c, tail -c, cut -c or jq).",
            format_size(MAX_LINE_SCAN)
        )
    };
    if rd.num_lines == 0
        && let Some(n) = rd.long_line
    {
        return ToolOutput::tool_use_error(long_line(n));
    }
    if rd.num_lines == 0 {
        let total = rd.total.unwrap_or(0);
        let msg = if total == 0 {
            // Seen in full: an empty file may be overwritten.
            ctx.session.files.record(path, snap, false, rd.hash);
            "<system-reminder>Warning: the file exists but the contents are empty.</system-reminder>"
                .to_string()
        } else {
            format!(
                "<system-reminder>Warning: the file exists but is shorter than the provided \
                 offset ({start}). The file has {total} lines.</system-reminder>"
            )
        };
        return ToolOutput::ok(msg).with_structured(structured(""));
    }
    ctx.session
        .files
        .record(path, snap, !rd.complete, rd.hash.filter(|_| rd.complete));
    let mut text = rd.out;
    if let Some(n) = rd.long_line {
        let _ = write!(
            text,
            "\n\n<system-reminder>{}</system-reminder>",
            long_line(n)
        );
    } else if limit.is_none() && !rd.reached_end {
        let end = start + rd.num_lines - 1;
        let of = rd
            .total
            .map_or_else(|| "more".to_string(), |t| t.to_string());
        let _ = write!(
            text,
            "\n\n<system-reminder>Showing lines {start}-{end} of {of}. Use offset and limit to \
             read further.</system-reminder>"
        );
    }
    let st = structured(&rd.content);
    ToolOutput::ok(text).with_structured(st)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_scan(s: &str, start: u64, limit: u64, max: u64, line_scan: u64) -> Rendered {
        let w = Window {
            start,
            limit,
            max_bytes: max,
            line_scan,
        };
        let r = BufReader::with_capacity(1024, Cursor::new(s.as_bytes().to_vec()));
        match render_lines(r, None, Encoding::Utf8, w, &CancelToken::new()) {
            Ok(r) => r,
            Err(_) => panic!("render failed"),
        }
    }

    fn render(s: &str, start: u64, limit: u64, max: u64) -> Rendered {
        render_scan(s, start, limit, max, MAX_LINE_SCAN)
    }

    #[test]
    fn numbering_and_windows() {
        let r = render("a\nb\r\nc\n", 1, 10, 1 << 20);
        assert_eq!(r.out, "1\ta\n2\tb\n3\tc");
        assert_eq!(r.content, "a\nb\nc");
        assert_eq!(r.total, Some(3));
        assert!(r.complete && r.reached_end);
        assert_eq!(r.hash, Some(ContentHasher::of(b"a\nb\r\nc\n")));

        let r = render("a\nb\nc", 2, 1, 1 << 20);
        assert_eq!(r.out, "2\tb");
        assert_eq!(r.total, Some(3));
        assert!(!r.complete && !r.reached_end);
        assert_eq!(r.hash, None);

        let r = render("a\nb\n", 5, 1, 1 << 20);
        assert_eq!((r.num_lines, r.total), (0, Some(2)));
        let r = render("", 1, 10, 1 << 20);
        assert_eq!((r.num_lines, r.total), (0, Some(0)));
    }

    #[test]
    fn long_lines_are_cut_without_holding_them() {
        let long = "x".repeat(50_000);
        let r = render(&format!("{long}\nshort\n"), 1, 10, 1 << 20);
        assert!(
            r.out
                .starts_with(&format!("1\t{}… [line truncated]\n", "x".repeat(2000)))
        );
        assert!(r.out.ends_with("2\tshort"));
        assert!(!r.complete);
        // Multibyte chars are cut at a char boundary.
        let r = render(&"é".repeat(3000), 1, 10, 1 << 20);
        assert_eq!(r.content.chars().filter(|&c| c == 'é').count(), 2000);
    }

    #[test]
    fn a_line_too_long_to_scan_stops_the_read() {
        let huge = "y".repeat(100_000);
        let text = format!("a\n{huge}\nc\n");
        // In the window: shown cut, then the read stops there.
        let r = render_scan(&text, 1, 10, 1 << 20, 50_000);
        assert_eq!(r.long_line, Some(2));
        assert_eq!(r.num_lines, 2);
        assert!(r.out.starts_with("1\ta\n2\tyyy"), "{}", &r.out[..20]);
        assert!(r.out.ends_with("… [line truncated]"));
        assert!(!r.complete && !r.reached_end);
        assert_eq!((r.total, r.hash), (None, None));
        // Before the window: nothing to show.
        let r = render_scan(&text, 3, 10, 1 << 20, 50_000);
        assert_eq!((r.long_line, r.num_lines), (Some(2), 0));
        // Within the budget the line is skipped and the read goes on.
        let r = render_scan(&text, 3, 10, 1 << 20, 200_000);
        assert_eq!((r.long_line, r.out.as_str()), (None, "3\tc"));
        assert_eq!(r.total, Some(3));
    }

    #[test]
    fn cancellation_is_seen_inside_one_long_line() {
        let text = "z".repeat(4 << 20);
        let cancel = CancelToken::new();
        cancel.cancel();
        let w = Window {
            start: 1,
            limit: 10,
            max_bytes: 1 << 20,
            line_scan: MAX_LINE_SCAN,
        };
        let r = BufReader::with_capacity(1024, Cursor::new(text.into_bytes()));
        assert!(matches!(
            render_lines(r, None, Encoding::Utf8, w, &cancel),
            Err(TextError::Cancelled)
        ));
    }

    #[test]
    fn cap_reports_estimate() {
        let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let r = render(&text, 1, 2000, 100);
        assert!(r.over_cap.unwrap() > 8000);
        assert!(r.out.is_empty());
    }

    #[test]
    fn digit_counts() {
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
    }
}
