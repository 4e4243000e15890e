//! Extended thinking: `alwaysThinkingEnabled` / `--max-thinking-tokens` / `--thinking` reach the
//! request, and thinking blocks go back with their signatures (redacted ones kept as they
//! are) on the request after a tool call, as the API requires; stream-json shows them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{ccrs_in, stderr, stdout, wait_requests, write};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};

#[test]
fn thinking_signatures_round_trip_across_tool_calls() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::canonicalize(tmp.path()).unwrap();
    let (home, cwd) = (t.join("home"), t.join("proj"));
    write(
        &home.join(".claude/settings.json"),
        r#"{"alwaysThinkingEnabled": true}"#,
    );
    write(&cwd.join("a.txt"), "alpha\n");
    let thinking = json!({"type": "thinking", "thinking": "I should read a.txt first.", "signature": "sig-ABC123"});
    let redacted = json!({"type": "redacted_thinking", "data": "ENCRYPTED-xyz"});
    let tool = json!({"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": cwd.join("a.txt")}});
    let mock = MockServer::start_blocking(
        Scenario::new().replies([
            Reply::content(vec![thinking.clone(), redacted.clone(), tool.clone()])
                .stop_reason("tool_use"),
            Reply::text("done"),
        ]),
    )
    .unwrap();
    let out = ccrs_in(
        &home,
        &cwd,
        &mock,
        &[
            "-p",
            "read it",
            "--output-format",
            "stream-json",
            "--verbose",
        ],
        &[],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let reqs = wait_requests(&mock, 2);
    assert_eq!(
        reqs[0]["thinking"],
        json!({"type": "enabled", "budget_tokens": 31999})
    );
    assert!(reqs[0]["max_tokens"].as_u64().unwrap() > 31999);
    // The assistant turn goes back whole: thinking with its signature, the redacted block,
    // then the tool call, in that order.
    let assistant = &reqs[1]["messages"][1];
    assert_eq!(assistant["role"], "assistant");
    let blocks: Vec<Value> = assistant["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let mut b = b.clone();
            b.as_object_mut().unwrap().remove("cache_control");
            b
        })
        .collect();
    assert_eq!(blocks, vec![thinking.clone(), redacted, tool]);
    // stream-json shows the thinking block, signature included (as Claude Code does).
    let shown = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["type"] == "assistant" && v["message"]["content"][0]["type"] == "thinking")
        .expect("no assistant line with the thinking block");
    assert_eq!(shown["message"]["content"][0], thinking);

    // --thinking disabled turns it off whatever the setting says.
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs_in(
        &home,
        &cwd,
        &mock,
        &["-p", "hi", "--thinking", "disabled"],
        &[],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(wait_requests(&mock, 1)[0].get("thinking").is_none());
}
