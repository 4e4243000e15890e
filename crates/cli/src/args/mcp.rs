//! `ccrs mcp add|add-json|remove|list|get|reset-project-choices`: Claude Code's grammar
//! (commander's rules: options anywhere before `--`, `-e`/`-H` take several values).

use super::{ArgsError, HELP, HELP_TEXT, Opt, Parser, Tok, help, opt};

/// One `ccrs mcp` command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum McpCommand {
    Add(AddArgs),
    AddJson {
        name: String,
        json: String,
        scope: String,
    },
    Remove {
        name: String,
        scope: Option<String>,
    },
    List,
    Get {
        name: String,
    },
    ResetProjectChoices,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddArgs {
    pub scope: Option<String>,
    pub transport: Option<String>,
    pub env: Vec<String>,
    pub headers: Vec<String>,
    pub client_id: Option<String>,
    pub client_secret: bool,
    pub callback_port: Option<String>,
    pub name: String,
    pub target: String,
    pub args: Vec<String>,
}

const ABOUT: &str = "Configure and manage MCP servers";
const ADD_ABOUT: &str = "Add an MCP server to ccrs.\n\nExamples:\n  # Add HTTP server:\n  ccrs mcp add --transport http sentry https://mcp.sentry.dev/mcp\n\n  # Add HTTP server with headers:\n  ccrs mcp add --transport http corridor https://app.corridor.dev/api/mcp --header \"Authorization: Bearer ...\"\n\n  # Add stdio server with environment variables:\n  ccrs mcp add my-server -e API_KEY=xxx -- npx my-mcp-server\n\n  # Add stdio server with subprocess flags:\n  ccrs mcp add my-server -- my-command --some-flag arg1";
const SCOPE: &str = "Configuration scope (local, user, or project) (default: \"local\")";

static ADD_OPTIONS: &[Opt<AddArgs>] = &[
    opt(
        "--callback-port <port>",
        "Fixed port for OAuth callback (stored; ccrs does not do MCP OAuth yet)",
        |a, v| {
            a.callback_port = Some(v.to_string());
            Ok(())
        },
    ),
    opt(
        "--client-id <clientId>",
        "OAuth client ID for HTTP/SSE servers (stored; ccrs does not do MCP OAuth yet)",
        |a, v| {
            a.client_id = Some(v.to_string());
            Ok(())
        },
    ),
    opt(
        "--client-secret",
        "Prompt for OAuth client secret (not supported yet)",
        |a, _| {
            a.client_secret = true;
            Ok(())
        },
    ),
    opt(
        "-e, --env <env...>",
        "Set environment variables (e.g. -e KEY=value)",
        |a, v| {
            a.env.push(v.to_string());
            Ok(())
        },
    ),
    opt(
        "-H, --header <header...>",
        "Set HTTP headers (e.g. -H \"X-Api-Key: abc123\")",
        |a, v| {
            a.headers.push(v.to_string());
            Ok(())
        },
    ),
    opt(HELP, HELP_TEXT, |_, _| Ok(())),
    opt("-s, --scope <scope>", SCOPE, |a, v| {
        a.scope = Some(v.to_string());
        Ok(())
    }),
    opt(
        "-t, --transport <transport>",
        "Transport type (stdio, sse, http). Defaults to stdio if not specified.",
        |a, v| {
            a.transport = Some(v.to_string());
            Ok(())
        },
    ),
];

#[derive(Default)]
struct ScopeOnly {
    scope: Option<String>,
    client_secret: bool,
}

static SCOPE_OPTIONS: &[Opt<ScopeOnly>] = &[
    opt(HELP, HELP_TEXT, |_, _| Ok(())),
    opt("-s, --scope <scope>", SCOPE, |a, v| {
        a.scope = Some(v.to_string());
        Ok(())
    }),
];

static ADD_JSON_OPTIONS: &[Opt<ScopeOnly>] = &[
    opt(
        "--client-secret",
        "Prompt for OAuth client secret (not supported yet)",
        |a, _| {
            a.client_secret = true;
            Ok(())
        },
    ),
    opt(HELP, HELP_TEXT, |_, _| Ok(())),
    opt("-s, --scope <scope>", SCOPE, |a, v| {
        a.scope = Some(v.to_string());
        Ok(())
    }),
];

static NO_OPTIONS: &[Opt<()>] = &[opt(HELP, HELP_TEXT, |_, _| Ok(()))];

const COMMANDS: &[(&str, &str)] = &[
    (
        "add [options] <name> <commandOrUrl> [args...]",
        "Add an MCP server",
    ),
    (
        "add-json [options] <name> <json>",
        "Add an MCP server (stdio, SSE or HTTP) with a JSON string",
    ),
    (
        "get <name>",
        "Get details about an MCP server (approved servers are health-checked)",
    ),
    (
        "list",
        "List configured MCP servers (approved servers are health-checked)",
    ),
    ("remove [options] <name>", "Remove an MCP server"),
    (
        "reset-project-choices",
        "Reset all approved and rejected project-scoped (.mcp.json) servers within this project",
    ),
];

impl Parser {
    /// Options and positional arguments of a subcommand; `Err(Help)` on `-h`.
    fn positionals<T: Default>(
        &mut self,
        cmd: &'static str,
        usage: &str,
        about: &str,
        opts: &[Opt<T>],
    ) -> Result<(T, Vec<String>), ArgsError> {
        self.cmd = cmd;
        let mut target = T::default();
        let mut words = Vec::new();
        while let Some(tok) = self.next(opts, &mut target)? {
            match tok {
                Tok::Help => return Err(ArgsError::Help(help(usage, about, &[], opts, &[]))),
                Tok::Word { text, .. } => words.push(text),
            }
        }
        Ok((target, words))
    }

    fn arity(&self, words: &[String], names: &[&str], max: Option<usize>) -> Result<(), ArgsError> {
        if let Some(missing) = names.get(words.len()) {
            return Err(self.error(format_args!("missing required argument '{missing}'")));
        }
        if let Some(max) = max
            && words.len() > max
        {
            return Err(self.error(format_args!(
                "too many arguments. Expected {max} argument{} but got {}.",
                if max == 1 { "" } else { "s" },
                words.len()
            )));
        }
        Ok(())
    }
}

/// Parses what follows `ccrs mcp`.
pub(super) fn parse(p: &mut Parser) -> Result<McpCommand, ArgsError> {
    p.cmd = "ccrs mcp";
    let sub = match p.next(NO_OPTIONS, &mut ())? {
        Some(Tok::Word { text, .. }) => text,
        Some(Tok::Help) | None => {
            return Err(ArgsError::Help(help(
                "ccrs mcp [options] [command]",
                ABOUT,
                &[],
                NO_OPTIONS,
                COMMANDS,
            )));
        }
    };
    match sub.as_str() {
        "add" => {
            let (mut a, words) = p.positionals(
                "ccrs mcp add",
                "ccrs mcp add [options] <name> <commandOrUrl> [args...]",
                ADD_ABOUT,
                ADD_OPTIONS,
            )?;
            p.arity(&words, &["name", "commandOrUrl"], None)?;
            let mut words = words.into_iter();
            a.name = words.next().unwrap_or_default();
            a.target = words.next().unwrap_or_default();
            a.args = words.collect();
            Ok(McpCommand::Add(a))
        }
        "add-json" => {
            let (o, words) = p.positionals(
                "ccrs mcp add-json",
                "ccrs mcp add-json [options] <name> <json>",
                "Add an MCP server (stdio, SSE or HTTP) with a JSON string",
                ADD_JSON_OPTIONS,
            )?;
            p.arity(&words, &["name", "json"], Some(2))?;
            let mut w = words.into_iter();
            Ok(McpCommand::AddJson {
                name: w.next().unwrap_or_default(),
                json: w.next().unwrap_or_default(),
                scope: o.scope.unwrap_or_else(|| "local".into()),
            })
        }
        "remove" => {
            let (o, words) = p.positionals(
                "ccrs mcp remove",
                "ccrs mcp remove [options] <name>",
                "Remove an MCP server",
                SCOPE_OPTIONS,
            )?;
            p.arity(&words, &["name"], Some(1))?;
            Ok(McpCommand::Remove {
                name: words.into_iter().next().unwrap_or_default(),
                scope: o.scope,
            })
        }
        "get" => {
            let (_, words) = p.positionals(
                "ccrs mcp get",
                "ccrs mcp get [options] <name>",
                "Get details about an MCP server",
                NO_OPTIONS,
            )?;
            p.arity(&words, &["name"], Some(1))?;
            Ok(McpCommand::Get {
                name: words.into_iter().next().unwrap_or_default(),
            })
        }
        "list" | "reset-project-choices" => {
            let (_, words) = p.positionals("ccrs mcp", "ccrs mcp list", ABOUT, NO_OPTIONS)?;
            p.arity(&words, &[], Some(0))?;
            Ok(if sub == "list" {
                McpCommand::List
            } else {
                McpCommand::ResetProjectChoices
            })
        }
        other => Err(p.error(format_args!("unknown command '{other}'"))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Args, Command};
    use super::*;

    fn mcp(argv: &[&str]) -> Result<McpCommand, ArgsError> {
        let a = Args::try_parse_from(["ccrs", "mcp"].iter().chain(argv).copied())?;
        match a.command {
            Some(Command::Mcp(c)) => Ok(*c),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn commander_rules_as_claude_code() {
        // Options after the name; `--` ends options; -e takes several values.
        let Ok(McpCommand::Add(a)) =
            mcp(&["add", "loc", "-e", "K=V", "A=B", "--", "npx", "-y", "pkg"])
        else {
            panic!()
        };
        assert_eq!((a.name.as_str(), a.target.as_str()), ("loc", "npx"));
        assert_eq!(a.env, ["K=V", "A=B"]);
        assert_eq!(a.args, ["-y", "pkg"]);
        let Ok(McpCommand::Add(a)) = mcp(&[
            "add",
            "-t",
            "http",
            "-s",
            "user",
            "h",
            "https://x",
            "-H",
            "A: b",
        ]) else {
            panic!()
        };
        assert_eq!(a.transport.as_deref(), Some("http"));
        assert_eq!(a.headers, ["A: b"]);
        // `-y` after the command without `--` is an unknown option (Claude Code: the same).
        assert!(
            mcp(&["add", "a1", "npx", "-y", "pkg"])
                .unwrap_err()
                .to_string()
                .contains("unknown option '-y'")
        );
        // -e is variadic: it swallows the name and the command (Claude Code 2.1.197: the same).
        assert!(
            mcp(&["add", "-e", "K=V", "a2", "npx"])
                .unwrap_err()
                .to_string()
                .contains("missing required argument 'name'")
        );
        assert_eq!(mcp(&["list"]).unwrap(), McpCommand::List);
        assert_eq!(
            mcp(&["remove", "x", "-s", "user"]).unwrap(),
            McpCommand::Remove {
                name: "x".into(),
                scope: Some("user".into())
            }
        );
        assert!(
            mcp(&["get"])
                .unwrap_err()
                .to_string()
                .contains("missing required argument 'name'")
        );
        assert!(matches!(mcp(&[]), Err(ArgsError::Help(h)) if h.contains("add-json")));
        assert!(
            matches!(mcp(&["add", "--help"]), Err(ArgsError::Help(h)) if h.contains("--transport"))
        );
        assert!(
            mcp(&["bogus"])
                .unwrap_err()
                .to_string()
                .contains("unknown command 'bogus'")
        );
    }
}
