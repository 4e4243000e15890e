//! String replacement on LF-normalised text that keeps the file's own line endings and quote
//! style, forgiving pasted line numbers and straightened quotes when the match stays unique.

use super::newlines::{NewlineMap, normalize_newlines, prefers_crlf};
use super::paste::{curl_quotes, is_curly, straighten_quotes, strip_line_prefixes};
use std::borrow::Cow;

/// Why an edit could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplaceError {
    NotFound,
    /// This many matches, but `replace_all` is false.
    Multiple(usize),
}

/// Which form of `old_string` matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    /// After stripping pasted line-number prefixes.
    StrippedPrefixes,
    /// After straightening curly quotes.
    Quotes,
    StrippedPrefixesAndQuotes,
}

/// The result of a replacement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replaced {
    /// The new raw text (original line endings kept outside the replaced ranges).
    pub text: String,
    pub count: usize,
    pub kind: MatchKind,
}

/// Replaces `old` with `new` in `raw`. Matching is done on LF-normalised text so a CRLF (or
/// mixed) file matches an LF `old`; the untouched parts keep their bytes and the new text gets
/// the file's dominant line ending. When `old` is not found as is, pasted line-number prefixes
/// and curly quotes are forgiven, but only if the forgiving match is unique (or `replace_all`).
pub fn replace(
    raw: &str,
    old: &str,
    new: &str,
    replace_all: bool,
) -> Result<Replaced, ReplaceError> {
    if old.is_empty() {
        return Err(ReplaceError::NotFound);
    }
    let (norm, map) = NewlineMap::new(raw);
    let old_n = normalize_newlines(old);
    let new_n = normalize_newlines(new);

    // Candidate (old, new) pairs, in order of preference.
    let mut cands: Vec<(Cow<'_, str>, Cow<'_, str>, MatchKind)> =
        vec![(old_n.clone(), new_n.clone(), MatchKind::Exact)];
    let stripped = strip_line_prefixes(&old_n).map(|o| {
        let n = strip_line_prefixes(&new_n).map_or(new_n.clone(), Cow::Owned);
        (o, n)
    });
    if let Some((o, n)) = &stripped {
        cands.push((
            Cow::Owned(o.clone()),
            n.clone(),
            MatchKind::StrippedPrefixes,
        ));
    }

    for (o, n, kind) in &cands {
        let hits = find_all(&norm, o, replace_all)?;
        if !hits.is_empty() {
            let ranges: Vec<(usize, usize)> = hits.iter().map(|&i| (i, i + o.len())).collect();
            return Ok(splice(raw, &map, &ranges, n, |_| None, *kind));
        }
    }

    // Quote-insensitive: search straightened text; offsets shift by 2 bytes per curly quote
    // (each is 3 bytes in UTF-8, its straight form 1).
    let norm_q = straighten_quotes(&norm);
    let hay = norm_q.as_deref().unwrap_or(&norm);
    let curly_at: Vec<usize> = if norm_q.is_some() {
        let mut v = Vec::new();
        let mut q_off = 0;
        for c in norm.chars() {
            if is_curly(c) {
                v.push(q_off);
            }
            q_off += if is_curly(c) { 1 } else { c.len_utf8() };
        }
        v
    } else {
        Vec::new()
    };
    let to_norm = |q: usize| q + 2 * curly_at.partition_point(|&p| p < q);
    let mut q_cands: Vec<(String, Cow<'_, str>, MatchKind)> = Vec::new();
    let old_q = straighten_quotes(&old_n);
    if norm_q.is_some() || old_q.is_some() {
        q_cands.push((
            old_q.unwrap_or_else(|| old_n.to_string()),
            new_n.clone(),
            MatchKind::Quotes,
        ));
        if let Some((o, n)) = &stripped {
            q_cands.push((
                straighten_quotes(o).unwrap_or_else(|| o.clone()),
                n.clone(),
                MatchKind::StrippedPrefixesAndQuotes,
            ));
        }
    }
    for (o, n, kind) in &q_cands {
        let hits = find_all(hay, o, replace_all)?;
        if !hits.is_empty() {
            let ranges: Vec<(usize, usize)> = hits
                .iter()
                .map(|&i| (to_norm(i), to_norm(i + o.len())))
                .collect();
            // Keep the file's quote style when the model typed straight quotes.
            let restyle = |matched: &str| {
                (matched.chars().any(is_curly) && !n.chars().any(is_curly)).then(|| curl_quotes(n))
            };
            return Ok(splice_with_norm(
                raw, &norm, &map, &ranges, n, restyle, *kind,
            ));
        }
    }
    Err(ReplaceError::NotFound)
}

/// Where `needle` occurs in `hay` (nowhere when it is empty); several occurrences are an error
/// unless `replace_all`.
fn find_all(hay: &str, needle: &str, replace_all: bool) -> Result<Vec<usize>, ReplaceError> {
    if needle.is_empty() {
        return Ok(Vec::new());
    }
    let hits: Vec<usize> = hay.match_indices(needle).map(|(i, _)| i).collect();
    if hits.len() > 1 && !replace_all {
        return Err(ReplaceError::Multiple(hits.len()));
    }
    Ok(hits)
}

fn splice(
    raw: &str,
    map: &NewlineMap,
    ranges: &[(usize, usize)],
    new: &str,
    restyle: impl Fn(&str) -> Option<String>,
    kind: MatchKind,
) -> Replaced {
    splice_with_norm(raw, "", map, ranges, new, restyle, kind)
}

/// Builds the new raw text: raw bytes between the matches, `new` (with the file's line ending)
/// in their place. `norm` is only needed when `restyle` looks at the matched text.
fn splice_with_norm(
    raw: &str,
    norm: &str,
    map: &NewlineMap,
    ranges: &[(usize, usize)],
    new: &str,
    restyle: impl Fn(&str) -> Option<String>,
    kind: MatchKind,
) -> Replaced {
    let crlf = prefers_crlf(raw);
    let fix_eol = |s: &str| {
        if crlf {
            s.replace('\n', "\r\n")
        } else {
            s.to_string()
        }
    };
    let plain = fix_eol(new);
    let mut out = String::with_capacity(raw.len() + ranges.len() * new.len());
    let mut last = 0;
    for &(s, e) in ranges {
        let (rs, re) = (map.to_raw(s), map.to_raw(e));
        out.push_str(&raw[last..rs]);
        match norm.get(s..e).and_then(&restyle) {
            Some(styled) => out.push_str(&fix_eol(&styled)),
            None => out.push_str(&plain),
        }
        last = re;
    }
    out.push_str(&raw[last..]);
    Replaced {
        text: out,
        count: ranges.len(),
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_keeps_crlf_and_mixed_endings() {
        let raw = "a\r\nb\r\nc\r\n";
        let r = replace(raw, "b\nc", "B\nC\nD", false).unwrap();
        assert_eq!(r.text, "a\r\nB\r\nC\r\nD\r\n");
        // Mixed: untouched lines keep their own ending.
        let raw = "x\r\ny\nz\r\nw\r\n";
        let r = replace(raw, "y", "Y", false).unwrap();
        assert_eq!(r.text, "x\r\nY\nz\r\nw\r\n");
        let r = replace(raw, "y\nz", "yz", false).unwrap();
        assert_eq!(r.text, "x\r\nyz\r\nw\r\n");
    }

    #[test]
    fn replace_counts_and_replace_all() {
        assert_eq!(
            replace("aXbXc", "X", "Y", false),
            Err(ReplaceError::Multiple(2))
        );
        let r = replace("aXbXc", "X", "Y", true).unwrap();
        assert_eq!((r.text.as_str(), r.count), ("aYbYc", 2));
        assert_eq!(replace("abc", "z", "y", false), Err(ReplaceError::NotFound));
        assert_eq!(replace("abc", "", "y", false), Err(ReplaceError::NotFound));
    }

    #[test]
    fn pasted_prefixes_are_stripped() {
        let file = "fn main() {\n    let x = 1;\n    println!(\"{x}\");\n}\n";
        // 2.1 compact form.
        let r = replace(
            file,
            "2\t    let x = 1;\n3\t    println!(\"{x}\");",
            "2\t    let x = 2;\n3\t    println!(\"{x}\");",
            false,
        )
        .unwrap();
        assert_eq!(r.kind, MatchKind::StrippedPrefixes);
        assert_eq!(r.text, file.replace("x = 1", "x = 2"));
        // 2.0 arrow form, new_string without prefixes.
        let r = replace(file, "     2→    let x = 1;", "    let x = 3;", false).unwrap();
        assert_eq!(r.text, file.replace("x = 1", "x = 3"));
        assert_eq!(strip_line_prefixes("no prefix\n2\tx"), None);
        assert_eq!(
            strip_line_prefixes("1\ta\n\n3\tb").as_deref(),
            Some("a\n\nb")
        );
    }

    #[test]
    fn curly_quotes_are_forgiven_and_kept() {
        let file = "He said \u{201C}hello\u{201D} and it\u{2019}s fine.\n";
        let r = replace(file, "\"hello\" and it's", "\"bye\" and it's", false).unwrap();
        assert_eq!(r.kind, MatchKind::Quotes);
        assert_eq!(
            r.text,
            "He said \u{201C}bye\u{201D} and it\u{2019}s fine.\n"
        );
        // Curly in old_string, straight in the file.
        let r = replace("say \"hi\" now", "\u{201C}hi\u{201D}", "\"yo\"", false).unwrap();
        assert_eq!(r.text, "say \"yo\" now");
        // Not unique after normalising: refused.
        assert_eq!(
            replace("\u{2018}a\u{2019} 'a'", "'a'x", "b", false),
            Err(ReplaceError::NotFound)
        );
        assert_eq!(
            replace("\u{2018}a\u{2019} 'a' ", "'a' ", "b", false),
            Ok(Replaced {
                text: "\u{2018}a\u{2019} b".into(),
                count: 1,
                kind: MatchKind::Exact
            })
        );
        assert_eq!(
            replace("\u{2018}a\u{2019}, \u{2018}a\u{2019}", "'a'", "b", false),
            Err(ReplaceError::Multiple(2))
        );
    }
}
