//! `MultiEdit` (legacy, still used by models trained on it): several Edit-style replacements
//! in one file, applied in order in memory and written once; all or nothing.

use super::edit::{EditSpec, commit, plan_edits};
use super::schema::str_arg;
use super::{Subject, Tool, ToolContext, ToolOutput};
use crate::BoxFuture;
use serde_json::{Value, json};

pub struct MultiEditTool;

const DESCRIPTION: &str = "Apply several Edit-style replacements to one file (absolute \
file_path) in one atomic write. Edits run in order, each on the result of the previous one; if \
any fails, nothing is written. Same rules as Edit: read the file first; each old_string exact \
and unique (or replace_all).";

impl Tool for MultiEditTool {
    fn name(&self) -> &str {
        "MultiEdit"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "file_path": {"type": "string"},
                "edits": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            "old_string": {"type": "string"},
                            "new_string": {"type": "string"},
                            "replace_all": {"type": "boolean", "default": false,
                                            "description": "Replace every occurrence"}
                        },
                        "required": ["old_string", "new_string"],
                        "additionalProperties": false
                    }
                }
            },
            "required": ["file_path", "edits"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject {
        Subject::Write(vec![ctx.resolve(str_arg(input, "file_path").unwrap_or(""))])
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        super::call_blocking("MultiEdit", input, ctx, |i, c| run(&i, c))
    }
}

fn run(input: &Value, ctx: &ToolContext) -> ToolOutput {
    let file_path = str_arg(input, "file_path").unwrap_or("");
    let edits = EditSpec::list_from(input);
    let planned = match plan_edits(ctx, file_path, &edits, true) {
        Ok(p) => p,
        Err(m) => return ToolOutput::tool_use_error(m),
    };
    let structured = match commit(ctx, &planned) {
        Ok(s) => s,
        Err(m) => return ToolOutput::tool_use_error(m),
    };
    let n = edits.len();
    ToolOutput::ok(format!(
        "Applied {n} edit{} to {}.",
        if n == 1 { "" } else { "s" },
        planned.path.display()
    ))
    .with_structured(structured)
}
