//! What individual commands do with their arguments: the built-in set of commands whose
//! effects ccrs understands (reads, writes, nothing else), and the options that make them do
//! more (`sort -o`, `rg --pre`, `git -c`, `sed -i`, `find -delete`, …).
//!
//! Anything not described here is "other": it needs a rule.

use super::sed;

/// One argument after expansion.
#[derive(Clone, Debug)]
pub struct Arg {
    /// The value after quote removal; `None` when it is only known at run time.
    pub value: Option<String>,
    /// The glob pattern, when bash would expand the argument against the file system.
    pub glob: Option<String>,
    /// The source text of the word (only on the first field a word expands to).
    pub raw: Option<String>,
}

impl Arg {
    pub fn lit(s: &str) -> Self {
        Arg {
            value: Some(s.to_string()),
            glob: None,
            raw: Some(s.to_string()),
        }
    }

    pub fn dynamic(raw: &str) -> Self {
        Arg {
            value: None,
            glob: None,
            raw: Some(raw.to_string()),
        }
    }

    pub fn v(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// A path a command touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathRef {
    /// The argument at this index (it may be a glob).
    Arg(usize),
    /// A path embedded in an option (`--file=x`).
    Text(String),
    /// A path only known at run time.
    Dynamic,
}

/// What a command does, as far as ccrs can tell.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    /// `Some(reason)`: effects beyond the listed reads and writes are possible.
    pub other: Option<String>,
    pub reads: Vec<PathRef>,
    /// Directories whose contents are read (recursive search).
    pub recursive: Vec<PathRef>,
    /// The recursive search skips hidden files (ripgrep without `--hidden`/`-uu`).
    pub skips_hidden: bool,
    pub writes: Vec<PathRef>,
    /// When no path is given the command reads the working directory (`Some(recursive)`).
    pub implicit_cwd: Option<bool>,
    /// `git -C dir`: later relative paths are relative to this.
    pub chdir: Option<PathRef>,
    /// `find -exec`: argument ranges `[start, end)` of commands to run, and whether they run
    /// in each file's directory (`-execdir`).
    pub exec: Vec<(usize, usize, bool)>,
    /// Shell variables assigned from data (their values may hold code).
    pub taints: Vec<String>,
    /// An option or argument that runs programs, writes files or reaches beyond what the
    /// command's name suggests (`--pre`, `-c core.pager=…`, `--output`, `sed …w file`). A
    /// prefix rule for the command does not cover it.
    pub risky: Option<String>,
}

impl Effects {
    fn other(reason: impl Into<String>) -> Self {
        Effects {
            other: Some(reason.into()),
            ..Default::default()
        }
    }

    fn set_other(&mut self, reason: impl Into<String>) {
        if self.other.is_none() {
            self.other = Some(reason.into());
        }
    }

    fn risky(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Effects {
            other: Some(reason.clone()),
            risky: Some(reason),
            ..Default::default()
        }
    }

    fn set_risky(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        self.set_other(reason.clone());
        if self.risky.is_none() {
            self.risky = Some(reason);
        }
    }
}

/// How positional arguments are used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pos {
    /// All are files read.
    Reads,
    /// Files read; none given means the working directory.
    ReadsOrCwd,
    /// Not paths.
    None,
    /// First is a pattern (unless given by option), the rest are files read.
    PatternThenReads,
    /// `uniq IN OUT`
    InOut,
    /// All are files written.
    Writes,
    /// First is a mode/owner, the rest are written (`chmod`).
    SkipFirstWrites,
    /// `cp`/`ln`: sources read, the last (or `-t DIR`) written.
    Copy,
    /// `mv`: sources and destination written.
    Move,
}

struct Spec {
    /// Effects fully understood (false: a rule is needed, paths are still checked for deny).
    known: bool,
    short_val: &'static str,
    long_val: &'static [&'static str],
    short_path: &'static str,
    long_path: &'static [&'static str],
    short_bad: &'static str,
    long_bad: &'static [&'static str],
    short_rec: &'static str,
    long_rec: &'static [&'static str],
    /// The target directory option of cp/mv/ln.
    short_target: &'static str,
    long_target: &'static [&'static str],
    pos: Pos,
}

const BASE: Spec = Spec {
    known: true,
    short_val: "",
    long_val: &[],
    short_path: "",
    long_path: &[],
    short_bad: "",
    long_bad: &[],
    short_rec: "",
    long_rec: &[],
    short_target: "",
    long_target: &[],
    pos: Pos::Reads,
};

const NO_PATHS: Spec = Spec {
    pos: Pos::None,
    ..BASE
};

fn spec(name: &str) -> Option<Spec> {
    let s = match name {
        "cat" | "rev" => BASE,
        "tac" => Spec {
            short_val: "s",
            long_val: &["separator"],
            ..BASE
        },
        "nl" => Spec {
            short_val: "bdfhilnsvw",
            ..BASE
        },
        "head" => Spec {
            short_val: "nc",
            long_val: &["lines", "bytes"],
            ..BASE
        },
        "tail" => Spec {
            short_val: "ncs",
            long_val: &[
                "lines",
                "bytes",
                "sleep-interval",
                "pid",
                "max-unchanged-stats",
            ],
            ..BASE
        },
        "wc" => Spec {
            long_path: &["files0-from"],
            ..BASE
        },
        "fold" => Spec {
            short_val: "w",
            long_val: &["width"],
            ..BASE
        },
        "paste" => Spec {
            short_val: "d",
            long_val: &["delimiters"],
            ..BASE
        },
        "comm" => Spec {
            long_val: &["output-delimiter"],
            ..BASE
        },
        "join" => Spec {
            short_val: "aejot12",
            ..BASE
        },
        "cut" => Spec {
            short_val: "bcdf",
            long_val: &[
                "bytes",
                "characters",
                "delimiter",
                "fields",
                "output-delimiter",
            ],
            ..BASE
        },
        "sort" => Spec {
            short_val: "kStT",
            long_val: &[
                "key",
                "field-separator",
                "buffer-size",
                "temporary-directory",
                "parallel",
                "batch-size",
                "sort",
            ],
            long_path: &["files0-from", "random-source"],
            short_bad: "o",
            long_bad: &["output", "compress-program"],
            ..BASE
        },
        "uniq" => Spec {
            short_val: "fsw",
            long_val: &["skip-fields", "skip-chars", "check-chars"],
            pos: Pos::InOut,
            ..BASE
        },
        "ls" | "dir" | "vdir" => Spec {
            short_val: "ITw",
            long_val: &[
                "ignore",
                "hide",
                "width",
                "tabsize",
                "format",
                "sort",
                "time",
                "time-style",
                "quoting-style",
                "indicator-style",
                "block-size",
            ],
            pos: Pos::ReadsOrCwd,
            ..BASE
        },
        "tree" => Spec {
            short_val: "LPIHT",
            long_val: &[
                "charset",
                "filelimit",
                "timefmt",
                "sort",
                "hintro",
                "houtro",
            ],
            long_path: &["fromfile"],
            // -o writes a file, -R with -H writes index files, -l follows symlinks out.
            short_bad: "oRl",
            pos: Pos::ReadsOrCwd,
            ..BASE
        },
        "stat" => Spec {
            short_val: "ct",
            long_val: &["format", "printf"],
            ..BASE
        },
        "file" => Spec {
            short_val: "PeF",
            long_val: &["separator", "exclude", "exclude-quiet", "parameter"],
            short_path: "fm",
            long_path: &["files-from", "magic-file"],
            short_bad: "C",
            long_bad: &["compile"],
            ..BASE
        },
        "du" => Spec {
            short_val: "dBt",
            long_val: &[
                "max-depth",
                "block-size",
                "threshold",
                "exclude",
                "time-style",
            ],
            short_path: "X",
            long_path: &["exclude-from", "files0-from"],
            short_bad: "L",
            long_bad: &["dereference"],
            pos: Pos::ReadsOrCwd,
            ..BASE
        },
        "df" => Spec {
            short_val: "Btx",
            // `--output[=FIELDS]`: the value is optional, so only `=` attaches one.
            long_val: &["block-size", "type", "exclude-type"],
            ..BASE
        },
        "diff" => Spec {
            short_val: "CUFIxSDLW",
            // `--context[=N]`, `--unified[=N]`, `--color[=WHEN]` take a value only after `=`.
            long_val: &[
                "show-function-line",
                "ignore-matching-lines",
                "exclude",
                "starting-file",
                "ifdef",
                "label",
                "line-format",
                "old-line-format",
                "new-line-format",
                "unchanged-line-format",
                "old-group-format",
                "new-group-format",
                "unchanged-group-format",
                "changed-group-format",
                "horizon-lines",
                "tabsize",
                "width",
                "palette",
            ],
            short_path: "X",
            long_path: &["exclude-from", "from-file", "to-file"],
            short_rec: "r",
            long_rec: &["recursive"],
            ..BASE
        },
        "cmp" => Spec {
            short_val: "in",
            long_val: &["ignore-initial", "bytes"],
            ..BASE
        },
        "md5sum" | "sha1sum" | "sha224sum" | "sha256sum" | "sha384sum" | "sha512sum" | "b2sum"
        | "cksum" => Spec {
            // --check reads the files named inside the list.
            short_bad: "c",
            long_bad: &["check"],
            ..BASE
        },
        "realpath" => Spec {
            long_path: &["relative-to", "relative-base"],
            ..BASE
        },
        "readlink" => BASE,
        "grep" | "egrep" | "fgrep" => Spec {
            short_val: "emABCdD",
            // `--color[=WHEN]` takes a value only after `=`.
            long_val: &[
                "regexp",
                "max-count",
                "after-context",
                "before-context",
                "context",
                "directories",
                "devices",
                "include",
                "exclude",
                "exclude-dir",
                "label",
                "binary-files",
                "group-separator",
            ],
            short_path: "f",
            long_path: &["file", "exclude-from"],
            short_rec: "r",
            long_rec: &["recursive"],
            // -R follows symlinks out of the tree.
            short_bad: "R",
            long_bad: &["dereference-recursive"],
            pos: Pos::PatternThenReads,
            ..BASE
        },
        "rg" => Spec {
            short_val: "egtTmABCjMrEd",
            long_val: &[
                "regexp",
                "glob",
                "iglob",
                "type",
                "type-not",
                "type-add",
                "type-clear",
                "max-count",
                "after-context",
                "before-context",
                "context",
                "threads",
                "max-columns",
                "replace",
                "encoding",
                "max-depth",
                "maxdepth",
                "sort",
                "sortr",
                "engine",
                "path-separator",
                "dfa-size-limit",
                "regex-size-limit",
                "max-filesize",
                "colors",
                "color",
                "context-separator",
                "field-context-separator",
                "field-match-separator",
                "hyperlink-format",
                "generate",
            ],
            short_path: "f",
            long_path: &["file", "ignore-file"],
            // --pre runs a program per file; -z runs decompressors; -L follows symlinks out.
            short_bad: "zL",
            long_bad: &["pre", "pre-glob", "search-zip", "hostname-bin", "follow"],
            pos: Pos::PatternThenReads,
            ..BASE
        },
        "echo" | "pwd" | "true" | "false" | ":" | "whoami" | "id" | "groups" | "uname"
        | "nproc" | "arch" | "uptime" | "tty" | "logname" | "sleep" | "test" | "[" | "which"
        | "type" | "dirname" | "tr" | "seq" | "expr" | "ps" | "free" | "printenv" | "getconf"
        | "locale" | "clear" | "unset" | "shift" | "return" | "exit" | "break" | "continue"
        | "wait" | "basename" => NO_PATHS,
        "printf" => Spec {
            // -v assigns a shell variable (PATH, …).
            short_bad: "v",
            ..NO_PATHS
        },
        "mkdir" => Spec {
            short_val: "m",
            // `--context[=CTX]` takes a value only after `=`.
            long_val: &["mode"],
            pos: Pos::Writes,
            ..BASE
        },
        "touch" => Spec {
            short_val: "dt",
            long_val: &["date"],
            short_path: "r",
            long_path: &["reference"],
            pos: Pos::Writes,
            ..BASE
        },
        "rmdir" => Spec {
            pos: Pos::Writes,
            ..BASE
        },
        "tee" => Spec {
            pos: Pos::Writes,
            ..BASE
        },
        "cp" => Spec {
            short_val: "S",
            long_val: &["suffix"],
            short_rec: "rRa",
            long_rec: &["recursive", "archive"],
            short_target: "t",
            long_target: &["target-directory"],
            pos: Pos::Copy,
            ..BASE
        },
        "mv" => Spec {
            short_val: "S",
            long_val: &["suffix"],
            short_target: "t",
            long_target: &["target-directory"],
            pos: Pos::Move,
            ..BASE
        },
        // Understood paths, but never automatic: a rule is needed.
        "rm" | "unlink" | "shred" => Spec {
            known: false,
            pos: Pos::Writes,
            ..BASE
        },
        "ln" => Spec {
            known: false,
            short_val: "S",
            long_val: &["suffix"],
            short_target: "t",
            long_target: &["target-directory"],
            pos: Pos::Copy,
            ..BASE
        },
        "truncate" => Spec {
            known: false,
            short_val: "s",
            long_val: &["size"],
            short_path: "r",
            long_path: &["reference"],
            pos: Pos::Writes,
            ..BASE
        },
        "chmod" | "chown" | "chgrp" => Spec {
            known: false,
            pos: Pos::SkipFirstWrites,
            ..BASE
        },
        _ => return None,
    };
    Some(s)
}

/// Is `given` (a long option name as typed) an abbreviation of one of `list`? GNU getopt and
/// git accept unambiguous prefixes, so `--outp` is `--output`.
fn long_prefix_of(given: &str, list: &[&str]) -> bool {
    !given.is_empty() && list.iter().any(|l| l.starts_with(given))
}

/// The long option `given` names, as GNU getopt reads it: itself when listed, else the one
/// listed option it abbreviates (`--files0` is `--files0-from`); unchanged when it
/// abbreviates none or several (getopt refuses those).
pub fn long_option<'a>(given: &'a str, lists: &[&[&'a str]]) -> &'a str {
    let all = lists.iter().flat_map(|l| l.iter().copied());
    if given.is_empty() || all.clone().any(|l| l == given) {
        return given;
    }
    let mut hits = all.filter(|l| l.starts_with(given));
    match (hits.next(), hits.next()) {
        (Some(one), None) => one,
        _ => given,
    }
}

/// Classifies a command (`args[0]` is its name, static).
pub fn classify(args: &[Arg]) -> Effects {
    let mut e = classify_name(args);
    if let Some(n) = e.taints.iter().find(|n| is_dangerous_var(n)) {
        let reason = format!("it assigns {n}");
        e.set_other(reason);
    }
    e
}

fn classify_name(args: &[Arg]) -> Effects {
    let Some(name) = args.first().and_then(Arg::v) else {
        return Effects::other("the command name is not static");
    };
    match name {
        "find" => find(args),
        "git" => git(args),
        "sed" => sed_cmd(args),
        "date" => date(args),
        "hostname" => {
            if args.len() > 1 {
                Effects::other("hostname with arguments can change the host name")
            } else {
                Effects::default()
            }
        }
        "set" => set(args),
        "shopt" => shopt(args),
        "read" => read(args),
        "getopts" => getopts(args),
        "mapfile" | "readarray" => mapfile(args),
        "declare" | "typeset" | "local" | "export" | "readonly" => declare(args),
        "let" => Effects::default(),
        "[[" => Effects::default(),
        _ => match spec(name) {
            Some(s) => generic(args, &s),
            None => {
                let mut e = Effects::other(format!("{name} is not a known read-only command"));
                e.risky = risky_other(name, args);
                e
            }
        },
    }
}

fn generic(args: &[Arg], s: &Spec) -> Effects {
    let mut e = Effects::default();
    if !s.known {
        e.other = Some(format!(
            "{} changes files",
            args.first().and_then(Arg::v).unwrap_or("the command")
        ));
    }
    let mut positionals: Vec<usize> = Vec::new();
    let mut dynamic: Vec<usize> = Vec::new();
    let mut target: Option<PathRef> = None;
    let mut recursive = false;
    let mut pattern_given = false;
    let mut end_opts = false;
    let mut i = 1;
    let bad = |e: &mut Effects, o: &str| e.set_risky(format!("the option {o}"));
    while i < args.len() {
        let Some(v) = args[i].v() else {
            if !end_opts && (!s.short_bad.is_empty() || !s.long_bad.is_empty()) {
                e.set_risky("a dynamic argument that could be an unsafe option");
            }
            dynamic.push(i);
            i += 1;
            continue;
        };
        if end_opts || v == "-" || !v.starts_with('-') {
            positionals.push(i);
            i += 1;
            continue;
        }
        if v == "--" {
            end_opts = true;
            i += 1;
            continue;
        }
        if let Some(long) = v.strip_prefix("--") {
            let (given, inline) = match long.split_once('=') {
                Some((n, val)) => (n, Some(val)),
                None => (long, None),
            };
            if long_prefix_of(given, s.long_bad) {
                bad(&mut e, v);
            }
            // Abbreviations count, except that only a value option spelled in full takes the
            // next argument as its value (a wrong guess there would hide that argument).
            let name = long_option(given, &[s.long_val, s.long_path, s.long_target, s.long_rec]);
            if s.long_rec.contains(&name) {
                recursive = true;
            }
            let mut take = |e: &mut Effects, kind: u8| {
                let r = match inline {
                    Some(val) => PathRef::Text(val.to_string()),
                    None => {
                        i += 1;
                        PathRef::Arg(i)
                    }
                };
                match kind {
                    0 => e.reads.push(r),
                    1 => target = Some(r),
                    _ => {}
                }
            };
            if s.long_path.contains(&name) {
                take(&mut e, 0);
                if name == "file" || name == "regexp" {
                    pattern_given = true;
                }
            } else if s.long_target.contains(&name) {
                take(&mut e, 1);
            } else if s.long_val.contains(&name) && (inline.is_some() || name == given) {
                take(&mut e, 2);
                if name == "regexp" {
                    pattern_given = true;
                }
            }
            if name == "directories" && inline == Some("recurse") {
                recursive = true;
            }
            if name == "files" || name == "type-list" {
                pattern_given = true;
            }
            i += 1;
            continue;
        }
        // A cluster of short options.
        let chars: Vec<char> = v.chars().skip(1).collect();
        let mut k = 0;
        while k < chars.len() {
            let c = chars[k];
            if s.short_bad.contains(c) {
                bad(&mut e, &format!("-{c}"));
            }
            if s.short_rec.contains(c) {
                recursive = true;
            }
            let is_path = s.short_path.contains(c);
            let is_target = s.short_target.contains(c);
            if is_path || is_target || s.short_val.contains(c) {
                let rest: String = chars[k + 1..].iter().collect();
                let r = if rest.is_empty() {
                    i += 1;
                    PathRef::Arg(i)
                } else {
                    PathRef::Text(rest)
                };
                if is_path {
                    e.reads.push(r);
                } else if is_target {
                    target = Some(r);
                }
                if c == 'e' || c == 'f' {
                    pattern_given = true;
                }
                break;
            }
            k += 1;
        }
        i += 1;
    }
    // An option value may have pointed past the end; `-` as a file-list option's value
    // (`wc --files0-from=-`, `grep -f -`) names files only known at run time.
    e.reads
        .retain(|r| !matches!(r, PathRef::Arg(n) if *n >= args.len()));
    for r in &mut e.reads {
        let dash = match r {
            PathRef::Text(t) => t == "-",
            PathRef::Arg(n) => args.get(*n).and_then(Arg::v) == Some("-"),
            PathRef::Dynamic => false,
        };
        if dash {
            *r = PathRef::Dynamic;
        }
    }
    let arg = PathRef::Arg;
    let dyn_refs = || dynamic.iter().map(|_| PathRef::Dynamic);
    match s.pos {
        Pos::None => {}
        Pos::Reads | Pos::ReadsOrCwd => {
            let refs: Vec<PathRef> = positionals
                .iter()
                .map(|&n| arg(n))
                .chain(dyn_refs())
                .collect();
            if refs.is_empty() && s.pos == Pos::ReadsOrCwd {
                e.implicit_cwd = Some(recursive);
            }
            if recursive {
                e.recursive.extend(refs.iter().cloned());
            }
            e.reads.extend(refs);
        }
        Pos::PatternThenReads => {
            let mut files = positionals.clone();
            if !pattern_given && !files.is_empty() {
                files.remove(0);
            }
            let refs: Vec<PathRef> = files.iter().map(|&n| arg(n)).chain(dyn_refs()).collect();
            let is_rg = args.first().and_then(Arg::v) == Some("rg");
            if is_rg {
                e.skips_hidden = !args.iter().skip(1).filter_map(Arg::v).any(|v| {
                    v == "--hidden"
                        || v == "--unrestricted"
                        || (v.starts_with('-')
                            && !v.starts_with("--")
                            && (v.contains('.') || v.matches('u').count() >= 2))
                }) && args.iter().all(|a| a.value.is_some());
            }
            if is_rg || recursive {
                if refs.is_empty() {
                    e.implicit_cwd = Some(true);
                }
                e.recursive.extend(refs.iter().cloned());
            }
            e.reads.extend(refs);
        }
        Pos::InOut => {
            if positionals.len() + dynamic.len() > 2 {
                e.set_other("too many arguments");
            }
            let mut all: Vec<PathRef> = positionals
                .iter()
                .map(|&n| arg(n))
                .chain(dyn_refs())
                .collect();
            if all.len() > 1 {
                let out = all.remove(1);
                e.writes.push(out);
            }
            e.reads.extend(all);
        }
        Pos::Writes => {
            e.writes
                .extend(positionals.iter().map(|&n| arg(n)).chain(dyn_refs()));
        }
        Pos::SkipFirstWrites => {
            e.writes.extend(
                positionals
                    .iter()
                    .skip(1)
                    .map(|&n| arg(n))
                    .chain(dyn_refs()),
            );
        }
        Pos::Copy | Pos::Move => {
            let mut sources: Vec<PathRef> = positionals.iter().map(|&n| arg(n)).collect();
            let has_target = target.is_some();
            let dest = match target {
                Some(t) => Some(t),
                None if sources.len() > 1 && dynamic.is_empty() => sources.pop(),
                None => None,
            };
            if !dynamic.is_empty() && !has_target {
                // The destination could be any of them.
                e.writes.push(PathRef::Dynamic);
            }
            sources.extend(dyn_refs());
            if recursive {
                e.recursive.extend(sources.iter().cloned());
            }
            if s.pos == Pos::Move {
                e.writes.extend(sources.iter().cloned());
            }
            e.reads.extend(sources);
            e.writes.extend(dest);
        }
    }
    e
}

fn find(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut i = 1;
    let mut follow = false;
    while let Some(v) = args.get(i).and_then(Arg::v) {
        match v {
            "-H" | "-P" => i += 1,
            "-L" => {
                follow = true;
                i += 1;
            }
            "-D" => i += 2,
            v if v.starts_with("-O") || (v.starts_with("-D") && v.len() > 2) => i += 1,
            _ => break,
        }
    }
    let mut roots = Vec::new();
    while i < args.len() {
        match args[i].v() {
            None => return Effects::risky("a dynamic find argument that could be an action"),
            Some(v) if v.starts_with('-') || matches!(v, "(" | ")" | "!" | ",") => break,
            Some(_) => roots.push(PathRef::Arg(i)),
        }
        i += 1;
    }
    if roots.is_empty() {
        e.implicit_cwd = Some(false);
    }
    let mut delete = false;
    while i < args.len() {
        let Some(v) = args[i].v() else {
            return Effects::risky("a dynamic find argument that could be an action");
        };
        match v {
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let start = i + 1;
                let Some(end) =
                    (start..args.len()).find(|&j| matches!(args[j].v(), Some(";" | "+")))
                else {
                    return Effects::risky("an unterminated find -exec");
                };
                if end == start {
                    return Effects::other("find -exec without a command");
                }
                e.exec.push((start, end, v.ends_with("dir")));
                i = end + 1;
                continue;
            }
            "-delete" => delete = true,
            "-follow" => follow = true,
            "-fprint" | "-fprint0" | "-fls" => {
                e.writes.push(PathRef::Arg(i + 1));
                i += 2;
                continue;
            }
            "-fprintf" => {
                e.writes.push(PathRef::Arg(i + 1));
                i += 3;
                continue;
            }
            "-newer" | "-anewer" | "-cnewer" | "-samefile" | "-files0-from" => {
                e.reads.push(PathRef::Arg(i + 1));
                i += 2;
                continue;
            }
            v if v.starts_with("-newer") && v.len() == 8 => {
                if !v.ends_with('t') {
                    e.reads.push(PathRef::Arg(i + 1));
                }
                i += 2;
                continue;
            }
            "-name" | "-iname" | "-path" | "-ipath" | "-wholename" | "-iwholename" | "-regex"
            | "-iregex" | "-lname" | "-ilname" | "-type" | "-xtype" | "-user" | "-group"
            | "-uid" | "-gid" | "-perm" | "-size" | "-mtime" | "-atime" | "-ctime" | "-mmin"
            | "-amin" | "-cmin" | "-maxdepth" | "-mindepth" | "-links" | "-inum" | "-fstype"
            | "-printf" | "-used" | "-context" | "-regextype" => {
                i += 2;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    e.reads
        .retain(|r| !matches!(r, PathRef::Arg(n) if *n >= args.len()));
    e.writes
        .retain(|r| !matches!(r, PathRef::Arg(n) if *n >= args.len()));
    if follow {
        e.set_risky("find -L/-follow, which follows symlinks out of the tree");
    }
    if delete {
        e.set_risky("find -delete, which deletes files");
        e.writes.extend(roots.iter().cloned());
        if roots.is_empty() {
            e.writes.push(PathRef::Text(".".into()));
        }
    }
    e.reads.extend(roots);
    e
}

/// git subcommands that only read the repository.
const GIT_READ: &[&str] = &[
    "status",
    "diff",
    "log",
    "show",
    "rev-parse",
    "ls-files",
    "blame",
    "describe",
    "shortlog",
    "ls-tree",
    "rev-list",
    "merge-base",
    "name-rev",
    "show-ref",
    "count-objects",
    "check-ignore",
    "diff-tree",
    "diff-files",
    "diff-index",
    "grep",
    "whatchanged",
    "show-branch",
    "for-each-ref",
    "cherry",
    "cat-file",
    "version",
    "check-attr",
];

/// git options that make git run programs or write files, whatever the subcommand.
fn git_risky(args: &[Arg]) -> Option<String> {
    let sub = args
        .iter()
        .skip(1)
        .filter_map(Arg::v)
        .find(|v| !v.starts_with('-'))
        .unwrap_or("");
    if args.iter().skip(1).any(|a| a.value.is_none()) {
        return Some("a dynamic git argument".into());
    }
    for (k, a) in args.iter().enumerate().skip(1) {
        let Some(v) = a.v() else { continue };
        let name = v.split('=').next().unwrap_or(v);
        let long = name
            .strip_prefix("--")
            .filter(|l| l.len() >= 2 && *l != "text");
        let hit = match name {
            "-c" => true,
            "--exec-path" => v.contains('='),
            "-O" => sub == "grep",
            "-u" => sub == "clone",
            "-x" => matches!(sub, "rebase" | "difftool"),
            _ if name.starts_with("-O") && sub == "grep" => true,
            _ => long.is_some_and(|l| {
                long_prefix_of(
                    l,
                    &[
                        "config-env",
                        "upload-pack",
                        "receive-pack",
                        "exec",
                        "output",
                        "ext-diff",
                        "open-files-in-pager",
                        "template",
                        "extcmd",
                        "textconv",
                        "filters",
                    ],
                ) || (matches!(sub, "clone" | "submodule") && long_prefix_of(l, &["config"]))
            }),
        };
        if hit {
            return Some(format!("the git option {v}"));
        }
        if k > 1 && matches!((sub, v), ("submodule", "foreach") | ("bisect", "run")) {
            return Some(format!("git {sub} {v}, which runs commands"));
        }
    }
    if matches!(sub, "filter-branch" | "mergetool") {
        return Some(format!("git {sub}, which runs commands"));
    }
    None
}

fn git(args: &[Arg]) -> Effects {
    let mut e = git_inner(args);
    if let Some(r) = git_risky(args) {
        e.set_risky(r);
    }
    e
}

fn git_inner(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut i = 1;
    // Global options.
    loop {
        let Some(a) = args.get(i) else {
            return e;
        };
        let Some(v) = a.v() else {
            return Effects::other("a dynamic git argument could be an option");
        };
        let (name, inline) = match v.split_once('=') {
            Some((n, val)) => (n, Some(val)),
            None => (v, None),
        };
        match name {
            "-C" => {
                e.chdir = Some(PathRef::Arg(i + 1));
                i += 2;
            }
            "-c" | "--config-env" | "--exec-path" if name != "--exec-path" || inline.is_some() => {
                return Effects::other(format!("git {name} can make git run programs"));
            }
            "--git-dir" | "--work-tree" => {
                match inline {
                    Some(val) => e.reads.push(PathRef::Text(val.to_string())),
                    None => {
                        e.reads.push(PathRef::Arg(i + 1));
                        i += 1;
                    }
                }
                i += 1;
            }
            "--namespace" | "--super-prefix" | "--list-cmds" => {
                if inline.is_none() {
                    i += 1;
                }
                i += 1;
            }
            "--version" | "-v" | "--help" | "-h" | "--exec-path" | "--html-path" | "--man-path"
            | "--info-path" => return e,
            n if n.starts_with('-') => {
                const FLAGS: &[&str] = &[
                    "-p",
                    "--paginate",
                    "-P",
                    "--no-pager",
                    "--bare",
                    "--no-replace-objects",
                    "--literal-pathspecs",
                    "--glob-pathspecs",
                    "--noglob-pathspecs",
                    "--icase-pathspecs",
                    "--no-optional-locks",
                    "--no-lazy-fetch",
                    "--no-advice",
                ];
                if !FLAGS.contains(&n) {
                    return Effects::other(format!("unknown git option {n}"));
                }
                i += 1;
            }
            _ => break,
        }
    }
    let Some(sub) = args.get(i).and_then(Arg::v) else {
        return Effects::other("a dynamic git subcommand");
    };
    let rest = &args[i + 1..];
    let statics: Vec<&str> = rest.iter().filter_map(Arg::v).collect();
    if rest.iter().any(|a| a.value.is_none()) {
        return Effects::other("a dynamic git argument could be an option");
    }
    let has = |opts: &[&str]| statics.iter().any(|s| opts.contains(s));
    let has_long_prefix = |bad: &[&str]| {
        statics.iter().any(|s| {
            s.strip_prefix("--")
                .map(|l| l.split('=').next().unwrap_or(l))
                .is_some_and(|l| l.len() >= 2 && l != "text" && long_prefix_of(l, bad))
        })
    };
    let positionals: Vec<&str> = statics
        .iter()
        .copied()
        .take_while(|s| *s != "--")
        .filter(|s| !s.starts_with('-'))
        .collect();
    let read_only = match sub {
        "branch" => {
            const WRITE: &[&str] = &[
                "-d",
                "-D",
                "-m",
                "-M",
                "-c",
                "-C",
                "-f",
                "-u",
                "--delete",
                "--move",
                "--copy",
                "--force",
                "--set-upstream-to",
                "--unset-upstream",
                "--edit-description",
                "--track",
                "--no-track",
                "--create-reflog",
            ];
            let listing = has(&[
                "-l",
                "--list",
                "--contains",
                "--no-contains",
                "--merged",
                "--no-merged",
                "--points-at",
            ]);
            !statics.iter().any(|s| {
                WRITE.contains(s)
                    || s.starts_with("--set-upstream-to=")
                    || (s.starts_with('-')
                        && !s.starts_with("--")
                        && s.len() > 2
                        && s[1..].chars().any(|c| "dDmMcCfu".contains(c)))
            }) && (positionals.is_empty() || listing)
        }
        "tag" => {
            let listing = has(&["-l", "--list"]);
            let write = statics.iter().any(|s| {
                matches!(
                    *s,
                    "-d" | "-a"
                        | "-s"
                        | "-u"
                        | "-f"
                        | "-m"
                        | "-F"
                        | "-e"
                        | "--delete"
                        | "--annotate"
                        | "--sign"
                        | "--local-user"
                        | "--force"
                        | "--message"
                        | "--file"
                        | "--edit"
                ) || s.starts_with("--message=")
                    || s.starts_with("--file=")
                    || s.starts_with("--local-user=")
            });
            !write && (positionals.is_empty() || listing)
        }
        "remote" => {
            matches!(statics.as_slice(), [] | ["-v"] | ["--verbose"])
                || matches!(statics.first(), Some(&"get-url"))
        }
        "config" => {
            const GET: &[&str] = &[
                "--get",
                "--get-all",
                "--get-regexp",
                "--get-urlmatch",
                "--list",
                "-l",
                "--get-color",
                "--get-colorbool",
            ];
            const WRITE: &[&str] = &[
                "--add",
                "--unset",
                "--unset-all",
                "--replace-all",
                "--rename-section",
                "--remove-section",
                "--edit",
                "-e",
                "set",
                "unset",
                "rename-section",
                "remove-section",
                "edit",
            ];
            let new_style = matches!(positionals.first(), Some(&"get") | Some(&"list"));
            (has(GET) || new_style) && !has(WRITE)
        }
        "stash" => matches!(positionals.first(), Some(&"list") | Some(&"show")),
        "reflog" => matches!(positionals.first(), None | Some(&"show") | Some(&"exists")),
        "worktree" => positionals.first() == Some(&"list"),
        "notes" => matches!(positionals.first(), Some(&"list") | Some(&"show")),
        s if GIT_READ.contains(&s) => true,
        _ => false,
    };
    if !read_only {
        return Effects::other(format!("git {sub} is not a read-only git command"));
    }
    // Options that write files or run programs even in read-only subcommands.
    if has_long_prefix(&[
        "output",
        "ext-diff",
        "open-files-in-pager",
        "textconv",
        "filters",
    ]) || statics.iter().any(|s| s.starts_with("--output"))
        || (sub == "grep" && statics.iter().any(|s| s.starts_with("-O")))
        || (sub == "cat-file" && has(&["--textconv", "--filters"]))
    {
        return Effects::other(format!(
            "this git {sub} option writes files or runs programs"
        ));
    }
    // Paths: after `--`, `--no-index` operands, `--contents`.
    let base = i + 1;
    let mut after_dd = false;
    let no_index = has(&["--no-index"]);
    for (k, a) in rest.iter().enumerate() {
        let Some(v) = a.v() else { continue };
        if after_dd {
            e.reads.push(PathRef::Arg(base + k));
            continue;
        }
        if v == "--" {
            after_dd = true;
            continue;
        }
        if let Some(p) = v.strip_prefix("--contents=") {
            e.reads.push(PathRef::Text(p.to_string()));
        } else if v == "--contents" {
            e.reads.push(PathRef::Arg(base + k + 1));
        } else if no_index && !v.starts_with('-') {
            e.reads.push(PathRef::Arg(base + k));
        } else if matches!(sub, "show" | "cat-file")
            && !v.starts_with('-')
            && let Some(path) = blob_path(v)
        {
            e.reads.push(path);
        } else if sub == "config" && v.starts_with('-') {
            // `-f FILE` / `--file=FILE` and `--blob=REV:PATH` read the config from there.
            let (given, inline) = match v.split_once('=') {
                Some((n, val)) => (n, Some(val)),
                None => (v, None),
            };
            let value = inline.or_else(|| rest.get(k + 1).and_then(Arg::v));
            let name = match given.strip_prefix("--") {
                Some(l) => long_option(l, &[&["file", "blob"]]),
                None if given.starts_with("-f") && given.len() > 2 => {
                    e.reads.push(PathRef::Text(given[2..].to_string()));
                    continue;
                }
                None => given,
            };
            match (name, value) {
                ("-f" | "file", Some(f)) => e.reads.push(PathRef::Text(f.to_string())),
                ("blob", Some(b)) => e.reads.extend(blob_path(b)),
                _ => {}
            }
        }
    }
    let batch = sub == "cat-file"
        && statics.iter().any(|s| {
            s.strip_prefix("--batch")
                .is_some_and(|r| r.is_empty() || r.starts_with('=') || r.starts_with("-command"))
        });
    if (sub == "grep" && !after_dd) || batch {
        // git grep reads every tracked file under the cwd; `cat-file --batch` prints any
        // object named on its input.
        e.implicit_cwd = Some(true);
    }
    e.reads
        .retain(|r| !matches!(r, PathRef::Arg(n) if *n >= args.len()));
    e
}

/// `REV:PATH` names that file's content (relative to the repository root; the cwd is the best
/// guess, and deny rules on bare names match anywhere).
fn blob_path(v: &str) -> Option<PathRef> {
    let (_, path) = v.split_once(':')?;
    (!path.is_empty()).then(|| PathRef::Text(path.trim_start_matches("./").to_string()))
}

fn sed_cmd(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut scripts: Vec<String> = Vec::new();
    let mut files: Vec<PathRef> = Vec::new();
    let mut in_place = false;
    let mut sandbox = false;
    let mut end_opts = false;
    let mut i = 1;
    while i < args.len() {
        let Some(v) = args[i].v() else {
            if !end_opts {
                return Effects::risky("a dynamic sed argument that could be a script");
            }
            files.push(PathRef::Dynamic);
            i += 1;
            continue;
        };
        if end_opts || v == "-" || !v.starts_with('-') {
            if scripts.is_empty() {
                scripts.push(v.to_string());
            } else {
                files.push(PathRef::Arg(i));
            }
            i += 1;
            continue;
        }
        if v == "--" {
            end_opts = true;
            i += 1;
            continue;
        }
        if let Some(long) = v.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, val)) => (n, Some(val)),
                None => (long, None),
            };
            match name {
                "expression" => match inline {
                    Some(s) => scripts.push(s.to_string()),
                    None => {
                        i += 1;
                        match args.get(i).and_then(Arg::v) {
                            Some(s) => scripts.push(s.to_string()),
                            None => return Effects::risky("a dynamic sed script"),
                        }
                    }
                },
                "file" => return Effects::risky("a sed script read from a file"),
                "in-place" => in_place = true,
                "sandbox" => sandbox = true,
                "line-length" if inline.is_none() => i += 1,
                n if long_prefix_of(n, &["in-place"]) => in_place = true,
                n if long_prefix_of(n, &["file"]) || long_prefix_of(n, &["expression"]) => {
                    return Effects::risky("an abbreviated sed option");
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        let chars: Vec<char> = v.chars().skip(1).collect();
        let mut k = 0;
        while k < chars.len() {
            match chars[k] {
                'i' => {
                    in_place = true;
                    break;
                }
                'e' => {
                    let rest: String = chars[k + 1..].iter().collect();
                    if rest.is_empty() {
                        i += 1;
                        match args.get(i).and_then(Arg::v) {
                            Some(s) => scripts.push(s.to_string()),
                            None => return Effects::risky("a dynamic sed script"),
                        }
                    } else {
                        scripts.push(rest);
                    }
                    break;
                }
                'f' => return Effects::risky("a sed script read from a file"),
                'l' => {
                    if k + 1 == chars.len() {
                        i += 1;
                    }
                    break;
                }
                _ => k += 1,
            }
        }
        i += 1;
    }
    if !sandbox && !scripts.iter().all(|s| sed::is_safe_script(s)) {
        return Effects::risky("a sed script that can write files or run commands");
    }
    if in_place {
        e.writes.extend(files.iter().cloned());
    }
    e.reads.extend(files);
    e
}

fn date(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut i = 1;
    while i < args.len() {
        let Some(v) = args[i].v() else {
            return Effects::risky("a dynamic date argument");
        };
        let (name, inline) = match v.split_once('=') {
            Some((n, val)) => (n, Some(val)),
            None => (v, None),
        };
        match name {
            "-s" | "--set" => return Effects::risky("date -s, which sets the clock"),
            "-d" | "--date" => {
                if inline.is_none() {
                    i += 1;
                }
            }
            "-f" | "--file" | "-r" | "--reference" => match inline {
                Some(p) => e.reads.push(PathRef::Text(p.to_string())),
                None => {
                    i += 1;
                    e.reads.push(PathRef::Arg(i));
                }
            },
            n if n.starts_with("--") && long_prefix_of(&n[2..], &["set"]) => {
                return Effects::risky("date -s, which sets the clock");
            }
            n if n.starts_with('-') && !n.starts_with("-I") && n.len() > 2 && n.contains('s') => {
                return Effects::risky("date -s, which sets the clock");
            }
            n if n.starts_with('+') || n.starts_with('-') => {}
            _ => return Effects::risky("a date argument that sets the clock"),
        }
        i += 1;
    }
    e.reads
        .retain(|r| !matches!(r, PathRef::Arg(n) if *n >= args.len()));
    e
}

fn set(args: &[Arg]) -> Effects {
    for a in &args[1..] {
        let Some(v) = a.v() else {
            return Effects::other("a dynamic set argument");
        };
        if v == "--" {
            break;
        }
        if (v.starts_with('-') || v.starts_with('+')) && (v.contains('a') || v.contains('k')) {
            return Effects::other("set -a/-k export later assignments");
        }
        if v == "allexport" || v == "keyword" {
            return Effects::other("set -o allexport/keyword export later assignments");
        }
    }
    Effects::default()
}

/// `shopt -s/-u` changes how later words expand (`dotglob`, `nocaseglob`, `globstar`,
/// `extglob`) and where commands run (`cdable_vars`, `lastpipe`): only listing and querying
/// options are known.
fn shopt(args: &[Arg]) -> Effects {
    for a in &args[1..] {
        match a.v() {
            None => return Effects::other("a dynamic shopt argument"),
            Some(v) if v.starts_with('-') && v.contains(['s', 'u']) => {
                return Effects::other("shopt -s/-u changes how later commands are expanded");
            }
            Some(_) => {}
        }
    }
    Effects::default()
}

fn read(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut i = 1;
    while i < args.len() {
        let Some(v) = args[i].v() else {
            return Effects::other("a dynamic read argument");
        };
        if v.starts_with('-') && v.len() > 1 {
            let chars: Vec<char> = v.chars().skip(1).collect();
            if let Some(pos) = chars.iter().position(|c| "adinNptu".contains(*c)) {
                let opt = chars[pos];
                let value = if pos + 1 < chars.len() {
                    Some(chars[pos + 1..].iter().collect::<String>())
                } else {
                    i += 1;
                    args.get(i).and_then(Arg::v).map(str::to_string)
                };
                if opt == 'a'
                    && let Some(name) = value
                {
                    e.taints.push(name);
                }
            }
        } else {
            e.taints.push(v.to_string());
        }
        i += 1;
    }
    if e.taints.is_empty() {
        e.taints.push("REPLY".into());
    }
    e
}

/// `getopts OPTSTRING NAME`: NAME is assigned the option letter.
fn getopts(args: &[Arg]) -> Effects {
    match args.get(2).map(Arg::v) {
        Some(None) => Effects::other("a dynamic getopts variable"),
        Some(Some(name)) => Effects {
            taints: vec![name.to_string()],
            ..Default::default()
        },
        None => Effects::default(),
    }
}

fn mapfile(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut i = 1;
    let mut name = "MAPFILE".to_string();
    while i < args.len() {
        let Some(v) = args[i].v() else {
            return Effects::other("a dynamic mapfile argument");
        };
        if let Some(o) = v.strip_prefix('-') {
            if o.contains('C') {
                return Effects::other("mapfile -C runs a callback");
            }
            if o.len() == 1 && "dnOstu".contains(o) {
                i += 1;
            }
        } else {
            name = v.to_string();
        }
        i += 1;
    }
    e.taints.push(name);
    e
}

fn declare(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let exported = args.first().and_then(Arg::v) == Some("export");
    let mut exported = exported;
    for a in &args[1..] {
        let Some(v) = a.v() else {
            return Effects::other("a dynamic declaration");
        };
        if let Some(flags) = v.strip_prefix('-').or_else(|| v.strip_prefix('+')) {
            if flags.contains('i') || flags.contains('n') {
                return Effects::other("integer and nameref declarations evaluate values");
            }
            if flags.contains('x') {
                exported = true;
            }
            continue;
        }
        let (name, value) = match v.split_once('=') {
            Some((n, val)) => (n.trim_end_matches('+'), Some(val)),
            None => (v, None),
        };
        let name = name.split('[').next().unwrap_or(name);
        if is_dangerous_var(name) || (exported && !is_safe_env(name)) {
            return Effects::other(format!("sets the variable {name}"));
        }
        if value.is_some_and(|val| !is_integer(val)) {
            e.taints.push(name.to_string());
        }
    }
    e
}

/// Options of commands outside the known set that run programs a prefix rule does not name.
fn risky_other(name: &str, args: &[Arg]) -> Option<String> {
    let opts: &[&str] = match name {
        "tar" | "gtar" | "bsdtar" => &[
            "--to-command",
            "--use-compress-program",
            "-I",
            "--checkpoint-action",
            "--info-script",
            "--new-volume-script",
            "-F",
            "--rsh-command",
        ],
        "rsync" => &["-e", "--rsh", "--rsync-path"],
        "ssh" | "scp" | "sftp" => &["-o", "-F", "-S"],
        "zip" => &["-T", "-TT", "--unzip-command"],
        "npm" | "pnpm" | "yarn" | "npx" => &["--script-shell"],
        "less" | "more" => &["+!", "-P"],
        "make" | "gmake" => &["SHELL", "--eval"],
        "git" => return git_risky(args),
        _ => return None,
    };
    for a in args.iter().skip(1) {
        let Some(v) = a.v() else {
            return Some(format!("a dynamic {name} argument"));
        };
        if opts.iter().any(|o| {
            v == *o || v.starts_with(&format!("{o}=")) || (o.len() == 2 && v.starts_with(o))
        }) {
            return Some(format!("the {name} option {v}"));
        }
    }
    None
}

/// Text that evaluates to itself arithmetically (no variable references).
pub fn is_integer(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    t.is_empty() || t.chars().all(|c| c.is_ascii_digit())
}

/// Environment variables a command may be given without changing what it runs
/// (`LANG=C sort`). Anything else (`NODE_OPTIONS`, `LD_PRELOAD`, `GIT_*`, …) can.
pub fn is_safe_env(name: &str) -> bool {
    const SAFE: &[&str] = &[
        "LANG",
        "LANGUAGE",
        "LC_ALL",
        "TZ",
        "TERM",
        "COLUMNS",
        "LINES",
        "NO_COLOR",
        "FORCE_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "COLORTERM",
        "CI",
        "RUST_BACKTRACE",
        "RUST_LOG",
        "NODE_ENV",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONIOENCODING",
        "GOOS",
        "GOARCH",
        "CGO_ENABLED",
        "GIT_TERMINAL_PROMPT",
        "TIMEFORMAT",
        "HOMEBREW_NO_AUTO_UPDATE",
    ];
    SAFE.contains(&name) || name.starts_with("LC_")
}

/// Shell variables whose value changes what later commands run or where.
pub fn is_dangerous_var(name: &str) -> bool {
    const DANGEROUS: &[&str] = &[
        "PATH",
        "HOME",
        "IFS",
        "CDPATH",
        "ENV",
        "BASH_ENV",
        "PS1",
        "PS2",
        "PS3",
        "PS4",
        "PROMPT_COMMAND",
        "SHELLOPTS",
        "BASHOPTS",
        "GLOBIGNORE",
        "BASH_XTRACEFD",
        "BASH_CMDS",
        "BASH_ALIASES",
        "BASH_LOADABLES_PATH",
        "EXECIGNORE",
        "HISTFILE",
        "INPUTRC",
        "PAGER",
        "GIT_PAGER",
        "EDITOR",
        "VISUAL",
        "PYTHONSTARTUP",
        "NODE_OPTIONS",
        "MAPFILE",
    ];
    DANGEROUS.contains(&name) || name.starts_with("LD_") || name.starts_with("DYLD_")
}

/// Multi-command tools: "don't ask again" suggests `Bash(tool sub *)` for them.
pub const PREFIX_TOOLS: &[&str] = &[
    "git",
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "cargo",
    "go",
    "docker",
    "podman",
    "kubectl",
    "make",
    "pip",
    "pip3",
    "uv",
    "poetry",
    "gh",
    "dotnet",
    "mvn",
    "gradle",
    "terraform",
    "helm",
    "rustup",
    "brew",
    "deno",
    "composer",
    "bundle",
    "just",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Arg> {
        s.split_whitespace().map(Arg::lit).collect()
    }

    fn eff(s: &str) -> Effects {
        classify(&args(s))
    }

    fn known(s: &str) -> bool {
        eff(s).other.is_none()
    }

    #[test]
    fn read_only_commands() {
        for c in [
            "ls -la src",
            "cat a b",
            "head -n 5 x",
            "grep -rn foo src",
            "rg foo",
            "wc -l x",
            "sort -k2 x",
            "uniq x",
            "diff -u a b",
            "git status",
            "git log --oneline -5",
            "git diff HEAD~1 -- src",
            "git branch",
            "git branch -a",
            "git branch --list 'feat*'",
            "git remote -v",
            "git config --get user.name",
            "git -C sub status",
            "sed -n 1,10p x",
            "sed s/a/b/g",
            "find . -name *.rs",
            "date +%s",
            "echo hi",
            "tree -L 2",
        ] {
            assert!(
                known(c),
                "{c} should be known read-only: {:?}",
                eff(c).other
            );
        }
    }

    #[test]
    fn side_effect_options() {
        for c in [
            "sort -o out x",
            "sort --output=out x",
            "sort --outp=out x",
            "sort --compress-program=sh x",
            "rg --pre sh foo",
            "rg --pre=./x foo",
            "rg -z foo",
            "rg -L foo",
            "grep -R foo .",
            "git -c core.pager=sh log",
            "git --config-env=core.pager=X log",
            "git diff --output=x",
            "git log --outp=x",
            "git diff --ext-diff",
            "git grep -Ovim foo",
            "git push",
            "git fetch --upload-pack=x",
            "git ls-remote --upload-pack=touch origin",
            "git branch -D main",
            "git branch newbranch",
            "git tag v1",
            "git config user.name x",
            "git remote add x y",
            "git stash",
            "git clean -fd",
            "git --exec-path=/tmp log",
            "sed -i s/a/b/ x",
            "sed -n w/tmp/x x",
            "sed s/a/b/e x",
            "sed -f script x",
            "find . -delete",
            "find . -exec rm {} ;",
            "find -L .",
            "tree -o out",
            "date -s 2020-01-01",
            "date 010101012000",
            "hostname evil",
            "printf -v PATH /tmp",
            "read PATH",
            "export LD_PRELOAD=x",
            "export FOO=1",
            "declare -n r=PATH",
            "set -a",
            "mapfile -C cb arr",
            "rm x",
            "file -C -m x",
            "sha256sum -c list",
            "curl x",
            "python x.py",
        ] {
            let e = eff(c);
            let sed_inplace = c.starts_with("sed -i");
            let exec = c.contains("-exec");
            assert!(
                e.other.is_some() || sed_inplace || exec,
                "{c} should not be read-only"
            );
        }
        // sed -i is a known write, find -exec runs its command.
        assert_eq!(eff("sed -i s/a/b/ x").writes, vec![PathRef::Arg(3)]);
        assert_eq!(eff("find . -exec rm {} ;").exec, vec![(3, 5, false)]);
    }

    #[test]
    fn paths_are_found() {
        let e = eff("cp -r a b dest");
        assert_eq!(e.writes, vec![PathRef::Arg(4)]);
        assert_eq!(e.reads, vec![PathRef::Arg(2), PathRef::Arg(3)]);
        assert_eq!(e.recursive.len(), 2);
        let e = eff("mv -t dir a b");
        assert_eq!(e.writes.len(), 3);
        let e = eff("uniq in out");
        assert_eq!(e.writes, vec![PathRef::Arg(2)]);
        let e = eff("grep -e pat -f pats file");
        assert_eq!(e.reads, vec![PathRef::Arg(4), PathRef::Arg(5)]);
        let e = eff("grep pat file");
        assert_eq!(e.reads, vec![PathRef::Arg(2)]);
        let e = eff("rg foo");
        assert_eq!(e.implicit_cwd, Some(true));
        let e = eff("wc --files0-from=list");
        assert_eq!(e.reads, vec![PathRef::Text("list".into())]);
        let e = eff("find src -newer ref -fprint out");
        assert_eq!(e.writes, vec![PathRef::Arg(5)]);
        assert!(e.reads.contains(&PathRef::Arg(3)));
        assert!(e.reads.contains(&PathRef::Arg(1)));
        let e = eff("git diff --no-index a b");
        assert_eq!(e.reads.len(), 2);
        let e = eff("git -C ../other log");
        assert_eq!(e.chdir, Some(PathRef::Arg(2)));
        let e = eff("touch -r ref new");
        assert_eq!(e.reads, vec![PathRef::Arg(2)]);
        assert_eq!(e.writes, vec![PathRef::Arg(3)]);
    }

    #[test]
    fn dynamic_arguments() {
        let mut a = args("rg foo");
        a.push(Arg::dynamic("$X"));
        assert!(classify(&a).other.is_some());
        let mut a = args("cat");
        a.push(Arg::dynamic("$X"));
        let e = classify(&a);
        assert!(e.other.is_none());
        assert_eq!(e.reads, vec![PathRef::Dynamic]);
        let mut a = args("git log");
        a.push(Arg::dynamic("$X"));
        assert!(classify(&a).other.is_some());
    }
}
