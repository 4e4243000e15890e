//! Built-in slash commands (the table is core's, shared with print mode), the help, and "did
//! you mean". Custom commands and `/init` are expanded by the session, not here.

use super::text;
use super::theme::{self, Style, Theme};
use ccrs_core::models::{self, MODELS};
use ccrs_core::permissions::RuleBehavior;
use ccrs_core::session::{BUILTINS, Builtin, CustomCommand, ModelUsage, Session};
use ccrs_core::settings::SettingsSource;
use std::path::PathBuf;
use std::time::Duration;

/// What the session loop does after a command.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Done; print these lines.
    Print(Vec<String>),
    Login,
    Logout,
    /// Open this file in the user's editor (then read the memory files again).
    Edit(PathBuf),
    /// Compact the conversation with these instructions.
    Compact(String),
    Exit,
}

/// What a command can see and change.
pub struct Ctx<'a> {
    pub theme: Theme,
    pub width: usize,
    pub session: &'a mut Session,
    pub started: std::time::Instant,
    pub lines_added: u64,
    pub lines_removed: u64,
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

/// Carries out a built-in command.
pub fn handle(b: &Builtin, args: &str, ctx: &mut Ctx<'_>) -> Outcome {
    let t = ctx.theme;
    match b.name {
        "help" => Outcome::Print(help(ctx)),
        "clear" => {
            ctx.session.clear();
            Outcome::Print(vec![t.paint(theme::SECONDARY, "  ⎿  Conversation cleared")])
        }
        "model" => Outcome::Print(model(ctx, args)),
        "cost" => Outcome::Print(cost(ctx)),
        "status" => Outcome::Print(status(ctx)),
        "permissions" => Outcome::Print(permissions(ctx)),
        "todos" => Outcome::Print(todos(ctx)),
        "memory" => memory(ctx, args),
        "compact" => Outcome::Compact(args.to_string()),
        "sandbox" => Outcome::Print(ctx.session.sandbox_report().lines()),
        "skills" => Outcome::Print(skills(ctx)),
        "mcp" => Outcome::Print(super::mcp_view::lines(&t, &ctx.session.mcp().report())),
        "login" => Outcome::Login,
        "logout" => Outcome::Logout,
        _ => Outcome::Exit,
    }
}

/// `Unknown command: /x. Did you mean /y?`
pub fn unknown(t: &Theme, name: &str, suggestions: &[String]) -> Vec<String> {
    let mut msg = format!("Unknown command: /{}", text::sanitize(name));
    if !suggestions.is_empty() {
        let list: Vec<String> = suggestions.iter().map(|s| format!("/{s}")).collect();
        msg.push_str(&format!(". Did you mean {}?", list.join(", ")));
    } else {
        msg.push_str(". Type /help for the list of commands.");
    }
    vec![t.paint(theme::ERROR, &format!("  ⎿  {msg}"))]
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
            ctx.session
                .custom_commands()
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
    let custom = ctx.session.custom_commands();
    if !custom.is_empty() {
        out.push(String::new());
        out.push(t.paint(Style::plain().bold(), "  Custom commands"));
        for c in custom {
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
pub(super) fn tokens_short(n: u64) -> String {
    if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n >= 1000 {
        format!("{}k", n / 1000)
    } else {
        n.to_string()
    }
}

pub(super) fn price(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("${p:.0}")
    } else {
        format!("${p}")
    }
}

fn model(ctx: &mut Ctx<'_>, args: &str) -> Vec<String> {
    let t = ctx.theme;
    if !args.is_empty() {
        let id = ctx.session.set_model(args);
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
    let current = ctx.session.model().to_string();
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
    usage: &[ModelUsage],
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
        // Claude Code right-aligns the ids in 21 columns; a longer id widens the column for
        // every row, so the colons stay in one column.
        let col = usage
            .iter()
            .map(|m| text::width(&m.model))
            .max()
            .unwrap_or(0)
            .max(21);
        for m in usage {
            let u = &m.usage;
            let cost = m
                .cost_usd
                .map(dollars)
                .unwrap_or_else(|| "cost unknown".to_string());
            let pad = col.saturating_sub(text::width(&m.model));
            out.push(format!(
                "{}{}:  {} input, {} output, {} cache read, {} cache write ({})",
                " ".repeat(pad),
                text::sanitize(&m.model),
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

/// `/memory`: the files in the order the model gets them (imports indented under the file
/// that imports them), what each costs, what was skipped; `/memory N` opens file N.
fn memory(ctx: &Ctx<'_>, args: &str) -> Outcome {
    let t = ctx.theme;
    let m = ctx.session.memory();
    let files: Vec<_> = m.files().iter().chain(m.later_files()).collect();
    let arg = args.trim();
    if !arg.is_empty() {
        return match arg
            .parse::<usize>()
            .ok()
            .and_then(|n| files.get(n.wrapping_sub(1)))
        {
            Some(f) => Outcome::Edit(f.path.clone()),
            None => Outcome::Print(vec![t.paint(
                theme::ERROR,
                &format!("  ⎿  /memory: give a number from 1 to {}", files.len()),
            )]),
        };
    }
    if files.is_empty() {
        return Outcome::Print(vec![format!(
            "  ⎿  No memory files. {}",
            t.paint(
                theme::SECONDARY,
                "(CLAUDE.md in this directory or above, ~/.claude/CLAUDE.md; /init writes one)"
            )
        )]);
    }
    let mut out = vec![format!(
        "  {} {}",
        t.paint(Style::plain().bold(), "Memory files"),
        t.paint(
            theme::SECONDARY,
            &format!("(about {} tokens with every request)", m.reminder_tokens())
        )
    )];
    for (i, f) in files.iter().enumerate() {
        let depth = std::iter::successors(f.parent.as_ref(), |p| {
            files
                .iter()
                .find(|g| &g.path == *p)
                .and_then(|g| g.parent.as_ref())
        })
        .count();
        out.push(format!(
            "    {:>2}. {}{} {}",
            i + 1,
            "  ".repeat(depth),
            text::sanitize(&f.path.display().to_string()),
            t.paint(
                theme::SECONDARY,
                &format!("({}, ~{} tokens)", f.kind.label(), f.tokens())
            )
        ));
    }
    for p in m.problems() {
        out.push(t.paint(
            theme::SECONDARY,
            &format!(
                "    skipped {}: {}",
                text::sanitize(&p.path.display().to_string()),
                p.reason
            ),
        ));
    }
    out.push(t.paint(theme::SECONDARY, "  /memory N opens file N in $EDITOR"));
    Outcome::Print(out)
}

fn cost(ctx: &Ctx<'_>) -> Vec<String> {
    let s = &ctx.session;
    cost_lines(
        s.cost_usd(),
        s.api_duration(),
        ctx.started.elapsed(),
        ctx.lines_added,
        ctx.lines_removed,
        s.usage(),
    )
    .into_iter()
    .map(|l| format!("  {l}"))
    .collect()
}

/// The settings files as they are now (read again: a `settings.local.json` written by "don't
/// ask again" during the session is one of them), marking those that appeared or went away
/// since start-up.
fn setting_sources(
    t: &Theme,
    at_start: &[(SettingsSource, Option<PathBuf>)],
    now: &[(SettingsSource, Option<PathBuf>)],
) -> Vec<String> {
    if now.is_empty() && at_start.is_empty() {
        return vec![kv(t, "Setting sources", "none")];
    }
    let mut out = vec![kv(t, "Setting sources", "")];
    let show = |src: SettingsSource, path: &Option<PathBuf>, note: &str| {
        let p = path
            .as_ref()
            .map(|p| text::sanitize(&p.display().to_string()))
            .unwrap_or_else(|| "--settings (inline JSON)".into());
        format!(
            "    {} {}{}",
            t.paint(theme::SECONDARY, &format!("{}:", src.as_str())),
            p,
            t.paint(theme::SECONDARY, note)
        )
    };
    for (src, path) in now {
        let note = if at_start.iter().any(|(s, p)| s == src && p == path) {
            ""
        } else {
            " (new during this session)"
        };
        out.push(show(*src, path, note));
    }
    for (src, path) in at_start {
        if !now.iter().any(|(s, p)| s == src && p == path) {
            out.push(show(*src, path, " (read at start; now gone or unreadable)"));
        }
    }
    out
}

fn status(ctx: &Ctx<'_>) -> Vec<String> {
    let t = ctx.theme;
    let model = ctx.session.model();
    let model_s = match models::info(model) {
        Some(m) => format!("{} ({})", m.display, model),
        None => model.to_string(),
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
        kv(&t, "Session ID", ctx.session.id()),
        kv(&t, "cwd", &ctx.session.cwd().display().to_string()),
        kv(&t, "Auth", ctx.session.auth_source().describe()),
        kv(&t, "Model", &model_s),
        kv(
            &t,
            "Permission mode",
            ctx.session.permission_mode().as_str(),
        ),
    ];
    out.extend(setting_sources(
        &t,
        &ctx.session.settings_files(),
        &ctx.session.settings_files_now(),
    ));
    out
}

fn permissions(ctx: &Ctx<'_>) -> Vec<String> {
    let t = ctx.theme;
    let rules = ctx.session.permissions().rules();
    let mut out = vec![format!(
        "  {} {}",
        t.paint(Style::plain().bold(), "Permission rules"),
        t.paint(
            theme::SECONDARY,
            &format!("(mode: {})", ctx.session.permission_mode())
        )
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

/// `/skills`: each skill, where it comes from and what it is for.
fn skills(ctx: &Ctx<'_>) -> Vec<String> {
    let t = ctx.theme;
    let skills = ctx.session.skills();
    if skills.is_empty() {
        return vec![t.paint(
            theme::SECONDARY,
            "  ⎿  No skills (.claude/skills/<name>/SKILL.md or ~/.claude/skills/<name>/SKILL.md)",
        )];
    }
    let mut out = vec![format!("  Skills ({})", skills.len())];
    for s in skills {
        let scope = match s.scope {
            ccrs_core::session::commands::Scope::Project => "project",
            ccrs_core::session::commands::Scope::User => "user",
        };
        let manual = if s.model_invocable {
            ""
        } else {
            ", not offered to the model"
        };
        out.push(format!(
            "  {} · {} {}",
            text::sanitize(&s.name),
            text::sanitize(&s.description),
            t.paint(theme::SECONDARY, &format!("({scope}{manual})"))
        ));
    }
    out
}

fn todos(ctx: &Ctx<'_>) -> Vec<String> {
    super::render::todos(&ctx.theme, &ctx.session.todos(), ctx.width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccrs_core::message::Usage;
    use ccrs_core::settings::{LoadOptions, Settings};

    #[test]
    fn setting_sources_are_read_again_and_changes_marked() {
        let d = tempfile::tempdir().unwrap();
        let cwd = d.path().join("p");
        std::fs::create_dir_all(cwd.join(".claude")).unwrap();
        std::fs::write(cwd.join(".claude/settings.json"), "{}").unwrap();
        let mut opts = LoadOptions::new(&cwd);
        opts.managed_path = d.path().join("none.json");
        opts.claude_dir = d.path().join("home/.claude");
        let start = Settings::load(&opts).loaded_files();
        let show = |now: &[(SettingsSource, Option<PathBuf>)]| {
            setting_sources(&Theme::PLAIN, &start, now)
                .join("\n")
                .replace(&d.path().display().to_string(), "<tmp>")
        };
        assert_eq!(
            show(&Settings::load(&opts).loaded_files()),
            "  Setting sources: \n    project: <tmp>/p/.claude/settings.json"
        );
        // "Don't ask again" wrote settings.local.json mid-session.
        std::fs::write(
            cwd.join(".claude/settings.local.json"),
            r#"{"permissions":{"allow":["Bash(ls:*)"]}}"#,
        )
        .unwrap();
        assert_eq!(
            show(&Settings::load(&opts).loaded_files()),
            "  Setting sources: \n    local: <tmp>/p/.claude/settings.local.json (new during this session)\n    project: <tmp>/p/.claude/settings.json"
        );
        std::fs::remove_file(cwd.join(".claude/settings.json")).unwrap();
        assert!(show(&Settings::load(&opts).loaded_files()).contains("now gone"));
        assert_eq!(
            setting_sources(&Theme::PLAIN, &[], &[]),
            ["  Setting sources: none"]
        );
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
        // Ids longer than Claude Code's 21 columns widen the column for every row.
        let mut two = usage.clone();
        two.push(ModelUsage {
            model: "claude-sonnet-4-5-20250929-with-a-suffix".into(),
            usage: Usage::default(),
            cost_usd: None,
        });
        let lines = cost_lines(0.1234, Duration::ZERO, Duration::ZERO, 0, 0, &two);
        insta::assert_snapshot!("cost_long_model_ids", lines.join("\n"));
        let colons: Vec<usize> = lines[5..].iter().map(|l| l.find(":  ").unwrap()).collect();
        assert_eq!(colons[0], colons[1], "{lines:#?}");
        assert_eq!(dollars(0.75), "$0.75");
        assert_eq!(dollars(-0.0), "$0.0000");
        assert_eq!(dollars(0.0123456), "$0.0123");
        assert_eq!(duration(Duration::from_secs(3723)), "1h 2m 3.0s");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
