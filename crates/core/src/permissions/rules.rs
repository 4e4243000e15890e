//! Permission rule grammar: `Tool`, `Tool(*)`, `Tool(specifier)`, where they came from, and
//! how each kind of specifier matches.

use super::canon::{Invocation, Pattern};
use super::paths::{PathPattern, Roots};
use super::web::DomainPattern;
use regex::Regex;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleBehavior {
    Allow,
    Ask,
    Deny,
}

impl RuleBehavior {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleBehavior::Allow => "allow",
            RuleBehavior::Ask => "ask",
            RuleBehavior::Deny => "deny",
        }
    }
}

/// Where a rule came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleSource {
    /// `/etc/claude-code/managed-settings.json`.
    Managed,
    /// `--settings <file or JSON>`.
    FlagSettings,
    /// `--allowedTools` / `--disallowedTools`.
    CliArg,
    /// `.claude/settings.local.json`.
    LocalSettings,
    /// `.claude/settings.json`.
    ProjectSettings,
    /// `~/.claude/settings.json`.
    UserSettings,
    /// Granted during this session ("yes" with session scope, SDK updates).
    Session,
}

impl RuleSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            RuleSource::Managed => "policySettings",
            RuleSource::FlagSettings => "flagSettings",
            RuleSource::CliArg => "cliArg",
            RuleSource::LocalSettings => "localSettings",
            RuleSource::ProjectSettings => "projectSettings",
            RuleSource::UserSettings => "userSettings",
            RuleSource::Session => "session",
        }
    }

    /// The directory `/path` patterns of this source are relative to: the project root for
    /// project and local settings, the settings directory (`~/.claude`) for user settings, the
    /// file's directory for `--settings` and managed files, the cwd otherwise.
    pub fn root(&self, file: Option<&Path>, cwd: &Path) -> PathBuf {
        let parent = |f: &Path| f.parent().map(Path::to_path_buf);
        match (self, file) {
            (RuleSource::ProjectSettings | RuleSource::LocalSettings, Some(f)) => f
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf)
                .unwrap_or_else(|| cwd.to_path_buf()),
            (
                RuleSource::UserSettings | RuleSource::FlagSettings | RuleSource::Managed,
                Some(f),
            ) => parent(f).unwrap_or_else(|| cwd.to_path_buf()),
            (RuleSource::UserSettings, None) => crate::paths::claude_dir(),
            _ => cwd.to_path_buf(),
        }
    }
}

/// A rule string with its behaviour and origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcedRule {
    pub behavior: RuleBehavior,
    pub rule: String,
    pub source: RuleSource,
    /// The file the rule was read from, when it came from a file: `/path` patterns are
    /// relative to that file's settings root.
    pub file: Option<PathBuf>,
}

impl SourcedRule {
    pub fn new(behavior: RuleBehavior, rule: impl Into<String>, source: RuleSource) -> Self {
        SourcedRule {
            behavior,
            rule: rule.into(),
            source,
            file: None,
        }
    }

    /// "`rule` from `file`" (or the source name), for messages.
    pub fn origin(&self) -> String {
        match &self.file {
            Some(f) => f.display().to_string(),
            None => match self.source {
                RuleSource::CliArg => "the command line".to_string(),
                RuleSource::FlagSettings => "--settings".to_string(),
                RuleSource::Session => "this session".to_string(),
                _ => self.source.as_str().to_string(),
            },
        }
    }
}

/// Why a rule string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("empty rule")]
    Empty,
    #[error("unbalanced parentheses")]
    Unbalanced,
    #[error("'{0}' is not a valid tool name")]
    BadToolName(String),
    #[error("empty specifier in parentheses (use Tool or Tool(*) for every use)")]
    EmptySpecifier,
    #[error("tool-name wildcards are only allowed in deny and ask rules")]
    WildcardInAllow,
    #[error("bad command pattern: {0}")]
    BadCommand(String),
    #[error("bad path pattern: {0}")]
    BadPath(String),
    #[error("{0}")]
    BadDomain(String),
}

/// Which tools a rule names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolPattern {
    Exact(String),
    /// `mcp__server` or `mcp__server__*`: every tool of the server.
    McpServer(String),
    /// `*`, `mcp__*`, … (deny/ask only).
    Glob(String),
}

impl ToolPattern {
    pub fn matches(&self, tool: &str) -> bool {
        match self {
            ToolPattern::Exact(n) => n == tool || same_tool(n, tool),
            ToolPattern::McpServer(s) => tool
                .strip_prefix("mcp__")
                .and_then(|r| r.strip_prefix(s.as_str()))
                .is_some_and(|r| r.starts_with("__")),
            ToolPattern::Glob(g) => wildcard_match(g, tool),
        }
    }

    /// The exact tool name, if the pattern names one tool.
    pub fn exact(&self) -> Option<&str> {
        match self {
            ToolPattern::Exact(n) => Some(n),
            _ => None,
        }
    }
}

/// Old and new names of the same tool.
const ALIASES: &[&[&str]] = &[
    &["Task", "Agent"],
    &["BashOutput", "TaskOutput", "AgentOutputTool"],
    &["KillShell", "KillBash", "TaskStop"],
];

fn same_tool(a: &str, b: &str) -> bool {
    ALIASES.iter().any(|g| g.contains(&a) && g.contains(&b))
}

fn wildcard_match(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = s.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A Bash command pattern: exact, legacy `prefix:*`, or 2.1 `*` wildcards.
#[derive(Clone, Debug)]
pub struct CommandPattern {
    re: Regex,
    /// No wildcard: the rule names one command line exactly.
    exact: bool,
    /// Characters of fixed text before the first wildcard.
    literal: usize,
    /// `npm test :*` (a blank before `:*`): Claude Code never matches it, nor does ccrs.
    never: bool,
    /// The rule's command as a program with options (for deny and ask rules).
    program: Option<Pattern>,
}

impl CommandPattern {
    pub fn parse(spec: &str) -> Result<Self, RuleError> {
        // Only trimmed: blanks inside quotes are part of the command. `\(` and `\)` are
        // parentheses (settings files escape them so the rule's own parentheses balance).
        let s = spec.trim().replace("\\(", "(").replace("\\)", ")");
        if s.is_empty() {
            return Err(RuleError::EmptySpecifier);
        }
        let program = Pattern::parse(&s);
        let mut never = false;
        let (body, open_tail) = if let Some(p) = s.strip_suffix(":*").filter(|p| !p.ends_with('\\'))
        {
            never = p.ends_with(char::is_whitespace);
            (p.trim_end().to_string(), true)
        } else if let Some(p) = s.strip_suffix(" *").filter(|p| !p.ends_with('\\')) {
            (p.to_string(), true)
        } else {
            (s.clone(), false)
        };
        if body.is_empty() {
            return Err(RuleError::BadCommand(format!(
                "'{spec}' has no command before the wildcard"
            )));
        }
        let mut re = String::from("(?s)^");
        let mut exact = !open_tail;
        let mut literal = 0usize;
        let mut wild = false;
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if matches!(chars.peek(), Some('*' | '\\')) => {
                    if let Some(n) = chars.next() {
                        re.push_str(&regex::escape(&n.to_string()));
                    }
                    if !wild {
                        literal += 1;
                    }
                }
                '*' => {
                    exact = false;
                    wild = true;
                    re.push_str(".*");
                }
                c => {
                    re.push_str(&regex::escape(&c.to_string()));
                    if !wild {
                        literal += 1;
                    }
                }
            }
        }
        if open_tail {
            // `git *` / `git:*` also match the bare `git`; never `gitk` (word boundary).
            re.push_str("(?: .*)?");
        }
        re.push('$');
        let re = Regex::new(&re).map_err(|e| RuleError::BadCommand(e.to_string()))?;
        Ok(CommandPattern {
            re,
            exact,
            literal,
            never,
            program,
        })
    }

    pub fn matches(&self, command: &str) -> bool {
        !self.never && self.re.is_match(command)
    }

    /// Does the rule match this allow form (its fixed text long enough to name the program)?
    pub fn matches_form(&self, text: &str, min_literal: usize) -> bool {
        self.literal >= min_literal && self.matches(text)
    }

    /// Does the rule name this command as a program (any spelling of its options)?
    pub fn matches_invocation(&self, inv: &Invocation) -> bool {
        !self.never && self.program.as_ref().is_some_and(|p| p.matches(inv))
    }

    /// A rule written so that it never matches (a blank before `:*`).
    pub fn never_matches(&self) -> bool {
        self.never
    }

    /// True for an exact command (no `*`, no `:*`).
    pub fn is_exact(&self) -> bool {
        self.exact
    }
}

/// What a rule's parentheses say.
#[derive(Clone, Debug)]
pub enum Specifier {
    /// No parentheses, or `(*)`: every use of the tool.
    Any,
    Command(CommandPattern),
    Path(PathPattern),
    Domain(DomainPattern),
    /// A specifier ccrs cannot evaluate for this tool: the rule never matches.
    Unsupported(String),
}

/// A parsed rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub tool: ToolPattern,
    pub spec: Specifier,
}

/// Tools whose specifier is a path pattern.
pub const PATH_TOOLS: &[&str] = &[
    "Read",
    "Edit",
    "Write",
    "MultiEdit",
    "NotebookEdit",
    "NotebookRead",
    "Glob",
    "Grep",
    "LS",
];

/// Parses one rule string for a given behaviour (the behaviour matters for wildcards and
/// for how bare path names anchor).
pub fn parse_rule(text: &str, behavior: RuleBehavior, roots: &Roots) -> Result<Rule, RuleError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(RuleError::Empty);
    }
    let (name, spec) = match text.find('(') {
        Some(open) => {
            if !text.ends_with(')') {
                return Err(RuleError::Unbalanced);
            }
            (text[..open].trim(), Some(&text[open + 1..text.len() - 1]))
        }
        None => {
            if text.contains(')') {
                return Err(RuleError::Unbalanced);
            }
            (text, None)
        }
    };
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*' | '.'));
    if !valid_name {
        return Err(RuleError::BadToolName(name.to_string()));
    }
    let tool = if let Some(server) = name
        .strip_prefix("mcp__")
        .map(|r| r.strip_suffix("__*").unwrap_or(r))
        .filter(|r| !r.is_empty() && !r.contains("__") && !r.contains('*'))
    {
        ToolPattern::McpServer(server.to_string())
    } else if name.contains('*') {
        if behavior == RuleBehavior::Allow {
            return Err(RuleError::WildcardInAllow);
        }
        ToolPattern::Glob(name.to_string())
    } else {
        ToolPattern::Exact(name.to_string())
    };
    let spec = match spec.map(str::trim) {
        None | Some("*") => Specifier::Any,
        Some("") => return Err(RuleError::EmptySpecifier),
        Some(s) => match tool.exact() {
            Some("Bash") => {
                let mut p = CommandPattern::parse(s)?;
                // Deny and ask rules hold however they are written.
                if behavior != RuleBehavior::Allow {
                    p.never = false;
                }
                Specifier::Command(p)
            }
            Some(t) if PATH_TOOLS.contains(&t) => {
                Specifier::Path(PathPattern::parse(s, behavior, roots).map_err(RuleError::BadPath)?)
            }
            Some("WebFetch") => {
                Specifier::Domain(DomainPattern::parse(s).map_err(RuleError::BadDomain)?)
            }
            _ => Specifier::Unsupported(s.to_string()),
        },
    };
    Ok(Rule { tool, spec })
}

/// Splits a `--allowedTools` value into rules: commas and whitespace separate rules except
/// inside parentheses (`"Bash(git log:*) Edit"`, `"Read,Bash(npm install)"`).
pub fn split_rule_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => {
                depth += 1;
                cur.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                cur.push(c);
            }
            ',' | ' ' | '\t' | '\n' if depth == 0 => {
                if !cur.trim().is_empty() {
                    out.push(cur.trim().to_string());
                }
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Escapes a command for an exact `Bash(...)` rule (a literal `*` must not become a wildcard).
pub fn escape_command(cmd: &str) -> String {
    let mut out = String::with_capacity(cmd.len());
    for c in cmd.chars() {
        if c == '*' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
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

    fn cmd(spec: &str) -> CommandPattern {
        CommandPattern::parse(spec).unwrap()
    }

    #[test]
    fn command_patterns() {
        let p = cmd("ls:*");
        assert!(p.matches("ls"));
        assert!(p.matches("ls -la"));
        assert!(!p.matches("lsof"));
        let p = cmd("npm run test:*");
        assert!(p.matches("npm run test"));
        assert!(p.matches("npm run test --watch"));
        assert!(!p.matches("npm run tests"));
        let p = cmd("npm *");
        assert!(p.matches("npm"));
        assert!(p.matches("npm install x"));
        assert!(!p.matches("npmx"));
        let p = cmd("* install");
        assert!(p.matches("npm install"));
        assert!(!p.matches("npm install x"));
        let p = cmd("git * main");
        assert!(p.matches("git push origin main"));
        assert!(!p.matches("git push origin dev"));
        let p = cmd("echo \\*");
        assert!(p.matches("echo *"));
        assert!(!p.matches("echo x"));
        let p = cmd(" git status ");
        assert!(p.matches("git status"));
        assert!(p.is_exact());
        assert!(!cmd("git *").is_exact());
        assert!(!cmd("git:*").is_exact());
        assert!(!p.matches("git status; rm x"));
        assert!(CommandPattern::parse(":*").is_err());
    }

    #[test]
    fn rule_grammar() {
        let r = |s: &str, b| parse_rule(s, b, &roots());
        use RuleBehavior::*;
        assert!(matches!(r("Bash", Allow).unwrap().spec, Specifier::Any));
        assert!(matches!(r("Bash(*)", Allow).unwrap().spec, Specifier::Any));
        assert!(matches!(
            r("Bash(ls:*)", Allow).unwrap().spec,
            Specifier::Command(_)
        ));
        assert!(matches!(
            r("Read(.env)", Deny).unwrap().spec,
            Specifier::Path(_)
        ));
        assert!(matches!(
            r("WebFetch(domain:x.com)", Allow).unwrap().spec,
            Specifier::Domain(_)
        ));
        assert_eq!(
            r("mcp__srv", Allow).unwrap().tool,
            ToolPattern::McpServer("srv".into())
        );
        assert_eq!(
            r("mcp__srv__*", Allow).unwrap().tool,
            ToolPattern::McpServer("srv".into())
        );
        assert_eq!(
            r("mcp__srv__tool", Allow).unwrap().tool,
            ToolPattern::Exact("mcp__srv__tool".into())
        );
        assert!(r("mcp__*", Deny).is_ok());
        assert_eq!(r("mcp__*", Allow).unwrap_err(), RuleError::WildcardInAllow);
        assert_eq!(r("Bash(ls", Allow).unwrap_err(), RuleError::Unbalanced);
        assert_eq!(r("Bash ls)", Allow).unwrap_err(), RuleError::Unbalanced);
        assert_eq!(r("Bash()", Allow).unwrap_err(), RuleError::EmptySpecifier);
        assert!(matches!(
            r("Bash ls", Allow),
            Err(RuleError::BadToolName(_))
        ));
        assert!(matches!(
            r("WebFetch(x.com)", Allow),
            Err(RuleError::BadDomain(_))
        ));
        assert!(matches!(r("Read([)", Allow), Err(RuleError::BadPath(_))));
        assert_eq!(r("", Allow).unwrap_err(), RuleError::Empty);
        // The specifier runs to the last parenthesis.
        let rr = r("Bash(echo (a))", Allow).unwrap();
        let Specifier::Command(c) = rr.spec else {
            panic!()
        };
        assert!(c.matches("echo (a)"));
    }

    #[test]
    fn tool_patterns() {
        assert!(ToolPattern::McpServer("s".into()).matches("mcp__s__t"));
        assert!(!ToolPattern::McpServer("s".into()).matches("mcp__s2__t"));
        assert!(!ToolPattern::McpServer("s".into()).matches("mcp__s"));
        assert!(ToolPattern::Glob("mcp__*".into()).matches("mcp__a__b"));
        assert!(!ToolPattern::Glob("mcp__*".into()).matches("Bash"));
        assert!(ToolPattern::Glob("*".into()).matches("Bash"));
        assert!(ToolPattern::Exact("Task".into()).matches("Agent"));
    }

    #[test]
    fn splitting() {
        assert_eq!(
            split_rule_list("Bash(git log:*) Edit,Read, Bash(npm install)"),
            ["Bash(git log:*)", "Edit", "Read", "Bash(npm install)"]
        );
        assert_eq!(split_rule_list(""), Vec::<String>::new());
    }

    #[test]
    fn escaping() {
        let e = escape_command("ls *.txt");
        assert_eq!(e, "ls \\*.txt");
        assert!(cmd(&e).matches("ls *.txt"));
        assert!(!cmd(&e).matches("ls a.txt"));
        assert!(cmd(&escape_command("echo a:*")).matches("echo a:*"));
    }

    #[test]
    fn roots_of_sources() {
        let cwd = Path::new("/proj");
        assert_eq!(
            RuleSource::ProjectSettings.root(Some(Path::new("/p/.claude/settings.json")), cwd),
            PathBuf::from("/p")
        );
        assert_eq!(
            RuleSource::UserSettings.root(Some(Path::new("/home/u/.claude/settings.json")), cwd),
            PathBuf::from("/home/u/.claude")
        );
        assert_eq!(
            RuleSource::FlagSettings.root(Some(Path::new("/x/s.json")), cwd),
            PathBuf::from("/x")
        );
        assert_eq!(RuleSource::Session.root(None, cwd), PathBuf::from("/proj"));
        assert_eq!(RuleSource::CliArg.root(None, cwd), PathBuf::from("/proj"));
    }
}
