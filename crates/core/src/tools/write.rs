//! `Write`: replaces a whole file (or creates it, with its parent directories), atomically.
//!
//! The content is written exactly as given, line endings included: the model chose them. An
//! existing file keeps its encoding (UTF-8 BOM, UTF-16 with BOM) and permission bits; a symlink
//! is followed, so the link stays a link.

use super::file_state::WriteCheck;
use super::schema::str_arg;
use super::textfile::{
    Encoding, MAX_DIFF_BYTES, decode_lossy, detect_bom, directory_message, encode_text,
    special_file_message, structured_patch,
};
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::fsutil::{OpenError, SpecialKind, open_regular};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

pub struct WriteTool;

const DESCRIPTION: &str = "Write a file (absolute file_path), replacing all its content and \
creating parent directories. Overwriting an existing file requires reading it in full first, \
and it must not have changed since. Prefer Edit for changes to existing files. Content is \
written exactly as given.";

impl Tool for WriteTool {
    fn name(&self) -> &str {
        "Write"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "file_path": {"type": "string"},
                "content": {"type": "string"}
            },
            "required": ["file_path", "content"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject {
        Subject::Write(vec![ctx.resolve(str_arg(input, "file_path").unwrap_or(""))])
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        super::call_blocking("Write", input, ctx, write)
    }
}

fn err(m: impl AsRef<str>) -> ToolOutput {
    ToolOutput::tool_use_error(m)
}

/// The file a Write replaces.
pub(crate) struct Existing {
    pub encoding: Encoding,
    /// Its text (decoded lossily), when it is small enough to diff.
    pub text: Option<String>,
}

/// What is at `target` now (`None`: nothing). `before_read` runs once the file is known to be a
/// regular file, before its bytes are read. Errors are messages for the model; `shown` is the
/// path as the model gave it.
pub(crate) fn read_existing(
    target: &Path,
    shown: &Path,
    before_read: impl FnOnce() -> Result<(), String>,
) -> Result<Option<Existing>, String> {
    let (file, meta) = match open_regular(target) {
        Ok(f) => f,
        Err(OpenError::NotFound) => return Ok(None),
        Err(OpenError::NotRegular(_, SpecialKind::Directory)) => {
            return Err(directory_message(shown));
        }
        Err(OpenError::NotRegular(..)) => return Err(special_file_message(shown)),
        Err(OpenError::Io(e)) => return Err(format!("Cannot access {}: {e}", shown.display())),
    };
    before_read()?;
    let read_err = |e: std::io::Error| format!("Cannot read {}: {e}", shown.display());
    if meta.len() <= MAX_DIFF_BYTES as u64 {
        let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
        file.take(meta.len() + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        let (text, encoding) = decode_lossy(&bytes);
        Ok(Some(Existing {
            encoding,
            text: Some(text),
        }))
    } else {
        // Too large to diff: only its byte order mark matters.
        let mut head = Vec::with_capacity(4);
        file.take(4).read_to_end(&mut head).map_err(read_err)?;
        Ok(Some(Existing {
            encoding: detect_bom(&head),
            text: None,
        }))
    }
}

fn write(input: Value, ctx: &ToolContext) -> ToolOutput {
    let path = ctx.resolve(str_arg(&input, "file_path").unwrap_or(""));
    // The content moves into the result: a large file is held once, not copied.
    let content = match input {
        Value::Object(mut m) => match m.remove("content") {
            Some(Value::String(s)) => s,
            _ => String::new(),
        },
        _ => String::new(),
    };
    let target = crate::paths::canonicalize_lenient(&path);
    let old = match read_existing(&target, &path, || {
        match ctx.session.files.check_write(&path) {
            WriteCheck::Ok => Ok(()),
            check => Err(check.message().to_string()),
        }
    }) {
        Ok(o) => o,
        Err(m) => return err(m),
    };
    if old.is_none()
        && let Some(parent) = target.parent()
        && let Err(e) = std::fs::create_dir_all(parent)
    {
        return err(format!("Cannot create {}: {e}", parent.display()));
    }
    let data: Cow<'_, [u8]> = match old.as_ref().map(|o| o.encoding) {
        Some(enc @ (Encoding::Utf8Bom | Encoding::Utf16Le | Encoding::Utf16Be)) => {
            // Do not double the BOM if the model included one.
            Cow::Owned(encode_text(
                content.strip_prefix('\u{FEFF}').unwrap_or(&content),
                enc,
                false,
            ))
        }
        _ => Cow::Borrowed(content.as_bytes()),
    };
    if let Err(e) =
        crate::fsutil::atomic_write_cancellable(&target, &data, None, &|| ctx.cancel.is_cancelled())
    {
        return err(format!("Cannot write {}: {e}", path.display()));
    }
    ctx.session.files.record_written(&target, &data);
    drop(data);
    let p = path.display().to_string();
    let (kind, patch, text) = match old {
        None => (
            "create",
            json!([]),
            format!("File created successfully at: {p}"),
        ),
        Some(old) => {
            let patch = match old.text {
                Some(t) if content.len() <= MAX_DIFF_BYTES => structured_patch(&t, &content),
                _ => json!([]),
            };
            (
                "update",
                patch,
                format!("The file {p} has been updated successfully."),
            )
        }
    };
    // Built by hand: `json!` would copy the content.
    let mut structured = serde_json::Map::new();
    structured.insert("type".into(), kind.into());
    structured.insert("filePath".into(), p.into());
    structured.insert("content".into(), Value::String(content));
    structured.insert("structuredPatch".into(), patch);
    ToolOutput::ok(text).with_structured(Value::Object(structured))
}
