//! Slash commands: the built-in table every front end shares, and custom commands — markdown
//! files in `.claude/commands/` (project) and `<claude dir>/commands/` (user;
//! `CLAUDE_CONFIG_DIR` replaces `~/.claude`).
//!
//! The file name (without `.md`) is the command; subfolders are namespaces
//! (`frontend/component.md` → `/frontend:component`). The body is the prompt. Optional
//! frontmatter between `---` lines: `description`, `argument-hint`, `allowed-tools` (rules
//! allowed for that turn only) and `model` (that turn only).
//!
//! Arguments as Claude Code 2.1.197 expands them (recorded against the mock): `$ARGUMENTS` is
//! the raw argument string; `$0`, `$1`, … and `$ARGUMENTS[0]`, … are the arguments split on
//! whitespace (quotes group), counted from **0**; a missing one expands to nothing; `\$1`
//! stays a literal `$1`; `${CLAUDE_SESSION_ID}` is the session id. When the body uses no
//! placeholder at all, non-empty arguments are appended as `ARGUMENTS: …` so they are never
//! silently dropped. `` !`cmd` `` spans are run by the session (see [`shell_spans`]); the
//! model gets the command's name and arguments first ([`invocation_block`]), as Claude Code
//! sends them.

use std::path::{Path, PathBuf};

const MAX_DEPTH: usize = 4;
const MAX_COMMANDS: usize = 500;

/// What a built-in command does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuiltinKind {
    /// The front end handles it (it shows or changes something local).
    Local,
    /// It sends this prompt to the model, like a custom command.
    Prompt(&'static str),
}

/// A built-in command: name, aliases, argument hint, description.
#[derive(Debug)]
pub struct Builtin {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub hint: &'static str,
    pub description: &'static str,
    pub kind: BuiltinKind,
}

/// What the prompt says for `/init` (our own wording).
pub const INIT_PROMPT: &str = "Look through this repository and write a CLAUDE.md file at its root. Future coding sessions in this repository (ccrs or Claude Code) will read it first, so it should hold what they cannot quickly see for themselves:\n\n1. How to build, lint and test the project, including how to run a single test.\n2. The big-picture architecture: how the main parts fit together and where to look for what, the things that take reading several files to understand.\n\nKeep it short and specific to this project: no generic advice, no list of every file, nothing invented. Fold in the important parts of any README.md, CONTRIBUTING file, .cursorrules, .cursor/rules/ or .github/copilot-instructions.md. If a CLAUDE.md already exists, improve it instead of starting over.\n\nBegin the file with:\n\n```\n# CLAUDE.md\n\nThis file gives guidance to ccrs and Claude Code when working with code in this repository.\n```";

const fn local(
    name: &'static str,
    aliases: &'static [&'static str],
    hint: &'static str,
    description: &'static str,
) -> Builtin {
    Builtin {
        name,
        aliases,
        hint,
        description,
        kind: BuiltinKind::Local,
    }
}

pub const BUILTINS: &[Builtin] = &[
    local("help", &["h", "?"], "", "Show help and available commands"),
    local(
        "clear",
        &["reset", "new"],
        "",
        "Start a new conversation (history and context are cleared)",
    ),
    local(
        "model",
        &[],
        "[model]",
        "List the models, or set the model for the next requests",
    ),
    local(
        "cost",
        &[],
        "",
        "Show the cost and duration of this session",
    ),
    local(
        "status",
        &[],
        "",
        "Show version, session, model, account and settings",
    ),
    local(
        "permissions",
        &["allowed-tools"],
        "",
        "Show the permission rules in force and where they come from",
    ),
    local("todos", &[], "", "Show the current todo list"),
    local("skills", &[], "", "List the skills the model can load"),
    local(
        "compact",
        &[],
        "[instructions]",
        "Summarize the conversation to free context (memory, todos and your last message stay)",
    ),
    local(
        "memory",
        &[],
        "[number]",
        "List the memory files (CLAUDE.md) in use, or open one in $EDITOR",
    ),
    local(
        "mcp",
        &[],
        "",
        "Show the MCP servers: state, tools, why one failed",
    ),
    local(
        "sandbox",
        &[],
        "",
        "Show the Bash sandbox: mode, what is in force, kernel support",
    ),
    Builtin {
        name: "init",
        aliases: &[],
        hint: "",
        description: "Ask ccrs to write a CLAUDE.md describing this project",
        kind: BuiltinKind::Prompt(INIT_PROMPT),
    },
    local("login", &[], "", "Log in (API key or Claude account)"),
    local("logout", &[], "", "Remove the stored credential"),
    local("quit", &["q", "exit"], "", "Exit ccrs"),
];

/// The built-in command called `name` (or one of its aliases).
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|b| b.name == name || b.aliases.contains(&name))
}

/// Splits `/name args` when the input is a command invocation. A name is letters, digits, `-`,
/// `_` and `:` (namespaces); anything else after the slash (`/usr/bin/ls what is it`) is a
/// prompt, as in Claude Code.
pub fn parse_invocation(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix('/')?;
    let (name, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest.trim_end(), ""),
    };
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | '?'));
    valid.then_some((name, args))
}

/// The closest command names to `name` (edit distance ≤ 2, or a prefix), best first.
pub fn suggestions(name: &str, custom: &[CustomCommand]) -> Vec<String> {
    let mut names: Vec<String> = BUILTINS
        .iter()
        .flat_map(|b| std::iter::once(b.name).chain(b.aliases.iter().copied()))
        .map(str::to_string)
        .collect();
    names.extend(custom.iter().map(|c| c.name.clone()));
    let mut scored: Vec<(usize, String)> = names
        .into_iter()
        .filter_map(|n| {
            let d = crate::tools::textfile::edit_distance(name, &n);
            let limit = if name.len() <= 3 { 1 } else { 2 };
            if d <= limit || (name.len() >= 2 && n.starts_with(name)) {
                Some((d, n))
            } else {
                None
            }
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}

/// At most `max` characters, with `…` when cut.
fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s.chars().count() > max => format!("{}…", &s[..i]),
        _ => s.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Project,
    User,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomCommand {
    /// Without the slash: `review` or `frontend:component`.
    pub name: String,
    pub scope: Scope,
    pub description: String,
    pub argument_hint: Option<String>,
    pub allowed_tools: Vec<String>,
    pub model: Option<String>,
    /// `disable-model-invocation`: only the user may run it (not the model's Skill tool).
    pub disable_model_invocation: bool,
    pub body: String,
    pub path: PathBuf,
}

impl CustomCommand {
    /// `(project)`, `(user)`, `(project:frontend)`.
    pub fn origin(&self) -> String {
        let scope = match self.scope {
            Scope::Project => "project",
            Scope::User => "user",
        };
        match self.name.rsplit_once(':') {
            Some((ns, _)) => format!("({scope}:{ns})"),
            None => format!("({scope})"),
        }
    }
}

/// Every command, project ones first; a project command hides a user one of the same name.
pub fn discover(cwd: &Path, claude_dir: &Path) -> Vec<CustomCommand> {
    let mut out = Vec::new();
    scan(&cwd.join(".claude/commands"), Scope::Project, &mut out);
    let mut user = Vec::new();
    scan(&claude_dir.join("commands"), Scope::User, &mut user);
    for c in user {
        if !out.iter().any(|p: &CustomCommand| p.name == c.name) {
            out.push(c);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn scan(root: &Path, scope: Scope, out: &mut Vec<CustomCommand>) {
    let mut stack = vec![(root.to_path_buf(), Vec::<String>::new())];
    while let Some((dir, ns)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            if out.len() >= MAX_COMMANDS {
                return;
            }
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = e.path();
            if path.is_dir() {
                if ns.len() < MAX_DEPTH {
                    let mut n = ns.clone();
                    n.push(name);
                    stack.push((path, n));
                }
                continue;
            }
            let Some(stem) = name.strip_suffix(".md") else {
                continue;
            };
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let mut full = ns.clone();
            full.push(stem.to_string());
            out.push(parse(&full.join(":"), scope, &text, path.clone()));
        }
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_string();
        }
    }
    v.to_string()
}

fn list_value(v: &str) -> Vec<String> {
    let v = v.trim();
    let inner = v
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(v);
    crate::permissions::split_rule_list(inner)
        .into_iter()
        .map(|s| unquote(&s))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parses a command file (frontmatter is optional and lenient: unknown keys are ignored).
pub fn parse(name: &str, scope: Scope, text: &str, path: PathBuf) -> CustomCommand {
    let mut description = None;
    let mut argument_hint = None;
    let mut allowed_tools = Vec::new();
    let mut model = None;
    let mut disable_model_invocation = false;
    let mut body = text;
    let t = text.trim_start_matches('\u{feff}');
    if let Some(rest) = t
        .strip_prefix("---\n")
        .or_else(|| t.strip_prefix("---\r\n"))
        // The closing `---` line; right away when the frontmatter is empty.
        && let Some((end, after)) = if rest.starts_with("---") {
            Some((0, 3))
        } else {
            rest.find("\n---").map(|i| (i, i + 4))
        }
    {
        let front = &rest[..end];
        let after = &rest[after..];
        body = after.strip_prefix('\r').unwrap_or(after);
        body = body.strip_prefix('\n').unwrap_or(body);
        let mut current_list: Option<&str> = None;
        for line in front.lines() {
            let trimmed = line.trim();
            if let Some(item) = trimmed.strip_prefix("- ")
                && current_list == Some("allowed-tools")
            {
                allowed_tools.push(unquote(item));
                continue;
            }
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let key = k.trim();
            current_list = None;
            match key {
                "description" => description = Some(unquote(v)),
                "argument-hint" => argument_hint = Some(unquote(v)),
                "model" => model = Some(unquote(v)).filter(|m| !m.is_empty()),
                "disable-model-invocation" => disable_model_invocation = unquote(v) == "true",
                "allowed-tools" => {
                    if v.trim().is_empty() {
                        current_list = Some("allowed-tools");
                    } else {
                        allowed_tools.extend(list_value(v));
                    }
                }
                _ => {}
            }
        }
    }
    let description = description.filter(|d| !d.is_empty()).unwrap_or_else(|| {
        let first = body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .trim_start_matches('#')
            .trim();
        truncate(first, 80)
    });
    CustomCommand {
        name: name.to_string(),
        scope,
        description,
        argument_hint: argument_hint.filter(|h| !h.is_empty()),
        allowed_tools,
        model,
        disable_model_invocation,
        body: body.to_string(),
        path,
    }
}

/// The text block Claude Code 2.1.197 puts before an expanded custom command.
pub fn invocation_block(name: &str, args: &str) -> String {
    format!(
        "<command-message>{name}</command-message>\n<command-name>/{name}</command-name>\n<command-args>{}</command-args>\n",
        args.trim()
    )
}

/// The `` !`cmd` `` spans of an expanded body: where each is, and the command.
pub fn shell_spans(body: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = body[from..].find("!`").map(|i| i + from) {
        let start = i + 2;
        match body[start..].find('`') {
            Some(len) if len > 0 && !body[start..start + len].contains('\n') => {
                out.push((i..start + len + 1, body[start..start + len].to_string()));
                from = start + len + 1;
            }
            _ => from = start,
        }
    }
    out
}

/// Splits arguments on whitespace; `"…"` and `'…'` group words.
pub fn split_args(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    for c in args.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                has = true;
            }
            None if c.is_whitespace() => {
                if has {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => {
                cur.push(c);
                has = true;
            }
        }
    }
    if has {
        out.push(cur);
    }
    out
}

/// The prompt a command sends for `args` (without a session id).
pub fn expand(body: &str, args: &str) -> String {
    expand_in(body, args, "")
}

/// The prompt a command sends for `args` in session `session_id`.
pub fn expand_in(body: &str, args: &str, session_id: &str) -> String {
    let args = args.trim();
    let positional = split_args(args);
    let mut out = String::with_capacity(body.len() + args.len());
    let mut used = false;
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < body.len() {
        let rest = &body[i..];
        if rest.starts_with("\\$") {
            out.push('$');
            i += 2;
            continue;
        }
        if rest.starts_with("${CLAUDE_SESSION_ID}") {
            out.push_str(session_id);
            i += "${CLAUDE_SESSION_ID}".len();
            continue;
        }
        if let Some(after) = rest.strip_prefix("$ARGUMENTS") {
            // `$ARGUMENTS[N]`: one argument, counted from 0.
            if let Some(idx) = after.strip_prefix('[')
                && let Some(close) = idx.find(']')
                && let Ok(n) = idx[..close].parse::<usize>()
            {
                if let Some(a) = positional.get(n) {
                    out.push_str(a);
                }
                used = true;
                i += "$ARGUMENTS[".len() + close + 1;
                continue;
            }
            out.push_str(args);
            used = true;
            i += "$ARGUMENTS".len();
            continue;
        }
        if bytes[i] == b'$' {
            let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0
                && let Ok(n) = rest[1..1 + digits].parse::<usize>()
            {
                if let Some(a) = positional.get(n) {
                    out.push_str(a);
                }
                used = true;
                i += 1 + digits;
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        out.push(c);
        i += c.len_utf8();
    }
    if !used && !args.is_empty() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str("\nARGUMENTS: ");
        out.push_str(args);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_arguments_and_positionals() {
        // Recorded from Claude Code 2.1.197 (`/cmd2 x 'y z' w`): positionals count from 0.
        assert_eq!(
            expand_in(
                "zero=$0 one=$1 two=$2 three=$3 arr=$ARGUMENTS[1] esc=\\$1 sess=${CLAUDE_SESSION_ID}\n",
                "x 'y z' w",
                "sid-1"
            ),
            "zero=x one=y z two=w three= arr=y z esc=$1 sess=sid-1\n"
        );
        assert_eq!(
            expand("First arg $1, second $2, all: $ARGUMENTS\n", "x 'y z'"),
            "First arg y z, second , all: x 'y z'\n"
        );
        assert_eq!(
            expand("Fix issue #$0 with priority $1: $ARGUMENTS", "123 high"),
            "Fix issue #123 with priority high: 123 high"
        );
        assert_eq!(expand("A $0 B $2.", "x"), "A x B .");
        assert_eq!(
            expand("Cost \\$1 each", "x"),
            "Cost $1 each\n\nARGUMENTS: x"
        );
        assert_eq!(expand("Plain body", ""), "Plain body");
        assert_eq!(
            expand("Plain body\n", "a b"),
            "Plain body\n\nARGUMENTS: a b"
        );
        assert_eq!(
            expand("Say $0 to $1", "\"hello world\" 'dear friend'"),
            "Say hello world to dear friend"
        );
        assert_eq!(expand("$ARGUMENTS[9] $ARGUMENTS[x]", "a"), " a[x]");
    }

    #[test]
    fn shell_spans_and_the_invocation_block() {
        let body = "A: !`echo hi; echo err >&2`\nnot !` ` nor !`un\nclosed` but !`date`";
        let spans: Vec<String> = shell_spans(body).into_iter().map(|(_, c)| c).collect();
        assert_eq!(spans, ["echo hi; echo err >&2", " ", "date"]);
        assert_eq!(
            shell_spans("no bang `x` here"),
            Vec::<(std::ops::Range<usize>, String)>::new()
        );
        assert_eq!(
            invocation_block("cmd", "x 'y z'"),
            "<command-message>cmd</command-message>\n<command-name>/cmd</command-name>\n<command-args>x 'y z'</command-args>\n"
        );
    }

    #[test]
    fn invocations_and_suggestions() {
        assert_eq!(parse_invocation("/model haiku"), Some(("model", "haiku")));
        assert_eq!(parse_invocation("  /help"), Some(("help", "")));
        assert_eq!(parse_invocation("/fix   a b "), Some(("fix", "a b")));
        assert_eq!(
            parse_invocation("/frontend:component X"),
            Some(("frontend:component", "X"))
        );
        assert_eq!(parse_invocation("hello"), None);
        assert_eq!(parse_invocation("/usr/bin/ls what is it"), None);
        assert_eq!(parse_invocation("/"), None);
        assert_eq!(suggestions("modle", &[]), ["model"]);
        assert_eq!(suggestions("cler", &[]), ["clear"]);
        assert_eq!(suggestions("perm", &[]), ["permissions"]);
        assert!(suggestions("zzzzzz", &[]).is_empty());
        assert_eq!(
            crate::tools::textfile::edit_distance("kitten", "sitting"),
            3
        );
        assert_eq!(builtin("exit").map(|b| b.name), Some("quit"));
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn parses_frontmatter() {
        let text = "---\ndescription: \"Review the code\"\nargument-hint: [file]\nallowed-tools: Bash(git diff:*), Read\nmodel: haiku\n---\nReview $ARGUMENTS carefully.\n";
        let c = parse("review", Scope::Project, text, PathBuf::from("x.md"));
        assert_eq!(c.description, "Review the code");
        assert_eq!(c.argument_hint.as_deref(), Some("[file]"));
        assert_eq!(c.allowed_tools, ["Bash(git diff:*)", "Read"]);
        assert_eq!(c.model.as_deref(), Some("haiku"));
        assert_eq!(c.body, "Review $ARGUMENTS carefully.\n");
        let listed = "---\nallowed-tools:\n  - Read\n  - \"Bash(ls)\"\n---\n# Heading line\nbody";
        let c = parse("x", Scope::User, listed, PathBuf::from("x.md"));
        assert_eq!(c.allowed_tools, ["Read", "Bash(ls)"]);
        assert_eq!(c.description, "Heading line");
        // Empty frontmatter: nothing of it is left in the prompt.
        let c = parse(
            "x",
            Scope::User,
            "---\n---\nDo it.\n",
            PathBuf::from("x.md"),
        );
        assert_eq!(c.body, "Do it.\n");
        assert_eq!(c.description, "Do it.");
    }

    #[test]
    fn discovers_namespaces_and_project_wins() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("proj");
        let claude = d.path().join("claude");
        std::fs::create_dir_all(cwd.join(".claude/commands/frontend")).unwrap();
        std::fs::create_dir_all(claude.join("commands")).unwrap();
        std::fs::write(
            cwd.join(".claude/commands/frontend/component.md"),
            "Make a component $1",
        )
        .unwrap();
        std::fs::write(cwd.join(".claude/commands/review.md"), "project review").unwrap();
        std::fs::write(claude.join("commands/review.md"), "user review").unwrap();
        std::fs::write(claude.join("commands/mine.md"), "mine").unwrap();
        std::fs::write(claude.join("commands/notes.txt"), "ignored").unwrap();
        let cmds = discover(&cwd, &claude);
        let names: Vec<_> = cmds.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["frontend:component", "mine", "review"]);
        let review = cmds.iter().find(|c| c.name == "review").unwrap();
        assert_eq!(review.scope, Scope::Project);
        assert_eq!(review.body, "project review");
        assert_eq!(cmds[0].origin(), "(project:frontend)");
    }
}
