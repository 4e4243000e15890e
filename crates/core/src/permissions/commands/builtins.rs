//! Shell builtins ccrs models (what they assign, which of their forms are harmless), a few
//! small commands, and the environment variables that matter.

use super::{Arg, Effects, PathRef};

/// Builtins of bash that POSIX sh does not have (there they are program names).
pub const BASH_ONLY: &[&str] = &[
    "declare",
    "typeset",
    "shopt",
    "mapfile",
    "readarray",
    "source",
    "let",
    "[[",
    "builtin",
    "caller",
    "compgen",
    "complete",
    "compopt",
    "coproc",
    "disown",
    "enable",
    "help",
    "history",
    "logout",
    "suspend",
    "bind",
    "dirs",
    "pushd",
    "popd",
];

/// Names of shell builtins and keywords (bash's; dash's are a subset): a function of that name
/// shadows the builtin.
pub fn is_shell_builtin(name: &str) -> bool {
    const BUILTINS: &[&str] = &[
        ".",
        ":",
        "[",
        "alias",
        "bg",
        "bind",
        "break",
        "builtin",
        "caller",
        "cd",
        "command",
        "compgen",
        "complete",
        "compopt",
        "continue",
        "declare",
        "dirs",
        "disown",
        "echo",
        "enable",
        "eval",
        "exec",
        "exit",
        "export",
        "false",
        "fc",
        "fg",
        "getopts",
        "hash",
        "help",
        "history",
        "jobs",
        "kill",
        "let",
        "local",
        "logout",
        "mapfile",
        "popd",
        "printf",
        "pushd",
        "pwd",
        "read",
        "readarray",
        "readonly",
        "return",
        "set",
        "shift",
        "shopt",
        "source",
        "suspend",
        "test",
        "times",
        "trap",
        "true",
        "type",
        "typeset",
        "ulimit",
        "umask",
        "unalias",
        "unset",
        "wait",
        "if",
        "then",
        "else",
        "elif",
        "fi",
        "case",
        "esac",
        "for",
        "select",
        "while",
        "until",
        "do",
        "done",
        "in",
        "function",
        "time",
        "coproc",
        "[[",
        "]]",
        "{",
        "}",
        "!",
    ];
    BUILTINS.contains(&name)
}

/// The builtins and small commands classified here (`None`: not one of them).
pub fn classify(name: &str, args: &[Arg]) -> Option<Effects> {
    Some(match name {
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
        "wait" => wait(args),
        "printf" => printf(args),
        "let" | "[[" => Effects::default(),
        _ => return None,
    })
}

/// `printf -v NAME …` assigns the output to NAME (which may be PATH, or data evaluated later).
fn printf(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    match args.get(1).and_then(Arg::v) {
        Some("-v") => match args.get(2).and_then(Arg::v) {
            Some(name) => {
                e.taints
                    .push(name.split('[').next().unwrap_or(name).to_string());
                e.set_risky("printf -v, which assigns a shell variable");
            }
            None => return Effects::unknown("printf -v of a name known only at run time"),
        },
        Some(v) if v.starts_with("-v") => {
            e.taints
                .push(v[2..].split('[').next().unwrap_or(&v[2..]).to_string());
            e.set_risky("printf -v, which assigns a shell variable");
        }
        None if args.len() > 1 => {
            return Effects::unknown("printf with a format known only at run time");
        }
        _ => {}
    }
    e
}

/// `wait -p NAME` assigns the job's id to NAME.
fn wait(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut i = 1;
    while let Some(a) = args.get(i) {
        match a.v() {
            None => return Effects::other("a dynamic wait argument"),
            Some("-p") => match args.get(i + 1).and_then(Arg::v) {
                Some(n) => {
                    e.taints.push(n.to_string());
                    i += 1;
                }
                None => return Effects::other("a dynamic wait -p variable"),
            },
            Some(v) if v.starts_with("-p") => e.taints.push(v[2..].to_string()),
            Some(_) => {}
        }
        i += 1;
    }
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
            n if n.starts_with("--") && "set".starts_with(&n[2..]) && n.len() > 2 => {
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
                return Effects::unknown("mapfile -C runs a callback");
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
                // Later assignments to the name are evaluated (arithmetic, another variable):
                // what they run is not modelled.
                return Effects::unknown("integer and nameref declarations evaluate values");
            }
            if flags.contains('f') && exported {
                return Effects::other("export -f passes functions to other shells");
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
        if value.is_some_and(|val| val.starts_with('(')) {
            return Effects::other("an array declaration (its keys are evaluated)");
        }
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
pub(super) fn risky_other(name: &str, args: &[Arg]) -> Option<String> {
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
        "git" => return super::git::git_risky(args),
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
