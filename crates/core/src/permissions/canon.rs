//! Commands as programs, not spellings, for deny and ask rules: `rm -fr x`, `rm -r -f x`,
//! `rm --recursive --force x`, `/bin/rm -rf x` and `\rm -rf x` are one invocation of `rm` with
//! the options `-r -f` and the operand `x`, and `Bash(rm -rf:*)` denies all of them. git's
//! global options (`-C`, `--git-dir`, `-c`, `--no-pager`, …) are dropped, its subcommand is the
//! first operand.
//!
//! Only deny and ask rules use this (matching more is the safe direction there); allow rules
//! match the command as written.

use super::commands::options::{Opt, OptSpec, Value, scan};
use super::commands::{Arg, option_model};
use super::shell::{self, Node};
use std::collections::BTreeSet;

/// One command, as the program sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// The program's name (the last component of the command word).
    pub program: String,
    /// Options, by their short name when they have one (`-r` for `--recursive`), else `--name`.
    pub options: BTreeSet<String>,
    /// Operands in order; `None` for one known only at run time (it may be anything).
    pub operands: Vec<Option<String>>,
}

/// A deny or ask rule's command, read the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    inv: Invocation,
    /// `:*` or a trailing ` *`: more operands may follow.
    open: bool,
}

/// Long and short spellings of the same option for git subcommands that deny rules name.
const GIT_ALIASES: &[(&str, &[(&str, char)])] = &[
    (
        "push",
        &[
            ("force", 'f'),
            ("delete", 'd'),
            ("verbose", 'v'),
            ("quiet", 'q'),
            ("set-upstream", 'u'),
            ("dry-run", 'n'),
        ],
    ),
    (
        "clean",
        &[
            ("force", 'f'),
            ("dry-run", 'n'),
            ("quiet", 'q'),
            ("interactive", 'i'),
        ],
    ),
    ("checkout", &[("force", 'f'), ("quiet", 'q')]),
    (
        "switch",
        &[
            ("force", 'f'),
            ("create", 'c'),
            ("force-create", 'C'),
            ("discard-changes", 'f'),
        ],
    ),
    (
        "branch",
        &[
            ("delete", 'd'),
            ("force", 'f'),
            ("move", 'm'),
            ("copy", 'c'),
            ("remotes", 'r'),
            ("all", 'a'),
        ],
    ),
    (
        "commit",
        &[
            ("all", 'a'),
            ("message", 'm'),
            ("no-verify", 'n'),
            ("quiet", 'q'),
            ("signoff", 's'),
        ],
    ),
    ("reset", &[("quiet", 'q')]),
    (
        "rm",
        &[
            ("force", 'f'),
            ("recursive", 'r'),
            ("cached", 'C'),
            ("quiet", 'q'),
            ("dry-run", 'n'),
        ],
    ),
    (
        "stash",
        &[("all", 'a'), ("include-untracked", 'u'), ("quiet", 'q')],
    ),
    (
        "tag",
        &[
            ("delete", 'd'),
            ("force", 'f'),
            ("annotate", 'a'),
            ("message", 'm'),
        ],
    ),
    ("fetch", &[("force", 'f'), ("all", 'a'), ("prune", 'p')]),
    ("pull", &[("force", 'f'), ("rebase", 'r')]),
    (
        "add",
        &[
            ("all", 'A'),
            ("force", 'f'),
            ("update", 'u'),
            ("patch", 'p'),
        ],
    ),
    ("rebase", &[("interactive", 'i')]),
];

/// Global git options that take a value (the next argument unless attached with `=`).
const GIT_GLOBAL_VALUE: &[&str] = &[
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--config-env",
    "--super-prefix",
    "--exec-path",
    "--list-cmds",
    "--attr-source",
];

/// The program's name for matching: the last path component (`/usr/bin/rm` is `rm`).
pub fn program_name(word: &str) -> &str {
    word.rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or(word)
}

/// Reads a command (`args[0]` is the command word, static).
pub fn invocation(args: &[Arg]) -> Option<Invocation> {
    let word = args.first()?.v()?;
    let program = program_name(word).to_string();
    let mut inv = Invocation {
        program: program.clone(),
        options: BTreeSet::new(),
        operands: Vec::new(),
    };
    let mut start = 1;
    let mut aliases: &[(&str, char)] = &[];
    let spec;
    if program == "git" {
        // Global options are dropped; the subcommand is the first operand.
        let mut i = 1;
        while let Some(v) = args.get(i).and_then(Arg::v) {
            if !v.starts_with('-') {
                break;
            }
            let name = v.split('=').next().unwrap_or(v);
            let attached = name == "-C" && v.len() > 2 || name == "-c" && v.len() > 2;
            if GIT_GLOBAL_VALUE.contains(&name) && !v.contains('=') && !attached {
                i += 1;
            }
            i += 1;
        }
        if args.get(i).is_some_and(|a| a.value.is_none()) {
            inv.operands.push(None);
            return Some(inv);
        }
        let Some(sub) = args.get(i).and_then(Arg::v) else {
            return Some(inv);
        };
        inv.operands.push(Some(sub.to_string()));
        aliases = GIT_ALIASES
            .iter()
            .find(|(s, _)| *s == sub)
            .map(|(_, a)| *a)
            .unwrap_or(&[]);
        start = i + 1;
        spec = generic_spec();
    } else if let Some((s, a)) = option_model(&program) {
        spec = s;
        aliases = a;
    } else {
        spec = generic_spec();
    }
    let canonical_long = |name: &str| -> String {
        match aliases.iter().find(|(l, _)| *l == name) {
            Some((_, c)) => format!("-{c}"),
            None => format!("--{name}"),
        }
    };
    let canonical_short = |c: char| -> String {
        let s = c.to_string();
        match aliases.iter().find(|(l, _)| *l == s) {
            Some((_, to)) => format!("-{to}"),
            None => format!("-{c}"),
        }
    };
    for o in scan(args, start, &spec) {
        match o {
            Opt::Flag(c) | Opt::UnknownShort(c) => {
                inv.options.insert(canonical_short(c));
            }
            Opt::ShortVal(c, v) => {
                inv.options.insert(canonical_short(c));
                if let Value::Arg(i) = v {
                    // Kept as an operand too: a rule may name it either way.
                    inv.operands.push(args[i].value.clone());
                }
            }
            Opt::Long { name, value, .. } => {
                inv.options.insert(canonical_long(&name));
                if let Some(Value::Arg(i)) = value {
                    inv.operands.push(args[i].value.clone());
                }
            }
            Opt::Operand(i) => inv.operands.push(args[i].value.clone()),
            Opt::Dynamic(_) => inv.operands.push(None),
        }
    }
    Some(inv)
}

/// Options of a command ccrs does not model: every letter of a cluster is a flag, no option
/// takes the next argument (a value shows up as an operand), long names are kept as given.
fn generic_spec() -> OptSpec<'static> {
    OptSpec {
        flags: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        ..OptSpec::default()
    }
}

impl Pattern {
    /// Reads a rule's command text (`rm -rf:*`, `git push --force *`, `rm -rf /`). `None` when
    /// it is not one simple command of plain words with at most a trailing wildcard: such a rule
    /// is matched on the text only.
    pub fn parse(spec: &str) -> Option<Pattern> {
        let s = spec.trim();
        let (body, open) = if let Some(b) = s.strip_suffix(":*") {
            (b, true)
        } else if let Some(b) = s.strip_suffix(" *") {
            (b, true)
        } else {
            (s, false)
        };
        if body.contains('*') || body.trim().is_empty() {
            return None;
        }
        let script = shell::parse(body).ok()?;
        if !script.unknown.is_empty() {
            return None;
        }
        let [Node::Simple(simple)] = script.body.as_slice() else {
            return None;
        };
        if !simple.assignments.is_empty() || !simple.redirects.is_empty() {
            return None;
        }
        let args: Vec<Arg> = simple
            .words
            .iter()
            .map(|w| w.static_value().map(|v| Arg::lit(&v)))
            .collect::<Option<_>>()?;
        let inv = invocation(&args)?;
        Some(Pattern { inv, open })
    }

    /// Does the rule name this invocation? The same program, every option of the rule (more
    /// are fine), and the rule's operands in order — all of them (exact rule) or as a prefix
    /// (`:*`). An operand known only at run time may be anything.
    pub fn matches(&self, inv: &Invocation) -> bool {
        let p = &self.inv;
        if p.program != inv.program || !p.options.is_subset(&inv.options) {
            return false;
        }
        if p.operands.len() > inv.operands.len()
            || (!self.open && p.operands.len() != inv.operands.len())
        {
            return false;
        }
        p.operands
            .iter()
            .zip(&inv.operands)
            .all(|(want, got)| got.is_none() || want == got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(s: &str) -> Invocation {
        let script = shell::parse(s).unwrap();
        let Node::Simple(simple) = &script.body[0] else {
            panic!()
        };
        let args: Vec<Arg> = simple
            .words
            .iter()
            .map(|w| match w.static_value() {
                Some(v) => Arg::lit(&v),
                None => Arg::dynamic(&w.raw),
            })
            .collect();
        invocation(&args).unwrap()
    }

    fn denies(rule: &str, cmd: &str) -> bool {
        Pattern::parse(rule).unwrap().matches(&inv(cmd))
    }

    #[test]
    fn rm_spellings() {
        for cmd in [
            "rm -rf x",
            "rm -fr x",
            "rm -r -f x",
            "rm --recursive --force x",
            "rm -R -f x",
            "rm --rec --for x",
            "/bin/rm -rf x",
            "\\rm -rf x",
            "rm x -rf",
            "rm -rfv x",
        ] {
            assert!(denies("rm -rf:*", cmd), "{cmd}");
        }
        assert!(!denies("rm -rf:*", "rm -r x"));
        assert!(!denies("rm -rf:*", "rmdir -rf x"));
        assert!(denies("rm -rf /", "rm -fr /"));
        assert!(!denies("rm -rf /", "rm -fr /tmp"));
        assert!(denies("rm -rf /", "rm -fr $X"));
    }

    #[test]
    fn git_global_options_and_aliases() {
        for cmd in [
            "git push --force",
            "git -C x push -f",
            "git --git-dir=.git --no-pager push origin main --force",
            "git -c a=b push --force-with-lease --force",
        ] {
            assert!(denies("git push --force:*", cmd), "{cmd}");
        }
        assert!(!denies("git push --force:*", "git push origin"));
        assert!(denies("git push:*", "git -C /tmp push"));
        assert!(!denies("git push:*", "git pull"));
    }

    #[test]
    fn patterns_that_are_not_plain_commands() {
        assert!(Pattern::parse("git * main").is_none());
        assert!(Pattern::parse("ls && rm x").is_none());
        assert!(Pattern::parse("echo $HOME").is_none());
    }
}
