//! File tools (Read, Edit, Write, …), WebFetch and every other tool.

use super::super::explain::{Basis, Why};
use super::super::paths::{self, PathForms};
use super::super::rules::{RuleBehavior, Specifier};
use super::super::web::url_host;
use super::super::{Decision, Mode};
use super::{Access, PermissionEngine, State, denied_message, plan_message, show};
use std::path::{Path, PathBuf};

impl PermissionEngine {
    /// The file tool's paths, resolved, unless a deny or ask rule decides the call first.
    fn file_rules(
        &self,
        st: &State,
        tool: &str,
        access: Access,
        list: &[PathBuf],
    ) -> Result<Vec<PathForms>, Decision> {
        let forms: Vec<PathForms> = list
            .iter()
            .map(|p| PathForms::of(&self.absolute(p)))
            .collect();
        for f in &forms {
            if let Some(r) = self.path_rule(st, RuleBehavior::Deny, tool, access, f) {
                return Err(Decision::Deny {
                    message: denied_message(&format!("use {tool} on {}", show(&f.lexical)), &r.src),
                    why: Why::one(show(&f.lexical), Basis::rule(&r.src)),
                });
            }
        }
        for f in &forms {
            if let Some(r) = self.path_rule(st, RuleBehavior::Ask, tool, access, f) {
                let verb = match access {
                    Access::Read => "reading",
                    Access::Write => "writing",
                };
                return Err(self.ask_or_deny(
                    st,
                    tool,
                    format!(
                        "the rule {} asks before {verb} {}",
                        r.src.rule,
                        show(&f.lexical)
                    ),
                    vec![],
                    Why::one(show(&f.lexical), Basis::rule(&r.src)),
                ));
            }
        }
        Ok(forms)
    }

    pub(super) fn check_read(&self, st: &State, tool: &str, list: &[PathBuf]) -> Decision {
        let forms = match self.file_rules(st, tool, Access::Read, list) {
            Ok(forms) => forms,
            Err(decision) => return decision,
        };
        let mut why = Why::default();
        if st.mode == Mode::BypassPermissions {
            why.push(tool, Basis::Mode(Mode::BypassPermissions));
            return Decision::Allow { why };
        }
        let mut outside = None;
        for f in &forms {
            if self.inside(f) {
                why.push(show(&f.lexical), Basis::WorkingDirs);
            } else if let Some(r) = self.path_rule(st, RuleBehavior::Allow, tool, Access::Read, f) {
                why.push(show(&f.lexical), Basis::rule(&r.src));
            } else {
                outside.get_or_insert(f);
            }
        }
        let Some(first) = outside else {
            return Decision::Allow { why };
        };
        let dir = if first.real.is_dir() {
            first.real.clone()
        } else {
            first
                .real
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        };
        self.ask_or_deny(
            st,
            tool,
            format!(
                "{tool} wants to read {}, outside the working directories",
                show(&first.lexical)
            ),
            vec![format!("Read({}/**)", paths::rule_path(&dir))],
            Why::one(
                show(&first.lexical),
                Basis::NeedsApproval("outside the working directories".into()),
            ),
        )
    }

    pub(super) fn check_write(&self, st: &State, tool: &str, list: &[PathBuf]) -> Decision {
        let forms = match self.file_rules(st, tool, Access::Write, list) {
            Ok(forms) => forms,
            Err(decision) => return decision,
        };
        if st.mode == Mode::Plan {
            return Decision::Deny {
                message: plan_message(&format!(
                    "{tool} on {}",
                    show(&forms.first().map(|f| f.lexical.clone()).unwrap_or_default())
                )),
                why: Why::one(tool, Basis::Mode(Mode::Plan)),
            };
        }
        // Protected paths ask whatever the rules or the mode, and "always" never covers them.
        if let Some(f) = forms.iter().find(|f| protected(f)) {
            return self.ask_or_deny(
                st,
                tool,
                format!(
                    "{tool} wants to write {} (a protected path: it always asks)",
                    show(&f.lexical)
                ),
                vec![],
                Why::one(show(&f.lexical), Basis::Protected(f.lexical.clone())),
            );
        }
        let mut why = Why::default();
        if st.mode == Mode::BypassPermissions {
            why.push(tool, Basis::Mode(Mode::BypassPermissions));
            return Decision::Allow { why };
        }
        let mut pending = None;
        for f in &forms {
            match self.write_basis(st, tool, f, false, false) {
                Some(b) => why.push(show(&f.lexical), b),
                None => {
                    pending.get_or_insert(f);
                }
            }
        }
        let Some(first) = pending else {
            return Decision::Allow { why };
        };
        let dir = first
            .lexical
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let (what, suggestion) = if self.inside(first) {
            (
                "a file edit",
                format!("Edit({}/**)", paths::rule_path(&dir)),
            )
        } else {
            (
                "outside the working directories",
                format!("Edit({}/**)", paths::rule_path(&dir)),
            )
        };
        self.ask_or_deny(
            st,
            tool,
            format!("{tool} wants to write {} ({what})", show(&first.lexical)),
            vec![suggestion],
            Why::one(show(&first.lexical), Basis::NeedsApproval(what.into())),
        )
    }

    /// What lets this path be written without asking (bypass and protected paths aside): an
    /// Edit allow rule, or acceptEdits inside the working directories; `by_rule` is an allow
    /// rule for the Bash command itself, which covers its own writes inside the working
    /// directories. `redirect`: an output redirection (Edit path rules cover those).
    pub(super) fn write_basis(
        &self,
        st: &State,
        tool: &str,
        f: &PathForms,
        by_rule: bool,
        redirect: bool,
    ) -> Option<Basis> {
        if let Some(r) =
            self.path_rule_for(st, RuleBehavior::Allow, tool, Access::Write, f, redirect)
        {
            return Some(Basis::rule(&r.src));
        }
        let safe_inside = self.inside(f) && paths::inside(&f.lexical, &self.write_dirs);
        if !safe_inside {
            return None;
        }
        if st.mode == Mode::AcceptEdits {
            return Some(Basis::Mode(Mode::AcceptEdits));
        }
        by_rule.then_some(Basis::WorkingDirs)
    }

    pub(super) fn check_fetch(&self, st: &State, tool: &str, url: &str) -> Decision {
        let host = url_host(url);
        let find = |b: RuleBehavior| {
            st.rules.iter().find(|c| {
                c.src.behavior == b
                    && c.rule.tool.matches(tool)
                    && match &c.rule.spec {
                        Specifier::Any => true,
                        Specifier::Domain(d) => d.matches(host.as_deref()),
                        _ => false,
                    }
            })
        };
        let what = host.clone().unwrap_or_else(|| url.to_string());
        if let Some(r) = find(RuleBehavior::Deny) {
            return Decision::Deny {
                message: denied_message(&format!("fetch {what}"), &r.src),
                why: Why::one(&what, Basis::rule(&r.src)),
            };
        }
        if let Some(r) = find(RuleBehavior::Ask) {
            return self.ask_or_deny(
                st,
                tool,
                format!("the rule {} asks before fetching {what}", r.src.rule),
                vec![],
                Why::one(&what, Basis::rule(&r.src)),
            );
        }
        if st.mode == Mode::BypassPermissions {
            return Decision::Allow {
                why: Why::one(&what, Basis::Mode(Mode::BypassPermissions)),
            };
        }
        if let Some(r) = find(RuleBehavior::Allow) {
            return Decision::Allow {
                why: Why::one(&what, Basis::rule(&r.src)),
            };
        }
        let suggestions = host
            .map(|h| vec![format!("WebFetch(domain:{h})")])
            .unwrap_or_default();
        self.ask_or_deny(
            st,
            tool,
            format!("{tool} wants to fetch {what}"),
            suggestions,
            Why::one(
                &what,
                Basis::NeedsApproval("no WebFetch rule names it".into()),
            ),
        )
    }

    pub(super) fn check_other(&self, st: &State, tool: &str) -> Decision {
        if let Some(r) = self.bare_rule(st, RuleBehavior::Deny, tool) {
            return Decision::Deny {
                message: denied_message(&format!("use {tool}"), &r.src),
                why: Why::one(tool, Basis::rule(&r.src)),
            };
        }
        if let Some(r) = self.bare_rule(st, RuleBehavior::Ask, tool) {
            return self.ask_or_deny(
                st,
                tool,
                format!("the rule {} asks first", r.src.rule),
                vec![],
                Why::one(tool, Basis::rule(&r.src)),
            );
        }
        if st.mode == Mode::Plan && tool != "WebSearch" {
            return Decision::Deny {
                message: plan_message(tool),
                why: Why::one(tool, Basis::Mode(Mode::Plan)),
            };
        }
        if st.mode == Mode::BypassPermissions {
            return Decision::Allow {
                why: Why::one(tool, Basis::Mode(Mode::BypassPermissions)),
            };
        }
        if let Some(r) = self.bare_rule(st, RuleBehavior::Allow, tool) {
            return Decision::Allow {
                why: Why::one(tool, Basis::rule(&r.src)),
            };
        }
        self.ask_or_deny(
            st,
            tool,
            format!("{tool} needs approval"),
            vec![tool.to_string()],
            Why::one(
                tool,
                Basis::NeedsApproval("no rule allows this tool".into()),
            ),
        )
    }
}

/// A protected path, as written or as reached.
pub(super) fn protected(f: &PathForms) -> bool {
    paths::is_protected(&f.lexical) || paths::is_protected(&f.real)
}
