//! `NotebookEdit`: replace, insert or delete one cell of a Jupyter notebook, keeping every other
//! key, the metadata and Jupyter's file layout (1-space indent, trailing newline).

use super::file_state::WriteCheck;
use super::schema::str_arg;
use super::textfile::{
    directory_message, format_size, is_notebook, missing_file_message, special_file_message,
};
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::fsutil::{OpenError, SpecialKind, open_regular};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::io::Read;

pub struct NotebookEditTool;

/// Notebooks are parsed whole (Read and NotebookEdit): larger ones are refused.
pub const MAX_NOTEBOOK_BYTES: u64 = 64 << 20;

const DESCRIPTION: &str = "Edit one cell of a Jupyter notebook (.ipynb; absolute notebook_path). \
edit_mode: replace (default) sets the source of cell_id; insert adds a cell after cell_id, or at \
the start without it (cell_type required); delete removes cell_id. cell_id is the cell's id or \
cell-N (0-based index). Read the notebook first.";

/// A cell's source as text (`source` may be a string or a list of lines).
pub(crate) fn source_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => String::new(),
    }
}

/// The id shown for cell `index`: its own id (nbformat 4.5+), else `cell-N`.
pub(crate) fn cell_id(cell: &Value, index: usize) -> String {
    cell.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map_or_else(|| format!("cell-{index}"), str::to_string)
}

/// Finds a cell by id, `cell-N` or a bare index.
fn find_cell(cells: &[Value], id: &str) -> Option<usize> {
    if let Some(i) = cells
        .iter()
        .position(|c| c.get("id").and_then(Value::as_str) == Some(id))
    {
        return Some(i);
    }
    let n = id.strip_prefix("cell-").unwrap_or(id);
    n.parse::<usize>().ok().filter(|&i| i < cells.len())
}

/// Jupyter's source layout: a list of lines, each but the last ending in `\n`.
fn source_lines(s: &str) -> Value {
    Value::Array(
        s.split_inclusive('\n')
            .map(|l| Value::String(l.to_string()))
            .collect(),
    )
}

fn set_source(cell: &mut Map<String, Value>, src: &str) {
    let as_string = cell.get("source").is_some_and(Value::is_string);
    let v = if as_string {
        Value::String(src.to_string())
    } else {
        source_lines(src)
    };
    cell.insert("source".into(), v);
}

fn has_cell_ids(nb: &Value) -> bool {
    let major = nb.get("nbformat").and_then(Value::as_u64).unwrap_or(4);
    let minor = nb
        .get("nbformat_minor")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    major > 4 || (major == 4 && minor >= 5)
}

fn new_id(cells: &[Value]) -> String {
    loop {
        let id = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        if !cells
            .iter()
            .any(|c| c.get("id").and_then(Value::as_str) == Some(&id))
        {
            return id;
        }
    }
}

/// Serialises like Jupyter: 1-space indent, trailing newline.
pub(crate) fn to_notebook_json(nb: &Value) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b" "),
    );
    nb.serialize(&mut ser)?;
    out.push(b'\n');
    Ok(out)
}

fn language(nb: &Value) -> String {
    let m = nb.get("metadata");
    m.and_then(|m| m.get("language_info"))
        .and_then(|l| l.get("name"))
        .or_else(|| {
            m.and_then(|m| m.get("kernelspec"))
                .and_then(|k| k.get("language"))
        })
        .and_then(Value::as_str)
        .unwrap_or("python")
        .to_string()
}

/// Makes `cell` a `ty` cell: code cells get empty outputs, markdown cells lose them.
fn set_type(cell: &mut Map<String, Value>, ty: &str) {
    cell.insert("cell_type".into(), Value::String(ty.to_string()));
    if ty == "code" {
        cell.insert("execution_count".into(), Value::Null);
        cell.insert("outputs".into(), json!([]));
    } else {
        cell.remove("execution_count");
        cell.remove("outputs");
    }
}

impl Tool for NotebookEditTool {
    fn name(&self) -> &str {
        "NotebookEdit"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "notebook_path": {"type": "string"},
                "cell_id": {"type": "string"},
                "new_source": {"type": "string"},
                "cell_type": {"type": "string", "enum": ["code", "markdown"]},
                "edit_mode": {"type": "string", "enum": ["replace", "insert", "delete"]}
            },
            "required": ["notebook_path", "new_source"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject {
        Subject::Write(vec![
            ctx.resolve(str_arg(input, "notebook_path").unwrap_or("")),
        ])
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        super::call_blocking("NotebookEdit", input, ctx, |i, c| edit_notebook(&i, c))
    }
}

fn err(m: impl AsRef<str>) -> ToolOutput {
    ToolOutput::tool_use_error(m)
}

fn edit_notebook(input: &Value, ctx: &ToolContext) -> ToolOutput {
    let path = ctx.resolve(str_arg(input, "notebook_path").unwrap_or(""));
    let new_source = str_arg(input, "new_source").unwrap_or("");
    let cell_type = str_arg(input, "cell_type");
    let mode = str_arg(input, "edit_mode").unwrap_or("replace");
    let wanted_id = str_arg(input, "cell_id").filter(|s| !s.is_empty());

    if !is_notebook(&path) {
        return err(
            "File must be a Jupyter notebook (.ipynb file). For editing other file types, use the Edit tool.",
        );
    }
    if !matches!(mode, "replace" | "insert" | "delete") {
        return err("Edit mode must be replace, insert, or delete.");
    }
    if cell_type.is_some_and(|t| t != "code" && t != "markdown") {
        return err("Cell type must be code or markdown.");
    }
    if mode == "insert" && cell_type.is_none() {
        return err("Cell type is required when using edit_mode=insert.");
    }
    let target = crate::paths::canonicalize_lenient(&path);
    let (file, meta) = match open_regular(&target) {
        Ok(f) => f,
        Err(OpenError::NotFound) => return err(missing_file_message(&path, &ctx.cwd)),
        Err(OpenError::NotRegular(_, SpecialKind::Directory)) => {
            return err(directory_message(&path));
        }
        Err(OpenError::NotRegular(..)) => return err(special_file_message(&path)),
        Err(OpenError::Io(e)) => return err(format!("Cannot read {}: {e}", path.display())),
    };
    // Parsed whole, with a copy for the JSON tree: a huge file must not take gigabytes.
    if meta.len() > MAX_NOTEBOOK_BYTES {
        return err(format!(
            "Notebook is too large to edit ({}); at most {} are loaded. Use Bash with jq.",
            format_size(meta.len()),
            format_size(MAX_NOTEBOOK_BYTES)
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize + 1);
    if let Err(e) = file.take(MAX_NOTEBOOK_BYTES + 1).read_to_end(&mut bytes) {
        return err(format!("Cannot read {}: {e}", path.display()));
    }
    let check = ctx.session.files.check_write(&path);
    if check != WriteCheck::Ok {
        return err(check.message());
    }
    let Ok(mut nb) = serde_json::from_slice::<Value>(&bytes) else {
        return err("Notebook is not valid JSON.");
    };
    let with_ids = has_cell_ids(&nb);
    let lang = language(&nb);
    let Some(cells) = nb.get_mut("cells").and_then(Value::as_array_mut) else {
        return err("Notebook has no cells array.");
    };
    let find = |cells: &[Value], id: &str| {
        find_cell(cells, id).ok_or_else(|| format!("Cell with ID \"{id}\" not found in notebook."))
    };
    let (message, shown_id, final_type) = match mode {
        "insert" => {
            let pos = match wanted_id {
                Some(id) => match find(cells, id) {
                    Ok(i) => i + 1,
                    Err(m) => return err(m),
                },
                None => 0,
            };
            let ty = cell_type.unwrap_or("code");
            let mut cell = Map::new();
            cell.insert("cell_type".into(), Value::String(ty.into()));
            if ty == "code" {
                cell.insert("execution_count".into(), Value::Null);
            }
            let id = if with_ids {
                let id = new_id(cells);
                cell.insert("id".into(), Value::String(id.clone()));
                id
            } else {
                format!("cell-{pos}")
            };
            cell.insert("metadata".into(), json!({}));
            if ty == "code" {
                cell.insert("outputs".into(), json!([]));
            }
            cell.insert("source".into(), source_lines(new_source));
            cells.insert(pos, Value::Object(cell));
            let place = match wanted_id {
                Some(after) => format!("after cell {after}"),
                None => "at the start".to_string(),
            };
            (
                format!("Inserted {ty} cell {id} {place}."),
                id,
                ty.to_string(),
            )
        }
        _ => {
            let Some(id) = wanted_id else {
                return err("Cell ID must be specified when not inserting a new cell.");
            };
            let idx = match find(cells, id) {
                Ok(i) => i,
                Err(m) => return err(m),
            };
            if mode == "delete" {
                let removed = cells.remove(idx);
                let ty = removed
                    .get("cell_type")
                    .and_then(Value::as_str)
                    .unwrap_or("code")
                    .to_string();
                (format!("Deleted cell {id}."), id.to_string(), ty)
            } else {
                let Some(cell) = cells[idx].as_object_mut() else {
                    return err(format!("Cell {id} is not a JSON object."));
                };
                let old_ty = cell
                    .get("cell_type")
                    .and_then(Value::as_str)
                    .unwrap_or("code")
                    .to_string();
                let ty = cell_type.unwrap_or(&old_ty).to_string();
                if ty != old_ty {
                    set_type(cell, &ty);
                } else if ty == "code" {
                    // The old outputs no longer belong to this source.
                    cell.insert("execution_count".into(), Value::Null);
                    cell.insert("outputs".into(), json!([]));
                }
                set_source(cell, new_source);
                (format!("Updated cell {id}."), id.to_string(), ty)
            }
        }
    };
    let data = match to_notebook_json(&nb) {
        Ok(d) => d,
        Err(e) => return err(format!("Cannot serialise the notebook: {e}")),
    };
    if let Err(e) =
        crate::fsutil::atomic_write_cancellable(&target, &data, None, &|| ctx.cancel.is_cancelled())
    {
        return err(format!("Cannot write {}: {e}", path.display()));
    }
    ctx.session.files.record_written(&target, &data);
    ToolOutput::ok(message).with_structured(json!({
        "notebook_path": path.display().to_string(),
        "cell_id": shown_id,
        "cell_type": final_type,
        "language": lang,
        "edit_mode": mode,
        "new_source": new_source,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cells_by_id_index_and_cell_n() {
        let cells = vec![json!({"id": "abc"}), json!({"id": "def"}), json!({})];
        assert_eq!(find_cell(&cells, "def"), Some(1));
        assert_eq!(find_cell(&cells, "cell-2"), Some(2));
        assert_eq!(find_cell(&cells, "0"), Some(0));
        assert_eq!(find_cell(&cells, "cell-3"), None);
        assert_eq!(find_cell(&cells, "zzz"), None);
        assert_eq!(cell_id(&cells[2], 2), "cell-2");
        assert_eq!(cell_id(&cells[0], 0), "abc");
    }

    #[test]
    fn sources_and_layout() {
        assert_eq!(source_lines("a\nb"), json!(["a\n", "b"]));
        assert_eq!(source_lines(""), json!([]));
        assert_eq!(source_text(&json!(["a\n", "b"])), "a\nb");
        assert_eq!(source_text(&json!("x")), "x");
        let out = to_notebook_json(&json!({"a": [1], "b": {}})).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\n \"a\": [\n  1\n ],\n \"b\": {}\n}\n"
        );
        assert!(has_cell_ids(&json!({"nbformat": 4, "nbformat_minor": 5})));
        assert!(!has_cell_ids(&json!({"nbformat": 4, "nbformat_minor": 2})));
    }
}
