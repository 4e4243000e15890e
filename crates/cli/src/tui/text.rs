//! Display widths, styled spans and wrapping. Everything that decides how many terminal columns
//! or rows a piece of text takes goes through here, so wide characters (CJK, emoji) and escape
//! sequences are counted the same way everywhere.

use super::theme::{Style, Theme};
use unicode_width::UnicodeWidthChar;

/// Columns a character takes (control characters take none).
pub fn char_width(c: char) -> usize {
    if c == '\t' {
        return 4;
    }
    c.width().unwrap_or(0)
}

/// Columns `s` takes, ignoring ANSI escape sequences.
pub fn width(s: &str) -> usize {
    let mut w = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            skip_escape(&mut chars);
            continue;
        }
        w += char_width(c);
    }
    w
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            // CSI: parameters, then a final byte in 0x40..=0x7e.
            for c in chars.by_ref() {
                if ('\x40'..='\x7e').contains(&c) {
                    break;
                }
            }
        }
        Some(']') => {
            chars.next();
            // OSC: until BEL or ESC \.
            while let Some(c) = chars.next() {
                if c == '\x07' {
                    break;
                }
                if c == '\x1b' {
                    chars.next();
                    break;
                }
            }
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// `s` without ANSI escape sequences.
#[cfg(test)]
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            skip_escape(&mut chars);
        } else {
            out.push(c);
        }
    }
    out
}

/// Replaces characters that would move the cursor or change the terminal's state (control
/// characters, escapes) in text that comes from outside (model output, tool output, files).
pub fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' => out.push_str("    "),
            '\n' => out.push('\n'),
            '\r' => {}
            c if c.is_control() => out.push('\u{FFFD}'),
            // Bidi overrides could make text display differently from what it is.
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Cuts plain text to at most `max` columns, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if w + cw > max - 1 {
            break;
        }
        w += cw;
        out.push(c);
    }
    out.push('…');
    out
}

/// A run of text in one style.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub style: Style,
    pub text: String,
}

impl Span {
    pub fn new(style: Style, text: impl Into<String>) -> Self {
        Span {
            style,
            text: text.into(),
        }
    }
    pub fn plain(text: impl Into<String>) -> Self {
        Span::new(Style::plain(), text)
    }
}

/// Concatenates spans into a terminal string.
pub fn paint(theme: &Theme, spans: &[Span]) -> String {
    let mut out = String::new();
    for s in spans {
        out.push_str(&theme.paint(s.style, &s.text));
    }
    out
}

pub fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| width(&s.text)).sum()
}

/// Word-wraps spans into rows of at most `width` columns. The first row starts with `first`,
/// the following ones with `rest` (hanging indent). Words longer than a row are split.
pub fn wrap_spans(spans: &[Span], width: usize, first: &[Span], rest: &[Span]) -> Vec<Vec<Span>> {
    // Tokens: (style, text, is_space).
    let mut tokens: Vec<(Style, String, bool)> = Vec::new();
    for s in spans {
        let mut cur = String::new();
        let mut cur_space = false;
        for c in s.text.chars() {
            let sp = c == ' ';
            if !cur.is_empty() && sp != cur_space {
                tokens.push((s.style, std::mem::take(&mut cur), cur_space));
            }
            cur_space = sp;
            cur.push(c);
        }
        if !cur.is_empty() {
            tokens.push((s.style, cur, cur_space));
        }
    }
    let mut rows: Vec<Vec<Span>> = Vec::new();
    let mut row: Vec<Span> = first.to_vec();
    let mut row_w = spans_width(first);
    let mut row_has_text = false;
    let indent_w = spans_width(rest);
    let push = |row: &mut Vec<Span>, style: Style, text: &str| {
        if let Some(last) = row.last_mut()
            && last.style == style
        {
            last.text.push_str(text);
            return;
        }
        row.push(Span::new(style, text));
    };
    // Spaces wait until the next word: at a row break they are dropped.
    let mut pending_space: Option<(Style, String)> = None;
    let mut i = 0;
    while i < tokens.len() {
        let (style, ref text, is_space) = tokens[i];
        if is_space {
            if row_has_text {
                pending_space = Some((style, text.clone()));
            }
            i += 1;
            continue;
        }
        // A word made of several tokens (style changes inside it) stays together.
        let mut word_end = i + 1;
        let mut word_w = self::width(text);
        while word_end < tokens.len() && !tokens[word_end].2 {
            word_w += self::width(&tokens[word_end].1);
            word_end += 1;
        }
        let space_w = pending_space.as_ref().map_or(0, |(_, t)| self::width(t));
        if row_has_text && row_w + space_w + word_w > width {
            rows.push(std::mem::replace(&mut row, rest.to_vec()));
            row_w = indent_w;
            pending_space = None;
        } else if let Some((st, t)) = pending_space.take() {
            push(&mut row, st, &t);
            row_w += space_w;
        }
        for t in &tokens[i..word_end] {
            for c in t.1.chars() {
                let cw = char_width(c);
                if row_w + cw > width && row_w > indent_w {
                    rows.push(std::mem::replace(&mut row, rest.to_vec()));
                    row_w = indent_w;
                }
                let mut b = [0u8; 4];
                push(&mut row, t.0, c.encode_utf8(&mut b));
                row_w += cw;
            }
        }
        row_has_text = true;
        i = word_end;
    }
    if row_has_text || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// Splits plain text into rows of at most `width` columns at character boundaries (no word
/// logic): how the terminal itself wraps. Returns the byte ranges of each row.
pub fn hard_wrap_ranges(s: &str, width: usize) -> Vec<(usize, usize)> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut w = 0;
    for (i, c) in s.char_indices() {
        let cw = char_width(c);
        if w + cw > width {
            rows.push((start, i));
            start = i;
            w = 0;
        }
        w += cw;
    }
    rows.push((start, s.len()));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_wide_chars_and_skip_escapes() {
        assert_eq!(width("abc"), 3);
        assert_eq!(width("日本語"), 6);
        assert_eq!(width("\x1b[1;31mred\x1b[0m"), 3);
        assert_eq!(width("🦀x"), 3);
        assert_eq!(strip_ansi("\x1b[2mdim\x1b[0m"), "dim");
    }

    #[test]
    fn truncate_respects_wide_chars() {
        assert_eq!(truncate("hello world", 6), "hello…");
        assert_eq!(truncate("日本語です", 5), "日本…");
        assert_eq!(truncate("short", 10), "short");
    }

    #[test]
    fn sanitize_removes_controls() {
        assert_eq!(sanitize("a\x1b[2Jb\r\nc\td"), "a\u{FFFD}[2Jb\nc    d");
    }

    fn texts(rows: &[Vec<Span>]) -> Vec<String> {
        rows.iter()
            .map(|r| r.iter().map(|s| s.text.as_str()).collect::<String>())
            .collect()
    }

    #[test]
    fn wraps_words_with_hanging_indent() {
        let spans = vec![Span::plain("the quick brown fox jumps over the lazy dog")];
        let rows = wrap_spans(&spans, 16, &[Span::plain("- ")], &[Span::plain("  ")]);
        assert_eq!(
            texts(&rows),
            [
                "- the quick",
                "  brown fox",
                "  jumps over the",
                "  lazy dog"
            ]
        );
        for r in &rows {
            assert!(spans_width(r) <= 16);
        }
    }

    #[test]
    fn splits_long_words_and_wide_chars() {
        let spans = vec![Span::plain("日本語日本語日本語")];
        let rows = wrap_spans(&spans, 7, &[], &[]);
        assert_eq!(texts(&rows), ["日本語", "日本語", "日本語"]);
        let rows = wrap_spans(&[Span::plain("abcdefghij")], 4, &[], &[]);
        assert_eq!(texts(&rows), ["abcd", "efgh", "ij"]);
    }

    #[test]
    fn hard_wrap_keeps_wide_chars_whole() {
        let s = "ab日本";
        assert_eq!(hard_wrap_ranges(s, 3), vec![(0, 2), (2, 5), (5, 8)]);
        assert_eq!(hard_wrap_ranges("", 3), vec![(0, 0)]);
    }
}
