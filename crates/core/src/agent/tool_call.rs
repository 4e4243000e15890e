//! One tool call, start to finish: the one place every call of the model passes. In order:
//! input validation, the permission decision (rules, then the front end's prompter), the run
//! (cancellable), and the `ToolFinished` event. Hooks (`PreToolUse` before the permission
//! decision, `PostToolUse` after the run) belong here and nowhere else.

use super::{Agent, CANCEL_GRACE, PermissionDenial};
use crate::events::{AgentEvent, EventSink, INTERRUPTED_TOOL_USE, ToolOutput};
use crate::log;
use crate::permissions::{Decision, PermissionRequest, PromptAnswer};
use crate::tools::{Subject, Tool, ToolContext, schema};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// A short description of what a call touches, for the debug log.
fn describe(subject: &Subject) -> String {
    match subject {
        Subject::Passive => "nothing outside ccrs".to_string(),
        Subject::Read(p) => format!("read {}", join(p)),
        Subject::Write(p) => format!("write {}", join(p)),
        Subject::Shell { command, cwd, .. } => format!("run `{command}` in {}", cwd.display()),
        Subject::SandboxedShell { command, cwd, .. } => {
            format!("run `{command}` sandboxed in {}", cwd.display())
        }
        Subject::UnsandboxedShell { command, cwd, .. } => {
            format!("run `{command}` outside the sandbox in {}", cwd.display())
        }
        Subject::Fetch(url) => format!("fetch {url}"),
        Subject::Other => "other".to_string(),
        Subject::ExitPlan { .. } => "leave plan mode".to_string(),
    }
}

fn join(paths: &[std::path::PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Agent {
    /// Validates, checks permission for and runs one tool call.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn run_tool(
        &self,
        id: &str,
        name: &str,
        input: &Value,
        malformed: Option<String>,
        ctx: &ToolContext,
        events: &Arc<dyn EventSink>,
        denials: &mut Vec<PermissionDenial>,
    ) -> ToolOutput {
        let finish = |output: ToolOutput| {
            events.emit(AgentEvent::ToolFinished {
                id: id.to_string(),
                name: name.to_string(),
                input: input.clone(),
                output: output.clone(),
            });
            output
        };
        if let Some(err) = malformed {
            return finish(ToolOutput::tool_use_error(format!(
                "InputValidationError: {err}"
            )));
        }
        let Some(tool) = self
            .tools
            .get(name)
            .filter(|t| !self.permissions.hides_tool(t.name()))
        else {
            return finish(ToolOutput::tool_use_error(format!(
                "Error: No such tool available: {name}"
            )));
        };
        let problems = schema::validate(&tool.input_schema(), input);
        if !problems.is_empty() {
            return finish(ToolOutput::tool_use_error(format!(
                "InputValidationError: {} failed due to the following issue{}:\n{}",
                tool.name(),
                if problems.len() == 1 { "" } else { "s" },
                problems.join("\n")
            )));
        }
        let subject = match self
            .authorize(tool.as_ref(), id, input, ctx, events, denials)
            .await
        {
            Ok(subject) => subject,
            Err(refusal) => return finish(refusal),
        };
        events.emit(AgentEvent::ToolStarted {
            id: id.to_string(),
            name: tool.name().to_string(),
            input: input.clone(),
        });
        crate::debug_log!(
            log::TOOLS,
            "{} {id} started: {}",
            tool.name(),
            tool.summary(input)
        );
        let started = Instant::now();
        // It runs as checked (the Bash tool: in the directory and shell the engine saw).
        let call = tool.call_checked(input.clone(), &subject, ctx);
        tokio::pin!(call);
        let output = tokio::select! {
            out = &mut call => out,
            _ = ctx.cancel.cancelled() => {
                // Tools see the token themselves and clean up (killing processes); give them a
                // moment to report, then give up on them.
                match tokio::time::timeout(CANCEL_GRACE, &mut call).await {
                    Ok(out) => out,
                    Err(_) => ToolOutput::error(INTERRUPTED_TOOL_USE),
                }
            }
        };
        crate::debug_log!(
            log::TOOLS,
            "{} {id} finished in {} ms{}",
            tool.name(),
            started.elapsed().as_millis(),
            if output.is_error {
                " with an error"
            } else {
                ""
            }
        );
        finish(output)
    }

    /// The permission decision for a valid call: the engine's rules, then the prompter for what
    /// they leave open: the subject that was allowed, or (`Err`) the refusal to send back as the
    /// result.
    async fn authorize(
        &self,
        tool: &dyn Tool,
        id: &str,
        input: &Value,
        ctx: &ToolContext,
        events: &Arc<dyn EventSink>,
        denials: &mut Vec<PermissionDenial>,
    ) -> Result<Subject, ToolOutput> {
        let subject = tool.subject(input, ctx);
        let deny = |message: String, denials: &mut Vec<PermissionDenial>| {
            events.emit(AgentEvent::PermissionDenied {
                tool_name: tool.name().to_string(),
                tool_use_id: id.to_string(),
                input: input.clone(),
                reason: message.clone(),
            });
            denials.push(PermissionDenial {
                tool_name: tool.name().to_string(),
                tool_use_id: id.to_string(),
                tool_input: input.clone(),
            });
            ToolOutput::error(message)
        };
        let decision = self.permissions.check(tool.name(), &subject);
        if crate::log::enabled(log::PERMISSIONS) {
            let (verdict, text) = match &decision {
                Decision::Allow { .. } => ("allow", ""),
                Decision::Deny { message, .. } => ("deny: ", message.as_str()),
                Decision::Ask { reason, .. } => ("ask: ", reason.as_str()),
            };
            crate::log::write(
                log::PERMISSIONS,
                format_args!(
                    "{} {id} ({}), mode {}: {verdict}{text} — because: {}",
                    tool.name(),
                    describe(&subject),
                    self.permissions.mode(),
                    decision.why(),
                ),
            );
        }
        let (reason, suggestions, why) = match decision {
            Decision::Allow { .. } => return Ok(subject),
            Decision::Deny { message, .. } => return Err(deny(message, denials)),
            Decision::Ask {
                reason,
                suggestions,
                why,
            } => (reason, suggestions, why),
        };
        let request = PermissionRequest {
            tool_name: tool.name().to_string(),
            tool_use_id: id.to_string(),
            input: input.clone(),
            subject,
            reason,
            why,
            suggestions,
        };
        let answer = tokio::select! {
            a = self.prompter.ask(&request) => a,
            _ = ctx.cancel.cancelled() => PromptAnswer::Deny { message: INTERRUPTED_TOOL_USE.to_string() },
        };
        crate::debug_log!(
            log::PERMISSIONS,
            "{} {id}: answered {}",
            tool.name(),
            match &answer {
                PromptAnswer::AllowOnce => "allow once",
                PromptAnswer::AllowAlways => "allow always",
                PromptAnswer::Deny { .. } => "deny",
            }
        );
        match answer {
            PromptAnswer::AllowOnce => {
                self.permissions.approved(&request.subject, false);
                Ok(request.subject)
            }
            PromptAnswer::AllowAlways => {
                self.permissions.approved(&request.subject, true);
                // The engine takes the rules into force; settings writes them to the file.
                if let Err(e) =
                    crate::settings::persist_always_allow(&self.permissions, &request.suggestions)
                {
                    events.emit(AgentEvent::Warning(format!(
                        "could not save the permission rule: {e}"
                    )));
                }
                Ok(request.subject)
            }
            PromptAnswer::Deny { message } => Err(deny(message, denials)),
        }
    }
}
