//! `KillShell` (2.1's `TaskStop`): kills a background shell's process group.

use crate::BoxFuture;
use crate::tools::bash_output::shell_id;
use crate::tools::{Subject, Tool, ToolContext, ToolOutput};
use serde_json::{Value, json};
use std::time::Duration;

/// How long to wait for the killed shell to be reaped, so its status reads `killed` at once.
const SETTLE: Duration = Duration::from_secs(1);

pub struct KillShellTool;

impl KillShellTool {
    async fn run(&self, input: Value, ctx: &ToolContext) -> ToolOutput {
        let Some(id) = shell_id(&input, &["shell_id", "task_id", "bash_id"]) else {
            return ToolOutput::tool_use_error("The required parameter `shell_id` is missing");
        };
        let Some(shell) = ctx.session.shells.get(id) else {
            return ToolOutput::tool_use_error(format!("No shell found with ID: {id}"));
        };
        if !shell.kill() {
            return ToolOutput::tool_use_error(format!(
                "Shell {id} is not running, so cannot be killed (status: {})",
                shell.status().label()
            ));
        }
        shell.wait(SETTLE, &ctx.cancel).await;
        let message = format!("Successfully killed shell: {id} ({})", shell.command);
        ToolOutput::ok(message.clone()).with_structured(json!({
            "message": message,
            "shell_id": id,
        }))
    }
}

impl Tool for KillShellTool {
    fn name(&self) -> &str {
        "KillShell"
    }

    fn aliases(&self) -> &[&str] {
        &["TaskStop", "KillBash"]
    }

    fn description(&self) -> &str {
        "Kills a background shell (started with Bash run_in_background) and its child processes."
    }

    fn input_schema(&self) -> Value {
        // KillShell's and TaskStop's inputs; the id is checked in `call`.
        json!({
            "type": "object",
            "properties": {
                "shell_id": {"type": "string"},
                "task_id": {"type": "string", "description": "Same as shell_id"}
            }
        })
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(self.run(input, ctx))
    }

    fn summary(&self, input: &Value) -> String {
        shell_id(input, &["shell_id", "task_id", "bash_id"])
            .unwrap_or("")
            .to_string()
    }
}
