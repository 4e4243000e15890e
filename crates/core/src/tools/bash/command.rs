//! How a command line becomes a child process: which shell, which environment, which script,
//! and how its exit status reads.

use crate::tools::ToolContext;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The shell commands run in: `CLAUDE_CODE_SHELL` if it exists, else `bash`, else `/bin/sh`.
pub fn shell_path(ctx: &ToolContext) -> PathBuf {
    if let Some(s) = ctx.env_var("CLAUDE_CODE_SHELL") {
        let p = PathBuf::from(&s);
        if p.is_file() {
            return p;
        }
        if let Some(found) = find_in_path(&s) {
            return found;
        }
    }
    static DEFAULT: OnceLock<PathBuf> = OnceLock::new();
    DEFAULT
        .get_or_init(|| find_in_path("bash").unwrap_or_else(|| PathBuf::from("/bin/sh")))
        .clone()
}

/// Quotes `s` for any POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The `-c` script: an EXIT trap that records the final directory (it runs even when the command
/// calls `exit`), the optional `CLAUDE_ENV_FILE`, then the command on its own line.
pub fn build_script(command: &str, cwd_file: Option<&Path>, env_file: Option<&Path>) -> String {
    let mut script = String::new();
    if let Some(f) = cwd_file {
        let action = format!(
            "pwd -P >| {} 2>/dev/null",
            shell_quote(&f.to_string_lossy())
        );
        script.push_str(&format!("trap {} EXIT\n", shell_quote(&action)));
    }
    if let Some(f) = env_file {
        script.push_str(&format!(". {}\n", shell_quote(&f.to_string_lossy())));
    }
    script.push_str(command);
    script
}

/// The child's environment on top of the inherited one: the settings' `env`, then `CLAUDECODE=1`.
pub fn child_env(ctx: &ToolContext) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> =
        ctx.env.iter().map(|(k, v)| (k.into(), v.into())).collect();
    env.push(("CLAUDECODE".into(), "1".into()));
    env
}

/// The directory the next command runs in, as the permission engine checks it: the remembered
/// shell cwd if it still exists, else the project directory. Nothing is changed yet.
pub fn checked_cwd(ctx: &ToolContext) -> PathBuf {
    let remembered = remembered_cwd(ctx);
    if remembered.is_dir() {
        remembered
    } else {
        ctx.cwd.clone()
    }
}

fn remembered_cwd(ctx: &ToolContext) -> PathBuf {
    ctx.session
        .shell_cwd
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Makes the checked directory the one the command runs in: when the remembered one had to be
/// replaced (it no longer exists), the session's shell cwd is reset, with a note for the model.
pub fn adopt_checked_cwd(ctx: &ToolContext, checked: &Path) -> (PathBuf, Option<String>) {
    let remembered = remembered_cwd(ctx);
    if remembered == checked {
        return (checked.to_path_buf(), None);
    }
    set_shell_cwd(ctx, checked.to_path_buf());
    let note = (!remembered.is_dir()).then(|| {
        format!(
            "Shell cwd was reset to {} ({} no longer exists)",
            checked.display(),
            remembered.display()
        )
    });
    (checked.to_path_buf(), note)
}

pub fn set_shell_cwd(ctx: &ToolContext, dir: PathBuf) {
    *ctx.session
        .shell_cwd
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = dir;
}

/// True when `dir` lies inside one of the session's working directories.
pub fn inside_working_dirs(ctx: &ToolContext, dir: &Path) -> bool {
    ctx.working_dirs.iter().any(|w| {
        let canon = std::fs::canonicalize(w).unwrap_or_else(|_| w.clone());
        dir.starts_with(&canon) || dir.starts_with(w)
    })
}

/// Conventional names of the signals a command is likely to die from.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// What an exit code 1 means for commands that use it for "nothing found" / "false".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BenignExit1 {
    /// grep, rg, git grep: no match.
    NoMatch,
    /// diff, git diff: the inputs differ (shown in the output).
    Differ,
    /// test, `[`: the condition is false.
    False,
    /// find: some paths could not be visited (reported in the output).
    Partial,
}

impl BenignExit1 {
    /// Text for the model when the command printed nothing.
    pub fn empty_text(self) -> &'static str {
        match self {
            BenignExit1::NoMatch => "(no matches; exit code 1)",
            BenignExit1::Differ => "(inputs differ; exit code 1)",
            BenignExit1::False => "(condition is false; exit code 1)",
            BenignExit1::Partial => "(exit code 1)",
        }
    }
}

/// Splits a command line into words when it is one simple command (no lists, pipes,
/// substitutions or subshells); `None` otherwise. Quotes are removed, redirections kept as words.
fn simple_words(command: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = command.trim().chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(ch) => cur.push(ch),
                        None => return None,
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(ch) => cur.push(ch),
                            None => return None,
                        },
                        Some('$') if matches!(chars.peek(), Some('(')) => return None,
                        Some('`') => return None,
                        Some(ch) => cur.push(ch),
                        None => return None,
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(ch) => cur.push(ch),
                    None => return None,
                }
            }
            ';' | '&' | '|' | '\n' | '(' | ')' | '`' | '{' | '}' => return None,
            '$' if matches!(chars.peek(), Some('(')) => return None,
            '<' | '>' if matches!(chars.peek(), Some('(')) => return None,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    Some(words)
}

fn is_assignment(w: &str) -> bool {
    match w.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// Whether exit code 1 of `command` is an ordinary answer rather than a failure: only for a
/// single simple command of grep/rg/egrep/fgrep/find/diff/test/[, `git diff` or `git grep`.
pub fn benign_exit1(command: &str) -> Option<BenignExit1> {
    let words = simple_words(command)?;
    let mut it = words.iter().skip_while(|w| is_assignment(w));
    let first = it.next()?;
    let prog = first.rsplit('/').next().unwrap_or(first);
    match prog {
        "grep" | "egrep" | "fgrep" | "rg" => Some(BenignExit1::NoMatch),
        "diff" => Some(BenignExit1::Differ),
        "test" | "[" => Some(BenignExit1::False),
        "find" => Some(BenignExit1::Partial),
        "git" => {
            // Skip global options (`-C dir`, `-c k=v`, `--no-pager`, ...) to the subcommand.
            let mut sub = None;
            while let Some(w) = it.next() {
                if w == "-C" || w == "-c" {
                    it.next();
                } else if !w.starts_with('-') {
                    sub = Some(w.as_str());
                    break;
                }
            }
            match sub {
                Some("diff") => Some(BenignExit1::Differ),
                Some("grep") => Some(BenignExit1::NoMatch),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn benign_exit1_only_for_single_simple_commands() {
        assert_eq!(benign_exit1("grep foo bar.txt"), Some(BenignExit1::NoMatch));
        assert_eq!(
            benign_exit1("LC_ALL=C /usr/bin/rg -n 'a b' src 2>/dev/null"),
            Some(BenignExit1::NoMatch)
        );
        assert_eq!(benign_exit1("[ -f x ]"), Some(BenignExit1::False));
        assert_eq!(benign_exit1("test -d \"a b\""), Some(BenignExit1::False));
        assert_eq!(benign_exit1("diff a b"), Some(BenignExit1::Differ));
        assert_eq!(
            benign_exit1("git -C repo --no-pager diff --stat"),
            Some(BenignExit1::Differ)
        );
        assert_eq!(benign_exit1("git grep x"), Some(BenignExit1::NoMatch));
        assert_eq!(benign_exit1("find . -name x"), Some(BenignExit1::Partial));
        assert_eq!(benign_exit1("git status"), None);
        assert_eq!(benign_exit1("false"), None);
        assert_eq!(benign_exit1("grep a f; false"), None);
        assert_eq!(benign_exit1("grep a f && rm x"), None);
        assert_eq!(benign_exit1("cat f | grep a"), None);
        assert_eq!(benign_exit1("grep $(rm x) f"), None);
        assert_eq!(benign_exit1("grep \"$(rm x)\" f"), None);
        assert_eq!(benign_exit1("grep `rm x` f"), None);
        assert_eq!(benign_exit1("grep a <(rm x)"), None);
        assert_eq!(benign_exit1("grep a\nrm x"), None);
        assert_eq!(benign_exit1("grep 'unterminated"), None);
        assert_eq!(benign_exit1("grep 'a;b' f"), Some(BenignExit1::NoMatch));
    }

    #[test]
    fn quoting_round_trips_through_sh() {
        let s = "it's a \"test\" $HOME `x`";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_quote(s)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), s);
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(99), "signal 99");
    }
}
