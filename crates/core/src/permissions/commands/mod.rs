//! What individual commands do with their arguments: the built-in set of commands whose
//! effects ccrs understands (reads, writes, nothing else), and the options that make them do
//! more (`sort -o`, `rg --pre`, `git -c`, `sed -i`, `find -delete`, …).
//!
//! It fails closed: a command not described here, or given an option its table does not list,
//! is "other" — it needs a rule. Modules: `options` (reading options as getopt does), `table`
//! (the read-only and file commands), `git`, `find`, `builtins` (shell builtins and the
//! environment variables that matter), `wrappers` (commands that run another command).

mod builtins;
mod find;
mod git;
pub mod options;
mod table;
pub mod wrappers;

pub use builtins::{is_dangerous_var, is_integer, is_safe_env, is_shell_builtin};
pub use git::{GitUse, is_git_subcommand};
pub use table::{PREFIX_TOOLS, option_model};

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

/// `cp`/`mv`/`ln` into a destination: when it is a directory (or `-t`, or several sources) each
/// source lands at `dest/<its name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyInto {
    pub dest: PathRef,
    pub sources: Vec<PathRef>,
    /// `-t DIR` or several sources: the destination is certainly a directory.
    pub into_dir: bool,
    /// `-T`: the destination is never treated as a directory.
    pub no_dir: bool,
    /// The sources are copied or moved with their whole trees.
    pub recursive: bool,
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
    /// Paths whose whole tree is changed or moved away (`mv` sources, `rm -r`): a deny rule
    /// on anything below them applies.
    pub tree_writes: Vec<PathRef>,
    /// Destinations of `cp`/`mv`/`ln`.
    pub copy: Option<CopyInto>,
    /// Paths that may be replaced by something else (a symlink, another tree) for the commands
    /// after this one: `cp`, `mv`, `ln` destinations, `mv` and `rm` sources.
    pub replaced: Vec<PathRef>,
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
    /// git: which repository it uses (its configuration can run programs).
    pub git: Option<GitUse>,
    /// It runs code ccrs does not model (a callback, a later evaluation): not understood.
    pub unknown: Option<String>,
}

impl Effects {
    pub fn other(reason: impl Into<String>) -> Self {
        Effects {
            other: Some(reason.into()),
            ..Default::default()
        }
    }

    /// It runs code ccrs does not model.
    pub fn unknown(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Effects {
            other: Some(reason.clone()),
            unknown: Some(reason),
            ..Default::default()
        }
    }

    pub fn set_other(&mut self, reason: impl Into<String>) {
        if self.other.is_none() {
            self.other = Some(reason.into());
        }
    }

    pub fn risky(reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Effects {
            other: Some(reason.clone()),
            risky: Some(reason),
            ..Default::default()
        }
    }

    pub fn set_risky(&mut self, reason: impl Into<String>) {
        let reason = reason.into();
        self.set_other(reason.clone());
        if self.risky.is_none() {
            self.risky = Some(reason);
        }
    }

    /// Drops references to arguments past the end (an option value that was missing).
    fn trim(&mut self, len: usize) {
        let keep = |r: &PathRef| !matches!(r, PathRef::Arg(n) if *n >= len);
        self.reads.retain(keep);
        self.writes.retain(keep);
        self.recursive.retain(keep);
        self.tree_writes.retain(keep);
        self.replaced.retain(keep);
    }
}

/// The shell the command runs under matters for builtins (`declare` is a bash builtin, a
/// program name to dash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Posix,
}

/// Classifies a command (`args[0]` is its name, static).
pub fn classify(args: &[Arg], shell: Shell) -> Effects {
    let mut e = classify_name(args, shell);
    if let Some(n) = e.taints.iter().find(|n| is_dangerous_var(n)) {
        let reason = format!("it assigns {n}");
        e.set_other(reason);
    }
    e.trim(args.len());
    e
}

fn classify_name(args: &[Arg], shell: Shell) -> Effects {
    let Some(name) = args.first().and_then(Arg::v) else {
        return Effects::other("the command name is not static");
    };
    if shell == Shell::Posix && builtins::BASH_ONLY.contains(&name) {
        return Effects::other(format!("{name} is a bash builtin, not one of sh"));
    }
    match name {
        "find" => find::find(args),
        "git" => git::git(args),
        "sed" => sed_cmd(args),
        _ => {
            if let Some(e) = builtins::classify(name, args) {
                return e;
            }
            match table::spec(name) {
                Some(s) => table::generic(args, &s),
                None => {
                    let mut e = Effects::other(format!("{name} is not a known read-only command"));
                    e.risky = builtins::risky_other(name, args);
                    e
                }
            }
        }
    }
}

fn sed_cmd(args: &[Arg]) -> Effects {
    use options::{Opt, OptSpec, scan};
    const SED: OptSpec = OptSpec {
        flags: "nrEsuzb",
        short_val: "elf",
        short_opt: "i",
        long_flags: &[
            "quiet",
            "silent",
            "debug",
            "posix",
            "regexp-extended",
            "separate",
            "sandbox",
            "unbuffered",
            "null-data",
            "zero-terminated",
            "follow-symlinks",
            "binary",
        ],
        long_val: &["expression", "file", "line-length"],
        long_opt: &["in-place"],
        stop_at_operand: false,
    };
    let opts = scan(args, 1, &SED);
    let mut e = Effects::default();
    let mut scripts: Vec<String> = Vec::new();
    let mut operands: Vec<usize> = Vec::new();
    let mut in_place = false;
    let mut backup: Option<String> = None;
    let mut sandbox = false;
    for o in &opts {
        let (suffix, script) = match o {
            Opt::Flag(_) | Opt::ShortVal('l', _) => continue,
            Opt::ShortVal('e', v) => (None, Some(v)),
            Opt::ShortVal('i', v) => (Some(v.text(args)), None),
            Opt::Long {
                name,
                value,
                known: true,
            } => match name.as_str() {
                "expression" => (None, value.as_ref()),
                "in-place" => (Some(value.as_ref().and_then(|v| v.text(args))), None),
                "sandbox" => {
                    sandbox = true;
                    continue;
                }
                "file" => return Effects::risky("a sed script read from a file"),
                _ => continue,
            },
            Opt::ShortVal('f', _) => return Effects::risky("a sed script read from a file"),
            Opt::ShortVal(c, _) | Opt::UnknownShort(c) => {
                return Effects::other(format!("unknown sed option -{c}"));
            }
            Opt::Long { name, .. } => {
                return Effects::other(format!("unknown sed option --{name}"));
            }
            Opt::Dynamic(_) => {
                return Effects::risky("a dynamic sed argument that could be a script");
            }
            Opt::Operand(i) => {
                operands.push(*i);
                continue;
            }
        };
        if let Some(v) = script {
            match v.text(args) {
                Some(s) => scripts.push(s.to_string()),
                None => return Effects::risky("a dynamic sed script"),
            }
        }
        if let Some(suffix) = suffix {
            in_place = true;
            match suffix {
                // GNU: a suffix with a `/` is the backup file's path, anywhere.
                Some(s) if s.contains('/') || s.contains('*') => {
                    return Effects::risky("sed -i with a backup path");
                }
                Some(s) if !s.is_empty() => backup = Some(s.to_string()),
                Some(_) => {}
                None => return Effects::risky("sed -i with a dynamic backup suffix"),
            }
        }
    }
    let mut files = operands.into_iter();
    if scripts.is_empty() {
        match files.next().and_then(|i| args[i].v()) {
            Some(s) => scripts.push(s.to_string()),
            None => return Effects::risky("a dynamic sed script"),
        }
    }
    let files: Vec<PathRef> = files
        .map(|i| match args[i].v() {
            Some(_) => PathRef::Arg(i),
            None => PathRef::Dynamic,
        })
        .collect();
    if !sandbox && !scripts.iter().all(|s| sed::is_safe_script(s)) {
        return Effects::risky("a sed script that can write files or run commands");
    }
    if in_place {
        e.writes.extend(files.iter().cloned());
        e.replaced.extend(files.iter().cloned());
        if let Some(suffix) = &backup {
            // `-i.bak`: the original is kept as FILE.bak.
            for f in &files {
                match f {
                    PathRef::Arg(i) => match args[*i].v() {
                        Some(v) if args[*i].glob.is_none() => {
                            e.writes.push(PathRef::Text(format!("{v}{suffix}")))
                        }
                        _ => e.writes.push(PathRef::Dynamic),
                    },
                    _ => e.writes.push(PathRef::Dynamic),
                }
            }
        }
    }
    e.reads.extend(files);
    e
}

#[cfg(test)]
mod tests;
