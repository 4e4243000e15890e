//! The command line's flags as a session's options: a thin mapping (precedence against the
//! settings and the environment is the session's, in `ccrs_core::session::config`).

use crate::args::Args;
use anyhow::{Result, bail};
use ccrs_core::permissions::Mode;
use ccrs_core::session::{PromptText, SessionOptions, ToolSelection, parse_setting_sources};
use std::path::{Path, PathBuf};

/// One of `--x` / `--x-file`.
fn prompt_text(
    text: &Option<String>,
    file: &Option<String>,
    names: (&str, &str),
) -> Result<Option<PromptText>> {
    Ok(match (text, file) {
        (Some(_), Some(_)) => bail!("{} and {} cannot be used together", names.0, names.1),
        (Some(t), None) => Some(PromptText::Text(t.clone())),
        (None, Some(f)) => Some(PromptText::File(PathBuf::from(f))),
        (None, None) => None,
    })
}

/// The session options the flags ask for.
pub fn options(args: &Args, cwd: &Path) -> Result<SessionOptions> {
    let permission_mode = args
        .permission_mode
        .as_deref()
        .map(|m| m.parse::<Mode>().map_err(anyhow::Error::msg))
        .transpose()?;
    let setting_sources = args
        .setting_sources
        .as_deref()
        .map(parse_setting_sources)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    // `--system-prompt` and its file form conflict; `--append-system-prompt` wins over its
    // file form, as before.
    let system_prompt = prompt_text(
        &args.system_prompt,
        &args.system_prompt_file,
        ("--system-prompt", "--system-prompt-file"),
    )?;
    let append_system_prompt = match (&args.append_system_prompt, &args.append_system_prompt_file) {
        (Some(t), _) => Some(PromptText::Text(t.clone())),
        (None, Some(f)) => Some(PromptText::File(PathBuf::from(f))),
        (None, None) => None,
    };
    Ok(SessionOptions {
        cwd: cwd.to_path_buf(),
        session_id: args.session_id.clone(),
        model: args.model.clone(),
        permission_mode,
        dangerously_skip_permissions: args.dangerously_skip_permissions,
        allow_dangerously_skip_permissions: args.allow_dangerously_skip_permissions,
        allowed_tools: args.allowed_tools.clone(),
        disallowed_tools: args.disallowed_tools.clone(),
        tools: args
            .tools
            .as_deref()
            .map(ToolSelection::parse)
            .unwrap_or_default(),
        add_dirs: args.add_dir.iter().map(PathBuf::from).collect(),
        system_prompt,
        append_system_prompt,
        max_turns: args.max_turns,
        max_budget_usd: args.max_budget_usd,
        max_thinking_tokens: args.max_thinking_tokens,
        thinking: args.thinking.clone(),
        settings: args.settings.clone(),
        setting_sources,
        betas: args.betas.clone(),
        disable_slash_commands: args.disable_slash_commands,
        bare: args.bare,
        mcp_config: args.mcp_config.clone(),
        strict_mcp_config: args.strict_mcp_config,
    })
}

/// Flags that are accepted (scripts and SDKs pass them) but do nothing yet: each is named once
/// so nobody relies on it unknowingly.
pub fn not_yet_honoured(args: &Args) -> Vec<String> {
    let given = [
        (args.continue_, "--continue"),
        (args.resume.is_some(), "--resume"),
        (args.fork_session, "--fork-session"),
        (args.fallback_model.is_some(), "--fallback-model"),
        (
            args.permission_prompt_tool.is_some(),
            "--permission-prompt-tool",
        ),
        (args.agents.is_some(), "--agents"),
        (args.agent.is_some(), "--agent"),
        (args.effort.is_some(), "--effort"),
        (args.json_schema.is_some(), "--json-schema"),
        (args.replay_user_messages, "--replay-user-messages"),
        (args.ide, "--ide"),
    ];
    given
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, flag)| format!("{flag} is not supported by this version of ccrs yet; ignored"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_options() {
        let args = Args::try_parse_from([
            "ccrs",
            "--model",
            "opus",
            "--permission-mode",
            "plan",
            "--allowedTools",
            "Bash(git:*) Read",
            "--tools",
            "Bash,Read",
            "--setting-sources",
            "user,local",
            "--system-prompt-file",
            "p.txt",
            "--append-system-prompt",
            "More.",
            "--resume",
            "x",
        ])
        .unwrap();
        let o = options(&args, Path::new("/w")).unwrap();
        assert_eq!(o.model.as_deref(), Some("opus"));
        assert_eq!(o.permission_mode, Some(Mode::Plan));
        assert_eq!(o.allowed_tools, ["Bash(git:*) Read"]);
        assert_eq!(
            o.tools,
            ToolSelection::Only(vec!["Bash".into(), "Read".into()])
        );
        assert_eq!(o.setting_sources.map(|s| s.len()), Some(2));
        assert_eq!(o.system_prompt, Some(PromptText::File("p.txt".into())));
        assert_eq!(
            o.append_system_prompt,
            Some(PromptText::Text("More.".into()))
        );
        assert_eq!(not_yet_honoured(&args).len(), 1);
        let bad = Args::try_parse_from(["ccrs", "--permission-mode", "nope"]).unwrap();
        assert!(options(&bad, Path::new("/w")).is_err());
        let both =
            Args::try_parse_from(["ccrs", "--system-prompt", "a", "--system-prompt-file", "b"])
                .unwrap();
        assert!(
            options(&both, Path::new("/w"))
                .unwrap_err()
                .to_string()
                .contains("cannot be used together")
        );
        let sources = Args::try_parse_from(["ccrs", "--setting-sources", "global"]).unwrap();
        assert!(options(&sources, Path::new("/w")).is_err());
    }
}
