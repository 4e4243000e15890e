//! WebFetch, WebSearch and TodoWrite end to end: pages and the Messages API both come from the
//! mock server on 127.0.0.1 (plain HTTP, which WebFetch keeps for loopback hosts).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::Harness;
use ccrs_core::events::AgentEvent;
use ccrs_core::permissions::RuleBehavior;
use ccrs_core::tools::context::TodoStatus;
use ccrs_core::tools::todo_write::TODO_RESULT;
use ccrs_core::tools::web_fetch::{MAX_BODY_BYTES, MAX_CONTENT_CHARS, PageCache, WebFetch};
use ccrs_core::tools::web_search::WebSearch;
use ccrs_core::tools::{Tool, ToolContext, ToolOutput};
use ccrs_mock::{MockServer, Reply, Route, Scenario};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HAIKU: &str = "claude-haiku-4-5";
const SONNET: &str = "claude-sonnet-5";

const PAGE: &str = "<html><head><title>t</title><script>evil()</script></head><body>\
    <h1>Release notes</h1><p>Version <b>2.4</b> adds <a href=\"/docs/cache\">caching</a>.</p>\
    </body></html>";

/// A context whose side requests go to `server` (none when `api` is false).
fn ctx(server: &MockServer, dir: &std::path::Path, api: bool) -> ToolContext {
    let mut c = ToolContext::for_tests(dir);
    c.api = api.then(|| crate::common::client(server));
    c.small_model = HAIKU.into();
    c.model = SONNET.into();
    c
}

/// A WebFetch with a private cache, so tests do not see each other's pages.
fn fetcher() -> WebFetch {
    WebFetch::with_cache(Arc::new(PageCache::default()))
}

async fn fetch(t: &WebFetch, c: &ToolContext, url: &str, prompt: &str) -> ToolOutput {
    tokio::time::timeout(
        Duration::from_secs(20),
        t.call(json!({"url": url, "prompt": prompt}), c),
    )
    .await
    .expect("WebFetch hung")
}

fn page_gets(server: &MockServer, path: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == path)
        .count()
}

fn user_text(req: &ccrs_mock::CapturedRequest) -> String {
    let content = &req.messages()[0]["content"];
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

#[tokio::test]
async fn fetch_converts_the_page_and_the_small_model_answers() {
    let server = MockServer::start(
        Scenario::new()
            .route("GET /notes", Route::html(PAGE))
            .reply(Reply::text("Version 2.4 adds caching.").matching_model("haiku")),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let url = format!("{}/notes", server.base_url());
    let out = fetch(&fetcher(), &c, &url, "What does the new version add?").await;
    assert!(!out.is_error, "{}", out.text());
    assert_eq!(out.text(), "Version 2.4 adds caching.");
    let s = out.structured.unwrap();
    assert_eq!(s["code"], 200);
    assert_eq!(s["codeText"], "OK");
    assert_eq!(s["url"], url);
    assert_eq!(s["bytes"], PAGE.len());

    // The page was requested with ccrs's user agent.
    let get = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/notes")
        .unwrap();
    assert!(
        get.header("user-agent")
            .unwrap()
            .starts_with("Claude-User (ccrs/")
    );
    // One side request to the small model, with the page as markdown and the prompt.
    let reqs = server.message_requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json.as_ref().unwrap();
    assert_eq!(body["model"], HAIKU);
    assert!(
        body.get("tools").is_none(),
        "the side request offers no tools"
    );
    assert!(body["max_tokens"].as_u64().unwrap() <= 4096);
    let text = user_text(&reqs[0]);
    assert!(text.contains("# Release notes"), "{text}");
    assert!(
        text.contains(&format!(
            "Version **2.4** adds [caching]({}/docs/cache).",
            server.base_url()
        )),
        "{text}"
    );
    assert!(text.contains("What does the new version add?"), "{text}");
    assert!(!text.contains("evil()"), "scripts are dropped: {text}");
}

#[tokio::test]
async fn without_an_api_client_the_markdown_is_returned() {
    let server = MockServer::start(Scenario::new().route("GET /notes", Route::html(PAGE)))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), false);
    let out = fetch(&fetcher(), &c, &format!("{}/notes", server.base_url()), "p").await;
    assert!(!out.is_error, "{}", out.text());
    assert_eq!(
        out.text(),
        format!(
            "# Release notes\n\nVersion **2.4** adds [caching]({}/docs/cache).",
            server.base_url()
        )
    );
    assert!(server.message_requests().is_empty());
}

#[tokio::test]
async fn plain_text_and_json_pass_through_and_binary_is_refused() {
    let server = MockServer::start(
        Scenario::new()
            .route("GET /a.txt", Route::text("line <b>one</b>\nline two"))
            .route(
                "GET /data.json",
                Route::new(200, "{\"a\": [1, 2]}").header("content-type", "application/json"),
            )
            .route(
                "GET /logo.png",
                Route::new(200, b"\x89PNG\r\n\x1a\n\0\0".to_vec())
                    .header("content-type", "image/png"),
            )
            .route(
                "GET /blob",
                Route::new(200, b"\0\x01\x02\x03binary".to_vec())
                    .header("content-type", "application/octet-stream"),
            ),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), false);
    let t = fetcher();
    let base = server.base_url();
    let out = fetch(&t, &c, &format!("{base}/a.txt"), "p").await;
    assert_eq!(out.text(), "line <b>one</b>\nline two");
    let out = fetch(&t, &c, &format!("{base}/data.json"), "p").await;
    assert_eq!(out.text(), "{\"a\": [1, 2]}");
    for path in ["/logo.png", "/blob"] {
        let out = fetch(&t, &c, &format!("{base}{path}"), "p").await;
        assert!(out.is_error, "{path}: {}", out.text());
        assert!(out.text().contains("binary content"), "{}", out.text());
    }
}

#[tokio::test]
async fn same_host_redirects_are_followed() {
    let server = MockServer::start(
        Scenario::new()
            .route("GET /old", Route::redirect("/middle"))
            .route(
                "GET /middle",
                Route::new(301, Vec::new()).header("location", "new?x=1"),
            )
            .route("GET /new?x=1", Route::html("<p>arrived</p>")),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), false);
    let out = fetch(&fetcher(), &c, &format!("{}/old", server.base_url()), "p").await;
    assert!(!out.is_error, "{}", out.text());
    assert_eq!(out.text(), "arrived");
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/old", "/middle", "/new"]);
}

#[tokio::test]
async fn cross_host_redirects_are_reported_not_followed() {
    let server = MockServer::start(Scenario::new()).await.unwrap();
    // Same machine, but "localhost" is another host name than 127.0.0.1.
    let target = format!("http://localhost:{}/elsewhere", server.port());
    server.set_route("GET /away", Route::redirect(target.clone()));
    server.set_route("GET /elsewhere", Route::html("<p>should not be read</p>"));
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let original = format!("{}/away", server.base_url());
    let out = fetch(&fetcher(), &c, &original, "summarise").await;
    assert!(!out.is_error, "{}", out.text());
    let text = out.text();
    assert!(
        text.starts_with("REDIRECT DETECTED: The URL redirects to a different host."),
        "{text}"
    );
    assert!(
        text.contains(&format!("Original URL: {original}")),
        "{text}"
    );
    assert!(text.contains(&format!("Redirect URL: {target}")), "{text}");
    assert!(text.contains("Status: 302 Found"), "{text}");
    assert!(text.contains("call WebFetch again"), "{text}");
    assert_eq!(out.structured.unwrap()["code"], 302);
    assert_eq!(page_gets(&server, "/elsewhere"), 0);
    assert!(server.message_requests().is_empty(), "nothing to summarise");
}

#[tokio::test]
async fn redirect_loops_stop() {
    let server = MockServer::start(Scenario::new().route("GET /loop", Route::redirect("/loop")))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), false);
    let out = fetch(&fetcher(), &c, &format!("{}/loop", server.base_url()), "p").await;
    assert!(out.is_error);
    assert!(out.text().contains("Too many redirects"), "{}", out.text());
    assert_eq!(page_gets(&server, "/loop"), 11);
}

#[tokio::test]
async fn http_errors_carry_the_status() {
    let server = MockServer::start(
        Scenario::new()
            .route("GET /gone", Route::new(404, "<h1>Not here</h1>"))
            .route("GET /boom", Route::new(503, "down")),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let t = fetcher();
    let url = format!("{}/gone", server.base_url());
    let out = fetch(&t, &c, &url, "p").await;
    assert!(out.is_error);
    assert_eq!(
        out.text(),
        format!("Request failed with status code 404 (Not Found) for {url}")
    );
    let out = fetch(&t, &c, &format!("{}/boom", server.base_url()), "p").await;
    assert!(out.is_error);
    assert!(
        out.text().contains("503 (Service Unavailable)"),
        "{}",
        out.text()
    );
    assert!(server.message_requests().is_empty());
}

#[tokio::test]
async fn oversized_bodies_are_cut_and_content_truncated() {
    let big = "word ".repeat(MAX_BODY_BYTES / 5 + 100_000);
    let server = MockServer::start(Scenario::new().route("GET /big", Route::text(big)))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), false);
    let out = fetch(&fetcher(), &c, &format!("{}/big", server.base_url()), "p").await;
    assert!(
        !out.is_error,
        "{}",
        out.text().chars().take(200).collect::<String>()
    );
    let text = out.text();
    assert!(text.starts_with("word word"));
    assert!(
        text.contains("only the first 10 MB were read"),
        "cut note missing"
    );
    assert!(text.contains(&format!(
        "truncated to the first {MAX_CONTENT_CHARS} characters"
    )));
    assert!(text.chars().count() < MAX_CONTENT_CHARS + 300);
    assert_eq!(out.structured.unwrap()["bytes"], MAX_BODY_BYTES);
}

#[tokio::test]
async fn cached_pages_are_not_fetched_again() {
    let server = MockServer::start(
        Scenario::new()
            .route("GET /notes", Route::html(PAGE))
            .reply(Reply::text("first answer").matching_model("haiku"))
            .reply(Reply::text("second answer").matching_model("haiku")),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let t = fetcher();
    let url = format!("{}/notes", server.base_url());
    assert_eq!(fetch(&t, &c, &url, "q1").await.text(), "first answer");
    let second = fetch(&t, &c, &url, "q2").await;
    assert_eq!(second.text(), "second answer");
    assert_eq!(
        page_gets(&server, "/notes"),
        1,
        "the second call used the cache"
    );
    // The new prompt still goes to the model, over the same page.
    let reqs = server.message_requests();
    assert_eq!(reqs.len(), 2);
    assert!(user_text(&reqs[1]).contains("q2"));
    assert!(user_text(&reqs[1]).contains("# Release notes"));
    // Errors are not cached.
    server.set_route("GET /flaky", Route::new(500, "x"));
    let flaky = format!("{}/flaky", server.base_url());
    assert!(fetch(&t, &c, &flaky, "p").await.is_error);
    server.set_route("GET /flaky", Route::text("fine now"));
    let mut no_api = c.clone();
    no_api.api = None;
    assert_eq!(fetch(&t, &no_api, &flaky, "p").await.text(), "fine now");
}

#[tokio::test]
async fn cancellation_ends_a_slow_fetch() {
    let server = MockServer::start(
        Scenario::new().route("GET /slow", Route::html("<p>late</p>").delay_ms(10_000)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), false);
    let cancel = c.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        cancel.cancel();
    });
    let started = Instant::now();
    let out = fetch(&fetcher(), &c, &format!("{}/slow", server.base_url()), "p").await;
    assert!(out.is_error);
    assert!(out.text().contains("interrupted"), "{}", out.text());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_failed_side_request_is_an_error() {
    let server = MockServer::start(
        Scenario::new()
            .route("GET /notes", Route::html(PAGE))
            .reply(Reply::error(400, "invalid_request_error", "bad model").matching_model("haiku")),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let out = fetch(&fetcher(), &c, &format!("{}/notes", server.base_url()), "p").await;
    assert!(out.is_error);
    assert!(
        out.text().contains("could not process it"),
        "{}",
        out.text()
    );
    assert!(out.text().contains("bad model"), "{}", out.text());
}

// ---------------------------------------------------------------------------------------------
// WebSearch

fn search_result_block(id: &str, hits: &[(&str, &str)]) -> Value {
    json!({
        "type": "web_search_tool_result",
        "tool_use_id": id,
        "content": hits.iter().map(|(title, url)| json!({
            "type": "web_search_result", "title": title, "url": url,
            "encrypted_content": "enc", "page_age": "2 days ago"
        })).collect::<Vec<_>>()
    })
}

async fn search(c: &ToolContext, input: Value) -> ToolOutput {
    tokio::time::timeout(Duration::from_secs(20), WebSearch.call(input, c))
        .await
        .expect("WebSearch hung")
}

#[tokio::test]
async fn search_results_are_formatted_for_the_model() {
    let server = MockServer::start(
        Scenario::new().reply(
            Reply::content(vec![
                json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
                   "input": {"query": "tokio 2 release"}}),
                search_result_block(
                    "srvtoolu_1",
                    &[
                        ("Tokio 2.0 announced", "https://tokio.rs/blog/2026-tokio-2"),
                        ("Changelog", "https://github.com/tokio-rs/tokio/releases"),
                    ],
                ),
                json!({"type": "text", "text": "Tokio 2.0 was announced on the blog."}),
            ])
            .matching_model("sonnet"),
        ),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let out = search(
        &c,
        json!({"query": "tokio 2 release", "allowed_domains": ["tokio.rs", "github.com"]}),
    )
    .await;
    assert!(!out.is_error, "{}", out.text());
    assert_eq!(
        out.text(),
        "Web search results for query: \"tokio 2 release\"\n\n\
         Links:\n\
         1. [Tokio 2.0 announced](https://tokio.rs/blog/2026-tokio-2)\n\
         2. [Changelog](https://github.com/tokio-rs/tokio/releases)\n\n\
         Tokio 2.0 was announced on the blog.\n\n\
         When you use these results, cite the sources as markdown links."
    );
    let s = out.structured.unwrap();
    assert_eq!(s["query"], "tokio 2 release");
    assert_eq!(s["results"][0]["tool_use_id"], "srvtoolu_1");
    assert_eq!(s["results"][0]["content"][1]["title"], "Changelog");

    let reqs = server.message_requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json.as_ref().unwrap();
    assert_eq!(body["model"], SONNET);
    assert_eq!(
        body["tools"],
        json!([{"type": "web_search_20250305", "name": "web_search", "max_uses": 8,
                "allowed_domains": ["tokio.rs", "github.com"]}])
    );
    assert!(user_text(&reqs[0]).contains("tokio 2 release"));
}

#[tokio::test]
async fn search_continues_after_pause_turn_and_keeps_citations() {
    use ccrs_mock::sse::event;
    // The second answer carries a citation, which only a raw stream can express.
    let cited = [
        json!({"type": "message_start", "message": {"id": "msg_2", "type": "message",
            "role": "assistant", "model": SONNET, "content": [], "stop_reason": null,
            "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "citations_delta", "citation": {
                "type": "web_search_result_location", "url": "https://a.example/post",
                "title": "Post A", "cited_text": "A says so", "encrypted_index": "e"}}}),
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "A says so."}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"},
            "usage": {"output_tokens": 5}}),
        json!({"type": "message_stop"}),
    ]
    .iter()
    .map(event)
    .collect::<String>();
    let server = MockServer::start(
        Scenario::new()
            .reply(
                Reply::content(vec![
                    json!({"type": "server_tool_use", "id": "srvtoolu_a", "name": "web_search",
                           "input": {"query": "q"}}),
                    search_result_block("srvtoolu_a", &[("Post A", "https://a.example/post")]),
                ])
                .stop_reason("pause_turn"),
            )
            .reply(Reply::raw_sse(cited)),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let out = search(
        &c,
        json!({"query": "what does A say", "blocked_domains": ["b.example"]}),
    )
    .await;
    assert!(!out.is_error, "{}", out.text());
    let text = out.text();
    assert!(
        text.contains("1. [Post A](https://a.example/post)"),
        "{text}"
    );
    assert!(
        text.contains("A says so. ([Post A](https://a.example/post))"),
        "{text}"
    );
    let reqs = server.message_requests();
    assert_eq!(reqs.len(), 2, "pause_turn sends the turn back once");
    let second = reqs[1].messages();
    assert_eq!(second.len(), 2);
    assert_eq!(second[1]["role"], "assistant");
    assert_eq!(second[1]["content"][1]["type"], "web_search_tool_result");
    assert_eq!(
        reqs[1].json.as_ref().unwrap()["tools"][0]["blocked_domains"],
        json!(["b.example"])
    );
}

#[tokio::test]
async fn search_errors_become_error_results() {
    let server = MockServer::start(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "server_tool_use", "id": "srvtoolu_e", "name": "web_search",
                       "input": {"query": "q"}}),
                json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_e",
                       "content": {"type": "web_search_tool_result_error",
                                   "error_code": "too_many_requests"}}),
                json!({"type": "text", "text": "The search failed."}),
            ]))
            .reply(Reply::error(
                400,
                "invalid_request_error",
                "web search is disabled",
            )),
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(&server, dir.path(), true);
    let out = search(&c, json!({"query": "anything"})).await;
    assert!(out.is_error);
    assert!(out.text().contains("too_many_requests"), "{}", out.text());
    let out = search(&c, json!({"query": "anything"})).await;
    assert!(out.is_error);
    assert!(
        out.text().contains("web search is disabled"),
        "{}",
        out.text()
    );
}

// ---------------------------------------------------------------------------------------------
// Through the agent loop

#[tokio::test]
async fn todo_write_in_the_loop_replaces_state_and_emits_the_event() {
    let todos = json!({"todos": [
        {"content": "Write tests", "status": "in_progress", "activeForm": "Writing tests"},
        {"content": "Ship", "status": "pending", "activeForm": "Shipping"}
    ]});
    let mut h = Harness::builder(
        Scenario::new()
            .reply(Reply::tool_use("TodoWrite", todos))
            .reply(Reply::text("Planned.")),
    )
    .build()
    .await;
    h.agent.session_state().todos.lock().unwrap().push(
        serde_json::from_value(json!({"content": "old", "status": "completed", "activeForm": "o"}))
            .unwrap(),
    );
    let res = h.query("plan it").await;
    assert_eq!(res.result_text, "Planned.");
    let state = h.agent.session_state().todos.lock().unwrap().clone();
    assert_eq!(state.len(), 2);
    assert_eq!(state[0].status, TodoStatus::InProgress);
    assert_eq!(state[1].content, "Ship");
    let updates: Vec<_> = h
        .events
        .events()
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::TodosUpdated(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(updates, vec![state]);
    let results = h.server.message_requests()[1]
        .tool_results()
        .into_iter()
        .cloned()
        .collect::<Vec<_>>();
    assert_eq!(results[0]["content"], TODO_RESULT);
    assert_eq!(results[0]["is_error"], false);
}

#[tokio::test]
async fn web_fetch_in_the_loop_uses_the_small_model() {
    let mut h = Harness::builder(Scenario::new())
        .rule(RuleBehavior::Allow, "WebFetch")
        .build()
        .await;
    let url = format!("{}/notes", h.server.base_url());
    h.server.set_route("GET /notes", Route::html(PAGE));
    h.server.push_reply(
        Reply::tool_use("WebFetch", json!({"url": url, "prompt": "What is new?"}))
            .matching_model("sonnet"),
    );
    h.server
        .push_reply(Reply::text("Caching is new in 2.4.").matching_model("haiku"));
    h.server
        .push_reply(Reply::text("The release adds caching.").matching_model("sonnet"));
    let res = h.query("what changed?").await;
    assert_eq!(res.result_text, "The release adds caching.");
    let reqs = h.server.message_requests();
    let models: Vec<String> = reqs
        .iter()
        .map(|r| {
            r.json.as_ref().unwrap()["model"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(models, [SONNET, HAIKU, SONNET]);
    assert!(user_text(&reqs[1]).contains("# Release notes"));
    let results = reqs[2].tool_results();
    assert_eq!(results[0]["content"], "Caching is new in 2.4.");
    // The side request is paid for too: it shows in the usage per model and in the cost.
    let haiku = res
        .model_usage
        .iter()
        .find(|m| m.model.starts_with(HAIKU))
        .expect("the small model's usage is counted");
    assert!(haiku.usage.input_tokens > 0);
    let sum: f64 = res.model_usage.iter().filter_map(|m| m.cost_usd).sum();
    assert!((res.total_cost_usd - sum).abs() < 1e-12);
    assert!(
        res.total_cost_usd
            > res
                .model_usage
                .iter()
                .find(|m| m.model.starts_with(SONNET))
                .unwrap()
                .cost_usd
                .unwrap()
    );
}
