//! Why a decision was taken: every [`super::Decision`] carries the rule (and the file it came
//! from), the mode, the read-only class, the protected path or the construct ccrs did not
//! understand that decided it, one entry per part of the call that mattered.

use super::mode::Mode;
use super::rules::{RuleBehavior, SourcedRule};
use std::fmt;
use std::path::PathBuf;

/// What decided one part of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    /// A permission rule, as written, and where it came from.
    Rule {
        behavior: RuleBehavior,
        rule: String,
        /// The settings file (or "the command line", "this session", …).
        origin: String,
    },
    /// The permission mode (bypassPermissions, acceptEdits, plan, dontAsk).
    Mode(Mode),
    /// Built-in knowledge that the command only reads (or only writes where allowed): the
    /// class, e.g. "read-only command `ls`".
    ReadOnly(String),
    /// Reading inside the working directories needs no rule.
    WorkingDirs,
    /// A write to a protected path (`.git/`, `.claude/`, shell start-up files, …): always
    /// asked, whatever the rules or the mode.
    Protected(PathBuf),
    /// Something ccrs does not model exactly, so it cannot be allowed on its own.
    NotUnderstood(String),
    /// No rule allows it (with what was needed).
    NeedsApproval(String),
    /// The tool touches nothing outside ccrs.
    Passive,
    /// The command runs in the sandbox (`autoAllowBashIfSandboxed`), which bounds what it can do.
    Sandboxed,
    /// The command asks to run outside the sandbox (`dangerouslyDisableSandbox`).
    Unsandboxed,
}

impl Basis {
    pub fn rule(r: &SourcedRule) -> Basis {
        Basis::Rule {
            behavior: r.behavior,
            rule: r.rule.clone(),
            origin: r.origin(),
        }
    }
}

impl fmt::Display for Basis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Basis::Rule {
                behavior,
                rule,
                origin,
            } => write!(f, "{} rule {rule} (from {origin})", behavior.as_str()),
            Basis::Mode(m) => write!(f, "permission mode {m}"),
            Basis::ReadOnly(class) => write!(f, "{class}"),
            Basis::WorkingDirs => f.write_str("inside the working directories"),
            Basis::Protected(p) => write!(f, "protected path {}", p.display()),
            Basis::NotUnderstood(what) => write!(f, "not understood: {what}"),
            Basis::NeedsApproval(what) => write!(f, "no rule allows it: {what}"),
            Basis::Passive => f.write_str("touches nothing outside ccrs"),
            Basis::Sandboxed => f.write_str("runs in the sandbox (autoAllowBashIfSandboxed)"),
            Basis::Unsandboxed => {
                f.write_str("asks to run outside the sandbox (dangerouslyDisableSandbox)")
            }
        }
    }
}

/// One part of a call (a command of a command line, a path) and what decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// The part, for display (`rm -rf build`, `/etc/hosts`); empty for the whole call.
    pub part: String,
    pub basis: Basis,
}

/// The explanation a decision carries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Why(pub Vec<Reason>);

impl Why {
    pub fn one(part: impl Into<String>, basis: Basis) -> Why {
        Why(vec![Reason {
            part: part.into(),
            basis,
        }])
    }

    pub fn push(&mut self, part: impl Into<String>, basis: Basis) {
        self.0.push(Reason {
            part: part.into(),
            basis,
        });
    }

    /// The rule that decided, if one did (the first).
    pub fn rule(&self) -> Option<(&str, &str)> {
        self.0.iter().find_map(|r| match &r.basis {
            Basis::Rule { rule, origin, .. } => Some((rule.as_str(), origin.as_str())),
            _ => None,
        })
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            if r.part.is_empty() {
                write!(f, "{}", r.basis)?;
            } else {
                write!(f, "{}: {}", r.part, r.basis)?;
            }
        }
        Ok(())
    }
}
