//! One tool call, start to finish: the one place every call of the model passes. In order:
//! input validation, the `PreToolUse` hooks (they may deny, ask, allow or change the input),
//! the permission decision (rules, then `PermissionRequest` hooks, then the front end's
//! prompter), the run (cancellable), the `PostToolUse` (or `PostToolUseFailure`) hooks, and
//! the `ToolFinished` event.

use super::{Agent, CANCEL_GRACE, PermissionDenial};
use crate::events::{AgentEvent, EventSink, INTERRUPTED_TOOL_USE, ToolOutput};
use crate::hooks::{PermissionVerdict, PreDecision, ToolCallInfo};
use crate::log;
use crate::permissions::{Decision, PermissionRequest, PromptAnswer};
use crate::tools::{Subject, Tool, ToolContext, schema};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

/// A finished call: its result, and what its hooks asked for.
#[derive(Debug)]
pub(super) struct ToolRun {
    pub output: ToolOutput,
    /// Hook texts for the model, sent after this turn's results.
    pub context: Vec<String>,
    /// A hook said `continue: false`: the query ends after this turn's calls.
    pub stop: Option<String>,
}

impl Default for ToolRun {
    fn default() -> Self {
        ToolRun {
            output: ToolOutput::ok(""),
            context: Vec::new(),
            stop: None,
        }
    }
}

/// What the permission step let through: the subject that was checked, and the input to run
/// when a `PermissionRequest` hook changed it.
struct Authorized {
    subject: Subject,
    input: Option<Value>,
    stop: Option<String>,
}

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
    ) -> ToolRun {
        let mut run = ToolRun::default();
        // The event takes the structured result (Write's holds the whole file); the loop only
        // needs what goes back to the model, `--json-schema`'s answer (which ends it), and the
        // transcript's `toolUseResult` (a copy held until the turn's results are written, only
        // when there is a transcript).
        let keep_structured = self.conversation.transcript().is_some();
        let finish = |output: ToolOutput, input: &Value, mut run: ToolRun| {
            run.output = ToolOutput {
                content: output.content.clone(),
                is_error: output.is_error,
                structured: if keep_structured
                    || name == super::structured_output::STRUCTURED_OUTPUT
                {
                    output.structured.clone()
                } else {
                    None
                },
            };
            events.emit(AgentEvent::ToolFinished {
                id: id.to_string(),
                name: name.to_string(),
                input: input.clone(),
                output,
            });
            run
        };
        if let Some(err) = malformed {
            return finish(
                ToolOutput::tool_use_error(format!("InputValidationError: {err}")),
                input,
                run,
            );
        }
        let Some(tool) = self
            .tools
            .get(name)
            .filter(|t| !self.permissions.hides_tool(t.name()))
        else {
            return finish(
                ToolOutput::tool_use_error(format!("Error: No such tool available: {name}")),
                input,
                run,
            );
        };
        if let Some(err) = invalid_input(tool.as_ref(), input) {
            return finish(err, input, run);
        }
        let pre = self
            .hooks
            .pre_tool_use(
                &ToolCallInfo {
                    tool_name: tool.name(),
                    tool_use_id: id,
                    input,
                },
                events,
                &ctx.cancel,
            )
            .await;
        run.context = pre.context;
        if let Some(reason) = pre.stop {
            let text = format!("Not run: a PreToolUse hook stopped the session. {reason}");
            run.stop = Some(reason);
            return finish(ToolOutput::error(text.trim_end()), input, run);
        }
        // A hook's input replaces the model's and is checked like it.
        let updated = pre.updated_input;
        let input = match &updated {
            Some(v) => {
                if let Some(mut err) = invalid_input(tool.as_ref(), v) {
                    err = ToolOutput::error(format!(
                        "{} (the input a PreToolUse hook gave)",
                        err.text()
                    ));
                    return finish(err, v, run);
                }
                crate::debug_log!(
                    log::HOOKS,
                    "{} {id}: input replaced by a PreToolUse hook",
                    tool.name()
                );
                v
            }
            None => input,
        };
        let authorized = match self
            .authorize(tool.as_ref(), id, input, pre.decision, ctx, events, denials)
            .await
        {
            Ok(a) => a,
            Err(refusal) => return finish(refusal, input, run),
        };
        if authorized.stop.is_some() {
            run.stop = authorized.stop;
        }
        // The host may have rewritten the input (the SDK's `updatedInput`): it must still fit.
        if let Some(v) = &authorized.input
            && let Some(err) = invalid_input(tool.as_ref(), v)
        {
            let err = ToolOutput::error(format!(
                "{} (the input the permission prompt gave)",
                err.text()
            ));
            return finish(err, v, run);
        }
        // It runs as checked (the Bash tool: in the directory and shell the engine saw); an
        // input a hook replaced is described afresh.
        let subject = match &authorized.input {
            Some(v) => tool.subject(v, ctx),
            None => authorized.subject,
        };
        let input = authorized.input.as_ref().unwrap_or(input);
        // Checkpoints for `/rewind`: what a file edit is about to change is kept first.
        if let Some(t) = self.conversation.transcript()
            && let Subject::Write(paths) = tool.subject(input, ctx)
        {
            let t = t.clone();
            let _ = tokio::task::spawn_blocking(move || t.track_edits(&paths)).await;
        }
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
        let elapsed = started.elapsed();
        crate::debug_log!(
            log::TOOLS,
            "{} {id} finished in {} ms{}",
            tool.name(),
            elapsed.as_millis(),
            if output.is_error {
                " with an error"
            } else {
                ""
            }
        );
        let text;
        let response = match &output.structured {
            Some(v) => v,
            None => {
                text = Value::String(output.text());
                &text
            }
        };
        let error_text = output.is_error.then(|| output.text());
        let post = self
            .hooks
            .post_tool_use(
                &ToolCallInfo {
                    tool_name: tool.name(),
                    tool_use_id: id,
                    input,
                },
                response,
                error_text
                    .as_deref()
                    .map(|e| (e, ctx.cancel.is_cancelled())),
                elapsed.as_millis() as u64,
                events,
                &ctx.cancel,
            )
            .await;
        run.context.extend(post.context);
        if run.stop.is_none() {
            run.stop = post.stop;
        }
        finish(output, input, run)
    }

    /// The permission decision for a valid call: the `PreToolUse` hooks' decision, the
    /// engine's rules, then a `PermissionRequest` hook or the prompter for what they leave
    /// open. `Err` carries the refusal to send back as the result.
    ///
    /// A hook's `allow` skips the question but not a deny rule; its `ask` asks even where the
    /// rules allow; its `deny` refuses.
    #[allow(clippy::too_many_arguments)]
    async fn authorize(
        &self,
        tool: &dyn Tool,
        id: &str,
        input: &Value,
        hook: Option<PreDecision>,
        ctx: &ToolContext,
        events: &Arc<dyn EventSink>,
        denials: &mut Vec<PermissionDenial>,
    ) -> Result<Authorized, ToolOutput> {
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
        let allowed = |subject: Subject| {
            Ok(Authorized {
                subject,
                input: None,
                stop: None,
            })
        };
        if let Some(PreDecision::Deny { message }) = hook {
            crate::debug_log!(
                log::PERMISSIONS,
                "{} {id}: denied by a PreToolUse hook",
                tool.name()
            );
            return Err(deny(message, denials));
        }
        let subject = tool.subject(input, ctx);
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
                    "{} {id} ({}), mode {}: {verdict}{text}{} — because: {}",
                    tool.name(),
                    describe(&subject),
                    self.permissions.mode(),
                    match &hook {
                        Some(PreDecision::Allow { .. }) => " (a PreToolUse hook allows it)",
                        Some(PreDecision::Ask { .. }) => " (a PreToolUse hook asks)",
                        _ => "",
                    },
                    decision.why(),
                ),
            );
        }
        let (reason, suggestions, why) = match (decision, hook) {
            (Decision::Deny { message, .. }, _) => return Err(deny(message, denials)),
            (Decision::Allow { why }, Some(PreDecision::Ask { reason })) => (
                reason.unwrap_or_else(|| format!("A hook asks before {} runs", tool.name())),
                Vec::new(),
                why,
            ),
            (Decision::Allow { .. }, _) => return allowed(subject),
            (Decision::Ask { .. }, Some(PreDecision::Allow { .. })) => return allowed(subject),
            (
                Decision::Ask {
                    reason,
                    suggestions,
                    why,
                },
                hook,
            ) => match hook {
                Some(PreDecision::Ask {
                    reason: Some(hook_reason),
                }) => (hook_reason, suggestions, why),
                _ => (reason, suggestions, why),
            },
        };
        let call = ToolCallInfo {
            tool_name: tool.name(),
            tool_use_id: id,
            input,
        };
        // A `PermissionRequest` hook answers the question in the user's place.
        match self
            .hooks
            .permission_request(&call, &suggestions, events, &ctx.cancel)
            .await
        {
            Some(PermissionVerdict::Allow { updated_input }) => {
                crate::debug_log!(
                    log::PERMISSIONS,
                    "{} {id}: allowed by a PermissionRequest hook",
                    tool.name()
                );
                self.permissions.approved(&subject, false);
                return Ok(Authorized {
                    subject,
                    input: updated_input,
                    stop: None,
                });
            }
            Some(PermissionVerdict::Deny { message, interrupt }) => {
                crate::debug_log!(
                    log::PERMISSIONS,
                    "{} {id}: denied by a PermissionRequest hook",
                    tool.name()
                );
                if interrupt {
                    ctx.cancel.cancel();
                }
                return Err(deny(message, denials));
            }
            None => {}
        }
        if self.hooks.interactive() {
            self.hooks.notify(
                "permission_prompt",
                &format!("Claude needs your permission to use {}", tool.name()),
                events,
            );
        }
        let request = PermissionRequest {
            tool_name: tool.name().to_string(),
            tool_use_id: id.to_string(),
            input: input.clone(),
            subject,
            reason,
            why,
            suggestions,
        };
        // An answer given together with the turn's end (the user's "No" stops the turn) is
        // recorded as given: the answer first.
        let answer = tokio::select! {
            biased;
            a = self.prompter.ask(&request) => a,
            _ = ctx.cancel.cancelled() => PromptAnswer::Deny { message: INTERRUPTED_TOOL_USE.to_string() },
        };
        crate::debug_log!(
            log::PERMISSIONS,
            "{} {id}: answered {}",
            tool.name(),
            match &answer {
                PromptAnswer::AllowOnce => "allow once",
                PromptAnswer::AllowWithInput(_) => "allow once with a new input",
                PromptAnswer::AllowAlways => "allow always",
                PromptAnswer::Deny { .. } => "deny",
            }
        );
        match answer {
            PromptAnswer::AllowOnce => {
                self.permissions.approved(&request.subject, false);
                allowed(request.subject)
            }
            PromptAnswer::AllowWithInput(new) => {
                self.permissions.approved(&request.subject, false);
                Ok(Authorized {
                    subject: request.subject,
                    input: Some(new),
                    stop: None,
                })
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
                allowed(request.subject)
            }
            PromptAnswer::Deny { message } => Err(deny(message, denials)),
        }
    }
}

/// The schema check of an input; `Some` is the error result.
fn invalid_input(tool: &dyn Tool, input: &Value) -> Option<ToolOutput> {
    let problems = schema::validate(&tool.input_schema(), input);
    if problems.is_empty() {
        return None;
    }
    Some(ToolOutput::tool_use_error(format!(
        "InputValidationError: {} failed due to the following issue{}:\n{}",
        tool.name(),
        if problems.len() == 1 { "" } else { "s" },
        problems.join("\n")
    )))
}
