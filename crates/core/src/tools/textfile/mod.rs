//! Text handling shared by the file tools: encodings that round-trip byte for byte, line
//! endings, the fallbacks that forgive what models paste into `old_string` (Read's line-number
//! prefixes, straight vs curly quotes), string replacement, diffs and small helpers.

mod diff;
mod encoding;
mod messages;
mod newlines;
mod paste;
mod replace;
mod sniff;

pub use diff::{MAX_DIFF_BYTES, structured_patch, unified_diff};
pub use encoding::{DecodeError, Encoding, TextDoc, decode_lossy, detect_bom, encode_text};
pub use messages::{
    directory_message, edit_distance, format_size, missing_file_message, similar_file,
    special_file_message,
};
pub use newlines::{normalize_newlines, prefers_crlf};
pub use paste::{straighten_quotes, strip_line_prefixes};
pub use replace::{MatchKind, ReplaceError, Replaced, replace};
pub use sniff::{base64_len, is_notebook, is_pdf, sniff_image};
