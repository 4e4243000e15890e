//! Built-in slash commands, custom commands, and "did you mean".

use super::custom_commands::{self, CustomCommand};
use super::text;
use super::theme::{self, Style, Theme};
use ccrs_core::agent::Agent;
use ccrs_core::auth::CredentialSource;
use ccrs_core::models::{self, MODELS};
use ccrs_core::permissions::{PermissionEngine, RuleBehavior};
use ccrs_core::settings::SettingsSource;
use ccrs_core::tools::textfile::edit_distance;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A built-in command: name, aliases, argument hint, description.
pub struct Builtin {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub hint: &'static str,
    pub description: &'static str,
}

pub const BUILTINS: &[Builtin] = &[
    Builtin {
        name: "help",
        aliases: &["h", "?"],
        hint: "",
        description: "Show help and available commands",
    },
    Builtin {
        name: "clear",
        aliases: &["reset", "new"],
        hint: "",
        description: "Start a new conversation (history and context are cleared)",
    },
    Builtin {
        name: "model",
        aliases: &[],
        hint: "[model]",
        description: "List the models, or set the model for the next requests",
    },
    Builtin {
        name: "cost",
        aliases: &[],
        hint: "",
        description: "Show the cost and duration of this session",
    },
    Builtin {
        name: "status",
        aliases: &[],
        hint: "",
        description: "Show version, session, model, account and settings",
    },
    Builtin {
        name: "permissions",
        aliases: &["allowed-tools"],
        hint: "",
        description: "Show the permission rules in force and where they come from",
    },
    Builtin {
        name: "todos",
        aliases: &[],
        hint: "",
        description: "Show the current todo list",
    },
    Builtin {
        name: "sandbox",
        aliases: &[],
        hint: "",
        description: "Show the Bash sandbox: mode, what is in force, kernel support",
    },
    Builtin {
        name: "init",
        aliases: &[],
        hint: "",
        description: "Ask ccrs to write a CLAUDE.md describing this project",
    },
    Builtin {
        name: "login",
        aliases: &[],
        hint: "",
        description: "Log in (API key or Claude account)",
    },
    Builtin {
        name: "logout",
        aliases: &[],
        hint: "",
        description: "Remove the stored credential",
    },
    Builtin {
        name: "quit",
        aliases: &["q", "exit"],
        hint: "",
        description: "Exit ccrs",
    },
];

/// What the prompt says for `/init` (our own wording).
pub const INIT_PROMPT: &str = "Look through this repository and write a CLAUDE.md file at its root. Future coding sessions in this repository (ccrs or Claude Code) will read it first, so it should hold what they cannot quickly see for themselves:\n\n1. How to build, lint and test the project, including how to run a single test.\n2. The big-picture architecture: how the main parts fit together and where to look for what, the things that take reading several files to understand.\n\nKeep it short and specific to this project: no generic advice, no list of every file, nothing invented. Fold in the important parts of any README.md, CONTRIBUTING file, .cursorrules, .cursor/rules/ or .github/copilot-instructions.md. If a CLAUDE.md already exists, improve it instead of starting over.\n\nBegin the file with:\n\n```\n# CLAUDE.md\n\nThis file gives guidance to ccrs and Claude Code when working with code in this repository.\n```";

/// Options that apply to one turn only (a custom command's frontmatter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TurnOptions {
    pub model: Option<String>,
    pub allowed_tools: Vec<String>,
}

/// What the session loop does after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done; print these lines.
    Print(Vec<String>),
    /// Send a prompt to the model.
    Query {
        prompt: String,
        options: TurnOptions,
    },
    Login,
    Logout,
    Exit,
}

/// What a command can see and change.
pub struct Ctx<'a> {
    pub theme: Theme,
    pub width: usize,
    pub agent: &'a mut Agent,
    pub engine: &'a PermissionEngine,
    pub cwd: &'a Path,
    pub session_id: &'a str,
    pub auth: CredentialSource,
    pub settings_files: &'a [(SettingsSource, Option<PathBuf>)],
    pub started: std::time::Instant,
    pub lines_added: u64,
    pub lines_removed: u64,
    pub custom: &'a [CustomCommand],
}

/// Every command name (built-in names and aliases, custom commands) with its description.
pub fn all_names(custom: &[CustomCommand]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = BUILTINS
        .iter()
        .map(|b| (b.name.to_string(), b.description.to_string()))
        .collect();
    for c in custom {
        if !out.iter().any(|(n, _)| *n == c.name) {
            out.push((c.name.clone(), format!("{} {}", c.description, c.origin())));
        }
    }
    out
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
            let d = edit_distance(name, &n);
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

fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|b| b.name == name || b.aliases.contains(&name))
}

/// Splits `/name args`.
pub fn parse(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix('/')?;
    let (name, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest.trim_end(), ""),
    };
    Some((name, args))
}

/// Runs a slash command line.
pub fn handle(line: &str, ctx: &mut Ctx<'_>) -> Outcome {
    let Some((name, args)) = parse(line) else {
        return Outcome::Print(vec![]);
    };
    let t = ctx.theme;
    if let Some(b) = builtin(name) {
        return match b.name {
            "help" => Outcome::Print(help(ctx)),
            "clear" => {
                ctx.agent.clear();
                Outcome::Print(vec![t.paint(theme::SECONDARY, "  ⎿  Conversation cleared")])
            }
            "model" => Outcome::Print(model(ctx, args)),
            "cost" => Outcome::Print(cost(ctx)),
            "status" => Outcome::Print(status(ctx)),
            "permissions" => Outcome::Print(permissions(ctx)),
            "todos" => Outcome::Print(todos(ctx)),
            "sandbox" => Outcome::Print(sandbox(ctx)),
            "init" => Outcome::Query {
                prompt: INIT_PROMPT.to_string(),
                options: TurnOptions::default(),
            },
            "login" => Outcome::Login,
            "logout" => Outcome::Logout,
            _ => Outcome::Exit,
        };
    }
    if let Some(c) = ctx.custom.iter().find(|c| c.name == name) {
        return Outcome::Query {
            prompt: custom_commands::expand(&c.body, args),
            options: TurnOptions {
                model: c.model.as_deref().map(models::resolve_alias),
                allowed_tools: c.allowed_tools.clone(),
            },
        };
    }
    let sugg = suggestions(name, ctx.custom);
    let mut msg = format!("Unknown command: /{}", text::sanitize(name));
    if !sugg.is_empty() {
        let list: Vec<String> = sugg.iter().map(|s| format!("/{s}")).collect();
        msg.push_str(&format!(". Did you mean {}?", list.join(", ")));
    } else {
        msg.push_str(". Type /help for the list of commands.");
    }
    Outcome::Print(vec![t.paint(theme::ERROR, &format!("  ⎿  {msg}"))])
}

fn kv(theme: &Theme, k: &str, v: &str) -> String {
    format!(
        "  {} {}",
        theme.paint(Style::plain().bold(), &format!("{k}:")),
        v
    )
}

fn help(ctx: &Ctx<'_>) -> Vec<String> {
    let t = ctx.theme;
    let mut out = vec![
        format!(
            "  {} {}",
            t.paint(theme::ACCENT.bold(), "ccrs"),
            t.paint(theme::SECONDARY, &format!("v{}", ccrs_core::VERSION))
        ),
        String::new(),
        t.paint(Style::plain().bold(), "  Commands"),
    ];
    let name_w = BUILTINS
        .iter()
        .map(|b| b.name.len() + b.hint.len() + 2)
        .chain(
            ctx.custom
                .iter()
                .map(|c| c.name.len() + c.argument_hint.as_ref().map_or(0, |h| h.len() + 1) + 1),
        )
        .max()
        .unwrap_or(10)
        .min(32);
    let row = |name: String, desc: &str| -> String {
        let pad = name_w.saturating_sub(text::width(&name));
        let room = ctx.width.saturating_sub(name_w + 6).max(10);
        format!(
            "    {}{}  {}",
            t.paint(theme::SELECTED, &name),
            " ".repeat(pad),
            text::truncate(desc, room)
        )
    };
    for b in BUILTINS {
        let mut name = format!("/{}", b.name);
        if !b.hint.is_empty() {
            name.push(' ');
            name.push_str(b.hint);
        }
        let mut desc = b.description.to_string();
        if !b.aliases.is_empty() {
            let a: Vec<String> = b.aliases.iter().map(|a| format!("/{a}")).collect();
            desc.push_str(&format!(" ({})", a.join(", ")));
        }
        out.push(row(name, &desc));
    }
    if !ctx.custom.is_empty() {
        out.push(String::new());
        out.push(t.paint(Style::plain().bold(), "  Custom commands"));
        for c in ctx.custom {
            let mut name = format!("/{}", c.name);
            if let Some(h) = &c.argument_hint {
                name.push(' ');
                name.push_str(h);
            }
            out.push(row(name, &format!("{} {}", c.description, c.origin())));
        }
    }
    out.push(String::new());
    out.push(t.paint(Style::plain().bold(), "  Keys"));
    for (k, d) in [
        (
            "Enter",
            "send · \\ then Enter, Shift-Enter or Alt-Enter: new line",
        ),
        ("Esc", "interrupt the model or a running tool"),
        (
            "Ctrl-C",
            "clear the input · twice on an empty line: exit (Ctrl-D too)",
        ),
        ("Shift-Tab", "cycle permission modes"),
        ("Tab", "complete /commands and @files"),
        ("@path", "attach a file to the prompt"),
        ("Up/Down", "history (and lines of a multi-line input)"),
        (
            "Ctrl-A/E/W/U/K/Y",
            "start/end, delete word/to start/to end, paste back",
        ),
        ("Ctrl-L / Ctrl-Z", "redraw / suspend (fg resumes)"),
    ] {
        out.push(row(k.to_string(), d));
    }
    out
}

/// "1M", "200k".
fn tokens_short(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

fn price(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("${p:.0}")
    } else {
        format!("${p}")
    }
}

fn model(ctx: &mut Ctx<'_>, args: &str) -> Vec<String> {
    let t = ctx.theme;
    if !args.is_empty() {
        let id = models::resolve_alias(args);
        ctx.agent.config.model = id.clone();
        return match models::info(&id) {
            Some(m) => vec![t.paint(
                theme::SECONDARY,
                &format!("  ⎿  Set model to {} ({})", m.display, id),
            )],
            None => vec![
                t.paint(
                    theme::SECONDARY,
                    &format!("  ⎿  Set model to {}", text::sanitize(&id)),
                ),
                t.paint(
                    theme::WARN,
                    "     ccrs does not know this model: its context window and prices are unknown",
                ),
            ],
        };
    }
    let current = ctx.agent.config.model.clone();
    let mut out = vec![
        format!("  {}", t.paint(Style::plain().bold(), "Models")),
        t.paint(
            theme::SECONDARY,
            &format!(
                "    {:<7} {:<28} {:>7}  {}",
                "alias", "id", "context", "$/MTok in / out"
            ),
        ),
    ];
    for m in MODELS {
        let is_current = models::info(&current).is_some_and(|c| c.id == m.id);
        let mark = if is_current { "●" } else { " " };
        let line = format!(
            "  {} {:<7} {:<28} {:>7}  {} / {}",
            mark,
            m.alias.unwrap_or(""),
            m.id,
            tokens_short(m.context_window),
            price(m.input),
            price(m.output)
        );
        out.push(if is_current {
            t.paint(theme::SELECTED, &line)
        } else {
            line
        });
    }
    if models::info(&current).is_none() {
        out.push(t.paint(
            theme::SELECTED,
            &format!("  ● {} (custom)", text::sanitize(&current)),
        ));
    }
    out.push(t.paint(
        theme::SECONDARY,
        "  Use /model <alias or id> to switch (applies to the next request).",
    ));
    out
}

/// Thousands separators: 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Claude Code's duration format: `4.5s`, `1m 2.3s`, `1h 2m 3.0s`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        return format!("{secs:.1}s");
    }
    let total = d.as_secs();
    let h = total / 3600;
    let m = (total % 3600) / 60;
    let s = secs - (h * 3600 + m * 60) as f64;
    if h > 0 {
        format!("{h}h {m}m {s:.1}s")
    } else {
        format!("{m}m {s:.1}s")
    }
}

/// Dollars: 2 decimals above $0.50, else 4.
pub fn dollars(c: f64) -> String {
    // An empty f64 sum is -0.0: never show "$-0.0000".
    let c = if c == 0.0 { 0.0 } else { c };
    if c > 0.5 {
        format!("${c:.2}")
    } else {
        format!("${c:.4}")
    }
}

/// `/cost` in Claude Code's layout.
pub fn cost_lines(
    total: f64,
    api: Duration,
    wall: Duration,
    added: u64,
    removed: u64,
    usage: &[ccrs_core::agent::ModelUsage],
) -> Vec<String> {
    let mut out = vec![
        format!("Total cost:            {}", dollars(total)),
        format!("Total duration (API):  {}", duration(api)),
        format!("Total duration (wall): {}", duration(wall)),
        format!(
            "Total code changes:    {} {} added, {} {} removed",
            added,
            if added == 1 { "line" } else { "lines" },
            removed,
            if removed == 1 { "line" } else { "lines" }
        ),
    ];
    if usage.is_empty() {
        out.push("Usage:                 0 input, 0 output, 0 cache read, 0 cache write".into());
    } else {
        out.push("Usage by model:".into());
        for m in usage {
            let u = &m.usage;
            let cost = m
                .cost_usd
                .map(dollars)
                .unwrap_or_else(|| "cost unknown".to_string());
            out.push(format!(
                "{:>21}:  {} input, {} output, {} cache read, {} cache write ({})",
                m.model,
                thousands(u.input_tokens),
                thousands(u.output_tokens),
                thousands(u.cache_read_input_tokens),
                thousands(u.cache_creation_input_tokens),
                cost
            ));
        }
    }
    out
}

fn cost(ctx: &Ctx<'_>) -> Vec<String> {
    let a = &ctx.agent;
    cost_lines(
        a.session_cost(),
        a.session_api_duration,
        ctx.started.elapsed(),
        ctx.lines_added,
        ctx.lines_removed,
        &a.session_usage,
    )
    .into_iter()
    .map(|l| format!("  {l}"))
    .collect()
}

fn status(ctx: &Ctx<'_>) -> Vec<String> {
    let t = ctx.theme;
    let model = &ctx.agent.config.model;
    let model_s = match models::info(model) {
        Some(m) => format!("{} ({})", m.display, model),
        None => model.clone(),
    };
    let mut out = vec![
        kv(
            &t,
            "Version",
            &format!(
                "ccrs {} (Claude Code {} compatible)",
                ccrs_core::VERSION,
                ccrs_core::CLAUDE_CODE_COMPAT_VERSION
            ),
        ),
        kv(&t, "Session ID", ctx.session_id),
        kv(&t, "cwd", &ctx.cwd.display().to_string()),
        kv(&t, "Auth", ctx.auth.describe()),
        kv(&t, "Model", &model_s),
        kv(&t, "Permission mode", ctx.engine.mode().as_str()),
    ];
    if ctx.settings_files.is_empty() {
        out.push(kv(&t, "Setting sources", "none loaded"));
    } else {
        out.push(kv(&t, "Setting sources", ""));
        for (src, path) in ctx.settings_files {
            let p = path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "--settings (inline JSON)".into());
            out.push(format!(
                "    {} {}",
                t.paint(theme::SECONDARY, &format!("{}:", src.as_str())),
                p
            ));
        }
    }
    out
}

fn permissions(ctx: &Ctx<'_>) -> Vec<String> {
    let t = ctx.theme;
    let rules = ctx.engine.rules();
    let mut out = vec![format!(
        "  {} {}",
        t.paint(Style::plain().bold(), "Permission rules"),
        t.paint(theme::SECONDARY, &format!("(mode: {})", ctx.engine.mode()))
    )];
    for (b, title) in [
        (RuleBehavior::Allow, "Allow"),
        (RuleBehavior::Ask, "Ask"),
        (RuleBehavior::Deny, "Deny"),
    ] {
        let list: Vec<_> = rules.iter().filter(|r| r.behavior == b).collect();
        out.push(format!(
            "  {}",
            t.paint(Style::plain().bold(), &format!("{title}:"))
        ));
        if list.is_empty() {
            out.push(t.paint(theme::SECONDARY, "    (none)"));
        }
        for r in list {
            let origin = match &r.file {
                Some(f) => format!("{} · {}", r.source.as_str(), f.display()),
                None => r.source.as_str().to_string(),
            };
            out.push(format!(
                "    {}  {}",
                text::sanitize(&r.rule),
                t.paint(theme::SECONDARY, &origin)
            ));
        }
    }
    out.push(t.paint(
        theme::SECONDARY,
        "  \"Yes, and don't ask again\" saves rules to .claude/settings.local.json.",
    ));
    out
}

fn sandbox(ctx: &Ctx<'_>) -> Vec<String> {
    let report = match ctx.agent.session_state().sandbox.get() {
        Some(sb) => sb.report(),
        None => {
            ccrs_core::sandbox::report_disabled(&ccrs_core::settings::SandboxSettings::default())
        }
    };
    report.lines()
}

fn todos(ctx: &Ctx<'_>) -> Vec<String> {
    let list = ctx
        .agent
        .session_state()
        .todos
        .lock()
        .map(|t| t.clone())
        .unwrap_or_default();
    super::render::todos(&ctx.theme, &list, ctx.width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccrs_core::agent::ModelUsage;
    use ccrs_core::api::Usage;

    #[test]
    fn parse_splits_name_and_args() {
        assert_eq!(parse("/model haiku"), Some(("model", "haiku")));
        assert_eq!(parse("/help"), Some(("help", "")));
        assert_eq!(parse("/fix   a b "), Some(("fix", "a b")));
        assert_eq!(parse("hello"), None);
    }

    #[test]
    fn suggestions_find_close_names() {
        assert_eq!(suggestions("modle", &[]), ["model"]);
        assert_eq!(suggestions("cler", &[]), ["clear"]);
        assert_eq!(suggestions("perm", &[]), ["permissions"]);
        assert!(suggestions("zzzzzz", &[]).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn cost_layout_matches_claude_code() {
        let usage = vec![ModelUsage {
            model: "claude-sonnet-5".into(),
            usage: Usage {
                input_tokens: 1234,
                output_tokens: 567,
                cache_read_input_tokens: 8901,
                cache_creation_input_tokens: 2345,
                ..Default::default()
            },
            cost_usd: Some(0.1234),
        }];
        let lines = cost_lines(
            0.1234,
            Duration::from_millis(62_300),
            Duration::from_millis(184_500),
            12,
            3,
            &usage,
        );
        insta::assert_snapshot!(lines.join("\n"));
        assert_eq!(dollars(0.75), "$0.75");
        assert_eq!(dollars(-0.0), "$0.0000");
        assert_eq!(dollars(0.0123456), "$0.0123");
        assert_eq!(duration(Duration::from_secs(3723)), "1h 2m 3.0s");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
