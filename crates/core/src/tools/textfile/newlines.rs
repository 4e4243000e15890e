//! Line endings: CRLF files matched as LF, offsets mapped back to the raw text.

use std::borrow::Cow;

/// `\r\n` → `\n` (lone `\r` kept).
pub fn normalize_newlines(s: &str) -> Cow<'_, str> {
    if s.contains("\r\n") {
        Cow::Owned(s.replace("\r\n", "\n"))
    } else {
        Cow::Borrowed(s)
    }
}

/// True when most line breaks of `raw` are CRLF: new text is written with CRLF.
pub fn prefers_crlf(raw: &str) -> bool {
    let crlf = raw.matches("\r\n").count();
    let lf = raw.matches('\n').count();
    crlf > 0 && crlf * 2 >= lf
}

/// Maps offsets in the LF-normalised text back to the raw text (which may mix CRLF and LF).
pub(super) struct NewlineMap {
    /// Offsets, in the normalised text, of the `\n`s that were `\r\n`.
    crlf_at: Vec<usize>,
}

impl NewlineMap {
    /// The normalised text (borrowed when there is no CRLF: no copy of a large LF file) and the
    /// map back.
    pub(super) fn new(raw: &str) -> (Cow<'_, str>, NewlineMap) {
        if !raw.contains("\r\n") {
            return (
                Cow::Borrowed(raw),
                NewlineMap {
                    crlf_at: Vec::new(),
                },
            );
        }
        let mut norm = String::with_capacity(raw.len());
        let mut crlf_at = Vec::new();
        let mut last = 0;
        for (i, _) in raw.match_indices("\r\n") {
            norm.push_str(&raw[last..i]);
            crlf_at.push(norm.len());
            norm.push('\n');
            last = i + 2;
        }
        norm.push_str(&raw[last..]);
        (Cow::Owned(norm), NewlineMap { crlf_at })
    }

    pub(super) fn to_raw(&self, norm_off: usize) -> usize {
        norm_off + self.crlf_at.partition_point(|&p| p < norm_off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lf_text_is_borrowed_and_crlf_offsets_map_back() {
        let (norm, map) = NewlineMap::new("a\nb\n");
        assert!(matches!(norm, Cow::Borrowed(_)));
        assert_eq!(map.to_raw(3), 3);
        let raw = "a\r\nb\nc\r\nd";
        let (norm, map) = NewlineMap::new(raw);
        assert_eq!(norm, "a\nb\nc\nd");
        let d = norm.find('d').unwrap();
        assert_eq!(&raw[map.to_raw(d)..], "d");
        assert_eq!(map.to_raw(1), 1);
    }
}
