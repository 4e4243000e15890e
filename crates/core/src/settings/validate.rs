//! Type checks for the settings keys ccrs honours. A wrongly typed value is reported (file and
//! key) and removed from its layer, so lower layers still apply; unknown keys are kept and
//! ignored.

use crate::permissions::Mode;
use serde_json::{Map, Value};

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks one layer in place; problems go to `warnings`, prefixed with `origin`.
pub fn sanitize(map: &mut Map<String, Value>, origin: &str, warnings: &mut Vec<String>) {
    let mut warn = |key: &str, expected: &str, got: &Value| {
        warnings.push(format!(
            "{origin}: \"{key}\" must be {expected}, not {}; the value was ignored",
            type_name(got)
        ));
    };
    for key in ["model", "apiKeyHelper"] {
        if let Some(v) = map.get(key)
            && !v.is_string()
            && !v.is_null()
        {
            warn(key, "a string", v);
            map.remove(key);
        }
    }
    if let Some(v) = map.get("includeCoAuthoredBy")
        && !v.is_boolean()
        && !v.is_null()
    {
        warn("includeCoAuthoredBy", "true or false", v);
        map.remove("includeCoAuthoredBy");
    }
    match map.get_mut("env") {
        Some(Value::Object(env)) => {
            let bad: Vec<String> = env
                .iter()
                .filter(|(_, v)| matches!(v, Value::Array(_) | Value::Object(_)))
                .map(|(k, _)| k.clone())
                .collect();
            for k in bad {
                if let Some(v) = env.remove(&k) {
                    warn(&format!("env.{k}"), "a string", &v);
                }
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => {
            let other = other.clone();
            warn("env", "an object of strings", &other);
            map.remove("env");
        }
    }
    let perms = match map.get_mut("permissions") {
        Some(Value::Object(p)) => p,
        Some(Value::Null) | None => return,
        Some(other) => {
            let other = other.clone();
            warn("permissions", "an object", &other);
            map.remove("permissions");
            return;
        }
    };
    let mut warnings_here: Vec<(String, String, Value)> = Vec::new();
    for key in ["allow", "ask", "deny", "additionalDirectories"] {
        let dotted = format!("permissions.{key}");
        match perms.get_mut(key) {
            Some(Value::Array(list)) => {
                let before = list.len();
                let mut dropped = Vec::new();
                list.retain(|v| {
                    let ok = v.as_str().is_some_and(|s| !s.trim().is_empty());
                    if !ok {
                        dropped.push(v.clone());
                    }
                    ok
                });
                if list.len() != before {
                    for v in dropped {
                        warnings_here.push((
                            format!("{dotted}[]"),
                            "a non-empty string".to_string(),
                            v,
                        ));
                    }
                }
            }
            Some(Value::Null) | None => {}
            Some(other) => {
                let other = other.clone();
                warnings_here.push((dotted, "an array of strings".to_string(), other));
                perms.remove(key);
            }
        }
    }
    match perms.get("defaultMode") {
        Some(Value::String(m)) if m.parse::<Mode>().is_ok() => {}
        Some(Value::Null) | None => {}
        Some(other) => {
            let expected = "one of default, acceptEdits, plan, bypassPermissions, dontAsk";
            warnings_here.push((
                "permissions.defaultMode".to_string(),
                expected.to_string(),
                other.clone(),
            ));
            perms.remove("defaultMode");
        }
    }
    match perms.get("disableBypassPermissionsMode") {
        Some(Value::String(s)) if s == "disable" => {}
        Some(Value::Null) | None => {}
        Some(other) => {
            warnings_here.push((
                "permissions.disableBypassPermissionsMode".to_string(),
                "\"disable\"".to_string(),
                other.clone(),
            ));
            perms.remove("disableBypassPermissionsMode");
        }
    }
    for (key, expected, got) in warnings_here {
        let shown = match &got {
            Value::String(s) => format!("the string \"{s}\""),
            other => type_name(other).to_string(),
        };
        warnings.push(format!(
            "{origin}: \"{key}\" must be {expected}, not {shown}; the value was ignored"
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> (Value, Vec<String>) {
        let Value::Object(mut m) = v else { panic!() };
        let mut w = Vec::new();
        sanitize(&mut m, "f.json", &mut w);
        (Value::Object(m), w)
    }

    #[test]
    fn wrong_types_are_dropped_with_a_warning() {
        let (v, w) = run(json!({
            "model": 5,
            "includeCoAuthoredBy": "yes",
            "env": {"A": "1", "B": 2, "C": ["x"]},
            "permissions": {
                "allow": "Bash",
                "deny": ["Read(.env)", 3, ""],
                "defaultMode": "yolo",
                "disableBypassPermissionsMode": true,
                "additionalDirectories": ["../x"]
            },
            "$schema": "https://json.schemastore.org/claude-code-settings.json",
            "unknownKey": {"kept": true}
        }));
        assert_eq!(w.len(), 8, "{w:#?}");
        assert!(w.iter().all(|x| x.starts_with("f.json: ")));
        assert!(
            w.iter()
                .any(|x| x.contains("permissions.allow") && x.contains("the string \"Bash\""))
        );
        assert!(w.iter().any(|x| x.contains("\"yolo\"")));
        assert_eq!(v["model"], Value::Null);
        assert_eq!(v["env"], json!({"A": "1", "B": 2}));
        assert_eq!(v["permissions"]["deny"], json!(["Read(.env)"]));
        assert_eq!(v["permissions"]["additionalDirectories"], json!(["../x"]));
        assert!(v["permissions"].get("allow").is_none());
        assert!(v["permissions"].get("defaultMode").is_none());
        assert_eq!(v["unknownKey"], json!({"kept": true}));
    }

    #[test]
    fn valid_settings_pass_untouched() {
        let input = json!({
            "model": "opus",
            "env": {"X": "1"},
            "permissions": {"allow": ["Bash(ls:*)"], "defaultMode": "plan",
                            "disableBypassPermissionsMode": "disable"}
        });
        let (v, w) = run(input.clone());
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(v, input);
    }

    #[test]
    fn non_object_permissions_and_env() {
        let (v, w) = run(json!({"permissions": ["Bash"], "env": "A=1"}));
        assert_eq!(w.len(), 2);
        assert!(v.get("permissions").is_none());
        assert!(v.get("env").is_none());
    }
}
