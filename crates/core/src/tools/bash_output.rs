//! `BashOutput` (2.1's `TaskOutput`): the new output of a background shell since the last read,
//! with its status.

use crate::BoxFuture;
use crate::tools::bash::capture::{trim_output, truncate_middle};
use crate::tools::bash::max_output_chars;
use crate::tools::shells::ShellStatus;
use crate::tools::{Subject, Tool, ToolContext, ToolOutput};
use serde_json::{Value, json};
use std::time::Duration;

/// TaskOutput's default and maximum wait when blocking (ms).
const DEFAULT_BLOCK_MS: u64 = 30_000;
const MAX_BLOCK_MS: u64 = 600_000;

/// The id from any of the accepted field names.
pub(crate) fn shell_id<'a>(input: &'a Value, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| input.get(*n).and_then(Value::as_str))
        .filter(|s| !s.is_empty())
}

pub struct BashOutputTool;

fn exit_code(status: ShellStatus) -> Option<i32> {
    match status {
        ShellStatus::Exited(c) => Some(c),
        ShellStatus::Signaled(s) => Some(128 + s),
        ShellStatus::Running | ShellStatus::Killed => None,
    }
}

impl BashOutputTool {
    async fn run(&self, input: Value, ctx: &ToolContext) -> ToolOutput {
        let Some(id) = shell_id(&input, &["bash_id", "task_id", "shell_id"]) else {
            return ToolOutput::tool_use_error("The required parameter `bash_id` is missing");
        };
        let Some(shell) = ctx.session.shells.get(id) else {
            return ToolOutput::tool_use_error(format!("No shell found with ID: {id}"));
        };
        let filter = match input.get("filter").and_then(Value::as_str) {
            Some(f) if !f.is_empty() => match regex::Regex::new(f) {
                Ok(r) => Some(r),
                Err(e) => {
                    return ToolOutput::tool_use_error(format!("Invalid filter regex: {e}"));
                }
            },
            _ => None,
        };
        // TaskOutput (called with task_id) blocks by default; BashOutput never did.
        let block = input
            .get("block")
            .and_then(Value::as_bool)
            .unwrap_or(input.get("bash_id").is_none() && input.get("task_id").is_some());
        if block && !shell.is_done() {
            let ms = input
                .get("timeout")
                .and_then(Value::as_f64)
                .filter(|t| t.is_finite() && *t >= 0.0)
                .map_or(DEFAULT_BLOCK_MS, |t| (t as u64).min(MAX_BLOCK_MS));
            shell.wait(Duration::from_millis(ms), &ctx.cancel).await;
        }
        let out = shell.take_output();
        let text = match &filter {
            Some(re) => out
                .text
                .lines()
                .filter(|l| re.is_match(l))
                .collect::<Vec<_>>()
                .join("\n"),
            None => out.text,
        };
        let mut stdout = truncate_middle(trim_output(&text), max_output_chars(ctx));
        if out.dropped_bytes > 0 {
            stdout = format!(
                "[{} bytes of earlier output were dropped before being read]\n{stdout}",
                out.dropped_bytes
            );
        }
        let timestamp = crate::timeutil::now_iso();
        let mut sections = vec![format!("<status>{}</status>", out.status.label())];
        if let Some(code) = exit_code(out.status) {
            sections.push(format!("<exit_code>{code}</exit_code>"));
        }
        if !stdout.is_empty() {
            sections.push(format!("<stdout>\n{stdout}\n</stdout>"));
        }
        sections.push(format!("<timestamp>{timestamp}</timestamp>"));
        ToolOutput::ok(sections.join("\n\n")).with_structured(json!({
            "shellId": shell.id,
            "command": shell.command,
            "status": out.status.label(),
            "exitCode": exit_code(out.status),
            "stdout": stdout,
            "stderr": "",
            "timestamp": timestamp,
        }))
    }
}

impl Tool for BashOutputTool {
    fn name(&self) -> &str {
        "BashOutput"
    }

    fn aliases(&self) -> &[&str] {
        &["TaskOutput"]
    }

    fn description(&self) -> &str {
        "Returns a background shell's output written since the last read, with its status and \
         exit code. filter keeps only lines matching a regex (other new lines are discarded). \
         block waits for the shell to finish, up to timeout ms (default 30000)."
    }

    fn input_schema(&self) -> Value {
        // A superset of BashOutput's and TaskOutput's inputs; the id is checked in `call`.
        json!({
            "type": "object",
            "properties": {
                "bash_id": {"type": "string"},
                "filter": {"type": "string", "description": "Regex"},
                "task_id": {"type": "string", "description": "Same as bash_id"},
                "block": {"type": "boolean"},
                "timeout": {"type": "number", "description": "Max wait in ms"}
            }
        })
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(self.run(input, ctx))
    }

    fn summary(&self, input: &Value) -> String {
        shell_id(input, &["bash_id", "task_id", "shell_id"])
            .unwrap_or("")
            .to_string()
    }
}
