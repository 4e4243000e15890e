//! The renderer: a stack of open elements fed by the tokenizer, writing markdown.

use super::elements::{block_gap, closes_p, is_dropped, is_void};
use super::entities::decode_entities;
use super::table::Table;
use super::tokenizer::Token;
use super::writer::{Capture, Writer};

#[derive(Debug)]
pub(super) enum Kind {
    /// Nothing to do on close.
    Plain,
    /// A block: newlines before and after.
    Block(usize),
    /// Inline markers (`**`, `*`, `~~`, quotes); empty for a nested repeat of `<b>`/`<i>`.
    Marker {
        open: &'static str,
        close: &'static str,
    },
    Link(Option<String>),
    Heading(String),
    List,
    Item,
    Quote,
    Pre,
    Code,
    Table,
    Row,
    Cell,
    /// A table nested in a cell: rendered as plain lines.
    FlatTable,
    FlatRow,
    FlatCell,
}

pub(super) struct Frame {
    pub(super) tag: String,
    pub(super) kind: Kind,
    /// For lists: ordered, next number.
    pub(super) list: Option<(bool, u64)>,
}

/// Deeper nesting than this is flattened: broken pages must not cost quadratic time.
const MAX_DEPTH: usize = 512;

pub(super) struct Converter {
    pub(super) w: Writer,
    pub(super) frames: Vec<Frame>,
    pub(super) tables: Vec<Table>,
    base: Option<reqwest::Url>,
    /// Inside a dropped element: (its name, nesting depth).
    skip: Option<(String, usize)>,
    bold: usize,
    em: usize,
    heading: usize,
}

pub(super) fn attr<'a>(attrs: &'a [(String, String)], k: &str) -> Option<&'a str> {
    attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn collapse_ws(s: &str) -> String {
    s.split(|c: char| c.is_ascii_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn longest_backtick_run(s: &str) -> usize {
    let mut best = 0;
    let mut cur = 0;
    for c in s.chars() {
        if c == '`' {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

fn code_lang(attrs: &[(String, String)]) -> String {
    let class = attr(attrs, "class").unwrap_or("");
    for c in class.split_ascii_whitespace() {
        for p in ["language-", "lang-", "highlight-source-"] {
            if let Some(l) = c.strip_prefix(p)
                && !l.is_empty()
            {
                return l.to_string();
            }
        }
    }
    attr(attrs, "data-lang")
        .map(str::to_string)
        .unwrap_or_default()
}

impl Converter {
    pub(super) fn new(base_url: Option<&str>) -> Self {
        Converter {
            w: Writer::default(),
            frames: Vec::new(),
            tables: Vec::new(),
            base: base_url.and_then(|u| reqwest::Url::parse(u).ok()),
            skip: None,
            bold: 0,
            em: 0,
            heading: 0,
        }
    }

    /// An absolute URL for `href`, or `None` for links that lead nowhere useful.
    fn resolve(&self, href: &str) -> Option<String> {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') {
            return None;
        }
        let lower = href.get(..11).unwrap_or(href).to_ascii_lowercase();
        if lower.starts_with("javascript:") {
            return None;
        }
        let resolved = match &self.base {
            Some(b) => b.join(href).map(|u| u.to_string()).ok(),
            None => None,
        };
        // Spaces would end a markdown link destination.
        Some(
            resolved
                .unwrap_or_else(|| href.to_string())
                .replace(' ', "%20"),
        )
    }

    pub(super) fn token(&mut self, t: Token<'_>) {
        if let Some((name, depth)) = &mut self.skip {
            match &t {
                Token::Start {
                    name: n,
                    attrs,
                    self_closing,
                } => {
                    if n == "base" {
                        self.set_base(attrs);
                    } else if n == "body" && name == "head" {
                        // An unclosed head ends where the body starts.
                        self.skip = None;
                        return self.token(t);
                    } else if n == name && !*self_closing && !is_void(n) {
                        *depth += 1;
                    }
                }
                Token::End(n) if n == name => {
                    *depth -= 1;
                    if *depth == 0 {
                        self.skip = None;
                    }
                }
                _ => {}
            }
            return;
        }
        match t {
            Token::Text(s) => {
                if self.in_table_outside_cell() && s.trim().is_empty() {
                    return;
                }
                self.w.text(&decode_entities(s));
            }
            Token::Start {
                name,
                attrs,
                self_closing,
            } => self.start(name, &attrs, self_closing),
            Token::End(name) => self.end(&name),
        }
    }

    fn set_base(&mut self, attrs: &[(String, String)]) {
        if let Some(h) = attr(attrs, "href") {
            let joined = match &self.base {
                Some(b) => b.join(h).ok(),
                None => reqwest::Url::parse(h).ok(),
            };
            if joined.is_some() {
                self.base = joined;
            }
        }
    }

    fn in_table_outside_cell(&self) -> bool {
        matches!(
            self.frames.last().map(|f| &f.kind),
            Some(Kind::Table | Kind::Row)
        )
    }

    fn capturing(&self) -> bool {
        self.w.capture.is_some()
    }

    fn start(&mut self, name: String, attrs: &[(String, String)], self_closing: bool) {
        if is_dropped(&name) {
            if !(self_closing && name == "svg") {
                self.skip = Some((name, 1));
            }
            return;
        }
        if self.capturing() {
            self.start_in_capture(&name, attrs);
            return;
        }
        match name.as_str() {
            "base" => return self.set_base(attrs),
            "br" => {
                if self.heading > 0 {
                    self.w.pending_space = true;
                } else {
                    self.w.line_break();
                }
                return;
            }
            "hr" => {
                self.close_p();
                self.w.block(2);
                self.w.word("---");
                self.w.block(2);
                return;
            }
            "img" => return self.image(attrs),
            "input" => {
                if attr(attrs, "type").is_some_and(|t| t.eq_ignore_ascii_case("checkbox")) {
                    let mark = if attr(attrs, "checked").is_some() {
                        "[x]"
                    } else {
                        "[ ]"
                    };
                    self.w.word(mark);
                    self.w.pending_space = true;
                }
                return;
            }
            n if is_void(n) => return,
            // The document wrappers carry nothing, and stray `</body>` must not close lists.
            "html" => return,
            _ => {}
        }
        if self.frames.len() >= MAX_DEPTH {
            return;
        }
        if closes_p(&name) {
            self.close_p();
        }
        let mut list = None;
        let kind = match name.as_str() {
            "b" | "strong" => self.marker(true),
            "i" | "em" => self.marker(false),
            "del" | "s" | "strike" => {
                self.w.open_marker("~~");
                Kind::Marker {
                    open: "~~",
                    close: "~~",
                }
            }
            "q" => {
                self.w.open_marker("\"");
                Kind::Marker {
                    open: "\"",
                    close: "\"",
                }
            }
            "a" => {
                if let Some(i) = self.frames.iter().rposition(|f| f.tag == "a") {
                    self.pop_to(i);
                }
                let href = attr(attrs, "href").and_then(|h| self.resolve(h));
                if href.is_some() {
                    self.w.open_marker("[");
                }
                Kind::Link(href)
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                if let Some(f) = self.frames.last()
                    && matches!(f.kind, Kind::Heading(_))
                {
                    self.pop_to(self.frames.len() - 1);
                }
                let level = usize::from(name.as_bytes()[1] - b'0');
                let marker = format!("{} ", "#".repeat(level));
                self.w.block(2);
                // The marker leads the line even when a link or emphasis opened first.
                self.w.pending_open.insert_str(0, &marker);
                self.heading += 1;
                Kind::Heading(marker)
            }
            "ul" | "ol" | "menu" | "dir" => {
                let nested = self.frames.iter().any(|f| matches!(f.kind, Kind::Item));
                self.w.block(if nested { 1 } else { 2 });
                let start = attr(attrs, "start")
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .unwrap_or(1);
                list = Some((name == "ol", start));
                Kind::List
            }
            "li" => {
                let list_at = self
                    .frames
                    .iter()
                    .rposition(|f| matches!(f.kind, Kind::List));
                if let Some(i) = self
                    .frames
                    .iter()
                    .rposition(|f| matches!(f.kind, Kind::Item))
                    && list_at.is_none_or(|l| i > l)
                {
                    self.pop_to(i);
                }
                let marker = match list_at.and_then(|i| self.frames[i].list.as_mut()) {
                    Some((true, n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "- ".to_string(),
                };
                self.w.block(1);
                let rest = " ".repeat(marker.len());
                self.w.push_prefix(marker, rest);
                Kind::Item
            }
            "blockquote" => {
                self.w.block(2);
                self.w.push_prefix("> ".into(), "> ".into());
                Kind::Quote
            }
            "pre" | "listing" | "plaintext" => {
                self.w.block(2);
                self.w.capture = Some(Capture {
                    pre: true,
                    lang: code_lang(attrs),
                    buf: String::new(),
                });
                Kind::Pre
            }
            "code" | "kbd" | "samp" | "tt" => {
                self.w.capture = Some(Capture {
                    pre: false,
                    lang: String::new(),
                    buf: String::new(),
                });
                Kind::Code
            }
            "table" => self.open_table(),
            "caption" if matches!(self.nearest_table_kind(), Some((_, Kind::Table))) => {
                let saved = std::mem::take(&mut self.w);
                if let Some(t) = self.tables.last_mut() {
                    t.saved = Some(saved);
                }
                Kind::Cell
            }
            "tr" => self.open_row(),
            "td" | "th" => self.open_cell(attrs),
            n => match block_gap(n) {
                Some(gap) => {
                    self.w.block(gap);
                    Kind::Block(gap)
                }
                None => Kind::Plain,
            },
        };
        self.frames.push(Frame {
            tag: name,
            kind,
            list,
        });
    }

    /// Inside `<pre>`/`<code>`: markup is ignored except what shapes lines, but elements are
    /// still tracked so their end tags match.
    fn start_in_capture(&mut self, name: &str, attrs: &[(String, String)]) {
        let Some(c) = &mut self.w.capture else { return };
        if name == "br" || (c.pre && (block_gap(name).is_some() || name == "li")) {
            if c.pre && !c.buf.is_empty() && !c.buf.ends_with('\n') {
                c.buf.push('\n');
            } else if !c.pre {
                c.buf.push(' ');
            }
        }
        if name == "code" && c.lang.is_empty() {
            c.lang = code_lang(attrs);
        }
        if !is_void(name) && self.frames.len() < MAX_DEPTH {
            self.frames.push(Frame {
                tag: name.to_string(),
                kind: Kind::Plain,
                list: None,
            });
        }
    }

    fn marker(&mut self, bold: bool) -> Kind {
        let (depth, m) = if bold {
            (&mut self.bold, "**")
        } else {
            (&mut self.em, "*")
        };
        *depth += 1;
        if *depth == 1 {
            self.w.open_marker(m);
            Kind::Marker { open: m, close: m }
        } else {
            Kind::Marker {
                open: "",
                close: "",
            }
        }
    }

    fn image(&mut self, attrs: &[(String, String)]) {
        let alt = collapse_ws(attr(attrs, "alt").unwrap_or(""));
        let src = attr(attrs, "src")
            .filter(|s| !s.trim().is_empty())
            .or_else(|| attr(attrs, "data-src"))
            .or_else(|| attr(attrs, "srcset").and_then(|s| s.split_ascii_whitespace().next()))
            .unwrap_or("");
        if src.trim_start().starts_with("data:") || src.trim().is_empty() {
            // Inline data would flood the page; keep what the image says, if anything.
            if !alt.is_empty() {
                self.w.word(&format!("![{alt}]"));
            }
            return;
        }
        if let Some(url) = self.resolve(src) {
            self.w.word(&format!("![{alt}]({url})"));
        }
    }

    /// Closes an open `<p>` unless a table cell or similar scope boundary comes first.
    fn close_p(&mut self) {
        for i in (0..self.frames.len()).rev() {
            match self.frames[i].tag.as_str() {
                "p" => return self.pop_to(i),
                "table" | "td" | "th" | "caption" | "button" | "li" | "blockquote" => return,
                _ => {}
            }
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "html" | "body" => return,
            "br" => return self.w.line_break(),
            "p" if !self.frames.iter().any(|f| f.tag == "p") => return self.w.block(2),
            _ => {}
        }
        if let Some(i) = self.frames.iter().rposition(|f| f.tag == name) {
            self.pop_to(i);
        }
    }

    /// Closes the frames from the top down to and including index `i`.
    pub(super) fn pop_to(&mut self, i: usize) {
        while self.frames.len() > i {
            let Some(f) = self.frames.pop() else { return };
            self.close(f);
        }
    }

    fn close(&mut self, f: Frame) {
        match f.kind {
            Kind::Plain => {}
            Kind::Block(gap) => self.w.block(gap),
            Kind::Marker { open, close } => {
                if f.tag == "b" || f.tag == "strong" {
                    self.bold = self.bold.saturating_sub(1);
                } else if f.tag == "i" || f.tag == "em" {
                    self.em = self.em.saturating_sub(1);
                }
                self.w.close_marker(open, close);
            }
            Kind::Link(href) => {
                if let Some(h) = href {
                    self.w.close_marker("[", &format!("]({h})"));
                }
            }
            Kind::Heading(marker) => {
                self.heading = self.heading.saturating_sub(1);
                // Still pending means the heading was empty: leave nothing behind.
                if self.w.pending_open.starts_with(&marker) {
                    self.w.pending_open.drain(..marker.len());
                }
                self.w.block(2);
            }
            Kind::List => {
                let nested = self.frames.iter().any(|f| matches!(f.kind, Kind::Item));
                self.w.block(if nested { 1 } else { 2 });
            }
            Kind::Item => {
                self.w.pop_prefix();
                self.w.block(1);
            }
            Kind::Quote => {
                self.w.pop_prefix();
                self.w.block(2);
            }
            Kind::Pre => {
                if let Some(c) = self.w.capture.take() {
                    self.write_fence(c);
                }
            }
            Kind::Code => {
                if let Some(c) = self.w.capture.take() {
                    self.write_inline_code(&c.buf);
                }
            }
            Kind::Cell => self.close_cell(&f.tag),
            Kind::Row => {
                if let Some(t) = self.tables.last_mut()
                    && let Some(r) = t.row.take()
                {
                    t.rows.push(r);
                }
            }
            Kind::Table => {
                if let Some(t) = self.tables.pop() {
                    self.write_table(t);
                }
            }
            Kind::FlatTable | Kind::FlatRow => self.w.line_break(),
            Kind::FlatCell => self.w.pending_space = true,
        }
    }

    fn write_fence(&mut self, c: Capture) {
        let mut body = c.buf.as_str();
        // HTML ignores a newline right after `<pre>`.
        body = body.strip_prefix("\r\n").unwrap_or(body);
        body = body.strip_prefix('\n').unwrap_or(body);
        let body = body.replace("\r\n", "\n");
        let body = body.trim_end();
        if body.trim().is_empty() {
            self.w.block(2);
            return;
        }
        let fence = "`".repeat(longest_backtick_run(body).max(2) + 1);
        self.w.block(2);
        self.w.pending_open.clear();
        self.w
            .raw_lines(&format!("{fence}{}\n{body}\n{fence}", c.lang));
        self.w.block(2);
    }

    fn write_inline_code(&mut self, buf: &str) {
        let code = collapse_ws(buf);
        if code.is_empty() {
            return;
        }
        let ticks = "`".repeat(longest_backtick_run(&code) + 1);
        let pad = if code.starts_with('`') || code.ends_with('`') {
            " "
        } else {
            ""
        };
        self.w.word(&format!("{ticks}{pad}{code}{pad}{ticks}"));
    }

    pub(super) fn finish(mut self) -> String {
        self.pop_to(0);
        self.w.finish()
    }
}
