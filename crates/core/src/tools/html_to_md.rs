//! A small, forgiving HTML → markdown converter for WebFetch.
//!
//! Not an HTML5 parser: a tolerant tokenizer feeds a renderer that keeps a stack of open
//! elements, closes what HTML implies (`<p>`, `<li>`, `<td>` …) and ignores stray end tags.
//! Output is meant for a model to read, so text is not markdown-escaped (escapes only add noise)
//! and anything without content for a reader (scripts, styles, SVG, the `<head>`) is dropped.

use std::borrow::Cow;

/// Converts `html` to markdown. Relative links and images are resolved against `base_url`
/// (the page's URL) or a `<base href>` in the page.
pub fn html_to_markdown(html: &str, base_url: Option<&str>) -> String {
    let mut c = Converter::new(base_url);
    let mut tok = Tokenizer::new(html);
    while let Some(t) = tok.next_token() {
        c.token(t);
    }
    c.finish()
}

// ---------------------------------------------------------------------------------------------
// Entities

/// Decodes character references (`&amp;`, `&#233;`, `&#x1F600;`). Unknown or unterminated
/// named references stay as written, like browsers do for `AT&T`.
pub fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match decode_one(rest) {
            Some((ch, used)) => {
                out.push(ch);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Decodes the reference at the start of `s` (which starts with `&`): (text, bytes used).
fn decode_one(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.get(1) == Some(&b'#') {
        let (hex, start) = match b.get(2) {
            Some(b'x' | b'X') => (true, 3),
            _ => (false, 2),
        };
        let digits = b[start..]
            .iter()
            .take_while(|c| {
                if hex {
                    c.is_ascii_hexdigit()
                } else {
                    c.is_ascii_digit()
                }
            })
            .count();
        if digits == 0 {
            return None;
        }
        let num = &s[start..start + digits];
        // Absurdly long numbers saturate to an invalid code point.
        let code = u32::from_str_radix(num, if hex { 16 } else { 10 }).unwrap_or(u32::MAX);
        let mut used = start + digits;
        if b.get(used) == Some(&b';') {
            used += 1;
        }
        return Some((numeric_char(code), used));
    }
    let name_len = b[1..]
        .iter()
        .take(32)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 || b.get(1 + name_len) != Some(&b';') {
        return None;
    }
    let d = named_entity(&s[1..1 + name_len])?;
    Some((d, name_len + 2))
}

/// The character for a numeric reference, with the HTML rules for invalid values and the
/// Windows-1252 range that old pages use (`&#150;` is an en dash).
fn numeric_char(code: u32) -> char {
    if (0x80..=0x9f).contains(&code) {
        return cp1252_high(code as u8);
    }
    if code == 0 {
        return '\u{fffd}';
    }
    char::from_u32(code).unwrap_or('\u{fffd}')
}

/// Windows-1252 bytes 0x80–0x9F (the rest of the code page equals Latin-1).
pub(crate) fn cp1252_high(b: u8) -> char {
    const T: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    T.get(usize::from(b.wrapping_sub(0x80)))
        .copied()
        .unwrap_or(char::from(b))
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ensp" => '\u{2002}',
        "emsp" => '\u{2003}',
        "thinsp" => '\u{2009}',
        "zwnj" => '\u{200c}',
        "zwj" => '\u{200d}',
        "shy" => '\u{ad}',
        "copy" | "COPY" => '©',
        "reg" | "REG" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "minus" => '−',
        "lsquo" => '‘',
        "rsquo" => '’',
        "sbquo" => '‚',
        "ldquo" => '“',
        "rdquo" => '”',
        "bdquo" => '„',
        "laquo" => '«',
        "raquo" => '»',
        "lsaquo" => '‹',
        "rsaquo" => '›',
        "bull" => '•',
        "middot" => '·',
        "prime" => '′',
        "Prime" => '″',
        "dagger" => '†',
        "Dagger" => '‡',
        "sect" => '§',
        "para" => '¶',
        "deg" => '°',
        "plusmn" => '±',
        "times" => '×',
        "divide" => '÷',
        "frac12" => '½',
        "frac14" => '¼',
        "frac34" => '¾',
        "sup1" => '¹',
        "sup2" => '²',
        "sup3" => '³',
        "micro" => 'µ',
        "permil" => '‰',
        "cent" => '¢',
        "pound" => '£',
        "yen" => '¥',
        "euro" => '€',
        "curren" => '¤',
        "iexcl" => '¡',
        "iquest" => '¿',
        "ordf" => 'ª',
        "ordm" => 'º',
        "not" => '¬',
        "macr" => '¯',
        "acute" => '´',
        "cedil" => '¸',
        "uml" => '¨',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "harr" => '↔',
        "lArr" => '⇐',
        "rArr" => '⇒',
        "hArr" => '⇔',
        "le" => '≤',
        "ge" => '≥',
        "ne" => '≠',
        "asymp" => '≈',
        "equiv" => '≡',
        "infin" => '∞',
        "sum" => '∑',
        "prod" => '∏',
        "radic" => '√',
        "part" => '∂',
        "forall" => '∀',
        "exist" => '∃',
        "isin" => '∈',
        "empty" => '∅',
        "and" => '∧',
        "or" => '∨',
        "cap" => '∩',
        "cup" => '∪',
        "int" => '∫',
        "loz" => '◊',
        "spades" => '♠',
        "clubs" => '♣',
        "hearts" => '♥',
        "diams" => '♦',
        "check" => '✓',
        "alpha" => 'α',
        "beta" => 'β',
        "gamma" => 'γ',
        "delta" => 'δ',
        "epsilon" => 'ε',
        "lambda" => 'λ',
        "mu" => 'μ',
        "pi" => 'π',
        "sigma" => 'σ',
        "tau" => 'τ',
        "phi" => 'φ',
        "omega" => 'ω',
        "Delta" => 'Δ',
        "Sigma" => 'Σ',
        "Omega" => 'Ω',
        "Agrave" => 'À',
        "Aacute" => 'Á',
        "Acirc" => 'Â',
        "Atilde" => 'Ã',
        "Auml" => 'Ä',
        "Aring" => 'Å',
        "AElig" => 'Æ',
        "Ccedil" => 'Ç',
        "Egrave" => 'È',
        "Eacute" => 'É',
        "Ecirc" => 'Ê',
        "Euml" => 'Ë',
        "Iacute" => 'Í',
        "Icirc" => 'Î',
        "Ntilde" => 'Ñ',
        "Oacute" => 'Ó',
        "Ocirc" => 'Ô',
        "Otilde" => 'Õ',
        "Ouml" => 'Ö',
        "Oslash" => 'Ø',
        "Uacute" => 'Ú',
        "Ucirc" => 'Û',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "agrave" => 'à',
        "aacute" => 'á',
        "acirc" => 'â',
        "atilde" => 'ã',
        "auml" => 'ä',
        "aring" => 'å',
        "aelig" => 'æ',
        "ccedil" => 'ç',
        "egrave" => 'è',
        "eacute" => 'é',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "igrave" => 'ì',
        "iacute" => 'í',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ntilde" => 'ñ',
        "ograve" => 'ò',
        "oacute" => 'ó',
        "ocirc" => 'ô',
        "otilde" => 'õ',
        "ouml" => 'ö',
        "oslash" => 'ø',
        "ugrave" => 'ù',
        "uacute" => 'ú',
        "ucirc" => 'û',
        "uuml" => 'ü',
        "yacute" => 'ý',
        "yuml" => 'ÿ',
        "oelig" => 'œ',
        "OElig" => 'Œ',
        "scaron" => 'š',
        "Scaron" => 'Š',
        "fnof" => 'ƒ',
        "circ" => 'ˆ',
        "tilde" => '˜',
        "NewLine" => '\n',
        "Tab" => '\t',
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Text(&'a str),
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    End(String),
}

/// Elements whose content is not markup: it runs to the matching end tag.
fn is_raw_text(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "textarea"
            | "title"
            | "xmp"
            | "iframe"
            | "noembed"
            | "noframes"
            | "noscript"
    )
}

struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// Set after a raw-text start tag: the next token is its content.
    raw_until: Option<String>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

impl<'a> Tokenizer<'a> {
    fn new(src: &'a str) -> Self {
        Tokenizer {
            src,
            pos: 0,
            raw_until: None,
        }
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    /// Byte offset of `needle` at or after `from`, or the end of the input.
    fn find_from(&self, from: usize, needle: &str) -> Option<usize> {
        self.src.get(from..)?.find(needle).map(|i| from + i)
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        loop {
            if let Some(name) = self.raw_until.take() {
                let end = self.raw_end(&name);
                let text = &self.src[self.pos..end];
                self.pos = end;
                if !text.is_empty() {
                    return Some(Token::Text(text));
                }
                continue;
            }
            let b = self.bytes();
            if self.pos >= b.len() {
                return None;
            }
            if b[self.pos] != b'<' {
                return Some(self.text());
            }
            match b.get(self.pos + 1).copied() {
                Some(c) if c.is_ascii_alphabetic() => return Some(self.start_tag()),
                Some(b'/') => {
                    if let Some(t) = self.end_tag() {
                        return Some(t);
                    }
                }
                Some(b'!') => {
                    if let Some(t) = self.markup_declaration() {
                        return Some(t);
                    }
                }
                Some(b'?') => self.skip_past(b'>'),
                // A lone `<` (as in `a < b`) is text.
                _ => return Some(self.text()),
            }
        }
    }

    /// Text up to the next `<` that can start markup.
    fn text(&mut self) -> Token<'a> {
        let b = self.bytes();
        let start = self.pos;
        let mut i = self.pos + 1;
        while i < b.len() {
            if b[i] == b'<'
                && b.get(i + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'/' | b'!' | b'?'))
            {
                break;
            }
            i += 1;
        }
        self.pos = i;
        Token::Text(&self.src[start..i])
    }

    fn skip_past(&mut self, c: u8) {
        let b = self.bytes();
        self.pos = b[self.pos..]
            .iter()
            .position(|x| *x == c)
            .map_or(b.len(), |i| self.pos + i + 1);
    }

    /// Where the content of a raw-text element ends: at `</name` followed by a delimiter.
    fn raw_end(&self, name: &str) -> usize {
        let b = self.bytes();
        let n = name.len();
        let mut from = self.pos;
        while let Some(i) = self.find_from(from, "</") {
            let after = i + 2;
            if b.len() >= after + n
                && b[after..after + n].eq_ignore_ascii_case(name.as_bytes())
                && b.get(after + n)
                    .is_none_or(|c| is_ws(*c) || matches!(c, b'/' | b'>'))
            {
                return i;
            }
            from = after;
        }
        b.len()
    }

    fn name_at(&mut self) -> String {
        let b = self.bytes();
        let start = self.pos;
        while self.pos < b.len() && !is_ws(b[self.pos]) && !matches!(b[self.pos], b'/' | b'>') {
            self.pos += 1;
        }
        self.src[start..self.pos].to_ascii_lowercase()
    }

    fn start_tag(&mut self) -> Token<'a> {
        self.pos += 1;
        let name = self.name_at();
        let mut attrs = Vec::new();
        let mut self_closing = false;
        let b = self.bytes();
        loop {
            while self.pos < b.len() && is_ws(b[self.pos]) {
                self.pos += 1;
            }
            let Some(&c) = b.get(self.pos) else { break };
            if c == b'>' {
                self.pos += 1;
                break;
            }
            if c == b'/' {
                self.pos += 1;
                if b.get(self.pos) == Some(&b'>') {
                    self_closing = true;
                }
                continue;
            }
            // Attribute name: a leading `=` is part of the name, as in HTML.
            let start = self.pos;
            self.pos += 1;
            while self.pos < b.len()
                && !is_ws(b[self.pos])
                && !matches!(b[self.pos], b'/' | b'>' | b'=')
            {
                self.pos += 1;
            }
            let attr = self.src[start..self.pos].to_ascii_lowercase();
            let mut p = self.pos;
            while p < b.len() && is_ws(b[p]) {
                p += 1;
            }
            let mut value = String::new();
            if b.get(p) == Some(&b'=') {
                p += 1;
                while p < b.len() && is_ws(b[p]) {
                    p += 1;
                }
                self.pos = p;
                value = self.attr_value();
            }
            if !attrs.iter().any(|(k, _)| *k == attr) {
                attrs.push((attr, value));
            }
        }
        if is_raw_text(&name) {
            self.raw_until = Some(name.clone());
        }
        Token::Start {
            name,
            attrs,
            self_closing,
        }
    }

    fn attr_value(&mut self) -> String {
        let b = self.bytes();
        let raw = match b.get(self.pos) {
            Some(&q @ (b'"' | b'\'')) => {
                let start = self.pos + 1;
                match b[start..].iter().position(|x| *x == q) {
                    Some(i) => {
                        self.pos = start + i + 1;
                        &self.src[start..start + i]
                    }
                    None => {
                        // Unclosed quote: stop at the next `>` rather than eat the document.
                        let end = b[start..]
                            .iter()
                            .position(|x| *x == b'>')
                            .map_or(b.len(), |i| start + i);
                        self.pos = end;
                        &self.src[start..end]
                    }
                }
            }
            _ => {
                let start = self.pos;
                while self.pos < b.len() && !is_ws(b[self.pos]) && b[self.pos] != b'>' {
                    self.pos += 1;
                }
                &self.src[start..self.pos]
            }
        };
        decode_entities(raw).into_owned()
    }

    fn end_tag(&mut self) -> Option<Token<'a>> {
        let b = self.bytes();
        match b.get(self.pos + 2) {
            Some(c) if c.is_ascii_alphabetic() => {
                self.pos += 2;
                let name = self.name_at();
                self.skip_past(b'>');
                Some(Token::End(name))
            }
            Some(b'>') => {
                self.pos += 3;
                None
            }
            None => {
                self.pos = b.len();
                None
            }
            // `</ foo>` and the like are bogus comments.
            _ => {
                self.skip_past(b'>');
                None
            }
        }
    }

    fn markup_declaration(&mut self) -> Option<Token<'a>> {
        let rest = &self.src[self.pos..];
        if rest.starts_with("<!--") {
            // Searching from `<!` also ends the degenerate `<!-->` and `<!--->`.
            self.pos = self
                .find_from(self.pos + 2, "-->")
                .map_or(self.src.len(), |i| i + 3);
            return None;
        }
        if rest.starts_with("<![CDATA[") {
            let start = self.pos + 9;
            let end = self.find_from(start, "]]>").unwrap_or(self.src.len());
            self.pos = (end + 3).min(self.src.len());
            return Some(Token::Text(&self.src[start..end]));
        }
        self.skip_past(b'>');
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Writer: markdown text with line prefixes (block quotes, list items)

struct Prefix {
    first: String,
    rest: String,
    used: bool,
}

/// What is being collected verbatim instead of rendered.
struct Capture {
    pre: bool,
    lang: String,
    buf: String,
}

#[derive(Default)]
struct Writer {
    out: String,
    prefixes: Vec<Prefix>,
    /// The current line has its prefix written.
    line_open: bool,
    /// The current line has content beyond its prefix.
    line_has_content: bool,
    /// Newlines wanted before the next content (1 = line break, 2 = blank line).
    pending_nl: usize,
    /// Newlines (including blank prefixed lines) at the end of `out`.
    trailing_nl: usize,
    pending_space: bool,
    /// Opening markers (`**`, `[`, `## `) of elements that have no content yet; written with
    /// the first content so empty elements leave nothing behind.
    pending_open: String,
    capture: Option<Capture>,
}

impl Writer {
    fn block(&mut self, n: usize) {
        self.pending_nl = self.pending_nl.max(n);
        self.pending_space = false;
    }

    fn line_break(&mut self) {
        self.pending_nl = (self.pending_nl + 1).min(2);
        self.pending_space = false;
    }

    fn blank_prefix(&self) -> String {
        let mut p = String::new();
        for x in &self.prefixes {
            p.push_str(&x.rest);
        }
        p.trim_end().to_string()
    }

    /// Writes the newlines asked for so far (done before a prefix is pushed, so the break
    /// belongs to the outer context).
    fn flush_newlines(&mut self) {
        if self.out.is_empty() {
            self.pending_nl = 0;
            return;
        }
        let want = self.pending_nl.min(2);
        while self.trailing_nl < want {
            if self.trailing_nl > 0 {
                let p = self.blank_prefix();
                self.out.push_str(&p);
            }
            self.out.push('\n');
            self.trailing_nl += 1;
            self.line_open = false;
            self.line_has_content = false;
        }
        self.pending_nl = 0;
    }

    fn start_content(&mut self) {
        self.flush_newlines();
        if !self.line_open {
            for p in &mut self.prefixes {
                if p.used {
                    self.out.push_str(&p.rest);
                } else {
                    self.out.push_str(&p.first);
                    p.used = true;
                }
            }
            self.line_open = true;
            self.line_has_content = false;
            self.pending_space = false;
        }
    }

    /// Writes one inline piece (a word, an image, inline code) that contains no whitespace
    /// that should be collapsed.
    fn word(&mut self, w: &str) {
        self.start_content();
        if self.pending_space && self.line_has_content {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push_str(&self.pending_open);
        self.pending_open.clear();
        self.out.push_str(w);
        self.line_has_content = true;
        self.trailing_nl = 0;
    }

    fn text(&mut self, s: &str) {
        if let Some(c) = &mut self.capture {
            c.buf.push_str(s);
            return;
        }
        let is_space = |c: char| c.is_ascii_whitespace() || c == '\u{a0}';
        if s.starts_with(is_space) {
            self.pending_space = true;
        }
        let mut first = true;
        for w in s.split(is_space).filter(|w| !w.is_empty()) {
            if !first {
                self.pending_space = true;
            }
            self.word(w);
            first = false;
        }
        if s.ends_with(is_space) {
            self.pending_space = true;
        }
    }

    fn open_marker(&mut self, m: &str) {
        self.pending_open.push_str(m);
    }

    /// Closes an inline marker: drops the opener if nothing was written since, else writes the
    /// closer right after the content (before any pending space).
    fn close_marker(&mut self, open: &str, close: &str) {
        if !open.is_empty() && self.pending_open.ends_with(open) {
            let n = self.pending_open.len() - open.len();
            self.pending_open.truncate(n);
        } else {
            self.out.push_str(close);
            self.trailing_nl = 0;
        }
    }

    fn push_prefix(&mut self, first: String, rest: String) {
        self.flush_newlines();
        // A prefix pushed mid-line (broken nesting) starts a new line.
        if self.line_open && self.line_has_content {
            self.pending_nl = 1;
            self.flush_newlines();
        }
        self.line_open = false;
        self.prefixes.push(Prefix {
            first,
            rest,
            used: false,
        });
    }

    fn pop_prefix(&mut self) {
        self.prefixes.pop();
    }

    /// Writes preformatted lines as they are (each under the current prefixes).
    fn raw_lines(&mut self, text: &str) {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                self.pending_nl = 1;
            }
            self.start_content();
            self.out.push_str(line);
            self.line_has_content = true;
            self.trailing_nl = 0;
        }
    }

    /// The final text: lines right-trimmed, at most one blank line in a row outside fenced
    /// code (markers of an inline element can straddle block breaks in broken markup), no
    /// leading or trailing blank lines.
    fn finish(self) -> String {
        let mut out = String::with_capacity(self.out.len());
        let mut in_fence = false;
        let mut blank_run = 0;
        for line in self.out.lines() {
            let line = line.trim_end();
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if line.is_empty() && !in_fence {
                blank_run += 1;
                if blank_run > 1 {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            out.push_str(line);
            out.push('\n');
        }
        out.trim_matches('\n').to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Converter

#[derive(Debug)]
enum Kind {
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

struct Frame {
    tag: String,
    kind: Kind,
    /// For lists: ordered, next number.
    list: Option<(bool, u64)>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Option<Vec<String>>,
    /// The writer outside the open cell.
    saved: Option<Writer>,
    colspan: usize,
    caption: Option<String>,
}

/// Elements never rendered (with their content).
fn is_dropped(name: &str) -> bool {
    matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "svg"
            | "head"
            | "template"
            | "iframe"
            | "select"
            | "math"
            | "object"
            | "canvas"
            | "noembed"
            | "noframes"
            | "title"
            | "frameset"
    )
}

fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
            | "keygen"
    )
}

/// Block elements and the newlines around them (1 = own line, 2 = paragraph).
fn block_gap(name: &str) -> Option<usize> {
    Some(match name {
        "p" | "hr" | "table" | "dl" | "figure" | "details" | "address" | "fieldset" => 2,
        "div" | "section" | "article" | "header" | "footer" | "nav" | "main" | "aside" | "form"
        | "figcaption" | "summary" | "dt" | "dd" | "legend" | "center" | "hgroup" | "dialog"
        | "caption" | "option" | "label" | "tr" | "body" => 1,
        _ => return None,
    })
}

/// Start tags that close an open `<p>` (as in HTML).
fn closes_p(name: &str) -> bool {
    matches!(
        name,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dd"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "li"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "section"
            | "summary"
            | "table"
            | "ul"
    )
}

/// Deeper nesting than this is flattened: broken pages must not cost quadratic time.
const MAX_DEPTH: usize = 512;

struct Converter {
    w: Writer,
    frames: Vec<Frame>,
    tables: Vec<Table>,
    base: Option<reqwest::Url>,
    /// Inside a dropped element: (its name, nesting depth).
    skip: Option<(String, usize)>,
    bold: usize,
    em: usize,
    heading: usize,
}

fn attr<'a>(attrs: &'a [(String, String)], k: &str) -> Option<&'a str> {
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
    fn new(base_url: Option<&str>) -> Self {
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

    fn token(&mut self, t: Token<'_>) {
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

    /// The innermost table-ish frame, ignoring inline elements in between.
    fn nearest_table_kind(&self) -> Option<(usize, &Kind)> {
        self.frames.iter().enumerate().rev().find_map(|(i, f)| {
            matches!(
                f.kind,
                Kind::Table
                    | Kind::Row
                    | Kind::Cell
                    | Kind::FlatTable
                    | Kind::FlatRow
                    | Kind::FlatCell
            )
            .then_some((i, &f.kind))
        })
    }

    fn open_table(&mut self) -> Kind {
        let in_cell = matches!(
            self.nearest_table_kind(),
            Some((
                _,
                Kind::Cell | Kind::FlatCell | Kind::FlatTable | Kind::FlatRow
            ))
        );
        if in_cell {
            self.w.line_break();
            return Kind::FlatTable;
        }
        self.w.block(2);
        self.tables.push(Table::default());
        Kind::Table
    }

    fn open_row(&mut self) -> Kind {
        match self.nearest_table_kind() {
            Some((_, Kind::FlatTable | Kind::FlatRow | Kind::FlatCell)) => {
                if let Some(i) = self
                    .frames
                    .iter()
                    .rposition(|f| matches!(f.kind, Kind::FlatRow))
                    && !self.frames[i..]
                        .iter()
                        .any(|f| matches!(f.kind, Kind::FlatTable))
                {
                    self.pop_to(i);
                }
                self.w.line_break();
                Kind::FlatRow
            }
            Some((i, Kind::Row | Kind::Cell)) => {
                // A new row closes the open one (and its cell).
                let row = self.frames[..=i]
                    .iter()
                    .rposition(|f| matches!(f.kind, Kind::Row));
                if let Some(r) = row {
                    self.pop_to(r);
                }
                self.start_row();
                Kind::Row
            }
            Some((_, Kind::Table)) => {
                self.start_row();
                Kind::Row
            }
            _ => {
                self.w.block(1);
                Kind::Block(1)
            }
        }
    }

    fn start_row(&mut self) {
        if let Some(t) = self.tables.last_mut() {
            if let Some(r) = t.row.take() {
                t.rows.push(r);
            }
            t.row = Some(Vec::new());
        }
    }

    fn open_cell(&mut self, attrs: &[(String, String)]) -> Kind {
        match self.nearest_table_kind() {
            Some((i, Kind::FlatCell)) => {
                self.pop_to(i);
                self.w.pending_space = true;
                Kind::FlatCell
            }
            Some((_, Kind::FlatTable | Kind::FlatRow)) => {
                self.w.pending_space = true;
                Kind::FlatCell
            }
            Some((i, Kind::Cell)) => {
                self.pop_to(i);
                self.begin_cell(attrs)
            }
            Some((_, Kind::Table | Kind::Row)) => self.begin_cell(attrs),
            _ => {
                self.w.pending_space = true;
                Kind::Plain
            }
        }
    }

    fn begin_cell(&mut self, attrs: &[(String, String)]) -> Kind {
        let colspan = attr(attrs, "colspan")
            .and_then(|c| c.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, 50);
        let saved = std::mem::take(&mut self.w);
        if let Some(t) = self.tables.last_mut() {
            if t.row.is_none() {
                t.row = Some(Vec::new());
            }
            t.saved = Some(saved);
            t.colspan = colspan;
        }
        Kind::Cell
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
    fn pop_to(&mut self, i: usize) {
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

    fn close_cell(&mut self, tag: &str) {
        let Some(t) = self.tables.last_mut() else {
            return;
        };
        let Some(saved) = t.saved.take() else { return };
        let cell = std::mem::replace(&mut self.w, saved).finish();
        if tag == "caption" {
            t.caption = Some(cell);
            return;
        }
        let row = t.row.get_or_insert_with(Vec::new);
        row.push(cell);
        for _ in 1..t.colspan {
            row.push(String::new());
        }
        t.colspan = 1;
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

    fn write_table(&mut self, t: Table) {
        let mut rows = t.rows;
        if let Some(r) = t.row {
            rows.push(r);
        }
        rows.retain(|r| r.iter().any(|c| !c.trim().is_empty()));
        let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
        if let Some(c) = t.caption.filter(|c| !c.is_empty()) {
            self.w.block(2);
            self.w.raw_lines(&c);
        }
        if cols == 0 {
            self.w.block(2);
            return;
        }
        self.w.block(2);
        if cols == 1 {
            // One column is layout, not data: keep the cells as paragraphs.
            for r in rows {
                for c in r.into_iter().filter(|c| !c.is_empty()) {
                    self.w.block(2);
                    self.w.raw_lines(&c);
                }
            }
            self.w.block(2);
            return;
        }
        let cell = |c: &str| {
            c.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("<br>")
                .replace('|', "\\|")
        };
        let mut lines = Vec::with_capacity(rows.len() + 1);
        for (i, r) in rows.iter().enumerate() {
            let mut cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
            cells.resize(cols, String::new());
            lines.push(format!("| {} |", cells.join(" | ")));
            if i == 0 {
                lines.push(format!("|{}", " --- |".repeat(cols)));
            }
        }
        self.w.raw_lines(&lines.join("\n"));
        self.w.block(2);
    }

    fn finish(mut self) -> String {
        self.pop_to(0);
        self.w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md(html: &str) -> String {
        html_to_markdown(html, Some("https://example.com/docs/page.html"))
    }

    #[test]
    fn entities_named_numeric_and_unknown() {
        assert_eq!(
            decode_entities("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;"),
            "a & b <c> \"d\" 'e'"
        );
        assert_eq!(decode_entities("&#233;&#xE9;&#XE9;&eacute;"), "éééé");
        assert_eq!(decode_entities("&#x1F600;"), "😀");
        assert_eq!(
            decode_entities("AT&T &unknown; &amp"),
            "AT&T &unknown; &amp"
        );
        assert_eq!(
            decode_entities("&#0;&#xD800;&#99999999999;"),
            "\u{fffd}\u{fffd}\u{fffd}"
        );
        assert_eq!(decode_entities("&#150;&#8212;"), "–—");
        assert_eq!(decode_entities("&#65"), "A");
        assert_eq!(decode_entities("&&#;&#x;"), "&&#;&#x;");
        assert!(matches!(decode_entities("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn headings_paragraphs_and_emphasis() {
        let out = md(
            "<h1>Title</h1><p>Some <b>bold</b>, <em>italic</em> and <code>x &lt; y</code>.</p>\
             <h3>Sub  heading</h3><p>Second\n   paragraph</p>",
        );
        assert_eq!(
            out,
            "# Title\n\nSome **bold**, *italic* and `x < y`.\n\n### Sub heading\n\nSecond paragraph"
        );
    }

    #[test]
    fn whitespace_is_collapsed_and_markers_hug_words() {
        assert_eq!(md("<p>  a   <b> bold </b>  c </p>"), "a **bold** c");
        assert_eq!(md("<p>a<b></b>b<i> </i>c</p>"), "ab c");
        assert_eq!(md("<p>x&nbsp;&nbsp;y</p>"), "x y");
        assert_eq!(md("<b><b>nested</b></b>"), "**nested**");
    }

    #[test]
    fn line_breaks_and_rules() {
        assert_eq!(md("a<br>b<br/><br>c"), "a\nb\n\nc");
        assert_eq!(md("<p>a</p><hr><p>b</p>"), "a\n\n---\n\nb");
    }

    #[test]
    fn links_resolve_against_the_page_and_base() {
        assert_eq!(
            md("<a href=\"/x\">abs</a> <a href='y.html'>rel</a> <a href=https://o.org/z>ext</a>"),
            "[abs](https://example.com/x) [rel](https://example.com/docs/y.html) [ext](https://o.org/z)"
        );
        assert_eq!(
            md("<a href=\"#top\">Top</a> <a href=\"javascript:void(0)\">js</a>"),
            "Top js"
        );
        assert_eq!(md("<a href=\"/x\"> </a>after"), "after");
        assert_eq!(
            md(
                "<head><base href=\"https://cdn.net/root/\"></head><body><a href=\"p\">p</a></body>"
            ),
            "[p](https://cdn.net/root/p)"
        );
        assert_eq!(
            html_to_markdown("<a href=\"rel\">r</a>", None),
            "[r](rel)",
            "without a base the href stays as written"
        );
    }

    #[test]
    fn headings_inside_links_lead_the_line() {
        assert_eq!(
            md("<a href=\"/post\"><h2>Title</h2></a><a href=\"/e\"><h3></h3></a>after"),
            "## [Title](https://example.com/post)\n\nafter"
        );
        assert_eq!(md("<b><h1>Bold title</h1></b>"), "# **Bold title**");
    }

    #[test]
    fn images() {
        assert_eq!(
            md("<img src=\"/logo.png\" alt=\"The  logo\">"),
            "![The logo](https://example.com/logo.png)"
        );
        assert_eq!(
            md("<a href=\"/home\"><img src=\"i.png\" alt=\"\"></a>"),
            "[![](https://example.com/docs/i.png)](https://example.com/home)"
        );
        assert_eq!(
            md("<img src=\"data:image/png;base64,AAAA\" alt=\"pic\">"),
            "![pic]"
        );
        // Without a usable source the alt text is all the image says.
        assert_eq!(md("<img alt=\"no src\"> x"), "![no src] x");
        assert_eq!(md("<img src=''>x"), "x");
    }

    #[test]
    fn nested_lists() {
        let out = md(
            "<ul><li>one</li><li>two<ul><li>two.a</li><li>two.b</li></ul></li>\
             <li>three</li></ul><ol start=\"3\"><li>c<ol><li>i</li></ol></li><li>d</li></ol>",
        );
        assert_eq!(
            out,
            "- one\n- two\n  - two.a\n  - two.b\n- three\n\n3. c\n   1. i\n4. d"
        );
    }

    #[test]
    fn unclosed_list_items_are_closed_implicitly() {
        assert_eq!(
            md("<ul><li>a<li>b<li>c</ul>after"),
            "- a\n- b\n- c\n\nafter"
        );
    }

    #[test]
    fn block_quotes_and_nesting() {
        assert_eq!(
            md(
                "<p>before</p><blockquote><p>q1</p><p>q2</p><ul><li>x</li></ul></blockquote><p>after</p>"
            ),
            "before\n\n> q1\n>\n> q2\n>\n> - x\n\nafter"
        );
        assert_eq!(
            md("<blockquote>outer<blockquote>inner</blockquote></blockquote>"),
            "> outer\n>\n> > inner"
        );
    }

    #[test]
    fn preformatted_code_is_fenced_verbatim() {
        let out = md(
            "<p>Run:</p><pre class=\"language-rust\"><code>fn main() {\n    \
             println!(\"&lt;hi&gt;\");\n}\n</code></pre><p>done</p>",
        );
        assert_eq!(
            out,
            "Run:\n\n```rust\nfn main() {\n    println!(\"<hi>\");\n}\n```\n\ndone"
        );
        // Markup inside pre is ignored; backticks in the code get a longer fence.
        assert_eq!(
            md("<pre>\n<span class=k>let</span> s = <b>```</b>;</pre>"),
            "````\nlet s = ```;\n````"
        );
        assert_eq!(md("<code>a `tick`</code>"), "`` a `tick` ``");
    }

    #[test]
    fn inline_code_with_backticks() {
        assert_eq!(md("<code>`x`</code>"), "`` `x` ``");
        assert_eq!(md("use <code>a  b</code> here"), "use `a b` here");
    }

    #[test]
    fn pre_inside_list_keeps_the_indent() {
        assert_eq!(
            md("<ul><li>step<pre>cargo build\ncargo test</pre></li></ul>"),
            "- step\n\n  ```\n  cargo build\n  cargo test\n  ```"
        );
    }

    #[test]
    fn tables() {
        let out = md(
            "<table><caption>Prices</caption><thead><tr><th>Name</th><th>Price</th></tr></thead>\
             <tbody><tr><td>Tea</td><td>$1 | cheap</td></tr><tr><td><a href=\"/c\">Coffee</a></td>\
             <td>$2<br>hot</td></tr></tbody></table>",
        );
        assert_eq!(
            out,
            "Prices\n\n| Name | Price |\n| --- | --- |\n| Tea | $1 \\| cheap |\n\
             | [Coffee](https://example.com/c) | $2<br>hot |"
        );
    }

    #[test]
    fn tables_with_implied_closes_and_ragged_rows() {
        let out = md("<table><tr><td>a<td>b<td>c<tr><td colspan=2>wide<td>z<tr><td>short</table>");
        assert_eq!(
            out,
            "| a | b | c |\n| --- | --- | --- |\n| wide |  | z |\n| short |  |  |"
        );
    }

    #[test]
    fn layout_tables_become_paragraphs_and_nested_tables_flatten() {
        assert_eq!(
            md("<table><tr><td><p>Hello</p></td></tr><tr><td>World</td></tr></table>"),
            "Hello\n\nWorld"
        );
        let out = md(
            "<table><tr><td>k</td><td><table><tr><td>x</td><td>y</td></tr>\
             <tr><td>z</td></tr></table></td></tr></table>",
        );
        assert_eq!(out, "| k | x y<br>z |\n| --- | --- |");
    }

    #[test]
    fn dropped_elements() {
        let out = md("<html><head><title>T</title><style>p{color:red}</style>\
             <script>var x = '<p>no</p>';</script></head><body><noscript>enable js</noscript>\
             <p>kept</p><svg><text>no</text></svg><template><p>no</p></template>\
             <script type=\"module\">if (a</b) {}</script><p>also kept</p></body></html>");
        assert_eq!(out, "kept\n\nalso kept");
    }

    #[test]
    fn unclosed_head_ends_at_body() {
        assert_eq!(md("<head><meta charset=utf-8><body><p>x</p>"), "x");
    }

    #[test]
    fn broken_markup_is_tolerated() {
        // Unclosed tags, stray end tags, misnesting, a lone `<`, unterminated comment and tag.
        assert_eq!(
            md("<p>a < b and <b>bold <i>both</b> plain</i></p></div></span>"),
            "a < b and **bold *both*** plain"
        );
        assert_eq!(md("<p>one<p>two<div>three</p>"), "one\n\ntwo\n\nthree");
        assert_eq!(
            md("text<!-- a comment -->more<!-- never closed"),
            "textmore"
        );
        assert_eq!(md("<p>ok</p><a href=\"/x"), "ok");
        assert_eq!(
            md("<p>ok</p><img src=\"/a.png\" alt='oops>tail"),
            "ok\n\n![oops](https://example.com/a.png)tail"
        );
        assert_eq!(md("</p>x</ul></li></td>"), "x");
        assert_eq!(md("<!DOCTYPE html><?xml version=1?><p>x</p>"), "x");
        assert_eq!(md("<p><![CDATA[raw <text>]]></p>"), "raw <text>");
        assert_eq!(md("<"), "<");
        assert_eq!(md("<p>end <"), "end <");
        assert_eq!(md("</"), "");
        assert_eq!(md(""), "");
    }

    #[test]
    fn attribute_forms() {
        assert_eq!(
            md("<a title=x href = '/q?a=1&amp;b=2' data-x>q</a>"),
            "[q](https://example.com/q?a=1&b=2)"
        );
        assert_eq!(md("<A HREF=/up>Up</A>"), "[Up](https://example.com/up)");
    }

    #[test]
    fn task_list_checkboxes() {
        assert_eq!(
            md(
                "<ul><li><input type=checkbox checked> done</li><li><input type=\"checkbox\">todo</li></ul>"
            ),
            "- [x] done\n- [ ] todo"
        );
    }

    #[test]
    fn deep_nesting_stays_linear() {
        let html = "<div><span><b>".repeat(20_000) + "deep" + &"</x>".repeat(20_000);
        let t = std::time::Instant::now();
        let out = md(&html);
        assert!(out.contains("deep"));
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn realistic_page() {
        let html = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Docs</title>
<link rel="stylesheet" href="/s.css"><script>window.x = 1;</script></head>
<body>
  <nav class="top"><ul><li><a href="/">Home</a></li><li><a href="/docs/">Docs</a></li></ul></nav>
  <main>
    <article>
      <h1 id="intro">Getting&nbsp;started</h1>
      <p>Install the tool with
         <code>cargo install ccrs</code>, then run it:</p>
      <pre><code class="language-sh">ccrs -p "hello"
</code></pre>
      <h2>Options</h2>
      <dl><dt>--model</dt><dd>Which model to use.</dd></dl>
      <p>See <a href="options.html#model">the options page</a> &mdash; or the <em>FAQ</em>.</p>
    </article>
  </main>
  <footer><p>&copy; 2026 Example</p></footer>
</body></html>"#;
        assert_eq!(
            md(html),
            "- [Home](https://example.com/)\n- [Docs](https://example.com/docs/)\n\n\
             # Getting started\n\n\
             Install the tool with `cargo install ccrs`, then run it:\n\n\
             ```sh\nccrs -p \"hello\"\n```\n\n\
             ## Options\n\n--model\nWhich model to use.\n\n\
             See [the options page](https://example.com/docs/options.html#model) — or the *FAQ*.\n\n\
             © 2026 Example"
        );
    }

    #[test]
    fn never_panics_on_arbitrary_slices() {
        let doc = "<html><body><h1>T&eacute;st</h1><ul><li>a<ol><li>b</ol></ul><table><tr><td>1\
                   <td>2</table><pre>x\ny</pre><blockquote>q</blockquote><a href=/é>é</a></body>";
        for (i, _) in doc.char_indices() {
            let _ = md(&doc[..i]);
            let _ = md(&doc[i..]);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Any soup of tag fragments converts without panicking, and the output never has more
        /// than one blank line in a row or trailing spaces.
        #[test]
        fn arbitrary_markup_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
            "<p>", "</p>", "<div>", "</div>", "<ul>", "</ul>", "<ol start=9>", "<li>", "</li>",
            "<table>", "</table>", "<tr>", "<td colspan=3>", "</td>", "<th>", "<caption>",
            "<pre>", "</pre>", "<code>", "</code>", "<b>", "</b>", "<em>", "</em>", "<a href=/x>",
            "<a href='", "</a>", "<img src=i.png alt=\"a\">", "<br>", "<hr>", "<blockquote>",
            "</blockquote>", "<h2>", "</h2>", "<script>", "</script>", "<svg>", "</svg>",
            "<!--", "-->", "<", ">", "&amp;", "&#x", "&", "text", " ", "\n", "é", "`", "|",
            "<head>", "<body>", "</html>", "<input type=checkbox checked>", "<q>", "</q>",
        ]), 0..60)) {
            let html: String = parts.concat();
            let out = md(&html);
            proptest::prop_assert!(!out.contains("\n\n\n") || out.contains("```"), "{out:?}");
            proptest::prop_assert!(out.lines().all(|l| l == l.trim_end()), "{out:?}");
        }
    }
}
