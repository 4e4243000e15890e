//! The `ccrs-mock` binary: startup line, demo brain, scenario files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Response, post_json};
use ccrs_mock::{ReplyKind, Scenario};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Running {
    child: Child,
    port: u16,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccrs-mock"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|p| p.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    assert!(line.ends_with('\n'));
    Running { child, port }
}

fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn ask(port: u16, messages: serde_json::Value) -> Response {
    post_json(
        port,
        "/v1/messages",
        &json!({"model": "claude-sonnet-5", "max_tokens": 100, "stream": true, "messages": messages}),
    )
}

fn streamed_text(r: &Response) -> String {
    r.events()
        .iter()
        .filter_map(|(_, d)| d["delta"]["text"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn demo_brain_without_a_scenario() {
    let m = spawn(&[]);
    let r = ask(m.port, json!([{"role": "user", "content": "hello there"}]));
    assert_eq!(
        streamed_text(&r),
        "This is ccrs-mock, a scripted stand-in for the Anthropic API. You said: hello there"
    );
    let r = ask(
        m.port,
        json!([{"role": "user", "content": [{"type": "text", "text": "run echo hello"}]}]),
    );
    let ev = r.events();
    assert_eq!(ev[1].1["content_block"]["name"], "Bash");
    let input: String = ev
        .iter()
        .filter_map(|(_, d)| d["delta"]["partial_json"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&input).unwrap(),
        json!({"command": "echo hello"})
    );
    let r = ask(
        m.port,
        json!([
            {"role": "user", "content": "run echo hello"},
            {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "echo hello"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "hello", "is_error": false}]}
        ]),
    );
    assert_eq!(streamed_text(&r), "The command printed: hello");
}

#[test]
fn fixed_port_and_scenario_file() {
    // Find a free port, then ask the binary for it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let file = scenarios_dir().join("bench-one-bash.json");
    let m = spawn(&[
        "--port",
        &port.to_string(),
        "--scenario",
        file.to_str().unwrap(),
    ]);
    assert_eq!(m.port, port);
    for _ in 0..2 {
        // `repeat`: the script starts over for the next run.
        let r = ask(m.port, json!([{"role": "user", "content": "anything"}]));
        assert_eq!(r.events()[1].1["content_block"]["name"], "Bash");
        let r = ask(m.port, json!([{"role": "user", "content": "anything"}]));
        assert_eq!(streamed_text(&r), "The command printed: hello");
    }
}

#[test]
fn bad_arguments_and_scenarios_fail_with_status_2() {
    let bin = env!("CARGO_BIN_EXE_ccrs-mock");
    let out = Command::new(bin).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile_dir();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"replies": [{"txt": "typo"}]}"#).unwrap();
    let out = Command::new(bin)
        .args(["--scenario", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json"));
    let out = Command::new(bin).arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("usage: ccrs-mock"));
    let _ = std::fs::remove_dir_all(dir);
}

fn tempfile_dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("ccrs-mock-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn every_example_scenario_loads() {
    let mut n = 0;
    for entry in std::fs::read_dir(scenarios_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            Scenario::from_file(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 4);
    let bench = Scenario::from_file(&scenarios_dir().join("bench-20-tools.json")).unwrap();
    assert_eq!(bench.replies.len(), 21);
    let tools = bench
        .replies
        .iter()
        .filter(|r| matches!(&r.kind, ReplyKind::Message(m) if m.content.iter().any(|b| b["type"] == "tool_use" && b["name"] == "Bash")))
        .count();
    assert_eq!(tools, 20);
}
