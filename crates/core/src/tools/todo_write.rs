//! TodoWrite: the model's task list for the session.

use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use crate::events::AgentEvent;
use crate::events::{Todo, TodoStatus};
use serde_json::{Value, json};

/// The result text Claude Code returns; models are trained on it, so it is kept verbatim.
pub const TODO_RESULT: &str = "Todos have been modified successfully. Ensure that you continue to use the todo list to track your progress. Please proceed with the current tasks if applicable";

pub struct TodoWrite;

/// Parses and checks the `todos` array (beyond the schema: no blank texts).
fn parse_todos(input: &Value) -> Result<Vec<Todo>, String> {
    let raw = input
        .get("todos")
        .cloned()
        .ok_or("The required parameter `todos` is missing")?;
    let todos: Vec<Todo> =
        serde_json::from_value(raw).map_err(|e| format!("Invalid todos: {e}"))?;
    for (i, t) in todos.iter().enumerate() {
        if t.content.trim().is_empty() {
            return Err(format!("todos[{i}].content must not be empty"));
        }
        if t.active_form.trim().is_empty() {
            return Err(format!("todos[{i}].activeForm must not be empty"));
        }
    }
    Ok(todos)
}

impl Tool for TodoWrite {
    fn name(&self) -> &str {
        "TodoWrite"
    }

    fn description(&self) -> &str {
        "Replaces the session's task list. For multi-step work: list the steps, keep one \
         in_progress, mark each completed when done, add steps you discover. content: what to do \
         (\"Run tests\"); activeForm: what is happening (\"Running tests\"). Not for trivial tasks."
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "todos": {
                    "type": "array",
                    "description": "The complete, updated task list",
                    "items": {
                        "type": "object",
                        "properties": {
                            "content": {"type": "string", "minLength": 1},
                            "status": {
                                "type": "string",
                                "enum": ["pending", "in_progress", "completed"]
                            },
                            "activeForm": {"type": "string", "minLength": 1}
                        },
                        "required": ["content", "status", "activeForm"],
                        "additionalProperties": false
                    }
                }
            },
            "required": ["todos"],
            "additionalProperties": false
        })
    }

    /// Touches only ccrs's own list: allowed in plan mode, harmless next to other reads.
    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let todos = match parse_todos(&input) {
                Ok(t) => t,
                Err(e) => return ToolOutput::tool_use_error(e),
            };
            let old = {
                // A poisoned lock only means another call panicked mid-update; the list is
                // still a valid Vec, so keep going.
                let mut guard = ctx.session.todos.lock().unwrap_or_else(|p| p.into_inner());
                std::mem::replace(&mut *guard, todos.clone())
            };
            ctx.events.emit(AgentEvent::TodosUpdated(todos.clone()));
            ToolOutput::ok(TODO_RESULT).with_structured(json!({
                "oldTodos": old,
                "newTodos": todos,
            }))
        })
    }

    fn summary(&self, input: &Value) -> String {
        let Some(list) = input.get("todos").and_then(Value::as_array) else {
            return String::new();
        };
        let count = |s: &str| {
            list.iter()
                .filter(|t| t.get("status").and_then(Value::as_str) == Some(s))
                .count()
        };
        format!(
            "{} todos ({} done, {} in progress)",
            list.len(),
            count("completed"),
            count("in_progress")
        )
    }
}

/// The in-progress item's `activeForm`, for status lines.
pub fn active_form(todos: &[Todo]) -> Option<&str> {
    todos
        .iter()
        .find(|t| t.status == TodoStatus::InProgress)
        .map(|t| t.active_form.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::schema;
    use std::sync::{Arc, Mutex};

    fn item(content: &str, status: &str) -> Value {
        json!({"content": content, "status": status, "activeForm": format!("{content}ing")})
    }

    #[test]
    fn schema_rejects_bad_items() {
        let s = TodoWrite.input_schema();
        assert!(schema::validate(&s, &json!({"todos": [item("Test", "pending")]})).is_empty());
        assert!(schema::validate(&s, &json!({"todos": []})).is_empty());
        for bad in [
            json!({}),
            json!({"todos": [{"content": "x", "status": "done", "activeForm": "y"}]}),
            json!({"todos": [{"content": "", "status": "pending", "activeForm": "y"}]}),
            json!({"todos": [{"content": "x", "status": "pending"}]}),
            json!({"todos": [{"content": "x", "status": "pending", "activeForm": "y", "id": 1}]}),
            json!({"todos": "x"}),
        ] {
            assert!(!schema::validate(&s, &bad).is_empty(), "{bad}");
        }
    }

    #[tokio::test]
    async fn replaces_the_list_and_reports_old_and_new() {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = ToolContext::for_tests(dir.path());
        let seen: Arc<Mutex<Vec<Vec<Todo>>>> = Arc::default();
        let s2 = seen.clone();
        ctx.events = Arc::new(move |e: AgentEvent| {
            if let AgentEvent::TodosUpdated(l) = e {
                s2.lock().unwrap().push(l);
            }
        });
        let first = TodoWrite
            .call(
                json!({"todos": [item("Build", "in_progress"), item("Test", "pending")]}),
                &ctx,
            )
            .await;
        assert!(!first.is_error);
        assert_eq!(first.text(), TODO_RESULT);
        let s = first.structured.unwrap();
        assert_eq!(s["oldTodos"], json!([]));
        assert_eq!(s["newTodos"][0]["activeForm"], "Building");

        let second = TodoWrite
            .call(json!({"todos": [item("Build", "completed")]}), &ctx)
            .await;
        let s = second.structured.unwrap();
        assert_eq!(s["oldTodos"].as_array().unwrap().len(), 2);
        assert_eq!(s["newTodos"][0]["status"], "completed");

        let state = ctx.session.todos.lock().unwrap().clone();
        assert_eq!(state.len(), 1);
        assert_eq!(state[0].status, TodoStatus::Completed);
        let events = seen.lock().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].len(), 2);
        assert_eq!(active_form(&events[0]), Some("Building"));
        assert_eq!(events[1], state);
    }

    #[tokio::test]
    async fn blank_text_is_refused_and_state_kept() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = ToolContext::for_tests(dir.path());
        let out = TodoWrite
            .call(
                json!({"todos": [{"content": "  ", "status": "pending", "activeForm": "x"}]}),
                &ctx,
            )
            .await;
        assert!(out.is_error);
        assert!(out.text().contains("todos[0].content"), "{}", out.text());
        let out = TodoWrite
            .call(
                json!({"todos": [{"content": "a", "status": "nope", "activeForm": "x"}]}),
                &ctx,
            )
            .await;
        assert!(out.is_error);
        assert!(ctx.session.todos.lock().unwrap().is_empty());
    }

    #[test]
    fn summary_counts() {
        let input = json!({"todos": [item("a", "completed"), item("b", "in_progress"), item("c", "pending")]});
        assert_eq!(TodoWrite.summary(&input), "3 todos (1 done, 1 in progress)");
    }
}
