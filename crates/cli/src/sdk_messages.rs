//! The JSON messages of `--output-format json|stream-json`, shaped like Claude Code 2.1's
//! (field names and order as captured in `claude-code-wire.md` §9).

use ccrs_core::events::ToolOutput;
use ccrs_core::message::{ContentBlock, Usage};
use ccrs_core::session::{Outcome, QueryResult};
use serde_json::{Map, Value, json};

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Facts for the `system/init` message.
pub struct InitInfo<'a> {
    pub cwd: &'a str,
    pub session_id: &'a str,
    pub tools: Vec<String>,
    pub model: &'a str,
    pub permission_mode: &'a str,
    pub api_key_source: &'a str,
    pub slash_commands: Vec<String>,
    pub skills: Vec<String>,
    /// `[{"name", "status"}]`.
    pub mcp_servers: Vec<Value>,
}

pub fn init(i: &InitInfo) -> Value {
    json!({
        "type": "system",
        "subtype": "init",
        "cwd": i.cwd,
        "session_id": i.session_id,
        "tools": i.tools,
        "mcp_servers": i.mcp_servers,
        "model": i.model,
        "permissionMode": i.permission_mode,
        "slash_commands": i.slash_commands,
        "apiKeySource": i.api_key_source,
        "claude_code_version": ccrs_core::CLAUDE_CODE_COMPAT_VERSION,
        "ccrs_version": ccrs_core::VERSION,
        "output_style": "default",
        "agents": [],
        "skills": i.skills,
        "plugins": [],
        "uuid": uuid(),
        "fast_mode_state": "off",
    })
}

/// One `assistant` line per completed content block, as Claude Code emits them (the usage is
/// the `message_start` usage; the final usage is in `result`).
pub fn assistant(
    session_id: &str,
    parent_tool_use_id: Option<&str>,
    message_id: &str,
    model: &str,
    block: &ContentBlock,
    usage: &Usage,
    request_id: Option<&str>,
) -> Value {
    json!({
        "type": "assistant",
        "message": {
            "id": message_id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": usage,
            "context_management": null,
        },
        "parent_tool_use_id": parent_tool_use_id,
        "session_id": session_id,
        "uuid": uuid(),
        "request_id": request_id,
    })
}

/// A `user` line carrying one tool result, with the tool's structured output.
pub fn tool_result(
    session_id: &str,
    parent_tool_use_id: Option<&str>,
    tool_use_id: &str,
    output: &ToolOutput,
) -> Value {
    let block = ContentBlock::ToolResult {
        tool_use_id: tool_use_id.to_string(),
        content: output.content.clone(),
        is_error: output.is_error,
    };
    let tool_use_result = if output.is_error {
        Value::String(format!("Error: {}", output.text()))
    } else {
        output
            .structured
            .clone()
            .unwrap_or_else(|| Value::String(output.text()))
    };
    json!({
        "type": "user",
        "message": {"role": "user", "content": [block]},
        "parent_tool_use_id": parent_tool_use_id,
        "session_id": session_id,
        "uuid": uuid(),
        "timestamp": ccrs_core::timeutil::now_iso(),
        "tool_use_result": tool_use_result,
    })
}

pub fn stream_event(session_id: &str, parent_tool_use_id: Option<&str>, event: &Value) -> Value {
    json!({
        "type": "stream_event",
        "event": event,
        "session_id": session_id,
        "parent_tool_use_id": parent_tool_use_id,
        "uuid": uuid(),
    })
}

/// Claude Code's `system/api_retry` (`error` is its category), plus what ccrs adds for people
/// and for hosts that render partial output: `error_message`, `discarded_output`.
/// `system/hook_started` (Claude Code 2.1.197's shape).
pub fn hook_started(session_id: &str, hook_id: &str, hook_name: &str, event: &str) -> Value {
    json!({
        "type": "system",
        "subtype": "hook_started",
        "hook_id": hook_id,
        "hook_name": hook_name,
        "hook_event": event,
        "uuid": uuid(),
        "session_id": session_id,
    })
}

/// `system/hook_response`: `output` is stdout then stderr, as Claude Code joins them.
pub fn hook_response(session_id: &str, r: &ccrs_core::events::HookRun) -> Value {
    json!({
        "type": "system",
        "subtype": "hook_response",
        "hook_id": r.hook_id,
        "hook_name": r.hook_name,
        "hook_event": r.event,
        "output": format!("{}{}", r.stdout, r.stderr),
        "stdout": r.stdout,
        "stderr": r.stderr,
        "exit_code": r.exit_code,
        "outcome": r.outcome,
        "uuid": uuid(),
        "session_id": session_id,
    })
}

pub fn api_retry(session_id: &str, n: &ccrs_core::api::RetryNotice) -> Value {
    json!({
        "type": "system",
        "subtype": "api_retry",
        "attempt": n.attempt,
        "max_retries": n.max_retries,
        "retry_delay_ms": n.delay_ms,
        "error_status": n.status,
        "error": n.category,
        "error_message": n.message,
        "discarded_output": n.discarded_output,
        "session_id": session_id,
        "uuid": uuid(),
    })
}

fn usage_json(u: &Usage) -> Value {
    let stu = u.server_tool_use.clone().unwrap_or_default();
    let cc = u.cache_creation.clone().unwrap_or_default();
    json!({
        "input_tokens": u.input_tokens,
        "cache_creation_input_tokens": u.cache_creation_input_tokens,
        "cache_read_input_tokens": u.cache_read_input_tokens,
        "output_tokens": u.output_tokens,
        "server_tool_use": {"web_search_requests": stu.web_search_requests, "web_fetch_requests": stu.web_fetch_requests},
        "service_tier": u.service_tier.clone().unwrap_or_else(|| "standard".to_string()),
        "cache_creation": {"ephemeral_1h_input_tokens": cc.ephemeral_1h_input_tokens, "ephemeral_5m_input_tokens": cc.ephemeral_5m_input_tokens},
    })
}

/// The `result` message, and whether it is an error (the process exits 1 exactly then).
pub fn result(
    res: &QueryResult,
    session_id: &str,
    max_turns: Option<u32>,
    max_budget: Option<f64>,
) -> (Value, bool) {
    let (subtype, is_error, errors, terminal_reason, api_status): (
        &str,
        bool,
        Vec<String>,
        &str,
        Option<u16>,
    ) = match &res.outcome {
        Outcome::Completed => ("success", false, vec![], "completed", None),
        Outcome::HookStopped { .. } => ("success", false, vec![], "hook_stopped", None),
        Outcome::MaxTurns => (
            "error_max_turns",
            true,
            vec![format!(
                "Reached maximum number of turns ({})",
                max_turns.unwrap_or(res.num_turns)
            )],
            "max_turns",
            None,
        ),
        Outcome::MaxBudget => (
            "error_max_budget_usd",
            true,
            vec![format!(
                "Reached maximum budget (${})",
                max_budget.unwrap_or(0.0)
            )],
            "max_budget",
            None,
        ),
        Outcome::Cancelled => (
            "error_during_execution",
            true,
            vec!["Interrupted by user".to_string()],
            "aborted_streaming",
            None,
        ),
        Outcome::Failed(e) => (
            "error_during_execution",
            true,
            vec![e.to_string()],
            "error",
            e.status(),
        ),
    };
    let mut m = Map::new();
    m.insert("type".into(), json!("result"));
    m.insert("subtype".into(), json!(subtype));
    m.insert("is_error".into(), json!(is_error));
    m.insert("api_error_status".into(), json!(api_status));
    m.insert("duration_ms".into(), json!(res.duration.as_millis() as u64));
    m.insert(
        "duration_api_ms".into(),
        json!(res.duration_api.as_millis() as u64),
    );
    m.insert(
        "ttft_ms".into(),
        json!(res.ttft.map(|t| t.as_millis() as u64)),
    );
    m.insert("num_turns".into(), json!(res.num_turns));
    if is_error {
        m.insert("errors".into(), json!(errors));
    } else {
        m.insert("result".into(), json!(res.result_text));
    }
    m.insert("stop_reason".into(), json!(res.stop_reason));
    m.insert("session_id".into(), json!(session_id));
    m.insert("total_cost_usd".into(), json!(res.total_cost_usd));
    m.insert("usage".into(), usage_json(&res.usage));
    let mut model_usage = Map::new();
    for mu in &res.model_usage {
        model_usage.insert(
            mu.model.clone(),
            json!({
                "inputTokens": mu.usage.input_tokens,
                "outputTokens": mu.usage.output_tokens,
                "cacheReadInputTokens": mu.usage.cache_read_input_tokens,
                "cacheCreationInputTokens": mu.usage.cache_creation_input_tokens,
                "webSearchRequests": mu.usage.server_tool_use.as_ref().map(|s| s.web_search_requests).unwrap_or(0),
                "costUSD": mu.cost_usd.unwrap_or(0.0),
                "contextWindow": ccrs_core::models::context_window(&mu.model),
                "maxOutputTokens": ccrs_core::models::max_output_tokens(&mu.model),
            }),
        );
    }
    m.insert("modelUsage".into(), Value::Object(model_usage));
    let denials: Vec<Value> = res
        .permission_denials
        .iter()
        .map(|d| json!({"tool_name": d.tool_name, "tool_use_id": d.tool_use_id, "tool_input": d.tool_input}))
        .collect();
    m.insert("permission_denials".into(), Value::Array(denials));
    m.insert("terminal_reason".into(), json!(terminal_reason));
    m.insert("fast_mode_state".into(), json!("off"));
    m.insert("uuid".into(), json!(uuid()));
    (Value::Object(m), is_error)
}
