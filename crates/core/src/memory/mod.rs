//! Memory: the `CLAUDE.md` files, found and delivered the way Claude Code 2.1 does it.
//!
//! At start ([`Memory::discover`]), in this order (later files weigh more for the model):
//! managed (`/etc/claude-code/CLAUDE.md` and its `.claude/rules/`), the user's
//! (`~/.claude/CLAUDE.md`, `~/.claude/rules/**/*.md`), then for every directory from the one
//! below `/` down to the cwd: `CLAUDE.md`, `.claude/CLAUDE.md`, `.claude/rules/**/*.md`,
//! `CLAUDE.local.md`; and, with `CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD=1`, the same
//! files of the `--add-dir` directories. Each file is followed by the files it `@`-imports
//! (depth-first, at most 4 levels below it, each file once).
//!
//! The files reach the model in a `<system-reminder>` text block put before the first user
//! message of every request ([`Memory::reminder`]), not in the system prompt. Memory files
//! further down (below the cwd) and rules whose `paths:` frontmatter matches are delivered when
//! the model first reads a file there ([`Memory::on_file_read`]).
//!
//! Rules that keep a checked-out repository from reading the user's files: a project file only
//! imports files inside the cwd (the user's own `~/.claude/CLAUDE.md` imports anything), unless
//! the user approved external imports in Claude Code (`hasClaudeMdExternalIncludesApproved` in
//! `~/.claude.json`). Only text files are imported. Files over 4 MiB, FIFOs, sockets and devices
//! are skipped without being read, and every skip is reported ([`Memory::problems`]).

pub mod frontmatter;
pub mod markdown;
pub mod read;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Import levels below a file (Claude Code stops at depth 5 counting the file as 0).
const MAX_DEPTH: usize = 5;

/// Above this many characters a memory file is reported as large (Claude Code's
/// `MIN_MEMORY_CHARACTER_COUNT`): it is paid for on every request.
pub const LARGE_CHARS: usize = 40_000;

/// Extensions an import may have (Claude Code's list); a file without one is allowed.
const TEXT_EXTENSIONS: &[&str] = &[
    "md",
    "txt",
    "text",
    "json",
    "yaml",
    "yml",
    "toml",
    "xml",
    "csv",
    "html",
    "htm",
    "css",
    "scss",
    "sass",
    "less",
    "js",
    "ts",
    "tsx",
    "jsx",
    "mjs",
    "cjs",
    "mts",
    "cts",
    "py",
    "pyi",
    "pyw",
    "rb",
    "erb",
    "rake",
    "go",
    "rs",
    "java",
    "kt",
    "kts",
    "scala",
    "c",
    "cpp",
    "cc",
    "cxx",
    "h",
    "hpp",
    "hxx",
    "cs",
    "swift",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ps1",
    "bat",
    "cmd",
    "env",
    "ini",
    "cfg",
    "conf",
    "config",
    "properties",
    "sql",
    "graphql",
    "gql",
    "proto",
    "vue",
    "svelte",
    "astro",
    "ejs",
    "hbs",
    "pug",
    "jade",
    "php",
    "pl",
    "pm",
    "lua",
    "r",
    "dart",
    "ex",
    "exs",
    "erl",
    "hrl",
    "clj",
    "cljs",
    "cljc",
    "edn",
    "hs",
    "lhs",
    "elm",
    "ml",
    "mli",
    "f",
    "f90",
    "f95",
    "for",
    "cmake",
    "make",
    "makefile",
    "gradle",
    "sbt",
    "rst",
    "adoc",
    "asciidoc",
    "org",
    "tex",
    "latex",
    "lock",
    "log",
    "diff",
    "patch",
];

/// The first line of the memory section (Claude Code's words: the model is used to them).
const HEADER: &str = "Codebase and user instructions are shown below. Be sure to adhere to these instructions. IMPORTANT: These instructions OVERRIDE any default behavior and you MUST follow them exactly as written.";

/// Where a memory file comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    /// The organisation's (`/etc/claude-code`).
    Managed,
    /// `~/.claude/CLAUDE.md`, `~/.claude/rules/`.
    User,
    /// `CLAUDE.md`, `.claude/CLAUDE.md`, `.claude/rules/` of the project's directories.
    Project,
    /// `CLAUDE.local.md`.
    Local,
}

impl MemoryKind {
    /// What the model is told about the file.
    pub fn description(self) -> &'static str {
        match self {
            MemoryKind::Managed => "organization-managed policy instructions",
            MemoryKind::User => "user's private global instructions for all projects",
            MemoryKind::Project => "project instructions, checked into the codebase",
            MemoryKind::Local => "user's private project instructions, not checked in",
        }
    }

    /// One word for listings.
    pub fn label(self) -> &'static str {
        match self {
            MemoryKind::Managed => "managed",
            MemoryKind::User => "user",
            MemoryKind::Project => "project",
            MemoryKind::Local => "local",
        }
    }
}

/// One loaded memory file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryFile {
    /// The path as the model sees it (`Contents of <path>`).
    pub path: PathBuf,
    pub kind: MemoryKind,
    /// The text sent: frontmatter and HTML comment blocks removed.
    pub content: String,
    /// The file that imported this one.
    pub parent: Option<PathBuf>,
    /// `paths:` globs of a conditional rule (empty for every other file).
    pub globs: Vec<String>,
}

impl MemoryFile {
    /// A rough token count (four characters a token), for listings.
    pub fn tokens(&self) -> usize {
        self.content.trim().len().div_ceil(4)
    }
}

/// Something about a memory file the user should know (it was skipped, or it is large).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    pub reason: String,
    /// Only listed by `/memory` (an `@name` that is no file is often just a mention).
    pub quiet: bool,
}

/// Where to look, and what is allowed.
#[derive(Clone, Debug, Default)]
pub struct Discovery {
    pub cwd: PathBuf,
    /// `$CLAUDE_CONFIG_DIR` or `~/.claude`.
    pub claude_dir: PathBuf,
    /// `$HOME`, for `@~/` imports.
    pub home: Option<PathBuf>,
    /// Holds the managed `CLAUDE.md` and `.claude/rules/` (`/etc/claude-code`).
    pub managed_dir: PathBuf,
    pub additional_dirs: Vec<PathBuf>,
    /// `CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD`: read the extra directories' files too.
    pub additional_dirs_memory: bool,
    /// The setting sources in force: user files, project files, `CLAUDE.local.md`.
    pub user: bool,
    pub project: bool,
    pub local: bool,
    /// Project files may import files outside the cwd.
    pub include_external: bool,
    /// `CLAUDE_CODE_DISABLE_CLAUDE_MDS`: no files at all.
    pub disabled: bool,
    /// `--bare`: no discovery; only the `--add-dir` directories' files are read (Claude Code:
    /// "provide context explicitly via --add-dir").
    pub bare: bool,
    /// `YYYY-MM-DD`, for the `currentDate` entry.
    pub today: String,
}

impl Discovery {
    /// The usual places for `cwd`, every source on; the caller adjusts the rest.
    pub fn new(cwd: &Path) -> Discovery {
        Discovery {
            cwd: cwd.to_path_buf(),
            claude_dir: crate::paths::claude_dir(),
            home: crate::paths::home_dir(),
            managed_dir: crate::env::nonempty("CCRS_MANAGED_MEMORY_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/etc/claude-code")),
            additional_dirs: Vec::new(),
            additional_dirs_memory: crate::env::flag(
                "CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD",
            ),
            user: true,
            project: true,
            local: true,
            include_external: external_includes_approved(cwd),
            disabled: crate::env::flag("CLAUDE_CODE_DISABLE_CLAUDE_MDS"),
            bare: false,
            today: crate::timeutil::today(),
        }
    }
}

/// Whether the user let Claude Code import files from outside this project
/// (`projects[<cwd>].hasClaudeMdExternalIncludesApproved` in `~/.claude.json`).
fn external_includes_approved(cwd: &Path) -> bool {
    let Some(home) = crate::paths::home_dir() else {
        return false;
    };
    let path = match std::env::var_os("CLAUDE_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(d) => PathBuf::from(d).join(".claude.json"),
        None => home.join(".claude.json"),
    };
    let Ok(text) = read::read_text(&path) else {
        return false;
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    v.get("projects")
        .and_then(|p| p.get(cwd.to_string_lossy().as_ref()))
        .and_then(|p| p.get("hasClaudeMdExternalIncludesApproved"))
        .and_then(serde_json::Value::as_bool)
        .unwrap_or(false)
}

/// A rule with `paths:` frontmatter: delivered when a file matching its globs is read.
#[derive(Clone, Debug)]
struct Conditional {
    file: PathBuf,
    kind: MemoryKind,
    /// The directory the globs are relative to.
    base: PathBuf,
    globs: Vec<String>,
    delivered: bool,
}

/// The memory of a session.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    discovery: Discovery,
    files: Vec<MemoryFile>,
    /// Delivered after start, in order (nested directories, conditional rules).
    later: Vec<MemoryFile>,
    conditional: Vec<Conditional>,
    problems: Vec<Problem>,
    /// Files loaded (normalised paths and symlink targets): each is delivered once.
    processed: HashSet<PathBuf>,
    /// Directories below the cwd whose files were looked for.
    visited: HashSet<PathBuf>,
    /// The `<system-reminder>` block, rendered once per discovery.
    reminder: String,
}

/// The directories from the one below `/` down to `dir` (the root itself is not one).
fn ancestors_top_down(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = dir
        .ancestors()
        .filter(|p| p.parent().is_some())
        .map(Path::to_path_buf)
        .collect();
    v.reverse();
    v
}

/// `path` lies in `dir` (or is it), compared lexically.
fn within(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}

impl Memory {
    /// Finds and reads every memory file (see the module documentation).
    pub fn discover(discovery: Discovery) -> Memory {
        let mut m = Memory {
            discovery,
            ..Default::default()
        };
        m.load_all();
        m
    }

    /// Forgets everything and reads the files again (after `/memory` edits one, at `/clear`
    /// and at compaction: the model gets the files as they are now).
    pub fn reload(&mut self) {
        let mut d = std::mem::take(&mut self.discovery);
        d.today = crate::timeutil::today();
        *self = Memory::discover(d);
    }

    fn load_all(&mut self) {
        let d = self.discovery.clone();
        if d.bare && !d.disabled {
            for dir in &d.additional_dirs {
                self.directory(dir);
            }
        } else if !d.disabled {
            self.load(
                &d.managed_dir.join("CLAUDE.md"),
                MemoryKind::Managed,
                None,
                0,
            );
            self.rules_dir(
                &d.managed_dir.join(".claude").join("rules"),
                MemoryKind::Managed,
                &d.cwd,
            );
            if d.user {
                self.load(&d.claude_dir.join("CLAUDE.md"), MemoryKind::User, None, 0);
                self.rules_dir(&d.claude_dir.join("rules"), MemoryKind::User, &d.cwd);
            }
            for dir in ancestors_top_down(&d.cwd) {
                self.directory(&dir);
            }
            if d.additional_dirs_memory {
                for dir in &d.additional_dirs {
                    self.directory(dir);
                }
            } else {
                for dir in &d.additional_dirs {
                    if ["CLAUDE.md", "CLAUDE.local.md"]
                        .iter()
                        .any(|n| dir.join(n).is_file())
                    {
                        self.problems.push(Problem {
                            quiet: false,
                            path: dir.clone(),
                            reason: "memory files of --add-dir directories are read only with CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD=1 (as in Claude Code)".into(),
                        });
                    }
                }
            }
        }
        for f in &self.files {
            if f.content.len() > LARGE_CHARS {
                self.problems.push(Problem {
                    quiet: false,
                    path: f.path.clone(),
                    reason: format!(
                        "large: {} characters (about {} tokens) sent with every request",
                        f.content.len(),
                        f.tokens()
                    ),
                });
            }
        }
        self.reminder = render_reminder(&self.files, &self.discovery.today);
    }

    /// One directory's files, in Claude Code's order.
    fn directory(&mut self, dir: &Path) {
        let (project, local) = (self.discovery.project, self.discovery.local);
        if project {
            self.load(&dir.join("CLAUDE.md"), MemoryKind::Project, None, 0);
            self.load(
                &dir.join(".claude").join("CLAUDE.md"),
                MemoryKind::Project,
                None,
                0,
            );
            // Rules of the cwd and above: globs relative to the directory holding `.claude`.
            self.rules_dir(&dir.join(".claude").join("rules"), MemoryKind::Project, dir);
        }
        if local {
            self.load(&dir.join("CLAUDE.local.md"), MemoryKind::Local, None, 0);
        }
    }

    /// The `.md` files under a rules directory (sorted, recursively; symlinked directories
    /// followed once). Rules with `paths:` are kept for later.
    fn rules_dir(&mut self, dir: &Path, kind: MemoryKind, base: &Path) {
        let mut stack = vec![dir.to_path_buf()];
        let mut seen: HashSet<PathBuf> = HashSet::new();
        let mut files = Vec::new();
        while let Some(d) = stack.pop() {
            let real = std::fs::canonicalize(&d).unwrap_or_else(|_| d.clone());
            if !seen.insert(real) || seen.len() > 1000 {
                continue;
            }
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            entries.sort();
            // Directories are walked in order: push them reversed onto the stack.
            let mut subdirs = Vec::new();
            for p in entries {
                if p.is_dir() {
                    subdirs.push(p);
                } else if p.extension().is_some_and(|e| e == "md") {
                    files.push(p);
                }
            }
            subdirs.reverse();
            stack.extend(subdirs);
        }
        files.sort();
        for f in files {
            let Ok(text) = read::read_text(&f) else {
                continue;
            };
            let globs = rule_globs(&text);
            if globs.is_empty() {
                self.load(&f, kind, None, 0);
            } else if !self.conditional.iter().any(|c| c.file == f) {
                self.conditional.push(Conditional {
                    file: f,
                    kind,
                    base: if kind == MemoryKind::Project {
                        base.to_path_buf()
                    } else {
                        self.discovery.cwd.clone()
                    },
                    globs,
                    delivered: false,
                });
            }
        }
    }

    /// Loads `path` and what it imports (depth-first, after it) into `self.files`.
    fn load(&mut self, path: &Path, kind: MemoryKind, parent: Option<&Path>, depth: usize) {
        let mut out = Vec::new();
        self.load_into(path, kind, parent, depth, &mut out);
        self.files.extend(out);
    }

    fn load_into(
        &mut self,
        path: &Path,
        kind: MemoryKind,
        parent: Option<&Path>,
        depth: usize,
        out: &mut Vec<MemoryFile>,
    ) {
        let key = crate::paths::normalize(path);
        if depth >= MAX_DEPTH || self.processed.contains(&key) {
            return;
        }
        // The same file by another name (a symlink, a symlinked directory) counts once.
        if let Ok(real) = std::fs::canonicalize(path) {
            if self.processed.contains(&real) {
                return;
            }
            self.processed.insert(real);
        }
        self.processed.insert(key);
        if parent.is_some()
            && let Some(ext) = path.extension().and_then(|e| e.to_str())
            && !TEXT_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
        {
            self.problems.push(Problem {
                path: path.to_path_buf(),
                reason: "not imported: not a text file".into(),
                quiet: true,
            });
            return;
        }
        let raw = match read::read_text(path) {
            Ok(t) => t,
            Err(skip) => {
                if let Some(reason) = skip.describe() {
                    self.problems.push(Problem {
                        path: path.to_path_buf(),
                        reason: format!("not loaded: {reason}"),
                        quiet: false,
                    });
                } else if parent.is_some() {
                    self.problems.push(Problem {
                        path: path.to_path_buf(),
                        reason: "not imported: no such file".into(),
                        quiet: true,
                    });
                }
                return;
            }
        };
        let (front, body) = frontmatter::split(&raw);
        let globs = front
            .map(|f| globs_of(&frontmatter::fields(f)))
            .unwrap_or_default();
        let content = markdown::strip_html_comments(body);
        if content.trim().is_empty() {
            return;
        }
        let imports = markdown::imports(&content);
        out.push(MemoryFile {
            path: path.to_path_buf(),
            kind,
            content,
            parent: parent.map(Path::to_path_buf),
            globs,
        });
        let dir = path.parent().unwrap_or(Path::new("/")).to_path_buf();
        for spec in imports {
            let target = self.resolve(&spec, &dir);
            let outside = kind != MemoryKind::User && !within(&target, &self.discovery.cwd);
            if outside && !self.discovery.include_external {
                // Reported once, however many files import it.
                if !self.processed.contains(&target)
                    && !self.problems.iter().any(|p| p.path == target)
                {
                    self.problems.push(Problem {
                        quiet: false,
                        path: target,
                        reason: format!(
                            "not imported by {}: outside the project (Claude Code asks before importing it; approve it there, or import it from ~/.claude/CLAUDE.md)",
                            path.display()
                        ),
                    });
                }
                continue;
            }
            if depth + 1 >= MAX_DEPTH && !self.processed.contains(&target) {
                self.problems.push(Problem {
                    quiet: false,
                    path: target,
                    reason: format!(
                        "not imported by {}: imports nest at most {} levels",
                        path.display(),
                        MAX_DEPTH - 1
                    ),
                });
                continue;
            }
            self.load_into(&target, kind, Some(path), depth + 1, out);
        }
    }

    /// An import as a path: `~/` from home, relative to the importing file's directory.
    fn resolve(&self, spec: &str, dir: &Path) -> PathBuf {
        let p = match spec.strip_prefix("~/") {
            Some(rest) => match &self.discovery.home {
                Some(h) => h.join(rest),
                None => PathBuf::from(spec),
            },
            None => dir.join(spec),
        };
        crate::paths::normalize(&p)
    }

    /// The files loaded at start, in the order the model gets them.
    pub fn files(&self) -> &[MemoryFile] {
        &self.files
    }

    /// Files delivered since (nested directories, conditional rules), in order.
    pub fn later_files(&self) -> &[MemoryFile] {
        &self.later
    }

    /// Files that were skipped or are large, and imports that were not followed.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The `<system-reminder>` text block that goes before the first user message.
    pub fn reminder(&self) -> &str {
        &self.reminder
    }

    /// About how many tokens the reminder costs on every request.
    pub fn reminder_tokens(&self) -> usize {
        self.reminder.len().div_ceil(4)
    }

    /// The memory that reading `file` brings in: the memory files of the directories between
    /// the cwd and the file's directory not looked at yet, and the conditional rules whose
    /// globs match it. Each file comes once per discovery.
    pub fn on_file_read(&mut self, file: &Path) -> Vec<MemoryFile> {
        if self.discovery.disabled || self.discovery.bare {
            return Vec::new();
        }
        let file = crate::paths::normalize(file);
        let cwd = self.discovery.cwd.clone();
        let before = self.files.len();
        if within(&file, &cwd)
            && let Some(parent) = file.parent()
        {
            let below: Vec<PathBuf> = ancestors_top_down(parent)
                .into_iter()
                .filter(|d| d.starts_with(&cwd) && *d != cwd)
                .collect();
            for dir in below {
                if self.visited.insert(dir.clone()) {
                    self.directory(&dir);
                }
            }
        }
        for i in 0..self.conditional.len() {
            let c = &self.conditional[i];
            if c.delivered || !matches_globs(&c.base, &c.globs, &file) {
                continue;
            }
            let (path, kind) = (c.file.clone(), c.kind);
            self.conditional[i].delivered = true;
            self.load(&path, kind, None, 0);
        }
        let new: Vec<MemoryFile> = self.files.split_off(before);
        self.later.extend(new.iter().cloned());
        new
    }
}

/// `paths:` of a rule file (Claude Code drops a trailing `/**` and treats `**` alone as
/// "everywhere", i.e. not conditional).
fn rule_globs(text: &str) -> Vec<String> {
    match frontmatter::split(text).0 {
        Some(f) => globs_of(&frontmatter::fields(f)),
        None => Vec::new(),
    }
}

fn globs_of(fields: &[(String, frontmatter::Value)]) -> Vec<String> {
    let Some(v) = frontmatter::get(fields, "paths") else {
        return Vec::new();
    };
    let globs: Vec<String> = v
        .list()
        .into_iter()
        .map(|g| g.strip_suffix("/**").map(str::to_string).unwrap_or(g))
        .filter(|g| !g.is_empty())
        .collect();
    if globs.iter().all(|g| g == "**") {
        return Vec::new();
    }
    globs
}

/// Gitignore-style matching of `file` (inside `base`) against `globs`.
fn matches_globs(base: &Path, globs: &[String], file: &Path) -> bool {
    let Ok(rel) = file.strip_prefix(base) else {
        return false;
    };
    if rel.as_os_str().is_empty() {
        return false;
    }
    let mut b = ignore::gitignore::GitignoreBuilder::new(base);
    for g in globs {
        let _ = b.add_line(None, g);
    }
    match b.build() {
        Ok(gi) => gi.matched_path_or_any_parents(rel, false).is_ignore(),
        Err(_) => false,
    }
}

/// `Contents of <path> (<description>):\n\n<content>` for each file, joined by blank lines.
fn memory_section(files: &[MemoryFile]) -> String {
    let entries: Vec<String> = files
        .iter()
        .filter(|f| !f.content.trim().is_empty())
        .map(|f| {
            format!(
                "Contents of {} ({}):\n\n{}",
                f.path.display(),
                f.kind.description(),
                f.content.trim()
            )
        })
        .collect();
    if entries.is_empty() {
        return String::new();
    }
    format!("{HEADER}\n\n{}", entries.join("\n\n"))
}

/// The context block of the first user message, byte for byte as Claude Code 2.1.197 sends
/// it (recorded in `crates/cli/tests/it/fixtures/memory/`).
pub fn render_reminder(files: &[MemoryFile], today: &str) -> String {
    let mut entries = Vec::new();
    let section = memory_section(files);
    if !section.is_empty() {
        entries.push(format!("# claudeMd\n{section}"));
    }
    entries.push(format!("# currentDate\nToday's date is {today}."));
    format!(
        "<system-reminder>\nAs you answer the user's questions, you can use the following context:\n{}\n\n      IMPORTANT: this context may or may not be relevant to your tasks. You should not respond to this context unless it is highly relevant to your task.\n</system-reminder>\n\n",
        entries.join("\n")
    )
}

/// How a file loaded after start reaches the model: a reminder block after the tool result
/// that read it.
pub fn render_later(file: &MemoryFile) -> String {
    format!(
        "<system-reminder>\nContents of {}:\n\n{}\n</system-reminder>",
        file.path.display(),
        file.content.trim()
    )
}

#[cfg(test)]
mod tests;
