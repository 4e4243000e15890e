//! Text handling shared by the file tools: encodings that round-trip byte for byte, line
//! endings, the fallbacks that forgive what models paste into `old_string` (Read's line-number
//! prefixes, straight vs curly quotes), string replacement, diffs and small helpers.

use serde_json::{Value, json};
use similar::{ChangeTag, TextDiff};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Encodings

/// How a text file is stored on disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

/// First char of the range that stands for undecodable bytes (`0x80..=0xFF` → `ESCAPE_BASE + b`),
/// in a private-use plane that real text does not use.
const ESCAPE_BASE: u32 = 0x10_FE00;

fn escape_byte(b: u8) -> char {
    char::from_u32(ESCAPE_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

fn unescape_char(c: char) -> Option<u8> {
    let v = u32::from(c);
    (ESCAPE_BASE + 0x80..=ESCAPE_BASE + 0xFF)
        .contains(&v)
        .then(|| (v - ESCAPE_BASE) as u8)
}

/// A text file decoded so that [`TextDoc::encode`] gives back the same bytes for the parts that
/// were not changed: invalid UTF-8 bytes are kept as private-use escape chars, not replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextDoc {
    /// The text with its original line endings.
    pub text: String,
    pub encoding: Encoding,
    /// True when `text` holds escaped invalid bytes.
    escaped: bool,
}

/// Why a file cannot be edited as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// UTF-16 with unpaired surrogates or an odd length, or UTF-8 that already uses the escape
    /// range: it would not be written back unchanged.
    NotRoundTrip,
}

pub fn detect_bom(bytes: &[u8]) -> Encoding {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Encoding::Utf8Bom
    } else if bytes.starts_with(&[0xFF, 0xFE]) {
        Encoding::Utf16Le
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        Encoding::Utf16Be
    } else {
        Encoding::Utf8
    }
}

fn utf16_units(body: &[u8], le: bool) -> impl Iterator<Item = u16> + '_ {
    body.chunks_exact(2).map(move |c| {
        if le {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    })
}

/// Decodes for display: invalid sequences become U+FFFD.
pub fn decode_lossy(bytes: &[u8]) -> (String, Encoding) {
    let enc = detect_bom(bytes);
    let text = match enc {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Utf8Bom => String::from_utf8_lossy(&bytes[3..]).into_owned(),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            char::decode_utf16(utf16_units(&bytes[2..], enc == Encoding::Utf16Le))
                .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
                .collect()
        }
    };
    (text, enc)
}

impl TextDoc {
    /// Like [`TextDoc::decode`], reusing the buffer when it is plain UTF-8 (the common case).
    pub fn decode_owned(bytes: Vec<u8>) -> Result<TextDoc, DecodeError> {
        if detect_bom(&bytes) == Encoding::Utf8 {
            return match String::from_utf8(bytes) {
                Ok(text) => Ok(TextDoc {
                    text,
                    encoding: Encoding::Utf8,
                    escaped: false,
                }),
                Err(e) => Self::decode(e.as_bytes()),
            };
        }
        Self::decode(&bytes)
    }

    /// Decodes for editing; fails rather than lose bytes.
    pub fn decode(bytes: &[u8]) -> Result<TextDoc, DecodeError> {
        let encoding = detect_bom(bytes);
        match encoding {
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let body = &bytes[2..];
                if !body.len().is_multiple_of(2) {
                    return Err(DecodeError::NotRoundTrip);
                }
                let text = char::decode_utf16(utf16_units(body, encoding == Encoding::Utf16Le))
                    .collect::<Result<String, _>>()
                    .map_err(|_| DecodeError::NotRoundTrip)?;
                Ok(TextDoc {
                    text,
                    encoding,
                    escaped: false,
                })
            }
            Encoding::Utf8 | Encoding::Utf8Bom => {
                let body = if encoding == Encoding::Utf8Bom {
                    &bytes[3..]
                } else {
                    bytes
                };
                if let Ok(s) = std::str::from_utf8(body) {
                    return Ok(TextDoc {
                        text: s.to_string(),
                        encoding,
                        escaped: false,
                    });
                }
                let mut text = String::with_capacity(body.len());
                // Real text in the escape range would be written back as raw bytes.
                let mut conflict = false;
                let mut rest = body;
                loop {
                    let (good, bad) = match std::str::from_utf8(rest) {
                        Ok(s) => (s, None),
                        Err(e) => {
                            let (g, b) = rest.split_at(e.valid_up_to());
                            (
                                std::str::from_utf8(g).unwrap_or_default(),
                                Some((b, e.error_len().unwrap_or(b.len()))),
                            )
                        }
                    };
                    conflict |= good.chars().any(|c| unescape_char(c).is_some());
                    text.push_str(good);
                    let Some((bad, n)) = bad else { break };
                    for &b in &bad[..n] {
                        text.push(escape_byte(b));
                    }
                    rest = &bad[n..];
                }
                if conflict {
                    return Err(DecodeError::NotRoundTrip);
                }
                Ok(TextDoc {
                    text,
                    encoding,
                    escaped: true,
                })
            }
        }
    }

    /// A new document in the same encoding as `self`.
    pub fn with_text(&self, text: String) -> TextDoc {
        TextDoc {
            text,
            encoding: self.encoding,
            escaped: self.escaped,
        }
    }

    pub fn new_utf8(text: String) -> TextDoc {
        TextDoc {
            text,
            encoding: Encoding::Utf8,
            escaped: false,
        }
    }

    /// The bytes to write.
    pub fn encode(&self) -> Vec<u8> {
        encode_text(&self.text, self.encoding, self.escaped)
    }

    /// The text as the model sees it (escaped bytes shown as U+FFFD).
    pub fn display_text(&self) -> Cow<'_, str> {
        if !self.escaped {
            return Cow::Borrowed(&self.text);
        }
        Cow::Owned(
            self.text
                .chars()
                .map(|c| {
                    if unescape_char(c).is_some() {
                        char::REPLACEMENT_CHARACTER
                    } else {
                        c
                    }
                })
                .collect(),
        )
    }
}

/// Encodes `text` in `encoding` (with its BOM).
pub fn encode_text(text: &str, encoding: Encoding, escaped: bool) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => {
            let mut out = Vec::with_capacity(text.len() + 3);
            if encoding == Encoding::Utf8Bom {
                out.extend_from_slice(&[0xEF, 0xBB, 0xBF]);
            }
            if escaped {
                let mut buf = [0u8; 4];
                for c in text.chars() {
                    match unescape_char(c) {
                        Some(b) => out.push(b),
                        None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
                    }
                }
            } else {
                out.extend_from_slice(text.as_bytes());
            }
            out
        }
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let le = encoding == Encoding::Utf16Le;
            let mut out = Vec::with_capacity(text.len() * 2 + 2);
            out.extend_from_slice(if le { &[0xFF, 0xFE] } else { &[0xFE, 0xFF] });
            for u in text.encode_utf16() {
                out.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            out
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Line endings

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
struct NewlineMap {
    /// Offsets, in the normalised text, of the `\n`s that were `\r\n`.
    crlf_at: Vec<usize>,
}

impl NewlineMap {
    fn new(raw: &str) -> (String, NewlineMap) {
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
        (norm, NewlineMap { crlf_at })
    }

    fn to_raw(&self, norm_off: usize) -> usize {
        norm_off + self.crlf_at.partition_point(|&p| p < norm_off)
    }
}

// ---------------------------------------------------------------------------------------------
// What models paste

/// Strips Read's line-number prefixes (`12\t` and 2.0's `    12→`) from every line, when every
/// non-empty line has one. `None` when the text does not look pasted from Read.
pub fn strip_line_prefixes(s: &str) -> Option<String> {
    fn strip(line: &str) -> Option<&str> {
        let t = line.trim_start_matches(' ');
        let digits = t.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let rest = &t[digits..];
        rest.strip_prefix('\t').or_else(|| rest.strip_prefix('→'))
    }
    let mut out = String::with_capacity(s.len());
    let mut any = false;
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if line.is_empty() {
            continue;
        }
        out.push_str(strip(line)?);
        any = true;
    }
    any.then_some(out)
}

fn is_curly(c: char) -> bool {
    matches!(c, '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}')
}

/// Curly quotes → straight ones. `None` when there are none.
pub fn straighten_quotes(s: &str) -> Option<String> {
    if !s.chars().any(is_curly) {
        return None;
    }
    Some(
        s.chars()
            .map(|c| match c {
                '\u{2018}' | '\u{2019}' => '\'',
                '\u{201C}' | '\u{201D}' => '"',
                c => c,
            })
            .collect(),
    )
}

/// Straight quotes → curly ones (for new text going into a region that uses curly quotes).
fn curl_quotes(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev: Option<char> = None;
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let opening = prev.is_none_or(|p| p.is_whitespace() || "([{<—–-".contains(p));
        let next_alnum = chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        let q = match c {
            '"' if opening => '\u{201C}',
            '"' => '\u{201D}',
            // An apostrophe inside a word (don't) is a closing quote.
            '\'' if opening && next_alnum => '\u{2018}',
            '\'' => '\u{2019}',
            c => c,
        };
        out.push(q);
        prev = Some(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Replacement

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

// ---------------------------------------------------------------------------------------------
// Diffs

const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

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

// ---------------------------------------------------------------------------------------------
// Messages

/// `1.5KB`, `12MB`, `300 bytes`, like Claude Code's size formatting.
pub fn format_size(bytes: u64) -> String {
    fn one(v: f64, unit: &str) -> String {
        let s = format!("{v:.1}");
        format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
    }
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes} bytes")
    } else if b < 1024.0 * 1024.0 {
        one(b / 1024.0, "KB")
    } else if b < 1024.0 * 1024.0 * 1024.0 {
        one(b / (1024.0 * 1024.0), "MB")
    } else {
        one(b / (1024.0 * 1024.0 * 1024.0), "GB")
    }
}

/// Levenshtein distance between `a` and `b`, in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// A file near `path` the model may have meant: the same path under `cwd` (for `/src/x` meant
/// relative), or a sibling with another case, another extension or a small typo.
pub fn similar_file(path: &Path, cwd: &Path) -> Option<PathBuf> {
    if let Ok(rel) = path.strip_prefix("/")
        && !path.starts_with(cwd)
    {
        let c = cwd.join(rel);
        if c.is_file() {
            return Some(c);
        }
    }
    let parent = path.parent()?;
    let name = path.file_name()?.to_string_lossy().into_owned();
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let lname = name.to_lowercase();
    let mut best: Option<(usize, PathBuf)> = None;
    for entry in std::fs::read_dir(parent).ok()?.flatten().take(2000) {
        let cand = entry.file_name().to_string_lossy().into_owned();
        if cand == name {
            continue;
        }
        let cpath = entry.path();
        let score = if cand.to_lowercase() == lname {
            0
        } else if stem.is_some()
            && Path::new(&cand)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                == stem
        {
            1
        } else {
            let d = edit_distance(&cand.to_lowercase(), &lname);
            if d > 2 || d * 4 > lname.chars().count() {
                continue;
            }
            1 + d
        };
        if best
            .as_ref()
            .is_none_or(|(s, p)| score < *s || (score == *s && cpath < *p))
        {
            best = Some((score, cpath));
        }
    }
    best.map(|(_, p)| p)
}

/// Claude Code's missing-file message, with a suggestion when one is found.
pub fn missing_file_message(path: &Path, cwd: &Path) -> String {
    let mut msg = format!(
        "File does not exist. Note: your current working directory is {}.",
        cwd.display()
    );
    if let Some(s) = similar_file(path, cwd) {
        msg.push_str(&format!(" Did you mean {}?", s.display()));
    }
    msg
}

/// The message for a path that is a directory.
pub fn directory_message(path: &Path) -> String {
    format!(
        "{} is a directory, not a file. Use Glob or `ls` (Bash) to list it.",
        path.display()
    )
}

/// The message for a path that is neither a regular file nor a directory. Such files are never
/// read whole (a FIFO may block forever, `/dev/zero` never ends) nor replaced.
pub fn special_file_message(path: &Path) -> String {
    format!(
        "{} is not a regular file (a device, FIFO or socket); only regular files can be edited \
         or written.",
        path.display()
    )
}

// ---------------------------------------------------------------------------------------------
// Sniffing

/// The media type of an image the API accepts, from its magic bytes.
pub fn sniff_image(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

pub fn is_pdf(head: &[u8]) -> bool {
    head.starts_with(b"%PDF-")
}

/// Base64 length of `n` bytes.
pub fn base64_len(n: u64) -> u64 {
    n.div_ceil(3) * 4
}

pub fn is_notebook(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("ipynb"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_invalid_bytes_round_trips() {
        let bytes = b"caf\xe9 ok\n\xff\xfe tail\n".to_vec();
        let d = TextDoc::decode(&bytes).unwrap();
        assert_eq!(d.encode(), bytes);
        assert!(d.display_text().contains('\u{FFFD}'));
        let d2 = d.with_text(d.text.replace("ok", "fine"));
        assert_eq!(d2.encode(), b"caf\xe9 fine\n\xff\xfe tail\n".to_vec());
        assert_eq!(TextDoc::decode_owned(bytes.clone()).unwrap(), d);
        let plain = TextDoc::decode_owned(b"plain".to_vec()).unwrap();
        assert_eq!(
            (plain.text.as_str(), plain.encoding),
            ("plain", Encoding::Utf8)
        );
        let bom = TextDoc::decode_owned(b"\xEF\xBB\xBFb".to_vec()).unwrap();
        assert_eq!((bom.text.as_str(), bom.encoding), ("b", Encoding::Utf8Bom));
        // Real text in the escape range next to invalid bytes cannot round-trip.
        let mut clash = "\u{10FEFF}".as_bytes().to_vec();
        clash.push(0xFF);
        assert_eq!(TextDoc::decode(&clash), Err(DecodeError::NotRoundTrip));
    }

    #[test]
    fn boms_round_trip() {
        let mut u8bom = vec![0xEF, 0xBB, 0xBF];
        u8bom.extend_from_slice("héllo\r\n".as_bytes());
        let d = TextDoc::decode(&u8bom).unwrap();
        assert_eq!(d.encoding, Encoding::Utf8Bom);
        assert_eq!(d.text, "héllo\r\n");
        assert_eq!(d.encode(), u8bom);

        for enc in [Encoding::Utf16Le, Encoding::Utf16Be] {
            let bytes = encode_text("a€b\n😀", enc, false);
            let d = TextDoc::decode(&bytes).unwrap();
            assert_eq!(d.encoding, enc);
            assert_eq!(d.text, "a€b\n😀");
            assert_eq!(d.encode(), bytes);
            assert_eq!(decode_lossy(&bytes).0, "a€b\n😀");
        }
        // Odd length UTF-16 cannot be written back unchanged.
        assert_eq!(
            TextDoc::decode(&[0xFF, 0xFE, 0x41]),
            Err(DecodeError::NotRoundTrip)
        );
    }

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

    #[test]
    fn sizes_and_sniffing() {
        assert_eq!(format_size(100), "100 bytes");
        assert_eq!(format_size(1536), "1.5KB");
        assert_eq!(format_size(3 * 1024 * 1024), "3MB");
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\nxxxx"), Some("image/png"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"GIF89a"), Some("image/gif"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"hello"), None);
        assert!(is_pdf(b"%PDF-1.7"));
        assert_eq!(base64_len(3), 4);
        assert_eq!(base64_len(4), 8);
    }

    #[test]
    fn suggests_similar_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("config.yaml"), "").unwrap();
        std::fs::write(d.path().join("README.md"), "").unwrap();
        let s = similar_file(&d.path().join("config.yml"), d.path()).unwrap();
        assert_eq!(s, d.path().join("config.yaml"));
        let s = similar_file(&d.path().join("readme.md"), d.path()).unwrap();
        assert_eq!(s, d.path().join("README.md"));
        assert_eq!(similar_file(&d.path().join("zzzzzz.rs"), d.path()), None);
        // A "root-relative" path meant under cwd.
        std::fs::create_dir(d.path().join("src")).unwrap();
        std::fs::write(d.path().join("src/lib.rs"), "").unwrap();
        assert_eq!(
            similar_file(Path::new("/src/lib.rs"), d.path()),
            Some(d.path().join("src/lib.rs"))
        );
    }
}
