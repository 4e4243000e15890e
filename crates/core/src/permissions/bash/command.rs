//! One simple command: its assignments, wrappers, the program it runs (or the function it
//! calls), what that program reads and writes, and the scripts it runs itself (`bash -c`,
//! `eval`, `trap`, a here-document given to a shell).

use super::super::canon::{invocation, program_name};
use super::super::commands::wrappers::{self, Step};
use super::super::commands::{
    self, Arg, Effects, PREFIX_TOOLS, Shell, is_dangerous_var, is_git_subcommand, is_integer,
    is_safe_env, is_shell_builtin,
};
use super::super::expand::expand;
use super::super::paths::{lexical, realpath};
use super::super::rules::escape_command;
use super::super::shell::{self, Node, Part, RedirOp, Simple};
use super::super::subject::Dialect;
use super::{
    AllowForm, CommandCheck, GitRepo, Kind, MAX_CALLS, MAX_CWDS, MAX_NESTING, PathArg, Sh, Walker,
    glob_dir, has_substitution, push_unique, redir_op,
};
use std::path::Path;

/// Builtins that evaluate array subscripts or arithmetic in their arguments (variable names,
/// `test -v`, `let`): an argument known only at run time could be `a[$(cmd)]`.
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
    "printf",
];

/// Names whose redefinition as a function changes what ccrs expects a later use to do: shell
/// builtins and keywords, the commands ccrs models, wrappers and shells.
pub(super) fn shadows(name: &str) -> bool {
    let args = [Arg::lit(name)];
    is_shell_builtin(name)
        || name.contains('/')
        || !matches!(wrappers::step(&args, 0), Step::No)
        || Dialect::of_name(name).is_some()
        || commands::option_model(name).is_some()
        || commands::classify(&args, Shell::Bash).other.is_none()
        || matches!(
            name,
            "git" | "find" | "sed" | "eval" | "exec" | "trap" | "command_not_found_handle"
        )
}

/// The text a pipeline stage prints when it is `echo`/`printf` of plain words.
pub(super) fn static_output(node: &Node) -> Option<String> {
    let Node::Simple(s) = node else {
        return None;
    };
    if !s.assignments.is_empty() || !s.redirects.is_empty() {
        return None;
    }
    let words: Vec<String> = s
        .words
        .iter()
        .map(|w| w.static_value())
        .collect::<Option<_>>()?;
    match words.first().map(String::as_str) {
        Some("echo") if words.get(1).is_none_or(|w| !w.starts_with('-')) => {
            Some(format!("{}\n", words[1..].join(" ")))
        }
        Some("printf") if words.len() == 2 && !words[1].contains(['%', '\\']) => {
            Some(words[1].clone())
        }
        _ => None,
    }
}

/// Walks with `input` as the text piped into the command (or nothing known).
pub(super) fn with_pipe_input(w: &mut Walker, input: Option<String>, f: impl FnOnce(&mut Walker)) {
    let saved = std::mem::replace(&mut w.stdin, input);
    f(w);
    w.stdin = saved;
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

/// The program-name form: the command word replaced by its last path component.
fn program_join(args: &[Arg]) -> Option<String> {
    let first = args.first()?.v()?;
    let name = program_name(first);
    (name != first).then(|| {
        std::iter::once(name.to_string())
            .chain(args[1..].iter().map(|a| {
                a.value
                    .clone()
                    .or_else(|| a.raw.clone())
                    .unwrap_or_default()
            }))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// Where a `bash -c` script comes from.
enum Script {
    /// The text after `-c`.
    Text(String),
    /// Commands read from the input, which is this text.
    Input(String),
}

impl Walker<'_> {
    pub(super) fn simple(&mut self, s: &Simple, sh: &mut Sh) {
        for a in &s.assignments {
            for v in &a.values {
                self.word_nested(v, sh);
            }
            if let Some(sub) = &a.subscript {
                self.arith.extend(shell::arith_identifiers(sub));
            }
            let numeric = !a.array
                && a.values.iter().all(|v| {
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
        let subst = s.words.iter().any(has_substitution)
            || s.assignments
                .iter()
                .any(|a| a.values.iter().any(has_substitution));
        let (reads, writes) = self.redirects(&s.redirects, sh);
        // What the command reads as its input, when that is known text.
        let mut input = self.stdin.clone();
        for r in &s.redirects {
            match r.op {
                RedirOp::HereString => {
                    input = r.target.static_value().map(|t| t + "\n");
                }
                RedirOp::HereDoc => {
                    input = r
                        .heredoc
                        .and_then(|id| self.heredocs.get(id))
                        .and_then(|w| w.static_value());
                }
                RedirOp::In | RedirOp::DupIn | RedirOp::ReadWrite => input = None,
                _ => {}
            }
        }
        let in_cond = s.words.first().is_some_and(|w| w.raw == "[[");
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
            match expand(w, self.home, self.shell) {
                Some(fields) => {
                    for (k, f) in fields.into_iter().enumerate() {
                        args.push(Arg {
                            value: Some(f.text),
                            // No file-name expansion inside `[[ ]]`.
                            glob: if in_cond { None } else { f.glob },
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
                None if subst => {
                    check.risky = Some("a command substitution".into());
                    Kind::Other("it assigns the output of a command".into())
                }
                None => Kind::Neutral,
            };
            check.allow_forms = vec![AllowForm {
                text: check.display.clone(),
                min_literal: 0,
            }];
            check.suggestion = Some(format!("Bash({})", escape_command(&check.display)));
            check.reads = reads;
            check.redirect_writes = writes;
            self.out.push(check);
            return;
        }
        let unsafe_assign = s.assignments.iter().any(|a| !is_safe_env(&a.name));
        let saved = std::mem::replace(&mut self.stdin, input);
        self.command(args, &assigns, unsafe_assign, sh, reads, writes, subst);
        if let Some(t) = &s.timed
            && let Some(c) = self.out.last_mut()
        {
            // `time make`: rules may name the keyword too.
            let extra: Vec<AllowForm> = c
                .allow_forms
                .iter()
                .map(|f| AllowForm {
                    text: format!("{t} {}", f.text),
                    min_literal: t.chars().count()
                        + 1
                        + f.text.split(' ').next().map_or(0, |w| w.chars().count())
                        + f.min_literal,
                })
                .collect();
            c.allow_forms.extend(extra);
        }
        self.stdin = saved;
    }

    /// Strips wrappers, classifies what remains, and records the check.
    #[allow(clippy::too_many_arguments)]
    fn command(
        &mut self,
        mut args: Vec<Arg>,
        assigns: &[String],
        unsafe_assign: bool,
        sh: &mut Sh,
        reads: Vec<PathArg>,
        redirect_writes: Vec<PathArg>,
        subst: bool,
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
        // Where the form allow rules match without naming the wrappers starts, and the start of
        // every wrapper layer before it.
        let mut allow_start = 0usize;
        let mut layers: Vec<usize> = vec![0];
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
            if let Some(p) = program_join(&args[i..]) {
                push_unique(&mut c.deny_forms, p);
            }
            if let Some(inv) = invocation(&args[i..])
                && !c.invocations.contains(&inv)
            {
                c.invocations.push(inv);
            }
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
            if i == 0 {
                // A function or alias of that name runs instead of the program or builtin.
                if local.shadowed.contains(&name) {
                    done = Some(Kind::Dynamic(format!(
                        "`{name}` may have been redefined as a function or alias"
                    )));
                    break;
                }
                if local.function(&name).is_some() {
                    break;
                }
            }
            c.programs.push(program_name(&name).to_string());
            let next = match wrappers::step(&args, i) {
                Step::Runs(r) => {
                    for p in &r.reads {
                        c.reads.extend(self.resolve_ref(p, &args, &local));
                    }
                    for p in &r.writes {
                        c.writes.extend(self.resolve_ref(p, &args, &local));
                    }
                    if let Some(dir) = &r.chdir {
                        local = self.chdir_ref(dir, &args, &local);
                    }
                    if let Some(why) = &r.lock {
                        locked.get_or_insert_with(|| why.clone());
                    }
                    env_unsafe |= r.unsafe_env;
                    if let Some(rep) = &r.replace {
                        for a in args.iter_mut().skip(r.next + 1) {
                            if a.v().is_some_and(|v| v.contains(rep.as_str())) {
                                a.value = None;
                            }
                        }
                    }
                    if r.next >= args.len() {
                        // `xargs` alone runs echo.
                        args.push(Arg::lit("echo"));
                    }
                    if r.tail && !tail {
                        tail = true;
                        args.push(Arg::dynamic("…"));
                    }
                    c.input_args |= r.tail || r.replace.is_some();
                    r.next
                }
                Step::Done => {
                    done = Some(Kind::Known);
                    break;
                }
                Step::Unknown(why) => {
                    done = Some(Kind::Opaque(why));
                    break;
                }
                Step::Dynamic(why) => {
                    done = Some(Kind::Dynamic(why));
                    break;
                }
                Step::No => {
                    if let Some(next) = wrappers::runner(&args, i) {
                        locked.get_or_insert_with(|| format!("{name} runs a command"));
                        for k in (i + 2..args.len()).take(8) {
                            push_unique(&mut c.deny_forms, raw_join(&args[k..]));
                            if let Some(inv) = invocation(&args[k..])
                                && !c.invocations.contains(&inv)
                            {
                                c.invocations.push(inv);
                            }
                        }
                        next
                    } else {
                        if Dialect::of_name(program_name(&name)).is_some() {
                            done = Some(self.shell_c(&args, i, &local));
                        }
                        break;
                    }
                }
            };
            i = next;
            layers.push(i);
            // What a wrapper runs is a program, never a shell function or alias.
            local.functions.clear();
            local.shadowed.clear();
            if locked.is_none() && !env_unsafe {
                allow_start = i;
            }
        }
        let rest: Vec<Arg> = args[i.min(args.len())..].to_vec();
        if done.is_none()
            && i > 0
            && let Some(name) = rest.first().and_then(Arg::v)
            && (shell::RESERVED_STARTS.contains(&name) || shell::RESERVED_ENDS.contains(&name))
        {
            // `timeout 5 if …` runs a program named `if`, not the keyword: a rule written for
            // the keyword's command line means something else (Claude Code refuses it too).
            done = Some(Kind::Dynamic(format!(
                "`{name}` after a wrapper is a program named like a shell keyword"
            )));
        }
        let classified = done.is_none();
        let kind = match done {
            Some(k) => k,
            None => self.classify(&rest, &mut c, sh, &local),
        };
        if classified
            && let Some(name) = rest.first().and_then(Arg::v)
            && local.function(name).is_none()
        {
            c.program = Some(program_name(name).to_string());
            if c.programs.last().map(String::as_str) != Some(program_name(name)) {
                c.programs.push(program_name(name).to_string());
            }
        }
        c.kind = match (kind, &locked) {
            (Kind::Known | Kind::Neutral, Some(reason)) => Kind::Other(reason.clone()),
            (Kind::Known, None) if unsafe_assign || env_unsafe => Kind::Other(
                "it sets environment variables that can change what the command runs".into(),
            ),
            (k, _) => k,
        };
        if subst {
            // As in Claude Code: a command whose arguments come from another command's output
            // needs a rule that names it exactly.
            c.risky
                .get_or_insert_with(|| "a command substitution".into());
            if matches!(c.kind, Kind::Known | Kind::Neutral) {
                c.kind = Kind::Other("its arguments include a command substitution".into());
            }
        }
        // Allow forms and the suggestion.
        if !matches!(c.kind, Kind::Dynamic(_)) {
            let with_prefix = |s: String| {
                if allow_prefix.is_empty() {
                    s
                } else {
                    format!("{allow_prefix} {s}")
                }
            };
            let end = i.min(args.len());
            for &l in layers.iter().filter(|&&l| l <= allow_start) {
                let from = &args[l.min(args.len())..];
                let min_literal = if l == allow_start {
                    0
                } else {
                    with_prefix(raw_join(&args[l..=end.min(args.len().saturating_sub(1))]))
                        .chars()
                        .count()
                };
                let mut push = |text: String| {
                    let f = AllowForm { text, min_literal };
                    if !c.allow_forms.contains(&f) {
                        c.allow_forms.push(f);
                    }
                };
                push(with_prefix(raw_join(from)));
                if value_unambiguous(from) {
                    push(with_prefix(value_join(from)));
                }
            }
            let allow_args = &args[allow_start.min(args.len())..];
            c.suggestion = Some(suggest(allow_args, &allow_prefix, tail));
        }
        self.out.push(c);
    }

    fn chdir_ref(&self, dir: &commands::PathRef, args: &[Arg], sh: &Sh) -> Sh {
        let targets = self.resolve_ref(dir, args, sh);
        let mut cwds = Vec::new();
        for t in targets {
            match t {
                PathArg::Known(p) => cwds.push(realpath(&p)),
                PathArg::Unknown(_) => {
                    return Sh {
                        cwds: None,
                        ..sh.clone()
                    };
                }
            }
        }
        Sh {
            cwds: (!cwds.is_empty()).then_some(cwds),
            ..sh.clone()
        }
    }

    /// A script run by a nested shell (`bash -c`), `eval` or `trap`: parsed in `dialect` and
    /// each of its commands checked. `same_shell`: it runs in this shell (its `cd`s and
    /// functions stay), else in a new one that starts in this shell's directory.
    fn nested_script(
        &mut self,
        text: &str,
        dialect: &Dialect,
        sh: &mut Sh,
        same_shell: bool,
    ) -> Result<(), Kind> {
        if self.nesting >= MAX_NESTING {
            return Err(Kind::Dynamic("scripts nested too deeply".into()));
        }
        let script = shell::parse_in(text, dialect)
            .map_err(|e| Kind::Dynamic(format!("a script that cannot be parsed: {e}")))?;
        let outer = self.shell;
        self.shell = if *dialect == Dialect::Bash {
            Shell::Bash
        } else {
            Shell::Posix
        };
        self.nesting += 1;
        let saved_stdin = self.stdin.take();
        if same_shell {
            self.script(&script, sh);
        } else {
            let mut sub = Sh {
                cwds: sh.cwds.clone(),
                functions: Vec::new(),
                shadowed: Vec::new(),
                top: false,
            };
            self.script(&script, &mut sub);
        }
        self.stdin = saved_stdin;
        self.nesting -= 1;
        self.shell = outer;
        Ok(())
    }

    /// A shell (`bash`, `sh`, …) at `args[i]`: with `-c 'script'` the script is parsed (bash
    /// as bash, sh and dash as POSIX sh) and each of its commands checked; reading commands
    /// from a here-document, a here-string or `echo … |` it checks those. A script file, or
    /// input ccrs cannot see, needs a rule.
    fn shell_c(&mut self, args: &[Arg], i: usize, sh: &Sh) -> Kind {
        let name = program_name(args[i].v().unwrap_or("sh")).to_string();
        let dialect = Dialect::of_name(&name).unwrap_or(Dialect::Posix);
        if let Dialect::Other(_) = dialect {
            return Kind::Opaque(format!(
                "{name} runs commands in a language ccrs does not analyse"
            ));
        }
        let mut j = i + 1;
        let mut cflag = false;
        while let Some(a) = args.get(j) {
            let Some(v) = a.v() else {
                return Kind::Dynamic(format!("a {name} option known only at run time"));
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
                        // An interactive shell reads start-up files and expands aliases.
                        'i' => return Kind::Other(format!("{name} -i reads start-up files")),
                        'o' => {
                            j += 1;
                            if !matches!(
                                args.get(j).and_then(Arg::v),
                                Some(o) if o != "allexport" && o != "keyword"
                            ) {
                                return Kind::Other(format!("{name} -o exports later assignments"));
                            }
                        }
                        's' | 'e' | 'u' | 'x' | 'v' | 'n' | 'f' | 'h' | 'B' | 'C' | 'E' | 'H'
                        | 'P' | 'T' | 'l' | 'm' | 'b' | 'p' | 'r' => {}
                        _ => return Kind::Other(format!("{name} -{ch}")),
                    }
                }
                j += 1;
                continue;
            }
            break;
        }
        let script = if cflag {
            let Some(script) = args.get(j) else {
                return Kind::Other(format!("{name} -c without a command"));
            };
            let Some(text) = script.v() else {
                return Kind::Dynamic(format!(
                    "the script given to {name} -c is only known at run time"
                ));
            };
            if args.len() > j + 1 {
                // `bash -c 'script' name args…`: the script's positional parameters are data.
                self.tainted.insert("$@".into());
            }
            Script::Text(text.to_string())
        } else if j < args.len() {
            return Kind::Other(format!("{name} runs a script ccrs cannot see"));
        } else {
            match self.stdin.clone() {
                Some(text) => Script::Input(text),
                None => {
                    return Kind::Opaque(format!(
                        "{name} reads commands from its input, which ccrs cannot see"
                    ));
                }
            }
        };
        let (Script::Text(text) | Script::Input(text)) = script;
        let mut sub = sh.clone();
        match self.nested_script(&text, &dialect, &mut sub, false) {
            Ok(()) => Kind::Neutral,
            Err(k) => k,
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
        let bash = self.shell == Shell::Bash;
        match name {
            "cd" => return self.cd(rest, c, sh),
            "pushd" | "popd" => {
                sh.cwds = None;
                return Kind::Other(format!("{name} changes directory"));
            }
            "unset" => {
                // `unset NAME` also removes a function of that name.
                for a in &rest[1..] {
                    match a.v() {
                        Some(v) if v.starts_with('-') => {}
                        Some(v) => sh.functions.retain(|(n, _)| n != v),
                        None => {
                            return Kind::Dynamic("unset of a name known only at run time".into());
                        }
                    }
                }
            }
            "eval" => return self.eval(rest, sh),
            "source" | "." => {
                return Kind::Dynamic(format!("{name} runs a script ccrs cannot see"));
            }
            "trap" => return self.trap(rest, sh),
            "alias" => {
                for a in &rest[1..] {
                    if let Some((n, _)) = a.v().and_then(|v| v.split_once('=')) {
                        sh.shadowed.push(n.to_string());
                    }
                }
                return Kind::Other("alias redefines commands".into());
            }
            "[[" if bash => {
                for (k, a) in rest.iter().enumerate() {
                    if matches!(a.v(), Some("-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge")) {
                        for op in [k.wrapping_sub(1), k + 1] {
                            let Some(arg) = rest.get(op) else { continue };
                            let raw = arg.raw.as_deref().unwrap_or("");
                            if raw.contains("$(") || raw.contains('`') {
                                return Kind::Dynamic(format!(
                                    "[[ … {} … ]] evaluates a command's output as arithmetic",
                                    a.v().unwrap_or("")
                                ));
                            }
                            self.arith.extend(shell::arith_identifiers(raw));
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
        if SUBSCRIPT_BUILTINS.contains(&name)
            && let Some(k) = self.subscripts(name, rest)
        {
            return k;
        }
        let e: Effects = commands::classify(rest, self.shell);
        self.effects(e, rest, c, sh, local)
    }

    /// Builtins that evaluate `NAME[subscript]` (or arithmetic) in their arguments, quoted or
    /// not: `test -v 'a[$(cmd)]'`, `read 'a[$(cmd)]'`, `let 'x=a[$(cmd)]'` run `cmd`.
    fn subscripts(&mut self, name: &str, rest: &[Arg]) -> Option<Kind> {
        let names_only = !matches!(name, "test" | "[" | "[[" | "printf");
        for (k, a) in rest.iter().enumerate().skip(1) {
            // For test and `[[`, only the operand of -v names a variable; for printf, that of -v.
            let is_name = names_only
                || rest
                    .get(k.wrapping_sub(1))
                    .and_then(Arg::v)
                    .is_some_and(|p| p == "-v" || (name == "printf" && p.starts_with("-v")));
            if !is_name {
                continue;
            }
            let Some(v) = a.v() else {
                return Some(Kind::Dynamic(format!(
                    "{name} evaluates a variable name known only at run time"
                )));
            };
            let Some(sub) = v.split_once('[').map(|(_, sub)| sub) else {
                continue;
            };
            if sub.contains("$(") || sub.contains('`') {
                return Some(Kind::Dynamic(format!(
                    "{name} evaluates the subscript in `{v}`, which runs a command substitution"
                )));
            }
            self.arith.extend(shell::arith_identifiers(sub));
        }
        None
    }

    /// What a command the table knows does, resolved against the shell's directory.
    fn effects(
        &mut self,
        e: Effects,
        rest: &[Arg],
        c: &mut CommandCheck,
        sh: &mut Sh,
        local: &Sh,
    ) -> Kind {
        self.tainted.extend(e.taints.iter().cloned());
        c.risky = e.risky.clone();
        c.skips_hidden = e.skips_hidden;
        let program = rest
            .first()
            .and_then(Arg::v)
            .map(program_name)
            .unwrap_or("");
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
            base = self.chdir_ref(dir, rest, local);
        }
        for r in &e.reads {
            let p = self.resolve_ref(r, rest, &base);
            c.reads.extend(p);
        }
        for r in &e.recursive {
            let p = self.resolve_ref(r, rest, &base);
            if program == "diff"
                && !rest.iter().any(|a| {
                    a.v().is_some_and(|v| {
                        v == "-r"
                            || v == "--recursive"
                            || (v.starts_with('-') && !v.starts_with("--") && v.contains('r'))
                    })
                })
            {
                // Without -r, diff reads the files directly in the directories it is given.
                c.recursive_reads.extend(p.into_iter().filter(|x| match x {
                    PathArg::Known(p) => p.is_dir(),
                    PathArg::Unknown(_) => true,
                }));
            } else {
                c.recursive_reads.extend(p);
            }
        }
        for r in &e.writes {
            let p = self.resolve_ref(r, rest, &base);
            c.writes.extend(p);
        }
        for r in &e.tree_writes {
            let p = self.resolve_ref(r, rest, &base);
            c.tree_writes.extend(p);
        }
        if let Some(copy) = &e.copy {
            self.copy_into(copy, rest, c, &base);
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
        if let Some(git) = &e.git {
            c.git_repo = Some(self.git_repo(git, rest, local));
        }
        if program == "git"
            && e.git.is_none()
            && rest
                .get(1)
                .and_then(Arg::v)
                .is_some_and(|s| !s.starts_with('-') && !is_git_subcommand(s))
        {
            // An alias may run anything, a shell command included.
            c.git_repo = Some(GitRepo::Unknown("a git alias".into()));
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
                shadowed: Vec::new(),
                top: false,
            };
            let before = self.out.len();
            let saved = self.stdin.take();
            self.command(
                inner,
                &[],
                false,
                &mut inner_sh,
                Vec::new(),
                Vec::new(),
                false,
            );
            self.stdin = saved;
            if uses_root && let Some(last) = self.out.get_mut(before..).and_then(|s| s.last_mut()) {
                last.recursive_reads.extend(roots.iter().cloned());
            }
        }
        // Later commands cannot rely on what is now on the file system at these paths.
        let mut replaced = Vec::new();
        for r in &e.replaced {
            replaced.extend(self.resolve_ref(r, rest, &base));
        }
        self.mark_replaced(&replaced);
        if let Some(why) = e.unknown {
            return Kind::Dynamic(why);
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
                let _ = sh;
                Kind::Other(reason)
            }
            None => Kind::Known,
        }
    }

    /// `cp a b dir` / `mv -t dir a b`: each source also lands at `dir/<its name>`.
    fn copy_into(&self, copy: &commands::CopyInto, args: &[Arg], c: &mut CommandCheck, sh: &Sh) {
        if copy.no_dir {
            return;
        }
        let dests = self.resolve_ref(&copy.dest, args, sh);
        for d in dests {
            let PathArg::Known(dir) = d else {
                c.writes.push(d);
                continue;
            };
            if !copy.into_dir && !realpath(&dir).is_dir() {
                continue;
            }
            for s in &copy.sources {
                for src in self.resolve_ref(s, args, sh) {
                    match src {
                        PathArg::Known(p) => {
                            let Some(name) = lexical(&p).file_name().map(|n| n.to_os_string())
                            else {
                                continue;
                            };
                            let target = PathArg::Known(dir.join(name));
                            if copy.recursive {
                                c.tree_writes.push(target.clone());
                            }
                            c.writes.push(target);
                        }
                        PathArg::Unknown(raw) => c.writes.push(PathArg::Unknown(raw)),
                    }
                }
            }
        }
    }

    /// Which repository git uses: `--git-dir`, else the first `.git` (or bare repository)
    /// found upward from its directory (`-C` applied).
    fn git_repo(&self, git: &commands::GitUse, args: &[Arg], sh: &Sh) -> GitRepo {
        let mut base = sh.clone();
        for d in &git.chdirs {
            base = self.chdir_ref(d, args, &base);
        }
        if let Some(dir) = &git.git_dir {
            return match self.resolve_ref(dir, args, &base).as_slice() {
                [PathArg::Known(p)] => GitRepo::At(realpath(p)),
                _ => GitRepo::Unknown("--git-dir".into()),
            };
        }
        let Some(cwds) = &base.cwds else {
            return GitRepo::Unknown("its directory is known only at run time".into());
        };
        let mut found: Option<GitRepo> = None;
        for d in cwds {
            let repo = discover_repo(d);
            match &found {
                None => found = Some(repo),
                Some(f) if *f == repo => {}
                Some(_) => return GitRepo::Unknown("it may run in several directories".into()),
            }
        }
        found.unwrap_or(GitRepo::None)
    }

    fn eval(&mut self, rest: &[Arg], sh: &mut Sh) -> Kind {
        let words: Option<Vec<&str>> = rest[1..].iter().map(Arg::v).collect();
        let Some(words) = words else {
            return Kind::Dynamic("eval of text known only at run time".into());
        };
        let dialect = if self.shell == Shell::Bash {
            Dialect::Bash
        } else {
            Dialect::Posix
        };
        if let Err(k) = self.nested_script(&words.join(" "), &dialect, sh, true) {
            return k;
        }
        Kind::Dynamic("eval runs its arguments as code".into())
    }

    /// `trap ACTION SIGNAL…`: the action runs later, in this shell.
    fn trap(&mut self, rest: &[Arg], sh: &mut Sh) -> Kind {
        let mut k = 1;
        if rest.get(k).and_then(Arg::v) == Some("--") {
            k += 1;
        }
        match rest.get(k).map(Arg::v) {
            None => Kind::Known,
            Some(Some("-l" | "-p" | "-P")) => Kind::Known,
            Some(Some("-" | "")) => Kind::Neutral,
            Some(Some(action))
                if rest.len() == k + 1 && action.chars().all(|c| c.is_ascii_alphanumeric()) =>
            {
                // `trap INT`: resets the signal.
                Kind::Neutral
            }
            Some(Some(action)) => {
                let dialect = if self.shell == Shell::Bash {
                    Dialect::Bash
                } else {
                    Dialect::Posix
                };
                let mut later = sh.clone();
                if let Err(k) = self.nested_script(action, &dialect, &mut later, true) {
                    return k;
                }
                Kind::Dynamic("trap runs code when a signal arrives or the shell exits".into())
            }
            Some(None) => Kind::Dynamic("trap with an action known only at run time".into()),
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
        // Its arguments are its positional parameters.
        self.tainted.insert("$@".into());
        self.node(body, sh);
        self.nesting -= 1;
        Kind::Neutral
    }

    /// `cd dir`: the target must be readable like any path, and later commands may run there.
    fn cd(&mut self, rest: &[Arg], c: &mut CommandCheck, sh: &mut Sh) -> Kind {
        let mut j = 1;
        while let Some(v) = rest.get(j).and_then(Arg::v) {
            if matches!(v, "-L" | "-P" | "-e" | "-@" | "-LP" | "-PL" | "-Pe" | "-eP") {
                j += 1;
            } else if v == "--" {
                j += 1;
                break;
            } else if v.starts_with('-') && v != "-" {
                sh.cwds = None;
                return Kind::Other(format!("cd {v} is an option ccrs does not know"));
            } else {
                break;
            }
        }
        if rest.len() > j + 1 {
            sh.cwds = None;
            return Kind::Other("cd with more than one directory".into());
        }
        let targets = match rest.get(j) {
            None => match self.home {
                Some(h) => vec![PathArg::Known(h.to_path_buf())],
                None => vec![PathArg::Unknown("~".into())],
            },
            Some(a) if a.v() == Some("-") => vec![PathArg::Unknown("-".into())],
            Some(a)
                if self.cdpath
                    && a.v().is_some_and(|v| {
                        !v.starts_with('/') && !v.starts_with("./") && !v.starts_with("../")
                    }) =>
            {
                vec![PathArg::Unknown(a.v().unwrap_or_default().to_string())]
            }
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
}

/// The repository git finds from `dir`: a `.git` directory or file (`gitdir: …`) in it or an
/// ancestor, or the directory itself when it is a bare repository.
pub fn discover_repo(dir: &Path) -> GitRepo {
    for anc in dir.ancestors() {
        let dot = anc.join(".git");
        if dot.is_dir() {
            return GitRepo::At(realpath(&dot));
        }
        if dot.is_file() {
            let Ok(text) = std::fs::read_to_string(&dot) else {
                return GitRepo::Unknown(format!("{} cannot be read", dot.display()));
            };
            return match text.trim().strip_prefix("gitdir:") {
                Some(p) => GitRepo::At(realpath(&anc.join(p.trim()))),
                None => GitRepo::Unknown(format!("{} is not a gitdir file", dot.display())),
            };
        }
        if anc.join("HEAD").is_file() && anc.join("objects").is_dir() && anc.join("refs").is_dir() {
            return GitRepo::At(realpath(anc));
        }
    }
    GitRepo::None
}

/// The "don't ask again" rule for a command: `Bash(tool sub *)` for multi-command tools
/// (git, npm, cargo, …), otherwise the exact command.
fn suggest(args: &[Arg], prefix: &str, tail: bool) -> String {
    let vals: Vec<Option<&str>> = args.iter().map(Arg::v).collect();
    if prefix.is_empty()
        && let [Some(tool), Some(sub), ..] = vals.as_slice()
        && PREFIX_TOOLS.contains(tool)
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
