//! The commands ccrs models from a table: what each option and operand means (a file read, a
//! file written, a directory read recursively, nothing), every option the command accepts
//! (an option not listed makes the command "other"), and the options that write files or run
//! programs (a prefix rule does not cover those).

use super::options::{Opt, OptSpec, Value, scan};
use super::{Arg, CopyInto, Effects, PathRef};

/// How operands are used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pos {
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
    /// Files read; directories among them are compared file by file (`diff`).
    Compare,
}

#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Effects fully understood (false: a rule is needed, paths are still checked for deny).
    pub known: bool,
    pub opts: OptSpec<'static>,
    /// Every option only changes what is printed: unlisted ones are harmless too.
    pub any_option: bool,
    /// Long option → its short equivalent (`--recursive` is `-r`), for deny rules.
    pub aliases: &'static [(&'static str, char)],
    /// Options whose value is a file read.
    pub short_path: &'static str,
    pub long_path: &'static [&'static str],
    /// Options that write files, run programs or follow links out of the tree.
    pub short_bad: &'static str,
    pub long_bad: &'static [&'static str],
    /// Options that make operands directories read recursively.
    pub short_rec: &'static str,
    pub long_rec: &'static [&'static str],
    /// The target directory option of cp/mv/ln.
    pub short_target: &'static str,
    pub long_target: &'static [&'static str],
    pub pos: Pos,
}

const O: OptSpec<'static> = OptSpec {
    flags: "",
    short_val: "",
    short_opt: "",
    long_flags: &[],
    long_val: &[],
    long_opt: &[],
    stop_at_operand: false,
};

const BASE: Spec = Spec {
    known: true,
    opts: O,
    any_option: false,
    aliases: &[],
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

/// Commands that only print: any option is fine, operands are not paths.
const PRINTS: Spec = Spec {
    any_option: true,
    pos: Pos::None,
    ..BASE
};

const LS_FLAGS: &[&str] = &[
    "all",
    "almost-all",
    "author",
    "context",
    "dereference",
    "dereference-command-line",
    "dereference-command-line-symlink-to-dir",
    "directory",
    "dired",
    "escape",
    "file-type",
    "full-time",
    "group-directories-first",
    "hide-control-chars",
    "human-readable",
    "ignore-backups",
    "inode",
    "kibibytes",
    "literal",
    "no-group",
    "numeric-uid-gid",
    "quote-name",
    "recursive",
    "reverse",
    "show-control-chars",
    "si",
    "size",
    "zero",
    "help",
    "version",
];

const GREP_FLAGS: &[&str] = &[
    "basic-regexp",
    "binary",
    "byte-offset",
    "count",
    "dereference-recursive",
    "extended-regexp",
    "files-with-matches",
    "files-without-match",
    "fixed-strings",
    "ignore-case",
    "initial-tab",
    "invert-match",
    "line-buffered",
    "line-number",
    "line-regexp",
    "no-filename",
    "no-group-separator",
    "no-ignore-case",
    "no-messages",
    "null",
    "null-data",
    "only-matching",
    "perl-regexp",
    "quiet",
    "recursive",
    "silent",
    "text",
    "with-filename",
    "word-regexp",
    "help",
    "version",
];

const CHECKSUM: Spec = Spec {
    opts: OptSpec {
        flags: "bctwz",
        long_flags: &[
            "binary",
            "check",
            "ignore-missing",
            "quiet",
            "status",
            "strict",
            "tag",
            "text",
            "warn",
            "zero",
            "help",
            "version",
        ],
        ..O
    },
    // --check reads the files named inside the list.
    short_bad: "c",
    long_bad: &["check"],
    ..BASE
};

const LS: Spec = Spec {
    opts: OptSpec {
        flags: "1ABCDFGHLNQRSUXZabcdfghiklmnoqrstuvx",
        short_val: "ITpw",
        long_flags: LS_FLAGS,
        long_val: &[
            "block-size",
            "format",
            "hide",
            "ignore",
            "indicator-style",
            "quoting-style",
            "sort",
            "tabsize",
            "time",
            "time-style",
            "width",
        ],
        long_opt: &["classify", "color", "colour", "hyperlink"],
        ..O
    },
    aliases: &[
        ("all", 'a'),
        ("almost-all", 'A'),
        ("recursive", 'R'),
        ("reverse", 'r'),
        ("human-readable", 'h'),
        ("directory", 'd'),
        ("dereference", 'L'),
    ],
    short_rec: "R",
    long_rec: &["recursive"],
    pos: Pos::ReadsOrCwd,
    ..BASE
};

/// The table.
pub fn spec(name: &str) -> Option<Spec> {
    let s = match name {
        "cat" => Spec {
            opts: OptSpec {
                flags: "AETbenstuv",
                long_flags: &[
                    "number",
                    "number-nonblank",
                    "show-all",
                    "show-ends",
                    "show-nonprinting",
                    "show-tabs",
                    "squeeze-blank",
                    "help",
                    "version",
                ],
                ..O
            },
            ..BASE
        },
        "rev" => BASE,
        "tac" => Spec {
            opts: OptSpec {
                flags: "br",
                short_val: "s",
                long_flags: &["before", "regex", "help", "version"],
                long_val: &["separator"],
                ..O
            },
            ..BASE
        },
        "nl" => Spec {
            opts: OptSpec {
                flags: "p",
                short_val: "bdfhilnsvw",
                long_flags: &["no-renumber", "help", "version"],
                long_val: &[
                    "body-numbering",
                    "footer-numbering",
                    "header-numbering",
                    "join-blank-lines",
                    "line-increment",
                    "number-format",
                    "number-separator",
                    "number-width",
                    "section-delimiter",
                    "starting-line-number",
                ],
                ..O
            },
            ..BASE
        },
        "head" => Spec {
            opts: OptSpec {
                flags: "qvz0123456789",
                short_val: "cn",
                long_flags: &[
                    "quiet",
                    "silent",
                    "verbose",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                long_val: &["bytes", "lines"],
                ..O
            },
            ..BASE
        },
        "tail" => Spec {
            opts: OptSpec {
                flags: "Ffqvz0123456789",
                short_val: "cns",
                long_flags: &[
                    "quiet",
                    "retry",
                    "silent",
                    "verbose",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                long_val: &[
                    "bytes",
                    "lines",
                    "max-unchanged-stats",
                    "pid",
                    "sleep-interval",
                ],
                long_opt: &["follow"],
                ..O
            },
            ..BASE
        },
        "wc" => Spec {
            opts: OptSpec {
                flags: "Lclmw",
                long_flags: &[
                    "bytes",
                    "chars",
                    "lines",
                    "max-line-length",
                    "words",
                    "help",
                    "version",
                ],
                long_val: &["files0-from", "total"],
                ..O
            },
            long_path: &["files0-from"],
            ..BASE
        },
        "fold" => Spec {
            opts: OptSpec {
                flags: "bs",
                short_val: "w",
                long_flags: &["bytes", "spaces", "help", "version"],
                long_val: &["width"],
                ..O
            },
            ..BASE
        },
        "paste" => Spec {
            opts: OptSpec {
                flags: "sz",
                short_val: "d",
                long_flags: &["serial", "zero-terminated", "help", "version"],
                long_val: &["delimiters"],
                ..O
            },
            ..BASE
        },
        "comm" => Spec {
            opts: OptSpec {
                flags: "123z",
                long_flags: &[
                    "check-order",
                    "nocheck-order",
                    "total",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                long_val: &["output-delimiter"],
                ..O
            },
            ..BASE
        },
        "join" => Spec {
            opts: OptSpec {
                flags: "iz",
                short_val: "12aejotv",
                long_flags: &[
                    "check-order",
                    "header",
                    "ignore-case",
                    "nocheck-order",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                ..O
            },
            ..BASE
        },
        "cut" => Spec {
            opts: OptSpec {
                flags: "Mnsz",
                short_val: "bcdf",
                long_flags: &[
                    "complement",
                    "only-delimited",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                long_val: &[
                    "bytes",
                    "characters",
                    "delimiter",
                    "fields",
                    "output-delimiter",
                ],
                ..O
            },
            ..BASE
        },
        "sort" => Spec {
            opts: OptSpec {
                flags: "MRVbdfghimnrsuzc",
                short_val: "CSTkot",
                long_flags: &[
                    "debug",
                    "dictionary-order",
                    "general-numeric-sort",
                    "human-numeric-sort",
                    "ignore-case",
                    "ignore-leading-blanks",
                    "ignore-nonprinting",
                    "merge",
                    "month-sort",
                    "numeric-sort",
                    "random-sort",
                    "reverse",
                    "stable",
                    "unique",
                    "version-sort",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                long_val: &[
                    "batch-size",
                    "buffer-size",
                    "compress-program",
                    "field-separator",
                    "files0-from",
                    "key",
                    "output",
                    "parallel",
                    "random-source",
                    "sort",
                    "temporary-directory",
                ],
                long_opt: &["check"],
                ..O
            },
            aliases: &[("output", 'o'), ("reverse", 'r'), ("unique", 'u')],
            long_path: &["files0-from", "random-source"],
            short_bad: "oT",
            long_bad: &["output", "compress-program", "temporary-directory"],
            ..BASE
        },
        "uniq" => Spec {
            opts: OptSpec {
                flags: "Dcdiuz",
                short_val: "fsw",
                long_flags: &[
                    "count",
                    "ignore-case",
                    "repeated",
                    "unique",
                    "zero-terminated",
                    "help",
                    "version",
                ],
                long_val: &["check-chars", "skip-chars", "skip-fields"],
                long_opt: &["all-repeated", "group"],
                ..O
            },
            pos: Pos::InOut,
            ..BASE
        },
        "ls" | "dir" | "vdir" => LS,
        "tree" => Spec {
            opts: OptSpec {
                flags: "adfisuDghpqNQrtvUCAJSnxc",
                short_val: "LPIHTo",
                long_flags: &[
                    "noreport",
                    "dirsfirst",
                    "filesfirst",
                    "du",
                    "si",
                    "prune",
                    "inodes",
                    "device",
                    "help",
                    "version",
                    "gitignore",
                    "info",
                    "nolinks",
                    "noindent",
                    "matchdirs",
                    "ignore-case",
                    "fflinks",
                ],
                long_val: &[
                    "charset",
                    "filelimit",
                    "timefmt",
                    "sort",
                    "hintro",
                    "houtro",
                    "fromfile",
                ],
                long_opt: &["fromfile"],
                ..O
            },
            long_path: &["fromfile"],
            // -o writes a file, -R with -H writes index files, -l follows symlinks out.
            short_bad: "oRl",
            pos: Pos::ReadsOrCwd,
            ..BASE
        },
        "stat" => Spec {
            opts: OptSpec {
                flags: "Lft",
                short_val: "c",
                long_flags: &["dereference", "file-system", "terse", "help", "version"],
                long_val: &["cached", "printf", "format"],
                ..O
            },
            ..BASE
        },
        "file" => Spec {
            opts: OptSpec {
                flags: "0CLNSZbcdhiklnprsvz",
                short_val: "PeFfm",
                long_flags: &[
                    "apple",
                    "brief",
                    "checking-printout",
                    "compile",
                    "debug",
                    "dereference",
                    "extension",
                    "keep-going",
                    "list",
                    "mime",
                    "mime-encoding",
                    "mime-type",
                    "no-buffer",
                    "no-dereference",
                    "no-pad",
                    "no-sandbox",
                    "preserve-date",
                    "print0",
                    "raw",
                    "special-files",
                    "uncompress",
                    "uncompress-noreport",
                    "help",
                    "version",
                ],
                long_val: &[
                    "separator",
                    "exclude",
                    "exclude-quiet",
                    "parameter",
                    "files-from",
                    "magic-file",
                ],
                ..O
            },
            short_path: "fm",
            long_path: &["files-from", "magic-file"],
            short_bad: "C",
            long_bad: &["compile"],
            ..BASE
        },
        "du" => Spec {
            opts: OptSpec {
                flags: "0DHLPSabchklmsx",
                short_val: "BXdt",
                long_flags: &[
                    "all",
                    "apparent-size",
                    "bytes",
                    "count-links",
                    "dereference",
                    "dereference-args",
                    "human-readable",
                    "inodes",
                    "no-dereference",
                    "null",
                    "one-file-system",
                    "separate-dirs",
                    "si",
                    "summarize",
                    "total",
                    "help",
                    "version",
                ],
                long_val: &[
                    "block-size",
                    "exclude",
                    "exclude-from",
                    "files0-from",
                    "max-depth",
                    "threshold",
                    "time-style",
                ],
                long_opt: &["time"],
                ..O
            },
            short_path: "X",
            long_path: &["exclude-from", "files0-from"],
            short_bad: "L",
            long_bad: &["dereference"],
            pos: Pos::ReadsOrCwd,
            ..BASE
        },
        "df" => Spec {
            opts: OptSpec {
                flags: "HPTahiklv",
                short_val: "Btx",
                long_flags: &[
                    "all",
                    "human-readable",
                    "inodes",
                    "local",
                    "no-sync",
                    "portability",
                    "print-type",
                    "si",
                    "sync",
                    "total",
                    "help",
                    "version",
                ],
                long_val: &["block-size", "exclude-type", "type"],
                long_opt: &["output"],
                ..O
            },
            ..BASE
        },
        "diff" => Spec {
            opts: OptSpec {
                flags: "BENTZabcdeilnpqrstuvwy",
                short_val: "CDFISUWXx",
                long_flags: &[
                    "brief",
                    "ed",
                    "expand-tabs",
                    "ignore-all-space",
                    "ignore-blank-lines",
                    "ignore-case",
                    "ignore-file-name-case",
                    "ignore-space-change",
                    "ignore-tab-expansion",
                    "ignore-trailing-space",
                    "initial-tab",
                    "left-column",
                    "minimal",
                    "new-file",
                    "no-dereference",
                    "no-ignore-file-name-case",
                    "normal",
                    "paginate",
                    "rcs",
                    "recursive",
                    "report-identical-files",
                    "show-c-function",
                    "side-by-side",
                    "speed-large-files",
                    "strip-trailing-cr",
                    "suppress-blank-empty",
                    "suppress-common-lines",
                    "text",
                    "unidirectional-new-file",
                    "help",
                    "version",
                ],
                long_val: &[
                    "exclude",
                    "exclude-from",
                    "from-file",
                    "horizon-lines",
                    "ifdef",
                    "ignore-matching-lines",
                    "label",
                    "line-format",
                    "old-line-format",
                    "new-line-format",
                    "unchanged-line-format",
                    "old-group-format",
                    "new-group-format",
                    "unchanged-group-format",
                    "changed-group-format",
                    "palette",
                    "show-function-line",
                    "starting-file",
                    "tabsize",
                    "to-file",
                    "width",
                ],
                long_opt: &["color", "context", "unified"],
                ..O
            },
            short_path: "X",
            long_path: &["exclude-from", "from-file", "to-file"],
            // -l pipes the output through pr.
            short_bad: "l",
            long_bad: &["paginate"],
            short_rec: "r",
            long_rec: &["recursive"],
            pos: Pos::Compare,
            ..BASE
        },
        "cmp" => Spec {
            opts: OptSpec {
                flags: "blsv",
                short_val: "in",
                long_flags: &[
                    "print-bytes",
                    "quiet",
                    "silent",
                    "verbose",
                    "help",
                    "version",
                ],
                long_val: &["bytes", "ignore-initial"],
                ..O
            },
            ..BASE
        },
        "md5sum" | "sha1sum" | "sha224sum" | "sha256sum" | "sha384sum" | "sha512sum" | "b2sum"
        | "cksum" => CHECKSUM,
        "realpath" => Spec {
            opts: OptSpec {
                flags: "LPemqsz",
                long_flags: &[
                    "canonicalize-existing",
                    "canonicalize-missing",
                    "logical",
                    "no-symlinks",
                    "physical",
                    "quiet",
                    "strip",
                    "zero",
                    "help",
                    "version",
                ],
                long_val: &["relative-base", "relative-to"],
                ..O
            },
            long_path: &["relative-to", "relative-base"],
            ..BASE
        },
        "readlink" => Spec {
            opts: OptSpec {
                flags: "efmnqsvz",
                long_flags: &[
                    "canonicalize",
                    "canonicalize-existing",
                    "canonicalize-missing",
                    "no-newline",
                    "quiet",
                    "silent",
                    "verbose",
                    "zero",
                    "help",
                    "version",
                ],
                ..O
            },
            ..BASE
        },
        "grep" | "egrep" | "fgrep" => Spec {
            opts: OptSpec {
                flags: "EFGHILPRTUVZabchilnoqrsvwxz0123456789",
                short_val: "ABCDdefm",
                long_flags: GREP_FLAGS,
                long_val: &[
                    "after-context",
                    "before-context",
                    "binary-files",
                    "context",
                    "devices",
                    "directories",
                    "exclude",
                    "exclude-dir",
                    "exclude-from",
                    "file",
                    "group-separator",
                    "include",
                    "label",
                    "max-count",
                    "regexp",
                ],
                long_opt: &["color", "colour"],
                ..O
            },
            aliases: &[("recursive", 'r'), ("ignore-case", 'i')],
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
            opts: OptSpec {
                flags: "FHILNPSUVabcilnopqsuvwxz.0123456789",
                short_val: "ABCEMTdefgjmrt",
                long_flags: &[
                    "binary",
                    "block-buffered",
                    "byte-offset",
                    "case-sensitive",
                    "column",
                    "count",
                    "count-matches",
                    "crlf",
                    "debug",
                    "files",
                    "files-with-matches",
                    "files-without-match",
                    "fixed-strings",
                    "follow",
                    "heading",
                    "hidden",
                    "ignore-case",
                    "ignore-file-case-insensitive",
                    "include-zero",
                    "invert-match",
                    "json",
                    "line-buffered",
                    "line-number",
                    "line-regexp",
                    "max-columns-preview",
                    "mmap",
                    "multiline",
                    "multiline-dotall",
                    "no-config",
                    "no-filename",
                    "no-heading",
                    "no-ignore",
                    "no-ignore-dot",
                    "no-ignore-exclude",
                    "no-ignore-files",
                    "no-ignore-global",
                    "no-ignore-messages",
                    "no-ignore-parent",
                    "no-ignore-vcs",
                    "no-line-number",
                    "no-messages",
                    "no-mmap",
                    "no-pcre2-unicode",
                    "no-require-git",
                    "no-unicode",
                    "null",
                    "null-data",
                    "one-file-system",
                    "only-matching",
                    "passthru",
                    "pcre2",
                    "pcre2-version",
                    "pretty",
                    "quiet",
                    "search-zip",
                    "smart-case",
                    "sort-files",
                    "stats",
                    "text",
                    "trim",
                    "type-list",
                    "unrestricted",
                    "vimgrep",
                    "with-filename",
                    "word-regexp",
                    "help",
                    "version",
                    "no-follow",
                    "no-hidden",
                    "no-binary",
                    "no-text",
                    "no-pre",
                    "no-stats",
                    "no-trim",
                    "no-search-zip",
                    "no-multiline",
                    "no-crlf",
                    "no-json",
                    "no-column",
                    "no-heading",
                    "no-byte-offset",
                    "no-sort-files",
                    "no-context-separator",
                ],
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
                    "file",
                    "ignore-file",
                    "pre",
                    "pre-glob",
                    "hostname-bin",
                ],
                ..O
            },
            short_path: "f",
            long_path: &["file", "ignore-file"],
            // --pre runs a program per file; -z runs decompressors; -L follows symlinks out.
            short_bad: "zL",
            long_bad: &["pre", "pre-glob", "search-zip", "hostname-bin", "follow"],
            pos: Pos::PatternThenReads,
            ..BASE
        },
        "echo" | "true" | "false" | ":" | "sleep" | "pwd" | "tty" | "whoami" | "logname"
        | "groups" | "nproc" | "arch" | "uptime" | "id" | "uname" | "ps" | "free" | "printenv"
        | "getconf" | "locale" | "clear" | "seq" | "expr" | "tr" | "basename" | "dirname"
        | "which" | "type" | "test" | "[" | "shift" | "return" | "exit" | "break" | "continue"
        | "wait" | "times" | "umask" | "jobs" => PRINTS,
        "printf" => Spec {
            // -v assigns a shell variable (PATH, …).
            short_bad: "v",
            ..PRINTS
        },
        "mkdir" => Spec {
            opts: OptSpec {
                flags: "Zpv",
                short_val: "m",
                long_flags: &["parents", "verbose", "help", "version"],
                long_val: &["mode"],
                long_opt: &["context"],
                ..O
            },
            aliases: &[("parents", 'p'), ("mode", 'm')],
            pos: Pos::Writes,
            ..BASE
        },
        "touch" => Spec {
            opts: OptSpec {
                flags: "acfhm",
                short_val: "drt",
                long_flags: &["no-create", "no-dereference", "help", "version"],
                long_val: &["date", "reference", "time"],
                ..O
            },
            short_path: "r",
            long_path: &["reference"],
            pos: Pos::Writes,
            ..BASE
        },
        "rmdir" => Spec {
            opts: OptSpec {
                flags: "pv",
                long_flags: &[
                    "ignore-fail-on-non-empty",
                    "parents",
                    "verbose",
                    "help",
                    "version",
                ],
                ..O
            },
            pos: Pos::Writes,
            ..BASE
        },
        "tee" => Spec {
            opts: OptSpec {
                flags: "aip",
                long_flags: &["append", "ignore-interrupts", "help", "version"],
                long_opt: &["output-error"],
                ..O
            },
            aliases: &[("append", 'a')],
            pos: Pos::Writes,
            ..BASE
        },
        "cp" => Spec {
            opts: OptSpec {
                flags: "HLPRTZabdfilnprsuvx",
                short_val: "St",
                long_flags: &[
                    "archive",
                    "attributes-only",
                    "copy-contents",
                    "dereference",
                    "force",
                    "interactive",
                    "link",
                    "no-clobber",
                    "no-dereference",
                    "no-target-directory",
                    "one-file-system",
                    "parents",
                    "recursive",
                    "remove-destination",
                    "strip-trailing-slashes",
                    "symbolic-link",
                    "update",
                    "verbose",
                    "help",
                    "version",
                ],
                long_val: &["no-preserve", "sparse", "suffix", "target-directory"],
                long_opt: &["backup", "context", "preserve", "reflink"],
                ..O
            },
            aliases: &[
                ("archive", 'a'),
                ("force", 'f'),
                ("recursive", 'r'),
                ("R", 'r'),
                ("target-directory", 't'),
                ("no-target-directory", 'T'),
                ("symbolic-link", 's'),
                ("link", 'l'),
            ],
            // Links and backups write paths that are not the destination.
            short_bad: "lsbS",
            long_bad: &["link", "symbolic-link", "backup", "suffix", "parents"],
            short_rec: "rRa",
            long_rec: &["recursive", "archive"],
            short_target: "t",
            long_target: &["target-directory"],
            pos: Pos::Copy,
            ..BASE
        },
        "mv" => Spec {
            opts: OptSpec {
                flags: "TZbfinuv",
                short_val: "St",
                long_flags: &[
                    "context",
                    "force",
                    "interactive",
                    "no-clobber",
                    "no-target-directory",
                    "strip-trailing-slashes",
                    "update",
                    "verbose",
                    "help",
                    "version",
                ],
                long_val: &["suffix", "target-directory"],
                long_opt: &["backup", "update"],
                ..O
            },
            aliases: &[
                ("force", 'f'),
                ("target-directory", 't'),
                ("no-target-directory", 'T'),
            ],
            short_bad: "bS",
            long_bad: &["backup", "suffix"],
            short_target: "t",
            long_target: &["target-directory"],
            pos: Pos::Move,
            ..BASE
        },
        // Understood paths, but never automatic: a rule is needed.
        "rm" => Spec {
            known: false,
            opts: OptSpec {
                flags: "IRdfirv",
                long_flags: &[
                    "dir",
                    "force",
                    "no-preserve-root",
                    "one-file-system",
                    "recursive",
                    "verbose",
                    "help",
                    "version",
                ],
                long_opt: &["interactive", "preserve-root"],
                ..O
            },
            aliases: &[
                ("recursive", 'r'),
                ("R", 'r'),
                ("force", 'f'),
                ("dir", 'd'),
                ("verbose", 'v'),
            ],
            short_rec: "rR",
            long_rec: &["recursive"],
            pos: Pos::Writes,
            ..BASE
        },
        "unlink" | "shred" => Spec {
            known: false,
            opts: OptSpec {
                flags: "fuvxz",
                short_val: "ns",
                long_flags: &[
                    "force", "remove", "verbose", "exact", "zero", "help", "version",
                ],
                long_val: &["iterations", "size", "random-source"],
                long_opt: &["remove"],
                ..O
            },
            pos: Pos::Writes,
            ..BASE
        },
        "ln" => Spec {
            known: false,
            opts: OptSpec {
                flags: "FLPTbdfinrsv",
                short_val: "St",
                long_flags: &[
                    "directory",
                    "force",
                    "interactive",
                    "logical",
                    "no-dereference",
                    "no-target-directory",
                    "physical",
                    "relative",
                    "symbolic",
                    "verbose",
                    "help",
                    "version",
                ],
                long_val: &["suffix", "target-directory"],
                long_opt: &["backup"],
                ..O
            },
            aliases: &[("symbolic", 's'), ("force", 'f')],
            short_target: "t",
            long_target: &["target-directory"],
            pos: Pos::Copy,
            ..BASE
        },
        "truncate" => Spec {
            known: false,
            opts: OptSpec {
                flags: "co",
                short_val: "rs",
                long_flags: &["io-blocks", "no-create", "help", "version"],
                long_val: &["reference", "size"],
                ..O
            },
            short_path: "r",
            long_path: &["reference"],
            pos: Pos::Writes,
            ..BASE
        },
        "chmod" | "chown" | "chgrp" => Spec {
            known: false,
            opts: OptSpec {
                flags: "HLPRcfhv",
                long_flags: &[
                    "changes",
                    "dereference",
                    "no-dereference",
                    "no-preserve-root",
                    "preserve-root",
                    "quiet",
                    "recursive",
                    "silent",
                    "verbose",
                    "help",
                    "version",
                ],
                long_val: &["from", "reference"],
                ..O
            },
            aliases: &[("recursive", 'R')],
            short_rec: "R",
            long_rec: &["recursive"],
            long_path: &["reference"],
            pos: Pos::SkipFirstWrites,
            ..BASE
        },
        _ => return None,
    };
    Some(s)
}

/// How `name`'s options are read and which long options are spellings of short ones (for deny
/// rules), when the table models the command.
pub fn option_model(name: &str) -> Option<(OptSpec<'static>, &'static [(&'static str, char)])> {
    let s = spec(name)?;
    (!s.any_option).then_some((s.opts, s.aliases))
}

/// Classifies a table command.
pub fn generic(args: &[Arg], s: &Spec) -> Effects {
    let name = args.first().and_then(Arg::v).unwrap_or("the command");
    let mut e = Effects::default();
    if !s.known {
        e.other = Some(format!("{name} changes files"));
    }
    let mut positionals: Vec<usize> = Vec::new();
    let mut dynamic: Vec<usize> = Vec::new();
    let mut target: Option<PathRef> = None;
    let mut recursive = false;
    let mut pattern_given = false;
    let mut no_dir = false;
    let value_ref = |v: &Value| match v {
        Value::Text(t) => Some(PathRef::Text(t.clone())),
        Value::Arg(i) => Some(PathRef::Arg(*i)),
        Value::Missing => None,
    };
    for o in scan(args, 1, &s.opts) {
        match o {
            Opt::Operand(i) => positionals.push(i),
            Opt::Dynamic(i) => {
                // It could be any option: a bad one, or one that names a file to read.
                if !s.short_bad.is_empty() || !s.long_bad.is_empty() {
                    e.set_risky("a dynamic argument that could be an unsafe option");
                }
                if !s.short_path.is_empty() || !s.long_path.is_empty() {
                    e.reads.push(PathRef::Dynamic);
                }
                dynamic.push(i);
            }
            Opt::UnknownShort(c) => {
                if !s.any_option {
                    e.set_other(format!("{name} -{c} is an option ccrs does not know"));
                }
                if s.short_bad.contains(c) {
                    e.set_risky(format!("the option -{c}"));
                }
            }
            Opt::Long {
                name: long,
                value,
                known,
            } => {
                if !known {
                    if !s.any_option {
                        e.set_other(format!("{name} --{long} is an option ccrs does not know"));
                    }
                    continue;
                }
                if s.long_bad.contains(&long.as_str()) {
                    e.set_risky(format!("the option --{long}"));
                }
                if s.long_rec.contains(&long.as_str()) {
                    recursive = true;
                }
                if long == "directories"
                    && value.as_ref().and_then(|v| v.text(args)) == Some("recurse")
                {
                    recursive = true;
                }
                if matches!(long.as_str(), "file" | "regexp" | "files" | "type-list") {
                    pattern_given = true;
                }
                if long == "no-target-directory" {
                    no_dir = true;
                }
                if s.long_path.contains(&long.as_str()) {
                    e.reads.extend(value.as_ref().and_then(value_ref));
                } else if s.long_target.contains(&long.as_str()) {
                    target = value.as_ref().and_then(value_ref);
                }
            }
            Opt::Flag(c) => {
                if s.short_bad.contains(c) {
                    e.set_risky(format!("the option -{c}"));
                }
                if s.short_rec.contains(c) {
                    recursive = true;
                }
                if c == 'T' && matches!(s.pos, Pos::Copy | Pos::Move) {
                    no_dir = true;
                }
            }
            Opt::ShortVal(c, v) => {
                if s.short_bad.contains(c) {
                    e.set_risky(format!("the option -{c}"));
                }
                if c == 'e' || c == 'f' {
                    pattern_given = true;
                }
                if s.short_path.contains(c) {
                    e.reads.extend(value_ref(&v));
                } else if s.short_target.contains(c) {
                    target = value_ref(&v);
                }
            }
        }
    }
    // `-` as a file-list option's value (`wc --files0-from=-`, `grep -f -`) names files only
    // known at run time.
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
        Pos::Reads | Pos::ReadsOrCwd | Pos::Compare => {
            let refs: Vec<PathRef> = positionals
                .iter()
                .map(|&n| arg(n))
                .chain(dyn_refs())
                .collect();
            if refs.is_empty() && s.pos == Pos::ReadsOrCwd {
                e.implicit_cwd = Some(recursive);
            }
            if recursive || s.pos == Pos::Compare {
                // `diff dir1 dir2` reads the files of both directories (all of them with -r);
                // the walker keeps only the directories among them.
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
            let is_rg = name == "rg";
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
            let refs: Vec<PathRef> = positionals
                .iter()
                .map(|&n| arg(n))
                .chain(dyn_refs())
                .collect();
            if recursive {
                e.tree_writes.extend(refs.iter().cloned());
            }
            if name == "rm" || name == "rmdir" || name == "unlink" || name == "shred" {
                e.replaced.extend(refs.iter().cloned());
            }
            e.writes.extend(refs);
        }
        Pos::SkipFirstWrites => {
            let refs: Vec<PathRef> = positionals
                .iter()
                .skip(1)
                .map(|&n| arg(n))
                .chain(dyn_refs())
                .collect();
            if recursive {
                e.tree_writes.extend(refs.iter().cloned());
            }
            e.writes.extend(refs);
        }
        Pos::Copy | Pos::Move => {
            if args[1..]
                .iter()
                .any(|a| a.v().is_some_and(|v| v.starts_with('-') && v != "-"))
            {
                // As in Claude Code: with options it is not an automatic file operation.
                e.set_other(format!("{name} with options"));
            }
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
                // The sources' trees move away: a rule on anything below them applies.
                e.writes.extend(sources.iter().cloned());
                e.tree_writes.extend(sources.iter().cloned());
                e.replaced.extend(sources.iter().cloned());
            }
            e.reads.extend(sources.iter().cloned());
            if let Some(d) = dest {
                e.writes.push(d.clone());
                e.replaced.push(d.clone());
                e.copy = Some(CopyInto {
                    into_dir: has_target || sources.len() > 1,
                    dest: d,
                    sources,
                    no_dir,
                    recursive: recursive || s.pos == Pos::Move,
                });
            }
        }
    }
    e
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
