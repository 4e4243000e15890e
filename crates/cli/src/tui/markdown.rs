//! Streaming markdown → terminal lines.
//!
//! Text arrives in arbitrary chunks; a line is rendered once it is complete (the partial last
//! line waits), so every rendered line can go straight into the scrollback and is never redrawn.
//! Blocks (headings, lists, quotes, fenced code, rules) are recognised per line; a table waits
//! for its last row so the column widths fit. Inline spans (emphasis, code, links,
//! strikethrough) come from pulldown-cmark.

use super::highlight::{self, Highlighter};
use super::text::{self, Span, paint, wrap_spans};
use super::theme::{self, Style, Theme};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// A table longer than this is printed as it is, not buffered further (memory stays bounded).
const MAX_TABLE_ROWS: usize = 200;

pub struct Markdown {
    theme: Theme,
    width: usize,
    base: Style,
    first_gutter: Span,
    rest_gutter: Span,
    partial: String,
    /// Rows of the partial line already emitted.
    partial_rows: usize,
    /// A width waiting for the partial line to end.
    next_width: Option<usize>,
    code: Option<CodeBlock>,
    table: Vec<String>,
    /// Lines emitted so far (the first one gets `first_gutter`).
    emitted: usize,
    /// A blank line is owed before the next content (blank runs collapse, edges are trimmed).
    blank_pending: bool,
}

struct CodeBlock {
    fence: String,
    /// Colours for a language the highlighter knows.
    highlighter: Option<Highlighter>,
}

/// Block-level shape of one source line.
enum Block<'a> {
    Blank,
    Fence {
        fence: String,
        lang: &'a str,
    },
    Heading {
        level: usize,
        text: &'a str,
    },
    Rule,
    Quote {
        depth: usize,
        text: &'a str,
    },
    Item {
        indent: usize,
        marker: String,
        text: &'a str,
    },
    Para {
        indent: usize,
        text: &'a str,
    },
}

fn classify(line: &str) -> Block<'_> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if trimmed.is_empty() {
        return Block::Blank;
    }
    if indent <= 3 {
        for fc in ['`', '~'] {
            let n = trimmed.chars().take_while(|c| *c == fc).count();
            if n >= 3 {
                let lang = trimmed[n..].trim();
                if fc == '`' && lang.contains('`') {
                    break;
                }
                return Block::Fence {
                    fence: std::iter::repeat_n(fc, n).collect(),
                    lang: lang.split_whitespace().next().unwrap_or(""),
                };
            }
        }
        let hashes = trimmed.chars().take_while(|c| *c == '#').count();
        if (1..=6).contains(&hashes) {
            let rest = &trimmed[hashes..];
            if rest.is_empty() || rest.starts_with(' ') {
                let text = rest.trim().trim_end_matches('#').trim_end();
                return Block::Heading {
                    level: hashes,
                    text,
                };
            }
        }
        let compact: String = trimmed.chars().filter(|c| *c != ' ').collect();
        if compact.len() >= 3
            && let Some(first) = compact.chars().next()
            && matches!(first, '-' | '*' | '_')
            && compact.chars().all(|c| c == first)
        {
            return Block::Rule;
        }
        if trimmed.starts_with('>') {
            let mut depth = 0;
            let mut rest = trimmed;
            while let Some(r) = rest.strip_prefix('>') {
                depth += 1;
                rest = r.trim_start();
            }
            return Block::Quote { depth, text: rest };
        }
    }
    for m in ['-', '*', '+'] {
        if let Some(rest) = trimmed.strip_prefix(m)
            && (rest.starts_with(' ') || rest.is_empty())
        {
            let rest = rest.trim_start();
            if let Some(r) = rest.strip_prefix("[ ] ") {
                return Block::Item {
                    indent,
                    marker: "☐".into(),
                    text: r,
                };
            }
            if let Some(r) = rest
                .strip_prefix("[x] ")
                .or_else(|| rest.strip_prefix("[X] "))
            {
                return Block::Item {
                    indent,
                    marker: "☒".into(),
                    text: r,
                };
            }
            let marker = if indent >= 2 { "◦" } else { "•" };
            return Block::Item {
                indent,
                marker: marker.into(),
                text: rest,
            };
        }
    }
    let digits = trimmed.chars().take_while(|c| c.is_ascii_digit()).count();
    if (1..=9).contains(&digits) {
        let rest = &trimmed[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Block::Item {
                indent,
                marker: format!("{}.", &trimmed[..digits]),
                text: r.trim_start(),
            };
        }
    }
    Block::Para {
        indent,
        text: trimmed,
    }
}

/// Inline markdown of one line → spans in `base` style.
pub fn inline_spans(src: &str, base: Style) -> Vec<Span> {
    // The line's block structure was handled already: escape a first character that would
    // make pulldown-cmark see a block (heading, list, quote, ...) instead of inline text.
    let mut escaped = String::with_capacity(src.len() + 1);
    let first = src.chars().next();
    let digits = src.chars().take_while(|c| c.is_ascii_digit()).count();
    if matches!(
        first,
        Some('#' | '>' | '-' | '+' | '*' | '=' | '_' | '|' | '~' | '`' | '<')
    ) {
        if first == Some('*') || first == Some('_') || first == Some('`') || first == Some('~') {
            // Emphasis, code and strikethrough must stay inline: only a lone marker followed by
            // a space is a block marker, and then escaping is harmless.
            if src[1..].starts_with(' ') {
                escaped.push('\\');
            }
        } else {
            escaped.push('\\');
        }
        escaped.push_str(src);
    } else if digits > 0 && matches!(src[digits..].chars().next(), Some('.' | ')')) {
        escaped.push_str(&src[..digits]);
        escaped.push('\\');
        escaped.push_str(&src[digits..]);
    } else {
        escaped.push_str(src);
    }
    let mut spans: Vec<Span> = Vec::new();
    let mut stack: Vec<Style> = vec![base];
    let mut links: Vec<(String, usize)> = Vec::new();
    let push = |spans: &mut Vec<Span>, style: Style, t: &str| {
        if let Some(last) = spans.last_mut()
            && last.style == style
        {
            last.text.push_str(t);
        } else {
            spans.push(Span::new(style, t));
        }
    };
    let opts = Options::ENABLE_STRIKETHROUGH;
    for ev in Parser::new_ext(&escaped, opts) {
        let cur = stack.last().copied().unwrap_or(base);
        match ev {
            Event::Start(tag) => {
                let s = match tag {
                    Tag::Emphasis => cur.italic(),
                    Tag::Strong => cur.bold(),
                    Tag::Strikethrough => cur.strike(),
                    Tag::Link { dest_url, .. } => {
                        let text_start: usize = spans.iter().map(|s| s.text.len()).sum();
                        links.push((dest_url.to_string(), text_start));
                        cur.merge(theme::LINK)
                    }
                    Tag::Image { dest_url, .. } => {
                        push(&mut spans, cur, "[image: ");
                        links.push((dest_url.to_string(), usize::MAX));
                        cur
                    }
                    _ => cur,
                };
                stack.push(s);
            }
            Event::End(tag) => {
                stack.pop();
                match tag {
                    TagEnd::Link => {
                        if let Some((url, start)) = links.pop() {
                            let all: String = spans.iter().map(|s| s.text.as_str()).collect();
                            let shown = all.get(start..).unwrap_or("");
                            if shown != url && !url.is_empty() && !url.starts_with('#') {
                                push(
                                    &mut spans,
                                    base.merge(theme::SECONDARY),
                                    &format!(" ({url})"),
                                );
                            }
                        }
                    }
                    TagEnd::Image => {
                        links.pop();
                        push(&mut spans, cur, "]");
                    }
                    _ => {}
                }
            }
            Event::Text(t) => push(&mut spans, cur, &text::sanitize(&t)),
            Event::Code(t) => push(&mut spans, cur.merge(theme::CODE), &text::sanitize(&t)),
            Event::InlineMath(t) | Event::DisplayMath(t) => push(&mut spans, cur, &t),
            Event::Html(t) | Event::InlineHtml(t) => {
                push(&mut spans, cur, &text::sanitize(t.trim_end_matches('\n')))
            }
            Event::SoftBreak | Event::HardBreak => push(&mut spans, cur, " "),
            Event::FootnoteReference(t) => push(&mut spans, cur, &format!("[^{t}]")),
            Event::TaskListMarker(done) => push(&mut spans, cur, if done { "☒ " } else { "☐ " }),
            Event::Rule => {}
        }
    }
    spans
}

/// True when `s` has no inline markup left open (code spans, emphasis, strikethrough, link
/// brackets), so rendering it now gives the same text as rendering it with what follows.
fn markup_balanced(s: &str) -> bool {
    if !s.matches('`').count().is_multiple_of(2) || !s.matches("~~").count().is_multiple_of(2) {
        return false;
    }
    // Links: `[text](url)` renders shorter once complete; `<url>` too.
    if s.matches('[').count() != s.matches(']').count()
        || s.matches('(').count() != s.matches(')').count()
        || s.matches('<').count() != s.matches('>').count()
        || s.ends_with(']')
    {
        return false;
    }
    // Runs of `*` and `_` open or close emphasis (`**` is one run), except a run between
    // spaces (`2 * 3`) and `_` inside a word (snake_case): balanced text has an even number.
    let chars: Vec<char> = s.chars().collect();
    let mut stars = 0usize;
    let mut unders = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '*' && c != '_' {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i] == c {
            i += 1;
        }
        let prev = if start > 0 { chars[start - 1] } else { ' ' };
        let next = chars.get(i).copied().unwrap_or(' ');
        if prev.is_whitespace() && next.is_whitespace() {
            continue;
        }
        if c == '_' && prev.is_alphanumeric() && next.is_alphanumeric() {
            continue;
        }
        if c == '*' {
            stars += 1;
        } else {
            unders += 1;
        }
    }
    stars.is_multiple_of(2) && unders.is_multiple_of(2) && !s.ends_with('*') && !s.ends_with('_')
}

#[derive(Clone, Copy, PartialEq)]
enum Align {
    Left,
    Center,
    Right,
}

fn split_row(line: &str) -> Vec<String> {
    let t = line.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut in_code = false;
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '`' => {
                in_code = !in_code;
                cur.push(c);
            }
            '|' if !in_code => cells.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    cells.push(cur.trim().to_string());
    cells
}

fn separator_aligns(line: &str) -> Option<Vec<Align>> {
    let cells = split_row(line);
    let mut out = Vec::new();
    for c in &cells {
        let c = c.trim();
        let core = c.trim_matches(':');
        if core.is_empty() || !core.chars().all(|ch| ch == '-') {
            return None;
        }
        out.push(match (c.starts_with(':'), c.ends_with(':')) {
            (true, true) => Align::Center,
            (false, true) => Align::Right,
            _ => Align::Left,
        });
    }
    Some(out)
}

impl Markdown {
    /// `first_gutter` starts the first line; every other line starts with `rest_gutter`.
    pub fn new(
        theme: Theme,
        width: usize,
        base: Style,
        first_gutter: Span,
        rest_gutter: Span,
    ) -> Self {
        Markdown {
            theme,
            width: width.max(20),
            base,
            first_gutter,
            rest_gutter,
            partial: String::new(),
            partial_rows: 0,
            next_width: None,
            code: None,
            table: Vec::new(),
            emitted: 0,
            blank_pending: false,
        }
    }

    /// The assistant's text: `● ` then the text, indented by two.
    pub fn assistant(theme: Theme, width: usize) -> Self {
        Markdown::new(
            theme,
            width,
            Style::plain(),
            Span::plain("● "),
            Span::plain("  "),
        )
    }

    /// Thinking: dimmed and in italics, indented by two.
    pub fn thinking(theme: Theme, width: usize) -> Self {
        Markdown::new(
            theme,
            width,
            theme::DIM.italic(),
            Span::plain("  "),
            Span::plain("  "),
        )
    }

    /// A new width applies from the next line: rows of a line already partly emitted must
    /// keep the width they were laid out for.
    pub fn set_width(&mut self, width: usize) {
        if self.partial_rows == 0 {
            self.width = width.max(20);
        } else {
            self.next_width = Some(width.max(20));
        }
    }

    /// True until the first line of the current block is rendered.
    pub fn nothing_emitted(&self) -> bool {
        self.emitted == 0
    }

    /// Feeds streamed text; returns the lines completed by it.
    pub fn push(&mut self, delta: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.partial.push_str(delta);
        while let Some(nl) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=nl).collect();
            self.line(line.trim_end_matches(['\n', '\r']), &mut out);
        }
        if !self.partial.is_empty() {
            self.stream_partial(&mut out);
        }
        out
    }

    /// Renders whatever is left (the partial last line, a pending table). The stream can be
    /// reused afterwards for a new block.
    pub fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(line.trim_end_matches('\r'), &mut out);
        }
        self.flush_table(&mut out);
        self.code = None;
        self.partial_rows = 0;
        self.emitted = 0;
        self.blank_pending = false;
        out
    }

    fn content_width(&self) -> usize {
        self.width
            .saturating_sub(text::width(&self.rest_gutter.text))
            .max(10)
    }

    fn emit(&mut self, spans: Vec<Span>, out: &mut Vec<String>) {
        if self.blank_pending && self.emitted > 0 {
            out.push(String::new());
        }
        self.blank_pending = false;
        let gutter = if self.emitted == 0 {
            self.first_gutter.clone()
        } else {
            self.rest_gutter.clone()
        };
        let mut row = vec![gutter];
        row.extend(spans);
        out.push(paint(&self.theme, &row));
        self.emitted += 1;
    }

    fn emit_rows(&mut self, rows: Vec<Vec<Span>>, out: &mut Vec<String>) {
        for r in rows {
            self.emit(r, out);
        }
    }

    fn line(&mut self, raw: &str, out: &mut Vec<String>) {
        if let Some(code) = &self.code {
            let t = raw.trim_start();
            let fc = code.fence.chars().next().unwrap_or('`');
            let n = t.chars().take_while(|c| *c == fc).count();
            if n >= code.fence.len() && t[n..].trim().is_empty() && raw.len() - t.len() <= 3 {
                self.code = None;
                return;
            }
            self.code_line(raw, out);
            return;
        }
        let is_table_row = raw.trim_start().starts_with('|') && self.code.is_none();
        if is_table_row {
            if self.table.len() >= MAX_TABLE_ROWS {
                self.flush_table(out);
            }
            self.table.push(raw.to_string());
            return;
        }
        self.flush_table(out);
        let w = self.content_width();
        let base = self.base;
        let skip = std::mem::take(&mut self.partial_rows);
        if let Some(rows) = self.text_rows(raw) {
            self.emit_rows(rows.into_iter().skip(skip).collect(), out);
            if let Some(w) = self.next_width.take() {
                self.width = w;
            }
            return;
        }
        match classify(raw) {
            Block::Blank => self.blank_pending = true,
            Block::Fence { fence, lang } => {
                self.code = Some(CodeBlock {
                    fence,
                    highlighter: Highlighter::for_info(lang),
                });
                if !lang.is_empty() {
                    let label = Span::new(base.merge(theme::SECONDARY), lang.to_string());
                    self.emit(vec![label], out);
                }
            }
            Block::Rule => {
                let line = "─".repeat(w.min(80));
                self.emit(vec![Span::new(base.merge(theme::SECONDARY), line)], out);
            }
            _ => {}
        }
    }

    /// The rows of a line of text (heading, quote, list item, paragraph); `None` for other
    /// blocks.
    fn text_rows(&self, raw: &str) -> Option<Vec<Vec<Span>>> {
        let w = self.content_width();
        let base = self.base;
        let rows = match classify(raw) {
            Block::Heading { level, text } => {
                let style = match level {
                    1 => base.bold().underline(),
                    2 => base.bold(),
                    _ => base.bold().italic(),
                };
                wrap_spans(&inline_spans(text, style), w, &[], &[])
            }
            Block::Quote { depth, text } => {
                let bar = Span::new(base.merge(theme::SECONDARY), "▎ ".repeat(depth));
                let spans = inline_spans(text, base.merge(Style::plain().italic()));
                wrap_spans(
                    &spans,
                    w,
                    std::slice::from_ref(&bar),
                    std::slice::from_ref(&bar),
                )
            }
            Block::Item {
                indent,
                marker,
                text,
            } => {
                let pad = " ".repeat(indent.min(12));
                let lead = format!("{pad}{marker} ");
                let hang = " ".repeat(text::width(&lead));
                wrap_spans(
                    &inline_spans(text, base),
                    w,
                    &[Span::new(base, lead)],
                    &[Span::new(base, hang)],
                )
            }
            Block::Para { indent, text } => {
                let pad = Span::new(base, " ".repeat(indent.min(12)));
                wrap_spans(
                    &inline_spans(text, base),
                    w,
                    std::slice::from_ref(&pad),
                    std::slice::from_ref(&pad),
                )
            }
            _ => return None,
        };
        Some(rows)
    }

    /// A long line still streaming: its rows before the last are final once the text so far
    /// has no open inline markup (greedy wrapping never changes earlier rows when text is
    /// appended), so they are emitted now instead of when the line ends.
    fn stream_partial(&mut self, out: &mut Vec<String>) {
        // Cheapest first: most partial lines are shorter than a row.
        if self.code.is_some()
            || text::width(&self.partial) < self.content_width()
            || self.partial.trim_start().starts_with('|')
            || !markup_balanced(&self.partial)
        {
            return;
        }
        let raw = self.partial.clone();
        let Some(rows) = self.text_rows(&raw) else {
            return;
        };
        let done = rows.len().saturating_sub(1);
        if done > self.partial_rows {
            self.flush_table(out);
            let new: Vec<Vec<Span>> = rows
                .into_iter()
                .take(done)
                .skip(self.partial_rows)
                .collect();
            self.emit_rows(new, out);
            self.partial_rows = done;
        }
    }

    fn code_line(&mut self, raw: &str, out: &mut Vec<String>) {
        let w = self.content_width().saturating_sub(2).max(4);
        let clean = text::sanitize(raw);
        let base = self.base;
        // A language the highlighter knows: coloured tokens on plain text; else all in the
        // code colour.
        let (tokens, plain) = match self.code.as_mut().and_then(|c| c.highlighter.as_mut()) {
            Some(h) => (h.line(&clean), base),
            None => (Vec::new(), base.merge(theme::CODE)),
        };
        for (a, b) in text::hard_wrap_ranges(&clean, w) {
            let mut row = vec![Span::new(base.merge(theme::SECONDARY), "│ ")];
            row.extend(highlight::spans(&clean, &tokens, a..b, base, plain));
            self.emit(row, out);
        }
    }

    fn flush_table(&mut self, out: &mut Vec<String>) {
        if self.table.is_empty() {
            return;
        }
        let lines = std::mem::take(&mut self.table);
        let base = self.base;
        let aligns = lines.get(1).and_then(|l| separator_aligns(l));
        let has_header = aligns.is_some();
        let rows: Vec<Vec<Vec<Span>>> = lines
            .iter()
            .enumerate()
            .filter(|(i, _)| !(has_header && *i == 1))
            .map(|(i, l)| {
                split_row(l)
                    .iter()
                    .map(|c| {
                        let st = if has_header && i == 0 {
                            base.bold()
                        } else {
                            base
                        };
                        inline_spans(c, st)
                    })
                    .collect()
            })
            .collect();
        let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
        if ncols == 0 {
            return;
        }
        let aligns = aligns.unwrap_or_default();
        let mut widths = vec![1usize; ncols];
        for r in &rows {
            for (j, c) in r.iter().enumerate() {
                widths[j] = widths[j].max(text::spans_width(c));
            }
        }
        // Borders and padding take 3 columns per cell plus one.
        let avail = self
            .content_width()
            .saturating_sub(3 * ncols + 1)
            .max(ncols);
        while widths.iter().sum::<usize>() > avail {
            let Some((j, _)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else {
                break;
            };
            if widths[j] <= 3 {
                break;
            }
            widths[j] -= 1;
        }
        let border = base.merge(theme::SECONDARY);
        let rule = |l: &str, m: &str, r: &str| -> Vec<Span> {
            let mut s = String::from(l);
            for (j, w) in widths.iter().enumerate() {
                s.push_str(&"─".repeat(w + 2));
                s.push_str(if j + 1 == ncols { r } else { m });
            }
            vec![Span::new(border, s)]
        };
        self.emit(rule("┌", "┬", "┐"), out);
        for (i, r) in rows.iter().enumerate() {
            let wrapped: Vec<Vec<Vec<Span>>> = (0..ncols)
                .map(|j| {
                    let cell = r.get(j).cloned().unwrap_or_default();
                    wrap_spans(&cell, widths[j], &[], &[])
                })
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            for k in 0..height {
                let mut line = vec![Span::new(border, "│")];
                for j in 0..ncols {
                    let cell = wrapped[j].get(k).cloned().unwrap_or_default();
                    let cw = text::spans_width(&cell);
                    let gap = widths[j].saturating_sub(cw);
                    let (l, rgt) = match aligns.get(j).copied().unwrap_or(Align::Left) {
                        Align::Left => (0, gap),
                        Align::Right => (gap, 0),
                        Align::Center => (gap / 2, gap - gap / 2),
                    };
                    line.push(Span::plain(" ".repeat(l + 1)));
                    line.extend(cell);
                    line.push(Span::plain(" ".repeat(rgt + 1)));
                    line.push(Span::new(border, "│"));
                }
                self.emit(line, out);
            }
            if i == 0 && has_header && rows.len() > 1 {
                self.emit(rule("├", "┼", "┤"), out);
            }
        }
        self.emit(rule("└", "┴", "┘"), out);
    }
}

/// Renders a whole markdown text at once.
#[cfg(test)]
pub fn render(theme: Theme, width: usize, src: &str) -> Vec<String> {
    let mut md = Markdown::assistant(theme, width);
    let mut out = md.push(src);
    out.extend(md.finish());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "# Title\n\nSome *emphasis*, **strong**, `code` and a [link](https://example.com).\n\n## Steps\n\n1. First step\n2. Second step with a long line that needs wrapping because it keeps going on\n   - nested item\n- [ ] todo\n- [x] done\n\n> A quote\n> continues\n\n```rust\nfn main() {\n    println!(\"hi\");\n}\n```\n\n| Name | Size |\n|:-----|-----:|\n| a.rs | 10 |\n| longer_name.rs | 2048 |\n\n---\nDone ~~old~~.\n";

    #[test]
    fn snapshot_plain() {
        let lines = render(Theme::PLAIN, 60, SAMPLE);
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn snapshot_colored() {
        let lines = render(Theme::COLOR, 60, SAMPLE);
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn streaming_in_tiny_chunks_matches_whole() {
        let whole = render(Theme::COLOR, 50, SAMPLE);
        let mut md = Markdown::assistant(Theme::COLOR, 50);
        let mut got = Vec::new();
        let chars: Vec<char> = SAMPLE.chars().collect();
        for chunk in chars.chunks(3) {
            let s: String = chunk.iter().collect();
            got.extend(md.push(&s));
        }
        got.extend(md.finish());
        assert_eq!(got, whole);
    }

    #[test]
    fn a_long_paragraph_streams_its_finished_rows() {
        let mut md = Markdown::assistant(Theme::PLAIN, 24);
        let mut got = md.push("alpha beta gamma delta epsilon zeta eta ");
        assert_eq!(got, vec!["● alpha beta gamma delta"]);
        // An open emphasis holds rows back until it closes.
        got.extend(md.push("theta *iota kappa lambda mu nu xi omicron "));
        assert_eq!(got.len(), 1);
        got.extend(md.push("pi* rho"));
        got.extend(md.finish());
        let whole = render(
            Theme::PLAIN,
            24,
            "alpha beta gamma delta epsilon zeta eta theta *iota kappa lambda mu nu xi omicron pi* rho",
        );
        assert_eq!(got, whole);
        assert!(got.len() >= 4);
        assert!(markup_balanced("snake_case and a * b"));
        assert!(!markup_balanced("open `code"));
    }

    #[test]
    fn streamed_long_lines_render_like_whole_text() {
        let src = "Intro with `inline code` and **bold words** and a [link](https://example.com/x) then snake_case_names, 2 * 3 = 6, ~~gone~~ and <https://auto.link> plus 日本語のテキスト mixed in a long paragraph that wraps many times over.\n- a list item that is also long enough to wrap across several rows with *emphasis* inside it\n> a quoted line that keeps going and going past the width of the terminal\nend";
        for width in [20, 33, 47, 60] {
            let whole = render(Theme::COLOR, width, src);
            for chunk in 1..8 {
                let mut md = Markdown::assistant(Theme::COLOR, width);
                let mut got = Vec::new();
                let chars: Vec<char> = src.chars().collect();
                for c in chars.chunks(chunk) {
                    got.extend(md.push(&c.iter().collect::<String>()));
                }
                got.extend(md.finish());
                assert_eq!(got, whole, "width {width}, chunk {chunk}");
            }
        }
    }

    #[test]
    fn a_resize_mid_line_keeps_that_line_whole() {
        let mut md = Markdown::assistant(Theme::PLAIN, 24);
        let mut got = md.push("alpha beta gamma delta epsilon zeta eta ");
        md.set_width(40);
        got.extend(md.push("theta iota kappa\nnext line at the new width, longer than before\n"));
        got.extend(md.finish());
        let text: Vec<String> = got.iter().map(|l| l.trim().to_string()).collect();
        assert_eq!(
            text.join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            "● alpha beta gamma delta epsilon zeta eta theta iota kappa next line at the new width, longer than before"
        );
        // The next line used the new width.
        assert!(got.iter().any(|l| text::width(l) > 24), "{got:?}");
    }

    #[test]
    fn partial_line_waits_for_newline() {
        let mut md = Markdown::assistant(Theme::PLAIN, 40);
        assert!(md.push("Hello wor").is_empty());
        assert_eq!(md.push("ld\nNext"), vec!["● Hello world"]);
        assert_eq!(md.finish(), vec!["  Next"]);
    }

    #[test]
    fn inline_does_not_lose_leading_numbers_or_markers() {
        let t = |s: &str| {
            inline_spans(s, Style::plain())
                .iter()
                .map(|s| s.text.clone())
                .collect::<String>()
        };
        assert_eq!(t("2020. A year"), "2020. A year");
        assert_eq!(t("# not a heading"), "# not a heading");
        assert_eq!(t("*emph* start"), "emph start");
        assert_eq!(t("- dash"), "- dash");
        assert_eq!(t("a | b"), "a | b");
    }

    #[test]
    fn lines_fit_the_width() {
        for w in [20, 33, 60] {
            for l in render(Theme::COLOR, w, SAMPLE) {
                assert!(text::width(&l) <= w, "{w}: {l:?}");
            }
        }
    }

    const CODE: &str = "Some code:\n\n```python\ndef f(x):\n    \"\"\"Doc\n    string\"\"\"\n    return x + 1  # add\n```\n\n```sh\necho \"$HOME\" | wc -c\n```\n\n```\nno language: one colour\n```\n";

    #[test]
    fn code_blocks_are_highlighted_snapshot() {
        let plain = render(Theme::PLAIN, 40, CODE);
        insta::assert_snapshot!("code_plain", plain.join("\n"));
        let colored = render(Theme::COLOR, 40, CODE);
        insta::assert_snapshot!("code_colored", colored.join("\n"));
        // Colours change nothing but colours.
        let stripped: Vec<String> = colored.iter().map(|l| text::strip_ansi(l)).collect();
        assert_eq!(stripped, plain);
    }

    #[test]
    fn a_long_code_line_wraps_with_its_colours() {
        let line = format!("let s = \"{}\"; // end", "x".repeat(4096));
        let src = format!("```rust\n{line}\nfn next() {{}}\n```\n");
        let out = render(Theme::COLOR, 60, &src);
        for l in &out {
            assert!(text::width(l) <= 60, "{l:?}");
        }
        // The whole line is there, and the line after it is coloured again.
        let body: String = out
            .iter()
            .map(|l| text::strip_ansi(l))
            .filter_map(|l| l.strip_prefix("  │ ").map(str::to_string))
            .collect();
        assert!(body.starts_with(&line), "{body}");
        let last = out.iter().rev().find(|l| l.contains("next")).unwrap();
        assert!(last.contains("\x1b[35mfn\x1b[0m"), "{last:?}");
    }

    #[test]
    fn escape_sequences_from_the_model_are_neutralised() {
        let lines = render(Theme::PLAIN, 40, "evil \x1b[2J text\n");
        assert!(!lines.join("").contains('\x1b'));
    }
}
