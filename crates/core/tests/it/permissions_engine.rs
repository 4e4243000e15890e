//! The permission engine's API: suggestions and "don't ask again", session rules, tool hiding,
//! modes and bypass refusal, and ExitPlanMode through the real agent loop.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{FakeTool, Harness, ScriptedPrompter};
use ccrs_core::permissions::{
    BYPASS_ROOT_REFUSAL, Decision, Mode, PermissionConfig, PermissionEngine, PromptAnswer,
    RuleBehavior, RuleSource, SourcedRule, WalkReadDeny, bypass_refusal_for,
};
use ccrs_core::settings::SettingsWriteError;
use ccrs_core::tools::exit_plan_mode::{APPROVED, ExitPlanMode};
use ccrs_core::tools::{Subject, ToolOutput, ToolRegistry};
use ccrs_mock::{Reply, Scenario};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn engine(dir: &Path, rules: &[(RuleBehavior, &str)], mode: Mode) -> PermissionEngine {
    PermissionEngine::new(PermissionConfig {
        mode,
        rules: rules
            .iter()
            .map(|(b, r)| SourcedRule {
                behavior: *b,
                rule: r.to_string(),
                source: RuleSource::ProjectSettings,
                file: Some(dir.join(".claude/settings.json")),
            })
            .collect(),
        cwd: dir.to_path_buf(),
        local_settings_path: Some(dir.join(".claude/settings.local.json")),
        home: Some(dir.join("home")),
        ..Default::default()
    })
}

fn bash(dir: &Path, cmd: &str) -> Subject {
    Subject::bash(cmd, dir.to_path_buf())
}

fn ask_suggestions(d: Decision) -> Vec<String> {
    match d {
        Decision::Ask { suggestions, .. } => suggestions,
        other => panic!("expected Ask, got {other:?}"),
    }
}

fn local_allow(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join(".claude/settings.local.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["permissions"]["allow"].clone()
}

#[test]
fn allow_always_for_a_compound_saves_one_rule_per_command_and_then_allows_it() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(&dir, &[], Mode::Default);
    let cmd = "npm install && git status && git push origin main && rm -rf build";
    let s = ask_suggestions(e.check("Bash", &bash(&dir, cmd)));
    // git status needs no approval, so it gets no rule.
    assert_eq!(
        s,
        [
            "Bash(npm install *)",
            "Bash(git push *)",
            "Bash(rm -rf build)"
        ]
    );
    ccrs_core::settings::persist_always_allow(&e, &s).unwrap();
    assert_eq!(local_allow(&dir), json!(s));
    {
        let d = e.check("Bash", &bash(&dir, cmd));
        assert!(d.is_allow(), "{d:?}");
    }
    // A fresh engine reading the file (as the next session would) allows it too.
    let rules: Vec<(RuleBehavior, &str)> = s
        .iter()
        .map(|r| (RuleBehavior::Allow, r.as_str()))
        .collect();
    let fresh = engine(&dir, &rules, Mode::Default);
    {
        let d = fresh.check("Bash", &bash(&dir, cmd));
        assert!(d.is_allow(), "{d:?}");
    }
    // The saved rules are no wider than the commands: rm of something else still asks.
    assert!(matches!(
        e.check("Bash", &bash(&dir, "rm -rf src")),
        Decision::Ask { .. }
    ));
}

#[test]
fn suggestions_are_capped_at_five() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(&dir, &[], Mode::Default);
    let cmd = "a1 && a2 && a3 && a4 && a5 && a6 && a7";
    let s = ask_suggestions(e.check("Bash", &bash(&dir, cmd)));
    assert_eq!(
        s,
        ["Bash(a1)", "Bash(a2)", "Bash(a3)", "Bash(a4)", "Bash(a5)"]
    );
}

#[test]
fn file_rules_stay_in_the_session_and_others_are_saved() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(&dir, &[], Mode::Default);
    let target = dir.join("src/a.rs");
    let s = ask_suggestions(e.check("Edit", &Subject::Write(vec![target.clone()])));
    assert_eq!(s.len(), 1);
    assert!(
        s[0].starts_with("Edit(//") && s[0].ends_with("/src/**)"),
        "{s:?}"
    );
    let fetch = ask_suggestions(e.check("WebFetch", &Subject::Fetch("https://Docs.rs/x".into())));
    assert_eq!(fetch, ["WebFetch(domain:docs.rs)"]);
    let mcp = ask_suggestions(e.check("mcp__srv__t", &Subject::Other));
    assert_eq!(mcp, ["mcp__srv__t"]);
    let mut all = s.clone();
    all.extend(fetch);
    all.extend(mcp);
    ccrs_core::settings::persist_always_allow(&e, &all).unwrap();
    assert_eq!(
        local_allow(&dir),
        json!(["WebFetch(domain:docs.rs)", "mcp__srv__t"])
    );
    {
        let d = e.check("Edit", &Subject::Write(vec![target]));
        assert!(d.is_allow(), "{d:?}");
    }
    {
        let d = e.check("WebFetch", &Subject::Fetch("https://docs.rs/y".into()));
        assert!(d.is_allow(), "{d:?}");
    }
    let session: Vec<RuleSource> = e.rules().into_iter().map(|r| r.source).collect();
    assert_eq!(
        session,
        [
            RuleSource::Session,
            RuleSource::LocalSettings,
            RuleSource::LocalSettings
        ]
    );
}

#[test]
fn an_invalid_local_settings_file_is_never_overwritten() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    std::fs::create_dir_all(dir.join(".claude")).unwrap();
    let bad = "{\"permissions\": {\"allow\": [\"Bash(ls)\",]}}";
    std::fs::write(dir.join(".claude/settings.local.json"), bad).unwrap();
    let e = engine(&dir, &[], Mode::Default);
    let err =
        ccrs_core::settings::persist_always_allow(&e, &["Bash(npm test)".into()]).unwrap_err();
    assert!(matches!(err, SettingsWriteError::Invalid { .. }), "{err}");
    assert!(err.to_string().contains("settings.local.json"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join(".claude/settings.local.json")).unwrap(),
        bad
    );
    // The user's answer still holds for this session.
    {
        let d = e.check("Bash", &bash(&dir, "npm test"));
        assert!(d.is_allow(), "{d:?}");
    }
    // A malformed rule is refused before anything changes.
    let err = ccrs_core::settings::persist_always_allow(&e, &["Bash(oops".into()]).unwrap_err();
    assert!(matches!(err, SettingsWriteError::InvalidRule { .. }));
}

#[test]
fn session_rules_and_read_denied() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(&dir, &[(RuleBehavior::Deny, "Read(*.pem)")], Mode::Default);
    assert!(e.read_denied(&dir.join("certs/server.pem")));
    assert!(!e.read_denied(&dir.join("src/main.rs")));
    e.add_session_rules(
        RuleBehavior::Allow,
        &["Bash(make:*)".into(), "Bash(bad".into()],
    );
    {
        let d = e.check("Bash", &bash(&dir, "make all"));
        assert!(d.is_allow(), "{d:?}");
    }
    e.add_session_rules(RuleBehavior::Deny, &["Bash(make install)".into()]);
    assert!(matches!(
        e.check("Bash", &bash(&dir, "make install")),
        Decision::Deny { .. }
    ));
}

#[test]
fn a_walk_sees_read_deny_rules_through_a_symlinked_root() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    std::fs::create_dir_all(dir.join("proj/secrets")).unwrap();
    std::os::unix::fs::symlink(dir.join("proj"), dir.join("alias")).unwrap();
    let e = engine(
        &dir.join("proj"),
        &[(RuleBehavior::Deny, "Read(./secrets/**)")],
        Mode::Default,
    );
    let root = dir.join("alias");
    let walk = WalkReadDeny::new(std::sync::Arc::new(e), &root);
    // Entries below the root resolve through it without a file-system call.
    assert!(walk.denied(&root.join("secrets/key.txt"), false));
    assert!(!walk.denied(&root.join("src/main.rs"), false));
    assert!(!walk.denied(&root, true));
}

#[test]
fn bare_deny_rules_hide_tools() {
    let d = tempfile::tempdir().unwrap();
    let e = engine(
        d.path(),
        &[
            (RuleBehavior::Deny, "WebSearch"),
            (RuleBehavior::Deny, "Task(*)"),
            (RuleBehavior::Deny, "mcp__srv"),
            (RuleBehavior::Deny, "Bash(rm:*)"),
        ],
        Mode::Default,
    );
    assert!(e.hides_tool("WebSearch"));
    assert!(!e.hides_tool("Task"), "Tool(*) denies but does not hide");
    assert!(e.hides_tool("mcp__srv__anything"));
    assert!(!e.hides_tool("mcp__other__x"));
    assert!(!e.hides_tool("Bash"));
}

#[test]
fn deny_messages_name_the_rule_and_its_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(&dir, &[(RuleBehavior::Deny, "Bash(curl:*)")], Mode::Default);
    let Decision::Deny { message, .. } = e.check("Bash", &bash(&dir, "ls && curl x")) else {
        panic!()
    };
    assert!(message.contains("Bash(curl:*)"), "{message}");
    assert!(message.contains(".claude/settings.json"), "{message}");
    assert!(message.contains("curl x"), "{message}");
}

#[test]
fn bypass_mode_can_be_disabled_and_refused_as_root() {
    let d = tempfile::tempdir().unwrap();
    let e = PermissionEngine::new(PermissionConfig {
        mode: Mode::BypassPermissions,
        cwd: d.path().to_path_buf(),
        disable_bypass: true,
        ..Default::default()
    });
    assert_eq!(e.mode(), Mode::Default);
    assert!(e.warnings()[0].contains("disableBypassPermissionsMode"));
    assert!(e.try_set_mode(Mode::BypassPermissions).is_err());
    e.set_mode(Mode::BypassPermissions);
    assert_eq!(e.mode(), Mode::Default);
    assert!(e.try_set_mode(Mode::Plan).is_ok());
    assert_eq!(e.mode(), Mode::Plan);

    assert_eq!(
        bypass_refusal_for(true, None, false).as_deref(),
        Some(BYPASS_ROOT_REFUSAL)
    );
    assert_eq!(
        BYPASS_ROOT_REFUSAL,
        "--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons"
    );
    assert_eq!(bypass_refusal_for(true, Some("1"), false), None);
    assert!(bypass_refusal_for(true, Some("0"), false).is_some());
    assert_eq!(bypass_refusal_for(false, None, false), None);
    assert!(
        bypass_refusal_for(false, None, true)
            .unwrap()
            .contains("disableBypassPermissionsMode")
    );
}

#[test]
fn dont_ask_denies_with_the_reason() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(&dir, &[], Mode::DontAsk);
    let Decision::Deny { message, .. } = e.check("Bash", &bash(&dir, "npm publish")) else {
        panic!()
    };
    assert!(message.contains("npm publish"), "{message}");
}

#[test]
fn concurrent_checks_and_persists() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = std::sync::Arc::new(engine(&dir, &[], Mode::Default));
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let e = e.clone();
            let dir = dir.clone();
            std::thread::spawn(move || {
                for j in 0..20 {
                    let _ = e.check("Bash", &bash(&dir, &format!("cmd{i} {j}")));
                    e.add_session_rules(RuleBehavior::Allow, &[format!("Bash(cmd{i} {j})")]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    {
        let d = e.check("Bash", &bash(&dir, "cmd3 19"));
        assert!(d.is_allow(), "{d:?}");
    }
    assert_eq!(e.rules().len(), 80);
}

fn writer() -> FakeTool {
    FakeTool::new(
        "Writer",
        json!({"type": "object", "properties": {"path": {"type": "string"}}}),
        |_, _| ToolOutput::ok("written"),
    )
}

#[tokio::test]
async fn plan_mode_exit_approved_with_auto_accept_switches_to_accept_edits() {
    // Relative to the harness's working directory.
    let write = writer().subject(Subject::Write(vec![PathBuf::from("a.txt")]));
    let prompter = ScriptedPrompter::new([PromptAnswer::AllowAlways]);
    let mut registry = ToolRegistry::new();
    registry.register(std::sync::Arc::new(ExitPlanMode));
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id("toolu_w0", "Writer", json!({})))
            .reply(Reply::tool_use_with_id(
                "toolu_p",
                "ExitPlanMode",
                json!({"plan": "1. write a.txt"}),
            ))
            .reply(Reply::tool_use_with_id("toolu_w1", "Writer", json!({})))
            .reply(Reply::text("done")),
    )
    .tools(registry)
    .tool(write.clone())
    .mode(Mode::Plan)
    .prompter(prompter.clone())
    .build()
    .await;
    h.query("plan then write").await;
    // In plan mode the write was refused without asking.
    let first = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_w0").clone();
    assert_eq!(first["is_error"], true);
    assert!(first["content"].as_str().unwrap().contains("Plan mode"));
    // The plan was put to the user once; "always" means acceptEdits.
    let asked = prompter.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "{asked:#?}");
    assert_eq!(asked[0].tool_name, "ExitPlanMode");
    assert_eq!(asked[0].input["plan"], "1. write a.txt");
    let plan = crate::common::tool_result_of(&h.sent_messages(2)[4], "toolu_p").clone();
    assert!(plan["content"].as_str().unwrap().starts_with(APPROVED));
    assert_eq!(h.agent.permissions().mode(), Mode::AcceptEdits);
    // The second write ran without a question.
    assert_eq!(write.calls().len(), 1);
    let second = crate::common::tool_result_of(&h.sent_messages(3)[6], "toolu_w1").clone();
    assert_eq!(second["content"], "written");
    // Nothing was saved to settings for a plan approval.
    assert!(!h.cwd().join(".claude/settings.local.json").exists());
}

#[tokio::test]
async fn plan_rejection_sends_the_feedback_and_stays_in_plan_mode() {
    let prompter = ScriptedPrompter::new([PromptAnswer::Deny {
        message: ccrs_core::permissions::user_rejected_message(Some("add tests first")),
    }]);
    let mut registry = ToolRegistry::new();
    registry.register(std::sync::Arc::new(ExitPlanMode));
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_p",
                "ExitPlanMode",
                json!({"plan": "1. ship"}),
            ))
            .reply(Reply::text("ok")),
    )
    .tools(registry)
    .mode(Mode::Plan)
    .prompter(prompter)
    .build()
    .await;
    let res = h.query("plan").await;
    let tr = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_p").clone();
    assert_eq!(tr["is_error"], true);
    assert!(tr["content"].as_str().unwrap().contains("add tests first"));
    assert_eq!(h.agent.permissions().mode(), Mode::Plan);
    assert_eq!(res.permission_denials.len(), 1);
}

#[test]
fn always_allow_never_grants_a_protected_path() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    std::fs::create_dir_all(dir.join(".git/hooks")).unwrap();
    let e = engine(&dir, &[], Mode::Default);
    // An ordinary edit at the project root suggests a rule for the root…
    let s = ask_suggestions(e.check("Edit", &Subject::Write(vec![dir.join("notes.txt")])));
    ccrs_core::settings::persist_always_allow(&e, &s).unwrap();
    assert!(
        e.check("Edit", &Subject::Write(vec![dir.join("notes.txt")]))
            .is_allow()
    );
    // …which still does not let anything write git hooks, settings or shell rc files.
    for p in [
        dir.join(".git/hooks/pre-commit"),
        dir.join(".claude/settings.local.json"),
        dir.join("home/.bashrc"),
    ] {
        let d = e.check("Write", &Subject::Write(vec![p.clone()]));
        let Decision::Ask {
            suggestions, why, ..
        } = &d
        else {
            panic!("{} should ask: {d:?}", p.display())
        };
        assert!(suggestions.is_empty(), "no 'always' for {}", p.display());
        assert!(
            matches!(why.0[0].basis, ccrs_core::permissions::Basis::Protected(_)),
            "{why:?}"
        );
    }
    // A Bash command writing one offers no rule either.
    let d = e.check(
        "Bash",
        &bash(&dir, "npm test && echo x > .git/hooks/post-commit"),
    );
    assert!(ask_suggestions(d).is_empty());
}

#[test]
fn a_walk_leaves_out_files_an_ask_rule_covers() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(
        &dir,
        &[(RuleBehavior::Ask, "Read(secrets/**)")],
        Mode::Default,
    );
    assert!(e.has_read_deny_rules());
    let walk = WalkReadDeny::new(std::sync::Arc::new(e), &dir);
    assert!(walk.denied(&dir.join("secrets/key"), false));
    assert!(!walk.denied(&dir.join("src/main.rs"), false));
}

#[test]
fn every_decision_says_why() {
    use ccrs_core::permissions::Basis;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().canonicalize().unwrap();
    let e = engine(
        &dir,
        &[
            (RuleBehavior::Deny, "Bash(rm -rf:*)"),
            (RuleBehavior::Allow, "Bash(npm test:*)"),
        ],
        Mode::Default,
    );
    let settings = dir.join(".claude/settings.json").display().to_string();
    // A deny: the rule as written and its file, whatever the spelling of the command.
    let d = e.check("Bash", &bash(&dir, "ls && /bin/rm -fr build"));
    assert!(d.is_deny());
    assert_eq!(d.why().rule(), Some(("Bash(rm -rf:*)", settings.as_str())));
    // An allow: each command with what allowed it.
    let d = e.check("Bash", &bash(&dir, "npm test && git status"));
    assert!(d.is_allow(), "{d:?}");
    let text = d.why().to_string();
    assert!(
        text.contains("npm test: allow rule Bash(npm test:*)"),
        "{text}"
    );
    assert!(
        text.contains("git status: git is a command ccrs models exactly"),
        "{text}"
    );
    // What is not understood says so.
    let d = e.check("Bash", &bash(&dir, "echo ${x:-{}; ls; echo }"));
    assert!(
        d.why()
            .0
            .iter()
            .any(|r| matches!(&r.basis, Basis::NotUnderstood(w) if w.contains("${"))),
        "{d:?}"
    );
    // The mode.
    e.set_mode(Mode::BypassPermissions);
    let d = e.check("Bash", &bash(&dir, "npm install"));
    assert!(d.is_allow());
    assert_eq!(d.why().0[0].basis, Basis::Mode(Mode::BypassPermissions));
}

#[tokio::test]
async fn the_question_carries_what_decided_it() {
    // The front end is told which rule (and from where) made it ask, part by part.
    let danger = FakeTool::new("Danger", json!({"type": "object"}), |_, _| {
        ToolOutput::ok("ran")
    })
    .subject(Subject::Other);
    let prompter = ScriptedPrompter::new([PromptAnswer::AllowOnce]);
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id("toolu_1", "Danger", json!({})))
            .reply(Reply::text("ok")),
    )
    .tool(danger)
    .rule(RuleBehavior::Ask, "Danger")
    .prompter(prompter.clone())
    .build()
    .await;
    h.query("go").await;
    let asked = prompter.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    let why = asked[0].why.to_string();
    assert_eq!(
        why, "Danger: ask rule Danger (from the command line)",
        "{asked:#?}"
    );
}
