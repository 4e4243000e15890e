//! The MCP client end to end: the real `ccrs` binary against the mock API and MCP servers — the
//! test server of `examples/mcp_test_server.rs` (stdio and streamable HTTP) and the reference
//! filesystem server from npm (`@modelcontextprotocol/server-filesystem`, installed by `.ci/run`;
//! its tests skip with a message when it is absent).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, ccrs_command, env, stderr, stdout, wait_requests};
use crate::processes::{sleepers, wait_until};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::time::Duration;

/// The test server, built with the examples (`cargo test` builds them; a filtered run needs
/// `cargo build -p ccrs --example mcp_test_server` first).
fn test_server() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let p = exe.parent()?.parent()?.join("examples/mcp_test_server");
    if p.exists() {
        Some(p.to_string_lossy().into_owned())
    } else {
        eprintln!(
            "SKIPPED: {} is not built (run `cargo build -p ccrs --example mcp_test_server`)",
            p.display()
        );
        None
    }
}

/// `@modelcontextprotocol/server-filesystem`: `CCRS_MCP_FS_SERVER`, or where `.ci/run` puts it.
fn fs_server() -> Option<String> {
    let p = std::env::var_os("CCRS_MCP_FS_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.ci/node/node_modules/.bin/mcp-server-filesystem")
        });
    if p.exists() {
        Some(p.to_string_lossy().into_owned())
    } else {
        eprintln!(
            "SKIPPED: the reference filesystem MCP server is not installed ({}); `.ci/run` \
             installs it (npm install --prefix .ci/node @modelcontextprotocol/server-filesystem)",
            p.display()
        );
        None
    }
}

fn run(e: &Env, mock: &MockServer, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut cmd = ccrs_command(&e.home, &e.cwd, mock);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn lines(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn init(o: &Output) -> Value {
    lines(o)
        .into_iter()
        .find(|v| v["subtype"] == "init")
        .unwrap_or_else(|| panic!("no init: {}\n{}", stdout(o), stderr(o)))
}

fn result(o: &Output) -> Value {
    lines(o)
        .into_iter()
        .find(|v| v["type"] == "result")
        .unwrap_or_else(|| panic!("no result: {}\n{}", stdout(o), stderr(o)))
}

fn config(servers: Value) -> String {
    json!({ "mcpServers": servers }).to_string()
}

fn status(init: &Value, name: &str) -> String {
    init["mcp_servers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .map(|s| s["status"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

fn has_tool(init: &Value, name: &str) -> bool {
    init["tools"].as_array().unwrap().iter().any(|t| t == name)
}

/// The tool_result the model received for its only call.
fn tool_result(mock: &MockServer) -> Value {
    let reqs = wait_requests(mock, 2);
    let last = reqs[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    last["content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "tool_result")
        .cloned()
        .unwrap()
}

fn calling(tool: &str, input: Value) -> MockServer {
    MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use_with_id("toolu_1", tool, input))
            .reply(Reply::text("done")),
    )
    .unwrap()
}

/// `ccrs -p go` in stream-json with `cfg`, `allowed` allowed.
fn go_allowing(e: &Env, mock: &MockServer, cfg: &str, allowed: &str) -> Output {
    run(e, mock, &args("go", cfg, &["--allowedTools", allowed]), &[])
}

const STREAM: &[&str] = &["--output-format", "stream-json", "--verbose"];

fn args<'a>(prompt: &'a str, cfg: &'a str, more: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec!["-p", prompt];
    a.extend_from_slice(STREAM);
    a.extend_from_slice(more);
    a.extend_from_slice(&["--mcp-config", cfg]);
    a
}

#[test]
fn stdio_tools_are_listed_called_and_their_results_mapped() {
    let Some(srv) = test_server() else { return };
    let e = env();
    let cfg = config(json!({"t": {"command": srv}}));
    // A text result, through an allow rule on the whole server.
    let mock = calling("mcp__t__echo", json!({"text": "hello back"}));
    let out = go_allowing(&e, &mock, &cfg, "mcp__t");
    let i = init(&out);
    assert_eq!(status(&i, "t"), "connected", "{i}");
    for t in ["mcp__t__echo", "mcp__t__add", "ListMcpResourcesTool"] {
        assert!(has_tool(&i, t), "{t} missing: {i}");
    }
    assert!(
        i["slash_commands"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "mcp__t__greet"),
        "{i}"
    );
    let first = &wait_requests(&mock, 1)[0];
    assert!(
        first["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "mcp__t__add"
                && t["input_schema"]["required"] == json!(["a", "b"])),
        "{first}"
    );
    let tr = tool_result(&mock);
    assert!(tr.to_string().contains("hello back"), "{tr}");
    assert!(tr["is_error"] != json!(true), "{tr}");
    assert_eq!(result(&out)["result"], "done");

    // An image and a resource link.
    let mock = calling("mcp__t__picture", json!({}));
    go_allowing(&e, &mock, &cfg, "mcp__t__picture");
    let tr = tool_result(&mock);
    let blocks = tr["content"].as_array().unwrap();
    assert!(
        blocks.iter().any(|b| b["type"] == "image"
            && b["source"]["media_type"] == "image/png"
            && b["source"]["type"] == "base64"),
        "{tr}"
    );
    assert!(tr.to_string().contains("test://hello"), "{tr}");

    // isError becomes an error result.
    let mock = calling("mcp__t__fail", json!({}));
    go_allowing(&e, &mock, &cfg, "mcp__t__fail");
    let tr = tool_result(&mock);
    assert_eq!(tr["is_error"], true, "{tr}");
    assert!(tr.to_string().contains("always fails"), "{tr}");

    // A resource through ReadMcpResourceTool.
    let mock = calling(
        "ReadMcpResourceTool",
        json!({"server": "t", "uri": "test://hello"}),
    );
    go_allowing(&e, &mock, &cfg, "ReadMcpResourceTool");
    let tr = tool_result(&mock);
    assert!(
        tr.to_string().contains("hello from the test resource"),
        "{tr}"
    );
}

#[test]
fn rules_on_mcp_tools_hold() {
    let Some(srv) = test_server() else { return };
    let e = env();
    let cfg = config(json!({"t": {"command": srv}}));
    let denied = |o: &Output| result(o)["permission_denials"].as_array().unwrap().len();
    // A deny rule on one tool wins over an allow rule on its server: the tool is neither
    // offered nor run (as in Claude Code, a denied tool is removed: "No such tool").
    let mock = calling("mcp__t__echo", json!({"text": "secret"}));
    let out = run(
        &e,
        &mock,
        &args(
            "go",
            &cfg,
            &[
                "--allowedTools",
                "mcp__t",
                "--disallowedTools",
                "mcp__t__echo",
            ],
        ),
        &[],
    );
    let i = init(&out);
    assert!(
        !has_tool(&i, "mcp__t__echo") && has_tool(&i, "mcp__t__add"),
        "{i}"
    );
    let tr = tool_result(&mock);
    assert_eq!(tr["is_error"], true);
    assert!(!tr.to_string().contains("secret"), "{tr}");
    let first = &wait_requests(&mock, 1)[0];
    assert!(
        !first["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "mcp__t__echo"),
        "denied tool offered"
    );
    // A deny rule in the settings for one tool, while the others of the server still work.
    std::fs::create_dir_all(e.cwd.join(".claude")).unwrap();
    std::fs::write(
        e.cwd.join(".claude/settings.json"),
        r#"{"permissions":{"allow":["mcp__t"],"deny":["mcp__t__add"]}}"#,
    )
    .unwrap();
    let mock = calling("mcp__t__add", json!({"a": 1, "b": 2}));
    run(&e, &mock, &args("go", &cfg, &[]), &[]);
    let tr = tool_result(&mock);
    assert_eq!(tr["is_error"], true, "{tr}");
    assert!(!tr.to_string().contains('3'), "{tr}");
    let mock = calling("mcp__t__echo", json!({"text": "fine"}));
    let out = run(&e, &mock, &args("go", &cfg, &[]), &[]);
    assert_eq!(denied(&out), 0);
    assert!(tool_result(&mock).to_string().contains("fine"));
    // An ask rule on one tool: print mode has nobody to ask, so it is refused.
    std::fs::write(
        e.cwd.join(".claude/settings.json"),
        r#"{"permissions":{"allow":["mcp__t"],"ask":["mcp__t__echo"]}}"#,
    )
    .unwrap();
    let mock = calling("mcp__t__echo", json!({"text": "x"}));
    let out = run(&e, &mock, &args("go", &cfg, &[]), &[]);
    assert_eq!(denied(&out), 1, "{}", stdout(&out));
    // Without any rule, print mode has nobody to ask: denied.
    std::fs::remove_file(e.cwd.join(".claude/settings.json")).unwrap();
    let mock = calling("mcp__t__echo", json!({"text": "x"}));
    let out = run(&e, &mock, &args("go", &cfg, &[]), &[]);
    assert_eq!(denied(&out), 1);
}

#[test]
fn a_server_that_crashes_at_start_leaves_the_session_working() {
    let Some(srv) = test_server() else { return };
    let e = env();
    let cfg = config(json!({
        "t": {"command": srv},
        "broken": {"command": srv, "args": ["--crash"]},
        "missing": {"command": "/nonexistent/mcp-server"},
    }));
    let mock = calling("mcp__t__add", json!({"a": 2, "b": 3}));
    let out = go_allowing(&e, &mock, &cfg, "mcp__t");
    let i = init(&out);
    assert_eq!(status(&i, "broken"), "failed", "{i}");
    assert_eq!(status(&i, "missing"), "failed", "{i}");
    assert_eq!(status(&i, "t"), "connected", "{i}");
    assert!(tool_result(&mock).to_string().contains('5'));
    assert_eq!(result(&out)["result"], "done");
    let err = stderr(&out);
    assert!(
        err.contains("\"broken\"") && err.contains("crashing on purpose"),
        "reason and stderr tail: {err}"
    );
    assert!(err.contains("\"missing\""), "{err}");
    assert!(out.status.success());
}

#[test]
fn streamable_http_with_expanded_headers() {
    let Some(srv) = test_server() else { return };
    let mut server = std::process::Command::new(&srv)
        .arg("--http")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    let e = env();
    let cfg = config(json!({"web": {
        "type": "http",
        "url": url,
        "headers": {"Authorization": "Bearer ${MCP_TEST_TOKEN}"},
    }}));
    let mock = calling("mcp__web__whoami", json!({}));
    let out = run(
        &e,
        &mock,
        &args("go", &cfg, &["--allowedTools", "mcp__web"]),
        &[("MCP_TEST_TOKEN", "s3cret")],
    );
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(status(&init(&out), "web"), "connected", "{}", stderr(&out));
    assert!(
        tool_result(&mock).to_string().contains("Bearer s3cret"),
        "{}",
        tool_result(&mock)
    );
}

#[test]
fn tool_search_defers_mcp_schemas_and_loads_them_on_request() {
    let Some(srv) = test_server() else { return };
    let e = env();
    let cfg = config(json!({"t": {"command": srv}}));
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_1",
                "ToolSearch",
                json!({"query": "select:mcp__t__add"}),
            ))
            .reply(Reply::tool_use_with_id(
                "toolu_2",
                "mcp__t__add",
                json!({"a": 20, "b": 22}),
            ))
            .reply(Reply::text("done")),
    )
    .unwrap();
    let out = run(
        &e,
        &mock,
        &args("go", &cfg, &["--allowedTools", "mcp__t"]),
        &[("ENABLE_TOOL_SEARCH", "true")],
    );
    assert_eq!(result(&out)["result"], "done", "{}", stderr(&out));
    let reqs = wait_requests(&mock, 3);
    let tools = |r: &Value| r["tools"].as_array().unwrap().clone();
    let first = tools(&reqs[0]);
    assert!(first.iter().any(|t| t["name"] == "ToolSearch"));
    // The first request names the MCP tools but carries none of their schemas.
    assert!(
        !first
            .iter()
            .any(|t| t["name"] == "mcp__t__add" && t["defer_loading"] != true),
        "{first:?}"
    );
    let text = reqs[0]["messages"][0].to_string();
    assert!(
        text.contains("mcp__t__add") && text.contains("mcp__t__echo"),
        "{text}"
    );
    // ToolSearch answered with a reference; the loaded tool is sent deferred from then on.
    let tr = &reqs[1]["messages"].as_array().unwrap().last().unwrap()["content"][0];
    assert!(tr.to_string().contains("tool_reference"), "{tr}");
    assert!(
        tools(&reqs[1])
            .iter()
            .any(|t| t["name"] == "mcp__t__add" && t["defer_loading"] == true),
        "{:?}",
        tools(&reqs[1])
    );
    let beta = mock.message_requests()[1]
        .header("anthropic-beta")
        .unwrap_or("")
        .to_string();
    assert!(beta.contains("advanced-tool-use"), "{beta}");
    let last = reqs[2]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .to_string();
    assert!(last.contains("42"), "{last}");
}

#[test]
fn reference_filesystem_server_answers_through_the_loop() {
    let Some(fs) = fs_server() else { return };
    let e = env();
    std::fs::write(e.cwd.join("notes.txt"), "from the filesystem server\n").unwrap();
    let cwd = e.cwd.to_string_lossy().into_owned();
    let cfg = config(json!({"fs": {"command": fs, "args": [cwd]}}));
    let file = e.cwd.join("notes.txt");
    let mock = calling("mcp__fs__read_text_file", json!({"path": file}));
    let out = go_allowing(&e, &mock, &cfg, "mcp__fs__read_text_file");
    let i = init(&out);
    assert_eq!(status(&i, "fs"), "connected", "{}", stderr(&out));
    assert!(has_tool(&i, "mcp__fs__write_file"), "{i}");
    let tr = tool_result(&mock);
    assert!(
        tr.to_string().contains("from the filesystem server"),
        "{tr}"
    );
    // A deny rule on its write tool holds.
    let target = e.cwd.join("written.txt");
    let mock = calling(
        "mcp__fs__write_file",
        json!({"path": target, "content": "no"}),
    );
    let out = run(
        &e,
        &mock,
        &args(
            "go",
            &cfg,
            &[
                "--allowedTools",
                "mcp__fs",
                "--disallowedTools",
                "mcp__fs__write_file",
            ],
        ),
        &[],
    );
    assert!(!has_tool(&init(&out), "mcp__fs__write_file"));
    assert_eq!(tool_result(&mock)["is_error"], true);
    assert!(!target.exists());
}

/// ccrs in print mode with a server that starts `sleep <marker>`, blocked in a Bash call.
fn blocked_with_server(e: &Env, srv: &str, marker: &str) -> (Child, MockServer) {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                json!({"command": "sleep 60", "description": "wait"}),
            ))
            .reply(Reply::text("done")),
    )
    .unwrap();
    let cfg = config(json!({"t": {"command": srv, "args": ["--child", marker]}}));
    let child = ccrs_command(&e.home, &e.cwd, &mock)
        .args(["-p", "go", "--allowedTools", "Bash", "--mcp-config", &cfg])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, mock)
}

fn servers_with(marker: &str) -> Vec<String> {
    crate::common::processes_with(marker)
        .into_iter()
        .filter(|c| c.contains("mcp_test_server"))
        .collect()
}

fn assert_gone(marker: &str) {
    assert!(
        wait_until(Duration::from_secs(3), || sleepers(marker).is_empty()
            && servers_with(marker).is_empty()),
        "left behind: {:?} {:?}",
        sleepers(marker),
        servers_with(marker)
    );
}

#[test]
fn no_server_outlives_ccrs() {
    let Some(srv) = test_server() else { return };
    let e = env();
    // Normal exit.
    let marker = "61001.5";
    let mock = calling("mcp__t__echo", json!({"text": "x"}));
    let cfg = config(json!({"t": {"command": srv, "args": ["--child", marker]}}));
    let out = run(&e, &mock, &["-p", "go", "--mcp-config", &cfg], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_gone(marker);
    // SIGTERM and kill -9 while a turn runs.
    for (sig, marker) in [("-TERM", "61002.5"), ("-KILL", "61003.5")] {
        let (mut ccrs, _mock) = blocked_with_server(&e, &srv, marker);
        assert!(
            wait_until(Duration::from_secs(20), || !sleepers(marker).is_empty()),
            "the server's child never started"
        );
        std::process::Command::new("kill")
            .args([sig, &ccrs.id().to_string()])
            .status()
            .unwrap();
        ccrs.wait().unwrap();
        assert_gone(marker);
    }
}

/// `ccrs mcp add|add-json|remove` write what Claude Code 2.1.197 writes for the same commands
/// (recorded against a temporary HOME: `claude mcp add …`, the files compared).
#[test]
fn mcp_subcommands_edit_the_files_claude_code_edits() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mcp = |args: &[&str]| {
        let mut a = vec!["mcp"];
        a.extend_from_slice(args);
        let out = run(&e, &mock, &a, &[]);
        assert!(out.status.success(), "{a:?}: {}", stderr(&out));
        stdout(&out)
    };
    // With CLAUDE_CONFIG_DIR set (as here), `.claude.json` lives in it.
    let global_file = e.home.join(".claude/.claude.json");
    std::fs::create_dir_all(e.home.join(".claude")).unwrap();
    std::fs::write(&global_file, r#"{"hasCompletedOnboarding":true}"#).unwrap();
    let added = mcp(&[
        "add",
        "loc",
        "-e",
        "K=V",
        "--",
        "/nonexistent/srv",
        "-y",
        "pkg",
    ]);
    assert!(
        added.contains(
            "Added stdio MCP server loc with command: /nonexistent/srv -y pkg to local config"
        ),
        "{added}"
    );
    mcp(&[
        "add", "-s", "project", "proj", "--", "node", "srv.js", "--flag",
    ]);
    let web = mcp(&[
        "add",
        "-s",
        "user",
        "-t",
        "http",
        "web",
        "https://x/mcp",
        "-H",
        "Authorization: Bearer x",
    ]);
    assert!(
        web.contains("[REDACTED]") && !web.contains("Bearer x"),
        "{web}"
    );
    mcp(&["add", "-s", "user", "-t", "sse", "old", "https://x/sse"]);
    mcp(&[
        "add-json",
        "j",
        r#"{"type":"stdio","command":"a","args":["b"]}"#,
    ]);
    let got = mcp(&["get", "loc"]);
    assert!(
        got.contains("Scope: Local config (private to you in this project)"),
        "{got}"
    );
    mcp(&["remove", "loc"]);
    let read = |p: PathBuf| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    assert_eq!(
        read(e.cwd.join(".mcp.json")),
        json!({"mcpServers": {"proj": {"type": "stdio", "command": "node", "args": ["srv.js", "--flag"], "env": {}}}})
    );
    let global = read(global_file);
    assert_eq!(global["hasCompletedOnboarding"], true);
    assert_eq!(
        global["mcpServers"],
        json!({"old": {"type": "sse", "url": "https://x/sse"},
               "web": {"type": "http", "url": "https://x/mcp", "headers": {"Authorization": "Bearer x"}}})
    );
    let project = &global["projects"][e.cwd.to_str().unwrap()];
    assert_eq!(
        project["mcpServers"],
        json!({"j": {"type": "stdio", "command": "a", "args": ["b"]}})
    );
    for k in [
        "enabledMcpjsonServers",
        "disabledMcpjsonServers",
        "allowedTools",
    ] {
        assert_eq!(project[k], json!([]), "{k}: {project}");
    }
}

#[test]
fn prompts_are_commands_and_hung_calls_end_after_the_tool_timeout() {
    let Some(srv) = test_server() else { return };
    let e = env();
    let cfg = config(json!({"t": {"command": srv}}));
    // `/mcp__t__greet Ann` sends the prompt the server renders.
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("hello Ann"))).unwrap();
    let out = run(&e, &mock, &args("/mcp__t__greet Ann", &cfg, &[]), &[]);
    assert_eq!(result(&out)["result"], "hello Ann", "{}", stderr(&out));
    let first = &wait_requests(&mock, 1)[0];
    assert!(
        first["messages"].to_string().contains("Say hello to Ann."),
        "{first}"
    );
    // A call that does not answer within MCP_TOOL_TIMEOUT is an error result, and the turn
    // goes on.
    let mock = calling("mcp__t__slow", json!({"secs": 30}));
    let started = std::time::Instant::now();
    let out = run(
        &e,
        &mock,
        &args("go", &cfg, &["--allowedTools", "mcp__t"]),
        &[("MCP_TOOL_TIMEOUT", "500")],
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    let tr = tool_result(&mock);
    assert_eq!(tr["is_error"], true, "{tr}");
    assert!(tr.to_string().contains("0.5 s"), "{tr}");
    assert_eq!(result(&out)["result"], "done");
}
