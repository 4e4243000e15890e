//! Jupyter notebooks as cells with their outputs (images as image blocks).

use crate::api::ToolResultContent;
use crate::tools::file_state::{ContentHasher, Snapshot};
use crate::tools::notebook_edit::{cell_id, source_text};
use crate::tools::textfile::format_size;
use crate::tools::{ToolContext, ToolOutput};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

/// Notebook outputs: text kept per output, and embedded images sent.
const NB_OUTPUT_CHARS: usize = 8000;
const NB_IMAGE_MAX_BASE64: usize = 1024 * 1024;
const NB_MAX_IMAGES: usize = 8;

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

pub(super) fn read_notebook(
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

    #[test]
    fn ansi_and_caps() {
        assert_eq!(strip_ansi("\u{1b}[0;31mErr\u{1b}[0m!"), "Err!");
        assert_eq!(capped("abc"), "abc");
        let long = "y".repeat(NB_OUTPUT_CHARS + 5);
        assert!(capped(&long).ends_with("[5 more chars omitted]"));
    }
}
