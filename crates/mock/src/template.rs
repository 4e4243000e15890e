//! Placeholders in scripted replies that refer to the request being answered, so a scenario can
//! use values only known at run time (e.g. the id a background shell was given):
//!
//! - `{{last_tool_result}}`: the text of the newest `tool_result` in the request;
//! - `{{last_tool_result_after:MARKER}}`: the word right after `MARKER` in that text (trailing
//!   punctuation dropped), e.g. `{{last_tool_result_after:ID: }}`.
//!
//! Placeholders are replaced in every string of the reply's content blocks (tool inputs
//! included). Without a tool result they become empty strings.

use serde_json::Value;

/// Text of the newest tool_result block of the request's last user message.
fn last_tool_result(request: Option<&Value>) -> String {
    let Some(msgs) = request
        .and_then(|r| r.get("messages"))
        .and_then(Value::as_array)
    else {
        return String::new();
    };
    for m in msgs.iter().rev() {
        let Some(blocks) = m.get("content").and_then(Value::as_array) else {
            continue;
        };
        if let Some(b) = blocks
            .iter()
            .rev()
            .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_result"))
        {
            return match b.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => String::new(),
            };
        }
    }
    String::new()
}

fn expand(s: &str, result: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let inner = &rest[start + 2..start + len];
        if inner == "last_tool_result" {
            out.push_str(result);
        } else if let Some(marker) = inner.strip_prefix("last_tool_result_after:") {
            let word = result
                .find(marker)
                .map(|i| &result[i + marker.len()..])
                .and_then(|after| after.split_whitespace().next())
                .map(|w| w.trim_end_matches(['.', ',', ';', ':', ')']))
                .unwrap_or("");
            out.push_str(word);
        } else {
            out.push_str(&rest[start..start + len + 2]);
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

fn walk(v: &mut Value, result: &str) {
    match v {
        Value::String(s) if s.contains("{{") => *s = expand(s, result),
        Value::Array(a) => a.iter_mut().for_each(|x| walk(x, result)),
        Value::Object(o) => o.values_mut().for_each(|x| walk(x, result)),
        _ => {}
    }
}

/// Replaces the placeholders in `content` using `request` (the request's JSON body).
pub(crate) fn fill(content: &mut [Value], request: Option<&Value>) {
    if !content.iter().any(|b| b.to_string().contains("{{")) {
        return;
    }
    let result = last_tool_result(request);
    content.iter_mut().for_each(|b| walk(b, &result));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_from_the_last_tool_result() {
        let req = json!({"messages": [
            {"role": "user", "content": [{"type": "text", "text": "go"}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "Command running in background with ID: 1a2b3c."}]}
        ]});
        let mut content = vec![
            json!({"type": "tool_use", "name": "BashOutput", "input": {"bash_id": "{{last_tool_result_after:ID: }}"}}),
            json!({"type": "text", "text": "saw: {{last_tool_result}} {{unknown}}"}),
        ];
        fill(&mut content, Some(&req));
        assert_eq!(content[0]["input"]["bash_id"], "1a2b3c");
        assert_eq!(
            content[1]["text"],
            "saw: Command running in background with ID: 1a2b3c. {{unknown}}"
        );
        let mut none = vec![json!({"type": "text", "text": "{{last_tool_result}}!"})];
        fill(&mut none, None);
        assert_eq!(none[0]["text"], "!");
    }
}
