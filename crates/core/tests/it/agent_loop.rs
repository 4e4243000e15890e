//! The agent loop end to end: real client, mock API, fake tools.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{
    AllowPrompter, FakeTool, Harness, ScriptedPrompter, assert_valid_conversation,
    conversation_json,
};
use ccrs_core::agent::Outcome;
use ccrs_core::api::{ContentBlock, Role};
use ccrs_core::events::{AgentEvent, INTERRUPTED, INTERRUPTED_TOOL_USE};
use ccrs_core::permissions::{Mode, PromptAnswer, RuleBehavior, auto_denied_message};
use ccrs_core::tools::{Subject, ToolOutput, ToolRegistry};
use ccrs_mock::{Reply, Scenario, UsageSpec};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn a_text_reply_completes_the_query() {
    let mut h = Harness::builder(
        Scenario::new().reply(Reply::text("Hi! How can I help?").usage(UsageSpec {
            input_tokens: Some(100),
            output_tokens: Some(9),
            ..Default::default()
        })),
    )
    .tools(ToolRegistry::new())
    .build()
    .await;
    let res = h.query("say hi").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    assert_eq!(res.result_text, "Hi! How can I help?");
    assert_eq!(res.num_turns, 1);
    assert_eq!(res.stop_reason.as_deref(), Some("end_turn"));
    assert_eq!((res.usage.input_tokens, res.usage.output_tokens), (100, 9));
    assert_eq!(res.model_usage.len(), 1);
    assert_eq!(res.model_usage[0].model, "claude-sonnet-5");
    assert!(res.total_cost_usd > 0.0);
    assert!(res.permission_denials.is_empty());
    assert_eq!(h.events.text(), "Hi! How can I help?");
    assert_eq!(
        h.events
            .count(|e| matches!(e, AgentEvent::MessageComplete(_))),
        1
    );
    assert_eq!(h.agent.messages().len(), 2);
    assert_eq!(h.agent.messages()[1].role, Role::Assistant);
    let sent = h.sent_messages(0);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["content"][0]["text"], "say hi");
    // The request carries the agent's settings.
    let body = h.server.message_requests()[0].json.clone().unwrap();
    assert_eq!(body["max_tokens"], 4096);
    assert_eq!(body["system"][0]["text"], "You are a test agent.");
    assert!(
        body.get("tools").is_none(),
        "no tools registered, none offered"
    );
}

#[tokio::test]
async fn a_tool_result_reaches_the_next_request_under_its_id() {
    let echo = FakeTool::echo();
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_echo_1",
                "Echo",
                json!({"text": "hello from the tool"}),
            ))
            .reply(Reply::text("The tool said hello.")),
    )
    .tools(ToolRegistry::new())
    .tool(echo.clone())
    .build()
    .await;
    let res = h.query("use the tool").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    assert_eq!(res.num_turns, 2);
    assert_eq!(res.result_text, "The tool said hello.");
    assert_eq!(echo.calls(), vec![json!({"text": "hello from the tool"})]);
    let reqs = h.server.message_requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].json.as_ref().unwrap()["tools"][0]["name"], "Echo");
    let sent = h.sent_messages(1);
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent[1]["content"],
        json!([{"type": "tool_use", "id": "toolu_echo_1", "name": "Echo", "input": {"text": "hello from the tool"}}])
    );
    let tr = crate::common::tool_result_of(&sent[2], "toolu_echo_1");
    assert_eq!(tr["content"], "hello from the tool", "string content");
    assert_eq!(tr["is_error"], false, "is_error sent explicitly");
    assert_valid_conversation(&sent);
    let started = h
        .events
        .count(|e| matches!(e, AgentEvent::ToolStarted { name, .. } if name == "Echo"));
    let finished = h.events.count(|e| {
        matches!(e, AgentEvent::ToolFinished { id, output, .. }
            if id == "toolu_echo_1" && *output == ToolOutput::ok("hello from the tool"))
    });
    assert_eq!((started, finished), (1, 1));
}

#[tokio::test]
async fn two_tool_uses_are_answered_in_one_message_in_order() {
    let echo = FakeTool::echo();
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "text", "text": "Two calls:"}),
                json!({"type": "tool_use", "id": "toolu_a", "name": "Echo", "input": {"text": "first"}}),
                json!({"type": "tool_use", "id": "toolu_b", "name": "Echo", "input": {"text": "second"}}),
            ]))
            .reply(Reply::text("done")),
    )
    .tool(echo.clone())
    .build()
    .await;
    let res = h.query("go").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    let sent = h.sent_messages(1);
    assert_eq!(sent.len(), 3, "one user message carries both results");
    let results = sent[2]["content"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["tool_use_id"], "toolu_a");
    assert_eq!(results[0]["content"], "first");
    assert_eq!(results[1]["tool_use_id"], "toolu_b");
    assert_eq!(results[1]["content"], "second");
    assert_eq!(echo.calls().len(), 2);
    assert_valid_conversation(&sent);
}

#[tokio::test]
async fn an_unknown_tool_gets_an_error_result() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id("toolu_x", "NoSuchTool", json!({})))
            .reply(Reply::text("ok")),
    )
    .tool(FakeTool::echo())
    .build()
    .await;
    let res = h.query("go").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    let tr = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_x").clone();
    assert_eq!(tr["is_error"], true);
    assert_eq!(
        tr["content"],
        "<tool_use_error>Error: No such tool available: NoSuchTool</tool_use_error>"
    );
}

#[tokio::test]
async fn input_failing_the_schema_is_an_input_validation_error() {
    let echo = FakeTool::echo();
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_v",
                "Echo",
                json!({"text": 5}),
            ))
            .reply(Reply::content(vec![
                json!({"type": "tool_use", "id": "toolu_j",
                "name": "Echo", "raw_input": "{\"text\": \"never closed"}),
            ]))
            .reply(Reply::text("ok")),
    )
    .tool(echo.clone())
    .build()
    .await;
    let res = h.query("go").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    assert!(
        echo.calls().is_empty(),
        "invalid input never reaches the tool"
    );
    let tr = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_v").clone();
    assert_eq!(tr["is_error"], true);
    assert_eq!(
        tr["content"],
        "<tool_use_error>InputValidationError: Echo failed due to the following issue:\nThe parameter `text` type is expected as `string` but provided as `integer`</tool_use_error>"
    );
    let sent = h.sent_messages(2);
    let tr = crate::common::tool_result_of(&sent[4], "toolu_j");
    assert_eq!(tr["is_error"], true);
    let text = tr["content"].as_str().unwrap();
    assert!(
        text.starts_with("<tool_use_error>InputValidationError: tool input is not valid JSON"),
        "{text}"
    );
    // The unparseable call goes back with an empty input object, which the API accepts.
    assert_eq!(sent[3]["content"][0]["input"], json!({}));
    assert_valid_conversation(&sent);
}

#[tokio::test]
async fn a_denied_call_is_reported_and_listed() {
    let danger = FakeTool::new(
        "Danger",
        json!({"type": "object", "properties": {"what": {"type": "string"}}}),
        |_, _| ToolOutput::ok("ran"),
    )
    .subject(Subject::Other);
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id(
                "toolu_d",
                "Danger",
                json!({"what": "rm"}),
            ))
            .reply(Reply::text("I could not.")),
    )
    .tool(danger.clone())
    .build()
    .await;
    let res = h.query("do it").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    assert!(danger.calls().is_empty());
    let tr = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_d").clone();
    assert_eq!(tr["is_error"], true);
    assert_eq!(tr["content"], auto_denied_message("Danger"));
    assert_eq!(res.permission_denials.len(), 1);
    let d = &res.permission_denials[0];
    assert_eq!(
        (d.tool_name.as_str(), d.tool_use_id.as_str()),
        ("Danger", "toolu_d")
    );
    assert_eq!(d.tool_input, json!({"what": "rm"}));
    assert_eq!(
        h.events
            .count(|e| matches!(e, AgentEvent::PermissionDenied { .. })),
        1
    );
}

#[tokio::test]
async fn a_deny_rule_refuses_without_asking_and_a_prompter_can_allow() {
    let danger = FakeTool::new("Danger", json!({"type": "object"}), |_, _| {
        ToolOutput::ok("ran")
    })
    .subject(Subject::Other);
    let prompter = ScriptedPrompter::new([PromptAnswer::AllowOnce]);
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id("toolu_1", "Danger", json!({})))
            .reply(Reply::text("ran it")),
    )
    .tool(danger.clone())
    .prompter(prompter.clone())
    .build()
    .await;
    h.query("go").await;
    assert_eq!(prompter.asked.lock().unwrap().len(), 1);
    assert_eq!(danger.calls().len(), 1);
    let tr = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_1").clone();
    assert_eq!(
        (tr["is_error"].clone(), tr["content"].clone()),
        (json!(false), json!("ran"))
    );

    let prompter = ScriptedPrompter::new([PromptAnswer::AllowOnce]);
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use_with_id("toolu_2", "Danger", json!({})))
            .reply(Reply::text("refused")),
    )
    .tool(danger.clone())
    .prompter(prompter.clone())
    .rule(RuleBehavior::Deny, "Danger(*)")
    .mode(Mode::BypassPermissions)
    .build()
    .await;
    let res = h.query("go").await;
    assert!(
        prompter.asked.lock().unwrap().is_empty(),
        "deny rules win, even in bypass mode"
    );
    assert_eq!(danger.calls().len(), 1, "not called again");
    assert_eq!(res.permission_denials.len(), 1);
    let tr = crate::common::tool_result_of(&h.sent_messages(1)[2], "toolu_2").clone();
    assert_eq!(tr["is_error"], true);
    assert!(tr["content"].as_str().unwrap().contains("Danger(*)"));
}

#[tokio::test]
async fn max_turns_stops_the_loop() {
    let echo = FakeTool::echo();
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use("Echo", json!({"text": "1"})))
            .reply(Reply::tool_use("Echo", json!({"text": "2"})))
            .reply(Reply::tool_use("Echo", json!({"text": "3"})))
            .reply(Reply::text("never reached")),
    )
    .tool(echo.clone())
    .max_turns(2)
    .build()
    .await;
    let res = h.query("loop").await;
    assert!(
        matches!(res.outcome, Outcome::MaxTurns),
        "{:?}",
        res.outcome
    );
    assert_eq!(res.num_turns, 2);
    assert_eq!(h.server.message_requests().len(), 2);
    assert_eq!(echo.calls().len(), 2, "the second turn's tool still ran");
    // The history ends with the tool results, so it can be continued.
    assert_eq!(h.agent.messages().last().unwrap().role, Role::User);
    assert_valid_conversation(&conversation_json(&h.agent));
}

#[tokio::test]
async fn thinking_blocks_go_back_with_their_signatures() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "thinking", "thinking": "I should call the echo tool.", "signature": "EqQBCgIYAhIM"}),
                json!({"type": "redacted_thinking", "data": "EmwKAhgBEgy3"}),
                json!({"type": "tool_use", "id": "toolu_t", "name": "Echo", "input": {"text": "x"}}),
            ]))
            .reply(Reply::text("done")),
    )
    .tool(FakeTool::echo())
    .thinking_budget(2048)
    .build()
    .await;
    let res = h.query("think").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    let first = h.server.message_requests()[0].json.clone().unwrap();
    assert_eq!(
        first["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    let sent = h.sent_messages(1);
    assert_eq!(
        sent[1]["content"][0],
        json!({"type": "thinking", "thinking": "I should call the echo tool.", "signature": "EqQBCgIYAhIM"})
    );
    assert_eq!(
        sent[1]["content"][1],
        json!({"type": "redacted_thinking", "data": "EmwKAhgBEgy3"})
    );
    assert_eq!(sent[1]["content"][2]["id"], "toolu_t");
    let thinking: String = h
        .events
        .events()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::ThinkingDelta(t) => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(thinking, "I should call the echo tool.");
}

#[tokio::test]
async fn cancelling_mid_stream_keeps_the_partial_text_and_a_valid_history() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(
                Reply::text("This answer streams slowly and is interrupted.").chunk_delay_ms(100),
            )
            .reply(Reply::text("Continuing after the interruption.")),
    )
    .build()
    .await;
    h.cancel_when(|e| matches!(e, AgentEvent::TextDelta(_)));
    let res = h.query("talk").await;
    assert!(
        matches!(res.outcome, Outcome::Cancelled),
        "{:?}",
        res.outcome
    );
    let partial = h.events.text();
    assert!(!partial.is_empty());
    assert!(
        "This answer streams slowly and is interrupted.".starts_with(&partial)
            && partial.len() < 40,
        "{partial}"
    );
    let msgs = &h.agent.messages();
    assert_eq!(msgs.len(), 3, "{msgs:#?}");
    assert_eq!(msgs[1].role, Role::Assistant);
    assert_eq!(msgs[1].text(), partial, "the partial text is kept");
    assert_eq!(msgs[2].content, vec![ContentBlock::text(INTERRUPTED)]);
    assert_eq!(res.result_text, partial);

    // The next query continues the same conversation, and the API gets a valid one.
    h.reset_cancel();
    let res = h.query("go on").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    let sent = h.sent_messages(1);
    assert_valid_conversation(&sent);
    assert_eq!(sent.len(), 3);
    let last: Vec<&str> = sent[2]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert_eq!(last, [INTERRUPTED, "go on"]);
}

#[tokio::test]
async fn cancelling_after_a_tool_use_streamed_answers_it() {
    let echo = FakeTool::echo();
    let mut h = Harness::builder(
        Scenario::new()
            .reply(
                Reply::content(vec![
                    json!({"type": "text", "text": "Calling it."}),
                    json!({"type": "tool_use", "id": "toolu_c", "name": "Echo", "input": {"text": "x"}}),
                    json!({"type": "text", "text": "and some trailing text that streams slowly"}),
                ])
                .chunk_delay_ms(50),
            )
            .reply(Reply::text("ok")),
    )
    .tool(echo.clone())
    .build()
    .await;
    h.cancel_when(|e| {
        matches!(
            e,
            AgentEvent::BlockComplete {
                block: ContentBlock::ToolUse { .. },
                ..
            }
        )
    });
    let res = h.query("go").await;
    assert!(
        matches!(res.outcome, Outcome::Cancelled),
        "{:?}",
        res.outcome
    );
    assert!(echo.calls().is_empty(), "a cancelled turn runs no tools");
    let conv = conversation_json(&h.agent);
    assert_valid_conversation(&conv);
    let tr = crate::common::tool_result_of(&conv[2], "toolu_c");
    assert_eq!(tr["is_error"], true);
    assert_eq!(tr["content"], INTERRUPTED_TOOL_USE);
    h.reset_cancel();
    h.query("continue").await;
    assert_valid_conversation(&h.sent_messages(1));
}

#[tokio::test]
async fn cancelling_during_a_retry_wait_keeps_nothing_of_the_failed_attempt() {
    // Each failed attempt completed a block without streaming a delta (so it is retried):
    // a redacted thinking block, an empty text block.
    for block in [
        json!({"type": "redacted_thinking", "data": "EmwKAhgB"}),
        json!({"type": "text", "text": ""}),
    ] {
        let mut h = Harness::builder(
            Scenario::new()
                .reply(Reply::content(vec![block.clone()]).with_sse_error(
                    "overloaded_error",
                    "Overloaded",
                    4,
                ))
                .reply(Reply::text("after the interruption")),
        )
        .tools(ToolRegistry::new())
        .build()
        .await;
        h.cancel_when(|e| matches!(e, AgentEvent::ApiRetry { .. }));
        let res = h.query("hello").await;
        assert!(
            matches!(res.outcome, Outcome::Cancelled),
            "{block}: {:?}",
            res.outcome
        );
        assert_eq!(
            h.events
                .count(|e| matches!(e, AgentEvent::BlockComplete { .. })),
            1,
            "{block}: the failed attempt did complete its block"
        );
        let msgs = &h.agent.messages();
        assert_eq!(msgs.len(), 1, "{block}: {msgs:#?}");
        assert_eq!(
            msgs[0].content,
            vec![ContentBlock::text("hello"), ContentBlock::text(INTERRUPTED)]
        );
        assert_eq!(res.result_text, "");
        h.reset_cancel();
        let res = h.query("go on").await;
        assert!(matches!(res.outcome, Outcome::Completed), "{block}");
        assert_valid_conversation(&h.sent_messages(1));
    }
}

#[tokio::test]
async fn cancelling_a_running_tool_ends_the_query_cleanly() {
    let slow = FakeTool::echo().delay(Duration::from_secs(20));
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "tool_use", "id": "toolu_s1", "name": "Echo", "input": {"text": "a"}}),
                json!({"type": "tool_use", "id": "toolu_s2", "name": "Echo", "input": {"text": "b"}}),
            ]))
            .reply(Reply::text("ok")),
    )
    .tool(slow.clone())
    .build()
    .await;
    h.cancel_when(|e| matches!(e, AgentEvent::ToolStarted { .. }));
    let started = std::time::Instant::now();
    let res = h.query("go").await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(res.outcome, Outcome::Cancelled));
    assert_eq!(slow.calls().len(), 1, "the second call never starts");
    let conv = conversation_json(&h.agent);
    assert_valid_conversation(&conv);
    assert_eq!(
        crate::common::tool_result_of(&conv[2], "toolu_s1")["is_error"],
        true
    );
    assert_eq!(
        crate::common::tool_result_of(&conv[2], "toolu_s2")["content"],
        INTERRUPTED_TOOL_USE
    );
}

#[tokio::test]
async fn an_api_error_fails_the_query_and_the_history_stays_usable() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::error(
                400,
                "invalid_request_error",
                "prompt is too long: 300000 tokens > 200000 maximum",
            ))
            .reply(Reply::text("fine now")),
    )
    .build()
    .await;
    let res = h.query("first").await;
    assert!(
        matches!(
            res.outcome,
            Outcome::Failed(ccrs_core::error::ApiError::PromptTooLong { .. })
        ),
        "{:?}",
        res.outcome
    );
    let res = h.query("second").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    let sent = h.sent_messages(1);
    assert_valid_conversation(&sent);
}

#[tokio::test]
async fn retries_are_reported_as_events() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::status(529).header("retry-after-ms", "10"))
            .reply(Reply::text("ok")),
    )
    .build()
    .await;
    let res = h.query("x").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    assert_eq!(
        h.events.count(|e| matches!(
            e,
            AgentEvent::ApiRetry(n) if n.attempt == 1 && n.status == Some(529)
        )),
        1
    );
}

#[tokio::test]
async fn allowed_calls_run_and_usage_adds_up_over_turns() {
    let writer = FakeTool::new("Writer", json!({"type": "object"}), |_, ctx| {
        std::fs::write(ctx.cwd.join("out.txt"), "written").unwrap();
        ToolOutput::ok("wrote out.txt")
    })
    .subject(Subject::Write(vec![]));
    let usage = |i, o| UsageSpec {
        input_tokens: Some(i),
        output_tokens: Some(o),
        ..Default::default()
    };
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use("Writer", json!({})).usage(usage(10, 2)))
            .reply(Reply::text("done").usage(usage(20, 3))),
    )
    .tool(writer)
    .prompter(Arc::new(AllowPrompter))
    .build()
    .await;
    let res = h.query("write").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    assert_eq!(
        std::fs::read_to_string(h.cwd().join("out.txt")).unwrap(),
        "written"
    );
    assert_eq!((res.usage.input_tokens, res.usage.output_tokens), (30, 5));
    assert_eq!(h.agent.session_usage()[0].usage.input_tokens, 30);
}

#[tokio::test]
async fn pause_turn_sends_the_conversation_again() {
    let search = json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "rust"}});
    let result = json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
        "content": [{"type": "web_search_result", "url": "https://www.rust-lang.org", "title": "Rust", "encrypted_content": "abc"}]});
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::content(vec![search.clone(), result.clone()]).stop_reason("pause_turn"))
            .reply(Reply::text("Rust is a language.")),
    )
    .build()
    .await;
    let res = h.query("what is rust?").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    assert_eq!(res.num_turns, 2);
    assert_eq!(res.result_text, "Rust is a language.");
    let sent = h.sent_messages(1);
    assert_eq!(
        sent.len(),
        2,
        "the paused assistant turn is continued as is"
    );
    let blocks = sent[1]["content"].as_array().unwrap();
    assert_eq!(blocks[0], search);
    // The last block carries the cache breakpoint; otherwise verbatim.
    let mut last = blocks[1].clone();
    last.as_object_mut().unwrap().remove("cache_control");
    assert_eq!(last, result);
}

#[tokio::test]
async fn an_empty_answer_leaves_a_continuable_history() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::content(vec![]))
            .reply(Reply::text("second answer")),
    )
    .build()
    .await;
    let res = h.query("first").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    assert_eq!(res.result_text, "");
    let res = h.query("second").await;
    assert_eq!(res.result_text, "second answer");
    assert_valid_conversation(&h.sent_messages(1));
}

#[tokio::test]
async fn a_truncated_tool_call_at_max_tokens_is_answered_with_an_error() {
    let echo = FakeTool::echo();
    let mut h = Harness::builder(
        Scenario::new()
            .reply(
                Reply::content(vec![
                    json!({"type": "tool_use", "id": "toolu_m", "name": "Echo",
                    "raw_input": "{\"text\": \"a very long text that was cut"}),
                ])
                .stop_reason("max_tokens"),
            )
            .reply(Reply::text("sorry")),
    )
    .tool(echo.clone())
    .build()
    .await;
    let res = h.query("go").await;
    assert!(matches!(res.outcome, Outcome::Completed));
    assert!(echo.calls().is_empty());
    let sent = h.sent_messages(1);
    assert_valid_conversation(&sent);
    assert_eq!(
        crate::common::tool_result_of(&sent[2], "toolu_m")["is_error"],
        true
    );
}

#[tokio::test]
async fn the_budget_stops_the_loop_before_the_next_request() {
    let expensive = UsageSpec {
        input_tokens: Some(1_000_000),
        output_tokens: Some(1000),
        ..Default::default()
    };
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use("Echo", json!({"text": "1"})).usage(expensive))
            .reply(Reply::text("never requested")),
    )
    .tool(FakeTool::echo())
    .max_budget_usd(0.5)
    .build()
    .await;
    let res = h.query("spend").await;
    assert!(
        matches!(res.outcome, Outcome::MaxBudget),
        "{:?}",
        res.outcome
    );
    assert!(res.total_cost_usd >= 0.5);
    assert_eq!(h.server.message_requests().len(), 1);
    assert_valid_conversation(&conversation_json(&h.agent));
}
