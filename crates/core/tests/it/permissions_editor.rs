//! The rule editor's core operation (`/permissions` in the TUI): rules added to and removed from
//! a settings file hold at once and are on disk for the next session.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::permissions::{
    Decision, Mode, PermissionConfig, PermissionEngine, RuleBehavior, RuleSource, SourcedRule,
};
use ccrs_core::tools::Subject;
use serde_json::{Value, json};

#[test]
fn edited_rules_hold_at_once_and_are_written() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let local = dir.join(".claude/settings.local.json");
    std::fs::create_dir_all(local.parent().unwrap()).unwrap();
    std::fs::write(
        &local,
        r#"{"permissions":{"allow":["Bash(touch a.txt)"]},"x":1}"#,
    )
    .unwrap();
    let e = PermissionEngine::new(PermissionConfig {
        mode: Mode::Default,
        rules: vec![SourcedRule {
            behavior: RuleBehavior::Allow,
            rule: "Bash(touch a.txt)".into(),
            source: RuleSource::LocalSettings,
            file: Some(local.clone()),
        }],
        cwd: dir.clone(),
        local_settings_path: Some(local.clone()),
        home: Some(dir.join("home")),
        ..Default::default()
    });
    let ls = Subject::bash("touch a.txt", dir.clone());
    let fetch = Subject::Fetch("https://example.com/".into());
    assert!(e.check("Bash", &ls).is_allow());
    e.edit_rules(
        RuleBehavior::Allow,
        RuleSource::LocalSettings,
        Some(&local),
        &[],
        &["Bash(touch a.txt)".into()],
    )
    .unwrap();
    assert!(matches!(e.check("Bash", &ls), Decision::Ask { .. }));
    e.edit_rules(
        RuleBehavior::Deny,
        RuleSource::LocalSettings,
        Some(&local),
        &["WebFetch".into()],
        &[],
    )
    .unwrap();
    assert!(matches!(e.check("WebFetch", &fetch), Decision::Deny { .. }));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&local).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"permissions": {"allow": [], "deny": ["WebFetch"]}, "x": 1})
    );
    // A rule that does not parse changes nothing, on disk or in force.
    assert!(
        e.edit_rules(
            RuleBehavior::Allow,
            RuleSource::LocalSettings,
            Some(&local),
            &["Bash(unclosed".into()],
            &["WebFetch".into()],
        )
        .is_err()
    );
    assert!(matches!(e.check("WebFetch", &fetch), Decision::Deny { .. }));
    // Session rules: no file.
    e.edit_rules(
        RuleBehavior::Allow,
        RuleSource::Session,
        None,
        &["Bash(touch a.txt)".into()],
        &[],
    )
    .unwrap();
    assert!(e.check("Bash", &ls).is_allow());
    let v2: Value = serde_json::from_str(&std::fs::read_to_string(&local).unwrap()).unwrap();
    assert_eq!(v2, v);
}
