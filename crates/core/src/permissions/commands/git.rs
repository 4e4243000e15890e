//! git: its global options (which repository, which configuration), the subcommands that only
//! read, the options each of those accepts (any other makes it "other"), the options that run
//! programs or write files whatever the subcommand, and the paths it reads.

use super::{Arg, Effects, PathRef};

/// Which repository a git command uses: its configuration (`core.fsmonitor`, `core.pager`,
/// hooks, …) can make git run programs, so only a repository ccrs trusts may be used freely.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitUse {
    /// `-C dir`, in order (each relative to the previous).
    pub chdirs: Vec<PathRef>,
    /// `--git-dir`.
    pub git_dir: Option<PathRef>,
    /// `--work-tree`.
    pub work_tree: Option<PathRef>,
}

/// git's own commands (builtins and the scripts shipped with it): any other name is an alias or
/// a `git-NAME` program found on PATH.
pub fn is_git_subcommand(name: &str) -> bool {
    const SUBCOMMANDS: &[&str] = &[
        "add",
        "am",
        "annotate",
        "apply",
        "archive",
        "bisect",
        "blame",
        "branch",
        "bugreport",
        "bundle",
        "cat-file",
        "check-attr",
        "check-ignore",
        "check-mailmap",
        "check-ref-format",
        "checkout",
        "checkout-index",
        "cherry",
        "cherry-pick",
        "clean",
        "clone",
        "column",
        "commit",
        "commit-graph",
        "commit-tree",
        "config",
        "count-objects",
        "credential",
        "describe",
        "diagnose",
        "diff",
        "diff-files",
        "diff-index",
        "diff-tree",
        "difftool",
        "fast-export",
        "fast-import",
        "fetch",
        "fetch-pack",
        "fmt-merge-msg",
        "for-each-ref",
        "for-each-repo",
        "format-patch",
        "fsck",
        "gc",
        "get-tar-commit-id",
        "grep",
        "hash-object",
        "help",
        "hook",
        "index-pack",
        "init",
        "interpret-trailers",
        "log",
        "ls-files",
        "ls-remote",
        "ls-tree",
        "mailinfo",
        "mailsplit",
        "maintenance",
        "merge",
        "merge-base",
        "merge-file",
        "merge-index",
        "merge-tree",
        "mktag",
        "mktree",
        "multi-pack-index",
        "mv",
        "name-rev",
        "notes",
        "pack-objects",
        "pack-refs",
        "patch-id",
        "prune",
        "pull",
        "push",
        "range-diff",
        "read-tree",
        "rebase",
        "reflog",
        "refs",
        "remote",
        "repack",
        "replace",
        "replay",
        "rerere",
        "reset",
        "restore",
        "rev-list",
        "rev-parse",
        "revert",
        "rm",
        "send-email",
        "shortlog",
        "show",
        "show-branch",
        "show-index",
        "show-ref",
        "sparse-checkout",
        "stage",
        "stash",
        "status",
        "stripspace",
        "submodule",
        "switch",
        "symbolic-ref",
        "tag",
        "update-index",
        "update-ref",
        "update-server-info",
        "var",
        "verify-commit",
        "verify-pack",
        "verify-tag",
        "version",
        "whatchanged",
        "worktree",
        "write-tree",
        "gui",
        "gitk",
        "instaweb",
        "request-pull",
        "filter-branch",
        "mergetool",
        "lfs",
        "citool",
        "p4",
        "svn",
        "cvsimport",
        "quiltimport",
        "subtree",
    ];
    SUBCOMMANDS.contains(&name)
}

/// git subcommands that only read the repository, and the options each accepts. `None`: every
/// option of the diff/log families listed below.
const READ_ONLY: &[(&str, Opts)] = &[
    ("status", Opts::List(STATUS)),
    ("diff", Opts::Diff),
    ("log", Opts::Log),
    ("show", Opts::Log),
    ("whatchanged", Opts::Log),
    ("shortlog", Opts::Log),
    ("diff-tree", Opts::Log),
    ("diff-files", Opts::Diff),
    ("diff-index", Opts::Diff),
    ("rev-list", Opts::Log),
    ("rev-parse", Opts::Any),
    ("ls-files", Opts::List(LS_FILES)),
    ("ls-tree", Opts::List(LS_TREE)),
    ("blame", Opts::List(BLAME)),
    ("annotate", Opts::List(BLAME)),
    ("describe", Opts::List(DESCRIBE)),
    (
        "merge-base",
        Opts::List(&[
            "--all",
            "--octopus",
            "--independent",
            "--is-ancestor",
            "--fork-point",
        ]),
    ),
    (
        "name-rev",
        Opts::List(&[
            "--tags",
            "--refs",
            "--exclude",
            "--all",
            "--annotate-stdin",
            "--name-only",
            "--no-undefined",
            "--always",
        ]),
    ),
    (
        "show-ref",
        Opts::List(&[
            "--head",
            "--heads",
            "--branches",
            "--tags",
            "-d",
            "--dereference",
            "-s",
            "--hash",
            "--abbrev",
            "--verify",
            "--exists",
            "-q",
            "--quiet",
        ]),
    ),
    (
        "count-objects",
        Opts::List(&["-v", "--verbose", "-H", "--human-readable"]),
    ),
    (
        "check-ignore",
        Opts::List(&[
            "-q",
            "--quiet",
            "-v",
            "--verbose",
            "-n",
            "--non-matching",
            "--no-index",
            "-z",
            "--stdin",
        ]),
    ),
    (
        "check-attr",
        Opts::List(&["-a", "--all", "--cached", "-z", "--stdin", "--source"]),
    ),
    ("grep", Opts::List(GREP)),
    (
        "show-branch",
        Opts::List(&[
            "-a",
            "--all",
            "-r",
            "--remotes",
            "--topo-order",
            "--date-order",
            "--current",
            "--sparse",
            "--more",
            "--list",
            "--merge-base",
            "--independent",
            "--no-name",
            "--sha1-name",
            "--topics",
            "-g",
            "--reflog",
            "--color",
            "--no-color",
        ]),
    ),
    (
        "for-each-ref",
        Opts::List(&[
            "--count",
            "--shell",
            "--perl",
            "--python",
            "--tcl",
            "--format",
            "--color",
            "--sort",
            "--points-at",
            "--merged",
            "--no-merged",
            "--contains",
            "--no-contains",
            "--ignore-case",
            "--omit-empty",
            "--exclude",
            "--include-root-refs",
            "-s",
            "-p",
        ]),
    ),
    ("cherry", Opts::List(&["-v", "--abbrev"])),
    (
        "cat-file",
        Opts::List(&[
            "-t",
            "-s",
            "-e",
            "-p",
            "--batch",
            "--batch-check",
            "--batch-command",
            "--batch-all-objects",
            "--buffer",
            "--unordered",
            "--follow-symlinks",
            "--allow-unknown-type",
            "-Z",
            "-z",
            "--use-mailmap",
            "--no-use-mailmap",
            "--mailmap",
            "--no-mailmap",
        ]),
    ),
    ("version", Opts::List(&["--build-options"])),
    ("var", Opts::List(&["-l"])),
    ("verify-commit", Opts::List(&["-v", "--verbose", "--raw"])),
    (
        "verify-tag",
        Opts::List(&["-v", "--verbose", "--raw", "--format"]),
    ),
    (
        "check-ref-format",
        Opts::List(&[
            "--normalize",
            "--allow-onelevel",
            "--no-allow-onelevel",
            "--refspec-pattern",
            "--branch",
        ]),
    ),
    (
        "patch-id",
        Opts::List(&["--stable", "--unstable", "--verbatim"]),
    ),
    ("range-diff", Opts::Diff),
];

/// Which options a read-only subcommand accepts.
#[derive(Clone, Copy)]
enum Opts {
    /// These (long ones also as `--name=value`).
    List(&'static [&'static str]),
    /// The diff options.
    Diff,
    /// The revision-walk and diff options.
    Log,
    /// Any (`rev-parse` only prints).
    Any,
}

const STATUS: &[&str] = &[
    "-s",
    "--short",
    "-b",
    "--branch",
    "--show-stash",
    "--porcelain",
    "--long",
    "-v",
    "--verbose",
    "-u",
    "--untracked-files",
    "--ignore-submodules",
    "--ignored",
    "-z",
    "--column",
    "--no-column",
    "--ahead-behind",
    "--no-ahead-behind",
    "--renames",
    "--no-renames",
    "--find-renames",
    "-M",
    "--no-optional-locks",
];

const LS_FILES: &[&str] = &[
    "-c",
    "--cached",
    "-d",
    "--deleted",
    "-m",
    "--modified",
    "-o",
    "--others",
    "-i",
    "--ignored",
    "-s",
    "--stage",
    "-k",
    "--killed",
    "-u",
    "--unmerged",
    "--directory",
    "--no-empty-directory",
    "--eol",
    "--full-name",
    "--abbrev",
    "--debug",
    "-z",
    "-t",
    "-v",
    "-f",
    "-x",
    "--exclude",
    "-X",
    "--exclude-from",
    "--exclude-per-directory",
    "--exclude-standard",
    "--error-unmatch",
    "--recurse-submodules",
    "--deduplicate",
    "--sparse",
    "--format",
    "--with-tree",
];

const LS_TREE: &[&str] = &[
    "-d",
    "-r",
    "-t",
    "-l",
    "--long",
    "-z",
    "--name-only",
    "--name-status",
    "--object-only",
    "--full-name",
    "--full-tree",
    "--abbrev",
    "--format",
];

const BLAME: &[&str] = &[
    "-b",
    "--root",
    "--show-stats",
    "-L",
    "-l",
    "-t",
    "-S",
    "--reverse",
    "--first-parent",
    "-p",
    "--porcelain",
    "--line-porcelain",
    "--incremental",
    "--encoding",
    "--contents",
    "--date",
    "--progress",
    "--no-progress",
    "-M",
    "-C",
    "--ignore-rev",
    "--ignore-revs-file",
    "--color-lines",
    "--color-by-age",
    "--score-debug",
    "-f",
    "--show-name",
    "-n",
    "--show-number",
    "-s",
    "-e",
    "--show-email",
    "-w",
    "--abbrev",
    "-c",
];

const DESCRIBE: &[&str] = &[
    "--dirty",
    "--broken",
    "--all",
    "--tags",
    "--contains",
    "--abbrev",
    "--candidates",
    "--exact-match",
    "--debug",
    "--long",
    "--match",
    "--exclude",
    "--always",
    "--first-parent",
];

const GREP: &[&str] = &[
    "--cached",
    "--untracked",
    "--no-index",
    "--no-exclude-standard",
    "--exclude-standard",
    "--recurse-submodules",
    "-a",
    "--text",
    "--textconv",
    "--no-textconv",
    "-i",
    "--ignore-case",
    "-I",
    "--max-depth",
    "-r",
    "--recursive",
    "--no-recursive",
    "-w",
    "--word-regexp",
    "-v",
    "--invert-match",
    "-h",
    "-H",
    "--full-name",
    "-E",
    "--extended-regexp",
    "-G",
    "--basic-regexp",
    "-P",
    "--perl-regexp",
    "-F",
    "--fixed-strings",
    "-n",
    "--line-number",
    "--column",
    "-l",
    "--files-with-matches",
    "--name-only",
    "-L",
    "--files-without-match",
    "-z",
    "--null",
    "-o",
    "--only-matching",
    "-c",
    "--count",
    "--color",
    "--no-color",
    "--break",
    "--heading",
    "-p",
    "--show-function",
    "-A",
    "--after-context",
    "-B",
    "--before-context",
    "-C",
    "--context",
    "-W",
    "--function-context",
    "-m",
    "--max-count",
    "--threads",
    "-f",
    "-e",
    "--and",
    "--or",
    "--not",
    "--all-match",
    "-q",
    "--quiet",
];

/// Options of the diff family (also accepted by log and show). Values come attached
/// (`--stat=80`, `-U5`) or, for those in [`DIFF_VALUE`], as the next argument.
const DIFF: &[&str] = &[
    "-p",
    "-u",
    "-s",
    "--patch",
    "--no-patch",
    "--raw",
    "--patch-with-raw",
    "--patch-with-stat",
    "--stat",
    "--compact-summary",
    "--numstat",
    "--shortstat",
    "--dirstat",
    "--cumulative",
    "--dirstat-by-file",
    "--summary",
    "-z",
    "--name-only",
    "--name-status",
    "--submodule",
    "--color",
    "--no-color",
    "--color-moved",
    "--no-color-moved",
    "--color-moved-ws",
    "--no-color-moved-ws",
    "--word-diff",
    "--word-diff-regex",
    "--color-words",
    "--no-renames",
    "--rename-empty",
    "--no-rename-empty",
    "--check",
    "--ws-error-highlight",
    "--full-index",
    "--binary",
    "--abbrev",
    "--no-abbrev",
    "-B",
    "--break-rewrites",
    "-M",
    "--find-renames",
    "-C",
    "--find-copies",
    "--find-copies-harder",
    "-D",
    "--irreversible-delete",
    "-l",
    "--diff-filter",
    "-S",
    "-G",
    "--find-object",
    "--pickaxe-all",
    "--pickaxe-regex",
    "-O",
    "--skip-to",
    "--rotate-to",
    "-R",
    "--relative",
    "--no-relative",
    "-a",
    "--text",
    "--ignore-cr-at-eol",
    "--ignore-space-at-eol",
    "-b",
    "--ignore-space-change",
    "-w",
    "--ignore-all-space",
    "--ignore-blank-lines",
    "-I",
    "--ignore-matching-lines",
    "--inter-hunk-context",
    "-W",
    "--function-context",
    "--exit-code",
    "--quiet",
    "--no-ext-diff",
    "--no-textconv",
    "--ignore-submodules",
    "--src-prefix",
    "--dst-prefix",
    "--no-prefix",
    "--default-prefix",
    "--line-prefix",
    "--ita-invisible-in-index",
    "--ita-visible-in-index",
    "-U",
    "--unified",
    "--minimal",
    "--patience",
    "--histogram",
    "--anchored",
    "--diff-algorithm",
    "--indent-heuristic",
    "--no-indent-heuristic",
    "--cached",
    "--staged",
    "--merge-base",
    "--no-index",
    "-1",
    "-2",
    "-3",
    "--base",
    "--ours",
    "--theirs",
    "-0",
    "--stat-width",
    "--stat-name-width",
    "--stat-count",
    "--stat-graph-width",
    "--output-indicator-new",
    "--output-indicator-old",
    "--output-indicator-context",
    "--creation-factor",
    "--no-dual-color",
    "--left-only",
    "--right-only",
    "-t",
    "-r",
    "--root",
    "--no-commit-id",
    "--always",
    "-m",
    "-c",
    "--cc",
    "--combined-all-paths",
    "--diff-merges",
    "--no-diff-merges",
    "--remerge-diff",
    "--dd",
    "--pretty",
    "--format",
    "--encoding",
    "-v",
    "--stdin",
];

/// Options of the revision walk (log, show, rev-list, shortlog, …).
const LOG: &[&str] = &[
    "-n",
    "--max-count",
    "--skip",
    "--since",
    "--after",
    "--since-as-filter",
    "--until",
    "--before",
    "--author",
    "--committer",
    "--grep-reflog",
    "--grep",
    "--all-match",
    "--invert-grep",
    "-i",
    "--regexp-ignore-case",
    "--basic-regexp",
    "-E",
    "--extended-regexp",
    "-F",
    "--fixed-strings",
    "-P",
    "--perl-regexp",
    "--remove-empty",
    "--merges",
    "--no-merges",
    "--min-parents",
    "--max-parents",
    "--no-min-parents",
    "--no-max-parents",
    "--first-parent",
    "--exclude-first-parent-only",
    "--not",
    "--all",
    "--branches",
    "--tags",
    "--remotes",
    "--glob",
    "--exclude",
    "--exclude-hidden",
    "--reflog",
    "--alternate-refs",
    "--single-worktree",
    "--ignore-missing",
    "--bisect",
    "--cherry-mark",
    "--cherry-pick",
    "--left-only",
    "--right-only",
    "--cherry",
    "--walk-reflogs",
    "-g",
    "--merge",
    "--boundary",
    "--simplify-by-decoration",
    "--full-history",
    "--dense",
    "--sparse",
    "--simplify-merges",
    "--ancestry-path",
    "--show-pulls",
    "--date-order",
    "--author-date-order",
    "--topo-order",
    "--reverse",
    "--no-walk",
    "--do-walk",
    "--pretty",
    "--format",
    "--abbrev-commit",
    "--no-abbrev-commit",
    "--oneline",
    "--encoding",
    "--expand-tabs",
    "--no-expand-tabs",
    "--notes",
    "--no-notes",
    "--show-notes",
    "--relative-date",
    "--date",
    "--parents",
    "--children",
    "--left-right",
    "--graph",
    "--show-linear-break",
    "--decorate",
    "--no-decorate",
    "--decorate-refs",
    "--decorate-refs-exclude",
    "--clear-decorations",
    "--source",
    "--use-mailmap",
    "--mailmap",
    "--no-mailmap",
    "--full-diff",
    "--log-size",
    "-L",
    "--follow",
    "--no-follow",
    "--count",
    "--objects",
    "--objects-edge",
    "--no-object-names",
    "--timestamp",
    "--header",
    "--quiet",
    "-s",
    "--summary",
    "-e",
    "--email",
    "-c",
    "--committer",
    "--group",
    "--numbered",
    "--max-age",
    "--min-age",
    "--in-commit-order",
    "--unpacked",
    "--object-names",
    "--indexed-objects",
    "--disk-usage",
    "--missing",
    "--filter",
    "--no-filter",
    "--filter-print-omitted",
    "--first-parent",
    "--no-graph",
];

/// Long options whose value may be the next argument (`--author Jane`).
const VALUE_NEXT: &[&str] = &[
    "--max-count",
    "--skip",
    "--since",
    "--after",
    "--until",
    "--before",
    "--author",
    "--committer",
    "--grep",
    "--grep-reflog",
    "--format",
    "--pretty",
    "--date",
    "--encoding",
    "--diff-filter",
    "--decorate-refs",
    "--decorate-refs-exclude",
    "--glob",
    "--exclude",
    "--contents",
    "--ignore-rev",
    "--ignore-revs-file",
    "--match",
    "--candidates",
    "--untracked-files",
    "--ignore-submodules",
    "--find-renames",
    "--max-depth",
    "--threads",
    "--after-context",
    "--before-context",
    "--context",
    "--max-count",
    "--sort",
    "--points-at",
    "--merged",
    "--no-merged",
    "--contains",
    "--no-contains",
    "--refs",
    "--word-diff-regex",
    "--src-prefix",
    "--dst-prefix",
    "--line-prefix",
    "--relative",
    "--diff-algorithm",
    "--anchored",
    "--unified",
    "--inter-hunk-context",
    "--ignore-matching-lines",
    "--skip-to",
    "--rotate-to",
    "--find-object",
    "--source",
    "--with-tree",
    "--min-parents",
    "--max-parents",
    "--group",
    "--creation-factor",
    "--filter",
];

/// Short options that take a value: attached, or the next argument.
const SHORT_VALUE: &str = "nSGOILULeABCmfx";

/// Options that make any subcommand run programs or write files.
const RISKY_LONG: &[&str] = &[
    "output",
    "ext-diff",
    "open-files-in-pager",
    "textconv",
    "filters",
    "upload-pack",
    "receive-pack",
    "exec",
    "config-env",
    "template",
    "extcmd",
    "show-signature",
];

/// git options that make git run programs or write files, whatever the subcommand.
pub(super) fn git_risky(args: &[Arg]) -> Option<String> {
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
            "-O" => matches!(sub, "grep"),
            "-u" => sub == "clone",
            "-x" => matches!(sub, "rebase" | "difftool"),
            _ if name.starts_with("-O") && sub == "grep" => true,
            _ => long.is_some_and(|l| {
                RISKY_LONG.iter().any(|r| r.starts_with(l))
                    || (matches!(sub, "clone" | "submodule") && "config".starts_with(l))
            }),
        };
        if hit {
            return Some(format!("the git option {v}"));
        }
        if k > 1 && matches!((sub, v), ("submodule", "foreach") | ("bisect", "run")) {
            return Some(format!("git {sub} {v}, which runs commands"));
        }
    }
    if matches!(sub, "filter-branch" | "mergetool" | "difftool") {
        return Some(format!("git {sub}, which runs commands"));
    }
    None
}

pub(super) fn git(args: &[Arg]) -> Effects {
    let mut e = git_inner(args);
    if let Some(r) = git_risky(args) {
        e.set_risky(r);
    }
    e
}

/// Global options before the subcommand; returns the index of the subcommand.
fn global_options(args: &[Arg], e: &mut Effects, git: &mut GitUse) -> Result<usize, Box<Effects>> {
    let mut i = 1;
    loop {
        let Some(a) = args.get(i) else {
            return Ok(i);
        };
        let Some(v) = a.v() else {
            return Err(Box::new(Effects::other(
                "a dynamic git argument could be an option",
            )));
        };
        let (name, inline) = match v.split_once('=') {
            Some((n, val)) => (n, Some(val)),
            None => (v, None),
        };
        let value = |i: &mut usize| -> PathRef {
            match inline {
                Some(val) => PathRef::Text(val.to_string()),
                None => {
                    *i += 1;
                    PathRef::Arg(*i)
                }
            }
        };
        match name {
            "-C" => {
                let r = match v.strip_prefix("-C").filter(|r| !r.is_empty()) {
                    Some(attached) => PathRef::Text(attached.to_string()),
                    None => {
                        i += 1;
                        PathRef::Arg(i)
                    }
                };
                git.chdirs.push(r.clone());
                e.chdir = Some(r);
            }
            "-c" | "--config-env" => {
                return Err(Box::new(Effects::other(format!(
                    "git {name} can make git run programs"
                ))));
            }
            "--exec-path" if inline.is_some() => {
                return Err(Box::new(Effects::other(
                    "git --exec-path=DIR runs programs from DIR",
                )));
            }
            "--git-dir" => {
                let r = value(&mut i);
                e.reads.push(r.clone());
                git.git_dir = Some(r);
            }
            "--work-tree" => {
                let r = value(&mut i);
                e.reads.push(r.clone());
                git.work_tree = Some(r);
            }
            "--namespace" | "--super-prefix" | "--list-cmds" | "--attr-source" => {
                let _ = value(&mut i);
            }
            "--version" | "-v" | "--help" | "-h" | "--exec-path" | "--html-path" | "--man-path"
            | "--info-path" => return Ok(args.len()),
            "-p"
            | "--paginate"
            | "-P"
            | "--no-pager"
            | "--bare"
            | "--no-replace-objects"
            | "--literal-pathspecs"
            | "--glob-pathspecs"
            | "--noglob-pathspecs"
            | "--icase-pathspecs"
            | "--no-optional-locks"
            | "--no-lazy-fetch"
            | "--no-advice" => {}
            n if n.starts_with('-') => {
                return Err(Box::new(Effects::other(format!("unknown git option {n}"))));
            }
            _ => return Ok(i),
        }
        i += 1;
    }
}

/// Does `v` name an option of the list (`--stat=80` is `--stat`, `-U5` is `-U`, `-5` a count)?
fn option_listed(v: &str, list: &[&str]) -> bool {
    let name = v.split('=').next().unwrap_or(v);
    if list.contains(&name) {
        return true;
    }
    if !v.starts_with("--") && v.len() > 2 {
        let short = &v[..2];
        let c = v.as_bytes()[1] as char;
        return list.contains(&short) && (SHORT_VALUE.contains(c) || "MCBUl".contains(c));
    }
    false
}

fn git_inner(args: &[Arg]) -> Effects {
    let mut e = Effects::default();
    let mut git = GitUse::default();
    let i = match global_options(args, &mut e, &mut git) {
        Ok(i) => i,
        Err(other) => return *other,
    };
    e.git = Some(git);
    if i >= args.len() {
        return e;
    }
    let Some(sub) = args.get(i).and_then(Arg::v) else {
        return Effects::other("a dynamic git subcommand");
    };
    if !is_git_subcommand(sub) {
        return Effects::other(format!(
            "git {sub} is not a git command ccrs knows (an alias or a git-{sub} program)"
        ));
    }
    let rest = &args[i + 1..];
    if rest.iter().any(|a| a.value.is_none()) {
        return Effects::other("a dynamic git argument could be an option");
    }
    let statics: Vec<&str> = rest.iter().filter_map(Arg::v).collect();
    let has = |opts: &[&str]| statics.iter().any(|s| opts.contains(s));
    let options: Vec<&str> = statics
        .iter()
        .copied()
        .take_while(|s| *s != "--")
        .filter(|s| s.starts_with('-') && *s != "-")
        .collect();
    let positionals: Vec<&str> = statics
        .iter()
        .copied()
        .take_while(|s| *s != "--")
        .filter(|s| !s.starts_with('-'))
        .collect();
    let read_only = match sub {
        "branch" => {
            const LISTING: &[&str] = &[
                "-l",
                "--list",
                "-a",
                "--all",
                "-r",
                "--remotes",
                "-v",
                "-vv",
                "--verbose",
                "--contains",
                "--no-contains",
                "--merged",
                "--no-merged",
                "--points-at",
                "--show-current",
                "--color",
                "--no-color",
                "--column",
                "--no-column",
                "--sort",
                "--format",
                "-i",
                "--ignore-case",
                "--abbrev",
                "--no-abbrev",
                "-q",
                "--quiet",
                "--omit-empty",
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
            options.iter().all(|o| option_listed(o, LISTING)) && (positionals.is_empty() || listing)
        }
        "tag" => {
            const LISTING: &[&str] = &[
                "-l",
                "--list",
                "-n",
                "--contains",
                "--no-contains",
                "--merged",
                "--no-merged",
                "--points-at",
                "--sort",
                "--format",
                "--color",
                "--column",
                "--no-column",
                "-i",
                "--ignore-case",
                "--omit-empty",
            ];
            let listing = has(&["-l", "--list"]);
            options.iter().all(|o| option_listed(o, LISTING)) && (positionals.is_empty() || listing)
        }
        "remote" => {
            matches!(statics.as_slice(), [] | ["-v"] | ["--verbose"])
                || (statics.first() == Some(&"get-url")
                    && options.iter().all(|o| matches!(*o, "--push" | "--all")))
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
            // With GET, the options that only say where and how to read.
            const OTHER: &[&str] = &[
                "--local",
                "--global",
                "--system",
                "--worktree",
                "-f",
                "--file",
                "--blob",
                "--default",
                "--type",
                "--bool",
                "--int",
                "--bool-or-int",
                "--path",
                "--expiry-date",
                "-z",
                "--null",
                "--name-only",
                "--show-origin",
                "--show-scope",
                "--includes",
                "--no-includes",
                "--all",
                "--regexp",
                "--value",
                "--fixed-value",
                "--url",
            ];
            let new_style = matches!(positionals.first(), Some(&"get") | Some(&"list"));
            (has(GET) || new_style)
                && options
                    .iter()
                    .all(|o| option_listed(o, GET) || option_listed(o, OTHER))
        }
        "stash" => {
            matches!(positionals.first(), Some(&"list") | Some(&"show"))
                && options
                    .iter()
                    .all(|o| option_listed(o, DIFF) || option_listed(o, LOG))
        }
        "reflog" => {
            matches!(positionals.first(), None | Some(&"show") | Some(&"exists"))
                && options
                    .iter()
                    .all(|o| option_listed(o, LOG) || option_listed(o, DIFF))
        }
        "worktree" => {
            positionals.first() == Some(&"list")
                && options
                    .iter()
                    .all(|o| matches!(*o, "-v" | "--verbose" | "--porcelain" | "-z" | "--expire"))
        }
        "notes" => {
            matches!(positionals.first(), Some(&"list") | Some(&"show")) && options.is_empty()
        }
        s => match READ_ONLY.iter().find(|(n, _)| *n == s) {
            None => false,
            Some((_, opts)) => {
                let ok = |o: &str| match opts {
                    Opts::Any => true,
                    Opts::List(l) => option_listed(o, l),
                    Opts::Diff => option_listed(o, DIFF),
                    Opts::Log => option_listed(o, DIFF) || option_listed(o, LOG) || is_count(o),
                };
                if let Some(bad) = options.iter().find(|o| !ok(o)) {
                    return Effects::other(format!(
                        "git {s} {bad} is an option ccrs does not know"
                    ));
                }
                true
            }
        },
    };
    if !read_only {
        return Effects::other(format!("git {sub} is not a read-only git command"));
    }
    if (sub == "grep" && statics.iter().any(|s| s.starts_with("-O")))
        || (sub == "cat-file" && has(&["--textconv", "--filters"]))
    {
        return Effects::other(format!("this git {sub} option runs programs"));
    }
    // Paths: after `--`, `--no-index` operands, `--contents`, `-O`, `-L …:file`, blobs.
    let base = i + 1;
    let mut after_dd = false;
    let no_index = has(&["--no-index"]);
    let mut skip_next = false;
    for (k, a) in rest.iter().enumerate() {
        let Some(v) = a.v() else { continue };
        if skip_next {
            skip_next = false;
            continue;
        }
        if after_dd {
            e.reads.push(PathRef::Arg(base + k));
            if no_index {
                e.recursive.push(PathRef::Arg(base + k));
            }
            continue;
        }
        if v == "--" {
            after_dd = true;
            continue;
        }
        if VALUE_NEXT.contains(&v)
            || (v.len() == 2 && v.starts_with('-') && SHORT_VALUE.contains(&v[1..]))
        {
            // The next argument is this option's value.
            match v {
                "--contents" | "-O" | "--ignore-revs-file" => {
                    e.reads.push(PathRef::Arg(base + k + 1));
                }
                "-L" => e
                    .reads
                    .extend(rest.get(k + 1).and_then(Arg::v).and_then(line_range_path)),
                "-f" if sub == "grep" => e.reads.push(PathRef::Arg(base + k + 1)),
                "-f" if sub == "config" => e.reads.push(PathRef::Arg(base + k + 1)),
                _ => {}
            }
            skip_next = true;
            continue;
        }
        if let Some(p) = v.strip_prefix("--contents=") {
            e.reads.push(PathRef::Text(p.to_string()));
        } else if let Some(p) = v.strip_prefix("--ignore-revs-file=") {
            e.reads.push(PathRef::Text(p.to_string()));
        } else if let Some(p) = v
            .strip_prefix("-O")
            .filter(|p| !p.is_empty() && sub != "grep")
        {
            e.reads.push(PathRef::Text(p.to_string()));
        } else if let Some(r) = v.strip_prefix("-L").filter(|r| !r.is_empty()) {
            e.reads.extend(line_range_path(r));
        } else if no_index && !v.starts_with('-') {
            e.reads.push(PathRef::Arg(base + k));
            e.recursive.push(PathRef::Arg(base + k));
        } else if matches!(sub, "show" | "cat-file" | "grep" | "log" | "diff")
            && !v.starts_with('-')
            && let Some(path) = blob_path(v)
        {
            e.reads.push(path);
        } else if sub == "config" && v.starts_with('-') {
            // `--file=FILE`, `-fFILE` and `--blob=REV:PATH` read the config from there.
            let (given, inline) = match v.split_once('=') {
                Some((n, val)) => (n, Some(val)),
                None => (v, None),
            };
            match (given, inline) {
                ("--file", Some(f)) => e.reads.push(PathRef::Text(f.to_string())),
                ("--file", None) => {
                    e.reads.push(PathRef::Arg(base + k + 1));
                    skip_next = true;
                }
                ("--blob", Some(b)) => e.reads.extend(blob_path(b)),
                (g, None) if g.starts_with("-f") && g.len() > 2 => {
                    e.reads.push(PathRef::Text(g[2..].to_string()))
                }
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
    e
}

/// `-5` (a count for log).
fn is_count(o: &str) -> bool {
    o.len() > 1 && o[1..].chars().all(|c| c.is_ascii_digit())
}

/// `-L start,end:file` / `-L :func:file`: the file.
fn line_range_path(v: &str) -> Option<PathRef> {
    let (_, path) = v.rsplit_once(':')?;
    (!path.is_empty()).then(|| PathRef::Text(path.to_string()))
}

/// `REV:PATH` names that file's content (relative to the repository root; the cwd is the best
/// guess, and deny rules on bare names match anywhere).
fn blob_path(v: &str) -> Option<PathRef> {
    let (rev, path) = v.split_once(':')?;
    if rev.contains('/') && rev.contains(".") && path.starts_with("//") {
        // A URL, not a blob.
        return None;
    }
    (!path.is_empty()).then(|| PathRef::Text(path.trim_start_matches("./").to_string()))
}
