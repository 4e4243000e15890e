//! Command-line flags: Claude Code's names and semantics. Flags ccrs does not implement yet are
//! accepted (so SDKs and scripts keep working) and reported where it matters.
//!
//! Claude Code parses its command line with commander.js; this is a small table-driven parser with
//! the same behaviour (clap cost ~200 KB of the binary). Each option is declared once by its
//! commander-style flags string, e.g. `-r, --resume [id]`: its names, and whether it takes a value
//! (`<v>`), an optional value (`[v]`) or several (`<v...>`), all come from that string, which help
//! and error messages also print as is.

mod mcp;

pub use mcp::{AddArgs, McpCommand};
use std::collections::VecDeque;
use std::fmt::{self, Write as _};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
    StreamJson,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum InputFormat {
    #[default]
    Text,
    StreamJson,
}

/// The parsed command line. Each field's meaning is its option's help text in `OPTIONS`.
#[derive(Debug, Default)]
pub struct Args {
    pub prompt: Option<String>,
    pub print: bool,
    pub output_format: OutputFormat,
    pub input_format: InputFormat,
    pub verbose: bool,
    pub include_partial_messages: bool,
    pub replay_user_messages: bool,
    pub continue_: bool,
    /// `Some("")` when given without a value (the picker).
    pub resume: Option<String>,
    pub fork_session: bool,
    pub session_id: Option<String>,
    pub model: Option<String>,
    pub fallback_model: Option<String>,
    pub max_turns: Option<u32>,
    pub max_budget_usd: Option<f64>,
    pub allowed_tools: Vec<String>,
    pub disallowed_tools: Vec<String>,
    pub tools: Option<String>,
    pub permission_mode: Option<String>,
    pub dangerously_skip_permissions: bool,
    pub allow_dangerously_skip_permissions: bool,
    pub system_prompt: Option<String>,
    pub system_prompt_file: Option<String>,
    pub append_system_prompt: Option<String>,
    pub append_system_prompt_file: Option<String>,
    pub add_dir: Vec<String>,
    pub mcp_config: Vec<String>,
    pub strict_mcp_config: bool,
    pub settings: Option<String>,
    pub setting_sources: Option<String>,
    pub permission_prompt_tool: Option<String>,
    pub agents: Option<String>,
    pub agent: Option<String>,
    pub betas: Vec<String>,
    pub max_thinking_tokens: Option<u64>,
    pub thinking: Option<String>,
    pub effort: Option<String>,
    pub json_schema: Option<String>,
    pub include_hook_events: bool,
    pub disable_slash_commands: bool,
    pub no_session_persistence: bool,
    pub bare: bool,
    /// `Some("")` when given without a filter.
    pub debug: Option<String>,
    pub debug_file: Option<String>,
    pub mcp_debug: bool,
    pub ide: bool,
    // Passed by newer Agent SDKs; accepted as Claude Code 2.1.332 accepts them.
    pub task_budget: Option<String>,
    pub resume_session_at: Option<String>,
    pub resume_drops_turn: Option<String>,
    pub session_mirror: bool,
    pub thinking_display: Option<String>,
    pub plugin_dir: Vec<String>,
    pub version: bool,
    pub command: Option<Command>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Log in with an API key (recommended) or a Claude account.
    Login { api_key: bool, oauth: bool },
    /// Remove the stored credential.
    Logout,
    /// `permissions explain <tool> <input>`: what the permission engine decides for one tool
    /// call, and why.
    PermissionsExplain { tool: String, input: String },
    /// `ccrs mcp …`: configure MCP servers.
    Mcp(Box<McpCommand>),
    /// Check credentials, settings, network and models.
    Doctor,
}

/// Why parsing stopped without a usable [`Args`].
#[derive(Debug, PartialEq, Eq)]
pub enum ArgsError {
    /// `-h/--help`: this help text goes to stdout, exit status 0.
    Help(String),
    /// A usage error, formatted (`error: …` and a hint): it goes to stderr, exit status 1.
    Invalid(String),
}

impl ArgsError {
    pub fn exit_code(&self) -> u8 {
        match self {
            ArgsError::Help(_) => 0,
            ArgsError::Invalid(_) => 1,
        }
    }

    /// Write the text where it belongs; a closed stream is not worth a panic.
    pub fn print(&self) {
        use std::io::Write;
        let _ = match self {
            ArgsError::Help(text) => std::io::stdout().write_all(text.as_bytes()),
            ArgsError::Invalid(text) => writeln!(std::io::stderr(), "{text}"),
        };
    }
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Help(text) | ArgsError::Invalid(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for ArgsError {}

/// Stores an option's value (`""` for a flag or an absent optional value); `Err` says what a valid
/// value looks like.
type Setter<T> = fn(&mut T, &str) -> Result<(), &'static str>;

struct Opt<T: 'static> {
    flags: &'static str,
    help: &'static str,
    hidden: bool,
    set: Setter<T>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Flag,
    Value,
    Optional,
    Many,
}

impl<T> Opt<T> {
    fn kind(&self) -> Kind {
        if self.flags.ends_with("...>") {
            Kind::Many
        } else if self.flags.ends_with('>') {
            Kind::Value
        } else if self.flags.ends_with(']') {
            Kind::Optional
        } else {
            Kind::Flag
        }
    }

    fn names(&self) -> impl Iterator<Item = &'static str> {
        let flags: &'static str = self.flags;
        flags.split([',', ' ']).filter(|t| t.starts_with('-'))
    }
}

const fn opt<T>(flags: &'static str, help: &'static str, set: Setter<T>) -> Opt<T> {
    Opt {
        flags,
        help,
        hidden: false,
        set,
    }
}

/// Accepted but left out of the help and of suggestions.
const fn hidden<T>(flags: &'static str, help: &'static str, set: Setter<T>) -> Opt<T> {
    Opt {
        flags,
        help,
        hidden: true,
        set,
    }
}

macro_rules! flag {
    ($field:ident) => {
        |a, _| {
            a.$field = true;
            Ok(())
        }
    };
}

macro_rules! text {
    ($field:ident) => {
        |a, v| {
            a.$field = Some(v.to_string());
            Ok(())
        }
    };
}

macro_rules! list {
    ($field:ident) => {
        |a, v| {
            a.$field.push(v.to_string());
            Ok(())
        }
    };
}

macro_rules! number {
    ($field:ident) => {
        |a, v| {
            a.$field = Some(v.parse().map_err(|_| "Expected a whole number.")?);
            Ok(())
        }
    };
}

const HELP: &str = "-h, --help";
const HELP_TEXT: &str = "Display help for command";

/// Every option of the main command, in help order.
static OPTIONS: &[Opt<Args>] = &[
    opt(
        "-p, --print",
        "Print the response and exit (non-interactive)",
        flag!(print),
    ),
    opt(
        "--output-format <format>",
        "Output format in print mode (choices: \"text\", \"json\", \"stream-json\", default: \"text\")",
        |a, v| {
            a.output_format = match v {
                "text" => OutputFormat::Text,
                "json" => OutputFormat::Json,
                "stream-json" => OutputFormat::StreamJson,
                _ => return Err("Allowed choices are text, json, stream-json."),
            };
            Ok(())
        },
    ),
    opt(
        "--input-format <format>",
        "Input format in print mode (choices: \"text\", \"stream-json\", default: \"text\")",
        |a, v| {
            a.input_format = match v {
                "text" => InputFormat::Text,
                "stream-json" => InputFormat::StreamJson,
                _ => return Err("Allowed choices are text, stream-json."),
            };
            Ok(())
        },
    ),
    opt(
        "--verbose",
        "Full turn-by-turn output (required with --output-format stream-json)",
        flag!(verbose),
    ),
    opt(
        "--include-partial-messages",
        "Emit raw stream events (print mode with stream-json)",
        flag!(include_partial_messages),
    ),
    opt(
        "--replay-user-messages",
        "Echo stream-json user messages back on stdout",
        flag!(replay_user_messages),
    ),
    opt(
        "-c, --continue",
        "Continue the most recent conversation in this directory",
        flag!(continue_),
    ),
    opt(
        "-r, --resume [id]",
        "Resume a conversation by session id (a picker without one)",
        text!(resume),
    ),
    opt(
        "--fork-session",
        "With --resume/--continue: start a new session id",
        flag!(fork_session),
    ),
    opt(
        "--session-id <uuid>",
        "Use this session id (a UUID) for a new session",
        text!(session_id),
    ),
    opt(
        "--model <model>",
        "Model for the session: an alias (opus, sonnet, haiku) or a full model id",
        text!(model),
    ),
    opt(
        "--fallback-model <model>",
        "Model to fall back to when the primary one is overloaded",
        text!(fallback_model),
    ),
    opt(
        "--max-turns <turns>",
        "Maximum number of agentic turns (print mode)",
        number!(max_turns),
    ),
    opt(
        "--max-budget-usd <amount>",
        "Maximum spend in USD for the query (print mode)",
        |a, v| {
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => a.max_budget_usd = Some(x),
                _ => return Err("Expected a non-negative number."),
            }
            Ok(())
        },
    ),
    opt(
        "--allowedTools, --allowed-tools <tools...>",
        "Permission rules to allow (e.g. \"Bash(git log:*) Edit\")",
        list!(allowed_tools),
    ),
    opt(
        "--disallowedTools, --disallowed-tools <tools...>",
        "Permission rules to deny",
        list!(disallowed_tools),
    ),
    opt(
        "--tools <tools>",
        "Built-in tools to offer: \"\" (none), \"default\" (all) or a list like \"Bash,Edit,Read\"",
        text!(tools),
    ),
    opt(
        "--permission-mode <mode>",
        "Permission mode: default, acceptEdits, plan, bypassPermissions, dontAsk",
        text!(permission_mode),
    ),
    opt(
        "--dangerously-skip-permissions",
        "Bypass all permission checks (deny rules still apply)",
        flag!(dangerously_skip_permissions),
    ),
    opt(
        "--allow-dangerously-skip-permissions",
        "Allow switching to bypassPermissions without starting in it",
        flag!(allow_dangerously_skip_permissions),
    ),
    opt(
        "--system-prompt <prompt>",
        "Replace the system prompt",
        text!(system_prompt),
    ),
    opt(
        "--system-prompt-file <file>",
        "Replace the system prompt with a file's contents",
        text!(system_prompt_file),
    ),
    opt(
        "--append-system-prompt <prompt>",
        "Append to the system prompt",
        text!(append_system_prompt),
    ),
    opt(
        "--append-system-prompt-file <file>",
        "Append a file's contents to the system prompt",
        text!(append_system_prompt_file),
    ),
    opt(
        "--add-dir <directories...>",
        "Additional working directories",
        list!(add_dir),
    ),
    opt(
        "--mcp-config <configs...>",
        "Load MCP servers from JSON files or strings",
        list!(mcp_config),
    ),
    opt(
        "--strict-mcp-config",
        "Only use MCP servers from --mcp-config",
        flag!(strict_mcp_config),
    ),
    opt(
        "--settings <file-or-json>",
        "Extra settings: a file path or a JSON string",
        text!(settings),
    ),
    opt(
        "--setting-sources <sources>",
        "Which settings to load: comma list of user, project, local",
        text!(setting_sources),
    ),
    opt(
        "--permission-prompt-tool <tool>",
        "MCP tool (or \"stdio\") to ask for permission in print mode",
        text!(permission_prompt_tool),
    ),
    opt(
        "--agents <json>",
        "Subagent definitions as JSON",
        text!(agents),
    ),
    opt(
        "--agent <agent>",
        "Run the main thread as this agent",
        text!(agent),
    ),
    opt(
        "--betas <betas...>",
        "Extra anthropic-beta values",
        list!(betas),
    ),
    opt(
        "--max-thinking-tokens <tokens>",
        "Extended thinking budget in tokens",
        number!(max_thinking_tokens),
    ),
    opt(
        "--thinking <mode>",
        "Thinking mode (adaptive, enabled, disabled)",
        text!(thinking),
    ),
    opt("--effort <level>", "Effort level", text!(effort)),
    opt(
        "--json-schema <schema>",
        "JSON schema for structured output",
        text!(json_schema),
    ),
    opt(
        "--include-hook-events",
        "Include hook lifecycle events in the stream",
        flag!(include_hook_events),
    ),
    opt(
        "--disable-slash-commands",
        "Disable slash commands",
        flag!(disable_slash_commands),
    ),
    opt(
        "--no-session-persistence",
        "Do not save the session transcript (print mode)",
        flag!(no_session_persistence),
    ),
    opt(
        "--bare",
        "Minimal mode: skip discovery of hooks, commands, MCP and CLAUDE.md",
        flag!(bare),
    ),
    opt(
        "-d, --debug [filter]",
        "Debug output, optionally filtered",
        text!(debug),
    ),
    opt(
        "--debug-file <path>",
        "Write debug output to a file",
        text!(debug_file),
    ),
    hidden("--mcp-debug", "Deprecated MCP debug flag", flag!(mcp_debug)),
    hidden("--ide", "Connect to an IDE", flag!(ide)),
    hidden(
        "--task-budget <tokens>",
        "Token budget for the task",
        text!(task_budget),
    ),
    hidden(
        "--resume-session-at <message id>",
        "Resume the session up to this message",
        text!(resume_session_at),
    ),
    hidden(
        "--resume-drops-turn <message id>",
        "Resume the session without this turn",
        text!(resume_drops_turn),
    ),
    hidden(
        "--session-mirror",
        "Mirror the transcript to the SDK host",
        flag!(session_mirror),
    ),
    hidden(
        "--thinking-display <display>",
        "How thinking is shown",
        text!(thinking_display),
    ),
    hidden(
        "--plugin-dir <path>",
        "Load a plugin from this directory",
        list!(plugin_dir),
    ),
    opt("-v, --version", "Print the version", flag!(version)),
    opt(HELP, HELP_TEXT, |_, _| Ok(())),
];

const ABOUT: &str = "ccrs — a lightweight, drop-in reimplementation of Claude Code.\n\n\
                     Starts an interactive session by default; use -p/--print for non-interactive output.";
const LOGIN_ABOUT: &str = "Log in with an API key (recommended) or a Claude account";
const LOGOUT_ABOUT: &str = "Remove the stored credential";
const EXPLAIN_ABOUT: &str = "Show whether a tool call would be allowed, asked or denied, and why \
                             (input: JSON, or for Bash the command, for file tools the path)";
const EXPLAIN_USAGE: &str = "permissions explain <tool> <input>";
const DOCTOR_ABOUT: &str =
    "Check credentials, settings, proxy and CAs, and whether the API answers";

#[derive(Default)]
struct LoginFlags {
    api_key: bool,
    oauth: bool,
}

static LOGIN_OPTIONS: &[Opt<LoginFlags>] = &[
    opt("--api-key", "Paste an API key", flag!(api_key)),
    opt(
        "--oauth",
        "Log in with a Claude account (OAuth)",
        flag!(oauth),
    ),
    opt(HELP, HELP_TEXT, |_, _| Ok(())),
];

static LOGOUT_OPTIONS: &[Opt<()>] = &[opt(HELP, HELP_TEXT, |_, _| Ok(()))];

/// Something the option loop hands back to its caller.
enum Tok {
    /// A positional argument; `literal` when it came after `--`.
    Word {
        text: String,
        literal: bool,
    },
    Help,
}

/// What is left of the command line, and the command it belongs to (for messages).
struct Parser {
    args: VecDeque<String>,
    /// After `--` every argument is positional.
    literal: bool,
    cmd: &'static str,
}

/// Commander's test: `-` alone is a positional argument (stdin, by convention).
fn is_option_like(arg: &str) -> bool {
    arg.len() > 1 && arg.starts_with('-')
}

fn find<'a, T>(opts: &'a [Opt<T>], name: &str) -> Option<&'a Opt<T>> {
    opts.iter().find(|o| o.names().any(|n| n == name))
}

impl Parser {
    fn error(&self, msg: impl fmt::Display) -> ArgsError {
        ArgsError::Invalid(format!(
            "error: {msg}\nRun '{} --help' for usage.",
            self.cmd
        ))
    }

    fn apply<T>(&self, opt: &Opt<T>, target: &mut T, value: &str) -> Result<(), ArgsError> {
        (opt.set)(target, value).map_err(|expected| {
            self.error(format_args!(
                "option '{}' argument '{value}' is invalid. {expected}",
                opt.flags
            ))
        })
    }

    /// Applies options to `target` up to the next positional argument, `-h/--help` or the end.
    /// Mirrors commander's `parseOptions`: a required value is the next argument whatever it
    /// looks like; an optional one only if it does not look like an option; a variadic option
    /// keeps taking arguments until one looks like an option.
    fn next<T>(&mut self, opts: &[Opt<T>], target: &mut T) -> Result<Option<Tok>, ArgsError> {
        let mut variadic: Option<&Opt<T>> = None;
        while let Some(arg) = self.args.pop_front() {
            if self.literal {
                return Ok(Some(Tok::Word {
                    text: arg,
                    literal: true,
                }));
            }
            if arg == "--" {
                self.literal = true;
                continue;
            }
            if let Some(opt) = variadic {
                if !is_option_like(&arg) {
                    self.apply(opt, target, &arg)?;
                    continue;
                }
                variadic = None;
            }
            if !is_option_like(&arg) {
                return Ok(Some(Tok::Word {
                    text: arg,
                    literal: false,
                }));
            }
            if let Some(opt) = find(opts, &arg) {
                match opt.kind() {
                    Kind::Flag if opt.flags == HELP => return Ok(Some(Tok::Help)),
                    Kind::Flag => self.apply(opt, target, "")?,
                    Kind::Optional => {
                        let value = match self.args.front() {
                            Some(next) if !is_option_like(next) => self.args.pop_front(),
                            _ => None,
                        };
                        self.apply(opt, target, value.as_deref().unwrap_or(""))?;
                    }
                    kind @ (Kind::Value | Kind::Many) => {
                        let Some(value) = self.args.pop_front() else {
                            return Err(
                                self.error(format_args!("option '{}' argument missing", opt.flags))
                            );
                        };
                        self.apply(opt, target, &value)?;
                        if kind == Kind::Many {
                            variadic = Some(opt);
                        }
                    }
                }
                continue;
            }
            // Short options run together: `-pc` is `-p -c`, `-rID` is `-r ID`.
            if !arg.starts_with("--") && arg.len() > 2 {
                let (short, rest) =
                    arg.split_at(1 + arg[1..].chars().next().map_or(1, char::len_utf8));
                if let Some(opt) = find(opts, short) {
                    match opt.kind() {
                        Kind::Flag if opt.flags == HELP => return Ok(Some(Tok::Help)),
                        Kind::Flag => {
                            self.apply(opt, target, "")?;
                            self.args.push_front(format!("-{rest}"));
                        }
                        _ => self.apply(opt, target, rest)?,
                    }
                    continue;
                }
            }
            if arg.starts_with("--")
                && let Some((name, value)) = arg.split_once('=')
                && let Some(opt) = find(opts, name)
            {
                if opt.kind() == Kind::Flag {
                    return Err(self.error(format_args!("option '{name}' does not take a value")));
                }
                self.apply(opt, target, value)?;
                continue;
            }
            return Err(self.unknown(opts, &arg));
        }
        Ok(None)
    }

    fn unknown<T>(&self, opts: &[Opt<T>], arg: &str) -> ArgsError {
        let mut msg = format!("unknown option '{arg}'");
        let name = arg.split('=').next().unwrap_or(arg);
        if name.starts_with("--") {
            let visible = opts.iter().filter(|o| !o.hidden).flat_map(|o| o.names());
            match suggest(name, visible).as_slice() {
                [] => {}
                [one] => {
                    let _ = write!(msg, "\n(Did you mean {one}?)");
                }
                many => {
                    let _ = write!(msg, "\n(Did you mean one of {}?)", many.join(", "));
                }
            }
        }
        self.error(msg)
    }

    /// Parses a subcommand's options and help; it takes no positional argument.
    fn sub<T: Default>(
        &mut self,
        cmd: &'static str,
        about: &str,
        opts: &[Opt<T>],
    ) -> Result<T, ArgsError> {
        self.cmd = cmd;
        let mut target = T::default();
        let mut extra = 0;
        while let Some(tok) = self.next(opts, &mut target)? {
            match tok {
                Tok::Help => {
                    let usage = format!("{cmd} [options]");
                    return Err(ArgsError::Help(help(&usage, about, &[], opts, &[])));
                }
                Tok::Word { .. } => extra += 1,
            }
        }
        if extra > 0 {
            let name = cmd.rsplit(' ').next().unwrap_or(cmd);
            return Err(self.error(format_args!(
                "too many arguments for '{name}'. Expected 0 arguments but got {extra}."
            )));
        }
        Ok(target)
    }
}

/// Commander's suggestion: the known long options closest to `word` by optimal-string-alignment
/// distance, if under 3 edits and more similar than different.
fn suggest(word: &str, candidates: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
    let word: Vec<char> = word.chars().skip(2).collect();
    let mut best = 3;
    let mut similar: Vec<&'static str> = Vec::new();
    for candidate in candidates.filter(|c| c.starts_with("--")) {
        let c: Vec<char> = candidate.chars().skip(2).collect();
        if c.len() <= 1 {
            continue;
        }
        let distance = edit_distance(&word, &c);
        let length = word.len().max(c.len());
        // (length - distance) / length > 0.4, in integers.
        if (length.saturating_sub(distance)) * 5 <= length * 2 {
            continue;
        }
        if distance < best {
            best = distance;
            similar = vec![candidate];
        } else if distance == best && !similar.contains(&candidate) {
            similar.push(candidate);
        }
    }
    similar.sort_unstable();
    similar
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let w = b.len() + 1;
    // Row-major (a.len() + 1) × (b.len() + 1) table; row 0 and column 0 are the distances from "".
    let mut d = vec![0; (a.len() + 1) * w];
    for (j, x) in d.iter_mut().take(w).enumerate() {
        *x = j;
    }
    for i in 1..=a.len() {
        d[i * w] = i;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// Commander's help layout: usage, description, then aligned sections.
fn help<T>(
    usage: &str,
    about: &str,
    arguments: &[(&str, &str)],
    opts: &[Opt<T>],
    commands: &[(&str, &str)],
) -> String {
    let options: Vec<(&str, &str)> = opts
        .iter()
        .filter(|o| !o.hidden)
        .map(|o| (o.flags, o.help))
        .collect();
    let width = arguments
        .iter()
        .chain(&options)
        .chain(commands)
        .map(|(term, _)| term.len())
        .max()
        .unwrap_or(0)
        + 2;
    let mut out = format!("Usage: {usage}\n\n{about}\n");
    for (title, rows) in [
        ("Arguments", arguments),
        ("Options", &options[..]),
        ("Commands", commands),
    ] {
        if rows.is_empty() {
            continue;
        }
        let _ = write!(out, "\n{title}:\n");
        for (term, text) in rows {
            let _ = writeln!(out, "  {term:width$}{text}");
        }
    }
    out
}

fn root_help() -> String {
    help(
        "ccrs [options] [command] [prompt]",
        ABOUT,
        &[("prompt", "Your prompt")],
        OPTIONS,
        &[
            ("doctor", DOCTOR_ABOUT),
            ("login [options]", LOGIN_ABOUT),
            ("logout", LOGOUT_ABOUT),
            ("mcp", "Configure and manage MCP servers"),
            (EXPLAIN_USAGE, EXPLAIN_ABOUT),
        ],
    )
}

impl Args {
    /// Parses the process's command line.
    pub fn try_parse() -> Result<Args, ArgsError> {
        let mut args = Vec::new();
        for arg in std::env::args_os() {
            match arg.into_string() {
                Ok(s) => args.push(s),
                Err(bad) => {
                    return Err(ArgsError::Invalid(format!(
                        "error: argument '{}' is not valid UTF-8",
                        bad.to_string_lossy()
                    )));
                }
            }
        }
        Self::try_parse_from(args)
    }

    /// Parses `iter`, whose first item is the program name.
    pub fn try_parse_from<I, S>(iter: I) -> Result<Args, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut p = Parser {
            args: iter.into_iter().skip(1).map(Into::into).collect(),
            literal: false,
            cmd: "ccrs",
        };
        let mut args = Args::default();
        let mut positionals = 0;
        while let Some(tok) = p.next(OPTIONS, &mut args)? {
            let (text, literal) = match tok {
                Tok::Help => return Err(ArgsError::Help(root_help())),
                Tok::Word { text, literal } => (text, literal),
            };
            positionals += 1;
            // As in commander, only the first positional argument can name a subcommand; unlike
            // commander, not after `--`, so `ccrs -p -- login` asks the model about "login".
            if positionals == 1 && !literal {
                match text.as_str() {
                    "login" => {
                        let f: LoginFlags = p.sub("ccrs login", LOGIN_ABOUT, LOGIN_OPTIONS)?;
                        if f.api_key && f.oauth {
                            return Err(
                                p.error("option '--api-key' cannot be used with option '--oauth'")
                            );
                        }
                        args.command = Some(Command::Login {
                            api_key: f.api_key,
                            oauth: f.oauth,
                        });
                        break;
                    }
                    "logout" => {
                        p.sub("ccrs logout", LOGOUT_ABOUT, LOGOUT_OPTIONS)?;
                        args.command = Some(Command::Logout);
                        break;
                    }
                    "permissions" => {
                        // The session's options (--settings, --allowedTools, …) apply here too.
                        p.cmd = "ccrs permissions";
                        let mut words = Vec::new();
                        while let Some(tok) = p.next(OPTIONS, &mut args)? {
                            match tok {
                                Tok::Help => {
                                    let usage = format!("ccrs {EXPLAIN_USAGE} [options]");
                                    return Err(ArgsError::Help(help(
                                        &usage,
                                        EXPLAIN_ABOUT,
                                        &[],
                                        OPTIONS,
                                        &[],
                                    )));
                                }
                                Tok::Word { text, .. } => words.push(text),
                            }
                        }
                        let [sub, tool, input] = words.as_slice() else {
                            return Err(p.error(format_args!("usage: ccrs {EXPLAIN_USAGE}")));
                        };
                        if sub != "explain" {
                            return Err(p.error(format_args!(
                                "unknown permissions command '{sub}' (usage: ccrs {EXPLAIN_USAGE})"
                            )));
                        }
                        args.command = Some(Command::PermissionsExplain {
                            tool: tool.clone(),
                            input: input.clone(),
                        });
                        break;
                    }
                    "mcp" => {
                        args.command = Some(Command::Mcp(Box::new(mcp::parse(&mut p)?)));
                        break;
                    }
                    "doctor" => {
                        p.sub("ccrs doctor", DOCTOR_ABOUT, LOGOUT_OPTIONS)?;
                        args.command = Some(Command::Doctor);
                        break;
                    }
                    _ => {}
                }
            }
            if positionals == 1 {
                args.prompt = Some(text);
            }
        }
        if positionals > 1 {
            return Err(p.error(format_args!(
                "too many arguments. Expected 1 argument but got {positionals}."
            )));
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn parse(args: &[&str]) -> Args {
        match Args::try_parse_from(std::iter::once("ccrs").chain(args.iter().copied())) {
            Ok(a) => a,
            Err(e) => panic!("{args:?}: {e}"),
        }
    }

    /// The error text, failing the test if parsing succeeded or printed help.
    fn error(args: &[&str]) -> String {
        match Args::try_parse_from(std::iter::once("ccrs").chain(args.iter().copied())) {
            Err(e @ ArgsError::Invalid(_)) => {
                assert_eq!(e.exit_code(), 1);
                e.to_string()
            }
            other => panic!("{args:?}: expected an error, got {other:?}"),
        }
    }

    fn help_text(args: &[&str]) -> String {
        match Args::try_parse_from(std::iter::once("ccrs").chain(args.iter().copied())) {
            Err(e @ ArgsError::Help(_)) => {
                assert_eq!(e.exit_code(), 0);
                e.to_string()
            }
            other => panic!("{args:?}: expected help, got {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let a = parse(&[]);
        assert!(!a.print && a.prompt.is_none() && a.command.is_none());
        assert_eq!(a.output_format, OutputFormat::Text);
        assert_eq!(a.input_format, InputFormat::Text);
        assert!(a.resume.is_none() && a.debug.is_none() && a.allowed_tools.is_empty());
    }

    #[test]
    fn values_with_equals_or_as_the_next_argument() {
        assert_eq!(parse(&["--model", "opus"]).model.as_deref(), Some("opus"));
        assert_eq!(parse(&["--model=opus"]).model.as_deref(), Some("opus"));
        assert_eq!(parse(&["--model="]).model.as_deref(), Some(""));
        // Only the first `=` separates.
        assert_eq!(
            parse(&["--append-system-prompt=a=b"])
                .append_system_prompt
                .as_deref(),
            Some("a=b")
        );
        // A required value is the next argument whatever it looks like (commander).
        let a = parse(&[
            "--append-system-prompt",
            "- be terse",
            "--model",
            "--verbose",
        ]);
        assert_eq!(a.append_system_prompt.as_deref(), Some("- be terse"));
        assert_eq!(a.model.as_deref(), Some("--verbose"));
        assert!(!a.verbose);
        // The last of a repeated scalar wins.
        assert_eq!(
            parse(&["--model", "a", "--model=b"]).model.as_deref(),
            Some("b")
        );
        assert!(error(&["--model"]).contains("error: option '--model <model>' argument missing"));
        assert!(error(&["-p", "--session-id"]).contains("'--session-id <uuid>' argument missing"));
        assert!(error(&["--verbose=1"]).contains("option '--verbose' does not take a value"));
    }

    #[test]
    fn double_dash_ends_options() {
        let a = parse(&["--print", "--", "-p"]);
        assert!(a.print);
        assert_eq!(a.prompt.as_deref(), Some("-p"));
        let a = parse(&["--", "--help"]);
        assert_eq!(a.prompt.as_deref(), Some("--help"));
        // After `--`, `login` is a prompt, not the subcommand.
        let a = parse(&["-p", "--", "login"]);
        assert_eq!(a.prompt.as_deref(), Some("login"));
        assert!(a.command.is_none());
        let a = parse(&["--add-dir", "x", "--", "y"]);
        assert_eq!(a.add_dir, ["x"]);
        assert_eq!(a.prompt.as_deref(), Some("y"));
        assert!(parse(&["-p", "--"]).prompt.is_none());
        // `-` alone is a positional argument.
        assert_eq!(parse(&["-"]).prompt.as_deref(), Some("-"));
    }

    #[test]
    fn optional_values() {
        assert_eq!(parse(&["-r"]).resume.as_deref(), Some(""));
        assert_eq!(parse(&["--resume"]).resume.as_deref(), Some(""));
        assert_eq!(parse(&["-r", "abc"]).resume.as_deref(), Some("abc"));
        assert_eq!(parse(&["--resume", "abc"]).resume.as_deref(), Some("abc"));
        assert_eq!(parse(&["--resume=-abc"]).resume.as_deref(), Some("-abc"));
        assert_eq!(parse(&["-rabc"]).resume.as_deref(), Some("abc"));
        let a = parse(&["-r", "--verbose"]);
        assert_eq!(a.resume.as_deref(), Some(""));
        assert!(a.verbose);
        let a = parse(&["--resume", "--", "hi"]);
        assert_eq!(a.resume.as_deref(), Some(""));
        assert_eq!(a.prompt.as_deref(), Some("hi"));
        assert_eq!(parse(&["-d"]).debug.as_deref(), Some(""));
        assert_eq!(
            parse(&["--debug", "api,hooks"]).debug.as_deref(),
            Some("api,hooks")
        );
        assert_eq!(parse(&["--debug=!file"]).debug.as_deref(), Some("!file"));
        let a = parse(&["-d", "-p", "hi"]);
        assert_eq!(a.debug.as_deref(), Some(""));
        assert!(a.print);
        assert_eq!(a.prompt.as_deref(), Some("hi"));
    }

    #[test]
    fn variadic_values() {
        let a = parse(&[
            "--allowedTools",
            "Read",
            "Bash(git log:*)",
            "--verbose",
            "hi",
        ]);
        assert_eq!(a.allowed_tools, ["Read", "Bash(git log:*)"]);
        assert!(a.verbose);
        assert_eq!(a.prompt.as_deref(), Some("hi"));
        // Repeated, under either name: appended.
        let a = parse(&["--allowed-tools", "A", "--allowedTools", "B", "C", "-p"]);
        assert_eq!(a.allowed_tools, ["A", "B", "C"]);
        assert!(a.print);
        let a = parse(&[
            "--disallowedTools",
            "Bash",
            "--disallowed-tools=Edit",
            "--add-dir",
            "a",
            "b",
            "--add-dir",
            "c",
            "--mcp-config",
            "{}",
            "x.json",
            "--betas",
            "b1",
            "--betas",
            "b2",
        ]);
        assert_eq!(a.disallowed_tools, ["Bash", "Edit"]);
        assert_eq!(a.add_dir, ["a", "b", "c"]);
        assert_eq!(a.mcp_config, ["{}", "x.json"]);
        assert_eq!(a.betas, ["b1", "b2"]);
        // `--name=value` takes exactly one value (commander).
        let a = parse(&["--add-dir=a", "b"]);
        assert_eq!(a.add_dir, ["a"]);
        assert_eq!(a.prompt.as_deref(), Some("b"));
        // The first value is taken whatever it looks like; missing only at the end.
        assert_eq!(parse(&["--betas", "-x"]).betas, ["-x"]);
        assert!(
            error(&["--add-dir"]).contains("option '--add-dir <directories...>' argument missing")
        );
    }

    #[test]
    fn typed_values() {
        let a = parse(&[
            "--output-format=json",
            "--input-format",
            "stream-json",
            "--max-turns",
            "3",
            "--max-budget-usd",
            "0.5",
            "--max-thinking-tokens",
            "10000000000",
        ]);
        assert_eq!(a.output_format, OutputFormat::Json);
        assert_eq!(a.input_format, InputFormat::StreamJson);
        assert_eq!(a.max_turns, Some(3));
        assert_eq!(a.max_budget_usd, Some(0.5));
        assert_eq!(a.max_thinking_tokens, Some(10_000_000_000));
        assert_eq!(
            parse(&["--output-format", "text"]).output_format,
            OutputFormat::Text
        );
        let e = error(&["--output-format", "yaml"]);
        assert!(
            e.contains("error: option '--output-format <format>' argument 'yaml' is invalid. Allowed choices are text, json, stream-json."),
            "{e}"
        );
        assert!(
            error(&["--input-format", "json"]).contains("Allowed choices are text, stream-json.")
        );
        for bad in ["x", "-1", "1.5", "4294967296", ""] {
            let e = error(&["--max-turns", bad]);
            assert!(
                e.contains(&format!("option '--max-turns <turns>' argument '{bad}' is invalid. Expected a whole number.")),
                "{e}"
            );
        }
        assert!(error(&["--max-thinking-tokens=lots"]).contains("argument 'lots' is invalid"));
        for bad in ["abc", "-1", "NaN", "inf"] {
            assert!(
                error(&["--max-budget-usd", bad]).contains("Expected a non-negative number."),
                "{bad}"
            );
        }
    }

    #[test]
    fn short_options_run_together() {
        let a = parse(&["-pc"]);
        assert!(a.print && a.continue_);
        let a = parse(&["-pr", "abc"]);
        assert!(a.print);
        assert_eq!(a.resume.as_deref(), Some("abc"));
        assert!(parse(&["-v", "-p"]).version);
        assert!(error(&["-px"]).contains("unknown option '-x'"));
        assert!(error(&["-éx"]).contains("unknown option '-éx'"));
    }

    #[test]
    fn unknown_options_suggest_the_closest_known_one() {
        let e = error(&["--modle", "opus"]);
        assert_eq!(
            e,
            "error: unknown option '--modle'\n(Did you mean --model?)\nRun 'ccrs --help' for usage."
        );
        assert!(
            error(&["--allowedtools=Read"])
                .contains("(Did you mean one of --allowed-tools, --allowedTools?)")
        );
        assert!(error(&["--verbos"]).contains("(Did you mean --verbose?)"));
        let e = error(&["--frobnicate"]);
        assert!(
            e.contains("unknown option '--frobnicate'") && !e.contains("Did you mean"),
            "{e}"
        );
        assert!(e.ends_with("Run 'ccrs --help' for usage."));
        assert!(error(&["-x"]).contains("unknown option '-x'"));
        // `-V` only answers alone (main.rs's fast path).
        assert!(error(&["-V", "-p"]).contains("unknown option '-V'"));
        // Hidden options are accepted but never suggested.
        let a = parse(&["--mcp-debug", "--ide"]);
        assert!(a.mcp_debug && a.ide);
        assert!(!error(&["--idee"]).contains("Did you mean"));
        // Ties are all listed.
        assert!(error(&["--agentz"]).contains("(Did you mean one of --agent, --agents?)"));
    }

    #[test]
    fn at_most_one_prompt() {
        assert_eq!(
            parse(&["hello world"]).prompt.as_deref(),
            Some("hello world")
        );
        let e = error(&["a", "b"]);
        assert!(
            e.contains("error: too many arguments. Expected 1 argument but got 2."),
            "{e}"
        );
        assert!(error(&["-p", "a", "--verbose", "b", "c"]).contains("but got 3"));
        assert!(error(&["--", "a", "b"]).contains("too many arguments"));
        // `login` after a prompt is just another argument.
        assert!(error(&["hi", "login"]).contains("too many arguments"));
    }

    #[test]
    fn subcommands() {
        let login = |api_key, oauth| Some(Command::Login { api_key, oauth });
        assert_eq!(parse(&["login"]).command, login(false, false));
        assert_eq!(parse(&["login", "--api-key"]).command, login(true, false));
        assert_eq!(parse(&["login", "--oauth"]).command, login(false, true));
        let a = parse(&["--verbose", "login", "--oauth"]);
        assert!(a.verbose && a.prompt.is_none());
        assert_eq!(a.command, login(false, true));
        assert_eq!(parse(&["logout"]).command, Some(Command::Logout));
        assert_eq!(
            parse(&[
                "permissions",
                "explain",
                "Bash",
                "ls -la",
                "--allowedTools",
                "Bash(ls)"
            ])
            .command,
            Some(Command::PermissionsExplain {
                tool: "Bash".into(),
                input: "ls -la".into()
            })
        );
        let a = parse(&[
            "permissions",
            "explain",
            "Read",
            "x",
            "--permission-mode",
            "plan",
        ]);
        assert_eq!(a.permission_mode.as_deref(), Some("plan"));
        assert!(
            error(&["permissions", "explain", "Bash"]).contains("usage: ccrs permissions explain")
        );
        assert!(error(&["permissions", "show", "a", "b"]).contains("unknown permissions command"));
        assert_eq!(parse(&["doctor"]).command, Some(Command::Doctor));
        assert_eq!(
            parse(&["--settings", "s.json", "doctor"]).command,
            Some(Command::Doctor)
        );
        let e = error(&["login", "--api-key", "--oauth"]);
        assert!(
            e.contains("error: option '--api-key' cannot be used with option '--oauth'"),
            "{e}"
        );
        let e = error(&["login", "--oauht"]);
        assert!(e.contains("unknown option '--oauht'") && e.contains("(Did you mean --oauth?)"));
        assert!(e.ends_with("Run 'ccrs login --help' for usage."));
        // The main command's options are not the subcommand's.
        assert!(error(&["login", "--print"]).contains("unknown option '--print'"));
        assert!(
            error(&["logout", "now"])
                .contains("too many arguments for 'logout'. Expected 0 arguments but got 1.")
        );
        let h = help_text(&["login", "--help"]);
        assert!(h.starts_with("Usage: ccrs login [options]\n"), "{h}");
        for s in ["--api-key", "Paste an API key", "--oauth", "-h, --help"] {
            assert!(h.contains(s), "{s}");
        }
        assert!(help_text(&["logout", "-h"]).contains("Remove the stored credential"));
    }

    #[test]
    fn help_lists_every_visible_option() {
        let h = help_text(&["--help"]);
        assert_eq!(h, help_text(&["-p", "-h"]));
        assert!(
            h.starts_with("Usage: ccrs [options] [command] [prompt]\n"),
            "{h}"
        );
        assert!(h.contains("  prompt ") && h.contains("Your prompt"));
        for o in OPTIONS.iter().filter(|o| !o.hidden) {
            let line = h
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{}  ", o.flags)));
            assert!(
                line.is_some_and(|l| l.ends_with(o.help)),
                "{} missing from\n{h}",
                o.flags
            );
        }
        assert!(!h.contains("--mcp-debug") && !h.contains("--ide"));
        assert!(h.contains("login [options]") && h.contains("Log in with an API key"));
        assert!(h.contains("permissions explain <tool> <input>"), "{h}");
        assert!(h.contains("logout") && h.contains("Remove the stored credential"));
        // Help wins over what follows it.
        assert!(help_text(&["--help", "--bogus"]).starts_with("Usage:"));
    }

    /// Every flag the clap version accepted is still accepted, with a value where it took one.
    #[test]
    fn every_former_flag_is_accepted() {
        let flags = [
            "-p",
            "--print",
            "--verbose",
            "--include-partial-messages",
            "--replay-user-messages",
            "-c",
            "--continue",
            "-r",
            "--resume",
            "--fork-session",
            "--dangerously-skip-permissions",
            "--allow-dangerously-skip-permissions",
            "--strict-mcp-config",
            "--include-hook-events",
            "--disable-slash-commands",
            "--no-session-persistence",
            "--bare",
            "-d",
            "--debug",
            "--mcp-debug",
            "--ide",
            "-v",
            "--version",
        ];
        for f in flags {
            parse(&[f]);
        }
        let valued = [
            ("--output-format", "json"),
            ("--input-format", "stream-json"),
            ("--session-id", "x"),
            ("--model", "x"),
            ("--fallback-model", "x"),
            ("--max-turns", "1"),
            ("--max-budget-usd", "1"),
            ("--allowedTools", "x"),
            ("--allowed-tools", "x"),
            ("--disallowedTools", "x"),
            ("--disallowed-tools", "x"),
            ("--tools", ""),
            ("--permission-mode", "plan"),
            ("--system-prompt", "x"),
            ("--system-prompt-file", "x"),
            ("--append-system-prompt", "x"),
            ("--append-system-prompt-file", "x"),
            ("--add-dir", "x"),
            ("--mcp-config", "x"),
            ("--settings", "x"),
            ("--setting-sources", ""),
            ("--permission-prompt-tool", "stdio"),
            ("--agents", "{}"),
            ("--agent", "x"),
            ("--betas", "x"),
            ("--max-thinking-tokens", "1"),
            ("--thinking", "x"),
            ("--effort", "x"),
            ("--json-schema", "{}"),
            ("--debug-file", "x"),
        ];
        for (f, v) in valued {
            parse(&[f, v]);
            parse(&[&format!("{f}={v}")]);
            assert!(error(&[f]).contains("argument missing"), "{f}");
        }
    }
}
