//! What a front end asks of a session: the command line's flags, typed. Every field is the flag
//! layer only (`None`/empty = flag not given); the settings files, the environment and the
//! defaults are merged in one place, [`super::config::resolve`].

use crate::permissions::Mode;
use crate::settings::SettingsSource;
use std::path::PathBuf;

/// A prompt given inline or as a file (`--system-prompt` / `--system-prompt-file`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptText {
    Text(String),
    /// Read at start-up; relative to the session's cwd.
    File(PathBuf),
}

/// `--tools`: which built-in tools exist for the session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ToolSelection {
    /// All of them (no flag, or `--tools default`).
    #[default]
    Default,
    /// These (names or aliases); empty = none (`--tools ""`).
    Only(Vec<String>),
}

impl ToolSelection {
    /// Parses `--tools`: `""` = none, `default` = all, else a comma/space list.
    pub fn parse(spec: &str) -> Self {
        match spec.trim() {
            "default" => ToolSelection::Default,
            list => ToolSelection::Only(
                list.split([',', ' '])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
        }
    }
}

/// The flag layer of a session.
#[derive(Clone, Debug, Default)]
pub struct SessionOptions {
    /// The directory the session works in (the project root).
    pub cwd: PathBuf,
    /// `--session-id` (a UUID); a new one when `None`.
    pub session_id: Option<String>,
    /// `--model` (an alias or an id).
    pub model: Option<String>,
    /// `--permission-mode`.
    pub permission_mode: Option<Mode>,
    /// `--dangerously-skip-permissions`: start in bypass mode.
    pub dangerously_skip_permissions: bool,
    /// `--allow-dangerously-skip-permissions`: bypass mode may be switched on later.
    pub allow_dangerously_skip_permissions: bool,
    /// `--allowedTools` rules.
    pub allowed_tools: Vec<String>,
    /// `--disallowedTools` rules.
    pub disallowed_tools: Vec<String>,
    /// `--tools`.
    pub tools: ToolSelection,
    /// `--add-dir` (relative to `cwd`; each must be a directory).
    pub add_dirs: Vec<PathBuf>,
    /// `--system-prompt(-file)`: replaces ccrs's own (an empty text sends none).
    pub system_prompt: Option<PromptText>,
    /// `--append-system-prompt(-file)`: a block after the system prompt.
    pub append_system_prompt: Option<PromptText>,
    /// `--max-turns`: API round trips per query.
    pub max_turns: Option<u32>,
    /// `--max-budget-usd`.
    pub max_budget_usd: Option<f64>,
    /// `--max-thinking-tokens`.
    pub max_thinking_tokens: Option<u64>,
    /// `--thinking`: `enabled`, `adaptive` or `disabled`.
    pub thinking: Option<String>,
    /// `--settings`: a file (relative to `cwd`) or inline JSON; the flag settings layer.
    pub settings: Option<String>,
    /// `--setting-sources`: which of user/project/local to read (`None` = all).
    pub setting_sources: Option<Vec<SettingsSource>>,
    /// `--betas`.
    pub betas: Vec<String>,
    /// `--disable-slash-commands`: custom commands are not expanded (the text goes to the
    /// model as typed).
    pub disable_slash_commands: bool,
    /// `--bare`: no memory files (`CLAUDE.md`) are looked for.
    pub bare: bool,
    /// `--mcp-config`: files (relative to `cwd`) or inline JSON.
    pub mcp_config: Vec<String>,
    /// `--strict-mcp-config`: only the servers of `--mcp-config`.
    pub strict_mcp_config: bool,
}

/// Splits `--setting-sources user,project,local` (an empty string = none).
pub fn parse_setting_sources(s: &str) -> Result<Vec<SettingsSource>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        out.push(match part {
            "user" => SettingsSource::User,
            "project" => SettingsSource::Project,
            "local" => SettingsSource::Local,
            other => {
                return Err(format!(
                    "invalid --setting-sources value '{other}' (expected user, project, local)"
                ));
            }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_sources_parse() {
        assert!(parse_setting_sources("").unwrap().is_empty());
        assert_eq!(
            parse_setting_sources("user, local").unwrap(),
            vec![SettingsSource::User, SettingsSource::Local]
        );
        assert!(parse_setting_sources("global").is_err());
    }

    #[test]
    fn tool_selection_parse() {
        assert_eq!(ToolSelection::parse("default"), ToolSelection::Default);
        assert_eq!(ToolSelection::parse(" "), ToolSelection::Only(vec![]));
        assert_eq!(
            ToolSelection::parse("Bash,Read Edit"),
            ToolSelection::Only(vec!["Bash".into(), "Read".into(), "Edit".into()])
        );
    }
}
