//! Display widths, styled spans and wrapping. Everything that decides how many terminal columns
//! or rows a piece of text takes goes through here, so wide characters (CJK, emoji) and escape
//! sequences are counted the same way everywhere.

use super::theme::{Style, Theme};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthChar;

/// Columns a character takes (control characters take none).
pub fn char_width(c: char) -> usize {
    if c == '\t' {
        return 4;
    }
    c.width().unwrap_or(0)
}

/// Columns a grapheme cluster takes: the sum of its characters' widths. A flag (two regional
/// indicators) and a letter with combining marks come out right everywhere; an emoji ZWJ
/// sequence counts each joined emoji, which is what terminals without grapheme clustering
/// (xterm, VTE, …) draw. Terminals that draw it as one glyph then show a row a little short
/// rather than overflowing it, which would break the live region's layout.
pub fn grapheme_width(g: &str) -> usize {
    g.chars().map(char_width).sum()
}

/// The grapheme clusters of `s` with their byte offsets: the units the editor moves over and
/// deletes, and the smallest units wrapping may split at.
pub fn graphemes(s: &str) -> unicode_segmentation::GraphemeIndices<'_> {
    s.grapheme_indices(true)
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
    for (_, g) in graphemes(s) {
        let gw = grapheme_width(g);
        if w + gw > max - 1 {
            break;
        }
        w += gw;
        out.push_str(g);
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
    let mut out = String::with_capacity(spans.iter().map(|s| s.text.len() + 12).sum());
    for s in spans {
        theme.paint_into(&mut out, s.style, &s.text);
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
            for (_, g) in graphemes(&t.1) {
                let gw = grapheme_width(g);
                if row_w + gw > width && row_w > indent_w {
                    rows.push(std::mem::replace(&mut row, rest.to_vec()));
                    row_w = indent_w;
                }
                push(&mut row, t.0, g);
                row_w += gw;
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

/// Splits plain text into rows of at most `width` columns between grapheme clusters (no word
/// logic): how the terminal itself wraps. Returns the byte ranges of each row.
pub fn hard_wrap_ranges(s: &str, width: usize) -> Vec<(usize, usize)> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut w = 0;
    for (i, g) in graphemes(s) {
        let gw = grapheme_width(g);
        if w + gw > width && i > start {
            rows.push((start, i));
            start = i;
            w = 0;
        }
        w += gw;
    }
    rows.push((start, s.len()));
    rows
}

/// Splits plain text (one line) into rows of at most `width` columns at word boundaries: a
/// row ends after a run of spaces, and only a word longer than a row is cut. The ranges are
/// contiguous (a row keeps the spaces it ends with), so every byte offset lies in a row.
pub fn word_wrap_ranges(s: &str, width: usize) -> Vec<(usize, usize)> {
    let width = width.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    let mut w = 0;
    // Where the last word of the row starts, and the row's width before it.
    let mut word: Option<(usize, usize)> = None;
    let mut after_space = false;
    for (i, g) in graphemes(s) {
        let gw = grapheme_width(g);
        let space = g == " " || g == "\t";
        if !space && after_space {
            word = Some((i, w));
        }
        if w + gw > width && i > start {
            match word {
                Some((at, before)) if !space && at > start => {
                    rows.push((start, at));
                    start = at;
                    w -= before;
                }
                _ => {
                    rows.push((start, i));
                    start = i;
                    w = 0;
                }
            }
            word = None;
        }
        w += gw;
        after_space = space;
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
    fn clusters_stay_whole_when_cut_or_wrapped() {
        let flag = "🇫🇷";
        let family = "👨\u{200d}👩\u{200d}👧";
        let accent = "e\u{301}";
        assert_eq!(grapheme_width(flag), 2);
        assert_eq!(grapheme_width(accent), 1);
        let s = format!("{flag}{accent}{family}x");
        let clusters: Vec<&str> = graphemes(&s).map(|(_, g)| g).collect();
        assert_eq!(clusters, [flag, accent, family, "x"]);
        // Every row boundary falls between clusters.
        for w in 1..8 {
            for (a, b) in hard_wrap_ranges(&s, w)
                .into_iter()
                .chain(word_wrap_ranges(&s, w))
            {
                assert!(
                    clusters_start_at(&s, a) && clusters_start_at(&s, b),
                    "{w}: {a}..{b}"
                );
            }
        }
        assert_eq!(truncate(&format!("ab{flag}cd"), 4), "ab…");
        assert_eq!(
            truncate(&format!("a{accent}{accent}cd"), 4),
            format!("a{accent}{accent}…")
        );
        let rows = wrap_spans(
            &[Span::plain(format!("{accent}{accent}{accent}"))],
            2,
            &[],
            &[],
        );
        assert_eq!(
            texts(&rows),
            [format!("{accent}{accent}"), accent.to_string()]
        );
    }

    fn clusters_start_at(s: &str, at: usize) -> bool {
        at == s.len() || graphemes(s).any(|(i, _)| i == at)
    }

    #[test]
    fn word_wrap_breaks_between_words() {
        let s = "the quick brown fox jumps";
        let rows: Vec<&str> = word_wrap_ranges(s, 10)
            .iter()
            .map(|&(a, b)| &s[a..b])
            .collect();
        assert_eq!(rows, ["the quick ", "brown fox ", "jumps"]);
        // A word longer than a row is cut; spaces that do not fit start the next row.
        let s = "abcdefghijkl mn";
        let rows: Vec<&str> = word_wrap_ranges(s, 5)
            .iter()
            .map(|&(a, b)| &s[a..b])
            .collect();
        assert_eq!(rows, ["abcde", "fghij", "kl mn"]);
        let s = "abcde fg";
        let rows: Vec<&str> = word_wrap_ranges(s, 5)
            .iter()
            .map(|&(a, b)| &s[a..b])
            .collect();
        assert_eq!(rows, ["abcde", " fg"]);
        assert_eq!(word_wrap_ranges("", 5), vec![(0, 0)]);
        // Contiguous and within the width.
        let s = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod";
        for w in 1..30 {
            let rows = word_wrap_ranges(s, w);
            assert_eq!(rows[0].0, 0);
            assert_eq!(rows.last().unwrap().1, s.len());
            for p in rows.windows(2) {
                assert_eq!(p[0].1, p[1].0);
            }
            for (a, b) in rows {
                assert!(width(&s[a..b]) <= w);
            }
        }
    }

    #[test]
    fn hard_wrap_keeps_wide_chars_whole() {
        let s = "ab日本";
        assert_eq!(hard_wrap_ranges(s, 3), vec![(0, 2), (2, 5), (5, 8)]);
        assert_eq!(hard_wrap_ranges("", 3), vec![(0, 0)]);
    }
}
