//! `Edit`: exact string replacement in a file, with Claude Code's validation order and
//! messages. The engine here ([`plan_edits`]) is shared with MultiEdit and with
//! [`preview_diff`] and [`preview_patch`], which show what an edit would do before it is
//! allowed.

use super::file_state::WriteCheck;
use super::schema::{bool_arg, str_arg};
use super::textfile::{
    MAX_DIFF_BYTES, ReplaceError, TextDoc, directory_message, format_size, is_notebook,
    missing_file_message, replace, special_file_message, structured_patch, unified_diff,
};
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::fsutil::{OpenError, SpecialKind, open_regular};
use serde_json::{Value, json};
use std::io::Read;
use std::path::PathBuf;

/// Files above this are not loaded for editing.
pub const MAX_EDIT_BYTES: u64 = 256 * 1024 * 1024;

pub struct EditTool;

const DESCRIPTION: &str = "Replace old_string with new_string in a file (absolute file_path). \
Read the file first. old_string must match the file exactly, without the line-number prefix \
Read shows, and be unique: include surrounding lines to disambiguate, or set replace_all to \
change every occurrence. An empty old_string creates a new file.";

pub(crate) const NO_CHANGES: &str =
    "No changes to make: old_string and new_string are exactly the same.";

/// One replacement.
#[derive(Clone, Debug)]
pub(crate) struct EditSpec {
    pub old: String,
    pub new: String,
    pub replace_all: bool,
}

impl EditSpec {
    pub(crate) fn from_value(v: &Value) -> EditSpec {
        EditSpec {
            old: str_arg(v, "old_string").unwrap_or("").to_string(),
            new: str_arg(v, "new_string").unwrap_or("").to_string(),
            replace_all: bool_arg(v, "replace_all"),
        }
    }

    /// MultiEdit's `edits` (empty when missing).
    pub(crate) fn list_from(input: &Value) -> Vec<EditSpec> {
        input
            .get("edits")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(EditSpec::from_value).collect())
            .unwrap_or_default()
    }
}

/// What a set of edits would do to a file.
pub(crate) struct Planned {
    /// The path as resolved from the input (used in messages).
    pub path: PathBuf,
    /// The real file to write (symlinks followed, so a link stays a link).
    pub target: PathBuf,
    /// The file existed (an update, not a create).
    pub existed: bool,
    /// The text before (as the model sees it), kept only when it is small enough to diff
    /// ([`MAX_DIFF_BYTES`]): a large file is held once, not twice.
    pub before: Option<String>,
    pub after: TextDoc,
}

fn not_found(old: &str) -> String {
    format!("String to replace not found in file.\nString: {old}")
}

fn multiple(n: usize, old: &str) -> String {
    format!(
        "Found {n} matches of the string to replace, but replace_all is false. To replace all \
         occurrences, set replace_all to true. To replace only one occurrence, please provide \
         more context to uniquely identify the instance.\nString: {old}"
    )
}

/// Validates and applies `edits` in memory, in order (each sees the previous ones' result).
/// With `enforce_read`, an existing file must have been read and be unchanged since. Errors
/// are the messages for the model; with several edits, per-edit errors say which one.
pub(crate) fn plan_edits(
    ctx: &ToolContext,
    file_path: &str,
    edits: &[EditSpec],
    enforce_read: bool,
) -> Result<Planned, String> {
    let n = edits.len();
    let label = |i: usize, msg: String| {
        if n > 1 {
            format!("Edit {} of {n}: {msg}", i + 1)
        } else {
            msg
        }
    };
    let Some(first) = edits.first() else {
        return Err("No edits given.".into());
    };
    for (i, e) in edits.iter().enumerate() {
        if e.old == e.new {
            return Err(label(i, NO_CHANGES.into()));
        }
    }
    let path = ctx.resolve(file_path);
    let target = crate::paths::canonicalize_lenient(&path);
    let opened = match open_regular(&target) {
        Ok(f) => Some(f),
        Err(OpenError::NotFound) => None,
        Err(OpenError::NotRegular(_, SpecialKind::Directory)) => {
            return Err(directory_message(&path));
        }
        Err(OpenError::NotRegular(..)) => return Err(special_file_message(&path)),
        Err(OpenError::Io(e)) => return Err(format!("Cannot read {}: {e}", path.display())),
    };
    let (doc, mut text) = match opened {
        None => {
            if !first.old.is_empty() {
                return Err(missing_file_message(&path, &ctx.cwd));
            }
            (None, String::new())
        }
        Some((mut file, meta)) => {
            let too_large = |len: u64| {
                format!(
                    "File is too large to edit ({}). Maximum editable file size is {}.",
                    format_size(len),
                    format_size(MAX_EDIT_BYTES)
                )
            };
            if meta.len() > MAX_EDIT_BYTES {
                return Err(too_large(meta.len()));
            }
            let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
            // Bounded even if the file grows while it is read.
            (&mut file)
                .take(MAX_EDIT_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("Cannot read {}: {e}", path.display()))?;
            drop(file);
            if bytes.len() as u64 > MAX_EDIT_BYTES {
                return Err(too_large(bytes.len() as u64));
            }
            let empty = bytes.is_empty();
            let mut doc = TextDoc::decode_owned(bytes).map_err(|_| {
                format!(
                    "{} cannot be edited without changing bytes outside the edit (broken \
                     UTF-16). Use Write to replace it whole.",
                    path.display()
                )
            })?;
            if first.old.is_empty() && !doc.text.trim().is_empty() {
                return Err("Cannot create new file - file already exists.".into());
            }
            if is_notebook(&path) {
                return Err(
                    "File is a Jupyter Notebook. Use the NotebookEdit to edit this file.".into(),
                );
            }
            // An empty file has nothing to lose.
            if enforce_read && !empty {
                let check = ctx.session.files.check_edit(&path);
                if check != WriteCheck::Ok {
                    return Err(check.message().into());
                }
            }
            // The text moves out; the document keeps the encoding for writing back.
            let text = std::mem::take(&mut doc.text);
            (Some(doc), text)
        }
    };
    let before = match &doc {
        Some(d) if text.len() <= MAX_DIFF_BYTES => {
            Some(d.with_text(text.clone()).into_display_text())
        }
        _ => None,
    };
    for (i, e) in edits.iter().enumerate() {
        if e.old.is_empty() {
            if !text.trim().is_empty() {
                return Err(label(
                    i,
                    "Cannot create new file - file already exists.".into(),
                ));
            }
            text = e.new.clone();
            continue;
        }
        match replace(&text, &e.old, &e.new, e.replace_all) {
            Ok(r) => text = r.text,
            Err(ReplaceError::NotFound) => return Err(label(i, not_found(&e.old))),
            Err(ReplaceError::Multiple(c)) => return Err(label(i, multiple(c, &e.old))),
        }
    }
    let after = match &doc {
        Some(d) => d.with_text(text),
        None => TextDoc::new_utf8(text),
    };
    Ok(Planned {
        path,
        target,
        existed: doc.is_some(),
        before,
        after,
    })
}

/// Writes a planned edit atomically and records it. Returns the structured result.
pub(crate) fn commit(ctx: &ToolContext, p: &Planned) -> Result<Value, String> {
    if !p.existed
        && let Some(parent) = p.target.parent()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("Cannot create {}: {e}", parent.display()))?;
    }
    let data = p.after.bytes();
    crate::fsutil::atomic_write_cancellable(&p.target, &data, None, &|| ctx.cancel.is_cancelled())
        .map_err(|e| format!("Cannot write {}: {e}", p.path.display()))?;
    ctx.session.files.record_written(&p.target, &data);
    drop(data);
    let patch = match p.diff_texts() {
        Some((old, new)) => structured_patch(old, &new),
        None => json!([]),
    };
    Ok(json!({
        "type": if p.existed { "update" } else { "create" },
        "filePath": p.path.display().to_string(),
        "structuredPatch": patch,
    }))
}

impl Planned {
    /// The texts to diff, `None` when the file is too large to diff.
    fn diff_texts(&self) -> Option<(&str, std::borrow::Cow<'_, str>)> {
        if self.after.text.len() > MAX_DIFF_BYTES {
            return None;
        }
        let old = match &self.before {
            Some(b) => b.as_str(),
            None if !self.existed => "",
            None => return None,
        };
        Some((old, self.after.display_text()))
    }
}

/// A unified diff of what Edit, MultiEdit or Write would change, computed without writing.
/// `None` for other tools or when the call would fail.
pub fn preview_diff(tool_name: &str, input: &Value, ctx: &ToolContext) -> Option<String> {
    let (path, old, new) = preview_texts(tool_name, input, ctx)?;
    Some(unified_diff(&old, &new, &path))
}

/// The same change as a `structuredPatch`, the shape the call's own result reports (for the
/// permission prompt).
pub fn preview_patch(tool_name: &str, input: &Value, ctx: &ToolContext) -> Option<Value> {
    let (_, old, new) = preview_texts(tool_name, input, ctx)?;
    Some(structured_patch(&old, &new))
}

/// The file and its text before and after the call, for the previews.
fn preview_texts(
    tool_name: &str,
    input: &Value,
    ctx: &ToolContext,
) -> Option<(PathBuf, String, String)> {
    let file_path = str_arg(input, "file_path")?;
    let edits: Vec<EditSpec> = match tool_name {
        "Edit" => vec![EditSpec::from_value(input)],
        "MultiEdit" => EditSpec::list_from(input),
        "Write" => return preview_write(input, ctx, file_path),
        _ => return None,
    };
    let p = plan_edits(ctx, file_path, &edits, false).ok()?;
    let (old, new) = p.diff_texts()?;
    Some((p.path.clone(), old.to_string(), new.into_owned()))
}

/// Write's preview: the file as it is, and the new content.
fn preview_write(
    input: &Value,
    ctx: &ToolContext,
    file_path: &str,
) -> Option<(PathBuf, String, String)> {
    let path = ctx.resolve(file_path);
    let target = crate::paths::canonicalize_lenient(&path);
    let content = str_arg(input, "content")?;
    if content.len() > MAX_DIFF_BYTES {
        return None;
    }
    // Write refuses directories and special files, and huge files are not diffed.
    let old = match super::write::read_existing(&target, &path, || Ok(())).ok()? {
        None => String::new(),
        Some(e) => e.text?,
    };
    Some((path, old, content.to_string()))
}

impl Tool for EditTool {
    fn name(&self) -> &str {
        "Edit"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "file_path": {"type": "string"},
                "old_string": {"type": "string"},
                "new_string": {"type": "string"},
                "replace_all": {"type": "boolean", "default": false,
                                "description": "Replace every occurrence"}
            },
            "required": ["file_path", "old_string", "new_string"],
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
        super::call_blocking("Edit", input, ctx, |i, c| run_edit(&i, c))
    }
}

fn run_edit(input: &Value, ctx: &ToolContext) -> ToolOutput {
    let spec = EditSpec::from_value(input);
    let file_path = str_arg(input, "file_path").unwrap_or("");
    let planned = match plan_edits(ctx, file_path, std::slice::from_ref(&spec), true) {
        Ok(p) => p,
        Err(m) => return ToolOutput::tool_use_error(m),
    };
    let mut structured = match commit(ctx, &planned) {
        Ok(s) => s,
        Err(m) => return ToolOutput::tool_use_error(m),
    };
    if let Some(o) = structured.as_object_mut() {
        o.insert("oldString".into(), Value::String(spec.old.clone()));
        o.insert("newString".into(), Value::String(spec.new.clone()));
        o.insert("replaceAll".into(), Value::Bool(spec.replace_all));
    }
    let p = planned.path.display();
    let text = if spec.replace_all {
        format!("The file {p} has been updated. All occurrences were successfully replaced.")
    } else {
        format!("The file {p} has been updated successfully.")
    };
    ToolOutput::ok(text).with_structured(structured)
}
