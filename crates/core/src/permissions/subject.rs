//! What a tool call touches, as far as permissions are concerned. Tools produce it
//! (`Tool::subject`); the engine decides on it; the Bash tool runs the command
//! with the very directory and shell the engine checked.

use std::path::{Path, PathBuf};

/// The shell language a command line is written in: it decides how the line is parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// GNU bash.
    Bash,
    /// A POSIX sh (dash, ash, busybox sh, bash in POSIX mode). Constructs whose meaning differs
    /// between these shells are not understood.
    Posix,
    /// Any other shell (zsh, fish, ksh, …): ccrs does not analyse its language, so every
    /// command needs approval.
    Other(String),
}

impl Dialect {
    /// The dialect of the shell at `path`, by its name (`/bin/sh` is POSIX sh even where it is
    /// bash: only what both mean the same is understood).
    pub fn of_shell(path: &Path) -> Dialect {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        Dialect::of_name(name).unwrap_or_else(|| Dialect::Other(name.to_string()))
    }

    /// The dialect of a shell command name (`bash`, `sh`, `dash`, …); `None` for a program that
    /// is no known shell.
    pub fn of_name(name: &str) -> Option<Dialect> {
        match name {
            "bash" => Some(Dialect::Bash),
            "sh" | "dash" | "ash" => Some(Dialect::Posix),
            "zsh" | "ksh" | "mksh" | "ksh93" | "pdksh" | "yash" | "fish" | "csh" | "tcsh"
            | "rc" | "es" | "xonsh" | "nu" | "elvish" | "pwsh" | "powershell" => {
                Some(Dialect::Other(name.to_string()))
            }
            _ => None,
        }
    }
}

/// What a tool call touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// No side effects outside ccrs and no file access (TodoWrite, BashOutput, ...): always
    /// allowed.
    Passive,
    /// Reads these paths (absolute, not yet canonicalised): Read, Glob, Grep, ...
    Read(Vec<PathBuf>),
    /// Creates or modifies these paths (absolute): Write, Edit, MultiEdit, NotebookEdit.
    Write(Vec<PathBuf>),
    /// Runs this command line in this directory with a shell of this dialect (Bash). The Bash
    /// tool runs exactly this: the directory is resolved once, checked, then used.
    Shell {
        command: String,
        cwd: PathBuf,
        dialect: Dialect,
    },
    /// Bash inside the sandbox with `autoAllowBashIfSandboxed`: allowed without a question
    /// unless a deny rule, an ask rule or plan mode says otherwise (see `crate::sandbox`).
    SandboxedShell {
        command: String,
        cwd: PathBuf,
        dialect: Dialect,
    },
    /// Bash outside the sandbox on the model's request (`dangerouslyDisableSandbox`): deny
    /// rules apply, and otherwise it always asks (except in bypassPermissions mode).
    UnsandboxedShell {
        command: String,
        cwd: PathBuf,
        dialect: Dialect,
    },
    /// Fetches this URL (WebFetch).
    Fetch(String),
    /// Anything else that needs approval unless a rule allows it (WebSearch, MCP tools).
    Other,
    /// ExitPlanMode presenting a plan: in plan mode the user must approve it.
    ExitPlan { plan: String },
}

impl Subject {
    /// A bash command line run in `cwd`.
    pub fn bash(command: impl Into<String>, cwd: impl Into<PathBuf>) -> Subject {
        Subject::Shell {
            command: command.into(),
            cwd: cwd.into(),
            dialect: Dialect::Bash,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_by_shell_name() {
        assert_eq!(Dialect::of_shell(Path::new("/usr/bin/bash")), Dialect::Bash);
        assert_eq!(Dialect::of_shell(Path::new("/bin/sh")), Dialect::Posix);
        assert_eq!(Dialect::of_shell(Path::new("dash")), Dialect::Posix);
        assert_eq!(
            Dialect::of_shell(Path::new("/bin/zsh")),
            Dialect::Other("zsh".into())
        );
        assert_eq!(Dialect::of_name("python3"), None);
    }
}
