//! Skills: `.claude/skills/<name>/SKILL.md` (project) and `~/.claude/skills/<name>/SKILL.md`
//! (user), frontmatter `name`, `description`, `allowed-tools`, `disable-model-invocation`.
//!
//! Only names and descriptions are read at start and listed to the model, in the `Skill`
//! tool's description (no skills: no tool, no tokens). The model calls `Skill {skill, args?}`
//! to load a skill: its body (read again, so edits count), its directory and its other files.
//! The skill's `allowed-tools` rules are then allowed until the end of the turn, like a custom
//! command's; a skill that grants rules asks before it loads (a bare `Skill` rule allows it).

use super::commands::{self, Scope};
use crate::BoxFuture;
use crate::permissions::RuleBehavior;
use crate::tools::{Subject, Tool, ToolContext, ToolOutput};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// At most this many skills are read (a huge skills directory cannot slow the start).
const MAX_SKILLS: usize = 200;
/// A SKILL.md larger than this is skipped (and named).
const MAX_SKILL_BYTES: u64 = 1 << 20;
/// A description is cut to this many characters in the model's list.
const MAX_LISTED_DESCRIPTION: usize = 250;
/// At most this many of a skill's files are listed when it loads.
const MAX_LISTED_FILES: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skill {
    pub name: String,
    pub description: String,
    pub allowed_tools: Vec<String>,
    /// `disable-model-invocation: true`: listed by `/skills`, not offered to the model.
    pub model_invocable: bool,
    pub scope: Scope,
    /// The skill's directory.
    pub dir: PathBuf,
}

impl Skill {
    fn file(&self) -> PathBuf {
        self.dir.join("SKILL.md")
    }
}

/// Every skill, project ones first (a project skill hides a user one of the same name), and
/// the problems met (unreadable or oversized files).
pub fn discover(cwd: &Path, claude_dir: &Path) -> (Vec<Skill>, Vec<String>) {
    let mut skills = Vec::new();
    let mut problems = Vec::new();
    scan(
        &cwd.join(".claude/skills"),
        Scope::Project,
        &mut skills,
        &mut problems,
    );
    let mut user = Vec::new();
    scan(
        &claude_dir.join("skills"),
        Scope::User,
        &mut user,
        &mut problems,
    );
    for s in user {
        if !skills.iter().any(|p: &Skill| p.name == s.name) {
            skills.push(s);
        }
    }
    skills.sort_by(|a, b| a.name.cmp(&b.name));
    (skills, problems)
}

fn scan(root: &Path, scope: Scope, out: &mut Vec<Skill>, problems: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    let mut dirs: Vec<_> = rd
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs.into_iter().take(MAX_SKILLS) {
        let file = dir.join("SKILL.md");
        match read_skill_file(&file) {
            Ok(None) => {}
            Ok(Some(text)) => {
                let dir_name = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push(parse(&dir_name, scope, &text, dir));
            }
            Err(e) => problems.push(format!("skill {}: {e}; skipped", file.display())),
        }
    }
}

/// The file's text; `None` when there is none. FIFOs and devices are refused, never opened
/// for a blocking read.
fn read_skill_file(file: &Path) -> Result<Option<String>, String> {
    match std::fs::metadata(file) {
        Err(_) => return Ok(None),
        Ok(m) if m.len() > MAX_SKILL_BYTES => {
            return Err(format!("larger than {} KiB", MAX_SKILL_BYTES >> 10));
        }
        Ok(_) => {}
    }
    let bytes = crate::fsutil::read_regular(file).map_err(|e| e.to_string())?;
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

/// A skill from its SKILL.md text (frontmatter read like a custom command's, plus `name` and
/// `disable-model-invocation`).
pub fn parse(dir_name: &str, scope: Scope, text: &str, dir: PathBuf) -> Skill {
    let c = commands::parse(dir_name, scope, text, dir.join("SKILL.md"));
    let front = frontmatter(text);
    let name = front_value(front, "name")
        .filter(|n| !n.is_empty() && !n.contains(char::is_whitespace))
        .unwrap_or_else(|| dir_name.to_string());
    let model_invocable = front_value(front, "disable-model-invocation").as_deref() != Some("true");
    Skill {
        name,
        description: c.description,
        allowed_tools: c.allowed_tools,
        model_invocable,
        scope,
        dir,
    }
}

/// The frontmatter's lines (between the leading `---` lines), or "".
fn frontmatter(text: &str) -> &str {
    let t = text.trim_start_matches('\u{feff}');
    let Some(rest) = t
        .strip_prefix("---\n")
        .or_else(|| t.strip_prefix("---\r\n"))
    else {
        return "";
    };
    match rest.find("\n---") {
        Some(i) => &rest[..i],
        None => "",
    }
}

/// A top-level `key: value` of the frontmatter, unquoted.
fn front_value(front: &str, key: &str) -> Option<String> {
    front.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key && !l.starts_with(char::is_whitespace)).then(|| {
            let v = v.trim();
            v.strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v)
                .to_string()
        })
    })
}

/// The body of a SKILL.md (after the frontmatter).
fn body(text: &str) -> String {
    commands::parse("", Scope::Project, text, PathBuf::new()).body
}

/// The `Skill` tool over the session's skills.
pub struct SkillTool {
    skills: Vec<Skill>,
    description: String,
}

impl SkillTool {
    /// The tool, when some skill is offered to the model.
    pub fn new(skills: &[Skill]) -> Option<SkillTool> {
        let offered: Vec<Skill> = skills
            .iter()
            .filter(|s| s.model_invocable)
            .cloned()
            .collect();
        if offered.is_empty() {
            return None;
        }
        let mut description = String::from(
            "Loads a skill: its instructions, directory and files. When a task matches a \
             skill's description, load it first and follow it. Skills:",
        );
        for s in &offered {
            description.push_str("\n- ");
            description.push_str(&s.name);
            if !s.description.is_empty() {
                description.push_str(": ");
                description.push_str(&cut(&s.description, MAX_LISTED_DESCRIPTION));
            }
        }
        Some(SkillTool {
            skills: offered,
            description,
        })
    }

    fn find(&self, name: &str) -> Option<&Skill> {
        let name = name.trim().trim_start_matches('/');
        self.skills.iter().find(|s| s.name == name)
    }
}

fn cut(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

impl Tool for SkillTool {
    fn name(&self) -> &str {
        "Skill"
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "skill": {"type": "string", "description": "The name of a skill from the list. Do not guess names."},
                "args": {"type": "string", "description": "Optional arguments for the skill"}
            },
            "required": ["skill"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, input: &Value, _ctx: &ToolContext) -> Subject {
        // Loading instructions changes nothing; granting a skill's rules needs the user's yes.
        let name = input.get("skill").and_then(Value::as_str).unwrap_or("");
        match self.find(name) {
            Some(s) if !s.allowed_tools.is_empty() => Subject::Other,
            _ => Subject::Passive,
        }
    }

    fn summary(&self, input: &Value) -> String {
        input
            .get("skill")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let name = input.get("skill").and_then(Value::as_str).unwrap_or("");
            let args = input.get("args").and_then(Value::as_str).unwrap_or("");
            let Some(skill) = self.find(name) else {
                let known: Vec<&str> = self.skills.iter().map(|s| s.name.as_str()).collect();
                return ToolOutput::tool_use_error(format!(
                    "Unknown skill: {name}. Available skills: {}",
                    known.join(", ")
                ));
            };
            let skill = skill.clone();
            let loaded = tokio::task::spawn_blocking(move || load(&skill)).await;
            let (skill, text) = match loaded {
                Ok(Ok(v)) => v,
                Ok(Err(e)) => return ToolOutput::error(e),
                Err(e) => return ToolOutput::error(format!("Skill failed: {e}")),
            };
            if !skill.allowed_tools.is_empty()
                && let Some(engine) = &ctx.permissions
            {
                engine.add_session_rules(RuleBehavior::Allow, &skill.allowed_tools);
                if let Ok(mut g) = ctx.session.turn_grants.lock() {
                    g.extend(skill.allowed_tools.iter().cloned());
                }
            }
            ToolOutput::ok(render(&skill, &text, args))
        })
    }
}

/// The skill's SKILL.md text and its other files (relative paths), read now.
fn load(skill: &Skill) -> Result<(Skill, String), String> {
    let text = read_skill_file(&skill.file())
        .map_err(|e| format!("Cannot load skill {}: {e}", skill.name))?
        .ok_or_else(|| format!("Skill {} no longer exists", skill.name))?;
    Ok((skill.clone(), text))
}

/// What the model gets: where the skill lives, its instructions (with `args`) and its files.
fn render(skill: &Skill, text: &str, args: &str) -> String {
    let mut out = format!(
        "Skill \"{}\" loaded. Base directory: {}\n\n",
        skill.name,
        skill.dir.display()
    );
    let body = body(text);
    let body = if args.trim().is_empty() {
        body.replace("$ARGUMENTS", "")
    } else {
        commands::expand(&body, args)
    };
    out.push_str(body.trim_end());
    let files = files_of(&skill.dir);
    if !files.is_empty() {
        out.push_str(
            "\n\nFiles of this skill (relative to its base directory; Read them when needed):",
        );
        for f in &files {
            out.push_str("\n- ");
            out.push_str(f);
        }
    }
    if !skill.allowed_tools.is_empty() {
        out.push_str(&format!(
            "\n\nAllowed without asking for the rest of this turn: {}",
            skill.allowed_tools.join(", ")
        ));
    }
    out
}

/// The skill directory's files but SKILL.md (depth ≤ 4, hidden ones and symlinked
/// directories skipped), sorted; "…" ends a cut list.
fn files_of(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let Ok(ft) = e.file_type() else { continue };
            let path = e.path();
            if ft.is_dir() {
                if depth < 4 {
                    stack.push((path, depth + 1));
                }
            } else if path != dir.join("SKILL.md")
                && let Ok(rel) = path.strip_prefix(dir)
            {
                out.push(rel.display().to_string());
                if out.len() > MAX_LISTED_FILES {
                    out.sort();
                    out.truncate(MAX_LISTED_FILES);
                    out.push("…".into());
                    return out;
                }
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(p: &Path, s: &str) {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(p, s).unwrap();
    }

    #[test]
    fn discovers_parses_and_shadows() {
        let t = tempfile::tempdir().unwrap();
        let (cwd, home) = (t.path().join("p"), t.path().join("h"));
        write(
            &cwd.join(".claude/skills/pdf/SKILL.md"),
            "---\nname: pdf-tools\ndescription: \"Fill PDF forms\"\nallowed-tools: Bash(python3:*), Read\n---\n# PDF\nUse forms.py $ARGUMENTS\n",
        );
        write(&cwd.join(".claude/skills/pdf/forms.py"), "");
        write(&cwd.join(".claude/skills/pdf/ref/api.md"), "");
        write(&cwd.join(".claude/skills/empty/README"), "");
        write(
            &home.join("skills/pdf-tools/SKILL.md"),
            "---\ndescription: user one\n---\nx",
        );
        write(
            &home.join("skills/hidden/SKILL.md"),
            "---\ndescription: manual only\ndisable-model-invocation: true\n---\nbody",
        );
        write(
            &home.join("skills/plain/SKILL.md"),
            "Just a body line\nmore",
        );
        let (skills, problems) = discover(&cwd, &home);
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<_> = skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["hidden", "pdf-tools", "plain"]);
        let pdf = &skills[1];
        assert_eq!(pdf.scope, Scope::Project);
        assert_eq!(pdf.description, "Fill PDF forms");
        assert_eq!(pdf.allowed_tools, ["Bash(python3:*)", "Read"]);
        assert_eq!(skills[2].description, "Just a body line");
        assert!(!skills[0].model_invocable);

        let tool = SkillTool::new(&skills).unwrap();
        assert!(tool.description().contains("\n- pdf-tools: Fill PDF forms"));
        assert!(tool.description().contains("\n- plain: Just a body line"));
        assert!(!tool.description().contains("hidden"));
        let ctx = ToolContext::for_tests(&cwd);
        assert_eq!(
            tool.subject(&json!({"skill": "pdf-tools"}), &ctx),
            Subject::Other
        );
        assert_eq!(
            tool.subject(&json!({"skill": "plain"}), &ctx),
            Subject::Passive
        );
        let (s, text) = load(pdf).unwrap();
        let out = render(&s, &text, "a.pdf");
        assert!(out.contains("# PDF\nUse forms.py a.pdf"), "{out}");
        assert!(out.contains("\n- forms.py\n- ref/api.md"), "{out}");
        assert!(!out.contains("name: pdf-tools"), "{out}");
    }

    #[test]
    fn no_invocable_skill_no_tool() {
        assert!(SkillTool::new(&[]).is_none());
    }

    #[tokio::test]
    async fn unknown_skills_are_refused_and_grants_recorded() {
        let t = tempfile::tempdir().unwrap();
        write(
            &t.path().join(".claude/skills/a/SKILL.md"),
            "---\nallowed-tools: Bash(ls)\n---\nDo a",
        );
        let (skills, _) = discover(t.path(), &t.path().join("none"));
        let tool = SkillTool::new(&skills).unwrap();
        let ctx = ToolContext::for_tests(t.path());
        let out = tool.call(json!({"skill": "b"}), &ctx).await;
        assert!(out.is_error && out.text().contains("Available skills: a"));
        let out = tool.call(json!({"skill": "/a"}), &ctx).await;
        assert!(
            !out.is_error && out.text().contains("Do a"),
            "{}",
            out.text()
        );
    }
}
