//! Paths for permission checks: gitignore-style rule patterns with Claude Code's four roots,
//! symlink resolution, working-directory containment and protected paths.

use super::rules::RuleBehavior;
use globset::{GlobBuilder, GlobMatcher};
use std::path::{Component, Path, PathBuf};

/// Glob expansion limits: beyond them a glob argument counts as unknown.
const MAX_GLOB_MATCHES: usize = 1000;
const MAX_GLOB_SCANNED: usize = 20_000;

/// Directories whose contents are protected: a write there always asks, whatever the rules or
/// the mode (git's configuration and hooks, ccrs's and editors' settings, tool configuration
/// that runs code). Claude Code 2.1's list.
const PROTECTED_DIRS: &[&str] = &[
    ".git",
    ".claude",
    ".vscode",
    ".idea",
    ".husky",
    ".cargo",
    ".devcontainer",
    ".yarn",
    ".mvn",
];
/// Protected files, by name anywhere: shell start-up files and configuration that runs code.
const PROTECTED_FILES: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".bash_aliases",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".zlogout",
    ".gitconfig",
    ".gitmodules",
    ".gitattributes",
    ".ripgreprc",
    ".mcp.json",
    ".claude.json",
    ".envrc",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    ".pnp.cjs",
    ".pnp.loader.mjs",
    ".pnpmfile.cjs",
    "bunfig.toml",
    ".bunfig.toml",
    ".bazelrc",
    ".bazelversion",
    ".bazeliskrc",
    ".pre-commit-config.yaml",
    "lefthook.yml",
    ".lefthook.yml",
    "lefthook.yaml",
    ".lefthook.yaml",
    "gradle-wrapper.properties",
    "maven-wrapper.properties",
    ".devcontainer.json",
    "pyrightconfig.json",
];

/// Lexically normalises an absolute path (`.` and `..` removed).
pub fn lexical(p: &Path) -> PathBuf {
    crate::paths::normalize(p)
}

/// The path the kernel would really reach: symlinks resolved component by component, a `..`
/// after a symlink going up from the link's target (unlike [`lexical`]).
pub use crate::paths::canonicalize_lenient as realpath;

/// The forms of one path that rules are checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathForms {
    /// As written, made absolute and lexically normalised ("the link").
    pub lexical: PathBuf,
    /// With every symlink resolved ("the target").
    pub real: PathBuf,
}

impl PathForms {
    pub fn of(p: &Path) -> Self {
        PathForms {
            lexical: lexical(p),
            real: realpath(p),
        }
    }
}

/// Is `real` (already resolved) inside one of `dirs` (resolved)?
pub fn inside(real: &Path, dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| real.starts_with(d))
}

/// Is this a protected path (a write asks whatever the rules or the mode)? Names compare
/// without case (case-insensitive file systems) and without trailing dots or blanks, as
/// Windows and macOS file systems would.
pub fn is_protected(p: &Path) -> bool {
    let names: Vec<String> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(
                n.to_string_lossy()
                    .trim_end_matches(['.', ' '])
                    .to_lowercase(),
            ),
            _ => None,
        })
        .collect();
    let is = |n: &String, list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(n));
    names.iter().any(|n| is(n, PROTECTED_DIRS))
        || names.last().is_some_and(|n| is(n, PROTECTED_FILES))
        || names.windows(2).any(|w| w[0] == ".config" && w[1] == "git")
}

/// Does the directory hold a protected directory or file right below it (`.git`, `.claude`,
/// `.bashrc`, …)? A command that moves or removes the whole directory changes those too.
pub fn holds_protected(dir: &Path) -> bool {
    dir.is_dir()
        && PROTECTED_DIRS
            .iter()
            .chain(PROTECTED_FILES)
            .any(|n| dir.join(n).symlink_metadata().is_ok())
}

/// A path as a shell process reaches it, when that differs from how ccrs reaches it: through
/// `/proc/self` (or `/proc/thread-self`, `/dev/fd`, `/dev/std*`), which is the process that
/// opens the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcPath {
    /// No such link on the way: resolve as usual.
    Plain,
    /// `/proc/self/cwd/REST`: REST under the shell's working directory.
    Cwd(PathBuf),
    /// `/proc/self/root/REST`: `/REST`.
    Root(PathBuf),
    /// Another file of `/proc/self` (a descriptor, the environment, …): what it is depends on
    /// the process.
    Other,
}

/// Where resolving `p` (absolute) goes through the opening process's own `/proc` entry.
pub fn proc_path(p: &Path) -> ProcPath {
    let mut todo: std::collections::VecDeque<std::ffi::OsString> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    let mut out = PathBuf::from("/");
    let mut hops = 0;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            out.pop();
            continue;
        }
        if out == Path::new("/proc") && (c == "self" || c == "thread-self") {
            // Inside the process's own directory only `cwd` and `root` lead elsewhere that
            // matters here; `fd/..` is the directory itself.
            let mut inside: Vec<std::ffi::OsString> = Vec::new();
            let mut rest = todo.into_iter();
            for n in rest.by_ref() {
                if n == ".." {
                    if inside.pop().is_none() {
                        return ProcPath::Other;
                    }
                    continue;
                }
                let first = inside.is_empty();
                inside.push(n.clone());
                if first && (n == "cwd" || n == "root") {
                    break;
                }
            }
            let rest: PathBuf = rest.collect();
            return match inside.first().and_then(|n| n.to_str()) {
                Some("cwd") if inside.len() == 1 => ProcPath::Cwd(rest),
                Some("root") if inside.len() == 1 => ProcPath::Root(rest),
                _ => ProcPath::Other,
            };
        }
        let next = out.join(&c);
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() && hops < 40 => {
                hops += 1;
                let Ok(target) = std::fs::read_link(&next) else {
                    return ProcPath::Plain;
                };
                crate::paths::follow_link(&mut out, &mut todo, &target);
            }
            Ok(_) => out = next,
            Err(_) => return ProcPath::Plain,
        }
    }
    ProcPath::Plain
}

/// Device files a redirection may write without it being a file write (the process's own
/// descriptors, the terminal, the bit bucket).
pub fn is_harmless_device(p: &Path) -> bool {
    let Some(s) = p.to_str() else { return false };
    matches!(s, "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/tty") || own_fd(s)
}

/// Device files reading which reads no user data.
pub fn is_harmless_read(p: &Path) -> bool {
    let Some(s) = p.to_str() else { return false };
    matches!(
        s,
        "/dev/null" | "/dev/stdin" | "/dev/zero" | "/dev/random" | "/dev/urandom" | "/dev/tty"
    ) || own_fd(s)
}

fn own_fd(s: &str) -> bool {
    ["/dev/fd/", "/proc/self/fd/"].iter().any(|pre| {
        s.strip_prefix(pre)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// The directories a rule's path is anchored to.
#[derive(Clone, Debug)]
pub struct Roots {
    /// `./x` and `x`.
    pub cwd: PathBuf,
    /// `~/x`.
    pub home: Option<PathBuf>,
    /// `/x`: the settings source's root.
    pub source_root: PathBuf,
}

/// A `Read(...)`/`Edit(...)` path pattern, compiled.
#[derive(Clone, Debug)]
pub struct PathPattern {
    matchers: Vec<GlobMatcher>,
    /// Matches at any depth anywhere (bare names in deny/ask rules).
    anywhere: bool,
    /// The pattern's fixed leading directories (for "could this match under that dir?").
    prefixes: Vec<PathBuf>,
    /// Its last component starts with a dot: it only matches hidden files (`.env`, `.env.*`),
    /// which recursive searches like ripgrep skip by default.
    hidden_only: bool,
}

fn escape_glob(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{'])
}

fn compile(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .backslash_escape(true)
        .case_insensitive(cfg!(target_os = "macos"))
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| e.to_string())
}

impl PathPattern {
    /// Compiles a specifier. Deny and ask rules with a bare name (`.env`, `secrets/**`) match
    /// at any depth anywhere; allow rules stay under their root (never wider than written).
    pub fn parse(spec: &str, behavior: RuleBehavior, roots: &Roots) -> Result<Self, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("empty path pattern".into());
        }
        let (base, rel, anchored): (PathBuf, &str, bool) = if let Some(rest) =
            spec.strip_prefix("//")
        {
            (PathBuf::from("/"), rest, true)
        } else if spec == "~" || spec.starts_with("~/") {
            let Some(home) = roots.home.clone() else {
                return Err("~ used but the home directory is unknown".into());
            };
            (home, spec.strip_prefix('~').unwrap_or(spec), true)
        } else if spec.starts_with('~') {
            return Err("only ~/ is supported, not ~user".into());
        } else if let Some(rest) = spec.strip_prefix('/') {
            (roots.source_root.clone(), rest, true)
        } else if let Some(rest) = spec.strip_prefix("./") {
            (roots.cwd.clone(), rest, true)
        } else {
            // gitignore: a slash before the end anchors the pattern to its base.
            let body = spec.trim_end_matches('/');
            let single_dir = body
                .strip_suffix("/**")
                .is_some_and(|seg| !seg.contains('/'));
            let anchored = body.contains('/') && !(single_dir && behavior != RuleBehavior::Allow);
            (roots.cwd.clone(), spec, anchored)
        };
        // Doubled slashes are one, as in any path.
        let collapsed = rel
            .split('/')
            .enumerate()
            .filter(|(i, c)| *i == 0 || !c.is_empty())
            .map(|(_, c)| c)
            .collect::<Vec<_>>()
            .join("/");
        let mut rel = collapsed.trim_start_matches('/').trim_end_matches('/');
        while let Some(r) = rel.strip_prefix("./") {
            rel = r;
        }
        if rel.split('/').any(|c| c == "..") {
            return Err("'..' is not allowed in path patterns".into());
        }
        let anywhere = !anchored && behavior != RuleBehavior::Allow;
        let hidden_only = rel
            .rsplit('/')
            .next()
            .is_some_and(|last| last.starts_with('.') && last != "." && last != "..");
        let mut matchers = Vec::new();
        let mut prefixes = Vec::new();
        if anywhere {
            matchers.push(compile(&format!("/**/{rel}"))?);
        } else {
            let mut bases = vec![lexical(&base)];
            let real = realpath(&base);
            if !bases.contains(&real) {
                bases.push(real);
            }
            for b in bases {
                let b_str = b.to_string_lossy();
                let b_esc = escape_glob(b_str.trim_end_matches('/'));
                let pat = match (rel.is_empty(), anchored) {
                    (true, _) => {
                        if b_esc.is_empty() {
                            "/**".to_string()
                        } else {
                            b_esc.clone()
                        }
                    }
                    (false, true) => format!("{b_esc}/{rel}"),
                    (false, false) => format!("{b_esc}/**/{rel}"),
                };
                matchers.push(compile(&pat)?);
                let mut prefix = b.clone();
                if anchored {
                    for seg in rel.split('/') {
                        if has_glob_meta(seg) {
                            break;
                        }
                        prefix.push(seg);
                    }
                }
                prefixes.push(prefix);
            }
        }
        Ok(PathPattern {
            matchers,
            anywhere,
            prefixes,
            hidden_only,
        })
    }

    /// Does the pattern match `p` (absolute, normalised) or one of its directories?
    /// (gitignore: a matched directory covers everything below it.)
    pub fn matches(&self, p: &Path) -> bool {
        p.ancestors()
            .any(|a| self.matchers.iter().any(|m| m.is_match(a)))
    }

    /// True when the pattern can only match hidden files.
    pub fn hidden_only(&self) -> bool {
        self.hidden_only
    }

    /// Could the pattern match something inside directory `dir` (a recursive read of it)?
    pub fn may_match_under(&self, dir: &Path) -> bool {
        if self.anywhere || self.matches(dir) {
            return true;
        }
        self.prefixes
            .iter()
            .any(|p| p.starts_with(dir) || dir.starts_with(p))
    }
}

/// Expands a glob (quoted metacharacters escaped) against the file system, as bash would:
/// `*` and `?` skip dot files unless the component starts with a dot, and a component that
/// starts with a dot may also match `.` and `..` (older bash does). `None` when there are too
/// many entries to tell. No match leaves the pattern itself, unescaped.
pub fn expand_glob(pattern: &str, cwd: &Path) -> Option<Vec<PathBuf>> {
    let absolute = pattern.starts_with('/');
    let mut current: Vec<PathBuf> = vec![if absolute {
        PathBuf::from("/")
    } else {
        cwd.to_path_buf()
    }];
    let mut scanned = 0usize;
    for comp in split_unescaped(pattern) {
        if comp.is_empty() {
            continue;
        }
        if !has_unescaped_meta(&comp) {
            let lit = unescape(&comp);
            for c in &mut current {
                c.push(&lit);
            }
            continue;
        }
        let m = GlobBuilder::new(&comp)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .ok()?
            .compile_matcher();
        let dot_start = comp.starts_with('.');
        let mut next = Vec::new();
        for dir in &current {
            if dot_start {
                for special in [".", ".."] {
                    if m.is_match(special) {
                        next.push(dir.join(special));
                    }
                }
            }
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                scanned += 1;
                if scanned > MAX_GLOB_SCANNED {
                    return None;
                }
                let name = e.file_name();
                let Some(name) = name.to_str() else { continue };
                if name.starts_with('.') && !dot_start {
                    continue;
                }
                if m.is_match(name) {
                    next.push(dir.join(name));
                    if next.len() > MAX_GLOB_MATCHES {
                        return None;
                    }
                }
            }
        }
        if next.is_empty() {
            // bash leaves an unmatched pattern as a literal word.
            let lit = PathBuf::from(unescape(pattern));
            return Some(vec![if absolute { lit } else { cwd.join(lit) }]);
        }
        current = next;
    }
    Some(current)
}

fn split_unescaped(p: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = p.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(last) = out.last_mut() {
                    last.push('\\');
                    if let Some(n) = chars.next() {
                        last.push(n);
                    }
                }
            }
            '/' => out.push(String::new()),
            _ => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

fn has_unescaped_meta(s: &str) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A `//absolute` rule specifier for `p`, with glob metacharacters escaped.
pub fn rule_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    format!("/{}", escape_glob(&s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots() -> Roots {
        Roots {
            cwd: PathBuf::from("/proj"),
            home: Some(PathBuf::from("/home/u")),
            source_root: PathBuf::from("/proj"),
        }
    }

    fn pat(spec: &str, b: RuleBehavior) -> PathPattern {
        PathPattern::parse(spec, b, &roots()).unwrap()
    }

    #[test]
    fn roots_and_anchoring() {
        use RuleBehavior::*;
        assert!(pat("//etc/passwd", Deny).matches(Path::new("/etc/passwd")));
        assert!(pat("~/.ssh/**", Deny).matches(Path::new("/home/u/.ssh/id_rsa")));
        assert!(pat("/src/*.rs", Allow).matches(Path::new("/proj/src/a.rs")));
        assert!(!pat("/src/*.rs", Allow).matches(Path::new("/proj/src/a/b.rs")));
        assert!(pat("./docs", Allow).matches(Path::new("/proj/docs/x.md")));
        // Bare names: anywhere for deny, under the cwd for allow.
        assert!(pat(".env", Deny).matches(Path::new("/proj/a/.env")));
        assert!(pat(".env", Deny).matches(Path::new("/etc/.env")));
        assert!(pat(".env", Allow).matches(Path::new("/proj/a/.env")));
        assert!(!pat(".env", Allow).matches(Path::new("/etc/.env")));
        assert!(pat("*.key", Deny).matches(Path::new("/proj/x/server.key")));
        // A matched directory covers its contents.
        assert!(pat("secrets", Deny).matches(Path::new("/proj/secrets/a/b")));
        // Single-segment dir patterns: any depth for deny, anchored for allow.
        assert!(pat("build/**", Deny).matches(Path::new("/proj/a/build/x")));
        assert!(!pat("build/**", Allow).matches(Path::new("/proj/a/build/x")));
        assert!(pat("build/**", Allow).matches(Path::new("/proj/build/x")));
        assert!(!pat("src/a.rs", Deny).matches(Path::new("/proj/x/src/a.rs")));
        assert!(PathPattern::parse("~root/x", Deny, &roots()).is_err());
        assert!(PathPattern::parse("../x", Allow, &roots()).is_err());
        assert!(PathPattern::parse("[", Allow, &roots()).is_err());
    }

    #[test]
    fn may_match_under() {
        use RuleBehavior::*;
        assert!(pat(".env", Deny).may_match_under(Path::new("/anywhere")));
        let p = pat("//etc/secret/**", Deny);
        assert!(p.may_match_under(Path::new("/etc")));
        assert!(p.may_match_under(Path::new("/etc/secret/x")));
        assert!(!p.may_match_under(Path::new("/proj")));
    }

    #[test]
    fn realpath_resolves_links_before_dotdot() {
        let d = tempfile::tempdir().unwrap();
        let base = realpath(d.path());
        std::fs::create_dir_all(base.join("proj")).unwrap();
        std::fs::create_dir_all(base.join("outside/deep")).unwrap();
        std::os::unix::fs::symlink(base.join("outside/deep"), base.join("proj/link")).unwrap();
        // Lexically this is proj/x; the kernel goes outside/deep/.. = outside/x.
        let p = base.join("proj/link/../x");
        assert_eq!(lexical(&p), base.join("proj/x"));
        assert_eq!(realpath(&p), base.join("outside/x"));
        assert_eq!(
            realpath(&base.join("proj/link/new")),
            base.join("outside/deep/new")
        );
        // A loop does not hang.
        std::os::unix::fs::symlink(base.join("proj/loop"), base.join("proj/loop")).unwrap();
        let _ = realpath(&base.join("proj/loop/x"));
    }

    #[test]
    fn protected() {
        assert!(is_protected(Path::new("/p/.git/config")));
        assert!(is_protected(Path::new("/p/.claude/settings.json")));
        assert!(is_protected(Path::new("/home/u/.bashrc")));
        assert!(is_protected(Path::new("/p/.mcp.json")));
        assert!(!is_protected(Path::new("/p/src/main.rs")));
        assert!(!is_protected(Path::new("/p/.bashrc.d/x")));
        assert!(is_protected(Path::new("/p/.GIT/config")));
        assert!(is_protected(Path::new("/p/.git./hooks/x")));
        assert!(is_protected(Path::new("/h/.config/git/config")));
        assert!(is_protected(Path::new("/p/.npmrc")));
    }

    #[test]
    fn globs_expand_like_bash() {
        let d = tempfile::tempdir().unwrap();
        let base = realpath(d.path());
        std::fs::write(base.join("a.txt"), "").unwrap();
        std::fs::write(base.join(".env"), "").unwrap();
        let got = expand_glob("*", &base).unwrap();
        assert_eq!(got, vec![base.join("a.txt")]);
        let mut got = expand_glob(".*", &base).unwrap();
        got.sort();
        assert!(got.contains(&base.join("..")));
        assert!(got.contains(&base.join(".env")));
        assert_eq!(
            expand_glob("*.none", &base).unwrap(),
            vec![base.join("*.none")]
        );
    }
}
