//! Bash, BashOutput and KillShell called directly, as the agent loop calls them (schema check,
//! then `call`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::common::Harness;
use ccrs_core::agent::Outcome;
use ccrs_core::events::AgentEvent;
use ccrs_core::permissions::RuleBehavior;
use ccrs_core::tools::{Subject, ToolContext, ToolOutput, ToolRegistry, schema};
use ccrs_mock::{Reply, Scenario};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ctx() -> (tempfile::TempDir, ToolContext) {
    let d = tempfile::tempdir().unwrap();
    let c = ToolContext::for_tests(d.path());
    (d, c)
}

async fn call(tool: &str, ctx: &ToolContext, input: Value) -> ToolOutput {
    let reg = ToolRegistry::builtin();
    let t = reg.get(tool).unwrap_or_else(|| panic!("no tool {tool}"));
    let problems = schema::validate(&t.input_schema(), &input);
    assert!(problems.is_empty(), "{tool} rejected {input}: {problems:?}");
    t.call(input, ctx).await
}

async fn bash(ctx: &ToolContext, command: &str) -> ToolOutput {
    call(
        "Bash",
        ctx,
        json!({"command": command, "description": "test"}),
    )
    .await
}

fn canon(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap()
}

pub(crate) fn wait_for_pids(file: &Path, n: usize) -> Vec<u32> {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(s) = std::fs::read_to_string(file) {
            let pids: Vec<u32> = s.lines().filter_map(|l| l.trim().parse().ok()).collect();
            if pids.len() >= n {
                return pids;
            }
        }
        assert!(Instant::now() < until, "pids never written to {file:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// True once the process is gone or a zombie (dead, waiting for a reaper that may be a
/// container's PID 1 which never reaps).
pub(crate) fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z')),
    }
}

pub(crate) fn wait_dead(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(5);
    while Instant::now() < until {
        if is_dead(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn kill(pid: u32) {
    let _ = std::process::Command::new("kill")
        .arg("-9")
        .arg(pid.to_string())
        .status();
}

#[tokio::test]
async fn echo_and_structured_result() {
    let (_d, c) = ctx();
    let out = bash(&c, "echo hello").await;
    assert_eq!(out.text(), "hello");
    assert!(!out.is_error);
    assert_eq!(
        out.structured,
        Some(
            json!({"stdout": "hello", "stderr": "", "interrupted": false, "isImage": false, "noOutputExpected": false})
        )
    );
}

#[tokio::test]
async fn stdout_and_stderr_are_merged_in_order() {
    let (_d, c) = ctx();
    let out = bash(&c, "echo out; echo err >&2; echo out2; echo err2 >&2").await;
    assert_eq!(out.text(), "out\nerr\nout2\nerr2");
}

#[tokio::test]
async fn output_is_trimmed() {
    let (_d, c) = ctx();
    let out = bash(&c, "printf '\\n\\n  x\\ny  \\n\\n'").await;
    assert_eq!(out.text(), "  x\ny");
}

#[tokio::test]
async fn nonzero_exit_is_an_error_with_code() {
    let (_d, c) = ctx();
    let out = bash(&c, "echo partial; exit 3").await;
    assert!(out.is_error);
    assert_eq!(out.text(), "Exit code 3\npartial");
    let out = bash(&c, "exit 7").await;
    assert_eq!(out.text(), "Exit code 7");
}

#[tokio::test]
async fn exit_1_of_grep_test_diff_is_not_an_error() {
    let (d, c) = ctx();
    std::fs::write(d.path().join("f.txt"), "alpha\n").unwrap();
    let out = bash(&c, "grep nomatch f.txt").await;
    assert!(!out.is_error, "{}", out.text());
    assert_eq!(out.text(), "(no matches; exit code 1)");
    let out = bash(&c, "[ -f missing ]").await;
    assert!(!out.is_error);
    assert_eq!(out.text(), "(condition is false; exit code 1)");
    // Compound commands keep the plain rule.
    let out = bash(&c, "grep nomatch f.txt && echo found").await;
    assert!(out.is_error);
    assert_eq!(out.text(), "Exit code 1");
    // Exit 2 of grep is a real error.
    let out = bash(&c, "grep x no-such-file").await;
    assert!(out.is_error);
    assert!(out.text().starts_with("Exit code 2\n"), "{}", out.text());
}

#[tokio::test]
async fn no_output_has_a_marker() {
    let (_d, c) = ctx();
    let out = bash(&c, "true").await;
    assert!(!out.is_error);
    assert_eq!(out.text(), "(no output)");
}

#[tokio::test]
async fn death_by_signal_is_reported() {
    let (_d, c) = ctx();
    let out = bash(&c, "echo before; kill -9 $$").await;
    assert!(out.is_error);
    assert_eq!(out.text(), "Exit code 137 (killed by SIGKILL)\nbefore");
}

#[tokio::test]
async fn cd_persists_across_calls_even_through_exit() {
    let (d, c) = ctx();
    std::fs::create_dir_all(d.path().join("sub/deeper")).unwrap();
    let out = bash(&c, "cd sub").await;
    assert!(!out.is_error, "{}", out.text());
    let out = bash(&c, "pwd").await;
    assert_eq!(PathBuf::from(out.text()), canon(&d.path().join("sub")));
    let out = bash(&c, "cd deeper; exit 0").await;
    assert!(!out.is_error);
    let out = bash(&c, "pwd -P").await;
    assert_eq!(
        PathBuf::from(out.text()),
        canon(&d.path().join("sub/deeper"))
    );
    // A failing command's cd sticks too.
    let out = bash(&c, "cd ..; exit 4").await;
    assert!(out.is_error);
    assert_eq!(
        PathBuf::from(bash(&c, "pwd").await.text()),
        canon(&d.path().join("sub"))
    );
    // The permission subject follows the shell's cwd.
    let reg = ToolRegistry::builtin();
    let subj = reg
        .get("Bash")
        .unwrap()
        .subject(&json!({"command": "ls"}), &c);
    assert_eq!(subj, Subject::bash("ls", canon(&d.path().join("sub"))));
}

#[tokio::test]
async fn cwd_outside_the_project_is_reset_with_a_note() {
    let (d, c) = ctx();
    let out = bash(&c, "cd / && echo moved").await;
    assert!(!out.is_error);
    assert_eq!(
        out.text(),
        format!("moved\nShell cwd was reset to {}", d.path().display())
    );
    assert_eq!(
        PathBuf::from(bash(&c, "pwd -P").await.text()),
        canon(d.path())
    );
}

#[tokio::test]
async fn deleted_cwd_falls_back_to_project_dir() {
    let (d, c) = ctx();
    std::fs::create_dir(d.path().join("gone")).unwrap();
    bash(&c, "cd gone").await;
    std::fs::remove_dir(d.path().join("gone")).unwrap();
    let out = bash(&c, "pwd -P").await;
    assert!(!out.is_error, "{}", out.text());
    let text = out.text();
    let mut lines = text.lines();
    assert_eq!(PathBuf::from(lines.next().unwrap()), canon(d.path()));
    assert!(
        lines.next().unwrap().starts_with("Shell cwd was reset to "),
        "{text}"
    );
}

#[tokio::test]
async fn exported_variables_do_not_persist() {
    let (_d, c) = ctx();
    bash(&c, "export CCRS_TEST_X=1").await;
    let out = bash(&c, "echo \"x=${CCRS_TEST_X:-unset}\"").await;
    assert_eq!(out.text(), "x=unset");
}

#[tokio::test]
async fn stdin_is_closed() {
    let (_d, c) = ctx();
    let t = Instant::now();
    let out = bash(&c, "read x; echo \"got:$x\"").await;
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(out.text(), "got:");
}

#[tokio::test]
async fn claudecode_and_settings_env_are_set() {
    let (_d, mut c) = ctx();
    c.env = Arc::new(vec![("CCRS_SETTING".into(), "from settings".into())]);
    let out = bash(&c, "echo \"$CLAUDECODE|$CCRS_SETTING|${HOME:+home}\"").await;
    assert_eq!(out.text(), "1|from settings|home");
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let (d, c) = ctx();
    let pids = d.path().join("pids");
    let t = Instant::now();
    let out = call(
        "Bash",
        &c,
        json!({
            "command": format!("echo started; sleep 1000 & echo $! > {p}; echo $$ >> {p}; sleep 1000", p = pids.display()),
            "timeout": 500
        }),
    )
    .await;
    let elapsed = t.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(out.is_error);
    assert_eq!(out.text(), "started\nCommand timed out after 0.5s");
    assert_eq!(out.structured.as_ref().unwrap()["interrupted"], true);
    for pid in wait_for_pids(&pids, 2) {
        assert!(wait_dead(pid), "process {pid} survived the timeout");
    }
}

#[tokio::test]
async fn cancellation_kills_promptly() {
    let (d, c) = ctx();
    let pids = d.path().join("pids");
    let command = format!(
        "echo partial; sleep 1000 & echo $! > {p}; echo $$ >> {p}; sleep 1000",
        p = pids.display()
    );
    let cancelled_at = std::sync::Mutex::new(None);
    let (out, finished_at) = tokio::join!(
        async {
            let o = call("Bash", &c, json!({"command": command})).await;
            (o, Instant::now())
        },
        async {
            tokio::time::sleep(Duration::from_millis(400)).await;
            *cancelled_at.lock().unwrap() = Some(Instant::now());
            c.cancel.cancel();
        }
    )
    .0;
    let lag = finished_at - cancelled_at.lock().unwrap().unwrap();
    eprintln!("cancel lag: {lag:?}");
    assert!(
        lag < Duration::from_millis(250),
        "took {lag:?} after cancel"
    );
    assert!(out.is_error);
    assert_eq!(
        out.text(),
        "partial\n<error>Command was aborted before completion</error>"
    );
    for pid in wait_for_pids(&pids, 2) {
        assert!(wait_dead(pid), "process {pid} survived cancellation");
    }
}

#[tokio::test]
async fn background_children_holding_the_pipe_do_not_block() {
    let (d, c) = ctx();
    let pids = d.path().join("pids");
    let t = Instant::now();
    let out = bash(
        &c,
        &format!("sleep 30 & echo $! > {}; echo done", pids.display()),
    )
    .await;
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert_eq!(out.text(), "done");
    // The child was left running (as a shell would), not killed...
    let pid = wait_for_pids(&pids, 1)[0];
    std::thread::sleep(Duration::from_millis(100));
    assert!(!is_dead(pid));
    // ...until the session ends.
    c.session.shells.kill_all();
    let dead = wait_dead(pid);
    if !dead {
        kill(pid);
    }
    assert!(
        dead,
        "process {pid} left by a foreground command survived kill_all"
    );
}

#[tokio::test]
async fn long_output_keeps_head_and_tail() {
    let (_d, c) = ctx();
    let out = bash(&c, "seq 1 20000").await;
    let text = out.text();
    let full: String = (1..=20000).map(|i| format!("{i}\n")).collect();
    let full = full.trim_end();
    assert!(text.starts_with(&full[..15_000]), "{}", &text[..100]);
    assert!(text.ends_with(&full[full.len() - 15_000..]));
    let omitted = full.chars().count() - 30_000;
    assert!(
        text.contains(&format!("\n\n... [{omitted} characters truncated] ...\n\n")),
        "{}",
        &text[14_990..15_100]
    );
    assert_eq!(
        text.chars().count(),
        30_000 + format!("\n\n... [{omitted} characters truncated] ...\n\n").len()
    );
}

#[tokio::test]
async fn output_cap_follows_settings_env() {
    let (_d, mut c) = ctx();
    c.env = Arc::new(vec![("BASH_MAX_OUTPUT_LENGTH".into(), "100".into())]);
    let out = bash(&c, "seq 1 1000").await;
    assert!(out.text().starts_with("1\n2\n3\n"));
    assert!(out.text().ends_with("999\n1000"));
    assert!(out.text().contains("characters truncated"));
}

#[tokio::test]
async fn background_run_incremental_reads_and_exit_code() {
    let (d, c) = ctx();
    let out = call(
        "Bash",
        &c,
        json!({
            "command": "echo first; while [ ! -f go ]; do sleep 0.02; done; echo second; exit 5",
            "run_in_background": true
        }),
    )
    .await;
    assert!(!out.is_error);
    let text = out.text();
    let id = text
        .strip_prefix("Command running in background with ID: ")
        .unwrap_or_else(|| panic!("{text}"))
        .to_string();
    assert_eq!(out.structured.as_ref().unwrap()["backgroundTaskId"], id);

    // Poll until the first part shows up.
    let until = Instant::now() + Duration::from_secs(10);
    let first = loop {
        let o = call("BashOutput", &c, json!({"bash_id": id})).await;
        assert!(!o.is_error, "{}", o.text());
        if o.text().contains("<stdout>") {
            break o.text();
        }
        assert!(
            o.text()
                .starts_with("<status>running</status>\n\n<timestamp>")
        );
        assert!(Instant::now() < until, "no output");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        first.starts_with("<status>running</status>\n\n<stdout>\nfirst\n</stdout>\n\n<timestamp>"),
        "{first}"
    );
    assert!(!first.contains("second"));

    std::fs::write(d.path().join("go"), "").unwrap();
    // TaskOutput with task_id blocks until the shell is done.
    let o = call(
        "TaskOutput",
        &c,
        json!({"task_id": id, "block": true, "timeout": 10000}),
    )
    .await;
    let t = o.text();
    assert!(
        t.starts_with("<status>failed</status>\n\n<exit_code>5</exit_code>\n\n<stdout>\nsecond\n</stdout>\n\n<timestamp>"),
        "{t}"
    );
    assert!(!t.contains("first"));
    let s = o.structured.unwrap();
    assert_eq!(s["exitCode"], 5);
    assert_eq!(s["status"], "failed");
    // Nothing new afterwards.
    let o = call("BashOutput", &c, json!({"bash_id": id})).await;
    assert!(!o.text().contains("<stdout>"), "{}", o.text());
}

#[tokio::test]
async fn background_filter_consumes_dropped_lines() {
    let (_d, c) = ctx();
    let out = call(
        "Bash",
        &c,
        json!({"command": "printf 'a1\\nb2\\na3\\n'", "run_in_background": true}),
    )
    .await;
    let id = out.structured.unwrap()["backgroundTaskId"]
        .as_str()
        .unwrap()
        .to_string();
    let o = call(
        "TaskOutput",
        &c,
        json!({"task_id": id, "block": true, "timeout": 10000, "filter": "^a"}),
    )
    .await;
    assert!(
        o.text().starts_with(
            "<status>completed</status>\n\n<exit_code>0</exit_code>\n\n<stdout>\na1\na3\n</stdout>"
        ),
        "{}",
        o.text()
    );
    let o = call("BashOutput", &c, json!({"bash_id": id})).await;
    assert!(!o.text().contains("<stdout>"), "{}", o.text());
    let o = call("BashOutput", &c, json!({"bash_id": id, "filter": "("})).await;
    assert!(o.is_error);
    assert!(o.text().starts_with("<tool_use_error>Invalid filter regex"));
}

#[tokio::test]
async fn unknown_or_missing_ids_are_tool_errors() {
    let (_d, c) = ctx();
    let o = call("BashOutput", &c, json!({"bash_id": "nope"})).await;
    assert!(o.is_error);
    assert_eq!(
        o.text(),
        "<tool_use_error>No shell found with ID: nope</tool_use_error>"
    );
    let o = call("BashOutput", &c, json!({})).await;
    assert!(o.is_error);
    let o = call("KillShell", &c, json!({"shell_id": "nope"})).await;
    assert!(o.is_error);
    let o = call("TaskStop", &c, json!({})).await;
    assert!(o.is_error);
}

async fn start_sleeper(c: &ToolContext, pids: &Path) -> (String, Vec<u32>) {
    let out = call(
        "Bash",
        c,
        json!({
            "command": format!("echo $$ > {p}; sleep 1000 & echo $! >> {p}; wait", p = pids.display()),
            "run_in_background": true
        }),
    )
    .await;
    let id = out.structured.unwrap()["backgroundTaskId"]
        .as_str()
        .unwrap()
        .to_string();
    (id, wait_for_pids(pids, 2))
}

#[tokio::test]
async fn kill_shell_stops_the_group() {
    let (d, c) = ctx();
    let (id, pids) = start_sleeper(&c, &d.path().join("pids")).await;
    let o = call("KillShell", &c, json!({"shell_id": id})).await;
    assert!(!o.is_error, "{}", o.text());
    assert!(
        o.text()
            .starts_with(&format!("Successfully killed shell: {id} ("))
    );
    for pid in pids {
        assert!(wait_dead(pid), "process {pid} survived KillShell");
    }
    let o = call("BashOutput", &c, json!({"bash_id": id})).await;
    assert!(
        o.text().starts_with("<status>killed</status>"),
        "{}",
        o.text()
    );
    let o = call("KillShell", &c, json!({"shell_id": id})).await;
    assert!(o.is_error);
    assert!(o.text().contains("is not running"), "{}", o.text());
}

#[tokio::test]
async fn task_stop_alias_accepts_task_id() {
    let (d, c) = ctx();
    let (id, pids) = start_sleeper(&c, &d.path().join("pids")).await;
    let o = call("TaskStop", &c, json!({"task_id": id})).await;
    assert!(!o.is_error, "{}", o.text());
    for pid in pids {
        assert!(wait_dead(pid), "process {pid} survived TaskStop");
    }
}

#[tokio::test]
async fn kill_all_and_drop_kill_background_shells() {
    let (d, c) = ctx();
    let (_, pids) = start_sleeper(&c, &d.path().join("pids1")).await;
    c.session.shells.kill_all();
    for pid in pids {
        assert!(wait_dead(pid), "process {pid} survived kill_all");
    }

    let (_d2, c2) = ctx();
    let (_, pids) = start_sleeper(&c2, &d.path().join("pids2")).await;
    drop(c2);
    for pid in pids {
        assert!(wait_dead(pid), "process {pid} survived the session");
    }
}

#[tokio::test]
async fn registry_order_and_aliases() {
    let reg = ToolRegistry::builtin();
    let names = reg.names();
    assert_eq!(names.first().map(String::as_str), Some("Bash"));
    assert_eq!(reg.get("TaskOutput").unwrap().name(), "BashOutput");
    assert_eq!(reg.get("TaskStop").unwrap().name(), "KillShell");
    for t in reg.iter() {
        assert!(
            t.description().split_whitespace().count() <= 60,
            "{}",
            t.name()
        );
    }
}

#[tokio::test]
async fn env_file_is_sourced_and_shell_is_configurable() {
    let (d, mut c) = ctx();
    let env_file = d.path().join("env.sh");
    std::fs::write(&env_file, "export FROM_ENV_FILE=sourced\n").unwrap();
    c.env = Arc::new(vec![(
        "CLAUDE_ENV_FILE".into(),
        env_file.to_string_lossy().into_owned(),
    )]);
    assert_eq!(bash(&c, "echo $FROM_ENV_FILE").await.text(), "sourced");

    c.env = Arc::new(vec![("CLAUDE_CODE_SHELL".into(), "sh".into())]);
    let out = bash(&c, "echo \"[${BASH_VERSION:-}]\"").await;
    let sh_is_bash = std::fs::canonicalize("/bin/sh")
        .map(|p| p.ends_with("bash"))
        .unwrap_or(false);
    if !sh_is_bash {
        assert_eq!(out.text(), "[]");
    }
}

#[tokio::test]
async fn maintain_project_dir_resets_cwd_silently() {
    let (d, mut c) = ctx();
    std::fs::create_dir(d.path().join("sub")).unwrap();
    c.env = Arc::new(vec![(
        "CLAUDE_BASH_MAINTAIN_PROJECT_WORKING_DIR".into(),
        "1".into(),
    )]);
    assert_eq!(bash(&c, "cd sub && echo ok").await.text(), "ok");
    assert_eq!(
        PathBuf::from(bash(&c, "pwd -P").await.text()),
        canon(d.path())
    );
}

#[tokio::test]
async fn background_can_be_disabled() {
    let (_d, mut c) = ctx();
    c.env = Arc::new(vec![(
        "CLAUDE_CODE_DISABLE_BACKGROUND_TASKS".into(),
        "1".into(),
    )]);
    let out = call(
        "Bash",
        &c,
        json!({"command": "echo fg", "run_in_background": true}),
    )
    .await;
    assert_eq!(out.text(), "fg");
    assert!(c.session.shells.list().is_empty());
}

// ---- Through the agent loop and the mock Messages API ----

#[tokio::test]
async fn loop_sends_bash_results_back_to_the_model() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_b1",
                "Bash",
                json!({"command": "echo out; echo err >&2", "description": "print"}),
            ))
            .reply(Reply::tool_use_with_id(
                "toolu_b2",
                "Bash",
                json!({"command": "mkdir -p sub && cd sub && echo partial; exit 3"}),
            ))
            .reply(Reply::tool_use_with_id(
                "toolu_b3",
                "Bash",
                json!({"command": "pwd -P"}),
            ))
            .reply(Reply::text("done")),
    )
    .rule(RuleBehavior::Allow, "Bash")
    .build()
    .await;
    let res = h.query("run things").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    assert_eq!(res.num_turns, 4);
    let req0 = &h.server.message_requests()[0];
    let tools = req0.json.as_ref().unwrap()["tools"].as_array().unwrap();
    assert_eq!(tools[0]["name"], "Bash");

    let tr = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_b1").clone();
    assert_eq!(tr["content"], "out\nerr");
    assert_eq!(tr["is_error"], false);
    let tr = crate::common::tool_result_of(&h.sent_messages(2)[4], "toolu_b2").clone();
    assert_eq!(tr["content"], "Exit code 3\npartial");
    assert_eq!(tr["is_error"], true);
    // The cd of the failed call persisted into the next turn.
    let tr = crate::common::tool_result_of(&h.sent_messages(3)[6], "toolu_b3").clone();
    assert_eq!(
        PathBuf::from(tr["content"].as_str().unwrap()),
        canon(&h.cwd().join("sub"))
    );
    crate::common::assert_valid_conversation(&h.sent_messages(3));
    // The structured result front ends print as `tool_use_result`.
    let structured = h.events.events().into_iter().find_map(|e| match e {
        AgentEvent::ToolFinished { id, output, .. } if id == "toolu_b1" => output.structured,
        _ => None,
    });
    assert_eq!(
        structured,
        Some(
            json!({"stdout": "out\nerr", "stderr": "", "interrupted": false, "isImage": false, "noOutputExpected": false})
        )
    );
}

#[tokio::test]
async fn loop_cancellation_kills_a_running_command() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_slow",
                "Bash",
                json!({"command": "echo started; sleep 1000 & echo $! > pids; echo $$ >> pids; wait"}),
            ))
            .reply(Reply::text("unused")),
    )
    .rule(RuleBehavior::Allow, "Bash")
    .build()
    .await;
    // Cancel once the command is really running (its pids are written).
    let pids_file = h.cwd().join("pids");
    let cancel = h.cancel.clone();
    let canceller = tokio::spawn(async move {
        let until = Instant::now() + Duration::from_secs(10);
        while std::fs::read_to_string(&pids_file).map_or(0, |s| s.lines().count()) < 2 {
            assert!(Instant::now() < until, "command never started");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        cancel.cancel();
        Instant::now()
    });
    let res = h.query("run it").await;
    let finished = Instant::now();
    let cancelled_at = canceller.await.unwrap();
    assert!(
        matches!(res.outcome, Outcome::Cancelled),
        "{:?}",
        res.outcome
    );
    // Well within the loop's 3 s grace: the result is the tool's own, not the loop's fallback.
    assert!(finished - cancelled_at < Duration::from_millis(1000));
    let conv = crate::common::conversation_json(&h.agent);
    crate::common::assert_valid_conversation(&conv);
    let tr = crate::common::tool_result_of(&conv[2], "toolu_slow");
    assert_eq!(
        tr["content"],
        "started\n<error>Command was aborted before completion</error>"
    );
    assert_eq!(tr["is_error"], true);
    for pid in wait_for_pids(&h.cwd().join("pids"), 2) {
        assert!(wait_dead(pid), "process {pid} survived the interrupt");
    }
    assert_eq!(h.server.message_requests().len(), 1);
}

/// The directory the permission engine checked is the one the command runs in, even when the
/// session's shell directory changes between the check and the run.
#[tokio::test]
async fn the_checked_directory_is_the_one_used() {
    let (d, c) = ctx();
    std::fs::create_dir_all(d.path().join("checked")).unwrap();
    std::fs::create_dir_all(d.path().join("other")).unwrap();
    let reg = ToolRegistry::builtin();
    let t = reg.get("Bash").unwrap();
    *c.session.shell_cwd.lock().unwrap() = d.path().join("checked");
    let input = json!({"command": "pwd -P"});
    let subject = t.subject(&input, &c);
    // Something moves the shell elsewhere before the call runs.
    *c.session.shell_cwd.lock().unwrap() = d.path().join("other");
    let out = t.call_checked(input, &subject, &c).await;
    assert_eq!(PathBuf::from(out.text()), canon(&d.path().join("checked")));
    let Subject::Shell { cwd, .. } = subject else {
        panic!()
    };
    assert_eq!(cwd, d.path().join("checked"));
}
