//! Bash command evaluation: walks a parsed command line and describes every simple command it
//! would run — the strings rules are matched against, the paths it reads and writes, and
//! whether its effects are fully understood — so the engine can decide each one on its own.

use super::commands::{
    self, Arg, Effects, PathRef, is_dangerous_var, is_integer, is_safe_env, long_option,
};
use super::expand::expand;
use super::paths::{expand_glob, lexical, realpath};
use super::rules::escape_command;
use super::shell::{
    self, Compound, CompoundKind, Node, ParseError, Part, RedirOp, Redirect, Script, Simple, Word,
};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// `bash -c` inside `bash -c` … is followed this deep.
const MAX_NESTING: usize = 16;
/// The shell's possible working directories are tracked up to this many.
const MAX_CWDS: usize = 16;
/// Function calls followed (each walks the function's body again): beyond, a call is dynamic.
const MAX_CALLS: usize = 256;
/// Builtins that evaluate array subscripts in their arguments (variable names, `test -v`,
/// arithmetic); `printf -v` already needs a rule.
const SUBSCRIPT_BUILTINS: &[&str] = &[
    "test",
    "[",
    "[[",
    "let",
    "read",
    "declare",
    "typeset",
    "local",
    "export",
    "readonly",
    "unset",
    "wait",
    "mapfile",
    "readarray",
    "getopts",
];

/// How well a command is understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Its effects are exactly its reads and writes (the built-in read-only set, mkdir, …).
    Known,
    /// Runs nothing itself: `bash -c` around commands checked separately, a call of a function
    /// defined in the same command line, a plain assignment.
    Neutral,
    /// Anything else: it needs a rule.
    Other(String),
    /// Cannot be checked at all (the command name is only known at run time, …): it needs
    /// approval, whatever the rules say (except a blanket `Bash` allow or bypass mode).
    Dynamic(String),
}

/// A path argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathArg {
    /// Absolute, not yet normalised (so `link/..` still resolves as the kernel would).
    Known(PathBuf),
    /// Only known at run time (the raw text, for messages).
    Unknown(String),
}

/// One simple command, ready for the rules.
#[derive(Clone, Debug)]
pub struct CommandCheck {
    /// The command as written (for messages).
    pub display: String,
    /// Deny and ask rules are matched against each of these (with and without wrappers,
    /// assignments, quotes).
    pub deny_forms: Vec<String>,
    /// Allow rules are matched against these (the command actually run).
    pub allow_forms: Vec<String>,
    pub kind: Kind,
    pub reads: Vec<PathArg>,
    /// Directories whose whole contents are read.
    pub recursive_reads: Vec<PathArg>,
    /// The recursive reads skip hidden files.
    pub skips_hidden: bool,
    /// Files the command itself writes (cp destination, `sed -i`, `tee`, …).
    pub writes: Vec<PathArg>,
    /// Files written by output redirections.
    pub redirect_writes: Vec<PathArg>,
    /// Arguments of not-understood commands that may be paths (checked against deny rules).
    pub mentions: Vec<PathArg>,
    /// An option that runs programs or writes files: prefix rules do not cover it.
    pub risky: Option<String>,
    /// The rule "don't ask again" would add.
    pub suggestion: Option<String>,
}

impl CommandCheck {
    fn new(display: String) -> Self {
        CommandCheck {
            deny_forms: vec![display.clone()],
            display,
            allow_forms: Vec::new(),
            kind: Kind::Known,
            reads: Vec::new(),
            recursive_reads: Vec::new(),
            skips_hidden: false,
            writes: Vec::new(),
            redirect_writes: Vec::new(),
            mentions: Vec::new(),
            risky: None,
            suggestion: None,
        }
    }
}

/// Parses `command` and describes every command it would run, starting in `cwd`.
pub fn analyze(
    command: &str,
    cwd: &Path,
    home: Option<&Path>,
) -> Result<Vec<CommandCheck>, ParseError> {
    let script = shell::parse(command)?;
    let mut w = Walker {
        home,
        heredocs: Vec::new(),
        out: Vec::new(),
        arith: Vec::new(),
        tainted: HashSet::new(),
        nesting: 0,
        calls: 0,
    };
    let mut sh = Sh {
        cwds: Some(vec![realpath(cwd)]),
        functions: Vec::new(),
    };
    w.script(&script, &mut sh);
    w.finish();
    Ok(w.out)
}

/// What the walker knows about the shell at a point of the script.
#[derive(Clone, Debug)]
struct Sh {
    /// Every directory the shell may be in (after `cd`s that may or may not have run);
    /// `None` when it cannot be known.
    cwds: Option<Vec<PathBuf>>,
    /// Functions certainly defined at this point, with their bodies (a subshell's definitions
    /// do not leak out; a definition that may not have run does not count).
    functions: Vec<(String, Rc<Node>)>,
}

impl Sh {
    fn function(&self, name: &str) -> Option<Rc<Node>> {
        self.functions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, body)| body.clone())
    }

    /// Forgets the functions defined since `before` (the same definitions, not just names).
    fn keep_functions_of(&mut self, before: &[(String, Rc<Node>)]) {
        self.functions
            .retain(|(n, body)| before.iter().any(|(m, b)| m == n && Rc::ptr_eq(b, body)));
    }
}

struct Walker<'a> {
    home: Option<&'a Path>,
    heredocs: Vec<Word>,
    out: Vec<CommandCheck>,
    /// Variables evaluated arithmetically anywhere in the script.
    arith: Vec<String>,
    /// Variables assigned something other than a number.
    tainted: HashSet<String>,
    nesting: usize,
    /// Function calls followed so far.
    calls: usize,
}

fn raw_join(args: &[Arg]) -> String {
    args.iter()
        .filter_map(|a| a.raw.as_deref())
        .collect::<Vec<_>>()
        .join(" ")
}

fn value_join(args: &[Arg]) -> String {
    args.iter()
        .map(|a| a.value.as_deref().or(a.raw.as_deref()).unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The value form keeps word boundaries only when no value is empty or contains blanks.
fn value_unambiguous(args: &[Arg]) -> bool {
    args.iter().all(|a| {
        a.value
            .as_deref()
            .is_some_and(|v| !v.is_empty() && !v.contains(char::is_whitespace))
    })
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !s.is_empty() && !v.contains(&s) {
        v.push(s);
    }
}

fn redir_op(op: RedirOp) -> &'static str {
    match op {
        RedirOp::In => "<",
        RedirOp::Out => ">",
        RedirOp::Append => ">>",
        RedirOp::Clobber => ">|",
        RedirOp::ReadWrite => "<>",
        RedirOp::DupIn => "<&",
        RedirOp::DupOut => ">&",
        RedirOp::OutErr => "&>",
        RedirOp::AppendErr => "&>>",
        RedirOp::HereDoc => "<<",
        RedirOp::HereString => "<<<",
    }
}

/// The directory a glob lists: its components before the first one with a metacharacter.
fn glob_dir(pattern: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for comp in pattern.split('/') {
        if comp.contains(['*', '?', '[']) {
            break;
        }
        out.push(comp);
    }
    let joined = out.join("/");
    if joined.is_empty() && pattern.starts_with('/') {
        "/".to_string()
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined.replace('\\', "")
    }
}

fn is_fd_target(v: &str) -> bool {
    let t = v.strip_suffix('-').unwrap_or(v);
    t.is_empty() || t.chars().all(|c| c.is_ascii_digit())
}

/// Options of a wrapper command before the command it runs.
struct WrapperOpts {
    /// Index of the first operand.
    next: usize,
    /// Short flags seen.
    flags: String,
    /// Options with values: (name, value).
    values: Vec<(String, Arg)>,
    /// Long options without a value.
    long: Vec<String>,
}

/// Parses a wrapper's options: `short_val`/`long_val` take a value (attached or the next
/// argument), `short_opt` an optional one that can only be attached (GNU `xargs -i[R]`).
fn wrapper_opts(
    args: &[Arg],
    start: usize,
    short_val: &str,
    short_opt: &str,
    long_val: &[&str],
) -> Option<WrapperOpts> {
    let mut o = WrapperOpts {
        next: start,
        flags: String::new(),
        values: Vec::new(),
        long: Vec::new(),
    };
    let mut i = start;
    loop {
        let Some(a) = args.get(i) else {
            o.next = i;
            return Some(o);
        };
        let v = a.v()?;
        if v == "--" {
            o.next = i + 1;
            return Some(o);
        }
        if !v.starts_with('-') || v == "-" {
            o.next = i;
            return Some(o);
        }
        if let Some(long) = v.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, val)) => (n, Some(val)),
                None => (long, None),
            };
            if let Some(val) = inline {
                // `--ch=dir` is `--chdir=dir` (GNU getopt takes unambiguous abbreviations).
                let name = long_option(name, &[long_val]);
                o.values.push((name.to_string(), Arg::lit(val)));
            } else if long_val.contains(&name) {
                i += 1;
                o.values.push((name.to_string(), args.get(i)?.clone()));
            } else {
                o.long.push(name.to_string());
            }
        } else {
            let chars: Vec<char> = v.chars().skip(1).collect();
            for (k, c) in chars.iter().enumerate() {
                let rest: String = chars[k + 1..].iter().collect();
                if short_opt.contains(*c) {
                    o.values.push((c.to_string(), Arg::lit(&rest)));
                    break;
                }
                if short_val.contains(*c) {
                    let value = if rest.is_empty() {
                        i += 1;
                        args.get(i)?.clone()
                    } else {
                        Arg::lit(&rest)
                    };
                    o.values.push((c.to_string(), value));
                    break;
                }
                o.flags.push(*c);
            }
        }
        i += 1;
    }
}

impl Walker<'_> {
    fn script(&mut self, script: &Script, sh: &mut Sh) {
        let saved = std::mem::replace(&mut self.heredocs, script.heredocs.clone());
        self.nodes(&script.body, sh);
        self.heredocs = saved;
    }

    fn nodes(&mut self, nodes: &[Node], sh: &mut Sh) {
        for n in nodes {
            self.node(n, sh);
        }
    }

    fn node(&mut self, node: &Node, sh: &mut Sh) {
        match node {
            Node::Simple(s) => self.simple(s, sh),
            Node::Compound(c) => self.compound(c, sh),
            Node::Function { name, body } => {
                // The body is checked here, and again where the function is called (in the
                // caller's shell: its directory, its functions).
                let body = Rc::new((**body).clone());
                self.node(&body, &mut sh.clone());
                sh.functions.retain(|(n, _)| n != name);
                sh.functions.push((name.clone(), body));
            }
        }
    }

    fn compound(&mut self, c: &Compound, sh: &mut Sh) {
        for w in &c.words {
            self.word_nested(w, sh);
        }
        if c.kind == CompoundKind::For
            && let Some(var) = &c.var
        {
            self.assigns(var, &format!("for {var}"));
            if c.words
                .iter()
                .any(|w| w.static_value().is_none_or(|v| !is_integer(&v)))
            {
                self.tainted.insert(var.clone());
            }
        }
        self.arith.extend(c.arith_names.iter().cloned());
        for n in &c.arith_nested {
            let mut sub = sh.clone();
            self.node(n, &mut sub);
        }
        let (reads, writes) = self.redirects(&c.redirects, sh);
        match c.kind {
            CompoundKind::Pipeline => {
                for n in &c.body {
                    let mut sub = sh.clone();
                    self.node(n, &mut sub);
                }
            }
            CompoundKind::Background | CompoundKind::Subshell => {
                let mut sub = sh.clone();
                self.nodes(&c.body, &mut sub);
            }
            CompoundKind::If | CompoundKind::Case | CompoundKind::Sequence => {
                self.uncertain(&c.body, sh);
            }
            CompoundKind::Loop | CompoundKind::For => {
                let before = sh.cwds.clone();
                self.uncertain(&c.body, sh);
                if sh.cwds != before {
                    // The next round starts where a `cd` of this one went: walk it again
                    // from a directory not known.
                    sh.cwds = None;
                    self.uncertain(&c.body, sh);
                }
            }
            CompoundKind::Group | CompoundKind::Arith => self.nodes(&c.body, sh),
        }
        if !reads.is_empty() || !writes.is_empty() {
            let mut check = CommandCheck::new("redirection of a compound command".into());
            check.kind = Kind::Neutral;
            check.reads = reads;
            check.redirect_writes = writes;
            self.out.push(check);
        }
    }

    /// Nodes that may not run (a branch, a loop body, the right of `&&`/`||`): what they
    /// define is not certain after them (what they unset is gone).
    fn uncertain(&mut self, nodes: &[Node], sh: &mut Sh) {
        for n in nodes {
            let before = sh.functions.clone();
            self.node(n, sh);
            sh.keep_functions_of(&before);
        }
    }

    /// Commands nested in a word (they run before the word's command, in subshells).
    fn word_nested(&mut self, w: &Word, sh: &Sh) {
        for p in &w.parts {
            match p {
                Part::Subst(nodes) | Part::ProcSub(nodes) => {
                    let mut sub = sh.clone();
                    self.nodes(nodes, &mut sub);
                }
                Part::Param {
                    nested,
                    arith_names,
                    prompt,
                    raw,
                } => {
                    let mut sub = sh.clone();
                    self.nodes(nested, &mut sub);
                    self.arith.extend(arith_names.iter().cloned());
                    if let Some(name) = default_assignment(raw) {
                        self.assigns(name, raw);
                    }
                    if *prompt {
                        let mut check = CommandCheck::new(raw.clone());
                        check.kind = Kind::Dynamic(format!(
                            "{raw} expands the variable as a prompt, which runs command substitutions in it"
                        ));
                        self.out.push(check);
                    }
                }
                Part::Arith { nested, names } => {
                    let mut sub = sh.clone();
                    self.nodes(nested, &mut sub);
                    self.arith.extend(names.iter().cloned());
                }
                Part::Lit(_) | Part::Quoted(_) => {}
            }
        }
    }

    /// Paths read and written by redirections; here-document bodies are walked.
    fn redirects(&mut self, rs: &[Redirect], sh: &Sh) -> (Vec<PathArg>, Vec<PathArg>) {
        let mut reads = Vec::new();
        let mut writes = Vec::new();
        for r in rs {
            self.word_nested(&r.target, sh);
            if let Some(id) = r.heredoc {
                if let Some(body) = self.heredocs.get(id).cloned() {
                    self.word_nested(&body, sh);
                }
                continue;
            }
            match r.op {
                RedirOp::HereDoc | RedirOp::HereString => continue,
                RedirOp::DupIn | RedirOp::DupOut
                    if r.target.static_value().is_some_and(|v| is_fd_target(&v)) =>
                {
                    continue;
                }
                _ => {}
            }
            let paths = match expand(&r.target, self.home) {
                Some(fields) if fields.len() == 1 => {
                    let f = &fields[0];
                    let arg = Arg {
                        value: Some(f.text.clone()),
                        glob: f.glob.clone(),
                        raw: Some(r.target.raw.clone()),
                    };
                    let p = self.resolve(&arg, sh);
                    if p.len() > 1 {
                        vec![PathArg::Unknown(r.target.raw.clone())]
                    } else {
                        p
                    }
                }
                _ => vec![PathArg::Unknown(r.target.raw.clone())],
            };
            match r.op {
                RedirOp::In | RedirOp::DupIn => reads.extend(paths),
                RedirOp::ReadWrite => {
                    reads.extend(paths.iter().cloned());
                    writes.extend(paths);
                }
                _ => writes.extend(paths),
            }
        }
        (reads, writes)
    }

    /// An argument as paths, resolved against every possible cwd (globs expanded).
    fn resolve(&self, a: &Arg, sh: &Sh) -> Vec<PathArg> {
        let Some(v) = a.v() else {
            return vec![PathArg::Unknown(a.raw.clone().unwrap_or_default())];
        };
        self.resolve_text(v, a.glob.as_deref(), sh)
    }

    fn resolve_text(&self, v: &str, glob: Option<&str>, sh: &Sh) -> Vec<PathArg> {
        if v.is_empty() || v == "-" {
            return Vec::new();
        }
        let absolute = v.starts_with('/');
        let bases: Vec<PathBuf> = match (&sh.cwds, absolute) {
            (_, true) => vec![PathBuf::from("/")],
            (Some(c), false) => c.clone(),
            (None, false) => return vec![PathArg::Unknown(v.to_string())],
        };
        let mut out = Vec::new();
        for base in bases {
            match glob {
                Some(g) => match expand_glob(g, &base) {
                    Some(list) => out.extend(list.into_iter().map(PathArg::Known)),
                    None => out.push(PathArg::Unknown(v.to_string())),
                },
                None => out.push(PathArg::Known(if absolute {
                    PathBuf::from(v)
                } else {
                    base.join(v)
                })),
            }
        }
        out
    }

    fn resolve_ref(&self, r: &PathRef, args: &[Arg], sh: &Sh) -> Vec<PathArg> {
        match r {
            PathRef::Arg(n) => match args.get(*n) {
                Some(a) => self.resolve(a, sh),
                None => Vec::new(),
            },
            PathRef::Text(t) => self.resolve_text(t, None, sh),
            PathRef::Dynamic => vec![PathArg::Unknown("(dynamic)".into())],
        }
    }

    fn simple(&mut self, s: &Simple, sh: &mut Sh) {
        for a in &s.assignments {
            for v in &a.values {
                self.word_nested(v, sh);
            }
            if let Some(sub) = &a.subscript {
                self.arith.extend(shell::arith_identifiers(sub));
            }
            let numeric = a.values.iter().all(|v| {
                v.parts.iter().all(|p| match p {
                    Part::Lit(t) | Part::Quoted(t) => is_integer(t),
                    Part::Arith { .. } => true,
                    _ => false,
                })
            });
            if !numeric {
                self.tainted.insert(a.name.clone());
            }
        }
        for w in &s.words {
            self.word_nested(w, sh);
        }
        let (reads, writes) = self.redirects(&s.redirects, sh);
        let mut args = Vec::new();
        for w in &s.words {
            if let [Part::ProcSub(_)] = w.parts.as_slice() {
                // `<(cmd)` is passed as a pipe, /dev/fd/N; its commands were checked above.
                args.push(Arg {
                    value: Some("/dev/fd/63".into()),
                    glob: None,
                    raw: Some(w.raw.clone()),
                });
                continue;
            }
            match expand(w, self.home) {
                Some(fields) => {
                    for (k, f) in fields.into_iter().enumerate() {
                        args.push(Arg {
                            value: Some(f.text),
                            glob: f.glob,
                            raw: (k == 0).then(|| w.raw.clone()),
                        });
                    }
                }
                None => args.push(Arg::dynamic(&w.raw)),
            }
        }
        let assigns: Vec<String> = s.assignments.iter().map(|a| a.raw.clone()).collect();
        if args.is_empty() {
            let redirs = s
                .redirects
                .iter()
                .map(|r| format!("{}{}", redir_op(r.op), r.target.raw));
            let shown: Vec<String> = assigns.iter().cloned().chain(redirs).collect();
            let mut check = CommandCheck::new(shown.join(" "));
            check.kind = match s.assignments.iter().find(|a| is_dangerous_var(&a.name)) {
                Some(a) => Kind::Other(format!("it sets {}", a.name)),
                None => Kind::Neutral,
            };
            check.allow_forms = vec![check.display.clone()];
            check.suggestion = Some(format!("Bash({})", escape_command(&check.display)));
            check.reads = reads;
            check.redirect_writes = writes;
            self.out.push(check);
            return;
        }
        let unsafe_assign = s.assignments.iter().any(|a| !is_safe_env(&a.name));
        self.command(args, &assigns, unsafe_assign, sh, reads, writes);
    }

    /// Strips wrappers, classifies what remains, and records the check.
    fn command(
        &mut self,
        mut args: Vec<Arg>,
        assigns: &[String],
        unsafe_assign: bool,
        sh: &mut Sh,
        reads: Vec<PathArg>,
        redirect_writes: Vec<PathArg>,
    ) {
        let display = assigns
            .iter()
            .cloned()
            .chain(std::iter::once(raw_join(&args)))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let mut c = CommandCheck::new(display);
        c.reads = reads;
        c.redirect_writes = redirect_writes;
        let mut local = sh.clone();
        let mut i = 0usize;
        let mut allow_start = 0usize;
        let mut locked: Option<String> = None;
        let mut env_unsafe = false;
        let allow_prefix = if unsafe_assign {
            assigns.join(" ")
        } else {
            String::new()
        };
        let mut tail = false;
        let mut done: Option<Kind> = None;
        loop {
            push_unique(&mut c.deny_forms, raw_join(&args[i..]));
            push_unique(&mut c.deny_forms, value_join(&args[i..]));
            let Some(a) = args.get(i) else {
                break;
            };
            let Some(name) = a.value.clone() else {
                done = Some(Kind::Dynamic(format!(
                    "the command name `{}` is only known at run time",
                    a.raw.clone().unwrap_or_default()
                )));
                break;
            };
            if a.glob.is_some() && !matches!(name.as_str(), "[" | "[[") {
                done = Some(Kind::Dynamic(format!(
                    "the command name `{name}` is a file-name pattern"
                )));
                break;
            }
            let stripped: Option<usize> = match name.as_str() {
                "timeout" => {
                    match wrapper_opts(&args, i + 1, "ks", "", &["kill-after", "signal"]) {
                        Some(o) if o.next + 1 < args.len() => Some(o.next + 1),
                        _ => None,
                    }
                }
                "time" => match wrapper_opts(&args, i + 1, "fo", "", &["format", "output"]) {
                    Some(o) => {
                        for (n, v) in &o.values {
                            if n == "o" || n == "output" {
                                c.writes.extend(self.resolve(v, &local));
                            }
                        }
                        (o.next < args.len()).then_some(o.next)
                    }
                    None => None,
                },
                "nice" => wrapper_opts(&args, i + 1, "n", "", &["adjustment"])
                    .and_then(|o| (o.next < args.len()).then_some(o.next)),
                "stdbuf" => wrapper_opts(&args, i + 1, "ioe", "", &["input", "output", "error"])
                    .and_then(|o| (o.next < args.len()).then_some(o.next)),
                "nohup" | "builtin" | "noglob" | "coproc" => {
                    wrapper_opts(&args, i + 1, "", "", &[])
                        .and_then(|o| (o.next < args.len()).then_some(o.next))
                }
                "command" => match wrapper_opts(&args, i + 1, "", "", &[]) {
                    Some(o) if o.flags.contains('v') || o.flags.contains('V') => {
                        done = Some(Kind::Known);
                        None
                    }
                    Some(o) if o.next < args.len() => Some(o.next),
                    _ => None,
                },
                "env" => {
                    match wrapper_opts(&args, i + 1, "uCS", "", &["unset", "chdir", "split-string"])
                    {
                        Some(o) => {
                            let mut next = o.next;
                            for (n, v) in &o.values {
                                if n == "S" || n == "split-string" {
                                    done = Some(Kind::Dynamic(
                                        "env -S splits a string into a command".into(),
                                    ));
                                }
                                if n == "C" || n == "chdir" {
                                    local = self.chdir_to(v, &local);
                                }
                            }
                            if o.long.iter().any(|l| l == "split-string") {
                                done = Some(Kind::Dynamic(
                                    "env -S splits a string into a command".into(),
                                ));
                            }
                            if args.get(next).and_then(Arg::v) == Some("-") {
                                next += 1;
                            }
                            while let Some(v) = args.get(next).and_then(Arg::v) {
                                let Some((n, _)) = v.split_once('=') else {
                                    break;
                                };
                                if n.is_empty()
                                    || !n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
                                {
                                    break;
                                }
                                if !is_safe_env(n) {
                                    env_unsafe = true;
                                }
                                next += 1;
                            }
                            if done.is_none() && next >= args.len() {
                                done = Some(Kind::Known);
                            }
                            (done.is_none()).then_some(next)
                        }
                        None => None,
                    }
                }
                "xargs" => match wrapper_opts(
                    &args,
                    i + 1,
                    "adEILnPs",
                    "eil",
                    &[
                        "arg-file",
                        "delimiter",
                        "max-args",
                        "max-procs",
                        "max-chars",
                        "process-slot-var",
                    ],
                ) {
                    Some(o) => {
                        let mut replace: Option<String> = None;
                        for (n, v) in &o.values {
                            match n.as_str() {
                                "a" | "arg-file" => c.reads.extend(self.resolve(v, &local)),
                                "I" | "replace" => replace = v.value.clone(),
                                // `-i` alone means `-I {}`.
                                "i" => {
                                    replace = v.value.clone().filter(|r| !r.is_empty());
                                    replace.get_or_insert_with(|| "{}".to_string());
                                }
                                _ => {}
                            }
                        }
                        if o.long.iter().any(|l| l == "replace") {
                            replace.get_or_insert_with(|| "{}".to_string());
                        }
                        let next = o.next;
                        if next >= args.len() {
                            args.push(Arg::lit("echo"));
                        }
                        match &replace {
                            Some(r) => {
                                for a in args.iter_mut().skip(next + 1) {
                                    if a.v().is_some_and(|v| v.contains(r.as_str())) {
                                        a.value = None;
                                    }
                                }
                            }
                            None => tail = true,
                        }
                        if tail {
                            args.push(Arg::dynamic("…"));
                        }
                        Some(next)
                    }
                    None => None,
                },
                "sudo" | "doas" => {
                    let o = if name == "sudo" {
                        wrapper_opts(
                            &args,
                            i + 1,
                            "ughpCDrtTU",
                            "",
                            &[
                                "user",
                                "group",
                                "host",
                                "prompt",
                                "close-from",
                                "chdir",
                                "role",
                                "type",
                                "other-user",
                                "command-timeout",
                            ],
                        )
                    } else {
                        wrapper_opts(&args, i + 1, "uC", "", &[])
                    };
                    match o {
                        Some(o) if o.flags.contains('e') => None,
                        Some(o) if o.next < args.len() => {
                            locked = Some(format!("{name} runs the command as another user"));
                            Some(o.next)
                        }
                        _ => None,
                    }
                }
                "exec" => match wrapper_opts(&args, i + 1, "a", "", &[]) {
                    Some(o) if o.next < args.len() => {
                        locked.get_or_insert_with(|| "exec replaces the shell".to_string());
                        Some(o.next)
                    }
                    Some(_) => {
                        done = Some(Kind::Neutral);
                        None
                    }
                    None => None,
                },
                "bash" | "sh" | "dash" | "zsh" | "ksh" | "mksh" | "ash" => {
                    done = Some(self.shell_c(&args, i, &local));
                    None
                }
                _ => break,
            };
            match stripped {
                Some(next) => {
                    i = next;
                    // What a wrapper runs is a program, never a shell function.
                    local.functions.clear();
                    if locked.is_none() && !env_unsafe {
                        allow_start = i;
                    }
                }
                None => {
                    if done.is_none() {
                        done = Some(Kind::Other(format!(
                            "{name} is used in a way ccrs cannot check"
                        )));
                    }
                    break;
                }
            }
        }
        let rest: Vec<Arg> = args[i.min(args.len())..].to_vec();
        let kind = match done {
            Some(k) => k,
            None => self.classify(&rest, &mut c, sh, &local),
        };
        c.kind = match (kind, &locked) {
            (Kind::Known | Kind::Neutral, Some(reason)) => Kind::Other(reason.clone()),
            (Kind::Known, None) if unsafe_assign || env_unsafe => Kind::Other(
                "it sets environment variables that can change what the command runs".into(),
            ),
            (k, _) => k,
        };
        // Allow forms and the suggestion.
        let allow_args = &args[allow_start.min(args.len())..];
        let with_prefix = |s: String| {
            if allow_prefix.is_empty() {
                s
            } else {
                format!("{allow_prefix} {s}")
            }
        };
        if !matches!(c.kind, Kind::Dynamic(_)) {
            let raw = with_prefix(raw_join(allow_args));
            c.allow_forms.push(raw.clone());
            if value_unambiguous(allow_args) {
                push_unique(&mut c.allow_forms, with_prefix(value_join(allow_args)));
            }
            c.suggestion = Some(suggest(allow_args, &allow_prefix, tail));
        }
        self.out.push(c);
    }

    fn chdir_to(&self, dir: &Arg, sh: &Sh) -> Sh {
        let targets = self.resolve(dir, sh);
        let mut cwds = Vec::new();
        for t in targets {
            match t {
                PathArg::Known(p) => cwds.push(realpath(&p)),
                PathArg::Unknown(_) => {
                    return Sh {
                        cwds: None,
                        functions: sh.functions.clone(),
                    };
                }
            }
        }
        Sh {
            cwds: Some(cwds),
            functions: sh.functions.clone(),
        }
    }

    /// `bash -c 'script'`: the script is parsed and each of its commands checked; the shell
    /// itself runs nothing else. Any other use of a shell runs a script ccrs cannot see.
    fn shell_c(&mut self, args: &[Arg], i: usize, sh: &Sh) -> Kind {
        let name = args[i].v().unwrap_or("sh").to_string();
        let mut j = i + 1;
        let mut cflag = false;
        while let Some(a) = args.get(j) {
            let Some(v) = a.v() else {
                return Kind::Dynamic(format!("a dynamic {name} option"));
            };
            if v == "--" || v == "-" {
                j += 1;
                break;
            }
            if let Some(long) = v.strip_prefix("--") {
                match long {
                    "norc" | "noprofile" | "login" | "posix" | "noediting" | "restricted"
                    | "verbose" | "debugger" | "protected" => {}
                    _ => return Kind::Other(format!("{name} --{long}")),
                }
                j += 1;
                continue;
            }
            if (v.starts_with('-') || v.starts_with('+')) && v.len() > 1 {
                for ch in v.chars().skip(1) {
                    match ch {
                        'c' => cflag = true,
                        // Like `set -a`, `shopt -s dotglob`: later assignments are exported,
                        // globs match more than they seem to.
                        'a' | 'k' | 'O' => {
                            return Kind::Other(format!(
                                "{name} -{ch} changes what the script's commands see"
                            ));
                        }
                        'o' => {
                            j += 1;
                            if !matches!(
                                args.get(j).and_then(Arg::v),
                                Some(o) if o != "allexport" && o != "keyword"
                            ) {
                                return Kind::Other(format!("{name} -o exports later assignments"));
                            }
                        }
                        _ => {}
                    }
                }
                j += 1;
                continue;
            }
            break;
        }
        if !cflag {
            return Kind::Other(format!("{name} runs a script ccrs cannot see"));
        }
        let Some(script) = args.get(j) else {
            return Kind::Other(format!("{name} -c without a command"));
        };
        let Some(text) = script.v() else {
            return Kind::Dynamic(format!(
                "the script given to {name} -c is only known at run time"
            ));
        };
        if self.nesting >= MAX_NESTING {
            return Kind::Dynamic(format!("{name} -c is nested too deeply"));
        }
        match shell::parse(text) {
            Ok(inner) => {
                self.nesting += 1;
                // A new shell: the functions of this one are not defined there.
                let mut sub = Sh {
                    cwds: sh.cwds.clone(),
                    functions: Vec::new(),
                };
                self.script(&inner, &mut sub);
                self.nesting -= 1;
                Kind::Neutral
            }
            Err(e) => Kind::Dynamic(format!(
                "the script given to {name} -c cannot be parsed: {e}"
            )),
        }
    }

    /// Classifies the command after its wrappers.
    fn classify(&mut self, rest: &[Arg], c: &mut CommandCheck, sh: &mut Sh, local: &Sh) -> Kind {
        let Some(name) = rest.first().and_then(Arg::v) else {
            return Kind::Neutral;
        };
        if let Some(body) = local.function(name) {
            return self.call(name, &body, sh);
        }
        match name {
            "cd" => return self.cd(rest, c, sh),
            "unset" => {
                // `unset NAME` also removes a function of that name.
                for a in &rest[1..] {
                    match a.v() {
                        Some(v) if v.starts_with('-') => {}
                        Some(v) => sh.functions.retain(|(n, _)| n != v),
                        None => sh.functions.clear(),
                    }
                }
            }
            "eval" => return Kind::Other("eval runs its arguments as code".into()),
            "source" | "." => return Kind::Other(format!("{name} runs a script")),
            "[[" => {
                for (k, a) in rest.iter().enumerate() {
                    if matches!(a.v(), Some("-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge")) {
                        for op in [k.wrapping_sub(1), k + 1] {
                            if let Some(raw) = rest.get(op).and_then(|a| a.raw.as_deref()) {
                                self.arith.extend(shell::arith_identifiers(raw));
                            }
                        }
                    }
                }
            }
            "let" => {
                for a in &rest[1..] {
                    if let Some(raw) = a.raw.as_deref() {
                        self.arith.extend(shell::arith_identifiers(raw));
                    }
                }
            }
            _ => {}
        }
        if SUBSCRIPT_BUILTINS.contains(&name) {
            // These evaluate `NAME[subscript]` (or arithmetic) in their arguments, quoted or
            // not: `test -v 'a[$(cmd)]'`, `read 'a[$(cmd)]'`, `let 'x=a[$(cmd)]'` run `cmd`.
            for v in rest[1..].iter().filter_map(Arg::v) {
                let Some(sub) = v.split_once('[').map(|(_, sub)| sub) else {
                    continue;
                };
                if sub.contains("$(") || sub.contains('`') {
                    return Kind::Dynamic(format!(
                        "{name} evaluates the subscript in `{v}`, which runs a command substitution"
                    ));
                }
                self.arith.extend(shell::arith_identifiers(sub));
            }
        }
        let e: Effects = commands::classify(rest);
        self.tainted.extend(e.taints.iter().cloned());
        c.risky = e.risky.clone();
        c.skips_hidden = e.skips_hidden;
        // Expanding a glob lists its directory, whatever the command does with the names.
        for a in &rest[1..] {
            if let Some(g) = &a.glob {
                c.reads.extend(self.resolve_text(&glob_dir(g), None, local));
            }
        }
        let mut base = local.clone();
        if let Some(dir) = &e.chdir {
            let d = self.resolve_ref(dir, rest, local);
            c.reads.extend(d.iter().cloned());
            let mut cwds = Vec::new();
            let mut unknown = false;
            for p in d {
                match p {
                    PathArg::Known(p) => cwds.push(realpath(&p)),
                    PathArg::Unknown(_) => unknown = true,
                }
            }
            base = Sh {
                cwds: (!unknown && !cwds.is_empty()).then_some(cwds),
                functions: local.functions.clone(),
            };
        }
        for r in &e.reads {
            let p = self.resolve_ref(r, rest, &base);
            c.reads.extend(p);
        }
        for r in &e.recursive {
            let p = self.resolve_ref(r, rest, &base);
            c.recursive_reads.extend(p);
        }
        for r in &e.writes {
            let p = self.resolve_ref(r, rest, &base);
            c.writes.extend(p);
        }
        if let Some(recursive) = e.implicit_cwd {
            let here: Vec<PathArg> = match &base.cwds {
                Some(cs) => cs.iter().cloned().map(PathArg::Known).collect(),
                None => vec![PathArg::Unknown(".".into())],
            };
            if recursive {
                c.recursive_reads.extend(here.iter().cloned());
            }
            c.reads.extend(here);
        }
        // `find … -exec cmd {} ;`: `{}` is a file under find's roots, so it stands for them
        // (read recursively); anything else made of `{}` is unknown.
        let roots: Vec<PathArg> = c.reads.clone();
        let single_root = match roots.as_slice() {
            [PathArg::Known(p)] => Some(p.clone()),
            _ => None,
        };
        for (start, end, in_dir) in &e.exec {
            let mut inner: Vec<Arg> = rest[*start..*end].to_vec();
            let mut uses_root = false;
            for a in &mut inner {
                match (a.v(), &single_root) {
                    (Some("{}"), Some(root)) => {
                        a.value = Some(root.display().to_string());
                        uses_root = true;
                    }
                    (Some(v), _) if v.contains("{}") => a.value = None,
                    _ => {}
                }
            }
            // find runs a program: no shell function.
            let mut inner_sh = Sh {
                cwds: if *in_dir { None } else { base.cwds.clone() },
                functions: Vec::new(),
            };
            let before = self.out.len();
            self.command(inner, &[], false, &mut inner_sh, Vec::new(), Vec::new());
            if uses_root && let Some(last) = self.out.get_mut(before..).and_then(|s| s.last_mut()) {
                last.recursive_reads.extend(roots.iter().cloned());
            }
        }
        match e.other {
            Some(reason) => {
                for a in &rest[1..] {
                    let Some(v) = a.v() else { continue };
                    let text = match v.strip_prefix("--") {
                        Some(l) => match l.split_once('=') {
                            Some((_, val)) => val,
                            None => continue,
                        },
                        None if v.starts_with('-') => continue,
                        None => v,
                    };
                    let glob = if text == v { a.glob.as_deref() } else { None };
                    c.mentions.extend(self.resolve_text(text, glob, &base));
                }
                Kind::Other(reason)
            }
            None => Kind::Known,
        }
    }

    /// A call of a function defined earlier in the command line: its body runs here, in the
    /// caller's shell (its `cd`s, definitions and unsets stay).
    fn call(&mut self, name: &str, body: &Node, sh: &mut Sh) -> Kind {
        if self.nesting >= MAX_NESTING || self.calls >= MAX_CALLS {
            return Kind::Dynamic(format!(
                "the function {name} makes too many nested calls to check"
            ));
        }
        self.calls += 1;
        self.nesting += 1;
        self.node(body, sh);
        self.nesting -= 1;
        Kind::Neutral
    }

    /// `cd dir`: the target must be readable like any path, and later commands may run there.
    fn cd(&mut self, rest: &[Arg], c: &mut CommandCheck, sh: &mut Sh) -> Kind {
        let mut j = 1;
        while let Some(v) = rest.get(j).and_then(Arg::v) {
            if matches!(v, "-L" | "-P" | "-e" | "-@" | "-LP" | "-PL" | "-Pe") {
                j += 1;
            } else if v == "--" {
                j += 1;
                break;
            } else {
                break;
            }
        }
        let targets = match rest.get(j) {
            None => match self.home {
                Some(h) => vec![PathArg::Known(h.to_path_buf())],
                None => vec![PathArg::Unknown("~".into())],
            },
            Some(a) if a.v() == Some("-") => vec![PathArg::Unknown("-".into())],
            Some(a) => self.resolve(a, sh),
        };
        c.reads.extend(targets.iter().cloned());
        let mut new = Vec::new();
        for t in &targets {
            match t {
                // bash's `cd` is logical (`link/..` is where the link is) unless the target
                // does not exist that way; `cd -P` is physical.
                PathArg::Known(p) => new.extend([realpath(&lexical(p)), realpath(p)]),
                PathArg::Unknown(_) => {
                    sh.cwds = None;
                    return Kind::Known;
                }
            }
        }
        if let Some(cwds) = &mut sh.cwds {
            // The cd may fail, so the old directory stays possible too.
            for n in new {
                if !cwds.contains(&n) {
                    cwds.push(n);
                }
            }
            if cwds.len() > MAX_CWDS {
                sh.cwds = None;
            }
        }
        Kind::Known
    }

    /// An assignment the shell makes outside a plain `NAME=value` (a `for` variable,
    /// `${NAME:=value}`, arithmetic): to a variable that changes what later commands run or
    /// where (`PATH`, `CDPATH`, `GLOBIGNORE`, …) it needs a rule.
    fn assigns(&mut self, name: &str, display: &str) {
        if is_dangerous_var(name) {
            let mut check = CommandCheck::new(display.to_string());
            check.kind = Kind::Other(format!("it assigns {name}"));
            self.out.push(check);
        }
    }

    /// Arithmetic on a variable assigned from data can run code (`a[$(cmd)]` in its value).
    fn finish(&mut self) {
        let mut seen = HashSet::new();
        for name in std::mem::take(&mut self.arith) {
            if !seen.insert(name.clone()) {
                continue;
            }
            // Arithmetic can assign (`(( PATH=0 ))`, `let CDPATH=1`).
            self.assigns(&name, &format!("arithmetic on {name}"));
            if name.starts_with('$') || self.tainted.contains(&name) {
                let mut check = CommandCheck::new(format!("arithmetic on {name}"));
                check.kind = Kind::Dynamic(format!(
                    "arithmetic evaluation of {name}, whose value may contain command substitutions"
                ));
                self.out.push(check);
            }
        }
    }
}

/// The variable `${NAME=value}` / `${NAME:=value}` (also `${NAME[i]:=value}`) assigns.
fn default_assignment(raw: &str) -> Option<&str> {
    let body = raw.strip_prefix("${")?;
    let end = body
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(body.len());
    let (name, mut rest) = body.split_at(end);
    if rest.starts_with('[') {
        rest = &rest[rest.find(']')? + 1..];
    }
    (rest.starts_with('=') || rest.starts_with(":=")).then_some(name)
}

/// The "don't ask again" rule for a command: `Bash(tool sub *)` for multi-command tools
/// (git, npm, cargo, …), otherwise the exact command.
fn suggest(args: &[Arg], prefix: &str, tail: bool) -> String {
    let vals: Vec<Option<&str>> = args.iter().map(Arg::v).collect();
    if prefix.is_empty()
        && let [Some(tool), Some(sub), ..] = vals.as_slice()
        && commands::PREFIX_TOOLS.contains(tool)
        && !sub.starts_with('-')
        && !sub.contains(char::is_whitespace)
        && !tail
    {
        return format!("Bash({} {} *)", escape_command(tool), escape_command(sub));
    }
    let body = if tail {
        let n = args.len().saturating_sub(1);
        format!("{} *", escape_command(&raw_join(&args[..n])))
    } else {
        escape_command(&raw_join(args))
    };
    if prefix.is_empty() {
        format!("Bash({body})")
    } else {
        format!("Bash({} {body})", escape_command(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(cmd: &str) -> Vec<CommandCheck> {
        analyze(cmd, Path::new("/proj"), Some(Path::new("/home/u"))).unwrap()
    }

    fn displays(cmd: &str) -> Vec<String> {
        checks(cmd).into_iter().map(|c| c.display).collect()
    }

    #[test]
    fn wrappers_are_stripped_for_allow_but_kept_for_deny() {
        let e = &checks("env NODE_OPTIONS=x npm test")[0];
        assert_eq!(e.allow_forms[0], "env NODE_OPTIONS=x npm test");
        assert!(matches!(e.kind, Kind::Other(_)));
        let e = &checks("env LANG=C npm test")[0];
        assert_eq!(e.allow_forms[0], "npm test");
        let c = &checks("FOO=1 timeout 5 nice -n 2 git status")[0];
        assert_eq!(c.allow_forms, ["FOO=1 git status"]);
        assert!(c.deny_forms.contains(&"git status".to_string()));
        assert!(
            c.deny_forms
                .contains(&"timeout 5 nice -n 2 git status".to_string())
        );
        let c = &checks("LANG=C sort x")[0];
        assert_eq!(c.allow_forms[0], "sort x");
        let c = &checks("sudo rm -rf /")[0];
        assert!(c.deny_forms.contains(&"rm -rf /".to_string()));
        assert_eq!(c.allow_forms[0], "sudo rm -rf /");
        assert!(matches!(c.kind, Kind::Other(_)));
        let c = &checks("xargs rm")[0];
        assert!(c.deny_forms.iter().any(|f| f.starts_with("rm ")));
        assert_eq!(c.suggestion.as_deref(), Some("Bash(rm *)"));
    }

    #[test]
    fn nested_commands_are_separate_checks() {
        assert_eq!(displays("echo $(rm x)"), ["rm x", "echo $(rm x)"]);
        assert_eq!(
            displays("bash -c 'ls && rm y'"),
            ["ls", "rm y", "bash -c 'ls && rm y'"]
        );
        assert_eq!(
            displays("find . -name '*.tmp' -exec rm {} \\;"),
            ["rm {}", "find . -name '*.tmp' -exec rm {} \\;"]
        );
    }

    #[test]
    fn cd_changes_where_later_paths_resolve() {
        let cs = checks("cd sub && cat ../../x");
        let cat = &cs[1];
        assert!(
            cat.reads
                .contains(&PathArg::Known(PathBuf::from("/proj/../../x")))
        );
        assert!(
            cat.reads
                .contains(&PathArg::Known(PathBuf::from("/proj/sub/../../x")))
        );
        let cs = checks("cd $X; cat y");
        assert_eq!(cs[1].reads, vec![PathArg::Unknown("y".into())]);
        // A subshell's cd does not leak.
        let cs = checks("(cd /etc) ; cat passwd");
        assert_eq!(
            cs[1].reads,
            vec![PathArg::Known(PathBuf::from("/proj/passwd"))]
        );
    }

    #[test]
    fn dynamic_and_arith() {
        assert!(matches!(checks("$CMD x")[0].kind, Kind::Dynamic(_)));
        assert!(matches!(
            checks("$(which rm) x").last().unwrap().kind,
            Kind::Dynamic(_)
        ));
        assert!(matches!(checks("r* x")[0].kind, Kind::Dynamic(_)));
        let cs = checks("x='a[$(rm y)]'; echo $((x))");
        assert!(cs.iter().any(|c| matches!(c.kind, Kind::Dynamic(_))));
        let cs = checks("for ((i=0;i<3;i++)); do echo $i; done");
        assert!(!cs.iter().any(|c| matches!(c.kind, Kind::Dynamic(_))));
        let cs = checks("echo ${x@P}");
        assert!(cs.iter().any(|c| matches!(c.kind, Kind::Dynamic(_))));
    }

    #[test]
    fn redirections_are_paths() {
        let c = &checks("echo hi > out.txt 2>&1 < in.txt")[0];
        assert_eq!(
            c.redirect_writes,
            vec![PathArg::Known(PathBuf::from("/proj/out.txt"))]
        );
        assert_eq!(c.reads, vec![PathArg::Known(PathBuf::from("/proj/in.txt"))]);
        let c = &checks("{ ls; } > /tmp/x")[1];
        assert_eq!(
            c.redirect_writes,
            vec![PathArg::Known(PathBuf::from("/tmp/x"))]
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            checks("git push origin main")[0].suggestion.as_deref(),
            Some("Bash(git push *)")
        );
        assert_eq!(
            checks("rm -rf build")[0].suggestion.as_deref(),
            Some("Bash(rm -rf build)")
        );
        assert_eq!(
            checks("ls *.txt")[0].suggestion.as_deref(),
            Some("Bash(ls \\*.txt)")
        );
        assert_eq!(
            checks("NODE_OPTIONS=x npm test")[0].suggestion.as_deref(),
            Some("Bash(NODE_OPTIONS=x npm test)")
        );
    }
}
