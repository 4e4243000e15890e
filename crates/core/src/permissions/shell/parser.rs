//! Lists, commands, compound commands and redirections.

use super::{
    Assignment, Compound, CompoundKind, MAX_DEPTH, Node, ParseError, Part, RESERVED_ENDS,
    RESERVED_STARTS, RedirOp, Redirect, Simple, Word, is_fd_word, is_meta, is_name_char,
    is_name_start,
};

/// Where a list of commands stops.
#[derive(Clone, Copy)]
pub(super) struct End<'a> {
    paren: bool,
    case_item: bool,
    words: &'a [&'a str],
}

impl End<'static> {
    pub(super) const TOP: End<'static> = End {
        paren: false,
        case_item: false,
        words: &[],
    };
    pub(super) const PAREN: End<'static> = End {
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

pub(super) struct Pending {
    id: usize,
    delim: String,
    strip_tabs: bool,
    quoted: bool,
}

/// Accumulates word parts, merging adjacent literal text of the same quoting.
#[derive(Default)]
pub(super) struct Parts {
    parts: Vec<Part>,
    lit: String,
    quoted: bool,
}

impl Parts {
    pub(super) fn push_char(&mut self, c: char, quoted: bool) {
        if !self.lit.is_empty() && self.quoted != quoted {
            self.flush();
        }
        self.quoted = quoted;
        self.lit.push(c);
    }

    pub(super) fn push_str(&mut self, s: &str, quoted: bool) {
        if !self.lit.is_empty() && self.quoted != quoted {
            self.flush();
        }
        self.quoted = quoted;
        self.lit.push_str(s);
    }

    /// Records an empty quoted string (`''`), which still makes a word.
    pub(super) fn mark_quoted_empty(&mut self) {
        if self.lit.is_empty() {
            self.parts.push(Part::Quoted(String::new()));
        }
    }

    pub(super) fn push(&mut self, part: Part) {
        self.flush();
        self.parts.push(part);
    }

    pub(super) fn flush(&mut self) {
        if !self.lit.is_empty() {
            let text = std::mem::take(&mut self.lit);
            self.parts.push(if self.quoted {
                Part::Quoted(text)
            } else {
                Part::Lit(text)
            });
        }
    }

    pub(super) fn finish(mut self) -> Vec<Part> {
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

pub(super) struct Parser {
    pub(super) s: Vec<char>,
    pub(super) pos: usize,
    pub(super) depth: usize,
    pub(super) pending: Vec<Pending>,
    pub(super) heredocs: Vec<(usize, Word)>,
    pub(super) next_heredoc: usize,
    /// Bash (else POSIX sh: bash-only constructs are not understood).
    pub(super) bash: bool,
    /// Constructs parsed but not modelled exactly.
    pub(super) unknown: Vec<String>,
}

pub(super) type PResult<T> = Result<T, ParseError>;

impl Parser {
    pub(super) fn new(src: &str, depth: usize, next_heredoc: usize, bash: bool) -> Self {
        Parser {
            s: src.chars().collect(),
            pos: 0,
            depth,
            pending: Vec::new(),
            heredocs: Vec::new(),
            next_heredoc,
            bash,
            unknown: Vec::new(),
        }
    }

    /// A sub-parser for text nested in this one (backquotes, here-document bodies).
    pub(super) fn sub(&self, src: &str) -> PResult<Parser> {
        let sub = Parser::new(src, self.depth + 1, self.next_heredoc, self.bash);
        if sub.depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        Ok(sub)
    }

    /// Records a construct that is parsed but not modelled exactly.
    pub(super) fn not_understood(&mut self, what: impl Into<String>) {
        let what = what.into();
        if !self.unknown.contains(&what) {
            self.unknown.push(what);
        }
    }

    /// A bash-only construct: understood in bash, not in POSIX sh (where dash and bash in POSIX
    /// mode do different things with it).
    pub(super) fn bash_only(&mut self, what: &str) {
        if !self.bash {
            self.not_understood(format!("{what} (a bash construct, in sh)"));
        }
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    pub(super) fn peek_at(&self, n: usize) -> Option<char> {
        self.s.get(self.pos + n).copied()
    }

    pub(super) fn starts_with(&self, t: &str) -> bool {
        t.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    pub(super) fn text(&self, a: usize, b: usize) -> String {
        let b = b.min(self.s.len());
        let a = a.min(b);
        self.s[a..b].iter().collect()
    }

    pub(super) fn err<T>(&self, message: impl Into<String>) -> PResult<T> {
        Err(ParseError {
            message: message.into(),
            offset: self.pos,
        })
    }

    pub(super) fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("nested too deeply");
        }
        Ok(())
    }

    pub(super) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Spaces, tabs, line continuations and comments (not newlines).
    pub(super) fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t') => self.pos += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => {
                    // bash removes it before reading tokens: right after an operator it joins
                    // the operator with what follows (`$(` and `(` make `$((`).
                    if self.pos > 0 && !matches!(self.s[self.pos - 1], ' ' | '\t' | '\n') {
                        self.not_understood("a line continuation right after an operator");
                    }
                    self.pos += 2;
                }
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
    pub(super) fn skip_ws_nl(&mut self) -> PResult<()> {
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
    pub(super) fn newline(&mut self) -> PResult<()> {
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

    pub(super) fn finish_pending(&mut self) {
        for p in std::mem::take(&mut self.pending) {
            self.heredocs.push((p.id, Word::default()));
        }
    }

    /// The body of a here-document: literal when its delimiter was quoted, otherwise expanded
    /// like a double-quoted string (so `$(…)` inside runs).
    pub(super) fn heredoc_word(&mut self, body: &str, quoted: bool) -> PResult<Word> {
        if quoted {
            return Ok(Word {
                raw: body.to_string(),
                parts: vec![Part::Quoted(body.to_string())],
            });
        }
        if body.contains("\\\n") {
            // bash joins the lines before it looks for the delimiter and expands the body.
            self.not_understood("a line continuation in a here-document");
        }
        let mut sub = self.sub(body)?;
        let parts = sub.dq_parts(None)?;
        self.absorb(sub);
        Ok(Word {
            raw: body.to_string(),
            parts,
        })
    }

    /// Takes over a sub-parser's here-documents and what it did not understand.
    pub(super) fn absorb(&mut self, mut sub: Parser) {
        sub.finish_pending();
        self.heredocs.append(&mut sub.heredocs);
        self.next_heredoc = self.next_heredoc.max(sub.next_heredoc);
        for u in sub.unknown {
            self.not_understood(u);
        }
    }

    /// A word made only of plain characters (no quotes or expansions), without consuming it.
    pub(super) fn peek_plain_word(&self) -> Option<String> {
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

    pub(super) fn consume_plain(&mut self, w: &str) {
        self.pos += w.chars().count();
    }

    pub(super) fn expect_word(&mut self, w: &str) -> PResult<()> {
        self.skip_ws_nl()?;
        if self.peek_plain_word().as_deref() == Some(w) {
            self.consume_plain(w);
            Ok(())
        } else {
            self.err(format!("expected '{w}'"))
        }
    }

    pub(super) fn parse_list(&mut self, end: End) -> PResult<Vec<Node>> {
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
                Some('&')
                    if self.peek_at(1) != Some('&')
                        && (self.peek_at(1) != Some('>') || !self.bash) =>
                {
                    if self.peek_at(1) == Some('>') {
                        // dash: `cmd &` then `> file`; bash (also in POSIX mode): `&>`.
                        self.not_understood("&> (a bash redirection, in sh)");
                    }
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

    pub(super) fn parse_and_or(&mut self) -> PResult<Node> {
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

    pub(super) fn parse_pipeline(&mut self) -> PResult<Node> {
        let mut timed = None;
        loop {
            self.skip_blanks();
            match self.peek_plain_word().as_deref() {
                Some("!") => self.pos += 1,
                Some("time") if self.bash => {
                    self.consume_plain("time");
                    self.skip_blanks();
                    timed = Some("time".to_string());
                    if self.peek_plain_word().as_deref() == Some("-p") {
                        self.pos += 2;
                        timed = Some("time -p".to_string());
                    }
                }
                _ => break,
            }
        }
        let mut first = self.parse_command()?;
        if let (Some(t), Node::Simple(s)) = (timed, &mut first) {
            s.timed = Some(t);
        }
        let mut stages = vec![first];
        loop {
            self.skip_blanks();
            if self.peek() == Some('|') && self.peek_at(1) != Some('|') {
                if self.peek_at(1) == Some('&') {
                    self.bash_only("|&");
                    self.pos += 2;
                } else {
                    self.pos += 1;
                }
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

    pub(super) fn parse_command(&mut self) -> PResult<Node> {
        self.skip_blanks();
        let Some(c) = self.peek() else {
            return self.err("expected a command");
        };
        match c {
            '&' if self.peek_at(1) == Some('>') && self.bash => return self.parse_simple(),
            ';' | '&' | '|' | ')' | '\n' => return self.err(format!("unexpected '{c}'")),
            _ => {}
        }
        if self.starts_with("((") && !self.bash {
            // dash reads nested subshells, bash in POSIX mode arithmetic.
            self.not_understood("(( at the start of a command, in sh");
        }
        if self.starts_with("((") && self.bash {
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
            if !self.bash && matches!(w.as_str(), "[[" | "function" | "select" | "coproc") {
                // Keywords of bash (also in its POSIX mode), plain words to dash.
                self.not_understood(format!("{w} (a bash keyword, in sh)"));
            }
            if w == "coproc" {
                // `coproc NAME { …; }` runs a compound command in the background.
                self.not_understood("coproc");
            }
            if RESERVED_STARTS.contains(&w.as_str())
                && (self.bash || !matches!(w.as_str(), "[[" | "function" | "select"))
            {
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

    pub(super) fn finish_compound(&mut self, mut c: Compound) -> PResult<Node> {
        c.redirects = self.trailing_redirects()?;
        Ok(Node::Compound(c))
    }

    pub(super) fn trailing_redirects(&mut self) -> PResult<Vec<Redirect>> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            match self.peek() {
                Some('<' | '>') if self.peek_at(1) != Some('(') => {
                    out.push(self.parse_redirect(None)?);
                }
                Some('&') if self.peek_at(1) == Some('>') && self.bash => {
                    out.push(self.parse_redirect(None)?)
                }
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

    pub(super) fn parse_reserved(&mut self, w: &str) -> PResult<Node> {
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
                let name = self.parse_word()?;
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
            "[[" => self.parse_cond(),
            _ => self.err(format!("unexpected '{w}'")),
        }
    }

    /// `[[ … ]]` (bash): its words are read as in bash's conditional command, where `<`, `>`,
    /// `(`, `)`, `&&`, `||` are operators. What bash reads differently from ordinary words (a
    /// process substitution, a regular expression with unquoted parentheses or bars, a `;` or
    /// `&`) is not understood.
    pub(super) fn parse_cond(&mut self) -> PResult<Node> {
        let mut simple = Simple::default();
        let lit = |t: &str| Word {
            raw: t.to_string(),
            parts: vec![Part::Lit(t.to_string())],
        };
        simple.words.push(lit("[["));
        let ends_word = |c: Option<char>| {
            matches!(
                c,
                None | Some(' ' | '\t' | '\n' | ';' | '&' | '|' | ')' | '<' | '>')
            )
        };
        loop {
            self.skip_ws_nl()?;
            let Some(c) = self.peek() else {
                return self.err("expected ']]'");
            };
            if self.starts_with("]]") && ends_word(self.peek_at(2)) {
                self.pos += 2;
                simple.words.push(lit("]]"));
                break;
            }
            if self.starts_with("&&") || self.starts_with("||") {
                simple.words.push(lit(&self.text(self.pos, self.pos + 2)));
                self.pos += 2;
                continue;
            }
            match c {
                '(' | ')' => {
                    simple.words.push(lit(&c.to_string()));
                    self.pos += 1;
                    continue;
                }
                '<' | '>' if self.peek_at(1) == Some('(') => {
                    self.not_understood("a process substitution inside [[ ]]");
                    // Read it as one, so its commands are still seen.
                    let w = self.parse_word()?;
                    simple.words.push(w);
                    continue;
                }
                '<' | '>' => {
                    simple.words.push(lit(&c.to_string()));
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let regex = simple.words.last().is_some_and(|w| w.raw == "=~");
            let start = self.pos;
            let w = self.parse_word()?;
            if self.pos == start {
                self.not_understood(format!("'{c}' inside [[ ]]"));
                self.pos += 1;
                continue;
            }
            if regex && !matches!(self.peek(), None | Some(' ' | '\t' | '\n')) {
                self.not_understood("a regular expression with unquoted operators in [[ ]]");
            }
            simple.words.push(w);
        }
        simple.redirects = self.trailing_redirects()?;
        Ok(Node::Simple(simple))
    }

    pub(super) fn parse_for(&mut self) -> PResult<Node> {
        self.skip_blanks();
        let mut c = Compound::new(CompoundKind::For, Vec::new());
        if self.starts_with("((") {
            self.bash_only("for ((…))");
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
            let name = self.parse_word()?;
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
                            let w = self.parse_word()?;
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
            self.bash_only("for … { …; }");
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

    pub(super) fn parse_case(&mut self) -> PResult<Node> {
        self.skip_blanks();
        let subject = self.parse_word()?;
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
                let w = self.parse_word()?;
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
                self.bash_only(";;&");
                self.pos += 3;
            } else if self.starts_with(";&") {
                self.bash_only(";&");
                self.pos += 2;
            } else if self.starts_with(";;") {
                self.pos += 2;
            }
        }
        self.finish_compound(c)
    }

    /// `name () body`
    pub(super) fn try_function_def(&mut self, name: &str) -> PResult<Option<Node>> {
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

    pub(super) fn parse_simple(&mut self) -> PResult<Node> {
        let mut s = Simple::default();
        loop {
            self.skip_blanks();
            let Some(c) = self.peek() else { break };
            match c {
                '\n' | ';' | '|' | ')' => break,
                '&' => {
                    if self.peek_at(1) == Some('>') && self.bash {
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
                    let word = self.parse_word()?;
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
    pub(super) fn assignment(&mut self, word: &Word) -> PResult<Option<Assignment>> {
        let Some(Part::Lit(first)) = word.parts.first() else {
            return Ok(None);
        };
        let Some(eq) = first.find('=') else {
            return Ok(None);
        };
        let lhs = &first[..eq];
        let (lhs, append) = match lhs.strip_suffix('+') {
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
        if append {
            self.bash_only("+=");
        }
        if let Some(sub) = &subscript {
            self.bash_only("an array element assignment");
            if !simple_subscript(sub) {
                self.not_understood(format!("the array subscript [{sub}]"));
            }
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
            self.bash_only("an array assignment");
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
                        let w = self.parse_word()?;
                        if self.pos == start {
                            return self.err("unexpected token in array");
                        }
                        if w.raw.starts_with('[') {
                            // `[key]=value`: the key is evaluated (arithmetically for an
                            // indexed array) when the array is assigned.
                            match w.raw[1..].split_once("]=") {
                                Some((k, _))
                                    if !k.is_empty() && k.chars().all(|c| c.is_ascii_digit()) => {}
                                _ => self.not_understood(format!("the array element {}", w.raw)),
                            }
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

    pub(super) fn parse_redirect(&mut self, fd: Option<String>) -> PResult<Redirect> {
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
        let target = self.parse_word()?;
        if self.pos == start {
            return self.err("missing redirection target");
        }
        if fd.as_deref().is_some_and(|f| f.starts_with('{')) {
            self.bash_only("{var}> redirections");
        }
        if op == RedirOp::HereString {
            self.bash_only("<<<");
        }
        if matches!(op, RedirOp::DupIn | RedirOp::DupOut)
            && !target.static_value().is_some_and(|v| {
                let t = v.strip_suffix('-').unwrap_or(&v);
                t.chars().all(|c| c.is_ascii_digit())
            })
        {
            self.bash_only(">& to a file");
        }
        let mut heredoc = None;
        if op == RedirOp::HereDoc {
            // Any quoting makes the body literal; the delimiter is the word after quote removal,
            // never expanded.
            let quoted = target.raw.contains(['\'', '"', '\\']);
            let delim = match target.static_value() {
                Some(d) => d,
                None => {
                    self.not_understood(format!("the here-document delimiter {}", target.raw));
                    target.raw.clone()
                }
            };
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
}

/// A subscript ccrs models: a number, a variable name (evaluated arithmetically, checked like
/// any arithmetic), `@` or `*`, or simple arithmetic on those.
pub(super) fn simple_subscript(sub: &str) -> bool {
    !sub.is_empty()
        && sub.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '$' | ' ' | '+' | '-' | '*' | '/' | '%' | '@')
        })
}
