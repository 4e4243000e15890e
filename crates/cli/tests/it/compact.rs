//! Compaction: `/compact` makes the next request smaller and keeps the summary, the memory
//! files, the todo list and the last user message; it happens on its own at the threshold
//! (`CLAUDE_AUTOCOMPACT_PCT_OVERRIDE`), and once after a 400 "prompt is too long"; when no
//! summary can be had, the fallback keeps the conversation with old tool output dropped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Tui, ccrs_in, env, stderr, wait_requests, write};
use ccrs_mock::{MockServer, Reply, Scenario, UsageSpec};
use serde_json::{Value, json};

const CONTINUATION: &str = "This session is being continued from a previous conversation that ran out of context. The summary below covers the earlier portion of the conversation.";

fn first_user_texts(req: &Value) -> Vec<String> {
    req["messages"][0]["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["text"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn slash_compact_makes_the_next_request_smaller_and_keeps_the_summary() {
    let e = env();
    write(&e.cwd.join("CLAUDE.md"), "PROJECT-MEMORY rule\n");
    let long = "apples ".repeat(400);
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::text(long.clone()),
        Reply::text("<analysis>thinking</analysis>\n<summary>SUMMARY: user likes apples</summary>"),
        Reply::text("after-answer"),
    ]))
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("first question about apples");
    t.wait_text("apples apples");
    t.wait_idle();
    t.submit("/compact keep apples");
    let screen = t.wait_text("Compacted (manual)");
    assert!(screen.contains("summarized"), "{screen}");
    t.submit("after compaction question");
    t.wait_text("after-answer");
    let reqs = wait_requests(&mock, 3);
    // The summary request: the history, then the prompt with the user's instructions.
    let ask = reqs[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .to_string();
    assert!(
        ask.contains("Additional instructions:\\nkeep apples"),
        "{ask}"
    );
    assert!(reqs[1].get("thinking").is_none());
    // The next request starts over from the summary: memory, summary, last message, then the
    // new prompt — and it is much smaller.
    let texts = first_user_texts(&reqs[2]);
    assert!(texts[0].contains("PROJECT-MEMORY rule"), "{texts:?}");
    assert_eq!(
        texts[1],
        format!("{CONTINUATION}\n\nSummary:\nSUMMARY: user likes apples")
    );
    assert_eq!(
        texts[2],
        "The user's last message before compaction, verbatim:\nfirst question about apples"
    );
    assert_eq!(texts.last().unwrap(), "after compaction question");
    assert_eq!(reqs[2]["messages"].as_array().unwrap().len(), 1);
    let before = reqs[1]["messages"].to_string().len();
    let after = reqs[2]["messages"].to_string().len();
    assert!(after < before, "{after} vs {before}");
    assert!(!reqs[2].to_string().contains(&long[..100]));
}

#[test]
fn auto_compaction_triggers_at_the_threshold() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, cwd) = (tmp.path().join("home"), tmp.path().join("proj"));
    write(&cwd.join("a.txt"), &"line of file\n".repeat(100));
    std::fs::create_dir_all(&home).unwrap();
    let big = UsageSpec {
        input_tokens: Some(40_000),
        output_tokens: Some(100),
        ..Default::default()
    };
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use("Read", json!({"file_path": cwd.join("a.txt")})).usage(big),
        Reply::text("<summary>AUTO-SUMMARY read a.txt</summary>"),
        Reply::text("done"),
    ]))
    .unwrap();
    // A 100k window: the threshold is 100k - 20k - 13k = 67k, and half of that is 33.5k.
    let out = ccrs_in(
        &home,
        &cwd,
        &mock,
        &["-p", "read a.txt please"],
        &[
            ("CLAUDE_AUTOCOMPACT_PCT_OVERRIDE", "50"),
            ("CLAUDE_CODE_AUTO_COMPACT_WINDOW", "100000"),
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("Compacted (auto)"),
        "{}",
        stderr(&out)
    );
    let reqs = wait_requests(&mock, 3);
    assert!(reqs[1].to_string().contains("Summarize this conversation"));
    let texts = first_user_texts(&reqs[2]);
    assert!(texts[0].ends_with("AUTO-SUMMARY read a.txt"), "{texts:?}");
    assert!(texts[1].ends_with("read a.txt please"), "{texts:?}");

    // The same run with auto-compaction off (setting) sends no summary request.
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use("Read", json!({"file_path": cwd.join("a.txt")})).usage(big),
        Reply::text("done"),
    ]))
    .unwrap();
    write(
        &home.join(".claude/settings.json"),
        r#"{"autoCompactEnabled": false}"#,
    );
    let out = ccrs_in(
        &home,
        &cwd,
        &mock,
        &["-p", "read a.txt please"],
        &[
            ("CLAUDE_AUTOCOMPACT_PCT_OVERRIDE", "50"),
            ("CLAUDE_CODE_AUTO_COMPACT_WINDOW", "100000"),
        ],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert_eq!(mock.message_requests().len(), 2);
}

#[test]
fn prompt_too_long_compacts_and_retries_once_and_the_fallback_cannot_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let (home, cwd) = (tmp.path().join("home"), tmp.path().join("proj"));
    write(&cwd.join("big.txt"), &"0123456789 abcdefghij\n".repeat(400));
    std::fs::create_dir_all(&home).unwrap();
    let too_long = || {
        Reply::error(
            400,
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
        )
    };
    // The summary request fails too: the fallback keeps the conversation, old output dropped.
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use("Read", json!({"file_path": cwd.join("big.txt")})),
        Reply::tool_use(
            "Read",
            json!({"file_path": cwd.join("big.txt"), "offset": 2}),
        ),
        Reply::tool_use(
            "Read",
            json!({"file_path": cwd.join("big.txt"), "offset": 3}),
        ),
        too_long(),
        Reply::error(500, "api_error", "summary failed"),
        Reply::text("answered after compaction"),
    ]))
    .unwrap();
    let out = ccrs_in(
        &home,
        &cwd,
        &mock,
        &["-p", "read big.txt", "--output-format", "json"],
        &[("CLAUDE_CODE_MAX_RETRIES", "0")],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("kept without a summary"), "{err}");
    assert!(err.contains("output of Read"), "{err}");
    let reqs = wait_requests(&mock, 6);
    let retried = reqs[5]["messages"].to_string();
    assert!(retried.contains("dropped by compaction"), "{retried}");
    assert!(retried.len() < reqs[3]["messages"].to_string().len());
    let result: Value = serde_json::from_str(&crate::common::stdout(&out)).unwrap();
    assert_eq!(result["result"], "answered after compaction");

    // Once only: a second 400 ends the query with the error.
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use("Read", json!({"file_path": cwd.join("big.txt")})),
        too_long(),
        Reply::text("<summary>S</summary>"),
        too_long(),
    ]))
    .unwrap();
    let out = ccrs_in(&home, &cwd, &mock, &["-p", "read big.txt"], &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("prompt is too long"),
        "{}",
        stderr(&out)
    );
    assert_eq!(mock.message_requests().len(), 4);
}
