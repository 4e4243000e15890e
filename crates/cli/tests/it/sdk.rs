//! The Agent SDK front end: the real Python `claude-agent-sdk` (PyPI, installed by `.ci/run`)
//! drives the real `ccrs` against the scripted mock; plain stream-json input without the SDK;
//! subagents (the Agent tool).
//!
//! The Python tests need `CCRS_SDK_PYTHON` (a python with `claude-agent-sdk` installed) or
//! `target/sdk-venv/bin/python`. Without either they say so and pass, unless
//! `CCRS_REQUIRE_SDK=1` (CI sets it), where they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, ccrs_command, env, redact, stderr, stdout};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn python() -> Option<PathBuf> {
    let p = std::env::var_os("CCRS_SDK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/sdk-venv/bin/python")
        });
    if p.exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CCRS_REQUIRE_SDK").as_deref() != Ok("1"),
        "CCRS_REQUIRE_SDK=1 but no python with claude-agent-sdk at {}",
        p.display()
    );
    eprintln!(
        "skipped: no python with claude-agent-sdk (set CCRS_SDK_PYTHON; .ci/run installs one)"
    );
    None
}

/// What every script starts with: `out(x)` prints one JSON line, `show(m)` a message's gist.
const PRELUDE: &str = r#"
import anyio, json, os, sys
from claude_agent_sdk import *
CLI = os.environ["CCRS_BIN"]
def out(x):
    print(json.dumps(x), flush=True)
def show(m):
    d = {"kind": type(m).__name__}
    for k in ("subtype", "result", "is_error", "parent_tool_use_id", "model", "structured_output"):
        if hasattr(m, k):
            d[k] = getattr(m, k)
    if hasattr(m, "content") and isinstance(m.content, list):
        d["blocks"] = [type(b).__name__ + ":" + (getattr(b, "text", None) or getattr(b, "name", None) or "") for b in m.content]
    if hasattr(m, "data") and isinstance(m.data, dict):
        d["data"] = {k: m.data.get(k) for k in ("tools", "agents", "mcp_servers") if k in m.data}
    return d
def opts(**kw):
    return ClaudeAgentOptions(cli_path=CLI, cwd=os.getcwd(), stderr=lambda l: print("STDERR " + l, file=sys.stderr), **kw)
"#;

/// Runs `script` (after the prelude) with the SDK; the JSON lines it printed.
fn run_py(e: &Env, mock: &MockServer, script: &str) -> Option<Vec<Value>> {
    let py = python()?;
    let path = e.home.join("sdk_test.py");
    std::fs::write(&path, format!("{PRELUDE}\n{script}")).unwrap();
    let probe = ccrs_command(&e.home, &e.cwd, mock);
    let mut cmd = Command::new(py);
    cmd.arg(&path).current_dir(&e.cwd).env_clear();
    for (k, v) in probe.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    cmd.env("CCRS_BIN", env!("CARGO_BIN_EXE_ccrs"))
        .env("CLAUDE_AGENT_SDK_SKIP_VERSION_CHECK", "1");
    // The script's own timeouts (the SDK's) bound it; `timeout` is a last resort.
    let out = Command::new("timeout")
        .arg("120")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))))
        .current_dir(&e.cwd)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "script failed:\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    Some(
        stdout(&out)
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    )
}

fn kinds(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            format!(
                "{}{}",
                l["kind"].as_str().unwrap_or(""),
                l["subtype"]
                    .as_str()
                    .map(|s| format!("/{s}"))
                    .unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn python_query_runs_a_text_turn() {
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("Hello from mock"))).unwrap();
    let e = env();
    let Some(lines) = run_py(
        &e,
        &mock,
        r#"
async def main():
    async for m in query(prompt="say hi", options=opts()):
        out(show(m))
anyio.run(main)
"#,
    ) else {
        return;
    };
    assert_eq!(
        kinds(&lines),
        [
            "SystemMessage/init",
            "AssistantMessage",
            "ResultMessage/success"
        ]
    );
    assert_eq!(lines[2]["result"], json!("Hello from mock"));
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json.clone().unwrap();
    assert_eq!(body["messages"][0]["content"][0]["text"], json!("say hi"));
    // The SDK passes `--system-prompt ""` when none is set: no system prompt at all.
    assert!(
        body.get("system")
            .is_none_or(|s| s.as_array().is_some_and(|a| a.is_empty()))
    );
}

#[test]
fn python_can_use_tool_allows_one_call_and_denies_another() {
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::content(vec![
            json!({"type": "tool_use", "id": "toolu_a", "name": "Write", "input": {"file_path": "a.txt", "content": "from model"}}),
            json!({"type": "tool_use", "id": "toolu_b", "name": "Write", "input": {"file_path": "b.txt", "content": "nope"}}),
        ]),
        Reply::text("done"),
    ]))
    .unwrap();
    let e = env();
    let Some(lines) = run_py(
        &e,
        &mock,
        r#"
asked = []
async def can_use(name, inp, ctx):
    asked.append([name, inp["file_path"], ctx.tool_use_id])
    if inp["file_path"] == "a.txt":
        return PermissionResultAllow(updated_input={**inp, "content": "from host"})
    return PermissionResultDeny(message="b is off limits")
async def main():
    async with ClaudeSDKClient(opts(can_use_tool=can_use)) as c:
        await c.query("write files")
        async for m in c.receive_response():
            out(show(m))
    out({"asked": asked})
anyio.run(main)
"#,
    ) else {
        return;
    };
    let asked = lines.last().unwrap()["asked"].clone();
    assert_eq!(
        asked,
        json!([["Write", "a.txt", "toolu_a"], ["Write", "b.txt", "toolu_b"]])
    );
    assert_eq!(
        std::fs::read_to_string(e.cwd.join("a.txt")).unwrap(),
        "from host"
    );
    assert!(!e.cwd.join("b.txt").exists());
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 2);
    let results = reqs[1].json.clone().unwrap()["messages"][2]["content"].clone();
    assert_eq!(results[0]["tool_use_id"], json!("toolu_a"));
    assert!(results[0]["is_error"].is_null() || results[0]["is_error"] == json!(false));
    assert_eq!(results[1]["tool_use_id"], json!("toolu_b"));
    assert_eq!(results[1]["is_error"], json!(true));
    assert!(
        results[1]["content"]
            .to_string()
            .contains("b is off limits")
    );
    let result = lines.iter().find(|l| l["kind"] == "ResultMessage").unwrap();
    assert_eq!(result["result"], json!("done"));
}

#[test]
fn python_client_interrupts_then_runs_a_second_turn_on_a_new_model() {
    let mock = MockServer::start_blocking(
        Scenario::new().replies([
            Reply::text("one two three four five six seven eight nine ten eleven twelve")
                .chunk_delay_ms(300),
            Reply::text("second answer"),
            Reply::text("third answer"),
        ]),
    )
    .unwrap();
    let e = env();
    let Some(lines) = run_py(
        &e,
        &mock,
        r#"
async def main():
    async with ClaudeSDKClient(opts(include_partial_messages=True)) as c:
        await c.query("count slowly")
        interrupted = False
        async for m in c.receive_response():
            if type(m).__name__ == "StreamEvent" and not interrupted:
                interrupted = True
                await c.interrupt()
            if type(m).__name__ != "StreamEvent":
                out(show(m))
        await c.query("again")
        async for m in c.receive_response():
            if type(m).__name__ != "StreamEvent":
                out(show(m))
        await c.set_model("haiku")
        await c.query("third")
        async for m in c.receive_response():
            if type(m).__name__ != "StreamEvent":
                out(show(m))
anyio.run(main)
"#,
    ) else {
        return;
    };
    let results: Vec<&Value> = lines
        .iter()
        .filter(|l| l["kind"] == "ResultMessage")
        .collect();
    assert_eq!(results.len(), 3, "{lines:?}");
    assert_eq!(results[0]["subtype"], json!("error_during_execution"));
    assert_eq!(results[0]["is_error"], json!(true));
    assert_eq!(results[1]["result"], json!("second answer"));
    assert_eq!(results[2]["result"], json!("third answer"));
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 3);
    let models: Vec<String> = reqs
        .iter()
        .map(|r| {
            r.json.clone().unwrap()["model"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(models[0], models[1]);
    assert!(models[2].contains("haiku"), "{models:?}");
    // The second turn continues the same conversation, which records the interruption.
    let second = reqs[1].json.clone().unwrap()["messages"].to_string();
    for said in ["count slowly", "[Request interrupted by user]", "again"] {
        assert!(second.contains(said), "{second}");
    }
}

#[test]
fn python_sdk_mcp_tool_is_called_by_the_model() {
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use_with_id("toolu_m", "mcp__calc__add", json!({"a": 2, "b": 3})),
        Reply::text("the sum is 5"),
    ]))
    .unwrap();
    let e = env();
    let Some(lines) = run_py(
        &e,
        &mock,
        r#"
@tool("add", "Adds two numbers", {"a": int, "b": int})
async def add(args):
    return {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}
async def main():
    calc = create_sdk_mcp_server("calc", tools=[add])
    o = opts(mcp_servers={"calc": calc}, allowed_tools=["mcp__calc__add"])
    async for m in query(prompt="add 2 and 3", options=o):
        out(show(m))
anyio.run(main)
"#,
    ) else {
        return;
    };
    let init = &lines[0];
    assert!(
        init["data"]["tools"]
            .as_array()
            .unwrap()
            .contains(&json!("mcp__calc__add"))
    );
    assert_eq!(
        init["data"]["mcp_servers"],
        json!([{"name": "calc", "status": "connected"}])
    );
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 2);
    let first = reqs[0].json.clone().unwrap();
    assert!(
        first["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "mcp__calc__add")
    );
    let result = &reqs[1].json.clone().unwrap()["messages"][2]["content"][0];
    assert_eq!(result["tool_use_id"], json!("toolu_m"));
    assert_eq!(result["content"], json!("5"));
    assert!(result["is_error"].is_null() || result["is_error"] == json!(false));
}

/// Runs ccrs in SDK mode with `input` on stdin (closed after it); its stdout lines.
fn stream_json(e: &Env, mock: &MockServer, args: &[&str], input: &[Value]) -> Vec<Value> {
    let mut cmd = ccrs_command(&e.home, &e.cwd, mock);
    cmd.args([
        "--input-format",
        "stream-json",
        "--output-format",
        "stream-json",
        "--verbose",
    ])
    .args(args)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for v in input {
        writeln!(stdin, "{v}").unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn user(text: &str) -> Value {
    json!({"type": "user", "message": {"role": "user", "content": text}, "parent_tool_use_id": null, "session_id": ""})
}

#[test]
fn stream_json_input_runs_one_turn_per_message_and_exits_at_eof() {
    let mock = MockServer::start_blocking(
        Scenario::new().replies([Reply::text("first"), Reply::text("second")]),
    )
    .unwrap();
    let e = env();
    let big = "x".repeat(3 * 1024 * 1024);
    let lines = stream_json(
        &e,
        &mock,
        &["--replay-user-messages"],
        &[
            json!({"type": "control_request", "request_id": "req_1", "request": {"subtype": "initialize", "hooks": null}}),
            user("hello"),
            json!({"type": "user", "message": {"role": "user", "content": [{"type": "text", "text": big}]}}),
        ],
    );
    let shapes: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["type"].as_str().unwrap(),
                l["subtype"]
                    .as_str()
                    .or(l["response"]["subtype"].as_str())
                    .unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        shapes,
        [
            "control_response success",
            "user ",
            "system init",
            "assistant ",
            "result success",
            "user ",
            "system init",
            "assistant ",
            "result success"
        ]
    );
    assert_eq!(lines[1]["isReplay"], json!(true));
    assert_eq!(lines[4]["result"], json!("first"));
    assert_eq!(lines[8]["result"], json!("second"));
    // A 3 MiB line is read whole (no 1 MiB cap).
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 2);
    let last = reqs[1].json.clone().unwrap();
    assert_eq!(
        last["messages"][2]["content"][0]["text"]
            .as_str()
            .unwrap()
            .len(),
        big.len()
    );
    let mut init = redact(&lines[0]);
    init["response"]["response"]["pid"] = json!("[pid]");
    // The model table is the models module's; only its shape matters here.
    let models = init["response"]["response"]["models"].as_array().unwrap();
    assert!(models.iter().any(|m| m["value"] == json!("haiku")));
    init["response"]["response"]["models"] = json!([models[0]]);
    insta::assert_json_snapshot!("sdk_initialize_response", init);
    let mut shown: Vec<Value> = lines[1..5].iter().map(redact).collect();
    shown[0]["message"]["content"] = json!("hello");
    insta::assert_json_snapshot!("sdk_first_turn", shown);
}

#[test]
fn two_agent_calls_run_concurrently_and_both_results_reach_the_parent() {
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::content(vec![
            json!({"type": "tool_use", "id": "toolu_1", "name": "Agent", "input": {"description": "look at alpha", "prompt": "TASK-ALPHA", "subagent_type": "general-purpose"}}),
            json!({"type": "tool_use", "id": "toolu_2", "name": "Task", "input": {"description": "look at beta", "prompt": "TASK-BETA"}}),
        ]),
        // Alpha answers late: run in order, its report would come first; concurrently,
        // beta's (asked second) overtakes it.
        Reply::text("alpha report").matching_body("TASK-ALPHA").delay_ms(1500),
        Reply::text("beta report").matching_body("TASK-BETA"),
        Reply::text("all done"),
    ]))
    .unwrap();
    let e = env();
    let out = crate::common::ccrs(
        &e,
        &mock,
        &[
            "-p",
            "use two agents",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 4);
    // Concurrent: requests 2 and 3 (the subagents) both started before either answered.
    let final_req = reqs[3].json.clone().unwrap();
    let results = final_req["messages"][2]["content"].clone();
    assert_eq!(results[0]["tool_use_id"], json!("toolu_1"));
    assert!(results[0]["content"].to_string().contains("alpha report"));
    assert_eq!(results[1]["tool_use_id"], json!("toolu_2"));
    assert!(results[1]["content"].to_string().contains("beta report"));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let nested: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "assistant" && !l["parent_tool_use_id"].is_null())
        .collect();
    assert_eq!(nested.len(), 2);
    let parents: Vec<&str> = nested
        .iter()
        .map(|l| l["parent_tool_use_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        parents,
        ["toolu_2", "toolu_1"],
        "beta's report overtook alpha's"
    );
    let init = &lines[0];
    assert!(
        init["agents"]
            .as_array()
            .unwrap()
            .contains(&json!("general-purpose"))
    );
    // Each subagent wrote its own sidechain beside the session's transcript.
    let sessions = crate::transcripts::session_files(&e);
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let dir = sessions[0].with_extension("").join("subagents");
    let mut prompts = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        let p = f.path();
        if p.extension().is_some_and(|x| x == "jsonl") {
            let lines = crate::transcripts::lines(&p);
            assert!(
                lines.iter().all(|l| l["isSidechain"] == json!(true)),
                "{p:?}"
            );
            prompts.extend(
                lines
                    .iter()
                    .filter(|l| l["type"] == "user")
                    .map(|l| l["message"]["content"].to_string()),
            );
        }
    }
    prompts.sort();
    assert_eq!(prompts.len(), 2, "{prompts:?}");
    assert!(prompts[0].contains("TASK-ALPHA") && prompts[1].contains("TASK-BETA"));
}

#[test]
fn a_subagent_limited_to_read_cannot_run_bash() {
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use_with_id(
            "toolu_p",
            "Agent",
            json!({"description": "read it", "prompt": "READER-TASK", "subagent_type": "reader"}),
        ),
        Reply::tool_use_with_id("toolu_s", "Bash", json!({"command": "touch pwned"}))
            .matching_body("READER-TASK"),
        Reply::text("could not run bash").matching_body("toolu_s"),
        Reply::text("parent done"),
    ]))
    .unwrap();
    let e = env();
    let out = crate::common::ccrs(
        &e,
        &mock,
        &[
            "-p",
            "delegate",
            "--agents",
            r#"{"reader": {"description": "Reads files", "prompt": "You only read.", "tools": ["Read"]}}"#,
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(stdout(&out), "parent done\n");
    assert!(!e.cwd.join("pwned").exists());
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 4);
    let sub = reqs[1].json.clone().unwrap();
    let tools: Vec<&str> = sub["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tools, ["Read"]);
    assert!(sub["system"].to_string().contains("You only read."));
    let sub2 = reqs[2].json.clone().unwrap();
    let r = &sub2["messages"][2]["content"][0];
    assert_eq!(r["tool_use_id"], json!("toolu_s"));
    assert_eq!(r["is_error"], json!(true));
    let parent = reqs[3].json.clone().unwrap();
    assert!(
        parent["messages"][2]["content"][0]["content"]
            .to_string()
            .contains("could not run bash")
    );
}

#[test]
fn the_terminal_lists_agents_and_shows_a_subagents_calls() {
    use crate::common::Tui;
    let e = env();
    crate::common::write(
        &e.cwd.join(".claude/agents/reviewer.md"),
        "---\nname: reviewer\ndescription: Reviews diffs for bugs\ntools: Read, Grep\nmodel: haiku\n---\nYou review code.\n",
    );
    crate::common::write(&e.cwd.join("notes.txt"), "hello notes\n");
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use_with_id(
            "toolu_p",
            "Agent",
            json!({"description": "review notes", "prompt": "REVIEW-TASK", "subagent_type": "reviewer"}),
        ),
        Reply::tool_use_with_id("toolu_r", "Read", json!({"file_path": "notes.txt"}))
            .matching_body("REVIEW-TASK"),
        Reply::text("notes look fine").matching_body("toolu_r"),
        Reply::text("review finished"),
    ]))
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/agents");
    let s = t.wait_text("Reviews diffs for bugs");
    assert!(s.contains("reviewer · project · haiku · Read, Grep"), "{s}");
    assert!(s.contains("general-purpose"), "{s}");
    t.submit("review my notes");
    let s = t.wait_text("review finished");
    // The subagent's Read shows as a compact line under the Agent call.
    assert!(s.contains("⎿  Read(notes.txt)"), "{s}");
    let reqs = crate::common::wait_requests(&mock, 4);
    assert!(reqs[1]["model"].as_str().unwrap().contains("haiku"));
}

#[test]
fn json_schema_answers_through_structured_output() {
    let schema =
        r#"{"type":"object","properties":{"answer":{"type":"integer"}},"required":["answer"]}"#;
    let mock = MockServer::start_blocking(Scenario::new().replies([
        // A plain answer first: ccrs reminds the model to use the tool.
        Reply::text("it is 42"),
        // An invalid call: the schema error goes back to the model.
        Reply::tool_use_with_id("toolu_x", "StructuredOutput", json!({"answer": "many"})),
        Reply::tool_use_with_id("toolu_y", "StructuredOutput", json!({"answer": 42})),
    ]))
    .unwrap();
    let e = env();
    let out = crate::common::ccrs(
        &e,
        &mock,
        &[
            "-p",
            "what is it",
            "--output-format",
            "json",
            "--json-schema",
            schema,
        ],
    );
    assert!(
        out.status.success(),
        "stderr: {}\nstdout: {}",
        stderr(&out),
        stdout(&out)
    );
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(v["structured_output"], json!({"answer": 42}));
    assert_eq!(v["subtype"], json!("success"));
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 3, "no request after the valid call");
    let first = reqs[0].json.clone().unwrap();
    let tool = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "StructuredOutput")
        .unwrap()
        .clone();
    assert_eq!(tool["input_schema"]["required"], json!(["answer"]));
    let second = reqs[1].json.clone().unwrap().to_string();
    assert!(
        second.contains("StructuredOutput tool"),
        "reminded: {second}"
    );
    let third = reqs[2].json.clone().unwrap();
    let r = &third["messages"].as_array().unwrap().last().unwrap()["content"][0];
    assert_eq!(r["tool_use_id"], json!("toolu_x"));
    assert_eq!(r["is_error"], json!(true));
}

/// The TypeScript SDK's package (npm `@anthropic-ai/claude-agent-sdk`): `CCRS_SDK_TS` or
/// `target/sdk-ts/node_modules/@anthropic-ai/claude-agent-sdk`.
fn ts_sdk() -> Option<PathBuf> {
    let p = std::env::var_os("CCRS_SDK_TS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/sdk-ts/node_modules/@anthropic-ai/claude-agent-sdk")
        });
    if p.join("package.json").exists() {
        return Some(p);
    }
    assert!(
        std::env::var("CCRS_REQUIRE_SDK").as_deref() != Ok("1"),
        "CCRS_REQUIRE_SDK=1 but no TypeScript SDK at {}",
        p.display()
    );
    eprintln!("skipped: no TypeScript claude-agent-sdk (set CCRS_SDK_TS; .ci/run installs one)");
    None
}

#[test]
fn typescript_query_runs_a_text_turn() {
    let Some(sdk) = ts_sdk() else {
        return;
    };
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("Hello from TS"))).unwrap();
    let e = env();
    let script = e.home.join("smoke.mjs");
    let entry = sdk.join("sdk.mjs");
    std::fs::write(
        &script,
        format!(
            r#"const {{ query }} = await import({entry:?});
const out = [];
for await (const m of query({{ prompt: "say hi", options: {{ pathToClaudeCodeExecutable: process.env.CCRS_BIN, cwd: process.cwd() }} }})) {{
  out.push({{ type: m.type, subtype: m.subtype ?? null, result: m.result ?? null }});
}}
console.log(JSON.stringify(out));
"#,
            entry = entry.display().to_string()
        ),
    )
    .unwrap();
    let mut cmd = ccrs_command(&e.home, &e.cwd, &mock);
    let envs: Vec<(std::ffi::OsString, std::ffi::OsString)> = cmd
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
        .collect();
    cmd = Command::new("timeout");
    cmd.arg("120")
        .arg("node")
        .arg(&script)
        .current_dir(&e.cwd)
        .env_clear()
        .envs(envs)
        .env("CCRS_BIN", env!("CARGO_BIN_EXE_ccrs"));
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let v: Value = serde_json::from_str(stdout(&out).trim()).unwrap();
    assert_eq!(
        v,
        json!([
            {"type": "system", "subtype": "init", "result": null},
            {"type": "assistant", "subtype": null, "result": null},
            {"type": "result", "subtype": "success", "result": "Hello from TS"}
        ])
    );
}

#[test]
fn can_use_tool_request_shape_and_session_state() {
    use std::io::{BufRead, BufReader};
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use_with_id(
            "toolu_w",
            "Write",
            json!({"file_path": "x.txt", "content": "hi"}),
        ),
        Reply::text("ok then"),
    ]))
    .unwrap();
    let e = env();
    let mut cmd = ccrs_command(&e.home, &e.cwd, &mock);
    cmd.args([
        "--input-format",
        "stream-json",
        "--output-format",
        "stream-json",
        "--verbose",
        "--permission-prompt-tool",
        "stdio",
    ])
    .env("CLAUDE_CODE_SDK_READS_SESSION_STATE", "1")
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    writeln!(stdin, "{}", user("write x")).unwrap();
    let mut seen = Vec::new();
    let request = loop {
        let l: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        seen.push(l.clone());
        if l["type"] == "control_request" {
            break l;
        }
    };
    let id = request["request_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 36);
    writeln!(
        stdin,
        "{}",
        json!({"type": "control_response", "response": {"subtype": "success", "request_id": id, "response": {"behavior": "deny", "message": "not now"}}})
    )
    .unwrap();
    loop {
        let l: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        let done = l["type"] == "system" && l["state"] == "idle";
        seen.push(l);
        if done {
            break;
        }
    }
    drop(stdin);
    assert!(lines.next().is_none(), "ends after stdin closes");
    assert!(child.wait().unwrap().success());
    assert!(!e.cwd.join("x.txt").exists());
    let cwd = e.cwd.display().to_string();
    let mut shown: Value =
        serde_json::from_str(&redact(&request).to_string().replace(&cwd, "[cwd]")).unwrap();
    shown["request_id"] = json!("[uuid]");
    insta::assert_json_snapshot!("sdk_can_use_tool_request", shown);
    let kinds: Vec<String> = seen
        .iter()
        .map(|l| {
            format!(
                "{} {}",
                l["type"].as_str().unwrap(),
                l["subtype"].as_str().or(l["state"].as_str()).unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "system session_state_changed",
            "system init",
            "assistant ",
            "control_request ",
            "user ",
            "assistant ",
            "result success",
            "system session_state_changed"
        ]
    );
    assert_eq!(seen[0]["state"], json!("running"));
    assert_eq!(seen[0]["sdk_host_only"], json!(true));
    let result = &seen[6];
    assert_eq!(result["permission_denials"][0]["tool_name"], json!("Write"));
    assert!(seen[4].to_string().contains("not now"));
}

#[test]
fn python_hook_callback_blocks_a_tool() {
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use_with_id("toolu_h", "Bash", json!({"command": "touch hooked"})),
        Reply::text("blocked, fine"),
    ]))
    .unwrap();
    let e = env();
    let Some(lines) = run_py(
        &e,
        &mock,
        r#"
seen = []
async def guard(inp, tool_use_id, ctx):
    seen.append([inp["hook_event_name"], inp["tool_name"], inp["tool_input"]["command"], tool_use_id])
    return {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny", "permissionDecisionReason": "no bash today"}}
async def main():
    o = opts(allowed_tools=["Bash"], hooks={"PreToolUse": [HookMatcher(matcher="Bash", hooks=[guard])]})
    async for m in query(prompt="touch it", options=o):
        out(show(m))
    out({"seen": seen})
anyio.run(main)
"#,
    ) else {
        return;
    };
    assert_eq!(
        lines.last().unwrap()["seen"],
        json!([["PreToolUse", "Bash", "touch hooked", "toolu_h"]])
    );
    assert!(!e.cwd.join("hooked").exists());
    let reqs = mock.message_requests();
    assert_eq!(reqs.len(), 2);
    let r = &reqs[1].json.clone().unwrap()["messages"][2]["content"][0];
    assert_eq!(r["is_error"], json!(true));
    assert!(r["content"].to_string().contains("no bash today"), "{r}");
}
