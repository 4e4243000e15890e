//! `--json-schema` (the SDK's `outputFormat`): the model returns its final answer by calling the
//! `StructuredOutput` tool, whose input schema is the user's schema. The loop validates the input
//! (every call passes schema validation), ends the query on the first valid call, and reminds
//! the model when it stops without one, up to [`MAX_REMINDERS`] times.

use crate::BoxFuture;
use crate::events::ToolOutput;
use crate::tools::{Subject, Tool, ToolContext};
use serde_json::{Value, json};

pub const STRUCTURED_OUTPUT: &str = "StructuredOutput";

/// How often the model is reminded to call the tool before the query fails
/// (`error_max_structured_output_retries`).
pub const MAX_REMINDERS: u32 = 3;

/// What the model is told when it stopped without calling the tool.
pub const REMINDER: &str = "You must call the StructuredOutput tool now to return your final answer in the requested format.";

pub struct StructuredOutputTool {
    schema: Value,
    /// The user's schema is under `result`.
    wrapped: bool,
}

impl StructuredOutputTool {
    /// The API wants an object schema; any other schema is wrapped in `{"result": …}`.
    pub fn new(schema: Value) -> Self {
        let is_object = schema.get("type").and_then(Value::as_str) == Some("object");
        let schema = if is_object {
            schema
        } else {
            json!({"type": "object", "properties": {"result": schema}, "required": ["result"]})
        };
        StructuredOutputTool {
            schema,
            wrapped: !is_object,
        }
    }
}

impl Tool for StructuredOutputTool {
    fn name(&self) -> &str {
        STRUCTURED_OUTPUT
    }

    fn description(&self) -> &str {
        "Return your final response in the requested structured format. Call it exactly once, at the end."
    }

    fn input_schema(&self) -> Value {
        self.schema.clone()
    }

    fn is_read_only(&self) -> bool {
        true
    }

    fn subject(&self, _input: &Value, _ctx: &ToolContext) -> Subject {
        Subject::Passive
    }

    fn call<'a>(&'a self, input: Value, _ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let value = if self.wrapped {
                input.get("result").cloned().unwrap_or(Value::Null)
            } else {
                input
            };
            ToolOutput::ok("Structured output provided successfully").with_structured(value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_object_schemas_are_wrapped() {
        let t = StructuredOutputTool::new(json!({"type": "array", "items": {"type": "string"}}));
        assert_eq!(t.input_schema()["required"], json!(["result"]));
        assert!(t.wrapped);
        let o = StructuredOutputTool::new(json!({"type": "object", "properties": {}}));
        assert_eq!(
            o.input_schema(),
            json!({"type": "object", "properties": {}})
        );
        assert!(!o.wrapped);
    }
}
