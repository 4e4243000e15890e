//! `Write`: replaces a whole file (or creates it, with its parent directories), atomically.
//!
//! The content is written exactly as given, line endings included: the model chose them. An
//! existing file keeps its encoding (UTF-8 BOM, UTF-16 with BOM) and permission bits; a symlink
//! is followed, so the link stays a link.

use super::file_state::WriteCheck;
use super::schema::str_arg;
use super::textfile::{
    Encoding, TextDoc, decode_lossy, detect_bom, directory_message, encode_text,
    special_file_message, structured_patch,
};
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use serde_json::{Value, json};
use std::io;

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

fn write(input: &Value, ctx: &ToolContext) -> ToolOutput {
    let path = ctx.resolve(str_arg(input, "file_path").unwrap_or(""));
    let content = str_arg(input, "content").unwrap_or("");
    let target = crate::paths::canonicalize_lenient(&path);
    let old: Option<Vec<u8>> = match std::fs::metadata(&target) {
        Ok(m) if m.is_dir() => return err(directory_message(&path)),
        Ok(m) if !m.is_file() => return err(special_file_message(&path)),
        Ok(_) => {
            let check = ctx.session.files.check_write(&path);
            if check != WriteCheck::Ok {
                return err(check.message());
            }
            match std::fs::read(&target) {
                Ok(b) => Some(b),
                Err(e) => return err(format!("Cannot read {}: {e}", path.display())),
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = target.parent()
                && let Err(e) = std::fs::create_dir_all(parent)
            {
                return err(format!("Cannot create {}: {e}", parent.display()));
            }
            None
        }
        Err(e) => return err(format!("Cannot access {}: {e}", path.display())),
    };
    let data = match old.as_deref().map(detect_bom) {
        Some(enc @ (Encoding::Utf8Bom | Encoding::Utf16Le | Encoding::Utf16Be)) => {
            // Do not double the BOM if the model included one.
            encode_text(
                content.strip_prefix('\u{FEFF}').unwrap_or(content),
                enc,
                false,
            )
        }
        _ => TextDoc::new_utf8(content.to_string()).encode(),
    };
    if let Err(e) = crate::fsutil::atomic_write(&target, &data, None) {
        return err(format!("Cannot write {}: {e}", path.display()));
    }
    ctx.session.files.record_written(&target, &data);
    let p = path.display().to_string();
    match old {
        None => ToolOutput::ok(format!("File created successfully at: {p}")).with_structured(
            json!({"type": "create", "filePath": p, "content": content, "structuredPatch": []}),
        ),
        Some(b) => {
            let patch = structured_patch(&decode_lossy(&b).0, content);
            ToolOutput::ok(format!("The file {p} has been updated successfully.")).with_structured(
                json!({"type": "update", "filePath": p, "content": content, "structuredPatch": patch}),
            )
        }
    }
}
