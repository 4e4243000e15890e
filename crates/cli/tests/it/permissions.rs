//! Permissions and settings through the real `ccrs` binary in print mode: every settings layer,
//! precedence, invalid files, modes, and rules saved by "allow always". The model's tool calls
//! are Bash commands with visible effects (files created), so a test sees what really ran.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::permissions::Subject;
use ccrs_core::permissions::{
    Decision, Mode, PermissionConfig, PermissionEngine, RuleBehavior, RuleSource, SourcedRule,
};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

struct Env {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    /// `CLAUDE_CONFIG_DIR`
    config: PathBuf,
    cwd: PathBuf,
    managed: PathBuf,
}

fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let home = root.join("home");
    let config = home.join(".claude");
    let cwd = root.join("project");
    for d in [&config, &cwd.join(".claude")] {
        std::fs::create_dir_all(d).unwrap();
    }
    Env {
        managed: root.join("managed/managed-settings.json"),
        _tmp: tmp,
        root,
        home,
        config,
        cwd,
    }
}

impl Env {
    fn write(&self, path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn user(&self, json: Value) {
        self.write(&self.config.join("settings.json"), &json.to_string());
    }

    fn project(&self, json: Value) {
        self.write(&self.cwd.join(".claude/settings.json"), &json.to_string());
    }

    fn local(&self, json: Value) {
        self.write(
            &self.cwd.join(".claude/settings.local.json"),
            &json.to_string(),
        );
    }

    fn run(&self, mock: &MockServer, args: &[&str]) -> Output {
        self.run_with(mock, args, &[])
    }

    fn run_with(&self, mock: &MockServer, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccrs"));
        cmd.args(args)
            .current_dir(&self.cwd)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("CLAUDE_CONFIG_DIR", &self.config)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("CCRS_MANAGED_SETTINGS_PATH", &self.managed)
            .env("ANTHROPIC_API_KEY", "sk-ant-test-key")
            .env("ANTHROPIC_BASE_URL", mock.base_url())
            .stdin(Stdio::null());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

/// A mock whose model runs `command` with Bash, then says "done".
fn mock_running(command: &str) -> MockServer {
    MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_1",
                "Bash",
                json!({"command": command}),
            ))
            .reply(Reply::text("done")),
    )
    .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The `--output-format json` result.
fn result(o: &Output) -> Value {
    assert!(o.status.success(), "stderr: {}", stderr(o));
    serde_json::from_str(String::from_utf8_lossy(&o.stdout).trim()).unwrap()
}

fn denials(o: &Output) -> usize {
    result(o)["permission_denials"].as_array().unwrap().len()
}

/// The tool_result the model got for toolu_1.
fn tool_result(mock: &MockServer) -> Value {
    let req = mock.message_requests()[1].json.clone().unwrap();
    let msgs = req["messages"].as_array().unwrap();
    msgs.last().unwrap()["content"][0].clone()
}

const JSON: &[&str] = &["-p", "go", "--output-format", "json"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = JSON.to_vec();
    v.extend_from_slice(extra);
    v
}

#[test]
fn each_settings_layer_takes_effect() {
    type Setup = fn(&Env, Value);
    let layers: [(&str, Setup); 3] = [
        ("user", |e, v| e.user(v)),
        ("project", |e, v| e.project(v)),
        ("local", |e, v| e.local(v)),
    ];
    for (name, setup) in layers {
        let e = env();
        setup(&e, json!({"permissions": {"allow": ["Bash(touch:*)"]}}));
        let mock = mock_running("touch made.txt");
        let out = e.run(&mock, JSON);
        assert_eq!(denials(&out), 0, "{name}: {}", tool_result(&mock));
        assert!(e.cwd.join("made.txt").exists(), "{name} layer ignored");
    }
    // --settings as a file and as inline JSON.
    let e = env();
    let f = e.root.join("extra-settings.json");
    e.write(&f, r#"{"permissions":{"allow":["Bash(touch:*)"]}}"#);
    let mock = mock_running("touch from-flag-file.txt");
    let out = e.run(&mock, &args(&["--settings", f.to_str().unwrap()]));
    assert_eq!(denials(&out), 0);
    assert!(e.cwd.join("from-flag-file.txt").exists());
    let mock = mock_running("touch from-inline.txt");
    let out = e.run(
        &mock,
        &args(&[
            "--settings",
            r#"{"permissions":{"allow":["Bash(touch:*)"]}}"#,
        ]),
    );
    assert_eq!(denials(&out), 0);
    assert!(e.cwd.join("from-inline.txt").exists());
    // Without any of them the same call is denied.
    let mock = mock_running("touch nothing-allows-this.txt");
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 1);
    assert!(!e.cwd.join("nothing-allows-this.txt").exists());
}

#[test]
fn deny_in_local_settings_beats_allow_in_project_settings() {
    let e = env();
    e.project(json!({"permissions": {"allow": ["Bash(touch:*)"]}}));
    e.local(json!({"permissions": {"deny": ["Bash(touch blocked.txt)"]}}));
    let mock = mock_running("touch ok.txt && touch blocked.txt");
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 1);
    assert!(
        !e.cwd.join("ok.txt").exists(),
        "nothing of a denied line runs"
    );
    assert!(!e.cwd.join("blocked.txt").exists());
    let tr = tool_result(&mock);
    assert_eq!(tr["is_error"], true);
    let text = tr["content"].as_str().unwrap();
    assert!(text.contains("Bash(touch blocked.txt)"), "{text}");
    assert!(text.contains("settings.local.json"), "{text}");
}

#[test]
fn managed_deny_beats_allowed_tools_and_user_allow_works() {
    let e = env();
    e.write(
        &e.managed,
        r#"{"permissions":{"deny":["Bash(touch forbidden*)"]}}"#,
    );
    let mock = mock_running("touch forbidden.txt");
    let out = e.run(&mock, &args(&["--allowedTools", "Bash(touch:*)"]));
    assert_eq!(denials(&out), 1);
    assert!(!e.cwd.join("forbidden.txt").exists());
    e.user(json!({"permissions": {"allow": ["Bash(touch:*)"]}}));
    let mock = mock_running("touch fine.txt");
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 0);
    assert!(e.cwd.join("fine.txt").exists());
}

#[test]
fn setting_sources_limits_the_file_layers() {
    let e = env();
    e.project(json!({"permissions": {"allow": ["Bash(touch:*)"]}}));
    let mock = mock_running("touch a.txt");
    let out = e.run(&mock, &args(&["--setting-sources", ""]));
    assert_eq!(denials(&out), 1);
    assert!(!e.cwd.join("a.txt").exists());
    let mock = mock_running("touch b.txt");
    let out = e.run(&mock, &args(&["--setting-sources", "user,project"]));
    assert_eq!(denials(&out), 0);
    assert!(e.cwd.join("b.txt").exists());
    let mock = mock_running("touch c.txt");
    let out = e.run(&mock, &args(&["--setting-sources", "user,local"]));
    assert_eq!(denials(&out), 1);
}

#[test]
fn an_invalid_settings_file_warns_and_the_run_still_works() {
    let e = env();
    let bad = "{\n  \"permissions\": {\n    \"allow\": [\"Bash(touch:*)\",]\n  }\n}\n";
    e.write(&e.cwd.join(".claude/settings.json"), bad);
    e.user(json!({"permissions": {"allow": ["Bash(touch:*)"]}}));
    let mock = mock_running("touch still-works.txt");
    let out = e.run(&mock, JSON);
    let err = stderr(&out);
    assert!(err.contains(".claude/settings.json"), "{err}");
    assert!(err.contains("line 3"), "{err}");
    assert!(err.contains("column"), "{err}");
    // The valid user layer still applies; the broken file is left as it was.
    assert_eq!(denials(&out), 0);
    assert!(e.cwd.join("still-works.txt").exists());
    assert_eq!(
        std::fs::read_to_string(e.cwd.join(".claude/settings.json")).unwrap(),
        bad
    );
    // A wrongly typed value is reported and ignored, not widened.
    let e = env();
    e.local(json!({"permissions": {"allow": "Bash"}}));
    let mock = mock_running("touch typed.txt");
    let out = e.run(&mock, JSON);
    assert!(
        stderr(&out).contains("permissions.allow"),
        "{}",
        stderr(&out)
    );
    assert_eq!(denials(&out), 1);
    assert!(!e.cwd.join("typed.txt").exists());
}

#[test]
fn plan_mode_prevents_any_file_change() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "tool_use", "id": "toolu_a", "name": "Bash", "input": {"command": "touch a.txt"}}),
                json!({"type": "tool_use", "id": "toolu_b", "name": "Bash", "input": {"command": "echo x > b.txt"}}),
                json!({"type": "tool_use", "id": "toolu_c", "name": "Bash", "input": {"command": "ls && mkdir c"}}),
                json!({"type": "tool_use", "id": "toolu_d", "name": "ExitPlanMode", "input": {"plan": "write files"}}),
                json!({"type": "tool_use", "id": "toolu_e", "name": "Bash", "input": {"command": "ls"}}),
            ]))
            .reply(Reply::text("planned")),
    )
    .unwrap();
    let out = e.run(
        &mock,
        &args(&[
            "--permission-mode",
            "plan",
            "--allowedTools",
            "Bash(touch:*) Bash(mkdir:*)",
        ]),
    );
    let v = result(&out);
    assert_eq!(v["permission_denials"].as_array().unwrap().len(), 4, "{v}");
    for f in ["a.txt", "b.txt", "c"] {
        assert!(!e.cwd.join(f).exists(), "{f} was created in plan mode");
    }
    let req = mock.message_requests()[1].json.clone().unwrap();
    let results = req["messages"].as_array().unwrap().last().unwrap()["content"].clone();
    assert!(
        results[0]["content"]
            .as_str()
            .unwrap()
            .contains("Plan mode")
    );
    // Reading still works.
    assert_eq!(results[4]["is_error"], false, "{}", results[4]);
}

#[test]
fn accept_edits_from_settings_and_bypass_and_its_kill_switch() {
    let e = env();
    e.project(json!({"permissions": {"defaultMode": "acceptEdits"}}));
    let mock = mock_running("mkdir -p out && echo x > out/y.txt");
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 0);
    assert!(e.cwd.join("out/y.txt").exists());
    // Outside the project acceptEdits still asks (and print mode denies).
    let outside = e.root.join("outside.txt");
    let mock = mock_running(&format!("touch {}", outside.display()));
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 1);
    assert!(!outside.exists());
    // Bypass runs it (IS_SANDBOX=1: these tests may run as root), but not when settings
    // disable bypass mode.
    let sandbox = [("IS_SANDBOX", "1")];
    let mock = mock_running(&format!("touch {}", outside.display()));
    let out = e.run_with(&mock, &args(&["--dangerously-skip-permissions"]), &sandbox);
    assert_eq!(denials(&out), 0);
    assert!(outside.exists());
    e.local(json!({"permissions": {"disableBypassPermissionsMode": "disable"}}));
    let mock = mock_running("true");
    let out = e.run_with(
        &mock,
        &args(&["--permission-mode", "bypassPermissions"]),
        &sandbox,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("disableBypassPermissionsMode"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn is_sandbox_in_the_settings_env_counts_for_the_root_check() {
    // A settings `env` entry behaves like an exported variable (these tests may run as root).
    let e = env();
    e.user(json!({"env": {"IS_SANDBOX": "1"}}));
    let out = e.run(
        &mock_running("true"),
        &args(&["--dangerously-skip-permissions"]),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(denials(&out), 0);
}

#[test]
fn disallowed_tools_hide_a_tool_and_add_dir_extends_reads() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("hi"))).unwrap();
    let out = e.run(&mock, &args(&["--disallowedTools", "Bash"]));
    assert!(out.status.success(), "{}", stderr(&out));
    let tools: Vec<String> = mock.message_requests()[0].json.clone().unwrap()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_string())
        .collect();
    assert!(!tools.contains(&"Bash".to_string()), "{tools:?}");
    assert!(tools.contains(&"ExitPlanMode".to_string()), "{tools:?}");

    let extra = e.root.join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(extra.join("data.txt"), "secret-ish").unwrap();
    let cmd = format!("cat {}", extra.join("data.txt").display());
    let mock = mock_running(&cmd);
    let out = e.run(&mock, JSON);
    assert_eq!(
        denials(&out),
        1,
        "outside the working dirs without --add-dir"
    );
    let mock = mock_running(&cmd);
    let out = e.run(&mock, &args(&["--add-dir", extra.to_str().unwrap()]));
    assert_eq!(denials(&out), 0);
    assert_eq!(tool_result(&mock)["content"], "secret-ish");
    // A Read deny still applies inside an added directory.
    e.project(json!({"permissions": {"deny": ["Read(data.txt)"]}}));
    let mock = mock_running(&cmd);
    let out = e.run(&mock, &args(&["--add-dir", extra.to_str().unwrap()]));
    assert_eq!(denials(&out), 1);
}

#[test]
fn allow_always_writes_the_rule_and_the_next_identical_call_needs_no_question() {
    let e = env();
    let command = "touch made.txt && git init -q";
    // The interactive front end answers "yes, don't ask again" through the core API.
    let engine = PermissionEngine::new(PermissionConfig {
        mode: Mode::Default,
        cwd: e.cwd.clone(),
        local_settings_path: Some(e.cwd.join(".claude/settings.local.json")),
        ..Default::default()
    });
    let subject = Subject::bash(command, e.cwd.clone());
    let Decision::Ask { suggestions, .. } = engine.check("Bash", &subject) else {
        panic!("expected a question")
    };
    assert_eq!(suggestions, ["Bash(touch made.txt)", "Bash(git init *)"]);
    ccrs_core::settings::persist_always_allow(&engine, &suggestions).unwrap();
    {
        let d = engine.check("Bash", &subject);
        assert!(d.is_allow(), "{d:?}");
    }
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(e.cwd.join(".claude/settings.local.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["permissions"]["allow"], json!(suggestions));
    // The next session (the real binary) reads the saved rules: the same call runs.
    let mock = mock_running(command);
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 0, "{}", tool_result(&mock));
    assert!(e.cwd.join("made.txt").exists());
    assert!(e.cwd.join(".git").exists());
    // Saved rules are not wider than what was approved.
    let mock = mock_running("touch other.txt");
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 1);
    let _ = SourcedRule::new(RuleBehavior::Allow, "x", RuleSource::Session);
}

#[test]
fn claude_config_dir_replaces_the_home_settings() {
    let e = env();
    // ~/.claude is not read when CLAUDE_CONFIG_DIR points elsewhere.
    let other = e.root.join("other-config");
    std::fs::create_dir_all(&other).unwrap();
    e.user(json!({"permissions": {"allow": ["Bash(touch:*)"]}}));
    let mock = mock_running("touch x.txt");
    let out = e.run_with(
        &mock,
        JSON,
        &[("CLAUDE_CONFIG_DIR", other.to_str().unwrap())],
    );
    assert_eq!(denials(&out), 1);
    std::fs::write(
        other.join("settings.json"),
        r#"{"permissions":{"allow":["Bash(touch:*)"]}}"#,
    )
    .unwrap();
    let mock = mock_running("touch x.txt");
    let out = e.run_with(
        &mock,
        JSON,
        &[("CLAUDE_CONFIG_DIR", other.to_str().unwrap())],
    );
    assert_eq!(denials(&out), 0);
}

/// A mock whose model makes one call of `tool`, then says "done".
fn mock_calling(tool: &str, input: Value) -> MockServer {
    MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use_with_id("toolu_1", tool, input))
            .reply(Reply::text("done")),
    )
    .unwrap()
}

#[test]
fn file_tools_follow_modes_and_rules() {
    let e = env();
    let target = e.cwd.join("notes.md");
    let write = |path: &Path| json!({"file_path": path.to_str().unwrap(), "content": "hello\n"});
    // Plan mode: no file change, even with an Edit allow rule.
    let mock = mock_calling("Write", write(&target));
    let out = e.run(
        &mock,
        &args(&["--permission-mode", "plan", "--allowedTools", "Edit"]),
    );
    assert_eq!(denials(&out), 1);
    assert!(!target.exists());
    // Default mode in print mode: nobody to ask.
    let mock = mock_calling("Write", write(&target));
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 1);
    assert!(!target.exists());
    // acceptEdits: inside the project, yes; a protected path, no.
    let mock = mock_calling("Write", write(&target));
    let out = e.run(&mock, &args(&["--permission-mode", "acceptEdits"]));
    assert_eq!(denials(&out), 0, "{}", tool_result(&mock));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "hello\n");
    let hook = e.cwd.join(".git/hooks/pre-commit");
    let mock = mock_calling("Write", write(&hook));
    let out = e.run(&mock, &args(&["--permission-mode", "acceptEdits"]));
    assert_eq!(denials(&out), 1);
    assert!(!hook.exists());
    // An Edit rule from settings allows it in default mode; a deny for the same path wins.
    e.project(json!({"permissions": {"allow": ["Edit(docs/**)"]}}));
    let doc = e.cwd.join("docs/a.md");
    let mock = mock_calling("Write", write(&doc));
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 0, "{}", tool_result(&mock));
    assert!(doc.exists());
    e.local(json!({"permissions": {"deny": ["Edit(docs/secret.md)"]}}));
    let secret = e.cwd.join("docs/secret.md");
    let mock = mock_calling("Write", write(&secret));
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 1);
    assert!(!secret.exists());
    // Read: inside runs, a Read deny refuses.
    std::fs::write(e.cwd.join(".env"), "TOKEN=1").unwrap();
    let mock = mock_calling("Read", json!({"file_path": e.cwd.join("notes.md")}));
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 0);
    e.user(json!({"permissions": {"deny": ["Read(.env)"]}}));
    let mock = mock_calling("Read", json!({"file_path": e.cwd.join(".env")}));
    let out = e.run(&mock, JSON);
    assert_eq!(denials(&out), 1);
    let tr = tool_result(&mock);
    assert!(
        !tr["content"].as_str().unwrap_or("").contains("TOKEN"),
        "{tr}"
    );
}

/// `ccrs permissions explain`: the decision and what decided it, with the settings and flags in
/// force (the paths of the test's temporary directories replaced).
#[test]
fn permissions_explain_prints_the_decision_and_why() {
    let e = env();
    e.project(json!({"permissions": {
        "deny": ["Bash(rm -rf:*)", "Read(.env)"],
        "allow": ["Bash(npm test:*)"]
    }}));
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut shown = String::new();
    for (args, code) in [
        (
            &["permissions", "explain", "Bash", "/bin/rm -fr build"][..],
            1,
        ),
        (
            &["permissions", "explain", "Bash", "npm test && git status"][..],
            0,
        ),
        (
            &["permissions", "explain", "Bash", "echo ${x:-{}; ls; echo }"][..],
            2,
        ),
        (&["permissions", "explain", "Bash", "npm install"][..], 2),
        (&["permissions", "explain", "Read", ".env"][..], 1),
        (
            &[
                "permissions",
                "explain",
                "Write",
                ".git/hooks/pre-commit",
                "--permission-mode",
                "acceptEdits",
            ][..],
            2,
        ),
        (
            &[
                "permissions",
                "explain",
                "Bash",
                "{\"command\": \"make all\"}",
                "--allowedTools",
                "Bash(make:*)",
            ][..],
            0,
        ),
    ] {
        let out = e.run(&mock, args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {}", stderr(&out));
        shown.push_str(&format!("$ ccrs {}\n", args.join(" ")));
        shown.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    let shown = shown.replace(&e.root.display().to_string(), "<tmp>");
    insta::assert_snapshot!(shown);
    // The request never reached the model.
    assert!(mock.message_requests().is_empty());
}
