//! A shell parser written for permission checks.
//!
//! It reads a command line the way bash does and returns every command it would run — including
//! those nested in `$(…)`, backticks, `<(…)`/`>(…)`, `${…}`, `$((…))`, subshells, `{ …; }`
//! groups, `if`/`for`/`while`/`until`/`case`, function bodies and unquoted here-documents —
//! without expanding or running anything. Input it cannot parse is an error; callers must treat
//! such a command as unknown (ask), never as allowed.

use std::fmt;

/// Nesting limit (substitutions, groups, …): deeper input is rejected rather than recursed into.
const MAX_DEPTH: usize = 100;

/// Why a command line could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at character {offset})")]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

/// A parsed command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    pub body: Vec<Node>,
    /// Here-document bodies, indexed by [`Redirect::heredoc`].
    pub heredocs: Vec<Word>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Simple(Simple),
    Compound(Compound),
    /// `name() body` / `function name body`: the body runs when the function is called.
    Function {
        name: String,
        body: Box<Node>,
    },
}

/// Assignments, words and redirections of one simple command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Simple {
    pub assignments: Vec<Assignment>,
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

/// `NAME=value`, `NAME+=value`, `NAME=(a b)`, `NAME[i]=value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    pub name: String,
    /// The subscript text of `NAME[sub]=…` (evaluated arithmetically for indexed arrays).
    pub subscript: Option<String>,
    pub values: Vec<Word>,
    pub array: bool,
    pub raw: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    In,
    /// `>`
    Out,
    /// `>>`
    Append,
    /// `>|`
    Clobber,
    /// `<>`
    ReadWrite,
    /// `<&`
    DupIn,
    /// `>&`
    DupOut,
    /// `&>`
    OutErr,
    /// `&>>`
    AppendErr,
    /// `<<` / `<<-`
    HereDoc,
    /// `<<<`
    HereString,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// `2` in `2>`, `{fd}` in `{fd}>`.
    pub fd: Option<String>,
    pub op: RedirOp,
    /// The file, fd or here-document delimiter.
    pub target: Word,
    /// Index into [`Script::heredocs`] for `<<`.
    pub heredoc: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompoundKind {
    /// Commands run one after the other in the same shell (`;`, `&&`, `||`, newlines).
    Sequence,
    /// `a | b`: every stage runs in its own subshell.
    Pipeline,
    /// `a &`: runs in a subshell.
    Background,
    /// `( … )`
    Subshell,
    /// `{ …; }`
    Group,
    If,
    /// `while` / `until`
    Loop,
    /// `for` / `select`
    For,
    Case,
    /// `(( … ))` and `for (( … ))` headers
    Arith,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compound {
    pub kind: CompoundKind,
    pub body: Vec<Node>,
    /// Words the compound expands itself (`for` lists, `case` subjects and patterns).
    pub words: Vec<Word>,
    /// `for NAME in …`
    pub var: Option<String>,
    /// Variables evaluated arithmetically by `(( … ))` / `for (( … ))`.
    pub arith_names: Vec<String>,
    /// Commands nested in arithmetic (`(( $(cmd) ))`).
    pub arith_nested: Vec<Node>,
    pub redirects: Vec<Redirect>,
}

impl Compound {
    fn new(kind: CompoundKind, body: Vec<Node>) -> Self {
        Compound {
            kind,
            body,
            words: Vec::new(),
            var: None,
            arith_names: Vec::new(),
            arith_nested: Vec::new(),
            redirects: Vec::new(),
        }
    }
}

/// One shell word: its source text and its parts after quote removal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    pub raw: String,
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text: subject to brace, tilde and glob expansion.
    Lit(String),
    /// Quoted or escaped text.
    Quoted(String),
    /// `$x`, `${…}`: unknown until run time.
    Param {
        raw: String,
        /// Commands inside (`${x:-$(cmd)}`).
        nested: Vec<Node>,
        /// Variables evaluated arithmetically (subscripts, `${x:off:len}`).
        arith_names: Vec<String>,
        /// `${x@P}`: prompt expansion runs command substitutions found in the value.
        prompt: bool,
    },
    /// `$( … )` or backticks.
    Subst(Vec<Node>),
    /// `<( … )` / `>( … )`
    ProcSub(Vec<Node>),
    /// `$(( … ))`
    Arith {
        nested: Vec<Node>,
        names: Vec<String>,
    },
}

impl Word {
    /// The word after quote removal, when it has no expansions.
    pub fn static_value(&self) -> Option<String> {
        let mut out = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(s) | Part::Quoted(s) => out.push_str(s),
                _ => return None,
            }
        }
        Some(out)
    }

    /// True when the word is plain unquoted text equal to `s`.
    pub fn is_plain(&self, s: &str) -> bool {
        matches!(self.parts.as_slice(), [Part::Lit(t)] if t == s)
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

/// Parses a command line.
pub fn parse(src: &str) -> Result<Script, ParseError> {
    let mut p = Parser::new(src, 0, 0);
    let body = p.parse_list(End::TOP)?;
    if p.pos < p.s.len() {
        return p.err("unexpected input");
    }
    p.finish_pending();
    let mut heredocs = vec![Word::default(); p.next_heredoc];
    for (i, w) in p.heredocs {
        if let Some(slot) = heredocs.get_mut(i) {
            *slot = w;
        }
    }
    Ok(Script { body, heredocs })
}

/// Where a list of commands stops.
#[derive(Clone, Copy)]
struct End<'a> {
    paren: bool,
    case_item: bool,
    words: &'a [&'a str],
}

impl End<'static> {
    const TOP: End<'static> = End {
        paren: false,
        case_item: false,
        words: &[],
    };
    const PAREN: End<'static> = End {
        paren: true,
        case_item: false,
        words: &[],
    };
}

fn words(w: &'static [&'static str]) -> End<'static> {
    End {
        paren: false,
        case_item: false,
        words: w,
    }
}

struct Pending {
    id: usize,
    delim: String,
    strip_tabs: bool,
    quoted: bool,
}

/// Accumulates word parts, merging adjacent literal text of the same quoting.
#[derive(Default)]
struct Parts {
    parts: Vec<Part>,
    lit: String,
    quoted: bool,
}

impl Parts {
    fn push_char(&mut self, c: char, quoted: bool) {
        if !self.lit.is_empty() && self.quoted != quoted {
            self.flush();
        }
        self.quoted = quoted;
        self.lit.push(c);
    }

    fn push_str(&mut self, s: &str, quoted: bool) {
        if !self.lit.is_empty() && self.quoted != quoted {
            self.flush();
        }
        self.quoted = quoted;
        self.lit.push_str(s);
    }

    /// Records an empty quoted string (`''`), which still makes a word.
    fn mark_quoted_empty(&mut self) {
        if self.lit.is_empty() {
            self.parts.push(Part::Quoted(String::new()));
        }
    }

    fn push(&mut self, part: Part) {
        self.flush();
        self.parts.push(part);
    }

    fn flush(&mut self) {
        if !self.lit.is_empty() {
            let text = std::mem::take(&mut self.lit);
            self.parts.push(if self.quoted {
                Part::Quoted(text)
            } else {
                Part::Lit(text)
            });
        }
    }

    fn finish(mut self) -> Vec<Part> {
        self.flush();
        // Drop the empty-quote markers next to real text: `''abc` is just `abc`.
        if self.parts.len() > 1 {
            self.parts
                .retain(|p| !matches!(p, Part::Quoted(s) if s.is_empty()));
            if self.parts.is_empty() {
                self.parts.push(Part::Quoted(String::new()));
            }
        }
        self.parts
    }
}

const RESERVED_STARTS: &[&str] = &[
    "{", "if", "while", "until", "for", "select", "case", "function", "[[",
];
const RESERVED_ENDS: &[&str] = &["}", "then", "else", "elif", "fi", "do", "done", "esac"];

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

/// Identifiers in an arithmetic expression (bare or after `$`): their values are evaluated.
/// Positional parameters (`$1`, `${2}`, `$@`, `$*`) are reported as `$1`, `$@`, ….
pub fn arith_identifiers(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' {
            let mut j = i + 1;
            if chars.get(j) == Some(&'{') {
                j += 1;
            }
            if let Some(&p) = chars.get(j)
                && (p.is_ascii_digit() || p == '@' || p == '*')
            {
                let name = format!("${p}");
                if !out.contains(&name) {
                    out.push(name);
                }
                i = j + 1;
                continue;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            // A number (also 0x1f, 2#101): skip its alphanumerics.
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '#') {
                i += 1;
            }
            continue;
        }
        if is_name_start(c) {
            let start = i;
            while i < chars.len() && is_name_char(chars[i]) {
                i += 1;
            }
            let name: String = chars[start..i].iter().collect();
            if !out.contains(&name) {
                out.push(name);
            }
            continue;
        }
        i += 1;
    }
    out
}

struct Parser {
    s: Vec<char>,
    pos: usize,
    depth: usize,
    pending: Vec<Pending>,
    heredocs: Vec<(usize, Word)>,
    next_heredoc: usize,
}

type PResult<T> = Result<T, ParseError>;

impl Parser {
    fn new(src: &str, depth: usize, next_heredoc: usize) -> Self {
        Parser {
            s: src.chars().collect(),
            pos: 0,
            depth,
            pending: Vec::new(),
            heredocs: Vec::new(),
            next_heredoc,
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.s.get(self.pos + n).copied()
    }

    fn starts_with(&self, t: &str) -> bool {
        t.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn text(&self, a: usize, b: usize) -> String {
        let b = b.min(self.s.len());
        let a = a.min(b);
        self.s[a..b].iter().collect()
    }

    fn err<T>(&self, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            message: message.into(),
            offset: self.pos,
        })
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Spaces, tabs, line continuations and comments (not newlines).
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t') => self.pos += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.pos += 2,
                Some('#') => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    /// Blanks and newlines (reading any here-documents that a newline starts).
    fn skip_ws_nl(&mut self) -> PResult<()> {
        loop {
            self.skip_blanks();
            if self.peek() == Some('\n') {
                self.newline()?;
            } else {
                return Ok(());
            }
        }
    }

    /// Consumes a newline, then the bodies of here-documents opened on that line.
    fn newline(&mut self) -> PResult<()> {
        self.pos += 1;
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            let mut body = String::new();
            while self.pos < self.s.len() {
                let start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != '\n' {
                    self.pos += 1;
                }
                let line = self.text(start, self.pos);
                if self.pos < self.s.len() {
                    self.pos += 1;
                }
                let line = if p.strip_tabs {
                    line.trim_start_matches('\t').to_string()
                } else {
                    line
                };
                if line == p.delim {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            // Bash runs a here-document cut short by the end of input with a warning; so do we
            // (its content is still checked).
            let word = self.heredoc_word(&body, p.quoted)?;
            self.heredocs.push((p.id, word));
        }
        Ok(())
    }

    fn finish_pending(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            self.heredocs.push((p.id, Word::default()));
        }
    }

    /// The body of a here-document: literal when its delimiter was quoted, otherwise expanded
    /// like a double-quoted string (so `$(…)` inside runs).
    fn heredoc_word(&mut self, body: &str, quoted: bool) -> PResult<Word> {
        if quoted {
            return Ok(Word {
                raw: body.to_string(),
                parts: vec![Part::Quoted(body.to_string())],
            });
        }
        let mut sub = Parser::new(body, self.depth + 1, self.next_heredoc);
        if sub.depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        let parts = sub.dq_parts(None)?;
        self.absorb(sub);
        Ok(Word {
            raw: body.to_string(),
            parts,
        })
    }

    /// Takes over a sub-parser's here-documents.
    fn absorb(&mut self, mut sub: Parser) {
        sub.finish_pending();
        self.heredocs.append(&mut sub.heredocs);
        self.next_heredoc = self.next_heredoc.max(sub.next_heredoc);
    }

    /// A word made only of plain characters (no quotes or expansions), without consuming it.
    fn peek_plain_word(&self) -> Option<String> {
        let mut i = self.pos;
        let mut out = String::new();
        while let Some(&c) = self.s.get(i) {
            if is_meta(c) {
                break;
            }
            if matches!(c, '\'' | '"' | '\\' | '$' | '`') {
                return None;
            }
            out.push(c);
            i += 1;
        }
        (!out.is_empty()).then_some(out)
    }

    fn consume_plain(&mut self, w: &str) {
        self.pos += w.chars().count();
    }

    fn expect_word(&mut self, w: &str) -> PResult<()> {
        self.skip_ws_nl()?;
        if self.peek_plain_word().as_deref() == Some(w) {
            self.consume_plain(w);
            Ok(())
        } else {
            self.err(format!("expected '{w}'"))
        }
    }

    fn parse_list(&mut self, end: End) -> PResult<Vec<Node>> {
        self.enter()?;
        let mut out = Vec::new();
        loop {
            self.skip_ws_nl()?;
            let Some(c) = self.peek() else { break };
            if c == ')' {
                if end.paren {
                    break;
                }
                return self.err("unexpected ')'");
            }
            if c == ';' && matches!(self.peek_at(1), Some(';' | '&')) {
                if end.case_item {
                    break;
                }
                return self.err("unexpected ';;'");
            }
            if let Some(w) = self.peek_plain_word()
                && end.words.contains(&w.as_str())
            {
                break;
            }
            let node = self.parse_and_or()?;
            self.skip_blanks();
            match self.peek() {
                Some(';') if !matches!(self.peek_at(1), Some(';' | '&')) => {
                    self.pos += 1;
                    out.push(node);
                }
                Some('&') if !matches!(self.peek_at(1), Some('&' | '>')) => {
                    self.pos += 1;
                    out.push(Node::Compound(Compound::new(
                        CompoundKind::Background,
                        vec![node],
                    )));
                }
                Some('\n') => {
                    self.newline()?;
                    out.push(node);
                }
                None | Some(')' | ';') => out.push(node),
                Some(c) => return self.err(format!("unexpected '{c}'")),
            }
        }
        self.leave();
        Ok(out)
    }

    fn parse_and_or(&mut self) -> PResult<Node> {
        let mut nodes = vec![self.parse_pipeline()?];
        loop {
            self.skip_blanks();
            if self.starts_with("&&") || self.starts_with("||") {
                self.pos += 2;
                self.skip_ws_nl()?;
                nodes.push(self.parse_pipeline()?);
            } else {
                break;
            }
        }
        Ok(if nodes.len() == 1 {
            nodes.remove(0)
        } else {
            Node::Compound(Compound::new(CompoundKind::Sequence, nodes))
        })
    }

    fn parse_pipeline(&mut self) -> PResult<Node> {
        loop {
            self.skip_blanks();
            match self.peek_plain_word().as_deref() {
                Some("!") => self.pos += 1,
                Some("time") => {
                    self.consume_plain("time");
                    self.skip_blanks();
                    if self.peek_plain_word().as_deref() == Some("-p") {
                        self.pos += 2;
                    }
                }
                _ => break,
            }
        }
        let mut stages = vec![self.parse_command()?];
        loop {
            self.skip_blanks();
            if self.peek() == Some('|') && self.peek_at(1) != Some('|') {
                self.pos += if self.peek_at(1) == Some('&') { 2 } else { 1 };
                self.skip_ws_nl()?;
                stages.push(self.parse_command()?);
            } else {
                break;
            }
        }
        Ok(if stages.len() == 1 {
            stages.remove(0)
        } else {
            Node::Compound(Compound::new(CompoundKind::Pipeline, stages))
        })
    }

    fn parse_command(&mut self) -> PResult<Node> {
        self.skip_blanks();
        let Some(c) = self.peek() else {
            return self.err("expected a command");
        };
        match c {
            '&' if self.peek_at(1) == Some('>') => return self.parse_simple(),
            ';' | '&' | '|' | ')' | '\n' => return self.err(format!("unexpected '{c}'")),
            _ => {}
        }
        if self.starts_with("((") {
            let save = self.pos;
            self.pos += 2;
            if let Some((nested, names)) = self.arith_content()? {
                let mut c = Compound::new(CompoundKind::Arith, Vec::new());
                c.arith_names = names;
                c.arith_nested = nested;
                return self.finish_compound(c);
            }
            self.pos = save;
        }
        if c == '(' {
            self.pos += 1;
            let body = self.parse_list(End::PAREN)?;
            self.skip_ws_nl()?;
            if self.peek() != Some(')') {
                return self.err("expected ')'");
            }
            self.pos += 1;
            return self.finish_compound(Compound::new(CompoundKind::Subshell, body));
        }
        if let Some(w) = self.peek_plain_word() {
            if RESERVED_STARTS.contains(&w.as_str()) {
                return self.parse_reserved(&w);
            }
            if RESERVED_ENDS.contains(&w.as_str()) {
                return self.err(format!("unexpected '{w}'"));
            }
            if let Some(node) = self.try_function_def(&w)? {
                return Ok(node);
            }
        }
        self.parse_simple()
    }

    fn finish_compound(&mut self, mut c: Compound) -> PResult<Node> {
        c.redirects = self.trailing_redirects()?;
        Ok(Node::Compound(c))
    }

    fn trailing_redirects(&mut self) -> PResult<Vec<Redirect>> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            match self.peek() {
                Some('<' | '>') if self.peek_at(1) != Some('(') => {
                    out.push(self.parse_redirect(None)?);
                }
                Some('&') if self.peek_at(1) == Some('>') => out.push(self.parse_redirect(None)?),
                Some(c) if c.is_ascii_digit() => {
                    let mut i = self.pos;
                    while self.s.get(i).is_some_and(|c| c.is_ascii_digit()) {
                        i += 1;
                    }
                    if matches!(self.s.get(i), Some('<' | '>')) && self.s.get(i + 1) != Some(&'(') {
                        let fd = self.text(self.pos, i);
                        self.pos = i;
                        out.push(self.parse_redirect(Some(fd))?);
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        Ok(out)
    }

    fn parse_reserved(&mut self, w: &str) -> PResult<Node> {
        self.consume_plain(w);
        match w {
            "{" => {
                let body = self.parse_list(words(&["}"]))?;
                self.expect_word("}")?;
                self.finish_compound(Compound::new(CompoundKind::Group, body))
            }
            "if" => {
                let mut body = self.parse_list(words(&["then"]))?;
                self.expect_word("then")?;
                body.extend(self.parse_list(words(&["elif", "else", "fi"]))?);
                loop {
                    self.skip_ws_nl()?;
                    match self.peek_plain_word().as_deref() {
                        Some("elif") => {
                            self.consume_plain("elif");
                            body.extend(self.parse_list(words(&["then"]))?);
                            self.expect_word("then")?;
                            body.extend(self.parse_list(words(&["elif", "else", "fi"]))?);
                        }
                        Some("else") => {
                            self.consume_plain("else");
                            body.extend(self.parse_list(words(&["fi"]))?);
                            self.expect_word("fi")?;
                            break;
                        }
                        Some("fi") => {
                            self.consume_plain("fi");
                            break;
                        }
                        _ => return self.err("expected 'fi'"),
                    }
                }
                self.finish_compound(Compound::new(CompoundKind::If, body))
            }
            "while" | "until" => {
                let mut body = self.parse_list(words(&["do"]))?;
                self.expect_word("do")?;
                body.extend(self.parse_list(words(&["done"]))?);
                self.expect_word("done")?;
                self.finish_compound(Compound::new(CompoundKind::Loop, body))
            }
            "for" | "select" => self.parse_for(),
            "case" => self.parse_case(),
            "function" => {
                self.skip_blanks();
                let name = self.parse_word(false)?;
                let Some(name) = name.static_value().filter(|n| !n.is_empty()) else {
                    return self.err("expected a function name");
                };
                self.skip_blanks();
                if self.peek() == Some('(') {
                    self.pos += 1;
                    self.skip_blanks();
                    if self.peek() != Some(')') {
                        return self.err("expected ')'");
                    }
                    self.pos += 1;
                }
                self.skip_ws_nl()?;
                let body = self.parse_command()?;
                Ok(Node::Function {
                    name,
                    body: Box::new(body),
                })
            }
            "[[" => {
                let mut simple = Simple::default();
                simple.words.push(Word {
                    raw: "[[".into(),
                    parts: vec![Part::Lit("[[".into())],
                });
                loop {
                    self.skip_ws_nl()?;
                    if self.peek().is_none() {
                        return self.err("expected ']]'");
                    }
                    let w = self.parse_word(true)?;
                    if w.raw.is_empty() {
                        return self.err("unexpected token in [[ ]]");
                    }
                    let end = w.raw == "]]";
                    simple.words.push(w);
                    if end {
                        break;
                    }
                }
                simple.redirects = self.trailing_redirects()?;
                Ok(Node::Simple(simple))
            }
            _ => self.err(format!("unexpected '{w}'")),
        }
    }

    fn parse_for(&mut self) -> PResult<Node> {
        self.skip_blanks();
        let mut c = Compound::new(CompoundKind::For, Vec::new());
        if self.starts_with("((") {
            self.pos += 2;
            let Some((nested, names)) = self.arith_content()? else {
                return self.err("expected '))'");
            };
            c.arith_names = names;
            c.arith_nested = nested;
            self.skip_blanks();
            if self.peek() == Some(';') {
                self.pos += 1;
            }
        } else {
            let name = self.parse_word(false)?;
            let Some(name) = name.static_value().filter(|n| !n.is_empty()) else {
                return self.err("expected a variable name after 'for'");
            };
            c.var = Some(name);
            self.skip_ws_nl()?;
            if self.peek_plain_word().as_deref() == Some("in") {
                self.consume_plain("in");
                loop {
                    self.skip_blanks();
                    match self.peek() {
                        Some(';') => {
                            self.pos += 1;
                            break;
                        }
                        Some('\n') => {
                            self.newline()?;
                            break;
                        }
                        None => return self.err("expected 'do'"),
                        Some(_) => {
                            let w = self.parse_word(false)?;
                            if w.raw.is_empty() {
                                return self.err("unexpected token in 'for' list");
                            }
                            c.words.push(w);
                        }
                    }
                }
            } else if self.peek() == Some(';') {
                self.pos += 1;
            }
        }
        self.skip_ws_nl()?;
        if self.peek_plain_word().as_deref() == Some("{") {
            // bash also accepts `for x in …; { …; }`.
            self.consume_plain("{");
            c.body = self.parse_list(words(&["}"]))?;
            self.expect_word("}")?;
        } else {
            self.expect_word("do")?;
            c.body = self.parse_list(words(&["done"]))?;
            self.expect_word("done")?;
        }
        self.finish_compound(c)
    }

    fn parse_case(&mut self) -> PResult<Node> {
        self.skip_blanks();
        let subject = self.parse_word(false)?;
        if subject.raw.is_empty() {
            return self.err("expected a word after 'case'");
        }
        let mut c = Compound::new(CompoundKind::Case, Vec::new());
        c.words.push(subject);
        self.expect_word("in")?;
        loop {
            self.skip_ws_nl()?;
            if self.peek_plain_word().as_deref() == Some("esac") {
                self.consume_plain("esac");
                break;
            }
            if self.peek().is_none() {
                return self.err("expected 'esac'");
            }
            if self.peek() == Some('(') {
                self.pos += 1;
            }
            loop {
                self.skip_blanks();
                let w = self.parse_word(false)?;
                if w.raw.is_empty() {
                    return self.err("expected a case pattern");
                }
                c.words.push(w);
                self.skip_blanks();
                match self.peek() {
                    Some('|') => self.pos += 1,
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return self.err("expected ')' after a case pattern"),
                }
            }
            let end = End {
                paren: false,
                case_item: true,
                words: &["esac"],
            };
            c.body.extend(self.parse_list(end)?);
            self.skip_ws_nl()?;
            if self.starts_with(";;&") {
                self.pos += 3;
            } else if self.starts_with(";;") || self.starts_with(";&") {
                self.pos += 2;
            }
        }
        self.finish_compound(c)
    }

    /// `name () body`
    fn try_function_def(&mut self, name: &str) -> PResult<Option<Node>> {
        let mut i = self.pos + name.chars().count();
        while matches!(self.s.get(i), Some(' ' | '\t')) {
            i += 1;
        }
        if self.s.get(i) != Some(&'(') {
            return Ok(None);
        }
        i += 1;
        while matches!(self.s.get(i), Some(' ' | '\t')) {
            i += 1;
        }
        if self.s.get(i) != Some(&')') {
            return Ok(None);
        }
        self.pos = i + 1;
        self.skip_ws_nl()?;
        let body = self.parse_command()?;
        Ok(Some(Node::Function {
            name: name.to_string(),
            body: Box::new(body),
        }))
    }

    fn parse_simple(&mut self) -> PResult<Node> {
        let mut s = Simple::default();
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else { break };
            match c {
                '\n' | ';' | '|' | ')' => break,
                '&' => {
                    if self.peek_at(1) == Some('>') {
                        s.redirects.push(self.parse_redirect(None)?);
                        continue;
                    }
                    break;
                }
                '(' => return self.err("unexpected '('"),
                '<' | '>' if self.peek_at(1) != Some('(') => {
                    s.redirects.push(self.parse_redirect(None)?);
                }
                _ => {
                    let start = self.pos;
                    let word = self.parse_word(false)?;
                    if self.pos == start {
                        return self.err(format!("unexpected '{c}'"));
                    }
                    if matches!(self.peek(), Some('<' | '>'))
                        && self.peek_at(1) != Some('(')
                        && is_fd_word(&word)
                    {
                        s.redirects.push(self.parse_redirect(Some(word.raw))?);
                        continue;
                    }
                    if s.words.is_empty()
                        && let Some(a) = self.assignment(&word)?
                    {
                        s.assignments.push(a);
                        continue;
                    }
                    s.words.push(word);
                }
            }
        }
        if s.words.is_empty() && s.assignments.is_empty() && s.redirects.is_empty() {
            return self.err("expected a command");
        }
        Ok(Node::Simple(s))
    }

    /// Recognises `NAME=…` (and reads `NAME=( … )` arrays).
    fn assignment(&mut self, word: &Word) -> PResult<Option<Assignment>> {
        let Some(Part::Lit(first)) = word.parts.first() else {
            return Ok(None);
        };
        let Some(eq) = first.find('=') else {
            return Ok(None);
        };
        let lhs = &first[..eq];
        let (lhs, _append) = match lhs.strip_suffix('+') {
            Some(l) => (l, true),
            None => (lhs, false),
        };
        let (name, subscript) = match lhs.find('[') {
            Some(b) if lhs.ends_with(']') => {
                (&lhs[..b], Some(lhs[b + 1..lhs.len() - 1].to_string()))
            }
            Some(_) => return Ok(None),
            None => (lhs, None),
        };
        let mut chars = name.chars();
        if !chars.next().is_some_and(is_name_start) || !chars.all(is_name_char) {
            return Ok(None);
        }
        let mut value_parts = Vec::new();
        let rest = &first[eq + 1..];
        if !rest.is_empty() {
            value_parts.push(Part::Lit(rest.to_string()));
        }
        value_parts.extend(word.parts.iter().skip(1).cloned());
        let raw_value = word
            .raw
            .split_once('=')
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        let mut a = Assignment {
            name: name.to_string(),
            subscript,
            values: Vec::new(),
            array: false,
            raw: word.raw.clone(),
        };
        if raw_value.is_empty() && self.peek() == Some('(') {
            self.pos += 1;
            a.array = true;
            loop {
                self.skip_ws_nl()?;
                match self.peek() {
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    None => return self.err("expected ')' closing the array"),
                    Some(_) => {
                        let start = self.pos;
                        let w = self.parse_word(false)?;
                        if self.pos == start {
                            return self.err("unexpected token in array");
                        }
                        a.values.push(w);
                    }
                }
            }
        } else {
            a.values.push(Word {
                raw: raw_value,
                parts: value_parts,
            });
        }
        Ok(Some(a))
    }

    fn parse_redirect(&mut self, fd: Option<String>) -> PResult<Redirect> {
        let ops: [(&str, RedirOp); 12] = [
            ("&>>", RedirOp::AppendErr),
            ("&>", RedirOp::OutErr),
            ("<<<", RedirOp::HereString),
            ("<<-", RedirOp::HereDoc),
            ("<<", RedirOp::HereDoc),
            ("<>", RedirOp::ReadWrite),
            ("<&", RedirOp::DupIn),
            ("<", RedirOp::In),
            (">>", RedirOp::Append),
            (">|", RedirOp::Clobber),
            (">&", RedirOp::DupOut),
            (">", RedirOp::Out),
        ];
        let Some((tok, op)) = ops.iter().find(|(t, _)| self.starts_with(t)).copied() else {
            return self.err("expected a redirection");
        };
        let strip_tabs = tok == "<<-";
        self.pos += tok.len();
        self.skip_blanks();
        let start = self.pos;
        let target = self.parse_word(false)?;
        if self.pos == start {
            return self.err("missing redirection target");
        }
        let mut heredoc = None;
        if op == RedirOp::HereDoc {
            let quoted = target.parts.iter().any(|p| !matches!(p, Part::Lit(_)));
            let delim = target.static_value().unwrap_or_else(|| target.raw.clone());
            let id = self.next_heredoc;
            self.next_heredoc += 1;
            self.pending.push(Pending {
                id,
                delim,
                strip_tabs,
                quoted,
            });
            heredoc = Some(id);
        }
        Ok(Redirect {
            fd,
            op,
            target,
            heredoc,
        })
    }

    /// Reads one word. In `cond` mode (inside `[[ ]]`) only blanks, newlines and `;` end it.
    fn parse_word(&mut self, cond: bool) -> PResult<Word> {
        let start = self.pos;
        let mut b = Parts::default();
        while let Some(c) = self.peek() {
            match c {
                ' ' | '\t' | '\n' | ';' => break,
                '<' | '>' if !cond && self.peek_at(1) == Some('(') => {
                    self.pos += 2;
                    let body = self.parse_list(End::PAREN)?;
                    self.skip_ws_nl()?;
                    if self.peek() != Some(')') {
                        return self.err("unterminated process substitution");
                    }
                    self.pos += 1;
                    b.push(Part::ProcSub(body));
                }
                '&' | '|' | '<' | '>' | '(' | ')' if !cond => break,
                '\\' => match self.peek_at(1) {
                    Some('\n') => self.pos += 2,
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

    fn single_quoted(&mut self) -> PResult<String> {
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
    fn dq_parts(&mut self, term: Option<char>) -> PResult<Vec<Part>> {
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
                    Some('\n') => self.pos += 2,
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
    fn dollar(&mut self, b: &mut Parts, in_dq: bool) -> PResult<()> {
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
            Some('\'') if !in_dq => {
                self.pos += 2;
                let s = self.ansi_c()?;
                b.push_str(&s, true);
                b.mark_quoted_empty();
            }
            Some('"') if !in_dq => {
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
                b.push(Part::Param {
                    raw: self.text(start, self.pos),
                    nested: Vec::new(),
                    arith_names: Vec::new(),
                    prompt: false,
                });
            }
            Some(c)
                if c.is_ascii_digit() || matches!(c, '@' | '*' | '#' | '?' | '$' | '!' | '-') =>
            {
                let raw = self.text(self.pos, self.pos + 2);
                self.pos += 2;
                b.push(Part::Param {
                    raw,
                    nested: Vec::new(),
                    arith_names: Vec::new(),
                    prompt: false,
                });
            }
            _ => {
                b.push_char('$', in_dq);
                self.pos += 1;
            }
        }
        Ok(())
    }

    /// `${ … }`
    fn param_braced(&mut self) -> PResult<Part> {
        self.enter()?;
        let start = self.pos;
        self.pos += 2;
        let mut nested = Vec::new();
        let mut arith_names = Vec::new();
        let mut prompt = false;
        let mut indirect = false;
        if matches!(self.peek(), Some('#' | '!')) && self.peek_at(1) != Some('}') {
            indirect = self.peek() == Some('!');
            self.pos += 1;
        }
        // The parameter name.
        match self.peek() {
            Some(c) if is_name_start(c) => {
                let name_start = self.pos;
                while self.peek().is_some_and(is_name_char) {
                    self.pos += 1;
                }
                // `${!name}` evaluates name's value as a variable reference, subscript
                // included (`a[$(cmd)]`); `${!name[@]}` and `${!prefix*}` only list names.
                if indirect && !matches!(self.peek(), Some('[' | '*' | '@')) {
                    arith_names.push(self.text(name_start, self.pos));
                }
            }
            Some(c) if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            Some('@' | '*' | '#' | '?' | '$' | '!' | '-') => self.pos += 1,
            _ => return self.err("bad ${} substitution"),
        }
        if self.peek() == Some('[') {
            self.pos += 1;
            let (n, text) = self.scan_until(']')?;
            nested.extend(n);
            if text != "@" && text != "*" {
                arith_names.extend(arith_identifiers(&text));
            }
        }
        match self.peek() {
            Some('}') => {}
            Some(':') if !matches!(self.peek_at(1), Some('-' | '=' | '?' | '+')) => {
                // ${x:offset:length}: both are arithmetic.
                self.pos += 1;
                let (n, text) = self.scan_until('}')?;
                nested.extend(n);
                arith_names.extend(arith_identifiers(&text));
                self.pos -= 1;
            }
            Some('@') => {
                if self.peek_at(1) == Some('P') {
                    prompt = true;
                }
                let (n, _) = {
                    self.pos += 1;
                    self.scan_until('}')?
                };
                nested.extend(n);
                self.pos -= 1;
            }
            Some(_) => {
                let (n, _) = self.scan_until('}')?;
                nested.extend(n);
                self.pos -= 1;
            }
            None => return self.err("unterminated ${"),
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
        })
    }

    /// Skips the quoted string, escape or expansion starting with `c` inside `${…}`, `[…]` or
    /// `$((…))`, collecting the commands nested in it; false when `c` starts none of those.
    fn skip_nested(&mut self, c: char, nested: &mut Vec<Node>) -> PResult<bool> {
        match c {
            '\\' => self.pos += 2,
            '\'' => {
                self.pos += 1;
                self.single_quoted()?;
            }
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
    fn scan_until(&mut self, close: char) -> PResult<(Vec<Node>, String)> {
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
                '\'' if close == ']' => self.pos += 1,
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
    fn arith_content(&mut self) -> PResult<Option<(Vec<Node>, Vec<String>)>> {
        self.enter()?;
        let start = self.pos;
        let mut depth = 0usize;
        let mut nested = Vec::new();
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
                        return Ok(Some((nested, arith_identifiers(&text))));
                    }
                    self.leave();
                    return Ok(None);
                }
                ')' => {
                    depth -= 1;
                    self.pos += 1;
                }
                _ => {
                    if !self.skip_nested(c, &mut nested)? {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    /// `` `…` ``: the content is unescaped, then parsed as a script of its own.
    fn backtick(&mut self, in_dq: bool) -> PResult<Vec<Node>> {
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
        let mut sub = Parser::new(&inner, self.depth + 1, self.next_heredoc);
        if sub.depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
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
    fn ansi_c(&mut self) -> PResult<String> {
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
    fn hex_escape(&mut self, max: usize) -> Option<u32> {
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

fn is_fd_word(w: &Word) -> bool {
    match w.parts.as_slice() {
        [Part::Lit(t)] => {
            (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
                || (t.len() > 2
                    && t.starts_with('{')
                    && t.ends_with('}')
                    && t[1..t.len() - 1].chars().all(is_name_char))
        }
        _ => false,
    }
}

/// Commands nested in a word part.
pub fn collect_nested(p: &Part, out: &mut Vec<Node>) {
    match p {
        Part::Param { nested, .. } | Part::Subst(nested) | Part::ProcSub(nested) => {
            out.extend(nested.iter().cloned())
        }
        Part::Arith { nested, .. } => out.extend(nested.iter().cloned()),
        Part::Lit(_) | Part::Quoted(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every simple command's words (static values, `?` for dynamic words), in order.
    fn commands(src: &str) -> Vec<String> {
        let script = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        let mut out = Vec::new();
        for n in &script.body {
            collect(n, &mut out);
        }
        for h in &script.heredocs {
            for p in &h.parts {
                let mut nodes = Vec::new();
                collect_nested(p, &mut nodes);
                for n in &nodes {
                    collect(n, &mut out);
                }
            }
        }
        out
    }

    fn collect_word(w: &Word, out: &mut Vec<String>) {
        for p in &w.parts {
            let mut nodes = Vec::new();
            collect_nested(p, &mut nodes);
            for n in &nodes {
                collect(n, out);
            }
        }
    }

    fn collect(n: &Node, out: &mut Vec<String>) {
        match n {
            Node::Simple(s) => {
                let text: Vec<String> = s
                    .words
                    .iter()
                    .map(|w| w.static_value().unwrap_or_else(|| "?".into()))
                    .collect();
                out.push(text.join(" "));
                for a in &s.assignments {
                    for v in &a.values {
                        collect_word(v, out);
                    }
                }
                for w in &s.words {
                    collect_word(w, out);
                }
                for r in &s.redirects {
                    collect_word(&r.target, out);
                }
            }
            Node::Compound(c) => {
                for w in &c.words {
                    collect_word(w, out);
                }
                for x in &c.arith_nested {
                    collect(x, out);
                }
                for b in &c.body {
                    collect(b, out);
                }
                for r in &c.redirects {
                    collect_word(&r.target, out);
                }
            }
            Node::Function { body, .. } => collect(body, out),
        }
    }

    #[test]
    fn separators_split_commands() {
        assert_eq!(
            commands("a 1 && b 2 || c; d & e | f |& g\nh"),
            ["a 1", "b 2", "c", "d", "e", "f", "g", "h"]
        );
    }

    #[test]
    fn quotes_and_escapes_are_removed() {
        assert_eq!(commands(r#"r"m" -rf 'a b' c\ d"#), ["rm -rf a b c d"]);
        assert_eq!(
            commands(
                r"echo a\
b"
            ),
            ["echo ab"]
        );
        assert_eq!(commands("$'\\x72\\x6d' x"), ["rm x"]);
        assert_eq!(commands("$'r\\155' x"), ["rm x"]);
        assert_eq!(commands("echo $'a\\0b'"), ["echo a"]);
        assert_eq!(commands("echo \"a\\\"b\" '' x"), ["echo a\"b  x"]);
    }

    #[test]
    fn substitutions_are_found() {
        assert_eq!(commands("echo $(rm x)"), ["echo ?", "rm x"]);
        assert_eq!(commands("echo `rm x`"), ["echo ?", "rm x"]);
        assert_eq!(commands("echo \"$(rm x)\""), ["echo ?", "rm x"]);
        assert_eq!(commands("cat <(cat .env)"), ["cat ?", "cat .env"]);
        assert_eq!(commands("ls > >(tee x)"), ["ls", "tee x"]);
        assert_eq!(commands("echo ${X:-$(rm y)}"), ["echo ?", "rm y"]);
        assert_eq!(commands("echo $(( 1 + $(rm z) ))"), ["echo ?", "rm z"]);
        assert_eq!(
            commands("echo `echo \\`rm q\\``"),
            ["echo ?", "echo ?", "rm q"]
        );
        assert_eq!(commands("FOO=$(rm a) ls"), ["ls", "rm a"]);
        assert_eq!(commands("echo $( (rm b) )"), ["echo ?", "rm b"]);
    }

    #[test]
    fn compound_commands() {
        assert_eq!(commands("{ cat .env; }"), ["cat .env"]);
        assert_eq!(commands("(cd x && rm y)"), ["cd x", "rm y"]);
        assert_eq!(
            commands("if a; then b; elif c; then d; else e; fi"),
            ["a", "b", "c", "d", "e"]
        );
        assert_eq!(commands("for f in *.rs; do rm $f; done"), ["rm ?"]);
        assert_eq!(
            commands("while read l; do echo $l; done < f"),
            ["read l", "echo ?"]
        );
        assert_eq!(commands("until false\ndo x\ndone"), ["false", "x"]);
        assert_eq!(
            commands("case $x in a|b) rm a;; (c) rm c;& *) rm d;;& esac"),
            ["rm a", "rm c", "rm d"]
        );
        assert_eq!(commands("f() { rm x; }; f"), ["rm x", "f"]);
        assert_eq!(commands("function g { rm y; }"), ["rm y"]);
        assert_eq!(
            commands("(( i++ )); for ((i=0;i<3;i++)); do x; done"),
            ["x"]
        );
        assert_eq!(
            commands("[[ -f a && $(rm b) ]]"),
            ["[[ -f a && ? ]]", "rm b"]
        );
        assert_eq!(commands("! time -p ls"), ["ls"]);
    }

    #[test]
    fn heredocs() {
        assert_eq!(
            commands("cat <<EOF\n$(rm x)\nEOF\nls"),
            ["cat", "ls", "rm x"]
        );
        assert_eq!(commands("cat <<'EOF'\n$(rm x)\nEOF"), ["cat"]);
        assert_eq!(
            commands("cat <<-\"E\"\n\t$(rm x)\n\tE\necho"),
            ["cat", "echo"]
        );
        assert_eq!(commands("cat <<< \"$(rm h)\""), ["cat", "rm h"]);
        let s = parse("cat <<A <<B\na\nA\n$(rm b)\nB\n").unwrap();
        assert_eq!(s.heredocs.len(), 2);
    }

    #[test]
    fn redirections() {
        let s = parse("ls 2>&1 >out &>>both <in 3<>rw >|c").unwrap();
        let Node::Simple(simple) = &s.body[0] else {
            panic!()
        };
        let ops: Vec<RedirOp> = simple.redirects.iter().map(|r| r.op).collect();
        assert_eq!(
            ops,
            [
                RedirOp::DupOut,
                RedirOp::Out,
                RedirOp::AppendErr,
                RedirOp::In,
                RedirOp::ReadWrite,
                RedirOp::Clobber
            ]
        );
        assert_eq!(simple.redirects[0].fd.as_deref(), Some("2"));
        assert_eq!(simple.words.len(), 1);
    }

    #[test]
    fn assignments() {
        let s = parse("A=1 B+=2 C=(x $(rm y)) D[1]=z cmd arg=1").unwrap();
        let Node::Simple(simple) = &s.body[0] else {
            panic!()
        };
        let names: Vec<&str> = simple.assignments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["A", "B", "C", "D"]);
        assert_eq!(simple.words.len(), 2);
        assert_eq!(commands("C=(x $(rm y))"), ["", "rm y"]);
    }

    #[test]
    fn prompt_expansion_and_arith_names_are_recorded() {
        let s = parse("echo ${x@P} ${a[i+j]} ${s:off:len} $((n + $m))").unwrap();
        let Node::Simple(simple) = &s.body[0] else {
            panic!()
        };
        assert!(matches!(
            simple.words[1].parts[0],
            Part::Param { prompt: true, .. }
        ));
        let Part::Param { arith_names, .. } = &simple.words[2].parts[0] else {
            panic!()
        };
        assert_eq!(arith_names, &["i", "j"]);
        let Part::Param { arith_names, .. } = &simple.words[3].parts[0] else {
            panic!()
        };
        assert_eq!(arith_names, &["off", "len"]);
        let Part::Arith { names, .. } = &simple.words[4].parts[0] else {
            panic!()
        };
        assert_eq!(names, &["n", "m"]);
    }

    #[test]
    fn syntax_errors_are_errors() {
        for bad in [
            "echo 'unterminated",
            "echo \"unterminated",
            "echo $(ls",
            "echo `ls",
            "echo ${x",
            "if true; then ls",
            "{ ls; ",
            "ls &&",
            "&& ls",
            "| ls",
            "ls )",
            "ls >",
            "case x in a) ls",
            "for x in a; do ls",
            ";; ls",
            "fi",
            "foo(",
            "$((1+2",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn depth_is_limited() {
        let deep = "$(".repeat(500) + &")".repeat(500);
        assert!(parse(&format!("echo {deep}")).is_err());
        let deep = "( ".repeat(500) + "ls" + &" )".repeat(500);
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn comments_and_empty() {
        assert_eq!(commands("ls # rm -rf /"), ["ls"]);
        assert_eq!(commands("echo a#b"), ["echo a#b"]);
        assert!(parse("").unwrap().body.is_empty());
        assert!(parse("  # just a comment\n").unwrap().body.is_empty());
    }
}
