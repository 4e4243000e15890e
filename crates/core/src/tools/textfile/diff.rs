//! Diffs of a change: Claude Code's `structuredPatch` and a unified diff for display.

use super::newlines::normalize_newlines;
use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};
use std::path::Path;
use std::time::Duration;

const DIFF_TIMEOUT: Duration = Duration::from_secs(2);
/// Texts larger than this are not diffed: a line diff of a huge file costs more memory than the
/// change itself, and nobody reads it.
pub const MAX_DIFF_BYTES: usize = 16 * 1024 * 1024;

/// Claude Code's `structuredPatch`: hunks with 3 lines of context, 1-based starts, lines
/// prefixed `-`, `+` or ` ` (without their newline). Both texts LF-normalised.
pub fn structured_patch(old: &str, new: &str) -> Value {
    let old = normalize_newlines(old);
    let new = normalize_newlines(new);
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old.as_ref(), new.as_ref());
    let mut hunks = Vec::new();
    for group in diff.grouped_ops(3) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (os, oe) = (first.old_range().start, last.old_range().end);
        let (ns, ne) = (first.new_range().start, last.new_range().end);
        let mut lines = Vec::new();
        for op in &group {
            for ch in diff.iter_changes(op) {
                let sign = match ch.tag() {
                    ChangeTag::Delete => '-',
                    ChangeTag::Insert => '+',
                    ChangeTag::Equal => ' ',
                };
                let v = ch.value();
                let v = v.strip_suffix('\n').unwrap_or(v);
                lines.push(Value::String(format!("{sign}{v}")));
            }
        }
        hunks.push(json!({
            "oldStart": os + 1,
            "oldLines": oe - os,
            "newStart": ns + 1,
            "newLines": ne - ns,
            "lines": lines,
        }));
    }
    Value::Array(hunks)
}

/// A unified diff of `old` → `new` for display (empty when they are equal).
pub fn unified_diff(old: &str, new: &str, path: &Path) -> String {
    let old = normalize_newlines(old);
    let new = normalize_newlines(new);
    let diff = TextDiff::configure()
        .timeout(DIFF_TIMEOUT)
        .diff_lines(old.as_ref(), new.as_ref());
    let p = path.display().to_string();
    diff.unified_diff()
        .context_radius(3)
        .header(&p, &p)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structured_patch_shape() {
        let p = structured_patch("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(
            p,
            json!([{"oldStart":1,"oldLines":3,"newStart":1,"newLines":3,"lines":[" a","-b","+B"," c"]}])
        );
        let p = structured_patch("", "x\ny\n");
        assert_eq!(p[0]["oldLines"], 0);
        assert_eq!(p[0]["lines"], json!(["+x", "+y"]));
        assert_eq!(structured_patch("same\n", "same\n"), json!([]));
        let u = unified_diff("a\n", "b\n", Path::new("/f"));
        assert!(u.contains("-a\n+b"), "{u}");
    }
}
