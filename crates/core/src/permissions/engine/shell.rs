//! Bash command lines: every command the line runs is decided on its own; the line is allowed
//! only when each of them is.

use super::super::bash::{self, CommandCheck, Kind, PathArg};
use super::super::explain::{Basis, Why};
use super::super::paths::{self, PathForms};
use super::super::rules::{RuleBehavior, Specifier};
use super::super::subject::Dialect;
use super::super::{Decision, Mode};
use super::files::protected;
use super::{
    Access, Compiled, MAX_SUGGESTIONS, PermissionEngine, State, denied_message, plan_message, show,
};
use std::path::Path;

/// How an allow rule covers one command.
enum Level<'a> {
    /// The rule names this command line exactly.
    Exact(&'a Compiled),
    /// A prefix or wildcard rule; `true` when it names the wrappers too (`Bash(xargs grep:*)`):
    /// then it also covers the arguments the wrapper adds from its input.
    Pattern(&'a Compiled, bool),
}

impl Level<'_> {
    fn rule(&self) -> &Compiled {
        match self {
            Level::Exact(c) | Level::Pattern(c, _) => c,
        }
    }
}

/// The verdict on one command of a command line.
enum One {
    Allow(Basis),
    /// The reason, the rule "always" would add (none for a protected path or what ccrs does
    /// not understand), what decided.
    Ask(String, Option<String>, Basis),
    Deny(String, Basis),
}

impl PermissionEngine {
    /// Bash rules of behaviour `b` matching the command as written (any of `forms`) or as a
    /// program (any of its invocations; deny and ask rules only).
    fn command_rule<'a>(
        &self,
        st: &'a State,
        b: RuleBehavior,
        tool: &str,
        c: &CommandCheck,
    ) -> Option<&'a Compiled> {
        st.rules.iter().find(|r| {
            r.src.behavior == b
                && r.rule.tool.matches(tool)
                && match &r.rule.spec {
                    Specifier::Any => true,
                    Specifier::Command(p) => {
                        c.deny_forms.iter().any(|f| p.matches(f))
                            || c.invocations.iter().any(|i| p.matches_invocation(i))
                    }
                    _ => false,
                }
        })
    }

    fn has_command_rules(&self, st: &State, tool: &str, b: RuleBehavior) -> bool {
        st.rules.iter().any(|c| {
            c.src.behavior == b
                && c.rule.tool.matches(tool)
                && matches!(c.rule.spec, Specifier::Any | Specifier::Command(_))
        })
    }

    /// An exact allow rule that names the whole command line as written.
    fn exact_line_rule<'a>(&self, st: &'a State, tool: &str, line: &str) -> Option<&'a Compiled> {
        st.rules.iter().find(|c| {
            c.src.behavior == RuleBehavior::Allow
                && c.rule.tool.matches(tool)
                && matches!(&c.rule.spec, Specifier::Command(p) if p.is_exact() && p.matches(line))
        })
    }

    pub(super) fn check_shell(
        &self,
        st: &State,
        tool: &str,
        command: &str,
        cwd: &Path,
        dialect: &Dialect,
    ) -> Decision {
        let line = command.trim();
        let whole = CommandCheck::whole_line(line);
        if let Some(r) = self.command_rule(st, RuleBehavior::Deny, tool, &whole) {
            return Decision::Deny {
                message: denied_message(&format!("run `{line}`"), &r.src),
                why: Why::one(line, Basis::rule(&r.src)),
            };
        }
        let guarded = self.has_command_rules(st, tool, RuleBehavior::Deny)
            || self.has_command_rules(st, tool, RuleBehavior::Ask);
        let blanket = self.bare_rule(st, RuleBehavior::Allow, tool);
        let bypass = st.mode == Mode::BypassPermissions;
        let cwd = self.absolute(cwd);
        let checks = match bash::analyze_in(command, &cwd, self.home.as_deref(), dialect) {
            Ok(c) => c,
            Err(e) => {
                if !guarded {
                    if bypass {
                        return Decision::Allow {
                            why: Why::one(line, Basis::Mode(Mode::BypassPermissions)),
                        };
                    }
                    if let Some(r) = blanket.or_else(|| self.exact_line_rule(st, tool, line)) {
                        // Bash refuses it as a syntax error; a rule names it exactly.
                        return Decision::Allow {
                            why: Why::one(line, Basis::rule(&r.src)),
                        };
                    }
                }
                if st.mode == Mode::Plan {
                    return Decision::Deny {
                        message: plan_message("a command that cannot be parsed"),
                        why: Why::one(line, Basis::Mode(Mode::Plan)),
                    };
                }
                return self.ask_or_deny(
                    st,
                    tool,
                    format!("the command cannot be parsed ({e}), so it cannot be checked"),
                    vec![],
                    Why::one(line, Basis::NotUnderstood(format!("the command line: {e}"))),
                );
            }
        };
        let mut reasons: Vec<String> = Vec::new();
        let mut suggestions: Vec<String> = Vec::new();
        let mut allowed = Why::default();
        let mut asked = Why::default();
        for c in &checks {
            match self.decide_command(st, tool, c, guarded, blanket.is_some()) {
                One::Allow(b) => allowed.push(&c.display, b),
                One::Deny(m, b) => {
                    return Decision::Deny {
                        message: m,
                        why: Why::one(&c.display, b),
                    };
                }
                One::Ask(reason, suggestion, b) => {
                    reasons.push(reason);
                    asked.push(&c.display, b);
                    if let Some(s) = suggestion
                        && !suggestions.contains(&s)
                        && suggestions.len() < MAX_SUGGESTIONS
                    {
                        suggestions.push(s);
                    }
                }
            }
        }
        if reasons.is_empty() {
            if allowed.0.is_empty() {
                allowed.push(line, Basis::ReadOnly("it runs nothing".into()));
            }
            return Decision::Allow { why: allowed };
        }
        // What cannot be granted (a protected path, a construct ccrs does not understand) is
        // asked again next time: "always" would grant only part of the line.
        if asked
            .0
            .iter()
            .any(|r| matches!(r.basis, Basis::Protected(_) | Basis::NotUnderstood(_)))
        {
            suggestions.clear();
        }
        let reason = if reasons.len() == 1 {
            reasons.remove(0)
        } else {
            format!("{} (and {} more)", reasons[0], reasons.len() - 1)
        };
        self.ask_or_deny(st, tool, reason, suggestions, asked)
    }

    fn resolve_forms(&self, p: &PathArg) -> Option<PathForms> {
        match p {
            PathArg::Known(p) => Some(PathForms::of(p)),
            PathArg::Unknown(_) => None,
        }
    }

    /// A deny or ask rule that may match a path below `dir` (a tree read, moved or removed).
    fn rule_under<'a>(
        &self,
        st: &'a State,
        access: Access,
        dir: Option<&PathForms>,
        skips_hidden: bool,
    ) -> Option<&'a Compiled> {
        st.rules
            .iter()
            .filter(|x| x.src.behavior != RuleBehavior::Allow && super::covers(x, "", access, true))
            .find(|x| match (&x.rule.spec, dir) {
                (Specifier::Path(_) | Specifier::Any, None) => true,
                (Specifier::Path(p), Some(_)) if skips_hidden && p.hidden_only() => false,
                (Specifier::Path(p), Some(f)) => {
                    p.may_match_under(&f.lexical) || p.may_match_under(&f.real)
                }
                (Specifier::Any, Some(_)) => true,
                _ => false,
            })
    }

    fn decide_command(
        &self,
        st: &State,
        tool: &str,
        c: &CommandCheck,
        guarded: bool,
        blanket: bool,
    ) -> One {
        let cmd = &c.display;
        // 1. Deny rules: the command, then every path it touches.
        if let Some(r) = self.command_rule(st, RuleBehavior::Deny, tool, c) {
            return One::Deny(
                denied_message(&format!("run `{cmd}`"), &r.src),
                Basis::rule(&r.src),
            );
        }
        // Every known path resolved once (unknown ones are handled below).
        let resolve = |list: &[PathArg], harmless: fn(&Path) -> bool| -> Vec<PathForms> {
            list.iter()
                .filter_map(|p| self.resolve_forms(p))
                .filter(|f| !harmless(&f.lexical))
                .collect()
        };
        let reads = resolve(&c.reads, paths::is_harmless_read);
        let arg_writes = resolve(&c.writes, paths::is_harmless_device);
        let redirect_writes = resolve(&c.redirect_writes, paths::is_harmless_device);
        let tree_writes = resolve(&c.tree_writes, paths::is_harmless_device);
        let writes = || {
            arg_writes
                .iter()
                .chain(&redirect_writes)
                .chain(&tree_writes)
        };
        for f in &reads {
            if let Some(r) = self.path_rule(st, RuleBehavior::Deny, "", Access::Read, f) {
                return One::Deny(
                    denied_message(&format!("read {} (in `{cmd}`)", show(&f.lexical)), &r.src),
                    Basis::rule(&r.src),
                );
            }
        }
        for f in writes() {
            if let Some(r) = self.path_rule(st, RuleBehavior::Deny, "", Access::Write, f) {
                return One::Deny(
                    denied_message(&format!("write {} (in `{cmd}`)", show(&f.lexical)), &r.src),
                    Basis::rule(&r.src),
                );
            }
        }
        // 2. Ask rules, and what cannot be verified against deny rules.
        let suggestion = c.suggestion.clone();
        if let Some(r) = self.command_rule(st, RuleBehavior::Ask, tool, c) {
            return One::Ask(
                format!("the rule {} asks before running `{cmd}`", r.src.rule),
                suggestion,
                Basis::rule(&r.src),
            );
        }
        for (list, access, verb) in [
            (&reads, Access::Read, "reading"),
            (&arg_writes, Access::Write, "writing"),
            (&redirect_writes, Access::Write, "writing"),
            (&tree_writes, Access::Write, "writing"),
        ] {
            for f in list.iter() {
                if let Some(r) = self.path_rule(st, RuleBehavior::Ask, "", access, f) {
                    return One::Ask(
                        format!(
                            "the rule {} asks before {verb} {}",
                            r.src.rule,
                            show(&f.lexical)
                        ),
                        suggestion,
                        Basis::rule(&r.src),
                    );
                }
            }
        }
        for m in &c.mentions {
            let Some(f) = self.resolve_forms(m) else {
                continue;
            };
            for access in [Access::Read, Access::Write] {
                for b in [RuleBehavior::Deny, RuleBehavior::Ask] {
                    if let Some(r) = self.path_rule(st, b, "", access, &f) {
                        return One::Ask(
                            format!(
                                "`{cmd}` may access {}, which the rule {} covers",
                                show(&f.lexical),
                                r.src.rule
                            ),
                            suggestion,
                            Basis::rule(&r.src),
                        );
                    }
                }
            }
        }
        let unknown_reads = c.reads.iter().any(|p| matches!(p, PathArg::Unknown(_)));
        let unknown_writes = c
            .writes
            .iter()
            .chain(&c.redirect_writes)
            .chain(&c.tree_writes)
            .any(|p| matches!(p, PathArg::Unknown(_)));
        // A deny or ask rule for paths could cover a path known only at run time, or a file in
        // a tree the command reads or changes as a whole.
        for (access, unknown, trees, skips_hidden, verb, tree_verb) in [
            (
                Access::Read,
                unknown_reads,
                &c.recursive_reads,
                c.skips_hidden,
                "reads",
                "reads",
            ),
            (
                Access::Write,
                unknown_writes,
                &c.tree_writes,
                false,
                "writes",
                "changes",
            ),
        ] {
            let Some(r) = self
                .any_path_rule(st, RuleBehavior::Deny, access)
                .or_else(|| self.any_path_rule(st, RuleBehavior::Ask, access))
            else {
                continue;
            };
            if unknown {
                return One::Ask(
                    format!(
                        "`{cmd}` {verb} a path known only at run time, which the rule {} might cover",
                        r.rule
                    ),
                    suggestion,
                    Basis::rule(&r),
                );
            }
            for d in trees {
                let f = self.resolve_forms(d);
                if let Some(hit) = self.rule_under(st, access, f.as_ref(), skips_hidden) {
                    return One::Ask(
                        format!(
                            "`{cmd}` {tree_verb} a directory tree that may contain files the rule {} covers",
                            hit.src.rule
                        ),
                        suggestion,
                        Basis::rule(&hit.src),
                    );
                }
            }
        }
        // 3. Plan mode: nothing that changes anything.
        let writes_anything = writes().next().is_some() || unknown_writes;
        if st.mode == Mode::Plan
            && (writes_anything
                || matches!(c.kind, Kind::Other(_) | Kind::Dynamic(_) | Kind::Opaque(_)))
        {
            return One::Deny(plan_message(&format!("`{cmd}`")), Basis::Mode(Mode::Plan));
        }
        // 4. Protected paths ask whatever the rules or the mode.
        if let Some(f) = writes().find(|f| protected(f) || contains_protected(f, &tree_writes)) {
            return One::Ask(
                format!(
                    "`{cmd}` writes {} (a protected path: it always asks)",
                    show(&f.lexical)
                ),
                None,
                Basis::Protected(f.lexical.clone()),
            );
        }
        // 5. The command itself: a blanket `Bash` allow or bypass mode covers everything deny
        // and ask rules left; an exact rule approves the command as written (options that run
        // programs, command substitutions) but, as in Claude Code, not reads outside the working
        // directories or writes beyond them; a pattern rule approves neither (the CVE class of
        // prefix bypasses).
        let bypass = st.mode == Mode::BypassPermissions;
        let broad = || -> Basis {
            if bypass {
                Basis::Mode(Mode::BypassPermissions)
            } else {
                self.bare_rule(st, RuleBehavior::Allow, tool)
                    .map(|r| Basis::rule(&r.src))
                    .unwrap_or(Basis::Mode(st.mode))
            }
        };
        match &c.kind {
            Kind::Dynamic(why) => {
                if (bypass || blanket) && !guarded {
                    return One::Allow(broad());
                }
                return One::Ask(
                    format!("`{cmd}` cannot be checked: {why}"),
                    None,
                    Basis::NotUnderstood(why.clone()),
                );
            }
            Kind::Opaque(why) if guarded => {
                return One::Ask(
                    format!("`{cmd}` cannot be checked against the Bash deny and ask rules: {why}"),
                    None,
                    Basis::NotUnderstood(why.clone()),
                );
            }
            _ => {}
        }
        if bypass || blanket {
            return One::Allow(broad());
        }
        // git commands in a repository ccrs does not trust: its configuration can run programs.
        let mut risky = c.risky.clone();
        if let Some(repo) = &c.git_repo
            && let Err(why) = self.git_trusted(repo)
        {
            risky.get_or_insert(why);
        }
        let level = self.allow_level(st, tool, c);
        let check_reads = || -> Option<One> {
            if unknown_reads {
                return Some(One::Ask(
                    format!("`{cmd}` reads a path known only at run time"),
                    suggestion.clone(),
                    Basis::NeedsApproval("a path known only at run time".into()),
                ));
            }
            for f in &reads {
                let ok = self.inside(f)
                    || self
                        .path_rule(st, RuleBehavior::Allow, "", Access::Read, f)
                        .is_some();
                if !ok {
                    return Some(One::Ask(
                        format!(
                            "`{cmd}` reads {}, outside the working directories",
                            show(&f.lexical)
                        ),
                        suggestion.clone(),
                        Basis::NeedsApproval(format!(
                            "it reads {}, outside the working directories",
                            show(&f.lexical)
                        )),
                    ));
                }
            }
            None
        };
        let basis = match (&level, &c.kind) {
            (Some(Level::Exact(r)), _) => {
                // As in Claude Code, a rule naming the command exactly still does not reach
                // outside the working directories: Read rules do.
                if let Some(ask) = check_reads() {
                    return ask;
                }
                Basis::rule(&r.src)
            }
            (Some(Level::Pattern(r, names_wrapper)), _) => {
                let from_input = *names_wrapper && c.input_args;
                let risky = risky
                    .as_ref()
                    .filter(|_| !from_input || c.git_repo.is_some());
                if let Some(why) = risky {
                    return One::Ask(
                        format!(
                            "`{cmd}` uses {why}, which the rule {} does not cover",
                            r.src.rule
                        ),
                        suggestion,
                        Basis::NeedsApproval(format!("{why} (not covered by {})", r.src.rule)),
                    );
                }
                if !from_input && let Some(ask) = check_reads() {
                    return ask;
                }
                Basis::rule(&r.src)
            }
            (None, Kind::Known | Kind::Neutral) => {
                if let Some(why) = &risky {
                    return One::Ask(
                        format!("`{cmd}` needs approval: {why}"),
                        suggestion,
                        Basis::NeedsApproval(why.clone()),
                    );
                }
                if let Some(ask) = check_reads() {
                    return ask;
                }
                match (&c.kind, &c.program) {
                    (Kind::Known, Some(p)) => {
                        Basis::ReadOnly(format!("{p} is a command ccrs models exactly"))
                    }
                    _ => Basis::ReadOnly("it runs nothing itself".into()),
                }
            }
            (None, Kind::Other(why) | Kind::Opaque(why)) => {
                return One::Ask(
                    format!("`{cmd}` needs approval: {why}"),
                    suggestion,
                    Basis::NeedsApproval(why.clone()),
                );
            }
            (None, Kind::Dynamic(_)) => {
                return One::Ask(
                    format!("`{cmd}` needs approval"),
                    None,
                    Basis::NeedsApproval(cmd.clone()),
                );
            }
        };
        // 6. What it writes: the command's own writes are covered by its rule inside the working
        // directories, or by acceptEdits there, or by an Edit rule; output redirections only by
        // acceptEdits or an Edit rule.
        if unknown_writes {
            return One::Ask(
                format!("`{cmd}` writes a path known only at run time"),
                suggestion,
                Basis::NeedsApproval("a path known only at run time".into()),
            );
        }
        let by_rule = level.is_some();
        for f in arg_writes.iter().chain(&tree_writes) {
            if self.write_basis(st, "", f, by_rule, false).is_none() {
                return One::Ask(
                    format!("`{cmd}` writes {}", show(&f.lexical)),
                    Some(self.write_suggestion(f, by_rule, &suggestion)),
                    Basis::NeedsApproval(format!("it writes {}", show(&f.lexical))),
                );
            }
        }
        for f in &redirect_writes {
            if self.write_basis(st, "", f, false, true).is_none() {
                return One::Ask(
                    format!("`{cmd}` writes {} (output redirection)", show(&f.lexical)),
                    Some(self.write_suggestion(f, true, &suggestion)),
                    Basis::NeedsApproval(format!("it writes {}", show(&f.lexical))),
                );
            }
        }
        if !by_rule && writes_anything && st.mode == Mode::AcceptEdits {
            return One::Allow(Basis::Mode(Mode::AcceptEdits));
        }
        if let Some(l) = &level {
            return One::Allow(Basis::rule(&l.rule().src));
        }
        One::Allow(basis)
    }

    /// autoAllowBashIfSandboxed: the kernel bounds what the command can do (the protected set
    /// stays read-only in the sandbox, Read and Edit deny rules are enforced by it), so the
    /// question the analyzer would ask is spared. Deny rules, ask rules, plan mode and dontAsk
    /// still decide, and so does a command ccrs cannot check against the Bash deny and ask
    /// rules (`eval "$x"` may be the denied command).
    pub(super) fn check_sandboxed_shell(
        &self,
        st: &State,
        tool: &str,
        command: &str,
        cwd: &Path,
        dialect: &Dialect,
    ) -> Decision {
        let guarded = self.has_command_rules(st, tool, RuleBehavior::Deny)
            || self.has_command_rules(st, tool, RuleBehavior::Ask);
        match self.check_shell(st, tool, command, cwd, dialect) {
            Decision::Ask { why, .. }
                if st.mode != Mode::Plan
                    && st.mode != Mode::DontAsk
                    && !why.0.iter().any(|r| match &r.basis {
                        // The sandbox enforces Read and Edit deny rules itself; ask rules and
                        // Bash deny rules it cannot.
                        Basis::Rule {
                            behavior: RuleBehavior::Deny,
                            rule,
                            ..
                        } => !["Read(", "Edit(", "Write(", "MultiEdit("]
                            .iter()
                            .any(|t| rule.trim_start().starts_with(t)),
                        Basis::Rule { .. } => true,
                        Basis::NotUnderstood(_) => guarded,
                        _ => false,
                    }) =>
            {
                Decision::Allow {
                    why: Why::one(command.trim(), Basis::Sandboxed),
                }
            }
            d => d,
        }
    }

    /// dangerouslyDisableSandbox: deny rules still apply; otherwise the user is always asked
    /// (bypassPermissions keeps its meaning, dontAsk denies).
    pub(super) fn check_unsandboxed_shell(
        &self,
        st: &State,
        tool: &str,
        command: &str,
        cwd: &Path,
        dialect: &Dialect,
    ) -> Decision {
        match self.check_shell(st, tool, command, cwd, dialect) {
            d @ Decision::Deny { .. } => d,
            d if st.mode == Mode::BypassPermissions => d,
            _ => self.ask_or_deny(
                st,
                tool,
                "the command asks to run outside the sandbox (dangerouslyDisableSandbox)"
                    .to_string(),
                vec![],
                Why::one(command.trim(), Basis::Unsandboxed),
            ),
        }
    }

    /// How an allow rule covers the command: exactly as written, or by a pattern.
    fn allow_level<'a>(&self, st: &'a State, tool: &str, c: &CommandCheck) -> Option<Level<'a>> {
        let mut best = None;
        for r in &st.rules {
            if r.src.behavior != RuleBehavior::Allow || !r.rule.tool.matches(tool) {
                continue;
            }
            if let Specifier::Command(p) = &r.rule.spec
                && let Some(form) = c
                    .allow_forms
                    .iter()
                    .find(|f| p.matches_form(&f.text, f.min_literal))
            {
                if p.is_exact() {
                    return Some(Level::Exact(r));
                }
                best.get_or_insert(Level::Pattern(r, form.min_literal > 0));
            }
        }
        best
    }

    /// An Edit rule for the written path when the command itself is fine, else the command's
    /// own rule.
    fn write_suggestion(&self, f: &PathForms, cmd_ok: bool, cmd: &Option<String>) -> String {
        match (cmd_ok, cmd) {
            (false, Some(s)) => s.clone(),
            _ => format!("Edit({})", paths::rule_path(&f.lexical)),
        }
    }
}

/// A tree written (moved, removed) that holds a protected path directly below it (`.git`,
/// `.claude`, `.bashrc`, …).
fn contains_protected(f: &PathForms, trees: &[PathForms]) -> bool {
    trees.contains(f) && paths::holds_protected(&f.real)
}
