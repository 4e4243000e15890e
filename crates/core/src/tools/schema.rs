//! Input validation against a tool's JSON schema (the subset tool schemas use), with messages in
//! the style of Claude Code's `InputValidationError`, and the helpers tools read their (validated)
//! input with.

use serde_json::Value;

/// A string field.
pub(crate) fn str_arg<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

/// An optional string field, trimmed, with empty and the strings "undefined"/"null" (which
/// models send for "not given") treated as absent.
pub(crate) fn opt_str<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    str_arg(input, key)
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "undefined" && *s != "null")
}

/// A boolean field, false when absent.
pub(crate) fn bool_arg(input: &Value, key: &str) -> bool {
    input.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A non-negative integer argument (`5` and `5.0` both accepted).
pub(crate) fn uint_arg(input: &Value, key: &str) -> Option<u64> {
    let v = input.get(key)?;
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0)
            .map(|f| f as u64)
    })
}

/// Checks `input` against `schema`. Returns the list of problems (empty when valid).
pub fn validate(schema: &Value, input: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, input, "", &mut errors);
    errors
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_matches(expected: &str, v: &Value) -> bool {
    match expected {
        "number" => v.is_number(),
        "integer" => match v {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        "null" => v.is_null(),
        _ => true,
    }
}

fn at(path: &str) -> String {
    if path.is_empty() {
        "input".to_string()
    } else {
        format!("`{path}`")
    }
}

fn check(schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(s) = schema.as_object() else { return };
    if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
        if !any.iter().any(|alt| validate(alt, v).is_empty()) {
            errors.push(format!("{} does not match any allowed form", at(path)));
        }
        return;
    }
    if let Some(t) = s.get("type").and_then(Value::as_str)
        && !type_matches(t, v)
    {
        errors.push(format!(
            "The parameter {} type is expected as `{t}` but provided as `{}`",
            at(path),
            type_name(v)
        ));
        return;
    }
    if let Some(allowed) = s.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
        errors.push(format!("{} must be one of {}", at(path), list.join(", ")));
    }
    if let Some(c) = s.get("const")
        && c != v
    {
        errors.push(format!("{} must be {c}", at(path)));
    }
    match v {
        Value::String(st) => {
            let n = st.chars().count() as u64;
            if let Some(min) = s.get("minLength").and_then(Value::as_u64)
                && n < min
            {
                errors.push(format!("{} must be at least {min} characters", at(path)));
            }
            if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
                && n > max
            {
                errors.push(format!("{} must be at most {max} characters", at(path)));
            }
        }
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            if let Some(min) = s.get("minimum").and_then(Value::as_f64)
                && f < min
            {
                errors.push(format!("{} must be >= {min}", at(path)));
            }
            if let Some(max) = s.get("maximum").and_then(Value::as_f64)
                && f > max
            {
                errors.push(format!("{} must be <= {max}", at(path)));
            }
            if let Some(min) = s.get("exclusiveMinimum").and_then(Value::as_f64)
                && f <= min
            {
                errors.push(format!("{} must be > {min}", at(path)));
            }
        }
        Value::Array(items) => {
            if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                errors.push(format!("{} must have at least {min} items", at(path)));
            }
            if let Some(max) = s.get("maxItems").and_then(Value::as_u64)
                && (items.len() as u64) > max
            {
                errors.push(format!("{} must have at most {max} items", at(path)));
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter().enumerate() {
                    let p = if path.is_empty() {
                        format!("[{i}]")
                    } else {
                        format!("{path}[{i}]")
                    };
                    check(item_schema, item, &p, errors);
                }
            }
        }
        Value::Object(obj) => {
            let props = s.get("properties").and_then(Value::as_object);
            if let Some(req) = s.get("required").and_then(Value::as_array) {
                for r in req.iter().filter_map(Value::as_str) {
                    if obj.get(r).is_none_or(Value::is_null) {
                        let p = if path.is_empty() {
                            r.to_string()
                        } else {
                            format!("{path}.{r}")
                        };
                        errors.push(format!("The required parameter `{p}` is missing"));
                    }
                }
            }
            for (k, val) in obj {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => {
                        // Optional fields sent as null are treated as absent.
                        if !val.is_null() {
                            check(ps, val, &p, errors);
                        }
                    }
                    None => {
                        if s.get("additionalProperties") == Some(&Value::Bool(false)) {
                            errors.push(format!("An unexpected parameter `{p}` was provided"));
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// A short display form of a tool input: the first string field's value, shortened.
pub fn default_summary(input: &Value) -> String {
    let s = input
        .as_object()
        .and_then(|m| m.values().find_map(Value::as_str))
        .unwrap_or("");
    shorten(s, 80)
}

/// Glob's and Grep's display form: `pattern`, or `pattern in path` when a path is given.
pub(crate) fn pattern_summary(input: &Value) -> String {
    let pattern = str_arg(input, "pattern").unwrap_or("");
    match opt_str(input, "path") {
        Some(p) => shorten(&format!("{pattern} in {p}"), 80),
        None => shorten(pattern, 80),
    }
}

/// First line of `s`, at most `max` chars, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    let cut = line.chars().count() > max || s.lines().nth(1).is_some();
    let mut out: String = line.chars().take(max).collect();
    if cut {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type":"object",
            "properties":{
                "command":{"type":"string"},
                "timeout":{"type":"number","maximum":600000},
                "mode":{"type":"string","enum":["a","b"]},
                "todos":{"type":"array","items":{"type":"object","properties":{"content":{"type":"string","minLength":1}},"required":["content"]}}
            },
            "required":["command"],
            "additionalProperties":false
        })
    }

    #[test]
    fn valid_input_passes() {
        assert!(validate(&schema(), &json!({"command":"ls","timeout":5})).is_empty());
        assert!(validate(&schema(), &json!({"command":"ls","timeout":null})).is_empty());
    }

    #[test]
    fn reports_missing_wrong_type_extra_enum_and_nested() {
        let errs = validate(
            &schema(),
            &json!({"timeout":"5","x":1,"mode":"c","todos":[{"content":""}]}),
        );
        let all = errs.join("\n");
        assert!(
            all.contains("The required parameter `command` is missing"),
            "{all}"
        );
        assert!(
            all.contains("`timeout` type is expected as `number` but provided as `string`"),
            "{all}"
        );
        assert!(all.contains("unexpected parameter `x`"), "{all}");
        assert!(all.contains("`mode` must be one of"), "{all}");
        assert!(
            all.contains("`todos[0].content` must be at least 1 characters"),
            "{all}"
        );
        assert!(!validate(&schema(), &json!("str")).is_empty());
    }

    #[test]
    fn optional_strings_and_pattern_summary() {
        let v = json!({"pattern": "*.rs", "path": " undefined ", "a": " x ", "b": "null", "c": 1});
        assert_eq!(opt_str(&v, "a"), Some("x"));
        assert_eq!(opt_str(&v, "b"), None);
        assert_eq!(opt_str(&v, "c"), None);
        assert_eq!(pattern_summary(&v), "*.rs");
        let v = json!({"pattern": "fn main", "path": "src"});
        assert_eq!(pattern_summary(&v), "fn main in src");
    }

    #[test]
    fn shorten_cuts_lines_and_length() {
        assert_eq!(shorten("abc", 10), "abc");
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("a\nb", 10), "a…");
    }
}
