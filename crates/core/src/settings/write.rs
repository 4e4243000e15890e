//! "Don't ask again": adding allow rules to `.claude/settings.local.json` without ever damaging
//! the file.

use super::parse_settings;
use crate::permissions::PermissionEngine;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// "Yes, and don't ask again": the engine takes the rules into force for the session at once,
/// and those that belong in `.claude/settings.local.json` (Bash, WebFetch and other tool rules;
/// file-path rules only last the session) are added to it. A malformed rule changes nothing;
/// an invalid settings file is never overwritten (the session keeps the rules).
pub fn persist_always_allow(
    engine: &PermissionEngine,
    rules: &[String],
) -> Result<(), SettingsWriteError> {
    let to_file = engine
        .grant_always(rules)
        .map_err(|e| SettingsWriteError::InvalidRule { message: e.message })?;
    match engine.local_settings_path() {
        Some(path) if !to_file.is_empty() => add_allow_rules(path, &to_file),
        _ => Ok(()),
    }
}

/// Why "don't ask again" could not save its rules.
#[derive(Debug, thiserror::Error)]
pub enum SettingsWriteError {
    /// The settings file exists but is not a valid settings document: it is left untouched.
    #[error("{message}")]
    Invalid { message: String },
    #[error("not a valid permission rule: {message}")]
    InvalidRule { message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Adds `rules` to `permissions.allow` of the settings file at `path` (creating it and its
/// directory if needed), keeping every other key and not duplicating rules. The write is atomic.
/// A file that is not valid JSON is left untouched and an error is returned.
pub fn add_allow_rules(path: &Path, rules: &[String]) -> Result<(), SettingsWriteError> {
    edit_rules(path, "allow", rules, &[])
}

/// Adds `add` to and removes `remove` from the `permissions.<list>` array (`allow`, `ask` or
/// `deny`) of the settings file at `path`, like [`add_allow_rules`]: other keys kept, no
/// duplicates, an atomic write, a file it does not understand left untouched.
pub fn edit_rules(
    path: &Path,
    list: &str,
    add: &[String],
    remove: &[String],
) -> Result<(), SettingsWriteError> {
    let io = |source: std::io::Error| SettingsWriteError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut doc = match std::fs::read_to_string(path) {
        Ok(t) if t.trim().is_empty() => Map::new(),
        Ok(t) => parse_settings(&t, &path.display().to_string())
            .map_err(|message| SettingsWriteError::Invalid { message })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
        Err(e) => return Err(io(e)),
    };
    let shape = |what: &str| SettingsWriteError::Invalid {
        message: format!("{}: {what}; the file was left unchanged", path.display()),
    };
    let perms = doc
        .entry("permissions")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(perms) = perms else {
        return Err(shape("\"permissions\" is not an object"));
    };
    let entry = perms
        .entry(list)
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(rules) = entry else {
        return Err(shape(&format!("\"permissions.{list}\" is not an array")));
    };
    let before = rules.clone();
    rules.retain(|v| !v.as_str().is_some_and(|r| remove.iter().any(|x| x == r)));
    for r in add {
        if !rules.iter().any(|v| v.as_str() == Some(r)) {
            rules.push(Value::String(r.clone()));
        }
    }
    if *rules == before && path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(doc))
        .map_err(|e| io(std::io::Error::other(e)))?;
    text.push('\n');
    crate::fsutil::atomic_write(path, text.as_bytes(), None).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_and_keeps_other_keys() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".claude/settings.local.json");
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(
            &p,
            r#"{"model":"x","permissions":{"allow":["Read"],"deny":["WebFetch"]},"zzz":1}"#,
        )
        .unwrap();
        add_allow_rules(&p, &["Bash(ls)".into(), "Read".into()]).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["model"], "x");
        assert_eq!(v["zzz"], 1);
        assert_eq!(
            v["permissions"]["allow"],
            serde_json::json!(["Read", "Bash(ls)"])
        );
        assert_eq!(v["permissions"]["deny"], serde_json::json!(["WebFetch"]));
        // Key order is kept.
        assert!(text.find("model").unwrap() < text.find("zzz").unwrap());
    }

    #[test]
    fn creates_the_file_and_directory() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("new/.claude/settings.local.json");
        add_allow_rules(&p, &["Bash(npm test)".into()]).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"permissions": {"allow": ["Bash(npm test)"]}})
        );
    }

    #[test]
    fn never_overwrites_what_it_does_not_understand() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        for bad in [
            "{oops",
            "[1,2]",
            r#"{"permissions": ["Bash"]}"#,
            r#"{"permissions": {"allow": "Bash"}}"#,
        ] {
            std::fs::write(&p, bad).unwrap();
            let err = add_allow_rules(&p, &["X".into()]).unwrap_err();
            assert!(
                matches!(err, SettingsWriteError::Invalid { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains("s.json"), "{err}");
            assert_eq!(std::fs::read_to_string(&p).unwrap(), bad);
        }
    }

    #[test]
    fn edit_rules_removes_and_adds_in_any_list() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        std::fs::write(
            &p,
            r#"{"permissions":{"allow":["Read","Bash(ls)"],"deny":["WebFetch"]},"model":"x"}"#,
        )
        .unwrap();
        edit_rules(&p, "allow", &[], &["Bash(ls)".into()]).unwrap();
        edit_rules(&p, "deny", &["Read(.env)".into()], &[]).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(v["permissions"]["allow"], serde_json::json!(["Read"]));
        assert_eq!(
            v["permissions"]["deny"],
            serde_json::json!(["WebFetch", "Read(.env)"])
        );
        assert_eq!(v["model"], "x");
        std::fs::write(&p, r#"{"permissions": {"deny": "Bash"}}"#).unwrap();
        assert!(edit_rules(&p, "deny", &[], &["Bash".into()]).is_err());
        assert_eq!(
            std::fs::read_to_string(&p).unwrap(),
            r#"{"permissions": {"deny": "Bash"}}"#
        );
    }
}
