//! Subagent definitions: the built-in ones, markdown files in `.claude/agents/` (project) and
//! `<claude dir>/agents/` (user), `--agents` (JSON or a file holding it) and the SDK's
//! `initialize` `agents`. Later sources replace earlier ones of the same name: built-in ‹ user ‹
//! project ‹ `--agents` ‹ SDK.
//!
//! A file's frontmatter has `name` (required), `description` (required), `tools` (comma list or
//! YAML list; omitted = every tool), `disallowedTools`, `model` (`sonnet`, `opus`, `haiku`, an
//! id, or `inherit`) and `maxTurns`; the body is the system prompt.

use crate::frontmatter;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where a definition came from (later ones win).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AgentSource {
    BuiltIn,
    User,
    Project,
    /// `--agents`.
    Flag,
    /// The SDK's `initialize` request.
    Sdk,
}

impl AgentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentSource::BuiltIn => "built-in",
            AgentSource::User => "user",
            AgentSource::Project => "project",
            AgentSource::Flag => "--agents",
            AgentSource::Sdk => "sdk",
        }
    }
}

/// One kind of subagent.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentDefinition {
    pub name: String,
    /// When to use it (the model reads this in the Agent tool's description).
    pub description: String,
    /// Tools it may use (names or aliases); `None` = all the parent has.
    pub tools: Option<Vec<String>>,
    pub disallowed_tools: Vec<String>,
    /// An alias, an id, or `None`/`inherit` for the parent's model.
    pub model: Option<String>,
    pub max_turns: Option<u32>,
    /// The system prompt.
    pub prompt: String,
    pub source: AgentSource,
    pub path: Option<PathBuf>,
}

impl AgentDefinition {
    /// The model this definition asks for (`None`: the parent's).
    pub fn model(&self) -> Option<&str> {
        self.model
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty() && !m.eq_ignore_ascii_case("inherit"))
    }
}

const GENERAL_PURPOSE_PROMPT: &str = "You are a subagent of ccrs, a coding agent. Carry out the task you are given completely, using the tools you have: search and read the code before you change it, and verify what you did where you can. Your final message is your report to the agent that delegated the task (the user does not see it): state what you found or changed, concisely, with file paths (`path:line`) and the facts the caller needs. Paths given to tools must be absolute.";

const EXPLORE_PROMPT: &str = "You are a read-only search subagent of ccrs. Find what you are asked about quickly: use Glob and Grep to locate, Read to confirm, Bash only for read-only commands (ls, git log, git grep). Never change files. Your final message is your report to the caller: answer precisely, with `path:line` references and short excerpts where they help.";

const PLAN_PROMPT: &str = "You are a read-only planning subagent of ccrs. Study the code relevant to the task (Glob, Grep, Read; Bash only for read-only commands) and return a concrete implementation plan: the files to change and how, in order, with the risks and what to verify. Never change files.";

const READ_ONLY_TOOLS: &[&str] = &["Glob", "Grep", "Read", "Bash", "WebFetch", "WebSearch"];

/// The built-in agents.
pub fn builtin() -> Vec<AgentDefinition> {
    let def =
        |name: &str, description: &str, tools: Option<&[&str]>, prompt: &str| AgentDefinition {
            name: name.to_string(),
            description: description.to_string(),
            tools: tools.map(|t| t.iter().map(|s| s.to_string()).collect()),
            disallowed_tools: Vec::new(),
            model: None,
            max_turns: None,
            prompt: prompt.to_string(),
            source: AgentSource::BuiltIn,
            path: None,
        };
    vec![
        def(
            "general-purpose",
            "Multi-step tasks: research, searching code, making changes (all tools)",
            None,
            GENERAL_PURPOSE_PROMPT,
        ),
        def(
            "Explore",
            "Fast read-only search of the codebase: find files, symbols, usages",
            Some(READ_ONLY_TOOLS),
            EXPLORE_PROMPT,
        ),
        def(
            "Plan",
            "Read-only research that returns an implementation plan",
            Some(READ_ONLY_TOOLS),
            PLAN_PROMPT,
        ),
    ]
}

/// Parses an agent file.
pub fn parse_file(text: &str, source: AgentSource, path: &Path) -> Result<AgentDefinition, String> {
    let doc = frontmatter::parse(text);
    if doc.fields.is_none() {
        return Err("no frontmatter (a `---` block with name and description)".into());
    }
    let name = doc.text("name").ok_or("frontmatter has no `name`")?;
    let description = doc
        .text("description")
        .ok_or("frontmatter has no `description`")?;
    let tools = doc.list("tools").filter(|t| !is_all(t));
    Ok(AgentDefinition {
        name,
        description,
        tools,
        disallowed_tools: doc.list("disallowedTools").unwrap_or_default(),
        model: doc.text("model"),
        max_turns: doc.text("maxTurns").and_then(|t| t.trim().parse().ok()),
        prompt: doc.body.trim().to_string(),
        source,
        path: Some(path.to_path_buf()),
    })
}

/// `tools: *` (or an empty list) means every tool.
fn is_all(tools: &[String]) -> bool {
    tools.is_empty() || tools.iter().any(|t| t == "*")
}

fn string_list(v: Option<&Value>) -> Option<Vec<String>> {
    match v? {
        Value::Array(a) => Some(
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
        ),
        Value::String(s) => Some(frontmatter::Value::Text(s.clone()).list()),
        _ => None,
    }
}

/// Parses `--agents` / the SDK's `agents`: `{"name": {"description", "prompt", "tools"?,
/// "disallowedTools"?, "model"?, "maxTurns"?}}`. Fields ccrs does not use are named in the
/// returned notes.
pub fn parse_json(
    v: &Value,
    source: AgentSource,
) -> Result<(Vec<AgentDefinition>, Vec<String>), String> {
    let Some(map) = v.as_object() else {
        return Err("expected a JSON object of agent definitions keyed by name".into());
    };
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for (name, d) in map {
        let Some(obj) = d.as_object() else {
            return Err(format!("agent '{name}': expected an object"));
        };
        let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
        let description = text("description")
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| format!("agent '{name}': missing \"description\""))?;
        let prompt = text("prompt").ok_or_else(|| format!("agent '{name}': missing \"prompt\""))?;
        for k in obj.keys() {
            if !matches!(
                k.as_str(),
                "description" | "prompt" | "tools" | "disallowedTools" | "model" | "maxTurns"
            ) {
                notes.push(format!(
                    "agent '{name}': \"{k}\" is not supported by ccrs yet; ignored"
                ));
            }
        }
        out.push(AgentDefinition {
            name: name.clone(),
            description,
            tools: string_list(obj.get("tools")).filter(|t| !is_all(t)),
            disallowed_tools: string_list(obj.get("disallowedTools")).unwrap_or_default(),
            model: text("model").filter(|m| !m.trim().is_empty()),
            max_turns: obj
                .get("maxTurns")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            prompt,
            source,
            path: None,
        });
    }
    Ok((out, notes))
}

/// `--agents`: inline JSON, or the path of a file holding it (relative to `cwd`).
pub fn parse_flag(spec: &str, cwd: &Path) -> Result<(Vec<AgentDefinition>, Vec<String>), String> {
    let trimmed = spec.trim();
    let text = if trimmed.starts_with('{') {
        trimmed.to_string()
    } else {
        let path = cwd.join(trimmed);
        read_small(&path).map_err(|e| format!("--agents: cannot read {}: {e}", path.display()))?
    };
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("--agents: invalid JSON: {e}"))?;
    parse_json(&v, AgentSource::Flag).map_err(|e| format!("--agents: {e}"))
}

/// A regular file of at most 1 MiB (never blocks on a FIFO, never loads a huge file).
fn read_small(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > 1 << 20 {
        return Err(std::io::Error::other("larger than 1 MiB"));
    }
    let bytes = std::fs::read(path)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Reads `<dir>/*.md`; unreadable or invalid files become warnings.
fn scan(dir: &Path, source: AgentSource, out: &mut Vec<AgentDefinition>, warn: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    for path in paths.into_iter().take(500) {
        let text = match read_small(&path) {
            Ok(t) => t,
            Err(e) => {
                warn.push(format!("agent file {}: {e}", path.display()));
                continue;
            }
        };
        match parse_file(&text, source, &path) {
            Ok(d) => out.push(d),
            Err(e) => warn.push(format!("agent file {}: {e}; skipped", path.display())),
        }
    }
}

/// Built-in, user and project definitions (later wins), and what was wrong with the files.
pub fn discover(cwd: &Path, claude_dir: &Path) -> (Vec<AgentDefinition>, Vec<String>) {
    let mut found = builtin();
    let mut warnings = Vec::new();
    scan(
        &claude_dir.join("agents"),
        AgentSource::User,
        &mut found,
        &mut warnings,
    );
    scan(
        &cwd.join(".claude").join("agents"),
        AgentSource::Project,
        &mut found,
        &mut warnings,
    );
    (merge(Vec::new(), found), warnings)
}

/// `base` with `more` added: a definition replaces an earlier one of the same name.
pub fn merge(base: Vec<AgentDefinition>, more: Vec<AgentDefinition>) -> Vec<AgentDefinition> {
    let mut out = base;
    for d in more {
        match out.iter_mut().find(|e| e.name == d.name) {
            Some(e) => *e = d,
            None => out.push(d),
        }
    }
    out
}

/// The definition called `name` (exact, else ignoring case).
pub fn find<'a>(defs: &'a [AgentDefinition], name: &str) -> Option<&'a AgentDefinition> {
    defs.iter()
        .find(|d| d.name == name)
        .or_else(|| defs.iter().find(|d| d.name.eq_ignore_ascii_case(name)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_files_and_rejects_incomplete_ones() {
        let d = parse_file(
            "---\nname: reviewer\ndescription: Reviews diffs\ntools: Read, Grep\nmodel: haiku\nmaxTurns: 4\n---\nYou review.\n",
            AgentSource::Project,
            Path::new("/p/.claude/agents/reviewer.md"),
        )
        .unwrap();
        assert_eq!(d.name, "reviewer");
        assert_eq!(d.tools, Some(vec!["Read".into(), "Grep".into()]));
        assert_eq!(d.model(), Some("haiku"));
        assert_eq!(d.max_turns, Some(4));
        assert_eq!(d.prompt, "You review.");
        let all = parse_file(
            "---\nname: a\ndescription: b\ntools: \"*\"\nmodel: inherit\n---\n",
            AgentSource::User,
            Path::new("a.md"),
        )
        .unwrap();
        assert_eq!(all.tools, None);
        assert_eq!(all.model(), None);
        for bad in [
            "no frontmatter",
            "---\ndescription: x\n---\n",
            "---\nname: x\n---\n",
        ] {
            assert!(
                parse_file(bad, AgentSource::User, Path::new("x.md")).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn json_definitions_and_notes() {
        let (defs, notes) = parse_json(
            &json!({"r": {"description": "d", "prompt": "p", "tools": ["Read"], "model": "opus", "skills": []},
                    "w": {"description": "d2", "prompt": "p2", "tools": "Read, Write", "disallowedTools": ["Bash"]}}),
            AgentSource::Sdk,
        )
        .unwrap();
        assert_eq!(defs.len(), 2);
        assert_eq!(defs[0].tools, Some(vec!["Read".into()]));
        assert_eq!(defs[1].tools, Some(vec!["Read".into(), "Write".into()]));
        assert_eq!(defs[1].disallowed_tools, ["Bash"]);
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("skills"));
        assert!(parse_json(&json!({"x": {"prompt": "p"}}), AgentSource::Flag).is_err());
        assert!(parse_json(&json!([]), AgentSource::Flag).is_err());
        assert!(parse_flag("{not json", Path::new("/")).is_err());
        assert!(parse_flag("missing-file.json", Path::new("/nonexistent")).is_err());
    }

    #[test]
    fn discovery_order_project_wins() {
        let d = tempfile::tempdir().unwrap();
        let user = d.path().join("home");
        let proj = d.path().join("proj");
        std::fs::create_dir_all(user.join("agents")).unwrap();
        std::fs::create_dir_all(proj.join(".claude/agents")).unwrap();
        std::fs::write(
            user.join("agents/x.md"),
            "---\nname: x\ndescription: user x\n---\nU",
        )
        .unwrap();
        std::fs::write(
            proj.join(".claude/agents/x.md"),
            "---\nname: x\ndescription: project x\n---\nP",
        )
        .unwrap();
        std::fs::write(proj.join(".claude/agents/bad.md"), "nothing").unwrap();
        std::fs::write(
            proj.join(".claude/agents/general.md"),
            "---\nname: general-purpose\ndescription: mine\n---\nM",
        )
        .unwrap();
        let (defs, warnings) = discover(&proj, &user);
        let x = find(&defs, "x").unwrap();
        assert_eq!(
            (x.description.as_str(), x.source),
            ("project x", AgentSource::Project)
        );
        assert_eq!(find(&defs, "General-Purpose").unwrap().description, "mine");
        assert!(find(&defs, "Explore").is_some());
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("bad.md"));
    }
}
