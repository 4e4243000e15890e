//! Command-line flags: Claude Code's names and semantics. Flags ccrs does not implement yet are
//! accepted (so SDKs and scripts keep working) and reported where it matters.

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    #[value(name = "stream-json")]
    StreamJson,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Text,
    #[value(name = "stream-json")]
    StreamJson,
}

#[derive(Debug, Parser)]
#[command(
    name = "ccrs",
    about = "ccrs — a lightweight, drop-in reimplementation of Claude Code",
    long_about = "ccrs — a lightweight, drop-in reimplementation of Claude Code.\n\nStarts an interactive session by default; use -p/--print for non-interactive output.",
    disable_version_flag = true,
    args_override_self = true
)]
pub struct Args {
    /// Your prompt
    pub prompt: Option<String>,

    /// Print the response and exit (non-interactive)
    #[arg(short = 'p', long = "print")]
    pub print: bool,

    /// Output format in print mode
    #[arg(long, value_enum, default_value = "text")]
    pub output_format: OutputFormat,

    /// Input format in print mode
    #[arg(long, value_enum, default_value = "text")]
    pub input_format: InputFormat,

    /// Full turn-by-turn output (required with --output-format stream-json)
    #[arg(long)]
    pub verbose: bool,

    /// Emit raw stream events (print mode with stream-json)
    #[arg(long)]
    pub include_partial_messages: bool,

    /// Echo stream-json user messages back on stdout
    #[arg(long)]
    pub replay_user_messages: bool,

    /// Continue the most recent conversation in this directory
    #[arg(short = 'c', long = "continue")]
    pub continue_: bool,

    /// Resume a conversation by session id (a picker without one)
    #[arg(short = 'r', long, num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,

    /// With --resume/--continue: start a new session id
    #[arg(long)]
    pub fork_session: bool,

    /// Use this session id (a UUID) for a new session
    #[arg(long)]
    pub session_id: Option<String>,

    /// Model for the session: an alias (opus, sonnet, haiku) or a full model id
    #[arg(long)]
    pub model: Option<String>,

    /// Model to fall back to when the primary one is overloaded
    #[arg(long)]
    pub fallback_model: Option<String>,

    /// Maximum number of agentic turns (print mode)
    #[arg(long)]
    pub max_turns: Option<u32>,

    /// Maximum spend in USD for the query (print mode)
    #[arg(long)]
    pub max_budget_usd: Option<f64>,

    /// Permission rules to allow (e.g. "Bash(git log:*) Edit")
    #[arg(long = "allowedTools", alias = "allowed-tools", num_args = 1.., action = clap::ArgAction::Append)]
    pub allowed_tools: Vec<String>,

    /// Permission rules to deny
    #[arg(long = "disallowedTools", alias = "disallowed-tools", num_args = 1.., action = clap::ArgAction::Append)]
    pub disallowed_tools: Vec<String>,

    /// Built-in tools to offer: "" (none), "default" (all) or a list like "Bash,Edit,Read"
    #[arg(long)]
    pub tools: Option<String>,

    /// Permission mode: default, acceptEdits, plan, bypassPermissions, dontAsk
    #[arg(long)]
    pub permission_mode: Option<String>,

    /// Bypass all permission checks (deny rules still apply)
    #[arg(long)]
    pub dangerously_skip_permissions: bool,

    /// Allow switching to bypassPermissions without starting in it
    #[arg(long)]
    pub allow_dangerously_skip_permissions: bool,

    /// Replace the system prompt
    #[arg(long)]
    pub system_prompt: Option<String>,

    /// Replace the system prompt with a file's contents
    #[arg(long)]
    pub system_prompt_file: Option<String>,

    /// Append to the system prompt
    #[arg(long)]
    pub append_system_prompt: Option<String>,

    /// Append a file's contents to the system prompt
    #[arg(long)]
    pub append_system_prompt_file: Option<String>,

    /// Additional working directories
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    pub add_dir: Vec<String>,

    /// Load MCP servers from JSON files or strings
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    pub mcp_config: Vec<String>,

    /// Only use MCP servers from --mcp-config
    #[arg(long)]
    pub strict_mcp_config: bool,

    /// Extra settings: a file path or a JSON string
    #[arg(long)]
    pub settings: Option<String>,

    /// Which settings to load: comma list of user, project, local
    #[arg(long)]
    pub setting_sources: Option<String>,

    /// MCP tool (or "stdio") to ask for permission in print mode
    #[arg(long)]
    pub permission_prompt_tool: Option<String>,

    /// Subagent definitions as JSON
    #[arg(long)]
    pub agents: Option<String>,

    /// Run the main thread as this agent
    #[arg(long)]
    pub agent: Option<String>,

    /// Extra anthropic-beta values
    #[arg(long, num_args = 1.., action = clap::ArgAction::Append)]
    pub betas: Vec<String>,

    /// Extended thinking budget in tokens
    #[arg(long)]
    pub max_thinking_tokens: Option<u64>,

    /// Thinking mode (adaptive, enabled, disabled)
    #[arg(long)]
    pub thinking: Option<String>,

    /// Effort level
    #[arg(long)]
    pub effort: Option<String>,

    /// JSON schema for structured output
    #[arg(long)]
    pub json_schema: Option<String>,

    /// Include hook lifecycle events in the stream
    #[arg(long)]
    pub include_hook_events: bool,

    /// Disable slash commands
    #[arg(long)]
    pub disable_slash_commands: bool,

    /// Do not save the session transcript (print mode)
    #[arg(long)]
    pub no_session_persistence: bool,

    /// Minimal mode: skip discovery of hooks, commands, MCP and CLAUDE.md
    #[arg(long)]
    pub bare: bool,

    /// Debug output, optionally filtered
    #[arg(short = 'd', long, num_args = 0..=1, default_missing_value = "")]
    pub debug: Option<String>,

    /// Write debug output to a file
    #[arg(long)]
    pub debug_file: Option<String>,

    /// Deprecated MCP debug flag
    #[arg(long, hide = true)]
    pub mcp_debug: bool,

    /// Connect to an IDE
    #[arg(long, hide = true)]
    pub ide: bool,

    /// Print the version
    #[arg(short = 'v', long = "version")]
    pub version: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in with an API key (recommended) or a Claude account
    Login {
        /// Paste an API key
        #[arg(long, conflicts_with = "oauth")]
        api_key: bool,
        /// Log in with a Claude account (OAuth)
        #[arg(long)]
        oauth: bool,
    },
    /// Remove the stored credential
    Logout,
}

impl Args {
    /// Permission-rule values are comma- or space-separated, except inside parentheses.
    pub fn split_rules(values: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for v in values {
            let mut depth = 0i32;
            let mut cur = String::new();
            for c in v.chars() {
                match c {
                    '(' => {
                        depth += 1;
                        cur.push(c);
                    }
                    ')' => {
                        depth -= 1;
                        cur.push(c);
                    }
                    ',' | ' ' | '\t' | '\n' if depth <= 0 => {
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
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_split_outside_parentheses() {
        let v = vec![
            "Bash(git log:*) Edit".to_string(),
            "Read,Bash(npm install)".to_string(),
            "Bash(a, b)".to_string(),
        ];
        assert_eq!(
            Args::split_rules(&v),
            [
                "Bash(git log:*)",
                "Edit",
                "Read",
                "Bash(npm install)",
                "Bash(a, b)"
            ]
        );
    }

    #[test]
    fn sdk_style_invocations_parse() {
        let a = Args::try_parse_from([
            "ccrs",
            "--output-format",
            "stream-json",
            "--verbose",
            "--system-prompt",
            "",
            "--setting-sources",
            "",
            "--resume=abc",
            "--max-turns",
            "3",
            "--allowedTools",
            "Read,Bash",
            "--print",
            "--",
            "hello",
        ])
        .unwrap();
        assert!(a.print);
        assert_eq!(a.prompt.as_deref(), Some("hello"));
        assert_eq!(a.resume.as_deref(), Some("abc"));
        assert_eq!(a.system_prompt.as_deref(), Some(""));
        assert_eq!(a.setting_sources.as_deref(), Some(""));
        assert_eq!(a.output_format, OutputFormat::StreamJson);
        let b = Args::try_parse_from(["ccrs", "-r"]).unwrap();
        assert_eq!(b.resume.as_deref(), Some(""));
    }
}
