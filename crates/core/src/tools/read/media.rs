//! Images and PDFs, sent whole as base64 content blocks.

use super::{io_error, read_rest};
use crate::api::ToolResultContent;
use crate::tools::file_state::{ContentHasher, Snapshot};
use crate::tools::textfile::{base64_len, format_size};
use crate::tools::{ToolContext, ToolOutput};
use base64::Engine;
use serde_json::json;
use std::fs::File;
use std::path::Path;

pub const IMAGE_MAX_BASE64: u64 = 5 * 1024 * 1024;
pub const PDF_MAX_BASE64: u64 = 32 * 1024 * 1024;

pub(super) fn read_image(
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

pub(super) fn read_pdf(
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
