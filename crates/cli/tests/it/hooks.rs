//! Hooks through the real `ccrs` binary against the mock, in print mode and in a pty: each
//! test configures hooks in a settings file, lets the scripted model call a tool and looks at
//! what ran (files on disk), what the model was sent (captured requests) and what the user saw.
//! The expected texts are those Claude Code 2.1.197 produces for the same hooks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{
    Env, Tui, ccrs, ccrs_command, env, last_user_text, processes_with, stderr, stdout,
    tool_results, wait_requests, write,
};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Writes the project's `.claude/settings.json`.
fn settings(e: &Env, v: Value) {
    write(&e.cwd.join(".claude/settings.json"), &v.to_string());
}

/// An executable script under `.claude/hooks/`.
fn script(e: &Env, name: &str, body: &str) -> PathBuf {
    let p = e.cwd.join(".claude/hooks").join(name);
    write(&p, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// `{event: [{matcher, hooks: [command]}]}`.
fn one(event: &str, matcher: &str, command: &str) -> Value {
    json!({"hooks": {event: [{"matcher": matcher, "hooks": [{"type": "command", "command": command}]}]}})
}

fn bash(command: &str) -> Reply {
    Reply::tool_use(
        "Bash",
        json!({"command": command, "description": "test command"}),
    )
}

fn mock(replies: Vec<Reply>) -> MockServer {
    MockServer::start_blocking(
        Scenario::new()
            .replies(replies)
            .fallback(Reply::text("Done.")),
    )
    .unwrap()
}

fn result_json(o: &std::process::Output) -> Value {
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn exit_2_blocks_the_call_and_its_stderr_reaches_the_model() {
    let e = env();
    let hook = script(
        &e,
        "guard.sh",
        "cat > /dev/null\necho 'no touching today' >&2\nexit 2",
    );
    let mut s = one("PreToolUse", "Bash", &hook.display().to_string());
    s["permissions"] = json!({"allow": ["Bash(touch:*)"]});
    settings(&e, s);
    let m = mock(vec![bash("touch blocked.txt")]);
    let o = ccrs(&e, &m, &["-p", "go", "--output-format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!e.cwd.join("blocked.txt").exists(), "the call ran");
    let reqs = wait_requests(&m, 2);
    let r = &tool_results(&reqs[1])[0];
    assert_eq!(r["is_error"], true);
    assert_eq!(
        r["content"],
        format!(
            "PreToolUse:Bash hook error: [{}]: no touching today\n",
            hook.display()
        )
    );
    let res = result_json(&o);
    assert_eq!(res["permission_denials"][0]["tool_name"], "Bash");
}

#[test]
fn permission_decisions_deny_allow_and_ask_decide() {
    let decide = |d: &str| {
        format!(
            "cat >/dev/null; echo '{}'",
            json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": d, "permissionDecisionReason": format!("hook says {d}")}})
        )
    };
    // deny beats an allow rule; the reason is the result.
    let e = env();
    let mut s = one("PreToolUse", "Bash", &decide("deny"));
    s["permissions"] = json!({"allow": ["Bash(touch:*)"]});
    settings(&e, s);
    let m = mock(vec![bash("touch denied.txt")]);
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success());
    assert!(!e.cwd.join("denied.txt").exists());
    let r = &tool_results(&wait_requests(&m, 2)[1])[0];
    assert_eq!(
        (r["content"].as_str(), r["is_error"].as_bool()),
        (Some("hook says deny"), Some(true))
    );

    // allow skips the question print mode cannot ask: the write runs without a rule.
    let e = env();
    settings(&e, one("PreToolUse", "Bash", &decide("allow")));
    let m = mock(vec![bash("touch allowed.txt")]);
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success());
    assert!(e.cwd.join("allowed.txt").exists(), "{}", stderr(&o));

    // ... but not a deny rule.
    let e = env();
    let mut s = one("PreToolUse", "Bash", &decide("allow"));
    s["permissions"] = json!({"deny": ["Bash(touch:*)"]});
    settings(&e, s);
    let m = mock(vec![bash("touch ruled.txt")]);
    ccrs(&e, &m, &["-p", "go"]);
    assert!(!e.cwd.join("ruled.txt").exists());

    // ask asks even where a rule allows; print mode has nobody to ask, so it is refused.
    let e = env();
    let mut s = one("PreToolUse", "Bash", &decide("ask"));
    s["permissions"] = json!({"allow": ["Bash(touch:*)"]});
    settings(&e, s);
    let m = mock(vec![bash("touch asked.txt")]);
    ccrs(&e, &m, &["-p", "go"]);
    assert!(!e.cwd.join("asked.txt").exists());
    assert_eq!(tool_results(&wait_requests(&m, 2)[1])[0]["is_error"], true);
}

#[test]
fn updated_input_changes_the_command_that_runs() {
    let e = env();
    let out = json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow",
        "updatedInput": {"command": "touch replaced.txt", "description": "rewritten"}}});
    settings(
        &e,
        one(
            "PreToolUse",
            "Bash",
            &format!("cat >/dev/null; echo '{out}'"),
        ),
    );
    let m = mock(vec![bash("touch original.txt")]);
    let o = ccrs(
        &e,
        &m,
        &["-p", "go", "--output-format", "stream-json", "--verbose"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(e.cwd.join("replaced.txt").exists());
    assert!(!e.cwd.join("original.txt").exists());
    // An updated input that breaks the tool's schema is refused, not run.
    let e = env();
    let bad = json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow",
        "updatedInput": {"cmd": "touch bad.txt"}}});
    settings(
        &e,
        one(
            "PreToolUse",
            "Bash",
            &format!("cat >/dev/null; echo '{bad}'"),
        ),
    );
    let m = mock(vec![bash("touch original.txt")]);
    ccrs(&e, &m, &["-p", "go"]);
    let r = &tool_results(&wait_requests(&m, 2)[1])[0];
    assert!(
        r["content"]
            .as_str()
            .unwrap()
            .contains("the input a PreToolUse hook gave"),
        "{r}"
    );
    assert!(!e.cwd.join("bad.txt").exists() && !e.cwd.join("original.txt").exists());
}

#[test]
fn post_tool_use_context_and_blocks_reach_the_next_request() {
    let e = env();
    let log = e.cwd.join("post-input.json");
    let ctx = json!({"hookSpecificOutput": {"hookEventName": "PostToolUse", "additionalContext": "remember the tests"}});
    settings(
        &e,
        json!({"hooks": {"PostToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": format!("cat > {}; echo '{ctx}'", log.display())},
            {"type": "command", "command": "cat >/dev/null; echo '{\"decision\":\"block\",\"reason\":\"lint failed\"}'"}
        ]}]}}),
    );
    let m = mock(vec![bash("echo hi")]);
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reqs = wait_requests(&m, 2);
    let last = reqs[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let blocks = last["content"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "tool_result");
    assert_eq!(blocks[0]["content"], "hi");
    let texts: Vec<&str> = blocks[1..]
        .iter()
        .filter_map(|b| b["text"].as_str())
        .collect();
    assert!(texts.contains(
        &"<system-reminder>\nPostToolUse:Bash hook additional context: remember the tests\n</system-reminder>"
    ), "{texts:?}");
    assert!(
        texts.iter().any(
            |t| t.contains("PostToolUse:Bash hook blocking error from command:")
                && t.contains("lint failed")
        ),
        "{texts:?}"
    );
    // The input: Claude Code's fields, the tool's structured result as `tool_response`.
    let input: Value = serde_json::from_str(&std::fs::read_to_string(&log).unwrap()).unwrap();
    assert_eq!(input["hook_event_name"], "PostToolUse");
    assert_eq!(input["tool_name"], "Bash");
    assert_eq!(input["tool_input"]["command"], "echo hi");
    assert_eq!(input["tool_response"]["stdout"], "hi");
    assert_eq!(input["permission_mode"], "default");
    assert_eq!(input["cwd"], e.cwd.display().to_string());
    assert!(input["tool_use_id"].as_str().unwrap().starts_with("toolu_"));
    assert!(
        input["transcript_path"]
            .as_str()
            .unwrap()
            .ends_with(".jsonl")
    );
}

#[test]
fn user_prompt_submit_blocks_a_prompt_or_adds_context() {
    let e = env();
    settings(
        &e,
        one(
            "UserPromptSubmit",
            "",
            "cat >/dev/null; echo '{\"decision\":\"block\",\"reason\":\"no secrets in prompts\"}'",
        ),
    );
    let m = mock(vec![]);
    let o = ccrs(&e, &m, &["-p", "my password is hunter2"]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&o),
        "UserPromptSubmit operation blocked by hook:\nno secrets in prompts\n\nOriginal prompt: my password is hunter2\n"
    );
    assert!(m.message_requests().is_empty(), "the prompt was sent");
    let o = ccrs(&e, &m, &["-p", "again", "--output-format", "json"]);
    let res = result_json(&o);
    assert_eq!(
        (res["subtype"].as_str(), res["num_turns"].as_u64()),
        (Some("success"), Some(0))
    );

    let e = env();
    settings(
        &e,
        one(
            "UserPromptSubmit",
            "",
            "cat >/dev/null; echo 'Sprint ends Friday.'",
        ),
    );
    let m = mock(vec![]);
    let o = ccrs(&e, &m, &["-p", "what is due?"]);
    assert!(o.status.success());
    let req = &wait_requests(&m, 1)[0];
    let text = last_user_text(req);
    assert!(text.starts_with("what is due?"), "{text}");
    assert!(
        text.contains("<system-reminder>\nUserPromptSubmit hook success: Sprint ends Friday.\n</system-reminder>"),
        "{text}"
    );
}

#[test]
fn a_stop_hook_that_blocks_continues_the_loop() {
    let e = env();
    let flag = e.cwd.join("stopped-once");
    let log = e.cwd.join("stop-inputs");
    settings(
        &e,
        one(
            "Stop",
            "",
            &format!(
                "cat >> {log}; echo >> {log}; [ -e {flag} ] && exit 0; touch {flag}; echo '{{\"decision\":\"block\",\"reason\":\"run the tests first\"}}'",
                log = log.display(),
                flag = flag.display()
            ),
        ),
    );
    let m = mock(vec![Reply::text("first answer"), Reply::text("tests pass")]);
    let o = ccrs(&e, &m, &["-p", "go", "--output-format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reqs = wait_requests(&m, 2);
    assert_eq!(
        last_user_text(&reqs[1]),
        "Stop hook feedback:\nrun the tests first"
    );
    let res = result_json(&o);
    assert_eq!(res["result"], "tests pass");
    assert_eq!(res["num_turns"], 2);
    let inputs: Vec<Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(inputs.len(), 2);
    assert_eq!(inputs[0]["stop_hook_active"], false);
    assert_eq!(inputs[0]["last_assistant_message"], "first answer");
    assert_eq!(inputs[1]["stop_hook_active"], true);
}

#[test]
fn a_stop_hook_that_always_blocks_is_cut_off() {
    let e = env();
    settings(
        &e,
        one(
            "Stop",
            "",
            "cat >/dev/null; echo '{\"decision\":\"block\",\"reason\":\"more\"}'",
        ),
    );
    let m = MockServer::start_blocking(Scenario::new().fallback(Reply::text("again"))).unwrap();
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success());
    // The prompt's request and 8 continuations, as Claude Code 2.1 caps it.
    assert_eq!(m.message_requests().len(), 9);
    assert!(
        stderr(&o).contains("blocked stopping 8 times"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn continue_false_ends_the_run_with_its_reason() {
    let e = env();
    settings(
        &e,
        one(
            "PostToolUse",
            "Bash",
            "cat >/dev/null; echo '{\"continue\":false,\"stopReason\":\"build broke\"}'",
        ),
    );
    let m = mock(vec![bash("echo hi"), Reply::text("never")]);
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success());
    assert_eq!(m.message_requests().len(), 1);
    assert!(
        stderr(&o).contains("stopped by a hook: build broke"),
        "{}",
        stderr(&o)
    );
    let m = mock(vec![bash("echo hi"), Reply::text("never")]);
    let o = ccrs(&e, &m, &["-p", "go", "--output-format", "json"]);
    let res = result_json(&o);
    assert_eq!(res["terminal_reason"], "hook_stopped");
    assert_eq!(
        (res["subtype"].as_str(), res["is_error"].as_bool()),
        (Some("success"), Some(false))
    );
}

#[test]
fn a_hanging_hook_is_killed_at_its_timeout_with_its_children() {
    let e = env();
    settings(
        &e,
        json!({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
            {"type": "command", "command": "sleep 987.61 & sleep 987.62", "timeout": 1}
        ]}]}}),
    );
    let m = mock(vec![bash("echo still runs")]);
    let started = Instant::now();
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success());
    // Killed at 1 s, far from the 987 s it would sleep.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(
        stderr(&o).contains("PreToolUse:Bash hook error: `sleep 987.61 & sleep 987.62` timed out after 1 s and was stopped"),
        "{}",
        stderr(&o)
    );
    // A timeout is not a block: the call ran.
    let r = &tool_results(&wait_requests(&m, 2)[1])[0];
    assert_eq!(r["content"], "still runs");
    // SIGKILLed at the timeout; under load the kernel may take a moment to tear them down.
    let gone_by = Instant::now() + Duration::from_secs(5);
    while !processes_with("sleep 987.6").is_empty() && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        processes_with("sleep 987.6").is_empty(),
        "{:?}",
        processes_with("sleep 987.6")
    );
}

#[test]
fn a_hook_dies_with_ccrs_when_ccrs_is_killed() {
    let e = env();
    settings(&e, one("PreToolUse", "Bash", "sleep 987.71 & sleep 987.72"));
    let m = mock(vec![bash("echo hi")]);
    let mut child = ccrs_command(&e.home, &e.cwd, &m)
        .args(["-p", "go"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    while processes_with("sleep 987.72").is_empty() {
        assert!(Instant::now() < until, "the hook never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while !processes_with("sleep 987.7").is_empty() {
        assert!(
            Instant::now() < until,
            "orphans: {:?}",
            processes_with("sleep 987.7")
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn failures_are_reported_and_never_fatal() {
    let e = env();
    settings(
        &e,
        json!({"hooks": {"PreToolUse": [{"matcher": "*", "hooks": [
            {"type": "command", "command": "/nonexistent/hook.sh"},
            {"type": "command", "command": "cat >/dev/null; echo '{not json'"},
            {"type": "command", "command": "cat >/dev/null; echo '{\"systemMessage\":\"lint is slow today\"}'"},
            {"type": "command", "command": "cat >/dev/null; echo oops >&2; exit 1"}
        ]}]}}),
    );
    let m = mock(vec![bash("echo fine")]);
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "Done.\n");
    let err = stderr(&o);
    for needle in [
        "PreToolUse:Bash hook error: `/nonexistent/hook.sh` failed with status 127",
        "PreToolUse:Bash hook `cat >/dev/null; echo '{not json'` printed invalid JSON",
        "ccrs: lint is slow today",
        "PreToolUse:Bash hook error: `cat >/dev/null; echo oops >&2; exit 1` failed with status 1: oops",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
    assert_eq!(tool_results(&wait_requests(&m, 2)[1])[0]["content"], "fine");
}

#[test]
fn hooks_run_in_parallel_once_each_with_the_project_dir() {
    let e = env();
    let d = e.cwd.display();
    // Each waits for the other's mark: they finish only if they run at the same time.
    let waits = |me: &str, other: &str| {
        format!(
            "cat >/dev/null; touch {d}/{me}; i=0; while [ ! -e {d}/{other} ]; do i=$((i+1)); [ $i -gt 100 ] && exit 1; sleep 0.05; done; echo ok >> {d}/both"
        )
    };
    let same = "cat >/dev/null; echo \"$CLAUDE_PROJECT_DIR\" >> \"$CLAUDE_PROJECT_DIR/dup\"";
    settings(
        &e,
        json!({"hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": waits("a", "b")}, {"type": "command", "command": same}]},
            {"matcher": "Ba.*", "hooks": [{"type": "command", "command": waits("b", "a")}, {"type": "command", "command": same}]}
        ]}}),
    );
    let m = mock(vec![bash("echo hi")]);
    let o = ccrs(
        &e,
        &m,
        &["-p", "go", "--debug", "hooks", "--debug-file", "debug.log"],
    );
    assert!(o.status.success());
    assert!(!stderr(&o).contains("hook error"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(e.cwd.join("both")).unwrap(),
        "ok\nok\n"
    );
    // Identical commands ran once, with CLAUDE_PROJECT_DIR set.
    assert_eq!(
        std::fs::read_to_string(e.cwd.join("dup")).unwrap(),
        format!("{d}\n")
    );
    // Every run is in the debug log: event, command, exit, time.
    let log = std::fs::read_to_string(e.cwd.join("debug.log")).unwrap();
    let runs: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("PreToolUse:Bash `"))
        .collect();
    assert_eq!(runs.len(), 3, "{log}");
    assert!(
        runs.iter().all(|l| l.contains("success, exit 0 in ")),
        "{log}"
    );
}

#[test]
fn a_real_world_settings_shape_loads_and_fires() {
    // The layout of public projects' settings (claude-code-hooks-mastery, coordinationhub):
    // every event, empty and missing matchers, `$CLAUDE_PROJECT_DIR` paths, `timeout`,
    // `statusMessage`, documentation `description` keys, an MCP matcher; our own scripts.
    let e = env();
    script(
        &e,
        "log.sh",
        "{ sed -n 's/.*\"hook_event_name\":\"\\([A-Za-z]*\\)\".*/\\1/p'; echo; } >> \"$CLAUDE_PROJECT_DIR/events.log\"",
    );
    let h = |t: Option<u64>| {
        let mut v =
            json!({"type": "command", "command": "$CLAUDE_PROJECT_DIR/.claude/hooks/log.sh"});
        if let Some(t) = t {
            v["timeout"] = json!(t);
            v["statusMessage"] = json!("Logging");
        }
        v
    };
    settings(
        &e,
        json!({
            "permissions": {"allow": ["Bash(mkdir:*)", "Bash(ls:*)"], "deny": []},
            "statusLine": {"type": "command", "command": "echo status", "padding": 0},
            "hooks": {
                "PreToolUse": [{"matcher": "", "hooks": [h(None)]}],
                "PostToolUse": [
                    {"matcher": "Write|Edit", "description": "format after edits", "hooks": [h(Some(5))]},
                    {"matcher": "", "hooks": [h(Some(5))]},
                    {"matcher": "mcp__stele-context__index", "hooks": [h(Some(5))]}
                ],
                "Notification": [{"matcher": "", "hooks": [h(None)]}],
                "Stop": [{"matcher": "", "hooks": [h(None), {"type": "command", "command": "true"}]}],
                "SubagentStop": [{"matcher": "", "hooks": [h(None)]}],
                "UserPromptSubmit": [{"hooks": [h(None)]}],
                "PreCompact": [{"matcher": "", "hooks": [h(None)]}],
                "SessionStart": [{"matcher": "", "hooks": [h(Some(10))]}],
                "SessionEnd": [{"matcher": "", "hooks": [h(Some(10))]}]
            }
        }),
    );
    let m = mock(vec![bash("mkdir made")]);
    let o = ccrs(&e, &m, &["-p", "go"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "warnings for a valid file");
    assert!(e.cwd.join("made").is_dir());
    let events = std::fs::read_to_string(e.cwd.join("events.log")).unwrap();
    assert_eq!(
        events.lines().collect::<Vec<_>>(),
        [
            "SessionStart",
            "UserPromptSubmit",
            "PreToolUse",
            "PostToolUse",
            "Stop",
            "SessionEnd"
        ]
    );
}

#[test]
fn hooks_from_every_layer_and_the_settings_flag() {
    let e = env();
    let mark = |n: &str| format!("cat >/dev/null; echo {n} >> \"$CLAUDE_PROJECT_DIR/layers\"");
    write(
        &e.home.join(".claude/settings.json"),
        &one("PreToolUse", "Bash", &mark("user")).to_string(),
    );
    settings(&e, one("PreToolUse", "Bash", &mark("project")));
    write(
        &e.cwd.join(".claude/settings.local.json"),
        &one("PreToolUse", "Bash", &mark("local")).to_string(),
    );
    let flag = one("PreToolUse", "Bash", &mark("flag")).to_string();
    let m = mock(vec![bash("echo hi")]);
    let o = ccrs(&e, &m, &["-p", "go", "--settings", &flag]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut got: Vec<String> = std::fs::read_to_string(e.cwd.join("layers"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    got.sort();
    assert_eq!(got, ["flag", "local", "project", "user"]);
    // disableAllHooks turns them off.
    std::fs::remove_file(e.cwd.join("layers")).unwrap();
    write(
        &e.cwd.join(".claude/settings.local.json"),
        r#"{"disableAllHooks": true}"#,
    );
    let m = mock(vec![bash("echo hi")]);
    ccrs(&e, &m, &["-p", "go"]);
    assert!(!e.cwd.join("layers").exists());
}

#[test]
fn invalid_hook_settings_are_named_once() {
    let e = env();
    settings(
        &e,
        json!({"hooks": {
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "prompt", "prompt": "safe?"}]}],
            "TeammateIdle": [{"hooks": [{"type": "command", "command": "true"}]}]
        }}),
    );
    let m = mock(vec![]);
    let o = ccrs(&e, &m, &["-p", "hi"]);
    let err = stderr(&o);
    assert!(
        err.contains("hooks.PreToolUse[0].hooks[0]: \"type\": \"prompt\" hooks are not supported by this version of ccrs yet; the hook was ignored"),
        "{err}"
    );
    assert!(
        err.contains("hooks.TeammateIdle is not supported by this version of ccrs yet; ignored"),
        "{err}"
    );
}

#[test]
fn in_the_terminal_a_blocking_hook_gates_the_call_and_ask_asks() {
    let e = env();
    let out = json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask", "permissionDecisionReason": "the hook wants a human"}});
    settings(
        &e,
        json!({
            "permissions": {"allow": ["Bash(touch:*)"]},
            "statusLine": {"type": "command", "command": "cat >/dev/null; echo 'my status line'"},
            "hooks": {"PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "$CLAUDE_PROJECT_DIR/.claude/hooks/gate.sh"}]}
            ]}
        }),
    );
    script(
        &e,
        "gate.sh",
        &format!(
            "cat >/dev/null; [ -e asked ] || {{ touch asked; echo '{out}'; exit 0; }}; echo 'second call blocked' >&2; exit 2"
        ),
    );
    let m = mock(vec![bash("touch first.txt"), bash("touch second.txt")]);
    let mut t = Tui::start(&e, &m);
    t.wait_text("my status line");
    t.submit("make the files");
    t.wait_text("the hook wants a human");
    t.answer("1");
    t.wait_for(|s| s.contains("second call blocked"));
    t.wait_idle();
    assert!(e.cwd.join("first.txt").exists());
    assert!(!e.cwd.join("second.txt").exists());
    let r = &tool_results(&wait_requests(&m, 3)[2])[0];
    assert_eq!(r["is_error"], true);
    assert!(
        r["content"]
            .as_str()
            .unwrap()
            .contains("second call blocked")
    );
    // `/hooks` shows what is in force and where it comes from.
    t.submit("/hooks");
    let screen = t.wait_text("Hooks (1)");
    assert!(
        screen.contains("PreToolUse [Bash] $CLAUDE_PROJECT_DIR/.claude/hooks/gate.sh (600 s"),
        "{screen}"
    );
}

#[test]
fn stream_json_reports_hook_runs_like_claude_code() {
    let e = env();
    settings(
        &e,
        json!({"permissions": {"allow": ["Bash(echo:*)"]}, "hooks": {
            "SessionStart": [{"hooks": [{"type": "command", "command": "cat >/dev/null; echo start-ctx"}]}],
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "cat >/dev/null; echo out; echo err >&2"}]}]
        }}),
    );
    let lines = |args: &[&str]| -> Vec<Value> {
        let m = mock(vec![bash("echo hi")]);
        let mut a = vec!["-p", "go", "--output-format", "stream-json", "--verbose"];
        a.extend_from_slice(args);
        let o = ccrs(&e, &m, &a);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| {
                v["subtype"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("hook_"))
            })
            .collect()
    };
    // By default only SessionStart's runs are reported (as Claude Code 2.1.197 does).
    let by_default = lines(&[]);
    assert_eq!(by_default.len(), 2, "{by_default:?}");
    let (started, response) = (&by_default[0], &by_default[1]);
    assert_eq!(started["subtype"], "hook_started");
    assert_eq!(started["hook_name"], "SessionStart:startup");
    assert_eq!(started["hook_event"], "SessionStart");
    assert_eq!(response["hook_id"], started["hook_id"]);
    assert_eq!(response["subtype"], "hook_response");
    assert_eq!(response["output"], "start-ctx\n");
    assert_eq!(response["exit_code"], 0);
    assert_eq!(response["outcome"], "success");

    let all = lines(&["--include-hook-events"]);
    let pre: Vec<&Value> = all
        .iter()
        .filter(|v| v["hook_name"] == "PreToolUse:Bash")
        .collect();
    assert_eq!(pre.len(), 2, "{all:?}");
    assert_eq!(pre[1]["stdout"], "out\n");
    assert_eq!(pre[1]["stderr"], "err\n");
    assert_eq!(pre[1]["output"], "out\nerr\n");
}

#[test]
fn pre_compact_hooks_add_instructions_or_block_the_compaction() {
    use ccrs_mock::UsageSpec;
    let big = UsageSpec {
        input_tokens: Some(40_000),
        output_tokens: Some(100),
        ..Default::default()
    };
    // A 100k window at 50 %: the Read's 40k tokens trigger an automatic compaction.
    let small_window = [
        ("CLAUDE_AUTOCOMPACT_PCT_OVERRIDE", "50"),
        ("CLAUDE_CODE_AUTO_COMPACT_WINDOW", "100000"),
    ];
    let e = env();
    write(&e.cwd.join("a.txt"), "a line\n");
    let read = || Reply::tool_use("Read", json!({"file_path": e.cwd.join("a.txt")}));
    settings(
        &e,
        one(
            "PreCompact",
            "auto",
            "cat > \"$CLAUDE_PROJECT_DIR/pre.json\"; echo 'Keep the file names.'",
        ),
    );
    let m = MockServer::start_blocking(Scenario::new().replies([
        read().usage(big),
        Reply::text("<summary>S</summary>"),
        Reply::text("done"),
    ]))
    .unwrap();
    let o = crate::common::ccrs_in(&e.home, &e.cwd, &m, &["-p", "read a.txt"], &small_window);
    assert!(o.status.success(), "{}", stderr(&o));
    let input: Value =
        serde_json::from_str(&std::fs::read_to_string(e.cwd.join("pre.json")).unwrap()).unwrap();
    assert_eq!(input["hook_event_name"], "PreCompact");
    assert_eq!(input["trigger"], "auto");
    let reqs = wait_requests(&m, 3);
    assert!(
        reqs[1].to_string().contains("Keep the file names."),
        "the summary request carries the hook's instructions"
    );

    // exit 2 blocks it: no summary request, the user is told why.
    settings(
        &e,
        one(
            "PreCompact",
            "*",
            "cat >/dev/null; echo 'not now' >&2; exit 2",
        ),
    );
    let m = MockServer::start_blocking(
        Scenario::new().replies([read().usage(big), Reply::text("done")]),
    )
    .unwrap();
    let o = crate::common::ccrs_in(&e.home, &e.cwd, &m, &["-p", "read a.txt"], &small_window);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("Compaction blocked by a PreCompact hook")
            && stderr(&o).contains("not now"),
        "{}",
        stderr(&o)
    );
    assert_eq!(m.message_requests().len(), 2);
    assert_eq!(stdout(&o).trim(), "done");
}

/// A resumed session (`-c`) runs SessionStart hooks with source `resume`, a new one `startup`.
#[test]
fn session_start_says_whether_the_session_was_resumed() {
    let e = env();
    let log = e.cwd.join("starts.log");
    let hook = script(
        &e,
        "start.sh",
        &format!("grep -o '\"source\":\"[a-z]*\"' >> '{}'", log.display()),
    );
    settings(&e, one("SessionStart", "", &hook.display().to_string()));
    let m = mock(vec![]);
    for args in [&["-p", "first"][..], &["-p", "-c", "second"][..]] {
        let o = ccrs(&e, &m, args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let starts = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        starts.lines().collect::<Vec<_>>(),
        ["\"source\":\"startup\"", "\"source\":\"resume\""],
        "{starts}"
    );
}
