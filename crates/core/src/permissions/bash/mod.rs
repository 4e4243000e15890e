//! Shell command evaluation: walks a parsed command line and describes every simple command it
//! would run — the program, the strings rules are matched against, the paths it reads and
//! writes (resolved against the shell's own working directory at that point), and whether its
//! effects are fully understood — so the engine can decide each one on its own.
//!
//! Fail closed: whatever the parser or this walker does not model exactly becomes a
//! [`Kind::Dynamic`] check ("not understood: …"), which no rule but a blanket `Bash` allow (or
//! bypass mode) can allow, and then only when no Bash deny or ask rule exists. `command.rs`
//! handles one simple command (wrappers, builtins, nested shells), this file the structure.

mod command;

pub use command::discover_repo;

use super::canon::Invocation;
use super::commands::{Arg, PathRef, Shell, is_integer};
use super::expand::expand;
use super::paths::{ProcPath, expand_glob, lexical, proc_path, realpath};
use super::shell::{
    self, Compound, CompoundKind, Node, ParseError, Part, RedirOp, Redirect, Script, Word,
};
use super::subject::Dialect;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// `bash -c` inside `bash -c` … is followed this deep.
const MAX_NESTING: usize = 16;
/// The shell's possible working directories are tracked up to this many.
const MAX_CWDS: usize = 16;
/// Function calls followed (each walks the function's body again): beyond, a call is dynamic.
const MAX_CALLS: usize = 256;

/// Variables the shell itself sets to data (text from commands, files, the command line): their
/// values may hold `a[$(cmd)]`, which arithmetic evaluation runs.
const DATA_VARIABLES: &[&str] = &[
    "_", "REPLY", "PWD", "OLDPWD", "OPTARG", "MAPFILE", "COPROC", "FUNCNAME", "HOSTNAME", "IFS",
    "PS1", "PS2", "PS4", "HOME", "PATH", "CDPATH",
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
    /// It runs commands ccrs cannot see (`watch CMD`, `sh` reading its input from a pipe, a
    /// wrapper used in a way ccrs does not follow): it needs a rule, and asks when a Bash deny
    /// or ask rule exists (that rule could not be checked against what it runs).
    Opaque(String),
    /// Not understood (the command name is only known at run time, a construct ccrs does not
    /// model, …): it needs approval, whatever the rules say (except a blanket `Bash` allow or
    /// bypass mode, when no Bash deny or ask rule exists).
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

/// A text allow rules are matched against, and how much of it a rule must spell out: a rule
/// matches the unstripped form of a command (`timeout 60 npm test`, `xargs grep foo`) only when
/// its fixed text reaches past the wrapper to the program it runs — `Bash(timeout:*)` does not
/// allow `timeout 5 rm -rf /`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowForm {
    pub text: String,
    /// The rule's text before its first wildcard must be at least this long (characters).
    pub min_literal: usize,
}

/// Which repository a git command uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitRepo {
    /// None: only the user's and the system's configuration apply.
    None,
    /// This git directory (resolved).
    At(PathBuf),
    /// It cannot be told before the command runs.
    Unknown(String),
}

/// One simple command, ready for the rules.
#[derive(Clone, Debug)]
pub struct CommandCheck {
    /// The command as written (for messages).
    pub display: String,
    /// The program it runs, when that is known (after wrappers).
    pub program: Option<String>,
    /// Every program it may run: wrappers, then the command (for tests and explanations).
    pub programs: Vec<String>,
    /// Deny and ask rules are matched against each of these (with and without wrappers,
    /// assignments, quotes).
    pub deny_forms: Vec<String>,
    /// The same commands as programs with options and operands (deny and ask rules).
    pub invocations: Vec<Invocation>,
    /// Allow rules are matched against these (the command actually run).
    pub allow_forms: Vec<AllowForm>,
    pub kind: Kind,
    pub reads: Vec<PathArg>,
    /// Directories whose whole contents are read.
    pub recursive_reads: Vec<PathArg>,
    /// The recursive reads skip hidden files.
    pub skips_hidden: bool,
    /// Files the command itself writes (cp destination, `sed -i`, `tee`, …).
    pub writes: Vec<PathArg>,
    /// Paths whose whole tree it changes or moves (`mv` sources, `rm -r`).
    pub tree_writes: Vec<PathArg>,
    /// Files written by output redirections.
    pub redirect_writes: Vec<PathArg>,
    /// Arguments of not-understood commands that may be paths (checked against deny rules).
    pub mentions: Vec<PathArg>,
    /// An option that runs programs or writes files: prefix rules do not cover it.
    pub risky: Option<String>,
    /// git: the repository whose configuration it uses.
    pub git_repo: Option<GitRepo>,
    /// A wrapper adds arguments from its input (`xargs`).
    pub input_args: bool,
    /// The rule "don't ask again" would add.
    pub suggestion: Option<String>,
}

impl CommandCheck {
    fn new(display: String) -> Self {
        CommandCheck {
            deny_forms: vec![display.clone()],
            display,
            program: None,
            programs: Vec::new(),
            invocations: Vec::new(),
            allow_forms: Vec::new(),
            kind: Kind::Known,
            reads: Vec::new(),
            recursive_reads: Vec::new(),
            skips_hidden: false,
            writes: Vec::new(),
            tree_writes: Vec::new(),
            redirect_writes: Vec::new(),
            mentions: Vec::new(),
            risky: None,
            git_repo: None,
            input_args: false,
            suggestion: None,
        }
    }

    /// The whole command line, for rules that name it as written.
    pub fn whole_line(line: &str) -> Self {
        CommandCheck::new(line.to_string())
    }

    /// A check for something not understood.
    fn dynamic(display: impl Into<String>, why: impl Into<String>) -> Self {
        let mut c = CommandCheck::new(display.into());
        c.kind = Kind::Dynamic(why.into());
        c
    }
}

/// Parses `command` (a bash command line) and describes every command it would run, starting
/// in `cwd`.
pub fn analyze(
    command: &str,
    cwd: &Path,
    home: Option<&Path>,
) -> Result<Vec<CommandCheck>, ParseError> {
    analyze_in(command, cwd, home, &Dialect::Bash)
}

/// [`analyze`] for a command line of the given dialect.
pub fn analyze_in(
    command: &str,
    cwd: &Path,
    home: Option<&Path>,
    dialect: &Dialect,
) -> Result<Vec<CommandCheck>, ParseError> {
    if let Dialect::Other(name) = dialect {
        let mut c = CommandCheck::dynamic(
            command.trim(),
            format!("the shell is {name}, whose language ccrs does not analyse"),
        );
        c.suggestion = None;
        return Ok(vec![c]);
    }
    let script = shell::parse_in(command, dialect)?;
    let mut w = Walker {
        home,
        heredocs: Vec::new(),
        out: Vec::new(),
        arith: Vec::new(),
        tainted: HashSet::new(),
        nesting: 0,
        calls: 0,
        shell: if *dialect == Dialect::Bash {
            Shell::Bash
        } else {
            Shell::Posix
        },
        replaced: Vec::new(),
        cdpath: std::env::var_os("CDPATH").is_some_and(|v| !v.is_empty()),
        stdin: None,
    };
    let mut sh = Sh {
        cwds: Some(vec![realpath(cwd)]),
        functions: Vec::new(),
        shadowed: Vec::new(),
        top: true,
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
    /// Names that may have been redefined (a function or alias shadowing a command or a
    /// builtin, possibly defined): a later use is not understood.
    shadowed: Vec<String>,
    /// The top-level shell (ccrs's own EXIT trap runs in it).
    top: bool,
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

    fn subshell(&self) -> Sh {
        Sh {
            top: false,
            ..self.clone()
        }
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
    /// The language of the script being walked (nested `sh -c` scripts are POSIX sh).
    shell: Shell,
    /// Paths an earlier command may have replaced (moved, linked, removed): resolving a path
    /// at or below one of them on the file system now says nothing about later.
    replaced: Vec<PathBuf>,
    /// `CDPATH` is set: `cd name` may go elsewhere.
    cdpath: bool,
    /// The text piped into the command being walked, when it is known (`echo 'ls' | sh`).
    stdin: Option<String>,
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

/// Does a word hold a command substitution (`$(…)`, backquotes)?
fn has_substitution(w: &Word) -> bool {
    w.parts.iter().any(|p| matches!(p, Part::Subst(_)))
}

impl Walker<'_> {
    fn script(&mut self, script: &Script, sh: &mut Sh) {
        for u in &script.unknown {
            let line = script.source.trim();
            let shown = match line.char_indices().nth(100) {
                Some((i, _)) => format!("{}…", &line[..i]),
                None => line.to_string(),
            };
            self.out.push(CommandCheck::dynamic(shown, u.clone()));
        }
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
                self.node(&body, &mut sh.subshell());
                if command::shadows(name) {
                    // `nice() { …; }`, `ls() { …; }`: later uses of the name run the function,
                    // where rules and wrappers expect the program.
                    if !sh.shadowed.contains(name) {
                        sh.shadowed.push(name.clone());
                    }
                }
                if name == "command_not_found_handle" {
                    self.out.push(CommandCheck::dynamic(
                        format!("{name}() {{ … }}"),
                        "command_not_found_handle runs for every command that is not found",
                    ));
                }
                if name == "pwd" && sh.top {
                    // ccrs's shell runs `pwd` on exit to learn the final directory.
                    self.out.push(CommandCheck::dynamic(
                        "pwd() { … }",
                        "a function named pwd (the shell runs pwd when it exits)",
                    ));
                }
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
            let mut sub = sh.subshell();
            self.node(n, &mut sub);
        }
        let (reads, writes) = self.redirects(&c.redirects, sh);
        match c.kind {
            CompoundKind::Pipeline => {
                for (k, n) in c.body.iter().enumerate() {
                    let mut sub = sh.subshell();
                    let input = k
                        .checked_sub(1)
                        .and_then(|p| c.body.get(p))
                        .and_then(command::static_output);
                    command::with_pipe_input(self, input, |w| w.node(n, &mut sub));
                }
            }
            CompoundKind::Background | CompoundKind::Subshell => {
                let mut sub = sh.subshell();
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
    /// define is not certain after them (what they unset is gone; a name they may have
    /// redefined stays not understood).
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
                    let mut sub = sh.subshell();
                    command::with_pipe_input(self, None, |w| w.nodes(nodes, &mut sub));
                }
                Part::Param {
                    nested,
                    arith_names,
                    prompt,
                    raw,
                    assigns,
                } => {
                    let mut sub = sh.subshell();
                    self.nodes(nested, &mut sub);
                    self.arith.extend(arith_names.iter().cloned());
                    if let Some(name) = assigns {
                        self.assigns(name, raw);
                        self.tainted.insert(name.clone());
                    }
                    if *prompt {
                        self.out.push(CommandCheck::dynamic(
                            raw.clone(),
                            format!(
                                "{raw} expands the variable as a prompt, which runs command substitutions in it"
                            ),
                        ));
                    }
                }
                Part::Arith { nested, names } => {
                    let mut sub = sh.subshell();
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
            let paths = match expand(&r.target, self.home, self.shell) {
                Some(fields) if fields.len() == 1 => {
                    let f = &fields[0];
                    let arg = Arg {
                        value: Some(f.text.clone()),
                        glob: f.glob.clone(),
                        raw: Some(r.target.raw.clone()),
                    };
                    // Every directory the shell may be in, every file a glob names (more than
                    // one is an error in bash: no write, but each is checked).
                    self.resolve(&arg, sh)
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
                    Some(list) => {
                        for p in list {
                            out.extend(self.checked(p, v, sh));
                        }
                    }
                    None => out.push(PathArg::Unknown(v.to_string())),
                },
                None => out.extend(self.checked(
                    if absolute {
                        PathBuf::from(v)
                    } else {
                        base.join(v)
                    },
                    v,
                    sh,
                )),
            }
        }
        out
    }

    /// A path as the shell's process reaches it: through `/proc/self/cwd` it is the shell's
    /// own directory (not ccrs's); below a path an earlier command replaced it is not known.
    fn checked(&self, p: PathBuf, raw: &str, sh: &Sh) -> Vec<PathArg> {
        let lex = lexical(&p);
        if self
            .replaced
            .iter()
            .any(|r| lex.starts_with(r) || realpath(&p).starts_with(r))
        {
            return vec![PathArg::Unknown(raw.to_string())];
        }
        match proc_path(&p) {
            ProcPath::Plain | ProcPath::Other => vec![PathArg::Known(p)],
            ProcPath::Root(rest) => vec![PathArg::Known(Path::new("/").join(rest))],
            // Each directory the shell may be in.
            ProcPath::Cwd(rest) => match &sh.cwds {
                Some(cwds) => cwds.iter().map(|c| PathArg::Known(c.join(&rest))).collect(),
                None => vec![PathArg::Unknown(raw.to_string())],
            },
        }
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

    /// After a command that may replace these paths, later commands cannot rely on what is on
    /// the file system there now.
    fn mark_replaced(&mut self, paths: &[PathArg]) {
        for p in paths {
            if let PathArg::Known(p) = p {
                let l = lexical(p);
                if !self.replaced.contains(&l) {
                    self.replaced.push(l);
                }
            }
        }
    }

    /// An assignment the shell makes outside a plain `NAME=value` (a `for` variable,
    /// `${NAME:=value}`, arithmetic): to a variable that changes what later commands run or
    /// where (`PATH`, `CDPATH`, `GLOBIGNORE`, …) it needs a rule.
    fn assigns(&mut self, name: &str, display: &str) {
        if super::commands::is_dangerous_var(name) {
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
            let data = name.starts_with('$')
                || name.starts_with("BASH")
                || DATA_VARIABLES.contains(&name.as_str())
                || self.tainted.contains(&name);
            if data {
                self.out.push(CommandCheck::dynamic(
                    format!("arithmetic on {name}"),
                    format!(
                        "arithmetic evaluation of {name}, whose value may contain command substitutions"
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests;
