//! A shell parser written for permission checks.
//!
//! It reads a command line the way bash (or a POSIX sh: dash, ash) does and returns every command
//! it would run — including those nested in `$(…)`, backticks, `<(…)`/`>(…)`, `${…}`, `$((…))`,
//! subshells, `{ …; }` groups, `if`/`for`/`while`/`until`/`case`, function bodies and unquoted
//! here-documents — without expanding or running anything.
//!
//! It fails closed. Input it cannot parse is an error; a construct it parses but does not model
//! exactly (a `${…}` operator word with quotes or braces, arithmetic with quotes or subscripts, a
//! line continuation inside a word, a bash-only construct in sh, …) is recorded in
//! [`Script::unknown`]. Callers must treat both as "not understood" (ask), never as allowed.
//! `parser.rs` reads lists, commands and redirections, `words.rs` words, quotes and expansions.

mod parser;
mod words;

use super::subject::Dialect;
use parser::{End, Parser};
use std::fmt;

/// Nesting limit (substitutions, groups, …): deeper input is rejected rather than recursed into.
pub(super) const MAX_DEPTH: usize = 100;

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
    /// Constructs that were parsed but are not modelled exactly (what bash or sh does with them
    /// may differ from what the parse says): each makes the command line "not understood".
    pub unknown: Vec<String>,
    /// The text parsed.
    pub source: String,
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
    /// Preceded by bash's `time` keyword (as written: `time` or `time -p`).
    pub timed: Option<String>,
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
        /// `${NAME=word}` / `${NAME:=word}` assign NAME.
        assigns: Option<String>,
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

/// Parses a bash command line.
pub fn parse(src: &str) -> Result<Script, ParseError> {
    parse_in(src, &Dialect::Bash)
}

/// Parses a command line of the given dialect (`Dialect::Other` is parsed as POSIX sh, with
/// everything else to be treated as not understood by the caller).
pub fn parse_in(src: &str, dialect: &Dialect) -> Result<Script, ParseError> {
    let mut p = Parser::new(src, 0, 0, *dialect == Dialect::Bash);
    let body = p.parse_list(End::TOP)?;
    if p.pos < p.s.len() {
        return p.err("unexpected input");
    }
    p.finish_pending();
    let mut heredocs = vec![Word::default(); p.next_heredoc];
    for (i, w) in std::mem::take(&mut p.heredocs) {
        if let Some(slot) = heredocs.get_mut(i) {
            *slot = w;
        }
    }
    Ok(Script {
        body,
        heredocs,
        unknown: p.unknown,
        source: src.to_string(),
    })
}

pub(super) const RESERVED_STARTS: &[&str] = &[
    "{", "if", "while", "until", "for", "select", "case", "function", "[[",
];
pub(super) const RESERVED_ENDS: &[&str] =
    &["}", "then", "else", "elif", "fi", "do", "done", "esac"];

pub(super) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(super) fn is_meta(c: char) -> bool {
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

pub(super) fn is_fd_word(w: &Word) -> bool {
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
