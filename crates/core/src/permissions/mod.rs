//! Permission decisions: rules from settings and flags, modes, and the question to the user.
//!
//! The agent loop asks [`PermissionEngine::check`] about every tool call's [`Subject`]. `Allow`
//! runs the call, `Deny` answers the model with the message, `Ask` goes to the front end's
//! [`PermissionPrompter`] (print mode denies, the terminal UI asks, the SDK asks its host).
//!
//! Modules: `subject` (what a call touches), `rules` (the rule grammar), `shell` (a bash and
//! POSIX sh parser that records what it does not understand), `expand` (static word expansion),
//! `commands` (what known commands read and write), `sed` (sed script safety), `bash` (command
//! lines → one check per command), `canon` (commands as programs, for deny rules), `paths`
//! (path patterns, symlinks, protected paths), `web` (WebFetch domains), `engine` (the
//! decisions), `explain` (why).

pub mod bash;
mod canon;
mod commands;
mod engine;
mod expand;
mod explain;
mod mode;
pub mod paths;
pub mod rules;
mod sed;
pub mod shell;
mod subject;
mod web;

pub use engine::{
    BYPASS_ROOT_REFUSAL, InvalidRule, PermissionConfig, PermissionEngine, WalkReadDeny,
    bypass_refusal, bypass_refusal_for,
};
pub use explain::{Basis, Reason, Why};
pub use mode::Mode;
pub use rules::{RuleBehavior, RuleSource, SourcedRule, split_rule_list};
pub use subject::{Dialect, Subject};

use crate::BoxFuture;
use serde_json::Value;

/// The engine's verdict on one call, with what decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow {
        why: Why,
    },
    /// Needs the user's approval. `suggestions` are the rules "don't ask again" would add.
    Ask {
        reason: String,
        suggestions: Vec<String>,
        why: Why,
    },
    /// Refused; `message` goes back to the model as the tool_result.
    Deny {
        message: String,
        why: Why,
    },
}

impl Decision {
    pub fn is_allow(&self) -> bool {
        matches!(self, Decision::Allow { .. })
    }

    pub fn is_ask(&self) -> bool {
        matches!(self, Decision::Ask { .. })
    }

    pub fn is_deny(&self) -> bool {
        matches!(self, Decision::Deny { .. })
    }

    /// What decided it.
    pub fn why(&self) -> &Why {
        match self {
            Decision::Allow { why } | Decision::Ask { why, .. } | Decision::Deny { why, .. } => why,
        }
    }

    /// "allow", "ask" or "deny".
    pub fn verdict(&self) -> &'static str {
        match self {
            Decision::Allow { .. } => "allow",
            Decision::Ask { .. } => "ask",
            Decision::Deny { .. } => "deny",
        }
    }
}

/// What the front end is asked.
#[derive(Clone, Debug)]
pub struct PermissionRequest {
    pub tool_name: String,
    pub tool_use_id: String,
    pub input: Value,
    pub subject: Subject,
    /// Why approval is needed, for display.
    pub reason: String,
    /// What decided each part of the call (the rule and its file, the protected path, the
    /// construct not understood, …): the question shows it under the reason.
    pub why: Why,
    /// Rules that "yes, and don't ask again" would add (Bash/WebFetch/MCP rules go to
    /// `.claude/settings.local.json`; file-path rules last for the session).
    ///
    /// For `ExitPlanMode` (subject [`Subject::ExitPlan`]) the question is "approve this plan?":
    /// `AllowAlways` means "yes, and auto-accept edits", `AllowOnce` "yes, and ask before
    /// edits", `Deny` "keep planning" (its message carries the user's feedback).
    pub suggestions: Vec<String>,
}

/// The user's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptAnswer {
    AllowOnce,
    /// Allow once, running the call with this input instead (the SDK's `updatedInput`).
    AllowWithInput(Value),
    /// Allow, and persist the request's suggestions as allow rules.
    AllowAlways,
    /// Refuse; `message` is what the model is told (see [`user_rejected_message`]).
    Deny {
        message: String,
    },
}

/// Asks the user (or the SDK host) about a call the rules leave open.
pub trait PermissionPrompter: Send + Sync {
    fn ask<'a>(&'a self, request: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer>;
}

/// Print mode: nobody to ask, so every open question is a denial.
pub struct DenyPrompter;

impl PermissionPrompter for DenyPrompter {
    fn ask<'a>(&'a self, request: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer> {
        Box::pin(async {
            PromptAnswer::Deny {
                message: auto_denied_message(&request.tool_name),
            }
        })
    }
}

/// Message sent to the model when the user refuses a call in the interactive prompt.
pub const USER_REJECTED: &str = "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to tell you how to proceed.";

/// What the model is told when the user says no, with their feedback (what to do instead).
pub fn user_rejected_message(feedback: Option<&str>) -> String {
    match feedback.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => format!(
            "The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). The user said:\n{f}"
        ),
        None => USER_REJECTED.to_string(),
    }
}

/// Message sent to the model when a call needs approval nobody can give (print mode).
pub fn auto_denied_message(tool_name: &str) -> String {
    format!(
        "Permission to use {tool_name} has been denied because ccrs is running non-interactively and no rule allows this call. Do not retry it; continue without it or explain what permission is needed."
    )
}
