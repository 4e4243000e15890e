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

mod media;
mod notebook;
mod text;

pub use media::{IMAGE_MAX_BASE64, PDF_MAX_BASE64};
pub use text::{DEFAULT_LIMIT, MAX_LINE_CHARS};

use super::file_state::{ContentHasher, Snapshot};
use super::notebook_edit::MAX_NOTEBOOK_BYTES;
use super::schema::{str_arg, uint_arg};
use super::textfile::{
    Encoding, decode_lossy, detect_bom, directory_message, format_size, is_notebook, is_pdf,
    missing_file_message, sniff_image,
};
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::fsutil::{OpenError, SpecialKind, open_regular};
use media::{Media, read_media};
use notebook::read_notebook;
use serde_json::{Value, json};
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read};
use std::path::Path;
use text::read_text_from;

pub const DEFAULT_MAX_TOKENS: u64 = 25_000;
pub const MAX_TOKENS_ENV: &str = "CLAUDE_CODE_FILE_READ_MAX_OUTPUT_TOKENS";
const HEAD_LEN: usize = 8192;
/// UTF-16 files are decoded whole.
const UTF16_MAX: u64 = 64 << 20;

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
        super::call_blocking("Read", input, ctx, |i, c| read(&i, c))
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

pub(super) fn too_many_tokens(est_bytes: u64, max: u64) -> ToolOutput {
    ToolOutput::tool_use_error(format!(
        "File content ({} tokens) exceeds maximum allowed tokens ({max}). Use offset and limit \
         to read a part of the file, or Grep to search it.",
        tokens(est_bytes)
    ))
}

pub(super) fn io_error(path: &Path, e: &io::Error) -> ToolOutput {
    ToolOutput::tool_use_error(format!("Cannot read {}: {e}", path.display()))
}

fn read(input: &Value, ctx: &ToolContext) -> ToolOutput {
    let file_path = str_arg(input, "file_path").unwrap_or("");
    let offset = uint_arg(input, "offset");
    let limit = uint_arg(input, "limit").filter(|&l| l > 0);
    let pages = str_arg(input, "pages").filter(|p| !p.trim().is_empty());
    let path = ctx.resolve(file_path);

    // Metadata of the open file, before the bytes: a change while reading shows up as a
    // modification later.
    let (mut file, meta) = match open_regular(&path) {
        Ok(f) => f,
        Err(OpenError::NotFound) => {
            return ToolOutput::tool_use_error(missing_file_message(&path, &ctx.cwd));
        }
        Err(OpenError::NotRegular(_, SpecialKind::Directory)) => {
            return ToolOutput::tool_use_error(directory_message(&path));
        }
        Err(OpenError::NotRegular(_, kind)) => {
            return ToolOutput::tool_use_error(format!(
                "{} is not a regular file ({}); Read only reads files.",
                path.display(),
                kind.describe()
            ));
        }
        Err(OpenError::Io(e)) => return io_error(&path, &e),
    };
    let snap = Snapshot::of_meta(&meta);
    let head = match read_head(&mut file) {
        Ok(h) => h,
        Err(e) => return io_error(&path, &e),
    };
    let max_bytes = max_tokens(ctx).saturating_mul(4);

    if let Some(media_type) = sniff_image(&head) {
        return read_media(
            &path,
            file,
            head,
            meta.len(),
            Media::Image(media_type),
            snap,
            ctx,
        );
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
        return read_media(&path, file, head, meta.len(), Media::Pdf, snap, ctx);
    }
    if is_notebook(&path) {
        if meta.len() > MAX_NOTEBOOK_BYTES {
            return ToolOutput::tool_use_error(format!(
                "Notebook is too large to read whole ({}). Use Bash with jq to read part of it, \
                 e.g. jq '.cells[0:10]' {}",
                format_size(meta.len()),
                path.display()
            ));
        }
        let bytes = match read_rest(file, head, meta.len()) {
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
            BufReader::new(Cursor::new(bytes)),
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
            let bytes = match read_rest(file, head, meta.len()) {
                Ok(b) => b,
                Err(e) => return io_error(&path, &e),
            };
            let (text, _) = decode_lossy(&bytes);
            let hash = ContentHasher::of(&bytes);
            drop(bytes);
            // The record's hash is of the bytes on disk, not of the decoded text.
            read_text_from(
                &path,
                BufReader::with_capacity(64 * 1024, Cursor::new(text.into_bytes())),
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

/// The file's bytes after `head`, up to `len` in all: the size it had when its metadata was
/// taken (a file growing meanwhile cannot make the read unbounded).
pub(super) fn read_rest(file: File, mut head: Vec<u8>, len: u64) -> io::Result<Vec<u8>> {
    head.reserve(usize::try_from(len).unwrap_or(0).saturating_sub(head.len()));
    file.take(len.saturating_sub(head.len() as u64))
        .read_to_end(&mut head)?;
    Ok(head)
}
