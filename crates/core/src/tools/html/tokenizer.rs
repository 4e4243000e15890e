//! A tolerant tokenizer: text, start tags with attributes, end tags; comments and doctypes
//! dropped, raw-text elements (`<script>`, `<style>` …) read to their end tag.

use super::entities::decode_entities;

#[derive(Debug, PartialEq)]
pub(super) enum Token<'a> {
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

pub(super) struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    /// Set after a raw-text start tag: the next token is its content.
    raw_until: Option<String>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(src: &'a str) -> Self {
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

    pub(super) fn next_token(&mut self) -> Option<Token<'a>> {
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
