//! Commands that run another command given in their arguments (`timeout 5 cmd`, `env X=1 cmd`,
//! `xargs cmd`, `sudo cmd`, …): where that command starts, and what the wrapper itself does.
//! The walker strips them to see the program that really runs; deny and ask rules see every
//! layer, allow rules see a layer only as far as [`Step::strip`] allows.

use super::options::{Opt, OptSpec, Value, first_operand, scan};
use super::{Arg, PathRef, is_safe_env};

/// What a wrapper at the front of a command does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Not a wrapper.
    No,
    /// It runs the command that starts at `next` (a program, never a shell function).
    Runs(Runs),
    /// It runs nothing else (`command -v x`, `env` printing the environment, `exec` with only
    /// redirections).
    Done,
    /// It runs something ccrs cannot follow (`env -S`, `watch`, `su -c`, …).
    Unknown(String),
    /// What it does is not known before it runs (`timeout $T cmd`): not understood.
    Dynamic(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Runs {
    /// Index of the command it runs.
    pub next: usize,
    /// Why it is never automatic (`sudo` runs as another user, `exec` replaces the shell):
    /// rules must name the wrapper itself.
    pub lock: Option<String>,
    /// It sets environment variables that can change what the command does.
    pub unsafe_env: bool,
    /// Files the wrapper reads (`xargs -a`) and writes (`time -o`).
    pub reads: Vec<PathRef>,
    pub writes: Vec<PathRef>,
    /// It runs the command in another directory (`env -C`, `sudo -D`).
    pub chdir: Option<PathRef>,
    /// `xargs`: the command gets more arguments from the input.
    pub tail: bool,
    /// `xargs -I R`: R in the arguments is replaced by input.
    pub replace: Option<String>,
}

fn runs(next: usize) -> Step {
    Step::Runs(Runs {
        next,
        ..Runs::default()
    })
}

fn locked(next: usize, why: &str) -> Step {
    Step::Runs(Runs {
        next,
        lock: Some(why.to_string()),
        ..Runs::default()
    })
}

/// Options, then the command at the first operand (`nohup`, `nice`, `stdbuf`, …).
fn simple(args: &[Arg], i: usize, spec: OptSpec) -> Option<(Vec<Opt>, usize)> {
    let spec = OptSpec {
        stop_at_operand: true,
        ..spec
    };
    let opts = scan(args, i + 1, &spec);
    if opts
        .iter()
        .any(|o| matches!(o, Opt::UnknownShort(_) | Opt::Long { known: false, .. }))
    {
        return None;
    }
    let next = first_operand(&opts, args);
    Some((opts, next))
}

/// A duration `timeout` accepts: a number with an optional unit (`5`, `2.5m`, `.5s`, `1d`).
fn is_duration(v: &str) -> bool {
    let num = v.strip_suffix(['s', 'm', 'h', 'd']).unwrap_or(v);
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    !(int.is_empty() && frac.is_empty())
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The wrapper at `args[i]`, if it is one.
pub fn step(args: &[Arg], i: usize) -> Step {
    let Some(name) = args.get(i).and_then(Arg::v) else {
        return Step::No;
    };
    let end = args.len();
    let unknown = |what: &str| Step::Unknown(format!("{name} {what}"));
    match name {
        "timeout" => {
            let spec = OptSpec {
                flags: "v",
                short_val: "ks",
                long_flags: &["foreground", "preserve-status", "verbose"],
                long_val: &["kill-after", "signal"],
                ..OptSpec::default()
            };
            match simple(args, i, spec) {
                // The first operand is the duration: as in Claude Code, one that is not a
                // literal number is not understood.
                Some((_, next))
                    if args
                        .get(next)
                        .is_some_and(|a| !a.v().is_some_and(is_duration)) =>
                {
                    Step::Dynamic(format!(
                        "the timeout duration `{}` cannot be checked",
                        args[next]
                            .raw
                            .clone()
                            .or_else(|| args[next].value.clone())
                            .unwrap_or_default()
                    ))
                }
                Some((_, next)) if next + 1 < end => runs(next + 1),
                _ => unknown("is used in a way ccrs cannot follow"),
            }
        }
        "time" => {
            let spec = OptSpec {
                flags: "apqv",
                short_val: "fo",
                long_flags: &["append", "portability", "quiet", "verbose"],
                long_val: &["format", "output"],
                ..OptSpec::default()
            };
            match simple(args, i, spec) {
                Some((opts, next)) if next < end => {
                    let mut r = Runs {
                        next,
                        ..Runs::default()
                    };
                    for o in opts {
                        match o {
                            Opt::ShortVal('o', v) => r.writes.extend(value_ref(&v)),
                            Opt::Long {
                                name,
                                value: Some(v),
                                ..
                            } if name == "output" => r.writes.extend(value_ref(&v)),
                            _ => {}
                        }
                    }
                    Step::Runs(r)
                }
                _ => unknown("is used in a way ccrs cannot follow"),
            }
        }
        "nice" => {
            let spec = OptSpec {
                flags: "0123456789",
                short_val: "n",
                long_val: &["adjustment"],
                ..OptSpec::default()
            };
            match simple(args, i, spec) {
                Some((_, next)) if next < end => runs(next),
                Some(_) => Step::Done,
                None => unknown("is used in a way ccrs cannot follow"),
            }
        }
        "nohup" | "builtin" | "noglob" | "caffeinate" => {
            match simple(args, i, OptSpec::default()) {
                Some((_, next)) if next < end => runs(next),
                _ => unknown("is used in a way ccrs cannot follow"),
            }
        }
        "stdbuf" => {
            let spec = OptSpec {
                short_val: "ioe",
                long_val: &["input", "output", "error"],
                ..OptSpec::default()
            };
            match simple(args, i, spec) {
                Some((_, next)) if next < end => runs(next),
                _ => unknown("is used in a way ccrs cannot follow"),
            }
        }
        "command" => {
            let spec = OptSpec {
                flags: "pvV",
                ..OptSpec::default()
            };
            match simple(args, i, spec) {
                Some((opts, _)) if opts.iter().any(|o| matches!(o, Opt::Flag('v' | 'V'))) => {
                    Step::Done
                }
                Some((_, next)) if next < end => runs(next),
                Some(_) => Step::Done,
                None => unknown("is used in a way ccrs cannot follow"),
            }
        }
        "setsid" => match simple(
            args,
            i,
            OptSpec {
                flags: "cfw",
                long_flags: &["ctty", "fork", "wait"],
                ..OptSpec::default()
            },
        ) {
            Some((_, next)) if next < end => runs(next),
            _ => unknown("is used in a way ccrs cannot follow"),
        },
        "ionice" => match simple(
            args,
            i,
            OptSpec {
                flags: "tu",
                short_val: "cn",
                long_flags: &["ignore"],
                long_val: &["class", "classdata"],
                ..OptSpec::default()
            },
        ) {
            Some((_, next)) if next < end => runs(next),
            _ => unknown("is used in a way ccrs cannot follow"),
        },
        "taskset" => match simple(
            args,
            i,
            OptSpec {
                flags: "ac",
                long_flags: &["all-tasks", "cpu-list"],
                ..OptSpec::default()
            },
        ) {
            // The first operand is the mask.
            Some((_, next)) if next + 1 < end => runs(next + 1),
            _ => unknown("is used in a way ccrs cannot follow"),
        },
        "env" => env(args, i),
        "xargs" => xargs(args, i),
        "sudo" => {
            let spec = OptSpec {
                flags: "AbBEHKklnPSV",
                short_val: "CDghprRtTUu",
                long_flags: &[
                    "askpass",
                    "background",
                    "bell",
                    "preserve-env",
                    "set-home",
                    "remove-timestamp",
                    "reset-timestamp",
                    "list",
                    "non-interactive",
                    "preserve-groups",
                    "stdin",
                    "version",
                ],
                long_val: &[
                    "close-from",
                    "chdir",
                    "group",
                    "host",
                    "prompt",
                    "chroot",
                    "role",
                    "type",
                    "command-timeout",
                    "other-user",
                    "user",
                ],
                ..OptSpec::default()
            };
            match simple(args, i, spec) {
                Some((opts, next)) if next < end => {
                    let mut r = Runs {
                        next,
                        lock: Some("sudo runs the command as another user".into()),
                        ..Runs::default()
                    };
                    for o in opts {
                        match o {
                            Opt::ShortVal('D', v) => r.chdir = value_ref(&v),
                            Opt::Long {
                                name,
                                value: Some(v),
                                ..
                            } if name == "chdir" => r.chdir = value_ref(&v),
                            Opt::ShortVal('R', _) => return unknown("-R runs in another root"),
                            Opt::Long { name, .. } if name == "chroot" => {
                                return unknown("--chroot runs in another root");
                            }
                            _ => {}
                        }
                    }
                    Step::Runs(r)
                }
                // `sudo -e`, `-i`, `-s`: an editor or a shell.
                _ => unknown("runs an editor or a shell"),
            }
        }
        "doas" => match simple(
            args,
            i,
            OptSpec {
                flags: "ns",
                short_val: "uC",
                ..OptSpec::default()
            },
        ) {
            Some((opts, next)) if next < end && !opts.contains(&Opt::Flag('s')) => {
                locked(next, "doas runs the command as another user")
            }
            _ => unknown("runs a shell"),
        },
        "exec" => match simple(
            args,
            i,
            OptSpec {
                flags: "cl",
                short_val: "a",
                ..OptSpec::default()
            },
        ) {
            Some((_, next)) if next < end => locked(next, "exec replaces the shell"),
            Some(_) => Step::Done,
            None => unknown("is used in a way ccrs cannot follow"),
        },
        "busybox" if i + 1 < end => runs(i + 1),
        "coproc" if i + 1 < end => locked(i + 1, "coproc runs the command in the background"),
        // They run their arguments through a shell, as another user, or in another root or
        // namespace.
        "watch" | "su" | "runuser" | "chroot" | "unshare" | "nsenter" | "strace" | "ltrace"
        | "script" | "flock" | "chrt" | "firejail" | "bwrap" | "systemd-run" | "ssh" => {
            unknown("runs a command ccrs cannot follow")
        }
        _ => Step::No,
    }
}

/// Tools whose subcommand runs a command given after it (`uv run cmd`, `bundle exec cmd`).
/// They are never automatic; deny and ask rules see the command they run (and, as their own
/// options are not modelled, every later word as a possible start of it).
pub fn runner(args: &[Arg], i: usize) -> Option<usize> {
    let name = args.get(i).and_then(Arg::v)?;
    let sub = args.get(i + 1).and_then(Arg::v)?;
    let next = match (name, sub) {
        ("uv" | "poetry" | "pipenv" | "pdm" | "hatch", "run")
        | ("bundle", "exec")
        | ("pnpm" | "yarn" | "npm" | "bun", "exec")
        | ("direnv", "exec") => {
            let mut j = i + 2;
            if name == "direnv" {
                j += 1;
            }
            // Options of the runner itself.
            while args
                .get(j)
                .and_then(Arg::v)
                .is_some_and(|v| v.starts_with('-') && v != "--")
            {
                j += 1;
            }
            if args.get(j).and_then(Arg::v) == Some("--") {
                j += 1;
            }
            j
        }
        _ => return None,
    };
    (next < args.len()).then_some(next)
}

fn value_ref(v: &Value) -> Option<PathRef> {
    match v {
        Value::Text(t) => Some(PathRef::Text(t.clone())),
        Value::Arg(i) => Some(PathRef::Arg(*i)),
        Value::Missing => None,
    }
}

fn env(args: &[Arg], i: usize) -> Step {
    let spec = OptSpec {
        flags: "0iv",
        short_val: "uCS",
        long_flags: &[
            "ignore-environment",
            "null",
            "debug",
            "list-signal-handling",
        ],
        long_val: &["unset", "chdir", "split-string"],
        long_opt: &["block-signal", "default-signal", "ignore-signal"],
        stop_at_operand: true,
        ..OptSpec::default()
    };
    let opts = scan(args, i + 1, &spec);
    let mut r = Runs::default();
    for o in &opts {
        match o {
            Opt::UnknownShort(_) | Opt::Long { known: false, .. } => {
                return Step::Unknown("env is used in a way ccrs cannot follow".into());
            }
            Opt::ShortVal('S', _) => {
                return Step::Unknown("env -S splits a string into a command".into());
            }
            Opt::Long { name, .. } if name == "split-string" => {
                return Step::Unknown("env -S splits a string into a command".into());
            }
            Opt::ShortVal('C', v) => r.chdir = value_ref(v),
            Opt::Long {
                name,
                value: Some(v),
                ..
            } if name == "chdir" => r.chdir = value_ref(v),
            _ => {}
        }
    }
    let mut next = first_operand(&opts, args);
    if args.get(next).and_then(Arg::v) == Some("-") {
        next += 1;
    }
    while let Some(a) = args.get(next) {
        let Some(v) = a.v() else {
            return Step::Unknown("env with a dynamic argument".into());
        };
        let Some((n, _)) = v.split_once('=') else {
            break;
        };
        if n.is_empty() || !n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
            // `BASH_FUNC_x%%=…` defines a function in the shell it runs.
            return Step::Unknown(format!("env sets {n}, which ccrs cannot follow"));
        }
        if !is_safe_env(n) {
            r.unsafe_env = true;
        }
        next += 1;
    }
    if next >= args.len() {
        return Step::Done;
    }
    r.next = next;
    Step::Runs(r)
}

fn xargs(args: &[Arg], i: usize) -> Step {
    let spec = OptSpec {
        flags: "0prtxo",
        short_val: "adEILnPs",
        short_opt: "eil",
        long_flags: &[
            "null",
            "interactive",
            "no-run-if-empty",
            "verbose",
            "exit",
            "open-tty",
            "show-limits",
        ],
        long_val: &[
            "arg-file",
            "delimiter",
            "max-args",
            "max-procs",
            "max-chars",
            "process-slot-var",
            "max-lines",
        ],
        long_opt: &["replace", "eof"],
        stop_at_operand: true,
    };
    let opts = scan(args, i + 1, &spec);
    let mut r = Runs::default();
    let mut replace: Option<String> = None;
    for o in &opts {
        match o {
            Opt::UnknownShort(_) | Opt::Long { known: false, .. } => {
                return Step::Unknown("xargs is used in a way ccrs cannot follow".into());
            }
            Opt::ShortVal('a', v) => r.reads.extend(value_ref(v)),
            Opt::Long {
                name,
                value: Some(v),
                ..
            } if name == "arg-file" => r.reads.extend(value_ref(v)),
            Opt::ShortVal('I', v) => match v.text(args) {
                Some(t) => replace = Some(t.to_string()),
                None => return Step::Unknown("xargs -I with a dynamic replacement".into()),
            },
            // `-i` alone means `-I {}`.
            Opt::ShortVal('i', v) => {
                replace = Some(
                    v.text(args)
                        .filter(|t| !t.is_empty())
                        .unwrap_or("{}")
                        .to_string(),
                );
            }
            Opt::Long { name, value, .. } if name == "replace" => {
                replace = Some(
                    value
                        .as_ref()
                        .and_then(|v| v.text(args))
                        .filter(|t| !t.is_empty())
                        .unwrap_or("{}")
                        .to_string(),
                );
            }
            Opt::Long { name, .. } if name == "process-slot-var" => {
                r.unsafe_env = true;
            }
            _ => {}
        }
    }
    r.next = first_operand(&opts, args);
    match replace {
        Some(rep) => r.replace = Some(rep),
        None => r.tail = true,
    }
    Step::Runs(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Arg> {
        s.split_whitespace().map(Arg::lit).collect()
    }

    fn next(s: &str) -> Option<usize> {
        match step(&args(s), 0) {
            Step::Runs(r) => Some(r.next),
            _ => None,
        }
    }

    #[test]
    fn where_the_command_starts() {
        assert_eq!(next("timeout -s KILL 5 rm x"), Some(4));
        assert_eq!(next("timeout --kill-after=1 5 rm"), Some(3));
        assert_eq!(next("nice -n 5 rm"), Some(3));
        assert_eq!(next("nice -10 rm"), Some(2));
        assert_eq!(next("env -i A=1 B=2 rm"), Some(4));
        assert_eq!(next("env -u X -- rm"), Some(4));
        assert_eq!(next("xargs -0 -n1 rm"), Some(3));
        assert_eq!(next("sudo -u root -- rm"), Some(4));
        assert_eq!(next("command -p rm"), Some(2));
        assert_eq!(step(&args("command -v rm"), 0), Step::Done);
        assert!(matches!(step(&args("env -S 'rm x'"), 0), Step::Unknown(_)));
        assert!(matches!(step(&args("watch rm x"), 0), Step::Unknown(_)));
        assert!(matches!(step(&args("sudo -s"), 0), Step::Unknown(_)));
        assert_eq!(step(&args("ls"), 0), Step::No);
        assert_eq!(runner(&args("uv run --frozen rm -rf y"), 0), Some(3));
    }
}
