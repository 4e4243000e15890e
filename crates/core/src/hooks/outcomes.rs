//! Each event: the input its hooks get and what their answers decide. The texts that reach the
//! model are Claude Code 2.1.197's (observed against a mock), so prompts and hook scripts
//! written for it read the same.

use super::reply::{Reply, Verdict};
use super::{HookEvent, Hooks};
use crate::cancel::CancelToken;
use crate::events::EventSink;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// Context a hook adds is cut here (Claude Code 2.1's cap on hook output).
const MAX_CONTEXT_CHARS: usize = 10_000;

/// Text for the model from a hook, wrapped the way Claude Code wraps it.
pub fn reminder(text: &str) -> String {
    format!("<system-reminder>\n{text}\n</system-reminder>")
}

fn capped(s: &str) -> String {
    match s.char_indices().nth(MAX_CONTEXT_CHARS) {
        Some((i, _)) => format!("{}… [hook output truncated]", &s[..i]),
        None => s.to_string(),
    }
}

/// The tool call a tool event is about.
#[derive(Clone, Copy, Debug)]
pub struct ToolCallInfo<'a> {
    pub tool_name: &'a str,
    pub tool_use_id: &'a str,
    pub input: &'a Value,
}

impl ToolCallInfo<'_> {
    fn fields(&self, m: &mut Map<String, Value>) {
        m.insert("tool_name".into(), self.tool_name.into());
        m.insert("tool_input".into(), self.input.clone());
    }
}

/// A `PreToolUse` decision about the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PreDecision {
    /// Skip the question (permission rules that deny or ask still apply).
    Allow { reason: Option<String> },
    /// Ask the user even if the rules would allow it; `reason` is shown in the question.
    Ask { reason: Option<String> },
    /// Refuse; `message` is the tool_result the model gets.
    Deny { message: String },
}

/// What `PreToolUse` hooks decided.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PreToolUse {
    pub decision: Option<PreDecision>,
    /// The input to run instead (replaces the whole input).
    pub updated_input: Option<Value>,
    /// Texts for the model, after the results of this turn's calls.
    pub context: Vec<String>,
    /// `continue: false`: stop the session after this call, with this reason.
    pub stop: Option<String>,
}

/// What `PostToolUse` (or `PostToolUseFailure`) hooks decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostToolUse {
    pub context: Vec<String>,
    pub stop: Option<String>,
}

/// What `UserPromptSubmit` hooks decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PromptCheck {
    /// The prompt is dropped; this is why (for the user).
    pub blocked: Option<String>,
    /// Texts for the model, after the prompt.
    pub context: Vec<String>,
    pub stop: Option<String>,
}

/// What `Stop` (or `SubagentStop`) hooks decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StopCheck {
    /// Keep going: the model gets this feedback as a new user message.
    pub block: Option<String>,
    pub stop: Option<String>,
}

/// What a `PermissionRequest` hook answered for the question the user would get.
#[derive(Clone, Debug, PartialEq)]
pub enum PermissionVerdict {
    Allow { updated_input: Option<Value> },
    Deny { message: String, interrupt: bool },
}

/// `SessionStart`'s `source`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartSource {
    Startup,
    Resume,
    Clear,
    Compact,
}

impl StartSource {
    pub fn as_str(self) -> &'static str {
        match self {
            StartSource::Startup => "startup",
            StartSource::Resume => "resume",
            StartSource::Clear => "clear",
            StartSource::Compact => "compact",
        }
    }
}

/// `SessionEnd`'s `reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndReason {
    Clear,
    Logout,
    /// The user left the prompt (`/exit`, Ctrl-D).
    PromptInputExit,
    Other,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Clear => "clear",
            EndReason::Logout => "logout",
            EndReason::PromptInputExit => "prompt_input_exit",
            EndReason::Other => "other",
        }
    }
}

/// `PreCompact`'s `trigger`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactTrigger {
    Manual,
    Auto,
}

impl CompactTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            CompactTrigger::Manual => "manual",
            CompactTrigger::Auto => "auto",
        }
    }
}

/// `continue: false` of any reply (the first one's reason).
fn stop_of(replies: &[Reply]) -> Option<String> {
    replies.iter().find_map(Reply::stop)
}

/// `permission_suggestions` as Claude Code sends them, from ccrs's rule strings.
fn suggestion_objects(rules: &[String]) -> Value {
    let rules: Vec<Value> = rules
        .iter()
        .map(|r| match r.split_once('(') {
            Some((tool, rest)) => json!({
                "toolName": tool,
                "ruleContent": rest.strip_suffix(')').unwrap_or(rest),
            }),
            None => json!({"toolName": r}),
        })
        .collect();
    if rules.is_empty() {
        return json!([]);
    }
    json!([{"type": "addRules", "rules": rules, "behavior": "allow", "destination": "localSettings"}])
}

impl Hooks {
    /// Before the permission decision of a valid call.
    pub async fn pre_tool_use(
        &self,
        call: &ToolCallInfo<'_>,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> PreToolUse {
        let hooks = self.matching(HookEvent::PreToolUse, Some(call.tool_name));
        if hooks.is_empty() {
            return PreToolUse::default();
        }
        let name = format!("PreToolUse:{}", call.tool_name);
        let mut input = self.input(HookEvent::PreToolUse, true);
        call.fields(&mut input);
        input.insert("tool_use_id".into(), call.tool_use_id.into());
        let replies = self
            .run_all(hooks, &name, input, Some(call.tool_use_id), events, cancel)
            .await;
        let mut out = PreToolUse {
            stop: stop_of(&replies),
            ..Default::default()
        };
        let (mut denies, mut ask, mut allow) = (Vec::new(), None, None);
        for r in &replies {
            match r.verdict {
                Verdict::Blocking => {
                    denies.push(format!("{name} hook error: {}", r.blocking_message()));
                    continue;
                }
                Verdict::Success => {}
                _ => continue,
            }
            let reason = r
                .specific_str("permissionDecisionReason")
                .or_else(|| r.reason())
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string);
            // `hookSpecificOutput.permissionDecision`, or the deprecated top-level decision.
            let decision = r
                .specific_str("permissionDecision")
                .or_else(|| match r.decision() {
                    Some("approve") => Some("allow"),
                    Some("block") => Some("deny"),
                    _ => None,
                });
            match decision {
                Some("deny") => denies
                    .push(reason.unwrap_or_else(|| format!("{name} hook denied this tool call"))),
                Some("ask") => ask = Some(reason),
                Some("allow") => allow = Some(reason),
                _ => {}
            }
            if decision != Some("deny")
                && let Some(v @ Value::Object(_)) = r.specific("updatedInput")
            {
                out.updated_input = Some(v.clone());
            }
            if let Some(c) = r.additional_context() {
                out.context
                    .push(format!("{name} hook additional context: {}", capped(c)));
            }
        }
        // Precedence across hooks: deny, then ask, then allow.
        out.decision = if !denies.is_empty() {
            Some(PreDecision::Deny {
                message: denies.join("\n"),
            })
        } else if let Some(reason) = ask {
            Some(PreDecision::Ask { reason })
        } else {
            allow.map(|reason| PreDecision::Allow { reason })
        };
        out
    }

    /// After a call ran: `PostToolUse` when it succeeded, `PostToolUseFailure` when its
    /// result is an error (`error` is that result's text).
    #[allow(clippy::too_many_arguments)]
    pub async fn post_tool_use(
        &self,
        call: &ToolCallInfo<'_>,
        response: &Value,
        failure: Option<(&str, bool)>,
        duration_ms: u64,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> PostToolUse {
        let event = match failure {
            None => HookEvent::PostToolUse,
            Some(_) => HookEvent::PostToolUseFailure,
        };
        let hooks = self.matching(event, Some(call.tool_name));
        if hooks.is_empty() {
            return PostToolUse::default();
        }
        let name = format!("{event}:{}", call.tool_name);
        let mut input = self.input(event, true);
        call.fields(&mut input);
        match failure {
            None => {
                input.insert("tool_response".into(), response.clone());
                input.insert("tool_use_id".into(), call.tool_use_id.into());
            }
            Some((error, is_interrupt)) => {
                input.insert("tool_use_id".into(), call.tool_use_id.into());
                input.insert("error".into(), error.into());
                input.insert("is_interrupt".into(), is_interrupt.into());
            }
        }
        input.insert("duration_ms".into(), duration_ms.into());
        let replies = self
            .run_all(hooks, &name, input, Some(call.tool_use_id), events, cancel)
            .await;
        let mut out = PostToolUse {
            stop: stop_of(&replies),
            ..Default::default()
        };
        for r in &replies {
            let blocking = |why: &str| {
                format!(
                    "{name} hook blocking error from command: \"{}\": {}",
                    r.name,
                    capped(why)
                )
            };
            match r.verdict {
                Verdict::Blocking => out.context.push(blocking(&r.blocking_message())),
                Verdict::Success => {
                    if r.decision() == Some("block") {
                        out.context.push(blocking(r.reason().unwrap_or("")));
                    }
                    if let Some(c) = r.additional_context() {
                        out.context
                            .push(format!("{name} hook additional context: {}", capped(c)));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// When the rules leave a call open and the user would be asked: a hook may answer
    /// instead.
    pub async fn permission_request(
        &self,
        call: &ToolCallInfo<'_>,
        suggestions: &[String],
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> Option<PermissionVerdict> {
        let hooks = self.matching(HookEvent::PermissionRequest, Some(call.tool_name));
        if hooks.is_empty() {
            return None;
        }
        let name = format!("PermissionRequest:{}", call.tool_name);
        let mut input = self.input(HookEvent::PermissionRequest, true);
        call.fields(&mut input);
        input.insert(
            "permission_suggestions".into(),
            suggestion_objects(suggestions),
        );
        let replies = self
            .run_all(hooks, &name, input, Some(call.tool_use_id), events, cancel)
            .await;
        let mut allow = None;
        for r in replies.iter().filter(|r| r.verdict == Verdict::Success) {
            let Some(d) = r.specific("decision") else {
                continue;
            };
            match d.get("behavior").and_then(Value::as_str) {
                // A denial anywhere wins.
                Some("deny") => {
                    return Some(PermissionVerdict::Deny {
                        message: d
                            .get("message")
                            .and_then(Value::as_str)
                            .filter(|m| !m.trim().is_empty())
                            .map_or_else(
                                || format!("{name} hook denied this tool call"),
                                str::to_string,
                            ),
                        interrupt: d.get("interrupt").and_then(Value::as_bool).unwrap_or(false),
                    });
                }
                Some("allow") => {
                    allow = Some(PermissionVerdict::Allow {
                        updated_input: d.get("updatedInput").filter(|v| v.is_object()).cloned(),
                    })
                }
                _ => {}
            }
        }
        allow
    }

    /// Before a prompt is sent.
    pub async fn user_prompt_submit(
        &self,
        prompt: &str,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> PromptCheck {
        let hooks = self.matching(HookEvent::UserPromptSubmit, None);
        if hooks.is_empty() {
            return PromptCheck::default();
        }
        let mut input = self.input(HookEvent::UserPromptSubmit, true);
        input.insert("prompt".into(), prompt.into());
        let replies = self
            .run_all(hooks, "UserPromptSubmit", input, None, events, cancel)
            .await;
        let mut out = PromptCheck {
            stop: stop_of(&replies),
            ..Default::default()
        };
        let mut blocked = Vec::new();
        for r in &replies {
            match r.verdict {
                Verdict::Blocking => blocked.push(r.blocking_message()),
                Verdict::Success => {
                    if r.decision() == Some("block") {
                        blocked.push(r.reason().unwrap_or("").to_string());
                    }
                    if let Some(c) = r.additional_context() {
                        out.context.push(format!(
                            "UserPromptSubmit hook additional context: {}",
                            capped(c)
                        ));
                    } else if let Some(s) = r.plain_stdout() {
                        out.context
                            .push(format!("UserPromptSubmit hook success: {}", capped(s)));
                    }
                }
                _ => {}
            }
        }
        if !blocked.is_empty() {
            out.blocked = Some(format!(
                "UserPromptSubmit operation blocked by hook:\n{}\n\nOriginal prompt: {prompt}",
                blocked.join("\n")
            ));
        }
        out
    }

    /// When the model is done: `Stop` (in a subagent view, `SubagentStop`). `active` is true
    /// while the loop continues because a stop hook blocked.
    pub async fn stop(
        &self,
        active: bool,
        last_assistant_message: &str,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> StopCheck {
        let (event, target) = match &self.subagent {
            None => (HookEvent::Stop, None),
            Some(a) => (HookEvent::SubagentStop, Some(a.agent_type.as_str())),
        };
        let hooks = self.matching(event, target);
        if hooks.is_empty() {
            return StopCheck::default();
        }
        let mut input = self.input(event, true);
        input.insert("stop_hook_active".into(), active.into());
        if let Some(a) = &self.subagent
            && let Some(p) = &a.transcript_path
        {
            input.insert(
                "agent_transcript_path".into(),
                p.display().to_string().into(),
            );
        }
        input.insert(
            "last_assistant_message".into(),
            last_assistant_message.into(),
        );
        let name = match target {
            Some(t) => format!("{event}:{t}"),
            None => event.to_string(),
        };
        let replies = self
            .run_all(hooks, &name, input, None, events, cancel)
            .await;
        let mut feedback = Vec::new();
        for r in &replies {
            match r.verdict {
                Verdict::Blocking => feedback.push(r.blocking_message()),
                Verdict::Success if r.decision() == Some("block") => {
                    feedback.push(r.reason().unwrap_or("").to_string())
                }
                _ => {}
            }
        }
        StopCheck {
            block: (!feedback.is_empty()).then(|| capped(&feedback.join("\n"))),
            stop: stop_of(&replies),
        }
    }

    /// When a subagent starts (on its view, [`Hooks::for_subagent`]): context for it.
    pub async fn subagent_start(
        &self,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> Vec<String> {
        let target = self.subagent.as_ref().map(|a| a.agent_type.clone());
        let hooks = self.matching(HookEvent::SubagentStart, target.as_deref());
        if hooks.is_empty() {
            return Vec::new();
        }
        let input = self.input(HookEvent::SubagentStart, false);
        let name = match &target {
            Some(t) => format!("SubagentStart:{t}"),
            None => "SubagentStart".to_string(),
        };
        let replies = self
            .run_all(hooks, &name, input, None, events, cancel)
            .await;
        replies
            .iter()
            .filter_map(Reply::additional_context)
            .map(|c| format!("SubagentStart hook additional context: {}", capped(c)))
            .collect()
    }

    /// When the session starts (or restarts after `/clear`, a resume, a compaction): context
    /// for the first prompt.
    pub async fn session_start(
        &self,
        source: StartSource,
        model: &str,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> Vec<String> {
        let hooks = self.matching(HookEvent::SessionStart, Some(source.as_str()));
        if hooks.is_empty() {
            return Vec::new();
        }
        let mut input = self.input(HookEvent::SessionStart, false);
        input.insert("source".into(), source.as_str().into());
        input.insert("model".into(), model.into());
        let name = format!("SessionStart:{}", source.as_str());
        let replies = self
            .run_all(hooks, &name, input, None, events, cancel)
            .await;
        let mut out = Vec::new();
        for r in &replies {
            if let Some(c) = r.additional_context() {
                out.push(format!(
                    "SessionStart hook additional context: {}",
                    capped(c)
                ));
            } else if let Some(s) = r.plain_stdout() {
                out.push(format!("{name} hook success: {}", capped(s)));
            }
        }
        out
    }

    /// When the session ends.
    pub async fn session_end(
        &self,
        reason: EndReason,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) {
        let hooks = self.matching(HookEvent::SessionEnd, Some(reason.as_str()));
        if hooks.is_empty() {
            return;
        }
        let mut input = self.input(HookEvent::SessionEnd, false);
        input.insert("reason".into(), reason.as_str().into());
        let name = format!("SessionEnd:{}", reason.as_str());
        self.run_all(hooks, &name, input, None, events, cancel)
            .await;
    }

    /// Before a compaction. `Some(why)`: a hook blocked it (exit 2 or `decision: "block"`).
    pub async fn pre_compact(
        &self,
        trigger: CompactTrigger,
        custom_instructions: &str,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) -> Option<String> {
        let hooks = self.matching(HookEvent::PreCompact, Some(trigger.as_str()));
        if hooks.is_empty() {
            return None;
        }
        let mut input = self.input(HookEvent::PreCompact, true);
        input.insert("trigger".into(), trigger.as_str().into());
        input.insert("custom_instructions".into(), custom_instructions.into());
        let name = format!("PreCompact:{}", trigger.as_str());
        let replies = self
            .run_all(hooks, &name, input, None, events, cancel)
            .await;
        let blocked: Vec<String> = replies
            .iter()
            .filter_map(|r| match r.verdict {
                Verdict::Blocking => Some(r.stderr.trim().to_string()),
                Verdict::Success if r.decision() == Some("block") => {
                    Some(r.reason().unwrap_or("").to_string())
                }
                _ => None,
            })
            .collect();
        (!blocked.is_empty()).then(|| blocked.join("\n"))
    }

    /// After a compaction, with its summary.
    pub async fn post_compact(
        &self,
        trigger: CompactTrigger,
        summary: &str,
        events: &Arc<dyn EventSink>,
        cancel: &CancelToken,
    ) {
        let hooks = self.matching(HookEvent::PostCompact, Some(trigger.as_str()));
        if hooks.is_empty() {
            return;
        }
        let mut input = self.input(HookEvent::PostCompact, true);
        input.insert("trigger".into(), trigger.as_str().into());
        input.insert("compact_summary".into(), summary.into());
        let name = format!("PostCompact:{}", trigger.as_str());
        self.run_all(hooks, &name, input, None, events, cancel)
            .await;
    }

    /// A notification for the user (`permission_prompt`, `idle_prompt`, ...). Runs in the
    /// background: nothing waits for it.
    pub fn notify(&self, kind: &str, message: &str, events: &Arc<dyn EventSink>) {
        let hooks = self.matching(HookEvent::Notification, Some(kind));
        if hooks.is_empty() {
            return;
        }
        let mut input = self.input(HookEvent::Notification, false);
        input.insert("message".into(), message.into());
        input.insert("notification_type".into(), kind.into());
        let this = self.clone();
        let events = events.clone();
        let name = format!("Notification:{kind}");
        tokio::spawn(async move {
            this.run_all(hooks, &name, input, None, &events, &CancelToken::new())
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_become_rule_objects() {
        let v = suggestion_objects(&["Bash(npm test:*)".into(), "WebSearch".into()]);
        assert_eq!(
            v,
            json!([{"type": "addRules", "rules": [
                {"toolName": "Bash", "ruleContent": "npm test:*"},
                {"toolName": "WebSearch"}
            ], "behavior": "allow", "destination": "localSettings"}])
        );
        assert_eq!(suggestion_objects(&[]), json!([]));
    }

    #[test]
    fn context_is_capped() {
        let long = "x".repeat(MAX_CONTEXT_CHARS + 5);
        let c = capped(&long);
        assert!(c.ends_with("[hook output truncated]"));
        assert_eq!(capped("short"), "short");
        assert_eq!(reminder("a"), "<system-reminder>\na\n</system-reminder>");
    }
}
