//! Words: quotes, escapes, parameter expansion, arithmetic, command substitution.

use super::parser::{End, PResult, Parser, Parts};
use super::{
    Node, ParseError, Part, Word, arith_identifiers, collect_nested, is_name_char, is_name_start,
};

/// What the word of a `${NAME<op>word}` expansion is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OpWord {
    /// A value (`:-`, `:=`, `:+`, `:?` and their colon-less forms, a `/` replacement).
    Value,
    /// A pattern (`#`, `##`, `%`, `%%`, `/`, `^`, `,`).
    Pattern,
    /// Arithmetic (`:offset:length`).
    Arith,
}

/// Characters allowed in arithmetic ccrs models (besides `$NAME`): numbers, names, operators.
fn arith_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '_' | ' '
                | '\t'
                | '\n'
                | '+'
                | '-'
                | '*'
                | '/'
                | '%'
                | '<'
                | '>'
                | '='
                | '!'
                | '&'
                | '|'
                | '^'
                | '~'
                | '?'
                | ':'
                | ','
                | '('
                | ')'
                | '#'
                | ';'
        )
}

/// Characters allowed in a `${…}` operator word ccrs models (besides `$NAME` and `${NAME}`):
/// no quote, escape, brace, parenthesis or other shell metacharacter.
fn op_word_char(c: char, kind: OpWord) -> bool {
    match kind {
        OpWord::Arith => arith_char(c) && !matches!(c, '(' | ')' | '\n'),
        OpWord::Value | OpWord::Pattern => {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '_' | '.'
                        | '/'
                        | ','
                        | ':'
                        | '@'
                        | '%'
                        | '+'
                        | '='
                        | '~'
                        | '^'
                        | '-'
                        | ' '
                        | '\t'
                        | '*'
                        | '?'
                        | '['
                        | ']'
                        | '#'
                        | '!'
                )
                || (!c.is_ascii() && !c.is_whitespace())
        }
    }
}

/// A subscript ccrs models: a number, `@`, `*`, a name or `$NAME` (evaluated arithmetically
/// for an indexed array, checked like any arithmetic), or a single-quoted plain key.
fn simple_key(text: &str) -> bool {
    let plain = |t: &str| {
        let mut cs = t.chars();
        cs.next().is_some_and(is_name_start) && cs.all(is_name_char)
    };
    matches!(text, "@" | "*")
        || (!text.is_empty() && text.chars().all(|c| c.is_ascii_digit()))
        || plain(text)
        || text.strip_prefix('$').is_some_and(plain)
        || text
            .strip_prefix('\'')
            .and_then(|t| t.strip_suffix('\''))
            .is_some_and(plain)
}

impl Parser {
    /// Reads one word (it ends at a blank or a shell metacharacter).
    pub(super) fn parse_word(&mut self) -> PResult<Word> {
        let start = self.pos;
        let mut b = Parts::default();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | ';' => break,
                '<' | '>' if self.peek_at(1) == Some('(') => {
                    self.bash_only("process substitution");
                    self.pos += 2;
                    let body = self.parse_list(End::PAREN)?;
                    self.skip_ws_nl()?;
                    if self.peek() != Some(')') {
                        return self.err("unterminated process substitution");
                    }
                    self.pos += 1;
                    b.push(Part::ProcSub(body));
                }
                '&' | '|' | '<' | '>' | '(' | ')' => break,
                '\\' => match self.peek_at(1) {
                    Some('\n') => {
                        // bash joins the lines before it reads the word: `$\<newline>(` is `$(`.
                        self.not_understood("a line continuation inside a word");
                        self.pos += 2;
                    }
                    Some(x) => {
                        b.push_char(x, true);
                        self.pos += 2;
                    }
                    None => {
                        b.push_char('\\', false);
                        self.pos += 1;
                    }
                },
                '\'' => {
                    self.pos += 1;
                    let s = self.single_quoted()?;
                    b.push_str(&s, true);
                    b.mark_quoted_empty();
                }
                '"' => {
                    self.pos += 1;
                    let parts = self.dq_parts(Some('"'))?;
                    if parts.is_empty() {
                        b.push_str("", true);
                        b.mark_quoted_empty();
                    }
                    for p in parts {
                        match p {
                            Part::Quoted(s) => b.push_str(&s, true),
                            other => b.push(other),
                        }
                    }
                }
                '$' => self.dollar(&mut b, false)?,
                '`' => {
                    let nodes = self.backtick(false)?;
                    b.push(Part::Subst(nodes));
                }
                _ => {
                    b.push_char(c, false);
                    self.pos += 1;
                }
            }
        }
        Ok(Word {
            raw: self.text(start, self.pos).replace("\\\n", ""),
            parts: b.finish(),
        })
    }

    pub(super) fn single_quoted(&mut self) -> PResult<String> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '\'' {
                let s = self.text(start, self.pos);
                self.pos += 1;
                return Ok(s);
            }
            self.pos += 1;
        }
        self.pos = start;
        self.err("unterminated single quote")
    }

    /// Parts of a double-quoted string (`term` = `"`) or of a here-document body (`None`).
    pub(super) fn dq_parts(&mut self, term: Option<char>) -> PResult<Vec<Part>> {
        let mut b = Parts::default();
        loop {
            let Some(c) = self.peek() else {
                if term.is_some() {
                    return self.err("unterminated double quote");
                }
                break;
            };
            if Some(c) == term {
                self.pos += 1;
                break;
            }
            match c {
                '\\' => match self.peek_at(1) {
                    Some('\n') => {
                        self.not_understood("a line continuation inside double quotes");
                        self.pos += 2;
                    }
                    Some(x) if matches!(x, '$' | '`' | '\\') || (x == '"' && term.is_some()) => {
                        b.push_char(x, true);
                        self.pos += 2;
                    }
                    _ => {
                        b.push_char('\\', true);
                        self.pos += 1;
                    }
                },
                '$' => self.dollar(&mut b, true)?,
                '`' => {
                    let nodes = self.backtick(term.is_some())?;
                    b.push(Part::Subst(nodes));
                }
                _ => {
                    b.push_char(c, true);
                    self.pos += 1;
                }
            }
        }
        Ok(b.finish())
    }

    /// Everything that starts with `$`.
    pub(super) fn dollar(&mut self, b: &mut Parts, in_dq: bool) -> PResult<()> {
        let simple = |raw: String| Part::Param {
            raw,
            nested: Vec::new(),
            arith_names: Vec::new(),
            prompt: false,
            assigns: None,
        };
        match self.peek_at(1) {
            Some('(') => {
                if self.peek_at(2) == Some('(') {
                    let save = self.pos;
                    self.pos += 3;
                    if let Some((nested, names)) = self.arith_content()? {
                        b.push(Part::Arith { nested, names });
                        return Ok(());
                    }
                    self.pos = save;
                }
                self.pos += 2;
                self.enter()?;
                let body = self.parse_list(End::PAREN)?;
                self.leave();
                self.skip_ws_nl()?;
                if self.peek() != Some(')') {
                    return self.err("unterminated $(");
                }
                self.pos += 1;
                b.push(Part::Subst(body));
            }
            Some('{') => {
                let part = self.param_braced()?;
                b.push(part);
            }
            Some('[') => {
                // The old `$[ … ]` arithmetic.
                self.not_understood("$[ ] arithmetic");
                b.push_char('$', in_dq);
                self.pos += 1;
            }
            Some('\'') if !in_dq => {
                self.bash_only("$'…' quoting");
                self.pos += 2;
                let s = self.ansi_c()?;
                b.push_str(&s, true);
                b.mark_quoted_empty();
            }
            Some('"') if !in_dq => {
                self.not_understood("$\"…\" (locale translation)");
                self.pos += 2;
                for p in self.dq_parts(Some('"'))? {
                    match p {
                        Part::Quoted(s) => b.push_str(&s, true),
                        other => b.push(other),
                    }
                }
            }
            Some(c) if is_name_start(c) => {
                let start = self.pos;
                self.pos += 1;
                while self.peek().is_some_and(is_name_char) {
                    self.pos += 1;
                }
                b.push(simple(self.text(start, self.pos)));
            }
            Some(c)
                if c.is_ascii_digit() || matches!(c, '@' | '*' | '#' | '?' | '$' | '!' | '-') =>
            {
                let raw = self.text(self.pos, self.pos + 2);
                self.pos += 2;
                b.push(simple(raw));
            }
            _ => {
                b.push_char('$', in_dq);
                self.pos += 1;
            }
        }
        Ok(())
    }

    /// Reads a name, digits or one special parameter character; `None` when there is none.
    fn param_name(&mut self) -> Option<String> {
        let start = self.pos;
        match self.peek()? {
            c if is_name_start(c) => {
                while self.peek().is_some_and(is_name_char) {
                    self.pos += 1;
                }
            }
            c if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            '@' | '*' | '#' | '?' | '$' | '!' | '-' => self.pos += 1,
            _ => return None,
        }
        Some(self.text(start, self.pos))
    }

    /// `${ … }`. The forms ccrs models: `${NAME}`, `${#NAME}`, `${NAME[sub]}` with a simple
    /// subscript, `${!NAME[@]}`, `${!PREFIX*}`, the operators `- = ? +` (with or without `:`),
    /// `# ## % %%`, and in bash `/ // /# /% ^ ^^ , ,, :offset:length @op`, each with a word made
    /// of plain characters, `$NAME` and `${NAME}`. Anything else (quotes, escapes, braces,
    /// substitutions in the word; indirect expansion) is read as well as it can be and recorded
    /// as not understood.
    pub(super) fn param_braced(&mut self) -> PResult<Part> {
        self.enter()?;
        let start = self.pos;
        self.pos += 2;
        let mut nested = Vec::new();
        let mut arith_names = Vec::new();
        let mut prompt = false;
        let mut assigns = None;
        let mut length = false;
        let mut indirect = false;
        match (self.peek(), self.peek_at(1)) {
            (Some('#'), Some(c))
                if is_name_start(c) || c.is_ascii_digit() || matches!(c, '@' | '*') =>
            {
                length = true;
                self.pos += 1;
            }
            (Some('!'), Some(c))
                if is_name_start(c) || c.is_ascii_digit() || matches!(c, '@' | '*' | '#') =>
            {
                indirect = true;
                self.pos += 1;
            }
            _ => {}
        }
        let Some(name) = self.param_name() else {
            return self.err("bad ${} substitution");
        };
        let identifier = name.chars().next().is_some_and(is_name_start);
        let mut subscript: Option<String> = None;
        if identifier && self.peek() == Some('[') {
            self.bash_only("arrays");
            self.pos += 1;
            let (n, text) = self.scan_until(']')?;
            nested.extend(n);
            if !simple_key(&text) {
                self.not_understood(format!("the subscript [{text}]"));
            }
            if text != "@" && text != "*" {
                arith_names.extend(arith_identifiers(&text));
            }
            subscript = Some(text);
        }
        if indirect {
            let keys = matches!(subscript.as_deref(), Some("@" | "*"));
            let prefix = subscript.is_none()
                && matches!(self.peek(), Some('*' | '@'))
                && self.peek_at(1) == Some('}');
            if prefix {
                self.pos += 1;
            } else if !keys {
                // `${!name}` reads the variable named by name's value, subscript included.
                self.not_understood(format!("the indirect expansion ${{!{name}}}"));
                arith_names.push(name.clone());
            }
            self.bash_only("${!…}");
        }
        let op_start = self.pos;
        let kind = match self.peek() {
            Some('}') => None,
            _ if length || indirect => {
                self.not_understood("an operator after ${# or ${!");
                Some(OpWord::Value)
            }
            Some(':') if matches!(self.peek_at(1), Some('-' | '=' | '?' | '+')) => {
                self.pos += 2;
                Some(OpWord::Value)
            }
            Some('-' | '=' | '?' | '+') => {
                self.pos += 1;
                Some(OpWord::Value)
            }
            Some('#' | '%') => {
                let c = self.peek();
                self.pos += 1;
                if self.peek() == c {
                    self.pos += 1;
                }
                Some(OpWord::Pattern)
            }
            Some('/') => {
                self.bash_only("${…/…/…}");
                self.pos += 1;
                if matches!(self.peek(), Some('/' | '#' | '%')) {
                    self.pos += 1;
                }
                Some(OpWord::Pattern)
            }
            Some('^' | ',') => {
                self.bash_only("${…^} and ${…,}");
                let c = self.peek();
                self.pos += 1;
                if self.peek() == c {
                    self.pos += 1;
                }
                Some(OpWord::Pattern)
            }
            Some(':') => {
                self.bash_only("${…:offset:length}");
                self.pos += 1;
                Some(OpWord::Arith)
            }
            Some('@') => {
                self.bash_only("${…@op}");
                match self.peek_at(1) {
                    Some('P') => prompt = true,
                    Some('Q' | 'E' | 'A' | 'a' | 'U' | 'u' | 'L' | 'K' | 'k') => {}
                    _ => self.not_understood("an unknown ${…@op}"),
                }
                self.pos += 2;
                None
            }
            _ => {
                self.not_understood("an unknown ${…} operator");
                Some(OpWord::Value)
            }
        };
        let op = self.text(op_start, self.pos);
        if identifier && (op == "=" || op == ":=") {
            assigns = Some(name.clone());
        }
        if let Some(kind) = kind {
            let word_start = self.pos;
            match self.op_word(kind)? {
                true => {
                    if kind == OpWord::Arith {
                        let text = self.text(word_start, self.pos);
                        arith_names.extend(arith_identifiers(&text));
                    }
                }
                false => {
                    self.not_understood(format!(
                        "the ${{…}} word after {op} (quotes, escapes, braces or substitutions)"
                    ));
                    self.pos = word_start;
                    let (n, text) = self.scan_until('}')?;
                    nested.extend(n);
                    if kind == OpWord::Arith {
                        arith_names.extend(arith_identifiers(&text));
                    }
                    self.pos -= 1;
                }
            }
        }
        if self.peek() != Some('}') {
            return self.err("unterminated ${");
        }
        self.pos += 1;
        self.leave();
        Ok(Part::Param {
            raw: self.text(start, self.pos),
            nested,
            arith_names,
            prompt,
            assigns,
        })
    }

    /// Reads an operator word up to (not including) the closing `}`; false (position anywhere)
    /// when it holds anything ccrs does not model.
    fn op_word(&mut self, kind: OpWord) -> PResult<bool> {
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated ${");
            };
            match c {
                '}' => return Ok(true),
                '$' => {
                    self.pos += 1;
                    let braced = self.peek() == Some('{');
                    if braced {
                        self.pos += 1;
                    }
                    let Some(name) = self.param_name() else {
                        return Ok(false);
                    };
                    if braced {
                        if self.peek() != Some('}') {
                            return Ok(false);
                        }
                        self.pos += 1;
                    }
                    let _ = name;
                }
                c if op_word_char(c, kind) => {
                    self.pos += 1;
                }
                _ => return Ok(false),
            }
        }
    }

    /// Skips the quoted string, escape or expansion starting with `c` inside `${…}`, `[…]` or
    /// `$((…))`, collecting the commands nested in it; false when `c` starts none of those.
    /// Single quotes are skipped over as a literal character: in arithmetic, subscripts and
    /// (inside double quotes) `${…}` words bash expands what they enclose, so reading through
    /// them finds every command that may run.
    pub(super) fn skip_nested(&mut self, c: char, nested: &mut Vec<Node>) -> PResult<bool> {
        match c {
            '\\' => self.pos += 2,
            '"' => {
                self.pos += 1;
                for p in self.dq_parts(Some('"'))? {
                    collect_nested(&p, nested);
                }
            }
            '$' => {
                let mut b = Parts::default();
                self.dollar(&mut b, false)?;
                for p in b.finish() {
                    collect_nested(&p, nested);
                }
            }
            '`' => nested.extend(self.backtick(false)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Scans to the matching `close` (consumed), collecting nested commands; returns them and
    /// the raw text before `close`.
    pub(super) fn scan_until(&mut self, close: char) -> PResult<(Vec<Node>, String)> {
        let start = self.pos;
        let open = if close == '}' { '{' } else { '[' };
        let mut depth = 0usize;
        let mut nested = Vec::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err(format!("expected '{close}'"));
            };
            match c {
                c if c == close && depth == 0 => {
                    let text = self.text(start, self.pos);
                    self.pos += 1;
                    return Ok((nested, text));
                }
                c if c == close => {
                    depth -= 1;
                    self.pos += 1;
                }
                c if c == open => {
                    depth += 1;
                    self.pos += 1;
                }
                // Quotes do not protect a subscript: bash expands `${a['$(cmd)']}`.
                '\'' => self.pos += 1,
                _ => {
                    if !self.skip_nested(c, &mut nested)? {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    /// The inside of `$(( … ))` / `(( … ))` after the opening parens. `None` when it is not
    /// arithmetic after all (a `)` closes before `))`), with the position left anywhere.
    /// Arithmetic ccrs models holds only numbers, names, operators and `$NAME`; anything else
    /// (quotes, escapes, subscripts, substitutions — bash evaluates what they produce as
    /// arithmetic again) is recorded as not understood.
    pub(super) fn arith_content(&mut self) -> PResult<Option<(Vec<Node>, Vec<String>)>> {
        self.enter()?;
        let start = self.pos;
        let mut depth = 0usize;
        let mut nested = Vec::new();
        let mut modelled = true;
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated arithmetic expression");
            };
            match c {
                '(' => {
                    depth += 1;
                    self.pos += 1;
                }
                ')' if depth == 0 => {
                    if self.peek_at(1) == Some(')') {
                        let text = self.text(start, self.pos);
                        self.pos += 2;
                        self.leave();
                        if !modelled {
                            self.not_understood(
                                "arithmetic with quotes, escapes, subscripts or substitutions",
                            );
                        }
                        return Ok(Some((nested, arith_identifiers(&text))));
                    }
                    self.leave();
                    return Ok(None);
                }
                ')' => {
                    depth -= 1;
                    self.pos += 1;
                }
                '$' if matches!(self.peek_at(1), Some(n) if is_name_start(n) || n.is_ascii_digit() || matches!(n, '#' | '@' | '*')) =>
                {
                    self.pos += 1;
                    let _ = self.param_name();
                }
                '$' if self.peek_at(1) == Some('{') => {
                    let mut b = Parts::default();
                    self.dollar(&mut b, false)?;
                    for p in b.finish() {
                        match &p {
                            Part::Param { raw, nested: n, .. }
                                if n.is_empty()
                                    && raw[2..raw.len() - 1].chars().all(is_name_char) => {}
                            _ => modelled = false,
                        }
                        collect_nested(&p, &mut nested);
                    }
                }
                c if arith_char(c) => self.pos += 1,
                _ => {
                    modelled = false;
                    if !self.skip_nested(c, &mut nested)? {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    /// `` `…` ``: the content is unescaped, then parsed as a script of its own.
    pub(super) fn backtick(&mut self, in_dq: bool) -> PResult<Vec<Node>> {
        self.pos += 1;
        let mut inner = String::new();
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated backquote");
            };
            match c {
                '`' => {
                    self.pos += 1;
                    break;
                }
                '\\' => match self.peek_at(1) {
                    Some('\n') => {
                        self.not_understood("a line continuation inside backquotes");
                        inner.push_str("\\\n");
                        self.pos += 2;
                    }
                    Some(x) if matches!(x, '`' | '\\' | '$') || (in_dq && x == '"') => {
                        inner.push(x);
                        self.pos += 2;
                    }
                    _ => {
                        inner.push('\\');
                        self.pos += 1;
                    }
                },
                _ => {
                    inner.push(c);
                    self.pos += 1;
                }
            }
        }
        let mut sub = self.sub(&inner)?;
        let body = sub.parse_list(End::TOP).map_err(|e| ParseError {
            message: format!("in backquotes: {}", e.message),
            offset: self.pos,
        })?;
        if sub.pos < sub.s.len() {
            return self.err("unexpected input in backquotes");
        }
        self.absorb(sub);
        Ok(body)
    }

    /// `$'…'` after the opening quote: ANSI-C escapes decoded.
    pub(super) fn ansi_c(&mut self) -> PResult<String> {
        let mut out = String::new();
        // Bash ends the string at a NUL byte; the rest of the quote is dropped.
        let mut truncated = false;
        loop {
            let Some(c) = self.peek() else {
                return self.err("unterminated $'");
            };
            self.pos += 1;
            let ch = match c {
                '\'' => break,
                '\\' => {
                    let Some(e) = self.peek() else {
                        return self.err("unterminated $'");
                    };
                    self.pos += 1;
                    match e {
                        'a' => Some('\x07'),
                        'b' => Some('\x08'),
                        'e' | 'E' => Some('\x1b'),
                        'f' => Some('\x0c'),
                        'n' => Some('\n'),
                        'r' => Some('\r'),
                        't' => Some('\t'),
                        'v' => Some('\x0b'),
                        '\\' | '\'' | '"' | '?' => Some(e),
                        '0'..='7' => {
                            let mut v = e.to_digit(8).unwrap_or(0);
                            for _ in 0..2 {
                                match self.peek().and_then(|d| d.to_digit(8)) {
                                    Some(d) => {
                                        v = v * 8 + d;
                                        self.pos += 1;
                                    }
                                    None => break,
                                }
                            }
                            char::from_u32(v & 0xff)
                        }
                        'x' | 'u' | 'U' => {
                            let max = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            match self.hex_escape(max) {
                                Some(v) => Some(char::from_u32(v).unwrap_or('\u{fffd}')),
                                None => {
                                    if !truncated {
                                        out.push('\\');
                                    }
                                    Some(e)
                                }
                            }
                        }
                        'c' => {
                            let Some(x) = self.peek() else {
                                return self.err("unterminated $'");
                            };
                            self.pos += 1;
                            char::from_u32((x as u32) & 0x1f)
                        }
                        other => {
                            out.push('\\');
                            Some(other)
                        }
                    }
                }
                other => Some(other),
            };
            match ch {
                Some('\0') => truncated = true,
                Some(ch) if !truncated => out.push(ch),
                _ => {}
            }
        }
        Ok(out)
    }

    /// Up to `max` hex digits; `None` (the escape stays literal) when there is none.
    pub(super) fn hex_escape(&mut self, max: usize) -> Option<u32> {
        let mut v: u32 = 0;
        let mut n = 0;
        while n < max {
            match self.peek().and_then(|d| d.to_digit(16)) {
                Some(d) => {
                    v = v.wrapping_mul(16).wrapping_add(d);
                    self.pos += 1;
                    n += 1;
                }
                None => break,
            }
        }
        (n > 0).then_some(v)
    }
}
