//! ccrs's system prompt: short on purpose (every token is paid on every request), plus the
//! environment block.

use std::path::{Path, PathBuf};

/// Facts about the environment for the system prompt.
#[derive(Clone, Debug)]
pub struct Environment {
    pub cwd: PathBuf,
    pub additional_dirs: Vec<PathBuf>,
    pub is_git_repo: bool,
    pub git_branch: Option<String>,
    pub platform: String,
    pub os_version: String,
    pub today: String,
    pub model: String,
}

/// Walks up from `cwd` looking for `.git`; returns the repository root.
pub fn git_root(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The current branch, read from `.git/HEAD` (no subprocess on the start-up path).
pub fn git_branch(root: &Path) -> Option<String> {
    let git = root.join(".git");
    let head_path = if git.is_file() {
        // A worktree or submodule: `.git` is a file `gitdir: <path>`.
        let text = std::fs::read_to_string(&git).ok()?;
        let dir = text.strip_prefix("gitdir:")?.trim();
        root.join(dir).join("HEAD")
    } else {
        git.join("HEAD")
    };
    let head = std::fs::read_to_string(head_path).ok()?;
    head.trim()
        .strip_prefix("ref: refs/heads/")
        .map(str::to_string)
}

fn os_version() -> String {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .map(|s| s.trim().to_string())
    };
    match (
        read("/proc/sys/kernel/ostype"),
        read("/proc/sys/kernel/osrelease"),
    ) {
        (Some(t), Some(r)) => format!("{t} {r}"),
        _ => std::env::consts::OS.to_string(),
    }
}

impl Environment {
    pub fn detect(cwd: &Path, additional_dirs: &[PathBuf], model: &str) -> Self {
        let root = git_root(cwd);
        Environment {
            cwd: cwd.to_path_buf(),
            additional_dirs: additional_dirs.to_vec(),
            is_git_repo: root.is_some(),
            git_branch: root.as_deref().and_then(git_branch),
            platform: std::env::consts::OS.to_string(),
            os_version: os_version(),
            today: crate::timeutil::today(),
            model: model.to_string(),
        }
    }

    /// The `<env>` block.
    pub fn render(&self) -> String {
        let mut s = String::from("<env>\n");
        s.push_str(&format!("Working directory: {}\n", self.cwd.display()));
        if !self.additional_dirs.is_empty() {
            let dirs: Vec<String> = self
                .additional_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect();
            s.push_str(&format!(
                "Additional working directories: {}\n",
                dirs.join(", ")
            ));
        }
        s.push_str(&format!(
            "Is directory a git repo: {}\n",
            if self.is_git_repo { "Yes" } else { "No" }
        ));
        if let Some(b) = &self.git_branch {
            s.push_str(&format!("Git branch: {b}\n"));
        }
        s.push_str(&format!(
            "Platform: {}\nOS Version: {}\nToday's date: {}\n</env>\n",
            self.platform, self.os_version, self.today
        ));
        s.push_str(&format!("You are powered by the model {}.", self.model));
        s
    }
}

/// The default instructions (ccrs's own words).
pub const BASE_PROMPT: &str = "\
You are ccrs, a coding agent running in the user's terminal. You help with software engineering: \
reading and changing code, running commands, debugging, explaining.

# How to work
- Be concise and direct. Output is shown in a terminal as GitHub-flavoured markdown. No preamble \
or recap unless asked; answer questions briefly, do tasks fully.
- Understand before changing: search (Grep, Glob) and Read the relevant code first. Follow the \
project's conventions, libraries and style; never assume a dependency is available.
- Prefer editing existing files (Edit) over creating new ones. Read a file before you Edit or \
overwrite it. Paths given to tools must be absolute.
- Verify your work: build, run the tests or the linter when the project has them. If you cannot \
verify, say so.
- For multi-step work, keep a TodoWrite list and update it as you go.
- Do only what was asked. Don't commit, push or make other irreversible changes unless asked. \
Never expose secrets.
- A tool result with an error tells you what went wrong: adjust, don't repeat the same call. If \
the user denies a tool call, don't retry it; ask or find another way.
- Make independent tool calls in one reply. Use Bash for shell work (git, builds, tests), not for \
reading, searching or editing files: the dedicated tools are better.
- When referring to code, use `path:line` so the user can jump to it.";

/// The full default system prompt: instructions, then the environment.
pub fn default_system_prompt(env: &Environment) -> String {
    format!("{BASE_PROMPT}\n\n{}", env.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_block_lists_facts() {
        let env = Environment {
            cwd: PathBuf::from("/w/p"),
            additional_dirs: vec![PathBuf::from("/x")],
            is_git_repo: true,
            git_branch: Some("main".into()),
            platform: "linux".into(),
            os_version: "Linux 6.1".into(),
            today: "2026-11-26".into(),
            model: "claude-sonnet-5".into(),
        };
        let r = env.render();
        for want in [
            "Working directory: /w/p",
            "Additional working directories: /x",
            "Is directory a git repo: Yes",
            "Git branch: main",
            "Platform: linux",
            "Today's date: 2026-11-26",
        ] {
            assert!(r.contains(want), "{want} missing in {r}");
        }
    }

    #[test]
    fn detects_git_branch_from_head() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join(".git")).unwrap();
        std::fs::write(d.path().join(".git/HEAD"), "ref: refs/heads/feature-x\n").unwrap();
        std::fs::create_dir_all(d.path().join("sub")).unwrap();
        let env = Environment::detect(&d.path().join("sub"), &[], "m");
        assert!(env.is_git_repo);
        assert_eq!(env.git_branch.as_deref(), Some("feature-x"));
    }
}
