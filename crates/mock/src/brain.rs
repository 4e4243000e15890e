//! The demo "brain" of `ccrs-mock` without a scenario: enough of a model to try ccrs offline and
//! to benchmark it. `run <command>` asks for a Bash call, a tool result is echoed back, anything
//! else gets a friendly canned answer.

use crate::scenario::Reply;
use serde_json::{Value, json};

/// Text of a tool_result's `content` (a string or text blocks).
fn result_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(blocks)) => blocks
            .iter()
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The prompt text of a user message: its last text block that is not an injected reminder.
fn prompt_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .rev()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .find(|t| !t.trim_start().starts_with("<system-reminder>"))
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

/// The reply to a request body.
pub fn answer(request: Option<&Value>) -> Reply {
    let last_user = request
        .and_then(|r| r.get("messages"))
        .and_then(Value::as_array)
        .and_then(|m| {
            m.iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        })
        .and_then(|m| m.get("content"));
    let Some(content) = last_user else {
        return Reply::text(
            "This is ccrs-mock, a scripted stand-in for the Anthropic API. You said nothing.",
        );
    };
    let tool_result = content.as_array().and_then(|blocks| {
        blocks
            .iter()
            .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
    });
    if let Some(tr) = tool_result {
        return Reply::text(format!(
            "The command printed: {}",
            result_text(tr.get("content"))
        ));
    }
    let text = prompt_text(content);
    if let Some(cmd) = text.trim_start().strip_prefix("run ") {
        return Reply::tool_use("Bash", json!({"command": cmd.trim()}));
    }
    Reply::text(format!(
        "This is ccrs-mock, a scripted stand-in for the Anthropic API. You said: {text}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(content: Value) -> Value {
        json!({"model": "m", "messages": [{"role": "user", "content": content}]})
    }

    #[test]
    fn run_prefix_asks_for_bash() {
        let r = answer(Some(&req(json!([
            {"type": "text", "text": "<system-reminder>ctx</system-reminder>"},
            {"type": "text", "text": "run echo hello"}
        ]))));
        assert_eq!(r, Reply::tool_use("Bash", json!({"command": "echo hello"})));
    }

    #[test]
    fn tool_results_are_echoed_and_other_text_answered() {
        let r = answer(Some(&req(json!([
            {"type": "tool_result", "tool_use_id": "t", "content": "hello"}
        ]))));
        assert_eq!(r, Reply::text("The command printed: hello"));
        let r = answer(Some(&req(json!("say hi"))));
        assert_eq!(
            r,
            Reply::text(
                "This is ccrs-mock, a scripted stand-in for the Anthropic API. You said: say hi"
            )
        );
        assert!(matches!(
            answer(None).kind,
            crate::scenario::ReplyKind::Message(_)
        ));
    }
}
