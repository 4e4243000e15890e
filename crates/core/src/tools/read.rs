//! `Read`: text files with line numbers (streamed, so a huge file costs only the lines asked
//! for), images and PDFs as content blocks, Jupyter notebooks as cells with their outputs.
//!
//! Choices where Claude Code differs or is unspecified:
//! - Line format is 2.1's compact `{n}\t{line}`. A file ending in `\n` has no extra empty line.
//! - `pages` is refused for PDFs (there is no PDF parser here); the whole document is sent
//!   when `pages` is omitted. Sending all of it unasked could flood the context, so the model
//!   decides. `pages` on other files is ignored.
//! - PDFs are limited to 32MB once base64-encoded (the API's request size), images to 5MB
//!   encoded (the API's per-image limit); images are not resized.
//! - When the default 2000-line window cuts a file, a one-line reminder says so.

use super::file_state::{ContentHasher, Snapshot};
use super::notebook_edit::{cell_id, source_text};
use super::schema::{str_arg, uint_arg};
use super::textfile::{
    Encoding, base64_len, decode_lossy, detect_bom, directory_message, format_size, is_notebook,
    is_pdf, missing_file_message, sniff_image,
};
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::api::ToolResultContent;
use crate::cancel::CancelToken;
use base64::Engine;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::Path;

pub const DEFAULT_LIMIT: u64 = 2000;
pub const MAX_LINE_CHARS: usize = 2000;
/// Enough bytes for `MAX_LINE_CHARS` chars of any UTF-8.
const LINE_KEEP_BYTES: usize = MAX_LINE_CHARS * 4 + 4;
pub const DEFAULT_MAX_TOKENS: u64 = 25_000;
pub const MAX_TOKENS_ENV: &str = "CLAUDE_CODE_FILE_READ_MAX_OUTPUT_TOKENS";
const HEAD_LEN: usize = 8192;
pub const IMAGE_MAX_BASE64: u64 = 5 * 1024 * 1024;
pub const PDF_MAX_BASE64: u64 = 32 * 1024 * 1024;
/// After the last requested line, the rest of a file is scanned for the total line count only
/// up to this many bytes.
const COUNT_BUDGET: u64 = 8 << 20;
/// UTF-16 files are decoded whole.
const UTF16_MAX: u64 = 64 << 20;
/// Notebook outputs: text kept per output, and embedded images sent.
const NB_OUTPUT_CHARS: usize = 8000;
const NB_IMAGE_MAX_BASE64: usize = 1024 * 1024;
const NB_MAX_IMAGES: usize = 8;
/// Notebooks are parsed whole.
const NB_MAX_BYTES: u64 = 64 << 20;

pub struct ReadTool;

const DESCRIPTION: &str = "Read a file (absolute file_path): up to 2000 lines as `N<TAB>text`, \
1-based; the number and tab are not part of the file. offset/limit for long files. Also images, \
PDFs and notebooks. Read before editing or overwriting.";

impl Tool for ReadTool {
    fn name(&self) -> &str {
        "Read"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "file_path": {"type": "string"},
                "offset": {"type": "integer", "minimum": 0, "description": "First line (1-based)"},
                "limit": {"type": "integer", "exclusiveMinimum": 0},
                "pages": {"type": "string"}
            },
            "required": ["file_path"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject {
        Subject::Read(vec![ctx.resolve(str_arg(input, "file_path").unwrap_or(""))])
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        super::call_blocking("Read", input, ctx, read)
    }
}

/// The output-size cap in tokens: the context's env, then the settings overlay and process env,
/// then 25,000.
fn max_tokens(ctx: &ToolContext) -> u64 {
    ctx.env_u64(MAX_TOKENS_ENV).unwrap_or(DEFAULT_MAX_TOKENS)
}

/// Rough token count (4 bytes a token), as Claude Code estimates it.
fn tokens(bytes: u64) -> u64 {
    bytes.div_ceil(4)
}

fn too_many_tokens(est_bytes: u64, max: u64) -> ToolOutput {
    ToolOutput::tool_use_error(format!(
        "File content ({} tokens) exceeds maximum allowed tokens ({max}). Use offset and limit \
         to read a part of the file, or Grep to search it.",
        tokens(est_bytes)
    ))
}

fn io_error(path: &Path, e: &io::Error) -> ToolOutput {
    ToolOutput::tool_use_error(format!("Cannot read {}: {e}", path.display()))
}

fn read(input: &Value, ctx: &ToolContext) -> ToolOutput {
    let file_path = str_arg(input, "file_path").unwrap_or("");
    let offset = uint_arg(input, "offset");
    let limit = uint_arg(input, "limit").filter(|&l| l > 0);
    let pages = str_arg(input, "pages").filter(|p| !p.trim().is_empty());
    let path = ctx.resolve(file_path);

    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return ToolOutput::tool_use_error(missing_file_message(&path, &ctx.cwd));
        }
        Err(e) => return io_error(&path, &e),
    };
    if meta.is_dir() {
        return ToolOutput::tool_use_error(directory_message(&path));
    }
    if !meta.is_file() {
        return ToolOutput::tool_use_error(format!(
            "{} is not a regular file (a device, FIFO or socket); Read only reads files.",
            path.display()
        ));
    }
    let mut file = match File::open(&path) {
        Ok(f) => f,
        Err(e) => return io_error(&path, &e),
    };
    // Metadata before the bytes: a change while reading shows up as a modification later.
    let meta = file.metadata().unwrap_or(meta);
    let snap = Snapshot::of_meta(&meta);
    let head = match read_head(&mut file) {
        Ok(h) => h,
        Err(e) => return io_error(&path, &e),
    };
    let max_bytes = max_tokens(ctx).saturating_mul(4);

    if let Some(media_type) = sniff_image(&head) {
        return read_image(&path, file, head, meta.len(), media_type, snap, ctx);
    }
    if is_pdf(&head) {
        if let Some(p) = pages {
            return ToolOutput::tool_use_error(format!(
                "Reading PDF page ranges (pages: \"{p}\") is not supported. Omit pages to read \
                 the whole document ({}); documents up to {} base64-encoded are accepted.",
                format_size(meta.len()),
                format_size(PDF_MAX_BASE64)
            ));
        }
        return read_pdf(&path, file, head, meta.len(), snap, ctx);
    }
    if is_notebook(&path) {
        if meta.len() > NB_MAX_BYTES {
            return ToolOutput::tool_use_error(format!(
                "Notebook is too large to read whole ({}). Use Bash with jq to read part of it, \
                 e.g. jq '.cells[0:10]' {}",
                format_size(meta.len()),
                path.display()
            ));
        }
        let bytes = match read_rest(file, head) {
            Ok(b) => b,
            Err(e) => return io_error(&path, &e),
        };
        if let Ok(nb) = serde_json::from_slice::<Value>(&bytes)
            && nb.get("cells").is_some_and(Value::is_array)
        {
            return read_notebook(&path, &nb, &bytes, max_bytes, snap, ctx);
        }
        // Not a notebook after all: show the text.
        return read_text_from(
            &path,
            Cursor::new(bytes),
            Encoding::Utf8,
            offset,
            limit,
            snap,
            max_bytes,
            None,
            ctx,
        );
    }
    match detect_bom(&head) {
        Encoding::Utf16Le | Encoding::Utf16Be => {
            if meta.len() > UTF16_MAX {
                return ToolOutput::tool_use_error(format!(
                    "{} is a UTF-16 file of {}; at most {} can be read. Convert it first \
                     (e.g. iconv -f UTF-16 -t UTF-8).",
                    path.display(),
                    format_size(meta.len()),
                    format_size(UTF16_MAX)
                ));
            }
            let bytes = match read_rest(file, head) {
                Ok(b) => b,
                Err(e) => return io_error(&path, &e),
            };
            let (text, _) = decode_lossy(&bytes);
            let hash = ContentHasher::of(&bytes);
            drop(bytes);
            // The record's hash is of the bytes on disk, not of the decoded text.
            read_text_from(
                &path,
                Cursor::new(text.into_bytes()),
                Encoding::Utf8,
                offset,
                limit,
                snap,
                max_bytes,
                Some(hash),
                ctx,
            )
        }
        enc => {
            if head.contains(&0) {
                let ext = path
                    .extension()
                    .map(|e| format!(".{}", e.to_string_lossy()))
                    .unwrap_or_else(|| "no extension".into());
                return ToolOutput::tool_use_error(format!(
                    "This tool cannot read binary files. {} appears to be binary ({ext}). Use \
                     Bash with a tool such as file, xxd or strings to inspect it.",
                    path.display()
                ));
            }
            let reader = BufReader::with_capacity(64 * 1024, Cursor::new(head).chain(file));
            read_text_from(
                &path, reader, enc, offset, limit, snap, max_bytes, None, ctx,
            )
        }
    }
}

fn read_head(file: &mut File) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_LEN);
    file.by_ref().take(HEAD_LEN as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn read_rest(mut file: File, mut head: Vec<u8>) -> io::Result<Vec<u8>> {
    file.read_to_end(&mut head)?;
    Ok(head)
}

fn read_image(
    path: &Path,
    file: File,
    head: Vec<u8>,
    len: u64,
    media_type: &str,
    snap: Snapshot,
    ctx: &ToolContext,
) -> ToolOutput {
    if base64_len(len) > IMAGE_MAX_BASE64 {
        return ToolOutput::tool_use_error(format!(
            "Image is too large to send: {} ({} base64-encoded); the API accepts at most {}. \
             Make a smaller copy first (e.g. ImageMagick: convert in.png -resize 50% \
             /tmp/small.png) and read that.",
            format_size(len),
            format_size(base64_len(len)),
            format_size(IMAGE_MAX_BASE64)
        ));
    }
    let bytes = match read_rest(file, head) {
        Ok(b) => b,
        Err(e) => return io_error(path, &e),
    };
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    ctx.session
        .files
        .record(path, snap, false, Some(ContentHasher::of(&bytes)));
    ToolOutput {
        content: ToolResultContent::Blocks(vec![json!({
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data}
        })]),
        is_error: false,
        structured: Some(json!({
            "type": "image",
            "file": {"filePath": path.display().to_string(), "type": media_type,
                     "originalSize": bytes.len()}
        })),
    }
}

fn read_pdf(
    path: &Path,
    file: File,
    head: Vec<u8>,
    len: u64,
    snap: Snapshot,
    ctx: &ToolContext,
) -> ToolOutput {
    if base64_len(len) > PDF_MAX_BASE64 {
        return ToolOutput::tool_use_error(format!(
            "PDF is too large to send: {} ({} base64-encoded); the API accepts at most {}. \
             Extract the part you need first (e.g. pdftotext or qpdf with Bash).",
            format_size(len),
            format_size(base64_len(len)),
            format_size(PDF_MAX_BASE64)
        ));
    }
    let bytes = match read_rest(file, head) {
        Ok(b) => b,
        Err(e) => return io_error(path, &e),
    };
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    ctx.session
        .files
        .record(path, snap, false, Some(ContentHasher::of(&bytes)));
    ToolOutput {
        content: ToolResultContent::Blocks(vec![json!({
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": data}
        })]),
        is_error: false,
        structured: Some(json!({
            "type": "pdf",
            "file": {"filePath": path.display().to_string(), "originalSize": bytes.len()}
        })),
    }
}

// ---------------------------------------------------------------------------------------------
// Text

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
fn read_text_from<R: Read>(
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

// ---------------------------------------------------------------------------------------------
// Notebooks

/// Removes ANSI escape sequences (tracebacks are coloured).
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if ('@'..='~').contains(&d) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

fn capped(s: &str) -> Cow<'_, str> {
    match s.char_indices().nth(NB_OUTPUT_CHARS) {
        None => Cow::Borrowed(s),
        Some((i, _)) => Cow::Owned(format!(
            "{}… [{} more chars omitted]",
            &s[..i],
            s[i..].chars().count()
        )),
    }
}

/// Notebook content as blocks: text, with image outputs as image blocks in place.
struct NbOut {
    blocks: Vec<Value>,
    text: String,
    text_bytes: u64,
    images: usize,
}

impl NbOut {
    fn flush(&mut self) {
        if !self.text.is_empty() {
            self.text_bytes += self.text.len() as u64;
            let t = std::mem::take(&mut self.text);
            self.blocks.push(json!({"type": "text", "text": t}));
        }
    }
}

fn render_output(o: &Value, nb: &mut NbOut) {
    let ty = o.get("output_type").and_then(Value::as_str).unwrap_or("");
    match ty {
        "stream" => {
            let t = source_text(o.get("text").unwrap_or(&Value::Null));
            nb.text.push_str(&capped(&t));
        }
        "error" => {
            let tb: Vec<String> = o
                .get("traceback")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(strip_ansi).collect())
                .unwrap_or_default();
            let t = if tb.is_empty() {
                format!(
                    "{}: {}",
                    o.get("ename").and_then(Value::as_str).unwrap_or("Error"),
                    o.get("evalue").and_then(Value::as_str).unwrap_or("")
                )
            } else {
                tb.join("\n")
            };
            nb.text.push_str(&capped(&t));
        }
        "execute_result" | "display_data" => {
            let Some(data) = o.get("data").and_then(Value::as_object) else {
                return;
            };
            let mut shown = false;
            for (mime, v) in data {
                if mime == "image/png" || mime == "image/jpeg" {
                    let b64: String = source_text(v)
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect();
                    if b64.len() <= NB_IMAGE_MAX_BASE64 && nb.images < NB_MAX_IMAGES {
                        let _ = write!(nb.text, "[{mime} output]");
                        nb.flush();
                        nb.blocks.push(json!({
                            "type": "image",
                            "source": {"type": "base64", "media_type": mime, "data": b64}
                        }));
                        nb.images += 1;
                    } else {
                        let _ = write!(
                            nb.text,
                            "[{mime} output omitted: {}]",
                            format_size(b64.len() as u64 * 3 / 4)
                        );
                    }
                    shown = true;
                    break;
                }
            }
            if !shown {
                if let Some(t) = data.get("text/plain") {
                    nb.text.push_str(&capped(&source_text(t)));
                } else {
                    let kinds: Vec<&str> = data.keys().map(String::as_str).collect();
                    let _ = write!(nb.text, "[{} output omitted]", kinds.join(", "));
                }
            }
        }
        other => {
            let _ = write!(nb.text, "[{other} output omitted]");
        }
    }
    if !nb.text.is_empty() && !nb.text.ends_with('\n') {
        nb.text.push('\n');
    }
}

fn read_notebook(
    path: &Path,
    nb: &Value,
    bytes: &[u8],
    max_bytes: u64,
    snap: Snapshot,
    ctx: &ToolContext,
) -> ToolOutput {
    let cells = nb
        .get("cells")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let mut out = NbOut {
        blocks: Vec::new(),
        text: String::new(),
        text_bytes: 0,
        images: 0,
    };
    if cells.is_empty() {
        out.text
            .push_str("<system-reminder>The notebook has no cells.</system-reminder>");
    }
    for (i, cell) in cells.iter().enumerate() {
        let ty = cell
            .get("cell_type")
            .and_then(Value::as_str)
            .unwrap_or("code");
        let _ = write!(out.text, "<cell id=\"{}\" type=\"{ty}\"", cell_id(cell, i));
        if let Some(n) = cell.get("execution_count").and_then(Value::as_u64) {
            let _ = write!(out.text, " execution_count=\"{n}\"");
        }
        out.text.push_str(">\n");
        let src = source_text(cell.get("source").unwrap_or(&Value::Null));
        out.text.push_str(&src);
        if !src.is_empty() && !src.ends_with('\n') {
            out.text.push('\n');
        }
        let outputs = cell
            .get("outputs")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if !outputs.is_empty() {
            out.text.push_str("<output>\n");
            for o in outputs {
                render_output(o, &mut out);
            }
            out.text.push_str("</output>\n");
        }
        out.text.push_str("</cell>\n");
        if out.text_bytes + out.text.len() as u64 > max_bytes {
            return ToolOutput::tool_use_error(format!(
                "Notebook content exceeds maximum allowed tokens ({}). Use Bash with jq to read \
                 part of it, e.g. jq '.cells[0:10]' {}",
                max_bytes / 4,
                path.display()
            ));
        }
    }
    out.flush();
    ctx.session
        .files
        .record(path, snap, false, Some(ContentHasher::of(bytes)));
    let content = if out.images == 0 {
        ToolResultContent::Text(
            out.blocks
                .iter()
                .filter_map(|b| b.get("text").and_then(Value::as_str))
                .collect::<String>(),
        )
    } else {
        ToolResultContent::Blocks(out.blocks)
    };
    ToolOutput {
        content,
        is_error: false,
        structured: Some(json!({
            "type": "notebook",
            "file": {"filePath": path.display().to_string(), "numCells": cells.len()}
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn ansi_and_caps() {
        assert_eq!(strip_ansi("\u{1b}[0;31mErr\u{1b}[0m!"), "Err!");
        assert_eq!(capped("abc"), "abc");
        let long = "y".repeat(NB_OUTPUT_CHARS + 5);
        assert!(capped(&long).ends_with("[5 more chars omitted]"));
        assert_eq!(digits(0), 1);
        assert_eq!(digits(9), 1);
        assert_eq!(digits(10), 2);
    }
}
