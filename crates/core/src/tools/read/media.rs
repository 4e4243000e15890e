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

/// What kind of document a file is sent as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Media {
    /// An image of this media type (`image/png`, ...).
    Image(&'static str),
    Pdf,
}

impl Media {
    fn media_type(self) -> &'static str {
        match self {
            Media::Image(t) => t,
            Media::Pdf => "application/pdf",
        }
    }

    /// The API's limit on the encoded size.
    fn max_base64(self) -> u64 {
        match self {
            Media::Image(_) => IMAGE_MAX_BASE64,
            Media::Pdf => PDF_MAX_BASE64,
        }
    }

    fn too_large(self, len: u64) -> String {
        let (what, hint) = match self {
            Media::Image(_) => (
                "Image",
                "Make a smaller copy first (e.g. ImageMagick: convert in.png -resize 50% \
                 /tmp/small.png) and read that.",
            ),
            Media::Pdf => (
                "PDF",
                "Extract the part you need first (e.g. pdftotext or qpdf with Bash).",
            ),
        };
        format!(
            "{what} is too large to send: {} ({} base64-encoded); the API accepts at most {}. \
             {hint}",
            format_size(len),
            format_size(base64_len(len)),
            format_size(self.max_base64())
        )
    }
}

/// Sends the whole file (of `len` bytes, `head` already read) as one content block.
pub(super) fn read_media(
    path: &Path,
    file: File,
    head: Vec<u8>,
    len: u64,
    media: Media,
    snap: Snapshot,
    ctx: &ToolContext,
) -> ToolOutput {
    if base64_len(len) > media.max_base64() {
        return ToolOutput::tool_use_error(media.too_large(len));
    }
    let bytes = match read_rest(file, head, len) {
        Ok(b) => b,
        Err(e) => return io_error(path, &e),
    };
    let data = base64::engine::general_purpose::STANDARD.encode(&bytes);
    ctx.session
        .files
        .record(path, snap, false, Some(ContentHasher::of(&bytes)));
    let media_type = media.media_type();
    let source = json!({"type": "base64", "media_type": media_type, "data": data});
    let file_path = path.display().to_string();
    let (block, structured) = match media {
        Media::Image(_) => (
            json!({"type": "image", "source": source}),
            json!({
                "type": "image",
                "file": {"filePath": file_path, "type": media_type, "originalSize": bytes.len()}
            }),
        ),
        Media::Pdf => (
            json!({"type": "document", "source": source}),
            json!({
                "type": "pdf",
                "file": {"filePath": file_path, "originalSize": bytes.len()}
            }),
        ),
    };
    ToolOutput {
        content: ToolResultContent::Blocks(vec![block]),
        is_error: false,
        structured: Some(structured),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_large_messages_name_the_limit_and_a_way_out() {
        let m = Media::Image("image/png").too_large(6 * 1024 * 1024);
        assert!(
            m.starts_with("Image is too large to send: 6MB (8MB base64-encoded)"),
            "{m}"
        );
        assert!(m.contains("at most 5MB. Make a smaller copy"), "{m}");
        let m = Media::Pdf.too_large(30 * 1024 * 1024);
        assert!(
            m.starts_with("PDF is too large to send: 30MB (40MB base64-encoded)"),
            "{m}"
        );
        assert!(m.contains("at most 32MB. Extract the part"), "{m}");
    }
}
