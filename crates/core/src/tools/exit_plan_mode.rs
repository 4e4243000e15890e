//! ExitPlanMode: the model presents its plan; in plan mode the user must approve it before
//! anything runs.
//!
//! The permission engine asks about it ([`Subject::ExitPlan`]); the prompter shows the plan.
//! Approval ("once": default mode, "always": acceptEdits) switches the engine's mode before the
//! call runs, and the call tells the model to proceed. A rejection never reaches the call: the
//! agent loop sends the user's feedback to the model instead. Outside plan mode the call only
//! returns a note.

use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::permissions::Mode;
use serde_json::{Value, json};

/// The text Claude Code returns on approval; models are trained on it.
pub const APPROVED: &str = "User has approved your plan. You can now start coding. Start with updating your todo list if applicable";

/// The note returned when the model calls the tool outside plan mode.
pub const NOT_IN_PLAN_MODE: &str =
    "You are not in plan mode, so there is no plan to approve. Continue with the task.";

pub struct ExitPlanMode;

fn plan_of(input: &Value) -> String {
    input
        .get("plan")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

impl Tool for ExitPlanMode {
    fn name(&self) -> &str {
        "ExitPlanMode"
    }

    fn description(&self) -> &str {
        "In plan mode, when your implementation plan is ready, call this with the plan (concise \
         markdown) for the user's approval; nothing that changes files runs before. Not for \
         research questions."
    }

    fn input_schema(&self) -> Value {
        // 2.0's `plan`; 2.1's `allowedPrompts` (and any injected fields) are accepted without
        // being advertised: every schema byte is paid on every request.
        json!({
            "type": "object",
            "properties": {
                "plan": {"type": "string"}
            },
            "additionalProperties": true
        })
    }

    /// Changes nothing on disk; it runs in plan mode.
    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::ExitPlan {
            plan: plan_of(input),
        }
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let plan = plan_of(&input);
            let mode = match &ctx.permissions {
                Some(engine) => match engine.take_plan_exit() {
                    Some(mode) => Some(mode),
                    None if engine.mode() == Mode::Plan => {
                        // Allowed without going through approval (a host answered for the
                        // user): leave plan mode the cautious way.
                        engine.set_mode(Mode::Default);
                        Some(Mode::Default)
                    }
                    None => None,
                },
                None => Some(Mode::Default),
            };
            let Some(mode) = mode else {
                return ToolOutput::ok(NOT_IN_PLAN_MODE)
                    .with_structured(json!({"plan": plan, "approved": false}));
            };
            let mut text = APPROVED.to_string();
            if mode == Mode::AcceptEdits {
                text.push_str(
                    "\n\nFile edits inside the working directories are accepted automatically.",
                );
            }
            if !plan.trim().is_empty() {
                text.push_str("\n\n## Approved Plan:\n");
                text.push_str(&plan);
            }
            ToolOutput::ok(text).with_structured(json!({
                "plan": plan,
                "approved": true,
                "mode": mode.as_str(),
            }))
        })
    }

    fn summary(&self, input: &Value) -> String {
        super::schema::shorten(&plan_of(input), 80)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::{Decision, PermissionConfig, PermissionEngine};
    use std::sync::Arc;

    fn ctx(dir: &std::path::Path, mode: Mode) -> (ToolContext, Arc<PermissionEngine>) {
        let engine = Arc::new(PermissionEngine::new(PermissionConfig {
            mode,
            cwd: dir.to_path_buf(),
            ..Default::default()
        }));
        let mut c = ToolContext::for_tests(dir);
        c.permissions = Some(engine.clone());
        (c, engine)
    }

    #[tokio::test]
    async fn approval_switches_mode_and_tells_the_model() {
        let d = tempfile::tempdir().unwrap();
        for (always, mode) in [(false, Mode::Default), (true, Mode::AcceptEdits)] {
            let (c, engine) = ctx(d.path(), Mode::Plan);
            let input = json!({"plan": "1. edit\n2. test"});
            let subject = ExitPlanMode.subject(&input, &c);
            assert!(matches!(
                engine.check("ExitPlanMode", &subject),
                Decision::Ask { .. }
            ));
            engine.approved(&subject, always);
            assert_eq!(engine.mode(), mode);
            let out = ExitPlanMode.call(input, &c).await;
            assert!(!out.is_error);
            assert!(out.text().starts_with(APPROVED), "{}", out.text());
            assert!(out.text().contains("1. edit"));
            assert_eq!(out.structured.unwrap()["mode"], mode.as_str());
            // A second call outside plan mode is just a note.
            let out = ExitPlanMode.call(json!({"plan": "x"}), &c).await;
            assert_eq!(out.text(), NOT_IN_PLAN_MODE);
        }
    }

    #[tokio::test]
    async fn outside_plan_mode_it_is_a_note_and_needs_no_approval() {
        let d = tempfile::tempdir().unwrap();
        let (c, engine) = ctx(d.path(), Mode::Default);
        let input = json!({"allowedPrompts": [{"tool": "Bash", "prompt": "run tests"}]});
        assert!(super::super::schema::validate(&ExitPlanMode.input_schema(), &input).is_empty());
        let subject = ExitPlanMode.subject(&input, &c);
        {
            let d = engine.check("ExitPlanMode", &subject);
            assert!(d.is_allow(), "{d:?}");
        }
        let out = ExitPlanMode.call(input, &c).await;
        assert_eq!(out.text(), NOT_IN_PLAN_MODE);
        assert_eq!(engine.mode(), Mode::Default);
    }

    #[tokio::test]
    async fn called_in_plan_mode_without_approval_leaves_cautiously() {
        let d = tempfile::tempdir().unwrap();
        let (c, engine) = ctx(d.path(), Mode::Plan);
        let out = ExitPlanMode.call(json!({"plan": "p"}), &c).await;
        assert!(out.text().starts_with(APPROVED));
        assert_eq!(engine.mode(), Mode::Default);
    }
}
