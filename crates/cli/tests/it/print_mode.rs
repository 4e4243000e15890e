//! The real `ccrs` binary in print mode against the scripted mock API: requests captured by the
//! mock, stdout and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{ccrs, ccrs_command, ccrs_in, env, redact, stderr, stdout};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn json_lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn last_user_content(req: &Value) -> Value {
    let msgs = req["messages"].as_array().unwrap();
    msgs.last().unwrap()["content"].clone()
}

#[test]
fn text_reply_in_text_format() {
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("Hi! How can I help?")))
            .unwrap();
    let e = env();
    let out = ccrs(&e, &mock, &["-p", "say hi"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "Hi! How can I help?\n");
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json.clone().unwrap();
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["model"], json!("claude-opus-5-5"));
    assert_eq!(reqs[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(reqs[0].header("x-api-key"), Some("sk-ant-test-key"));
    assert!(reqs[0].header("user-agent").unwrap().starts_with("ccrs/"));
    assert_eq!(body["messages"][0]["content"][0]["text"], json!("say hi"));
    assert!(body["system"].as_array().is_some_and(|s| !s.is_empty()));
}

#[test]
fn text_reply_in_json_format() {
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("Hello there"))).unwrap();
    let e = env();
    let out = ccrs(&e, &mock, &["-p", "say hi", "--output-format", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    // What the redactions hide.
    assert_eq!(v["session_id"].as_str().unwrap().len(), 36);
    assert!(v["total_cost_usd"].as_f64().unwrap() > 0.0);
    assert!(v["usage"]["input_tokens"].as_u64().unwrap() > 0);
    insta::assert_json_snapshot!("json_text_reply", redact(&v));
}

#[test]
fn text_reply_in_stream_json_format() {
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("Streaming works"))).unwrap();
    let e = env();
    let out = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "say hi",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let lines = json_lines(&out);
    // What the redactions hide: the real cwd, and one session id on every line.
    assert_eq!(lines[0]["cwd"], json!(e.cwd.display().to_string()));
    let sid = lines[0]["session_id"].clone();
    assert!(lines.iter().all(|l| l["session_id"] == sid));
    insta::assert_json_snapshot!("stream_json_text_reply", redact(&Value::Array(lines)));
}

#[test]
fn stream_json_requires_verbose() {
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let e = env();
    let out = ccrs(&e, &mock, &["-p", "x", "--output-format", "stream-json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("requires --verbose"),
        "{}",
        stderr(&out)
    );
    assert!(mock.message_requests().is_empty());
}

#[test]
fn prompt_from_stdin_is_appended() {
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let e = env();
    let mut child = ccrs_command(&e.home, &e.cwd, &mock)
        .args(["-p", "summarise:"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"line one\nline two\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let body = mock.message_requests()[0].json.clone().unwrap();
    assert_eq!(
        body["messages"][0]["content"][0]["text"],
        "summarise:\nline one\nline two\n"
    );
}

#[test]
fn no_prompt_at_all_is_an_error() {
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let e = env();
    let out = ccrs(&e, &mock, &["-p"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Input must be provided"),
        "{}",
        stderr(&out)
    );
}

/// A Bash call's result reaches the second request; stream-json shows it as a `user` line with
/// the tool's structured result, and `json --verbose` as an array of every message.
#[test]
fn bash_tool_result_reaches_the_second_request() {
    let e = env();
    for (snapshot, format) in [
        ("stream_json_tool_call", "stream-json"),
        ("verbose_json_tool_call", "json"),
    ] {
        let mock = MockServer::start_blocking(
            Scenario::new()
                .reply(Reply::tool_use_with_id(
                    "toolu_echo_1",
                    "Bash",
                    json!({"command": "echo hello", "description": "say hello"}),
                ))
                .reply(Reply::text("The command printed: hello")),
        )
        .unwrap();
        let out = ccrs(
            &e,
            &mock,
            &[
                "-p",
                "run echo hello",
                "--allowedTools",
                "Bash",
                "--output-format",
                format,
                "--verbose",
            ],
        );
        assert!(out.status.success(), "stderr: {}", stderr(&out));
        let reqs = mock.message_requests();
        assert_eq!(reqs.len(), 2);
        let second = reqs[1].json.clone().unwrap();
        let msgs = second["messages"].as_array().unwrap();
        assert_eq!(msgs[1]["role"], "assistant");
        assert_eq!(msgs[1]["content"][0]["id"], "toolu_echo_1");
        let content = last_user_content(&second);
        assert_eq!(content[0]["type"], "tool_result");
        assert_eq!(content[0]["tool_use_id"], "toolu_echo_1");
        assert_eq!(content[0]["content"], "hello");
        assert_eq!(content[0]["is_error"], false);
        let v: Value = if format == "json" {
            serde_json::from_str(stdout(&out).trim()).unwrap()
        } else {
            Value::Array(json_lines(&out))
        };
        insta::assert_json_snapshot!(snapshot, redact(&v));
    }
}

#[test]
fn two_tool_uses_are_answered_in_one_user_message_in_order() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "text", "text": "Running two commands."}),
                json!({"type": "tool_use", "id": "toolu_a", "name": "Bash", "input": {"command": "echo first"}}),
                json!({"type": "tool_use", "id": "toolu_b", "name": "Bash", "input": {"command": "echo second"}}),
            ]))
            .reply(Reply::text("done")),
    )
    .unwrap();
    let e = env();
    let out = ccrs(&e, &mock, &["-p", "go", "--allowedTools", "Bash"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let second = mock.message_requests()[1].json.clone().unwrap();
    let msgs = second["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3, "{second}");
    let content = last_user_content(&second);
    let results = content.as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["tool_use_id"], "toolu_a");
    assert_eq!(results[0]["content"], "first");
    assert_eq!(results[1]["tool_use_id"], "toolu_b");
    assert_eq!(results[1]["content"], "second");
}

#[test]
fn a_write_is_denied_in_print_mode() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_w",
                "Bash",
                json!({"command": "touch made_by_tool.txt"}),
            ))
            .reply(Reply::text("Done.")),
    )
    .unwrap();
    let e = env();
    let out = ccrs(
        &e,
        &mock,
        &["-p", "create a file", "--output-format", "json"],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(
        !e.cwd.join("made_by_tool.txt").exists(),
        "the denied command ran"
    );
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    insta::assert_json_snapshot!("json_permission_denial", redact(&v));
    let result = &last_user_content(&mock.message_requests()[1].json.clone().unwrap())[0];
    assert_eq!(result["is_error"], true);
    assert!(
        result["content"].as_str().unwrap().contains("denied"),
        "{result}"
    );
}

#[test]
fn read_only_command_runs_without_a_rule() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_ls",
                "Bash",
                json!({"command": "ls"}),
            ))
            .reply(Reply::text("listed")),
    )
    .unwrap();
    let e = env();
    std::fs::write(e.cwd.join("visible.txt"), "x").unwrap();
    let out = ccrs(&e, &mock, &["-p", "list files"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let result = &last_user_content(&mock.message_requests()[1].json.clone().unwrap())[0];
    assert_eq!(result["is_error"], false, "{result}");
    assert!(result["content"].as_str().unwrap().contains("visible.txt"));
}

#[test]
fn overloaded_529_is_retried() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::error(529, "overloaded_error", "Overloaded"))
            .reply(Reply::text("after retry")),
    )
    .unwrap();
    let e = env();
    let out = ccrs(
        &e,
        &mock,
        &["-p", "hi", "--output-format", "stream-json", "--verbose"],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(mock.message_requests().len(), 2);
    let lines = json_lines(&out);
    assert!(
        lines
            .iter()
            .any(|l| l["subtype"] == "api_retry" && l["error_status"] == 529),
        "{}",
        stdout(&out)
    );
    assert_eq!(lines.last().unwrap()["result"], "after retry");
}

#[test]
fn rate_limit_honours_retry_after() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::error(429, "rate_limit_error", "slow down").header("retry-after", "2"))
            .reply(Reply::text("ok now")),
    )
    .unwrap();
    let e = env();
    let t = Instant::now();
    let out = ccrs(&e, &mock, &["-p", "hi"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "ok now\n");
    assert!(
        t.elapsed() >= Duration::from_millis(1900),
        "retry-after ignored: {:?}",
        t.elapsed()
    );
    assert_eq!(mock.message_requests().len(), 2);
}

#[test]
fn unauthorized_gives_a_clear_message_fast() {
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::error(
        401,
        "authentication_error",
        "invalid x-api-key",
    )))
    .unwrap();
    let e = env();
    let t = Instant::now();
    let out = ccrs(&e, &mock, &["-p", "hi"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(t.elapsed() < Duration::from_secs(5));
    let err = stderr(&out);
    assert!(
        err.contains("401") && err.contains("invalid x-api-key"),
        "{err}"
    );
    assert!(
        err.contains("ANTHROPIC_API_KEY") || err.contains("login"),
        "{err}"
    );
    assert_eq!(mock.message_requests().len(), 1, "401 must not be retried");
    // json: is_error with the status.
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::error(
        401,
        "authentication_error",
        "invalid x-api-key",
    )))
    .unwrap();
    let out = ccrs(&e, &mock, &["-p", "hi", "--output-format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    // Nothing was spent: zero, not the `-0.0` of an empty float sum.
    assert!(
        stdout(&out).contains("\"total_cost_usd\":0.0"),
        "{}",
        stdout(&out)
    );
    insta::assert_json_snapshot!("json_api_error", redact(&v));
}

#[test]
fn stream_cut_midway_is_retried_and_the_answer_is_whole() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("This answer will be cut short somewhere").cut_after_events(5))
            .reply(Reply::text("The whole answer.")),
    )
    .unwrap();
    let e = env();
    let t = Instant::now();
    let out = ccrs(&e, &mock, &["-p", "hi"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert!(t.elapsed() < Duration::from_secs(10));
    assert_eq!(stdout(&out), "The whole answer.\n");
    assert!(!stderr(&out).contains("panicked"));
}

#[test]
fn max_turns_with_a_tool_call_is_error_max_turns() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use("Bash", json!({"command": "echo hi"})))
            .reply(Reply::text("never reached")),
    )
    .unwrap();
    let e = env();
    let out = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "hi",
            "--max-turns",
            "1",
            "--allowedTools",
            "Bash",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    insta::assert_json_snapshot!("json_max_turns", redact(&v));
    assert_eq!(mock.message_requests().len(), 1);
    // Text format prints Claude Code's message.
    let mock = MockServer::start_blocking(
        Scenario::new().reply(Reply::tool_use("Bash", json!({"command": "echo hi"}))),
    )
    .unwrap();
    let out = ccrs(
        &e,
        &mock,
        &["-p", "hi", "--max-turns", "1", "--allowedTools", "Bash"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "Error: Reached max turns (1)\n");
}

#[test]
fn model_flag_and_aliases() {
    let e = env();
    for (flag, want) in [
        ("haiku", "claude-haiku-5-5"),
        ("opus", "claude-opus-5-5"),
        ("sonnet", "claude-sonnet-5-5"),
        ("fable", "claude-fable-5-2"),
        ("claude-opus-4-8", "claude-opus-4-8"),
    ] {
        let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
        let out = ccrs(&e, &mock, &["-p", "hi", "--model", flag]);
        assert!(out.status.success());
        assert_eq!(
            mock.message_requests()[0].json.clone().unwrap()["model"],
            want
        );
    }
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs_in(
        &e.home,
        &e.cwd,
        &mock,
        &["-p", "hi"],
        &[("ANTHROPIC_MODEL", "haiku")],
    );
    assert!(out.status.success());
    assert_eq!(
        mock.message_requests()[0].json.clone().unwrap()["model"],
        "claude-haiku-5-5"
    );
}

#[test]
fn system_prompt_flags() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "hi",
            "--system-prompt",
            "You are a pirate.",
            "--append-system-prompt",
            "Always rhyme.",
        ],
    );
    assert!(out.status.success());
    let body = mock.message_requests()[0].json.clone().unwrap();
    let texts: Vec<&str> = body["system"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["You are a pirate.", "Always rhyme."]);
    // The SDK's `--system-prompt ""` sends no system prompt at all.
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs(&e, &mock, &["-p", "hi", "--system-prompt", ""]);
    assert!(out.status.success());
    assert!(
        mock.message_requests()[0]
            .json
            .clone()
            .unwrap()
            .get("system")
            .is_none()
    );
}

#[test]
fn version_and_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_ccrs"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).starts_with(env!("CARGO_PKG_VERSION")));
    let out = Command::new(env!("CARGO_BIN_EXE_ccrs"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("--output-format"));
    let out = Command::new(env!("CARGO_BIN_EXE_ccrs"))
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn missing_credentials_say_how_to_log_in() {
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let e = env();
    let out = Command::new(env!("CARGO_BIN_EXE_ccrs"))
        .args(["-p", "hi"])
        .current_dir(&e.cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &e.home)
        .env("XDG_CONFIG_HOME", e.home.join(".config"))
        .env("CCRS_MANAGED_SETTINGS_PATH", e.home.join("none.json"))
        .env("ANTHROPIC_BASE_URL", mock.base_url())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("ANTHROPIC_API_KEY") && err.contains("ccrs login"),
        "{err}"
    );
    assert!(mock.message_requests().is_empty());
}
