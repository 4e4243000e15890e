//! One session engine behind every front end: print mode and the terminal UI expand the same
//! input into the same request; print mode knows the commands; the debug log; a closed stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Spawn, Tui, ccrs, ccrs_command, env, stderr, stdout, wait_requests, write};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SESSION_ID: &str = "6f0f3c1e-8f0a-4a57-9d1e-2f4b8c6d7e90";

/// The raw body of the first `/v1/messages` request.
fn first_body(mock: &MockServer) -> String {
    wait_requests(mock, 1);
    mock.message_requests()[0].body.clone()
}

#[test]
fn print_mode_and_the_tui_send_byte_identical_first_requests() {
    let e = env();
    write(
        &e.cwd.join(".claude/commands/cmd.md"),
        "---\ndescription: Review two things\nmodel: haiku\n---\nReview $0 then $1 (all: $ARGUMENTS); the notes are in @notes.txt\n",
    );
    write(&e.cwd.join("notes.txt"), "first note\nsecond note\n");
    for input in ["/cmd a b", "explain @notes.txt, briefly"] {
        let _ = std::fs::remove_dir_all(e.home.join(".claude/projects"));
        let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
        let out = ccrs(&e, &mock, &["-p", input, "--session-id", SESSION_ID]);
        assert!(out.status.success(), "stderr: {}", stderr(&out));
        let printed = first_body(&mock);

        // The same session id again: the first run's transcript goes (an id in use is refused).
        let _ = std::fs::remove_dir_all(e.home.join(".claude/projects"));
        let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
        let mut t = Tui::spawn(
            &e,
            &mock,
            Spawn {
                args: vec!["--session-id", SESSION_ID],
                ..Default::default()
            },
        );
        t.submit(input);
        t.wait_text("ok");
        let interactive = first_body(&mock);
        assert_eq!(printed, interactive, "first requests differ for {input:?}");

        let body: Value = serde_json::from_str(&printed).unwrap();
        let content = &body["messages"][0]["content"];
        // A command's name and arguments come first, as Claude Code sends them.
        let at = usize::from(input.starts_with('/'));
        let attachment = content[at + 1]["text"].as_str().unwrap();
        assert!(
            attachment.contains("Called the Read tool with the following input")
                && attachment.contains("1\tfirst note\n2\tsecond note"),
            "{attachment}"
        );
        if input.starts_with('/') {
            assert_eq!(
                content[0]["text"],
                "<command-message>cmd</command-message>\n<command-name>/cmd</command-name>\n<command-args>a b</command-args>\n"
            );
            assert_eq!(
                content[1]["text"],
                "Review a then b (all: a b); the notes are in @notes.txt\n"
            );
            // The command's `model` applies to its turn.
            assert_eq!(body["model"], "claude-haiku-5-5");
        } else {
            assert_eq!(content[0]["text"], input);
            assert_eq!(body["model"], "claude-opus-5-5");
        }
    }
}

#[test]
fn print_mode_expands_commands_and_lists_them_in_init() {
    let e = env();
    write(
        &e.home.join(".claude/commands/frontend/component.md"),
        "Make a component named $0.",
    );
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("made"))).unwrap();
    let out = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "/frontend:component Button",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let init: Value = serde_json::from_str(stdout(&out).lines().next().unwrap()).unwrap();
    assert_eq!(
        init["slash_commands"],
        json!(["init", "frontend:component"])
    );
    let body = mock.message_requests()[0].json.clone().unwrap();
    assert_eq!(
        body["messages"][0]["content"][1]["text"],
        "Make a component named Button."
    );
    // `/init` prompts the model in print mode too.
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs(&e, &mock, &["-p", "/init"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let body = mock.message_requests()[0].json.clone().unwrap();
    let text = body["messages"][0]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("CLAUDE.md"), "{text}");
}

#[test]
fn unknown_commands_cost_no_request_and_paths_are_prompts() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs(&e, &mock, &["-p", "/nosuch a b", "--output-format", "json"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["result"], "Unknown command: /nosuch");
    assert_eq!(v["num_turns"], 0);
    let out = ccrs(&e, &mock, &["-p", "/model opus"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "/model is only available in the interactive session\n"
    );
    assert!(mock.message_requests().is_empty());
    // A path is not a command name: it goes to the model as typed.
    let out = ccrs(&e, &mock, &["-p", "/usr/bin/env what is it"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let body = mock.message_requests()[0].json.clone().unwrap();
    assert_eq!(
        body["messages"][0]["content"][0]["text"],
        "/usr/bin/env what is it"
    );
}

#[test]
fn an_attachment_a_rule_denies_is_reported_and_not_sent() {
    let e = env();
    write(
        &e.cwd.join(".claude/settings.json"),
        r#"{"permissions": {"deny": ["Read(./.env)"]}}"#,
    );
    write(&e.cwd.join(".env"), "SECRET=hunter2\n");
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs(&e, &mock, &["-p", "what is in @.env"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: @.env: not attached: Permission to"),
        "{}",
        stderr(&out)
    );
    let body = mock.message_requests()[0].body.clone();
    assert!(!body.contains("hunter2"), "{body}");
}

#[test]
fn disable_slash_commands_sends_the_text_as_typed() {
    let e = env();
    write(&e.cwd.join(".claude/commands/cmd.md"), "Expanded.");
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs(&e, &mock, &["-p", "/cmd x", "--disable-slash-commands"]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let body = mock.message_requests()[0].json.clone().unwrap();
    assert_eq!(body["messages"][0]["content"][0]["text"], "/cmd x");
}

#[test]
fn flags_not_honoured_yet_say_so() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs(&e, &mock, &["-p", "hi", "--fallback-model", "haiku"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("--fallback-model is not supported by this version of ccrs yet"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn debug_log_records_requests_decisions_and_tool_runs() {
    let e = env();
    write(
        &e.cwd.join(".claude/settings.json"),
        r#"{"permissions": {"deny": ["Bash(touch:*)"]}}"#,
    );
    let scenario = || {
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "tool_use", "id": "toolu_a", "name": "Bash", "input": {"command": "echo hello"}}),
                json!({"type": "tool_use", "id": "toolu_b", "name": "Bash", "input": {"command": "touch x"}}),
            ]))
            .reply(Reply::text("done"))
    };
    let log = e.home.join("logs/debug.txt");
    let log_s = log.display().to_string();
    let mock = MockServer::start_blocking(scenario()).unwrap();
    let out = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "go",
            "--allowedTools",
            "Bash(echo hello)",
            "--debug",
            "api,permissions,tools",
            "--debug-file",
            &log_s,
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(!stderr(&out).contains("[DEBUG]"), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    for want in [
        "[DEBUG] [api] POST ",
        "[DEBUG] [api] HTTP 200",
        "[DEBUG] [api] response msg_",
        "[DEBUG] [permissions] Bash toolu_a (run `echo hello`",
        "allow — because: echo hello: allow rule Bash(echo hello) (from the command line)",
        "[DEBUG] [permissions] Bash toolu_b (run `touch x`",
        "deny: Permission to",
        "Bash(touch:*)",
        ".claude/settings.json",
        "[DEBUG] [tools] Bash toolu_a started: echo hello",
        "[DEBUG] [tools] Bash toolu_a finished in ",
    ] {
        assert!(
            text.contains(want),
            "{want:?} missing from the log:\n{text}"
        );
    }
    // Not asked for: the session category.
    assert!(!text.contains("[session]"), "{text}");
    assert!(
        !text.contains("sk-ant-test-key"),
        "the key leaked into the log"
    );
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // `!api` drops one category; without a file, print mode logs to stderr.
    let mock = MockServer::start_blocking(scenario()).unwrap();
    let out = ccrs(
        &e,
        &mock,
        &[
            "-p",
            "go",
            "--allowedTools",
            "Bash(echo hello)",
            "--debug=!api",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("[DEBUG] [permissions]"), "{err}");
    assert!(err.contains("[DEBUG] [session] session "), "{err}");
    assert!(!err.contains("[DEBUG] [api]"), "{err}");
}

#[test]
fn the_tui_writes_its_debug_log_to_a_file_and_says_where() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            args: vec!["--debug", "--session-id", SESSION_ID],
            ..Default::default()
        },
    );
    let path = e
        .home
        .join(".claude/debug")
        .join(format!("{SESSION_ID}.txt"));
    t.wait_text("Debug log:");
    t.submit("hi");
    t.wait_text("ok");
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains("[api] HTTP 200") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_closed_stdout_ends_the_session_quietly() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(
                Reply::tool_use("Bash", json!({"command": "sleep 30 # ccrs-epipe-marker"}))
                    .delay_ms(1000),
            )
            .reply(Reply::text("never")),
    )
    .unwrap();
    // `| head -1`: the reader goes away after the first line.
    let mut child = ccrs_command(&e.home, &e.cwd, &mock)
        .args([
            "-p",
            "go",
            "--allowedTools",
            "Bash",
            "--output-format",
            "stream-json",
            "--verbose",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("\"init\""), "{first}");
    // The reader (and the pipe) are dropped here.
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(141));
    assert!(started.elapsed() < Duration::from_secs(10));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(!err.contains("panicked"), "{err}");
    // The tool call was not run and no further request was made.
    assert_eq!(mock.message_requests().len(), 1);
    assert!(crate::common::processes_with("ccrs-epipe-marker").is_empty());

    // Closed from the start: not even the first request.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("x"))).unwrap();
    let status = ccrs_command(&e.home, &e.cwd, &mock)
        .args(["-p", "hi", "--output-format", "stream-json", "--verbose"])
        .stdin(Stdio::null())
        .stdout(writer)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(141));
    assert!(mock.message_requests().is_empty());
    // `--version` into a closed pipe: no panic (abort), a quiet exit.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_ccrs"))
        .arg("--version")
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "killed by a signal");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
