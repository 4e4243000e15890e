//! Reading a command's options the way GNU getopt does, once for every command ccrs models:
//! clusters (`-rf` is `-r -f`), values attached or in the next argument (`-n5`, `-n 5`),
//! unambiguous long abbreviations (`--rec` is `--recursive`), `--name=value`, `--` and, unless
//! the command stops at its first operand, options after operands.

use super::Arg;

/// How a command reads its options.
#[derive(Clone, Copy, Debug, Default)]
pub struct OptSpec<'a> {
    /// Short options without a value.
    pub flags: &'a str,
    /// Short options with a value (attached, or the next argument).
    pub short_val: &'a str,
    /// Short options whose value is optional and can only be attached (`xargs -i[R]`).
    pub short_opt: &'a str,
    /// Long options without a value.
    pub long_flags: &'a [&'a str],
    /// Long options with a required value (`--name=v` or `--name v`).
    pub long_val: &'a [&'a str],
    /// Long options with an optional value (only `--name=v`).
    pub long_opt: &'a [&'a str],
    /// Options end at the first operand (POSIX, and the wrappers that run a command).
    pub stop_at_operand: bool,
}

/// A value given to an option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Attached to the option (`-n5`, `--lines=5`).
    Text(String),
    /// The argument at this index.
    Arg(usize),
    /// The option needs a value and none is left.
    Missing,
}

impl Value {
    /// The value as text, if it is known.
    pub fn text<'a>(&'a self, args: &'a [Arg]) -> Option<&'a str> {
        match self {
            Value::Text(t) => Some(t),
            Value::Arg(i) => args.get(*i).and_then(Arg::v),
            Value::Missing => None,
        }
    }
}

/// One item of a command line, as getopt sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Opt {
    /// A short option without a value (one letter of a cluster).
    Flag(char),
    /// A short option with its value.
    ShortVal(char, Value),
    /// A long option (its full name when `known`, else as given) and its value, if any.
    Long {
        name: String,
        value: Option<Value>,
        known: bool,
    },
    /// A short option the spec does not list (the rest of its cluster is not read).
    UnknownShort(char),
    /// An operand (argument index).
    Operand(usize),
    /// An argument known only at run time, where an option could be (index).
    Dynamic(usize),
}

/// The long option `given` names: itself when listed, else the one listed option it abbreviates
/// (`--files0` is `--files0-from`); `None` when it abbreviates none or several (getopt refuses
/// those).
pub fn resolve_long<'a>(given: &str, lists: &[&[&'a str]]) -> Option<&'a str> {
    let all = || lists.iter().flat_map(|l| l.iter().copied());
    if let Some(exact) = all().find(|l| *l == given) {
        return Some(exact);
    }
    if given.is_empty() {
        return None;
    }
    let mut hits = all().filter(|l| l.starts_with(given));
    match (hits.next(), hits.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

/// Reads `args[start..]` as options and operands.
pub fn scan(args: &[Arg], start: usize, spec: &OptSpec) -> Vec<Opt> {
    let mut out = Vec::new();
    let mut i = start;
    let mut end_opts = false;
    while i < args.len() {
        let Some(v) = args[i].v() else {
            out.push(if end_opts {
                Opt::Operand(i)
            } else {
                Opt::Dynamic(i)
            });
            i += 1;
            continue;
        };
        if end_opts || v == "-" || !v.starts_with('-') {
            out.push(Opt::Operand(i));
            if spec.stop_at_operand {
                end_opts = true;
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
            let (given, inline) = match long.split_once('=') {
                Some((n, val)) => (n, Some(val)),
                None => (long, None),
            };
            let lists: [&[&str]; 3] = [spec.long_flags, spec.long_val, spec.long_opt];
            match resolve_long(given, &lists) {
                Some(name) => {
                    let value = if spec.long_val.contains(&name) {
                        Some(match inline {
                            Some(t) => Value::Text(t.to_string()),
                            None if i + 1 < args.len() => {
                                i += 1;
                                Value::Arg(i)
                            }
                            None => Value::Missing,
                        })
                    } else {
                        inline.map(|t| Value::Text(t.to_string()))
                    };
                    out.push(Opt::Long {
                        name: name.to_string(),
                        value,
                        known: true,
                    });
                }
                None => out.push(Opt::Long {
                    name: given.to_string(),
                    value: inline.map(|t| Value::Text(t.to_string())),
                    known: false,
                }),
            }
            i += 1;
            continue;
        }
        // A cluster of short options.
        let chars: Vec<char> = v.chars().skip(1).collect();
        for (k, &c) in chars.iter().enumerate() {
            let rest: String = chars[k + 1..].iter().collect();
            if spec.short_opt.contains(c) {
                out.push(Opt::ShortVal(c, Value::Text(rest)));
                break;
            }
            if spec.short_val.contains(c) {
                let value = if !rest.is_empty() {
                    Value::Text(rest)
                } else if i + 1 < args.len() {
                    i += 1;
                    Value::Arg(i)
                } else {
                    Value::Missing
                };
                out.push(Opt::ShortVal(c, value));
                break;
            }
            if spec.flags.contains(c) {
                out.push(Opt::Flag(c));
                continue;
            }
            out.push(Opt::UnknownShort(c));
            break;
        }
        i += 1;
    }
    out
}

/// The index of the first operand (for wrappers that stop at it), or `args.len()`.
pub fn first_operand(opts: &[Opt], args: &[Arg]) -> usize {
    opts.iter()
        .find_map(|o| match o {
            Opt::Operand(i) | Opt::Dynamic(i) => Some(*i),
            _ => None,
        })
        .unwrap_or(args.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<Arg> {
        s.split_whitespace().map(Arg::lit).collect()
    }

    const RM: OptSpec = OptSpec {
        flags: "IRdfirv",
        short_val: "",
        short_opt: "",
        long_flags: &["dir", "force", "recursive", "verbose"],
        long_val: &[],
        long_opt: &["interactive"],
        stop_at_operand: false,
    };

    #[test]
    fn clusters_and_long_options() {
        let a = args("rm -rf x --force --rec=1 -- -y");
        let o = scan(&a, 1, &RM);
        assert_eq!(
            o,
            vec![
                Opt::Flag('r'),
                Opt::Flag('f'),
                Opt::Operand(2),
                Opt::Long {
                    name: "force".into(),
                    value: None,
                    known: true
                },
                Opt::Long {
                    name: "recursive".into(),
                    value: Some(Value::Text("1".into())),
                    known: true
                },
                Opt::Operand(6),
            ]
        );
    }

    #[test]
    fn values_and_unknowns() {
        let spec = OptSpec {
            flags: "v",
            short_val: "n",
            long_val: &["lines"],
            ..OptSpec::default()
        };
        let a = args("head -vn5 -n 3 --lin 4 -q --zz x");
        let o = scan(&a, 1, &spec);
        assert_eq!(o[0], Opt::Flag('v'));
        assert_eq!(o[1], Opt::ShortVal('n', Value::Text("5".into())));
        assert_eq!(o[2], Opt::ShortVal('n', Value::Arg(3)));
        assert_eq!(
            o[3],
            Opt::Long {
                name: "lines".into(),
                value: Some(Value::Arg(5)),
                known: true
            }
        );
        assert_eq!(o[4], Opt::UnknownShort('q'));
        assert!(matches!(&o[5], Opt::Long { known: false, .. }));
        assert_eq!(o[6], Opt::Operand(8));
        let stop = OptSpec {
            stop_at_operand: true,
            ..spec
        };
        let a = args("nice ls -la");
        assert_eq!(scan(&a, 1, &stop), vec![Opt::Operand(1), Opt::Operand(2)]);
        assert_eq!(resolve_long("re", &[&["recursive", "regex"]]), None);
    }
}
