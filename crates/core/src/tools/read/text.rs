//! Text files as numbered lines, streamed: a huge file costs only the lines asked for.

use super::{io_error, too_many_tokens};
use crate::cancel::CancelToken;
use crate::tools::file_state::{ContentHasher, Snapshot};
use crate::tools::textfile::Encoding;
use crate::tools::{ToolContext, ToolOutput};
use serde_json::json;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

pub const DEFAULT_LIMIT: u64 = 2000;
pub const MAX_LINE_CHARS: usize = 2000;
/// Enough bytes for `MAX_LINE_CHARS` chars of any UTF-8.
const LINE_KEEP_BYTES: usize = MAX_LINE_CHARS * 4 + 4;
/// After the last requested line, the rest of a file is scanned for the total line count only
/// up to this many bytes.
const COUNT_BUDGET: u64 = 8 << 20;

/// Reads lines without ever holding more than `keep` bytes of one line.
struct Lines<R> {
    r: R,
    hasher: Option<ContentHasher>,
    /// Bytes consumed so far.
    pos: u64,
}

impl<R: BufRead> Lines<R> {
    /// The next line (without `\n`) into `buf`, at most `keep` bytes of it; returns the line's
    /// full length, or `None` at the end.
    fn next(&mut self, buf: &mut Vec<u8>, keep: usize) -> io::Result<Option<usize>> {
        buf.clear();
        let mut total = 0usize;
        let mut any = false;
        loop {
            let avail = match self.r.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                return Ok(any.then_some(total));
            }
            any = true;
            let (len, done) = match avail.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = keep.saturating_sub(buf.len());
            buf.extend_from_slice(&avail[..len.min(room)]);
            total += len;
            let used = if done { len + 1 } else { len };
            if let Some(h) = &mut self.hasher {
                h.update(&avail[..used]);
            }
            self.r.consume(used);
            self.pos += used as u64;
            if done {
                return Ok(Some(total));
            }
        }
    }

    fn at_end(&mut self) -> io::Result<bool> {
        Ok(self.r.fill_buf()?.is_empty())
    }

    /// Lines left, reading at most `budget` bytes; `None` when the budget runs out first.
    fn count_rest(&mut self, budget: u64) -> io::Result<Option<u64>> {
        let mut n = 0u64;
        let mut seen = 0u64;
        let mut last = b'\n';
        loop {
            let avail = self.r.fill_buf()?;
            if avail.is_empty() {
                return Ok(Some(n + u64::from(last != b'\n')));
            }
            seen += avail.len() as u64;
            if seen > budget {
                return Ok(None);
            }
            n += avail.iter().filter(|&&b| b == b'\n').count() as u64;
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
}

/// Renders lines `start..start+limit` of `r`. `len_hint` is the input's size when known.
fn render_lines<R: BufRead>(
    r: R,
    len_hint: Option<u64>,
    encoding: Encoding,
    start: u64,
    limit: u64,
    max_bytes: u64,
    cancel: &CancelToken,
) -> Result<Rendered, TextError> {
    let mut lines = Lines {
        r,
        hasher: (start == 1).then(ContentHasher::new),
        pos: 0,
    };
    let mut buf = Vec::new();
    let mut line_no = 0u64;
    while line_no + 1 < start {
        if line_no.is_multiple_of(4096) && cancel.is_cancelled() {
            return Err(TextError::Cancelled);
        }
        if lines.next(&mut buf, 0)?.is_none() {
            return Ok(Rendered {
                total: Some(line_no),
                reached_end: true,
                ..Default::default()
            });
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
        let Some(full_len) = lines.next(&mut buf, LINE_KEEP_BYTES)? else {
            break;
        };
        line_no += 1;
        taken += 1;
        let mut bytes: &[u8] = &buf;
        if line_no == 1 && encoding == Encoding::Utf8Bom {
            bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        }
        let whole = full_len == buf.len();
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
    }
    if let Some(o) = &mut rd.over_cap {
        *o = est;
    }
    rd.num_lines = taken;
    rd.reached_end = lines.at_end()?;
    if rd.reached_end {
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
pub(super) fn read_text_from<R: Read>(
    path: &Path,
    r: R,
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
    let reader = BufReader::with_capacity(64 * 1024, r);
    let mut rd = match render_lines(
        reader,
        // The file's size (for decoded UTF-16, an overestimate: counting may be skipped).
        Some(snap.len),
        encoding,
        start,
        lim,
        max_bytes,
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
    if limit.is_none() && !rd.reached_end {
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
    use std::io::Cursor;

    fn render(s: &str, start: u64, limit: u64, max: u64) -> Rendered {
        match render_lines(
            Cursor::new(s.as_bytes().to_vec()),
            None,
            Encoding::Utf8,
            start,
            limit,
            max,
            &CancelToken::new(),
        ) {
            Ok(r) => r,
            Err(_) => panic!("render failed"),
        }
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
