//! The scanner: one left-to-right pass over a line's bytes, no backtracking. Token boundaries
//! fall on ASCII delimiters or between runs of identifier bytes (every byte of a multi-byte
//! character counts as one), so they are always char boundaries.

use super::languages::{Lang, YAML_LITERALS, has, syntax, word_kind};
use super::{Kind, Quote, State, Token};

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

pub(super) struct Scan<'a> {
    pub(super) s: &'a [u8],
    pub(super) out: Vec<Token>,
}

impl Scan<'_> {
    fn push(&mut self, kind: Kind, a: usize, b: usize) {
        if a >= b {
            return;
        }
        if let Some(last) = self.out.last_mut()
            && last.kind == kind
            && last.range.end == a
        {
            last.range.end = b;
            return;
        }
        self.out.push(Token { kind, range: a..b });
    }

    fn at(&self, i: usize, pat: &str) -> bool {
        self.s
            .get(i..)
            .is_some_and(|r| r.starts_with(pat.as_bytes()))
    }

    fn byte(&self, i: usize) -> u8 {
        self.s.get(i).copied().unwrap_or(0)
    }

    /// Scans a block comment body from `i` (the comment's token starts at `start`). Returns
    /// where scanning goes on and the state after the line.
    fn block_comment(
        &mut self,
        start: usize,
        mut i: usize,
        mut depth: u32,
        nested: bool,
    ) -> (usize, State) {
        let n = self.s.len();
        while i < n {
            if self.at(i, "*/") {
                i += 2;
                depth -= 1;
                if depth == 0 {
                    self.push(Kind::Comment, start, i);
                    return (i, State::Normal);
                }
            } else if nested && self.at(i, "/*") {
                i += 2;
                depth = depth.saturating_add(1);
            } else {
                i += 1;
            }
        }
        self.push(Kind::Comment, start, n);
        (n, State::BlockComment { depth })
    }

    /// Scans a string body from `i` (its token starts at `start`). A string that does not end
    /// on this line carries over when `multiline`, else it ends with the line.
    fn string(&mut self, start: usize, mut i: usize, q: Quote, multiline: bool) -> (usize, State) {
        let n = self.s.len();
        let close = if q.triple { 3 } else { 1 };
        while i < n {
            let c = self.s[i];
            if q.escapes && c == b'\\' {
                i += 2;
                continue;
            }
            if c == q.quote
                && (0..close).all(|k| self.byte(i + k) == q.quote)
                && (0..q.hashes as usize).all(|k| self.byte(i + close + k) == b'#')
            {
                let end = i + close + q.hashes as usize;
                self.push(Kind::String, start, end);
                return (end, State::Normal);
            }
            i += 1;
        }
        self.push(Kind::String, start, n);
        let state = if multiline || q.triple {
            State::Str(q)
        } else {
            State::Normal
        };
        (n.max(i.min(n)), state)
    }

    /// Rust `r"…"`, `r#"…"#`, `br"…"`, `b"…"`, `b'…'` starting at `i` (the `r` or `b`):
    /// where the token ends and the state, or `None` when it is an identifier.
    fn rust_prefixed_string(&mut self, i: usize) -> Option<(usize, State)> {
        let mut j = i;
        if self.byte(j) == b'b' {
            j += 1;
        }
        let raw = self.byte(j) == b'r';
        if raw {
            j += 1;
        }
        if j == i {
            return None;
        }
        let mut hashes = 0u8;
        while raw && self.byte(j) == b'#' && hashes < u8::MAX {
            hashes += 1;
            j += 1;
        }
        match self.byte(j) {
            b'"' => {
                let q = Quote {
                    quote: b'"',
                    triple: false,
                    hashes,
                    escapes: !raw,
                };
                Some(self.string(i, j + 1, q, true))
            }
            b'\'' if !raw && j == i + 1 => {
                let end = self.char_literal(j)?;
                self.push(Kind::String, i, end);
                Some((end, State::Normal))
            }
            _ => None,
        }
    }

    /// The end of a Rust char literal whose `'` is at `i`, or `None` for a lifetime.
    fn char_literal(&self, i: usize) -> Option<usize> {
        let n = self.s.len();
        if self.byte(i + 1) == b'\\' {
            let mut j = i + 3;
            while j < n && self.s[j] != b'\'' && j < i + 12 {
                j += 1;
            }
            return (self.byte(j) == b'\'').then_some(j + 1);
        }
        // One character (up to 4 UTF-8 bytes), then the closing quote.
        let lead = self.byte(i + 1);
        let len = match lead {
            0 => return None,
            0x01..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        (self.byte(i + 1 + len) == b'\'').then_some(i + 2 + len)
    }

    fn number(&self, mut i: usize) -> usize {
        let n = self.s.len();
        let hex = self.at(i, "0x") || self.at(i, "0X");
        while i < n {
            let c = self.s[i];
            let sign_after_exponent =
                !hex && (c == b'+' || c == b'-') && matches!(self.s[i - 1], b'e' | b'E');
            // `1..10` is a range, not a number with two dots.
            let dot = c == b'.' && self.byte(i + 1) != b'.' && is_ident(self.byte(i + 1));
            if c.is_ascii_alphanumeric() || c == b'_' || dot || sign_after_exponent {
                i += 1;
            } else {
                break;
            }
        }
        i
    }

    fn word_end(&self, mut i: usize, extra: &[u8]) -> usize {
        while i < self.s.len() && (is_ident(self.s[i]) || extra.contains(&self.s[i])) {
            i += 1;
        }
        i
    }

    /// The C-like scanner (everything but YAML and diffs).
    pub(super) fn code(&mut self, lang: Lang, state: State) -> State {
        let syn = syntax(lang);
        let n = self.s.len();
        let mut i = 0;
        match state {
            State::Normal | State::YamlBlock { .. } => {}
            State::BlockComment { depth } => {
                let (j, st) = self.block_comment(0, 0, depth, syn.nested_comments);
                if st != State::Normal {
                    return st;
                }
                i = j;
            }
            State::Str(q) => {
                let (j, st) = self.string(0, 0, q, true);
                if st != State::Normal {
                    return st;
                }
                i = j;
            }
            State::Heredoc { delim, tabs } => {
                let line = std::str::from_utf8(self.s).unwrap_or("");
                let body = if tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if body == delim {
                    self.push(Kind::Meta, 0, n);
                    return State::Normal;
                }
                self.push(Kind::String, 0, n);
                return State::Heredoc { delim, tabs };
            }
        }
        // TOML: a key before `=` (at the line start, and after `{` or `,` inside braces).
        let mut expect_key = lang == Lang::Toml;
        let mut braces = 0usize;
        let mut state = State::Normal;
        let first_nonspace = self.s.iter().position(|c| !c.is_ascii_whitespace());
        while i < n {
            let c = self.s[i];
            if c.is_ascii_whitespace() {
                i += 1;
                continue;
            }
            // Comments.
            if self.at(i, syn.line_comment) {
                let word_start =
                    i == 0 || matches!(self.s[i - 1], b' ' | b'\t' | b';' | b'(' | b'|' | b'&');
                if lang != Lang::Shell || word_start {
                    self.push(Kind::Comment, i, n);
                    break;
                }
            }
            if syn.block_comment && self.at(i, "/*") {
                let (j, st) = self.block_comment(i, i + 2, 1, syn.nested_comments);
                i = j;
                state = st;
                continue;
            }
            // Rust: a char literal or a lifetime.
            if c == b'\'' && lang == Lang::Rust {
                if let Some(end) = self.char_literal(i) {
                    self.push(Kind::String, i, end);
                    i = end;
                } else {
                    i = self.word_end(i + 1, &[]);
                }
                continue;
            }
            // Strings.
            if let Some(&(quote, multiline)) = syn.quotes.iter().find(|(q, _)| *q == c) {
                let triple = syn.triple
                    && (quote == b'"' || lang != Lang::Java)
                    && self.byte(i + 1) == quote
                    && self.byte(i + 2) == quote;
                let q = Quote {
                    quote,
                    triple,
                    hashes: 0,
                    // Shell single quotes and TOML literal strings have no escapes.
                    escapes: !(quote == b'\'' && matches!(lang, Lang::Shell | Lang::Toml)),
                };
                let body = i + if triple { 3 } else { 1 };
                let before = self.out.len();
                let (j, st) = self.string(i, body, q, multiline);
                if st == State::Normal && self.followed_by_colon_or_eq(j, lang, expect_key) {
                    // A JSON key or a quoted TOML key.
                    if let Some(t) = self.out.get_mut(before) {
                        t.kind = Kind::Key;
                    }
                }
                i = j;
                state = st;
                continue;
            }
            if c.is_ascii_digit() {
                let end = if lang == Lang::Toml {
                    // Dates and times too: 1979-05-27T07:32:00Z.
                    self.word_end(i, b".:+-")
                } else {
                    self.number(i)
                };
                let kind = if expect_key && self.followed_by_colon_or_eq(end, lang, true) {
                    Kind::Key
                } else {
                    Kind::Number
                };
                self.push(kind, i, end);
                i = end;
                continue;
            }
            if is_ident_start(c) {
                if lang == Lang::Rust
                    && matches!(c, b'r' | b'b')
                    && let Some((j, st)) = self.rust_prefixed_string(i)
                {
                    i = j;
                    state = st;
                    continue;
                }
                let extra: &[u8] = match lang {
                    Lang::Shell => b"-",
                    Lang::Toml => b"-.",
                    _ => b"",
                };
                let end = self.word_end(i, extra);
                let word = std::str::from_utf8(&self.s[i..end]).unwrap_or("");
                // Python string prefixes: r"", b"", f"", rb"" …
                if lang == Lang::Python
                    && matches!(self.byte(end), b'"' | b'\'')
                    && word.len() <= 2
                    && word.chars().all(|c| "rbfuRBFU".contains(c))
                {
                    let quote = self.byte(end);
                    let triple = self.byte(end + 1) == quote && self.byte(end + 2) == quote;
                    let q = Quote {
                        quote,
                        triple,
                        hashes: 0,
                        escapes: true,
                    };
                    let (j, st) = self.string(i, end + if triple { 3 } else { 1 }, q, false);
                    i = j;
                    state = st;
                    continue;
                }
                let kind = if expect_key && self.followed_by_colon_or_eq(end, lang, true) {
                    Some(Kind::Key)
                } else if lang == Lang::Rust && self.byte(end) == b'!' && self.byte(end + 1) != b'='
                {
                    self.push(Kind::Meta, i, end + 1);
                    i = end + 1;
                    continue;
                } else {
                    word_kind(syn, word)
                };
                if let Some(k) = kind {
                    self.push(k, i, end);
                }
                i = end;
                continue;
            }
            match c {
                b'#' if lang == Lang::Rust && matches!(self.byte(i + 1), b'[' | b'!') => {
                    i = self.rust_attribute(i);
                    continue;
                }
                b'#' if lang == Lang::C && Some(i) == first_nonspace => {
                    let mut j = i + 1;
                    while j < n && self.s[j] == b' ' {
                        j += 1;
                    }
                    let end = self.word_end(j, &[]);
                    self.push(Kind::Meta, i, end);
                    let word = &self.s[j..end];
                    i = end;
                    while i < n && self.s[i] == b' ' {
                        i += 1;
                    }
                    if word == b"include" && self.byte(i) == b'<' {
                        let close = self.s[i..].iter().position(|&c| c == b'>');
                        let end = close.map_or(n, |k| i + k + 1);
                        self.push(Kind::String, i, end);
                        i = end;
                    }
                    continue;
                }
                b'@' if syn.decorators && is_ident_start(self.byte(i + 1)) => {
                    let end = self.word_end(i + 1, b".");
                    self.push(Kind::Meta, i, end);
                    i = end;
                    continue;
                }
                b'$' if lang == Lang::Shell => {
                    i = self.shell_variable(i);
                    continue;
                }
                b'<' if lang == Lang::Shell && self.at(i, "<<") && !self.at(i, "<<<") => {
                    if let Some((j, st)) = self.heredoc_start(i) {
                        i = j;
                        state = st;
                        continue;
                    }
                    i += 2;
                    continue;
                }
                b'[' if lang == Lang::Toml && Some(i) == first_nonspace => {
                    let close = self.s[i..].iter().rposition(|&c| c == b']');
                    let end = close.map_or(n, |k| i + k + 1);
                    self.push(Kind::Key, i, end);
                    i = end;
                    continue;
                }
                b'=' if lang == Lang::Toml => expect_key = false,
                b'{' if lang == Lang::Toml => {
                    braces += 1;
                    expect_key = true;
                }
                b'}' if lang == Lang::Toml => braces = braces.saturating_sub(1),
                b',' if lang == Lang::Toml && braces > 0 => expect_key = true,
                _ => {}
            }
            i += 1;
        }
        state
    }

    /// After a string or word ending at `j`: is it a key (JSON `"k":`, TOML `k =`)?
    fn followed_by_colon_or_eq(&self, mut j: usize, lang: Lang, expect_key: bool) -> bool {
        while matches!(self.byte(j), b' ' | b'\t') {
            j += 1;
        }
        match lang {
            Lang::Json => self.byte(j) == b':',
            // Dotted keys: `a."b".c = 1`.
            Lang::Toml => expect_key && matches!(self.byte(j), b'=' | b'.'),
            _ => false,
        }
    }

    /// `#[…]` / `#![…]` up to the matching `]` (or the line end).
    fn rust_attribute(&mut self, i: usize) -> usize {
        let n = self.s.len();
        let mut depth = 0usize;
        let mut j = i + 1;
        while j < n {
            match self.s[j] {
                b'[' => depth += 1,
                b']' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        j += 1;
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        self.push(Kind::Meta, i, j);
        j
    }

    /// `$name`, `${…}`, `$1`, `$?`; `$(` is left plain.
    fn shell_variable(&mut self, i: usize) -> usize {
        let n = self.s.len();
        let next = self.byte(i + 1);
        let end = if next == b'{' {
            self.s[i..]
                .iter()
                .position(|&c| c == b'}')
                .map_or(n, |k| i + k + 1)
        } else if is_ident_start(next) {
            self.word_end(i + 1, &[])
        } else if next.is_ascii_digit() || b"@#?$!*-".contains(&next) {
            i + 2
        } else {
            return i + 1;
        };
        self.push(Kind::Meta, i, end);
        end
    }

    /// `<<EOF`, `<<-EOF`, `<<'EOF'`, `<<"EOF"` at `i`.
    fn heredoc_start(&mut self, i: usize) -> Option<(usize, State)> {
        let mut j = i + 2;
        let tabs = self.byte(j) == b'-';
        if tabs {
            j += 1;
        }
        while self.byte(j) == b' ' {
            j += 1;
        }
        let quote = self.byte(j);
        let quoted = quote == b'\'' || quote == b'"';
        if quoted {
            j += 1;
        }
        let end = self.word_end(j, &[]);
        if end == j {
            return None;
        }
        let delim = std::str::from_utf8(&self.s[j..end]).ok()?.to_string();
        let mut stop = end;
        if quoted && self.byte(stop) == quote {
            stop += 1;
        }
        self.push(Kind::Meta, i, stop);
        Some((stop, State::Heredoc { delim, tabs }))
    }

    pub(super) fn diff(&mut self) {
        let s = self.s;
        let kind = if s.starts_with(b"+++ ")
            || s.starts_with(b"--- ")
            || s.starts_with(b"diff ")
            || s.starts_with(b"index ")
        {
            Kind::Header
        } else if s.starts_with(b"@@") {
            Kind::Hunk
        } else if s.starts_with(b"+") {
            Kind::Added
        } else if s.starts_with(b"-") {
            Kind::Removed
        } else {
            return;
        };
        self.push(kind, 0, s.len());
    }

    pub(super) fn yaml(&mut self, state: State) -> State {
        let s = self.s;
        let n = s.len();
        let indent = s.iter().take_while(|&&c| c == b' ').count();
        if let State::YamlBlock { indent: parent } = state {
            if indent == n {
                // A blank line inside the block.
                return state;
            }
            if indent > parent {
                self.push(Kind::String, indent, n);
                return state;
            }
        }
        let mut i = indent;
        if self.byte(i) == b'#' {
            self.push(Kind::Comment, i, n);
            return State::Normal;
        }
        if i == 0 && (s == b"---" || s == b"..." || s.starts_with(b"--- ")) {
            self.push(Kind::Meta, 0, 3);
            i = 3;
        }
        // Sequence markers.
        while self.byte(i) == b'-' && matches!(self.byte(i + 1), b' ' | 0) {
            i += 1;
            while self.byte(i) == b' ' {
                i += 1;
            }
        }
        let key_col = i;
        // A key: quoted, or plain text up to `:` followed by a space or the line end.
        if matches!(self.byte(i), b'"' | b'\'') {
            let q = self.byte(i);
            if let Some(k) = s[i + 1..].iter().position(|&c| c == q) {
                let end = i + 1 + k + 1;
                if self.byte(end) == b':' && matches!(self.byte(end + 1), b' ' | 0) {
                    self.push(Kind::Key, i, end);
                    i = end + 1;
                }
            }
        } else if !matches!(
            self.byte(i),
            b'[' | b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' | 0
        ) {
            let mut j = i;
            while j < n {
                if s[j] == b':' && matches!(self.byte(j + 1), b' ' | 0) {
                    self.push(Kind::Key, i, j);
                    i = j + 1;
                    break;
                }
                if s[j] == b'#' && j > 0 && s[j - 1] == b' ' {
                    break;
                }
                j += 1;
            }
        }
        // The value.
        let mut state = State::Normal;
        while i < n {
            let c = s[i];
            if c == b' ' {
                i += 1;
                continue;
            }
            if c == b'#' && s[i - 1] == b' ' {
                self.push(Kind::Comment, i, n);
                break;
            }
            match c {
                b'"' | b'\'' => {
                    let q = Quote {
                        quote: c,
                        triple: false,
                        hashes: 0,
                        escapes: c == b'"',
                    };
                    let (j, _) = self.string(i, i + 1, q, false);
                    i = j;
                }
                b'&' | b'*' | b'!' => {
                    let end = self.word_end(i + 1, b"!-./:");
                    self.push(Kind::Meta, i, end);
                    i = end;
                }
                b'|' | b'>' => {
                    let end = self.word_end(i + 1, b"+-");
                    let rest = &s[end..];
                    let only_comment = rest
                        .iter()
                        .position(|&c| c != b' ')
                        .is_none_or(|k| rest[k] == b'#');
                    if only_comment {
                        self.push(Kind::Meta, i, end);
                        state = State::YamlBlock { indent: key_col };
                    }
                    i = end;
                }
                b'[' | b']' | b'{' | b'}' | b',' => i += 1,
                _ => {
                    // A plain scalar up to ` #` or a flow indicator.
                    let mut end = i;
                    while end < n
                        && !(s[end] == b'#' && s[end - 1] == b' ')
                        && !matches!(s[end], b',' | b']' | b'}')
                    {
                        end += 1;
                    }
                    let mut e = end;
                    while e > i && s[e - 1] == b' ' {
                        e -= 1;
                    }
                    let word = std::str::from_utf8(&s[i..e]).unwrap_or("");
                    if has(YAML_LITERALS, word) {
                        self.push(Kind::Literal, i, e);
                    } else if looks_numeric(word) {
                        self.push(Kind::Number, i, e);
                    }
                    i = end;
                }
            }
        }
        state
    }
}

fn looks_numeric(w: &str) -> bool {
    let w = w.strip_prefix(['-', '+']).unwrap_or(w);
    !w.is_empty()
        && w.as_bytes()[0].is_ascii_digit()
        && w.bytes()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, b'.' | b'_' | b'x' | b'o' | b'e' | b'E'))
}
