//! Paths of the sandbox: settings paths to concrete ones, `excludedCommands` patterns, and the
//! paths a failed command's output names.

use crate::process::Confinement;
use crate::settings::SettingPath;
use std::path::{Path, PathBuf};

const GLOB: &[char] = &['*', '?', '[', '{'];

/// A settings path made absolute and resolved. Landlock needs concrete paths: a trailing
/// `/**` or `/*` means the directory; a wildcard elsewhere cannot be expressed (the error says
/// so, for `/sandbox` and the start-up warnings).
pub fn resolve(p: &SettingPath, cwd: &Path, home: Option<&Path>) -> Result<PathBuf, String> {
    let raw = p.path.trim();
    let mut s = raw;
    while let Some(rest) = s.strip_suffix("/**").or_else(|| s.strip_suffix("/*")) {
        s = rest;
    }
    if s.contains(GLOB) {
        return Err(format!(
            "`{raw}` has a wildcard the kernel cannot express; it is not enforced inside the sandbox"
        ));
    }
    let abs = if let Some(rest) = s.strip_prefix("//") {
        PathBuf::from("/").join(rest)
    } else if s == "~" || s.starts_with("~/") {
        let Some(h) = home else {
            return Err(format!("`{raw}`: no home directory"));
        };
        h.join(s.trim_start_matches('~').trim_start_matches('/'))
    } else if let Some(rest) = s.strip_prefix('/') {
        match &p.base {
            // In a permission rule a single `/` is relative to the settings file's project.
            Some(base) => base.join(rest),
            None => PathBuf::from(s),
        }
    } else {
        cwd.join(s)
    };
    Ok(crate::paths::canonicalize_lenient(
        &crate::paths::normalize(&abs),
    ))
}

/// Whether `command` (one simple command) matches a Bash rule pattern: `git *`, `npm run
/// test:*`, `make`, `* --version`.
pub fn command_matches(pattern: &str, command: &str) -> bool {
    let pattern = pattern.trim();
    let pattern = pattern
        .strip_prefix("Bash(")
        .and_then(|p| p.strip_suffix(')'))
        .unwrap_or(pattern);
    let command = command.trim();
    if let Some(prefix) = pattern.strip_suffix(":*") {
        return command == prefix || command.starts_with(&format!("{prefix} "));
    }
    if let Some(prefix) = pattern.strip_suffix(" *")
        && !prefix.contains('*')
        && command == prefix
    {
        return true;
    }
    wildcard(pattern, command)
}

/// `*` matches any run of characters; the rest literally.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// Error lines that may come from the sandbox.
fn is_denial(line: &str) -> bool {
    [
        "Permission denied",
        "Read-only file system",
        "Operation not permitted",
    ]
    .iter()
    .any(|m| line.contains(m))
}

/// Path-like pieces of an error line: quoted parts and `: `-separated fields.
fn candidates(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [('\'', '\''), ('"', '"'), ('‘', '’'), ('`', '\'')] {
        let mut rest = line;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len_utf8()..];
            let Some(j) = after.find(close) else { break };
            out.push(after[..j].to_string());
            rest = &after[j + close.len_utf8()..];
        }
    }
    out.extend(line.split(": ").map(|f| f.trim().to_string()));
    out.retain(|c| {
        !c.is_empty()
            && !c.contains(' ')
            && (c.contains('/') || c.starts_with('.') || c.starts_with('~'))
    });
    out
}

/// The paths a command's output says it was denied, and what the sandbox forbids there
/// ("writing to", "reading"), only where the confinement really forbids it.
pub fn blocked_paths(output: &str, cwd: &Path, c: &Confinement) -> Vec<(PathBuf, &'static str)> {
    let mut out: Vec<(PathBuf, &'static str)> = Vec::new();
    for line in output.lines().filter(|l| is_denial(l)) {
        for cand in candidates(line) {
            let p = if let Some(rest) = cand.strip_prefix("~/") {
                match crate::paths::home_dir() {
                    Some(h) => h.join(rest),
                    None => continue,
                }
            } else {
                cwd.join(&cand)
            };
            let p = crate::paths::canonicalize_lenient(&crate::paths::normalize(&p));
            let why = if c.deny_read.iter().any(|d| p.starts_with(d)) {
                "reading"
            } else if c.deny_write.iter().any(|d| p.starts_with(d))
                || !c.write.iter().any(|w| p.starts_with(w))
            {
                "writing to"
            } else {
                continue;
            };
            if !out.iter().any(|(q, _)| *q == p) {
                out.push((p, why));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(p: &str, base: Option<&str>) -> SettingPath {
        SettingPath {
            path: p.into(),
            base: base.map(PathBuf::from),
        }
    }

    #[test]
    fn resolves_like_claude_code() {
        let cwd = Path::new("/nonexistent-proj");
        let home = Some(Path::new("/nonexistent-home"));
        let r = |p, b| resolve(&sp(p, b), cwd, home).unwrap();
        assert_eq!(r("//etc/x/**", None), PathBuf::from("/etc/x"));
        assert_eq!(r("~/.ssh", None), PathBuf::from("/nonexistent-home/.ssh"));
        assert_eq!(r("./.env", None), PathBuf::from("/nonexistent-proj/.env"));
        assert_eq!(
            r("secrets/*", None),
            PathBuf::from("/nonexistent-proj/secrets")
        );
        assert_eq!(r("/abs", None), PathBuf::from("/abs"));
        assert_eq!(r("/rel", Some("/base")), PathBuf::from("/base/rel"));
        assert!(resolve(&sp("**/.env", None), cwd, home).is_err());
        assert!(resolve(&sp("src/*.key", None), cwd, home).is_err());
    }

    #[test]
    fn command_patterns() {
        assert!(command_matches("docker *", "docker ps -a"));
        assert!(command_matches("docker *", "docker"));
        assert!(!command_matches("docker *", "dockerd"));
        assert!(command_matches("npm run test:*", "npm run test --watch"));
        assert!(command_matches("Bash(make)", "make"));
        assert!(!command_matches("make", "make all"));
        assert!(command_matches("* --version", "node --version"));
        assert!(command_matches("git * main", "git push origin main"));
    }

    #[test]
    fn blocked_paths_only_where_the_sandbox_forbids() {
        let c = Confinement {
            write: vec!["/proj".into()],
            deny_read: vec!["/proj/.env".into()],
            ..Default::default()
        };
        let out = "touch: cannot touch '/etc/x': Permission denied\n\
                   cat: .env: Permission denied\n\
                   bash: line 1: /proj/ok: Permission denied\n\
                   mkdir: cannot create directory ‘/opt/y’: Read-only file system\n\
                   fine line /etc/z\n";
        let got = blocked_paths(out, Path::new("/proj"), &c);
        assert_eq!(
            got,
            vec![
                (PathBuf::from("/etc/x"), "writing to"),
                (PathBuf::from("/proj/.env"), "reading"),
                (PathBuf::from("/opt/y"), "writing to"),
            ]
        );
    }
}
