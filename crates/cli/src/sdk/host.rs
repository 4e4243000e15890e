//! Requests ccrs sends to the SDK host (`can_use_tool`, `mcp_message`, …) and their answers.
//!
//! Each request gets a fresh UUID as `request_id`; the reader thread hands the matching
//! `control_response` to the waiting request. A request whose waiter goes away (the turn was
//! interrupted) is withdrawn with `control_cancel_request`, as Claude Code does. Once stdin is
//! closed every request fails at once with "Stream closed" (the SDK's wording).

use crate::output;
use ccrs_core::BoxFuture;
use ccrs_core::permissions::{PermissionPrompter, PermissionRequest, PromptAnswer};
use ccrs_core::session::SessionControl;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Reply = Result<Value, String>;

/// The host end of the control protocol, shared by everything that asks it something.
#[derive(Default)]
pub struct Host {
    pending: Mutex<HashMap<String, oneshot::Sender<Reply>>>,
    closed: AtomicBool,
}

/// Withdraws a request whose answer nobody waits for any more.
struct Withdraw<'a> {
    host: &'a Host,
    id: String,
    done: bool,
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let was_pending = self
            .host
            .pending
            .lock()
            .is_ok_and(|mut p| p.remove(&self.id).is_some());
        if was_pending && !self.host.is_closed() {
            output::json_line(&json!({"type": "control_cancel_request", "request_id": self.id}));
        }
    }
}

impl Host {
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Sends `request` (an object with `subtype`) and waits for the host's answer payload.
    pub async fn request(&self, request: Value) -> Reply {
        if self.is_closed() {
            return Err("Stream closed".into());
        }
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pending.lock() {
            p.insert(id.clone(), tx);
        }
        let mut guard = Withdraw {
            host: self,
            id: id.clone(),
            done: false,
        };
        output::json_line(&json!({
            "type": "control_request",
            "request_id": id,
            "request": request,
        }));
        let reply = rx.await.unwrap_or_else(|_| Err("Stream closed".into()));
        guard.done = true;
        reply
    }

    /// Hands a `control_response` to its request; false when none waits for it.
    pub fn resolve(&self, response: &Value) -> bool {
        let Some(id) = response.get("request_id").and_then(Value::as_str) else {
            return false;
        };
        let Some(tx) = self.pending.lock().ok().and_then(|mut p| p.remove(id)) else {
            return false;
        };
        let reply = match response.get("subtype").and_then(Value::as_str) {
            Some("success") => Ok(response.get("response").cloned().unwrap_or(json!({}))),
            _ => Err(response
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("the host answered with an error")
                .to_string()),
        };
        let _ = tx.send(reply);
        true
    }

    /// stdin closed: nothing can answer any more.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        if let Ok(mut p) = self.pending.lock() {
            p.clear();
        }
    }
}

/// `--permission-prompt-tool stdio`: the host's `canUseTool` callback answers.
pub struct SdkPrompter {
    pub host: Arc<Host>,
    pub control: SessionControl,
    /// `updatedPermissions` is not applied yet: said once.
    pub warned_updates: AtomicBool,
}

/// ccrs's rule suggestions (`Bash(npm test)`) as the SDK's `PermissionUpdate`s: file-path
/// rules last for the session, the others go to `.claude/settings.local.json` (as ccrs's own
/// prompt keeps them).
fn suggestions(rules: &[String]) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for r in rules {
        let rule = match r.split_once('(') {
            Some((tool, rest)) if rest.ends_with(')') => {
                json!({"toolName": tool, "ruleContent": &rest[..rest.len() - 1]})
            }
            _ => json!({"toolName": r}),
        };
        let file = matches!(rule["toolName"].as_str(), Some("Edit" | "Read" | "Write"));
        let destination = if file { "session" } else { "localSettings" };
        match out
            .iter_mut()
            .find(|u| u["destination"] == json!(destination))
        {
            Some(u) => {
                if let Some(list) = u["rules"].as_array_mut() {
                    list.push(rule);
                }
            }
            None => out.push(json!({"type": "addRules", "rules": [rule], "behavior": "allow", "destination": destination})),
        }
    }
    Value::Array(out)
}

/// The host's answer to `can_use_tool` as ccrs's; `interrupt` asks to end the turn.
pub fn answer(request: &PermissionRequest, reply: Reply) -> (PromptAnswer, bool, bool) {
    let v = match reply {
        Ok(v) => v,
        Err(e) => {
            return (
                PromptAnswer::Deny {
                    message: format!("Tool permission request failed: {e}"),
                },
                false,
                false,
            );
        }
    };
    match v.get("behavior").and_then(Value::as_str) {
        Some("allow") => {
            let updates = v.get("updatedPermissions").is_some_and(|u| !u.is_null());
            let answer = match v.get("updatedInput") {
                Some(new) if new.is_object() && *new != request.input => {
                    PromptAnswer::AllowWithInput(new.clone())
                }
                _ => PromptAnswer::AllowOnce,
            };
            (answer, false, updates)
        }
        Some("deny") => {
            let message = v
                .get("message")
                .and_then(Value::as_str)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| ccrs_core::permissions::user_rejected_message(None));
            let interrupt = v.get("interrupt").and_then(Value::as_bool) == Some(true);
            (PromptAnswer::Deny { message }, interrupt, false)
        }
        _ => (
            PromptAnswer::Deny {
                message: format!("Tool permission request failed: unexpected answer {v}"),
            },
            false,
            false,
        ),
    }
}

impl PermissionPrompter for SdkPrompter {
    fn ask<'a>(&'a self, request: &'a PermissionRequest) -> BoxFuture<'a, PromptAnswer> {
        Box::pin(async move {
            let reply = self
                .host
                .request(json!({
                    "subtype": "can_use_tool",
                    "tool_name": request.tool_name,
                    "input": request.input,
                    "permission_suggestions": suggestions(&request.suggestions),
                    "blocked_path": null,
                    "tool_use_id": request.tool_use_id,
                    "decision_reason": request.reason,
                }))
                .await;
            let (answer, interrupt, updates) = answer(request, reply);
            if updates && !self.warned_updates.swap(true, Ordering::Relaxed) {
                eprintln!(
                    "ccrs: warning: can_use_tool's updatedPermissions is not supported by this version of ccrs yet; the call is allowed once"
                );
            }
            if interrupt {
                self.control.interrupt();
            }
            answer
        })
    }
}

/// A hook the SDK host registered in `initialize`: the engine calls it like a command hook and
/// the host answers `hook_callback` with the hook's JSON output.
pub struct SdkHook {
    pub host: Arc<Host>,
    pub callback_id: String,
}

impl ccrs_core::hooks::HookCallback for SdkHook {
    fn call(
        &self,
        input: Value,
        tool_use_id: Option<String>,
    ) -> BoxFuture<'_, Result<Value, String>> {
        Box::pin(async move {
            self.host
                .request(json!({
                    "subtype": "hook_callback",
                    "callback_id": self.callback_id,
                    "input": input,
                    "tool_use_id": tool_use_id,
                }))
                .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ccrs_core::tools::Subject;

    fn req() -> PermissionRequest {
        PermissionRequest {
            tool_name: "Bash".into(),
            tool_use_id: "toolu_1".into(),
            input: json!({"command": "ls"}),
            subject: Subject::Other,
            reason: String::new(),
            why: Default::default(),
            suggestions: vec!["Bash(ls)".into()],
        }
    }

    #[test]
    fn answers_map_to_prompt_answers() {
        let r = req();
        let same = answer(
            &r,
            Ok(json!({"behavior": "allow", "updatedInput": {"command": "ls"}})),
        );
        assert_eq!(same.0, PromptAnswer::AllowOnce);
        let changed = answer(
            &r,
            Ok(json!({"behavior": "allow", "updatedInput": {"command": "ls -a"}})),
        );
        assert_eq!(
            changed.0,
            PromptAnswer::AllowWithInput(json!({"command": "ls -a"}))
        );
        let deny = answer(
            &r,
            Ok(json!({"behavior": "deny", "message": "no", "interrupt": true})),
        );
        assert_eq!(
            deny.0,
            PromptAnswer::Deny {
                message: "no".into()
            }
        );
        assert!(deny.1);
        let failed = answer(&r, Err("Stream closed".into()));
        assert!(
            matches!(failed.0, PromptAnswer::Deny { message } if message.contains("Stream closed"))
        );
        assert!(matches!(
            answer(&r, Ok(json!({}))).0,
            PromptAnswer::Deny { .. }
        ));
    }

    #[test]
    fn suggestions_become_permission_updates() {
        assert_eq!(
            suggestions(&[
                "Bash(npm test)".into(),
                "Edit(//p/**)".into(),
                "WebSearch".into()
            ]),
            json!([
                {"type": "addRules", "rules": [{"toolName": "Bash", "ruleContent": "npm test"}, {"toolName": "WebSearch"}], "behavior": "allow", "destination": "localSettings"},
                {"type": "addRules", "rules": [{"toolName": "Edit", "ruleContent": "//p/**"}], "behavior": "allow", "destination": "session"}
            ])
        );
        assert_eq!(suggestions(&[]), json!([]));
    }
}
