//! Tools that had only direct tests, now end to end through the agent loop and the mock API:
//! the mock scripts the tool_use, the test checks the tool_result in the next captured request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::Harness;
use ccrs_core::agent::Outcome;
use ccrs_core::permissions::RuleBehavior;
use ccrs_mock::{Reply, Scenario};
use serde_json::{Value, json};

fn result_of(h: &Harness, request: usize) -> Value {
    let reqs = h.server.message_requests();
    let r = reqs[request].tool_results();
    assert_eq!(r.len(), 1, "one tool result expected in request {request}");
    r[0].clone()
}

#[tokio::test]
async fn glob_and_grep_through_the_loop() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use("Glob", json!({"pattern": "**/*.rs"})))
            .reply(Reply::tool_use(
                "Grep",
                json!({"pattern": "fn main", "output_mode": "content", "-n": true}),
            ))
            .reply(Reply::text("found it")),
    )
    .build()
    .await;
    std::fs::create_dir_all(h.cwd().join("src")).unwrap();
    std::fs::write(h.cwd().join("src/main.rs"), "// app\nfn main() {}\n").unwrap();
    std::fs::write(h.cwd().join("README.md"), "no code here\n").unwrap();
    let res = h.query("where is main?").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    // Read-only tools run without a rule inside the working directory.
    let glob = result_of(&h, 1);
    assert_eq!(glob["is_error"], false, "{glob}");
    assert_eq!(glob["content"], "src/main.rs");
    let grep = result_of(&h, 2);
    assert_eq!(grep["is_error"], false, "{grep}");
    assert_eq!(grep["content"], "src/main.rs:2:fn main() {}");
    assert!(res.permission_denials.is_empty());
}

fn background_id(result: &Value) -> String {
    let text = result["content"].as_str().unwrap();
    assert!(
        text.starts_with("Command running in background with ID: "),
        "{text}"
    );
    text.trim_start_matches("Command running in background with ID: ")
        .split(['.', ' ', '\n'])
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn background_shell_output_read_through_the_loop() {
    // The shell id is only known at run time: the mock fills it in from the previous result.
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                json!({"command": "echo first; sleep 0.3; echo second", "run_in_background": true}),
            ))
            .reply(Reply::tool_use(
                "BashOutput",
                json!({"bash_id": "{{last_tool_result_after:ID: }}", "block": true, "timeout": 10000}),
            ))
            .reply(Reply::text("read it")),
    )
    .rule(RuleBehavior::Allow, "Bash")
    .build()
    .await;
    let res = h.query("start and watch it").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    let id = background_id(&result_of(&h, 1));
    let reqs = h.server.message_requests();
    let sent = reqs[2].messages();
    let call = &sent[sent.len() - 2]["content"][0];
    assert_eq!(call["name"], "BashOutput");
    assert_eq!(call["input"]["bash_id"], json!(id));
    let out = result_of(&h, 2);
    assert_eq!(out["is_error"], false, "{out}");
    let text = out["content"].as_str().unwrap();
    assert!(text.contains("first") && text.contains("second"), "{text}");
    assert!(text.contains("<status>completed</status>"), "{text}");
}

#[tokio::test]
async fn background_shell_killed_through_the_loop() {
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                json!({"command": "sleep 60", "run_in_background": true}),
            ))
            .reply(Reply::tool_use(
                "KillShell",
                json!({"shell_id": "{{last_tool_result_after:ID: }}"}),
            ))
            .reply(Reply::text("stopped")),
    )
    .rule(RuleBehavior::Allow, "Bash")
    .build()
    .await;
    let res = h.query("start then stop").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    let id = background_id(&result_of(&h, 1));
    let kill = result_of(&h, 2);
    assert_eq!(kill["is_error"], false, "{kill}");
    assert!(kill["content"].as_str().unwrap().contains(&id), "{kill}");
    let shell = h.agent.session_state().shells.get(&id).unwrap();
    assert!(!shell.status().is_running());
    // The process group is gone.
    let pid = shell.pid();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "process {pid} survived KillShell"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test]
async fn web_search_through_the_loop() {
    // The search is a side request to the same model with the server tool: route it by body.
    let side = Reply::content(vec![
        json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
               "input": {"query": "ccrs release"}}),
        json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [
            {"type": "web_search_result", "title": "ccrs 1.0 released", "url": "https://example.com/ccrs-1",
             "encrypted_content": "enc", "page_age": "1 day ago"}]}),
        json!({"type": "text", "text": "ccrs 1.0 is out."}),
    ])
    .matching_body("web_search_20250305");
    let mut h = Harness::builder(
        Scenario::new()
            .reply(side)
            .reply(Reply::tool_use(
                "WebSearch",
                json!({"query": "ccrs release"}),
            ))
            .reply(Reply::text("It was released.")),
    )
    .rule(RuleBehavior::Allow, "WebSearch")
    .build()
    .await;
    let res = h.query("is ccrs out?").await;
    assert!(
        matches!(res.outcome, Outcome::Completed),
        "{:?}",
        res.outcome
    );
    let reqs = h.server.message_requests();
    assert_eq!(reqs.len(), 3);
    // The side request carried the server tool and the query.
    let side_body = reqs[1].json.clone().unwrap();
    assert_eq!(side_body["tools"][0]["type"], "web_search_20250305");
    assert!(side_body.to_string().contains("ccrs release"));
    let result = result_of(&h, 2);
    assert_eq!(result["is_error"], false, "{result}");
    let text = result["content"].as_str().unwrap();
    assert!(
        text.contains("https://example.com/ccrs-1") && text.contains("ccrs 1.0 released"),
        "{text}"
    );
    // Without a rule, print-mode style denial: WebSearch needs approval.
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use("WebSearch", json!({"query": "x y"})))
            .reply(Reply::text("ok")),
    )
    .build()
    .await;
    let res = h.query("search").await;
    assert_eq!(res.permission_denials.len(), 1);
    assert_eq!(
        h.server.message_requests().len(),
        2,
        "no side request without permission"
    );
}
