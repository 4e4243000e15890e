//! The mock's HTTP and SSE behaviour, checked with an independent raw client.

use crate::common::{Conn, parse_sse, post_json, post_message, request};
use ccrs_mock::{MockServer, Reply, Route, Scenario, UsageSpec};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn types(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(n, _)| n.as_str()).collect()
}

#[test]
fn text_reply_has_the_api_event_shape() {
    let s = MockServer::start_blocking(Scenario::new().reply(Reply::text("Hello, wörld! 🌍 ok")))
        .unwrap();
    let r = post_message(s.port(), "claude-opus-5", "hi");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert!(r.header("request-id").unwrap().starts_with("req_mock_"));
    assert!(r.chunked && r.complete);
    let ev = r.events();
    assert_eq!(
        types(&ev),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "content_block_delta",
            "content_block_delta",
            "content_block_stop",
            "message_delta",
            "message_stop"
        ]
    );
    // Each event is flushed as its own chunk.
    assert_eq!(r.chunks.len(), ev.len());
    for c in &r.chunks {
        assert_eq!(parse_sse(std::str::from_utf8(c).unwrap()).len(), 1);
    }
    let m = &ev[0].1["message"];
    assert!(m["id"].as_str().unwrap().starts_with("msg_mock_"));
    assert_eq!(m["type"], "message");
    assert_eq!(m["role"], "assistant");
    assert_eq!(m["model"], "claude-opus-5", "echoes the requested model");
    assert_eq!(m["content"], json!([]));
    assert_eq!(m["stop_reason"], Value::Null);
    let u = &m["usage"];
    assert_eq!(u["output_tokens"], 1);
    assert_eq!(u["cache_creation_input_tokens"], 0);
    assert_eq!(u["cache_read_input_tokens"], 0);
    let req_len = s.message_requests()[0].body.len() as u64;
    assert_eq!(u["input_tokens"], req_len / 4);
    assert_eq!(
        ev[1].1["content_block"],
        json!({"type": "text", "text": ""})
    );
    let pieces: Vec<&str> = ev
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| {
            assert_eq!(d["delta"]["type"], "text_delta");
            assert_eq!(d["index"], 0);
            d["delta"]["text"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        pieces,
        ["Hello, w", "örld! 🌍 ", "ok"],
        "8 characters per delta"
    );
    assert_eq!(ev[7].1["delta"]["stop_reason"], "end_turn");
    assert_eq!(ev[7].1["delta"]["stop_sequence"], Value::Null);
    assert_eq!(ev[7].1["usage"]["output_tokens"], 18 / 4 + 1);
}

#[test]
fn tool_use_input_is_streamed_in_16_char_pieces() {
    let input = json!({"command": "echo hello && ls -la /tmp", "description": "list"});
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use("Bash", input.clone()))
            .reply(Reply::tool_use_with_id("toolu_fixed", "Read", json!({}))),
    )
    .unwrap();
    let ev = post_message(s.port(), "m", "x").events();
    let start = &ev[1].1["content_block"];
    assert_eq!(start["type"], "tool_use");
    assert_eq!(start["name"], "Bash");
    assert_eq!(start["input"], json!({}));
    assert!(start["id"].as_str().unwrap().starts_with("toolu_mock_"));
    let partials: Vec<&str> = ev
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| {
            assert_eq!(d["delta"]["type"], "input_json_delta");
            d["delta"]["partial_json"].as_str().unwrap()
        })
        .collect();
    assert_eq!(partials[0], "", "starts with an empty partial_json");
    assert!(
        partials[1..partials.len() - 1]
            .iter()
            .all(|p| p.chars().count() == 16)
    );
    let joined: String = partials.concat();
    assert_eq!(serde_json::from_str::<Value>(&joined).unwrap(), input);
    let md = ev.iter().find(|(n, _)| n == "message_delta").unwrap();
    assert_eq!(md.1["delta"]["stop_reason"], "tool_use");

    let ev = post_message(s.port(), "m", "x").events();
    assert_eq!(ev[1].1["content_block"]["id"], "toolu_fixed");
    let partials: Vec<&str> = ev
        .iter()
        .filter_map(|(_, d)| d["delta"]["partial_json"].as_str())
        .collect();
    assert_eq!(partials, ["", "{}"]);
}

#[test]
fn mixed_blocks_thinking_and_server_tools() {
    let s = MockServer::start_blocking(Scenario::new().reply(Reply::content(vec![
        json!({"type": "thinking", "thinking": "Let me think about this carefully.", "signature": "sig123"}),
        json!({"type": "redacted_thinking", "data": "opaque"}),
        json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "rust"}}),
        json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [{"type": "web_search_result", "url": "https://x", "title": "X"}]}),
        json!({"type": "text", "text": "Found."}),
    ])))
    .unwrap();
    let ev = post_message(s.port(), "m", "x").events();
    let starts: Vec<&Value> = ev
        .iter()
        .filter(|(n, _)| n == "content_block_start")
        .map(|(_, d)| &d["content_block"])
        .collect();
    assert_eq!(starts[0], &json!({"type": "thinking", "thinking": ""}));
    assert_eq!(
        starts[1],
        &json!({"type": "redacted_thinking", "data": "opaque"})
    );
    assert_eq!(
        starts[2],
        &json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}})
    );
    assert_eq!(starts[3]["type"], "web_search_tool_result");
    assert_eq!(starts[3]["content"][0]["url"], "https://x");
    let deltas_of = |i: u64| -> Vec<Value> {
        ev.iter()
            .filter(|(n, d)| n == "content_block_delta" && d["index"] == i)
            .map(|(_, d)| d["delta"].clone())
            .collect()
    };
    let thinking = deltas_of(0);
    let last = thinking.last().unwrap();
    assert_eq!(
        last,
        &json!({"type": "signature_delta", "signature": "sig123"})
    );
    let text: String = thinking[..thinking.len() - 1]
        .iter()
        .map(|d| {
            assert_eq!(d["type"], "thinking_delta");
            d["thinking"].as_str().unwrap()
        })
        .collect();
    assert_eq!(text, "Let me think about this carefully.");
    assert!(deltas_of(1).is_empty() && deltas_of(3).is_empty());
    let q: String = deltas_of(2)
        .iter()
        .map(|d| d["partial_json"].as_str().unwrap())
        .collect();
    assert_eq!(
        serde_json::from_str::<Value>(&q).unwrap(),
        json!({"query": "rust"})
    );
    // One ping, right after the first block start; every block is stopped.
    assert_eq!(types(&ev).iter().filter(|t| **t == "ping").count(), 1);
    assert_eq!(ev[2].0, "ping");
    assert_eq!(
        types(&ev)
            .iter()
            .filter(|t| **t == "content_block_stop")
            .count(),
        5
    );
    let md = ev.iter().find(|(n, _)| n == "message_delta").unwrap();
    assert_eq!(
        md.1["delta"]["stop_reason"], "end_turn",
        "server tools do not make it tool_use"
    );
}

#[test]
fn options_usage_model_stop_reason() {
    let s = MockServer::start_blocking(
        Scenario::new().reply(
            Reply::text("x")
                .usage(UsageSpec {
                    input_tokens: Some(1000),
                    output_tokens: Some(42),
                    cache_creation_input_tokens: Some(7),
                    cache_read_input_tokens: Some(900),
                })
                .model("claude-other")
                .stop_reason("max_tokens")
                .header("anthropic-ratelimit-unified-status", "allowed"),
        ),
    )
    .unwrap();
    let r = post_message(s.port(), "m", "x");
    assert_eq!(
        r.header("anthropic-ratelimit-unified-status"),
        Some("allowed")
    );
    let ev = r.events();
    let u = &ev[0].1["message"]["usage"];
    assert_eq!(
        (
            u["input_tokens"].as_u64(),
            u["cache_creation_input_tokens"].as_u64(),
            u["cache_read_input_tokens"].as_u64()
        ),
        (Some(1000), Some(7), Some(900))
    );
    assert_eq!(ev[0].1["message"]["model"], "claude-other");
    let md = &ev[ev.len() - 2].1;
    assert_eq!(md["usage"]["output_tokens"], 42);
    assert_eq!(md["delta"]["stop_reason"], "max_tokens");
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("one"))
            .reply(Reply::status(529))
            .reply(Reply::text("three")),
    )
    .unwrap();
    let mut c = Conn::open(s.port());
    let body = json!({"model": "m", "messages": []}).to_string();
    c.send("POST", "/v1/messages?beta=true", &[], body.as_bytes());
    let r1 = c.read_response();
    assert!(r1.complete);
    assert_eq!(r1.events()[3].1["delta"]["text"], "one");
    c.send("POST", "/v1/messages", &[], body.as_bytes());
    let r2 = c.read_response();
    assert_eq!(r2.status, 529);
    // A chunked request body on the same connection.
    let mut raw =
        b"POST /v1/messages HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    raw.extend_from_slice(format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()).as_bytes());
    c.send_raw(&raw);
    let r3 = c.read_response();
    assert_eq!(r3.events()[3].1["delta"]["text"], "three");
    let reqs = s.message_requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[0].query, "beta=true");
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(reqs[2].body, body);
    assert_eq!(reqs[2].json.as_ref().unwrap()["model"], "m");
    assert_eq!(reqs[2].header("Transfer-Encoding"), Some("chunked"));
    assert!(reqs.iter().all(|r| r.connection == reqs[0].connection));
    post_message(s.port(), "m", "x");
    assert_ne!(s.message_requests()[3].connection, reqs[0].connection);
}

#[test]
fn http_errors_carry_the_api_error_json_and_headers() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::error(429, "rate_limit_error", "slow down").header("retry-after", "1"))
            .reply(Reply::status(400))
            .reply(
                Reply::error_body(502, "<html>bad gateway</html>")
                    .header("content-type", "text/html"),
            ),
    )
    .unwrap();
    let r = post_message(s.port(), "m", "x");
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.json(),
        json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})
    );
    let r = post_message(s.port(), "m", "x");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "invalid_request_error");
    let r = post_message(s.port(), "m", "x");
    assert_eq!(r.status, 502);
    assert_eq!(r.text(), "<html>bad gateway</html>");
    assert_eq!(r.header("content-type"), Some("text/html"));
    // Then the queue is empty: the default fallback.
    let r = post_message(s.port(), "m", "x");
    assert_eq!(r.status, 500);
    assert_eq!(
        r.json(),
        json!({"type": "error", "error": {"type": "api_error", "message": "mock: no scripted reply left"}})
    );
}

#[test]
fn cut_after_events_drops_the_connection_mid_stream() {
    let s = MockServer::start_blocking(
        Scenario::new().reply(Reply::text("a fairly long answer that streams").cut_after_events(4)),
    )
    .unwrap();
    let r = post_message(s.port(), "m", "x");
    assert_eq!(r.status, 200);
    assert!(!r.complete, "no terminating chunk");
    assert_eq!(
        types(&r.events()),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta"
        ]
    );
}

#[test]
fn sse_error_after_events() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::sse_error("overloaded_error", "Overloaded", 1))
            .reply(Reply::text("partial text here").with_sse_error("api_error", "boom", 4)),
    )
    .unwrap();
    let mut c = Conn::open(s.port());
    c.send("POST", "/v1/messages", &[], br#"{"model":"m"}"#);
    let r = c.read_response();
    assert_eq!(r.status, 200);
    assert!(r.complete);
    assert_eq!(r.header("connection"), Some("close"));
    let ev = r.events();
    assert_eq!(types(&ev), ["message_start", "error"]);
    assert_eq!(
        ev[1].1,
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})
    );
    assert!(c.is_closed());
    let ev = post_message(s.port(), "m", "x").events();
    assert_eq!(
        types(&ev),
        [
            "message_start",
            "content_block_start",
            "ping",
            "content_block_delta",
            "error"
        ]
    );
}

#[test]
fn match_routes_side_requests_regardless_of_order() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("main one"))
            .reply(Reply::text("haiku summary").matching_model("haiku"))
            .reply(Reply::text("about cats").matching_body("cats"))
            .reply(Reply::text("main two")),
    )
    .unwrap();
    let text = |r: crate::common::Response| -> String {
        r.events()
            .iter()
            .filter_map(|(_, d)| d["delta"]["text"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(
        text(post_message(s.port(), "claude-haiku-4-5", "summarise")),
        "haiku summary"
    );
    assert_eq!(
        text(post_message(s.port(), "claude-sonnet-5", "hi")),
        "main one"
    );
    assert_eq!(
        text(post_message(s.port(), "claude-sonnet-5", "hi")),
        "main two"
    );
    assert_eq!(s.remaining_replies(), 1);
    // A haiku request with no haiku reply left takes the next unconditional one... there is none
    // left that fits "hi", so the fallback answers.
    assert_eq!(post_message(s.port(), "claude-haiku-4-5", "hi").status, 500);
    assert_eq!(
        text(post_message(s.port(), "m", "tell me about cats")),
        "about cats"
    );
    assert_eq!(s.remaining_replies(), 0);
}

#[test]
fn raw_sse_is_sent_verbatim() {
    let raw = "event: message_start\ndata: {not json\n\n";
    let s = MockServer::start_blocking(Scenario::new().reply(Reply::raw_sse(raw))).unwrap();
    let r = post_message(s.port(), "m", "x");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(r.text(), raw);
    assert!(r.complete);
}

#[test]
fn hang_never_answers_but_other_connections_are_served() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::hang())
            .reply(Reply::text("ok")),
    )
    .unwrap();
    let mut c = Conn::open(s.port());
    c.set_read_timeout(Duration::from_millis(300));
    c.send("POST", "/v1/messages", &[], br#"{"model":"m"}"#);
    let started = Instant::now();
    // Nothing arrives on the hung connection.
    assert!(!c.is_closed(), "still open, no bytes");
    assert!(started.elapsed() >= Duration::from_millis(250));
    let r = post_message(s.port(), "m", "x");
    assert_eq!(r.status, 200);
    assert_eq!(s.message_requests().len(), 2);
}

#[test]
fn chunk_delay_spaces_events_out() {
    let s = MockServer::start_blocking(
        Scenario::new().reply(Reply::text("abcdefghijklmnop").chunk_delay_ms(30)),
    )
    .unwrap();
    let started = Instant::now();
    let r = post_message(s.port(), "m", "x");
    let n = r.events().len() as u32;
    assert!(
        started.elapsed() >= Duration::from_millis(30) * (n - 1),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn routes_redirects_head_and_404() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .route("/page", Route::html("<h1>Title</h1>"))
            .route("GET /old", Route::redirect("/page"))
            .route("/q?x=1", Route::text("with query")),
    )
    .unwrap();
    let r = request(s.port(), "GET", "/page", &[], b"");
    assert_eq!((r.status, r.text().as_str()), (200, "<h1>Title</h1>"));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = request(s.port(), "GET", "/old", &[], b"");
    assert_eq!((r.status, r.header("location")), (302, Some("/page")));
    assert_eq!(
        request(s.port(), "POST", "/old", &[], b"").status,
        404,
        "method-specific route"
    );
    assert_eq!(
        request(s.port(), "GET", "/q?x=1", &[], b"").text(),
        "with query"
    );
    assert_eq!(request(s.port(), "GET", "/q?x=2", &[], b"").status, 404);
    let r = request(s.port(), "HEAD", "/", &[("connection", "keep-alive")], b"");
    assert_eq!(r.status, 404);
    assert!(r.body.is_empty());
    let r = request(s.port(), "GET", "/v1/nothing", &[], b"");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["error"]["type"], "not_found_error");
    // Routes can be added at runtime, e.g. to point at the server itself.
    s.set_route("/late", Route::new(201, "made").delay_ms(10));
    assert_eq!(request(s.port(), "GET", "/late", &[], b"").status, 201);
    assert_eq!(s.requests().len(), 8);
    assert_eq!(s.message_requests().len(), 0);
}

#[test]
fn control_endpoints() {
    let s = MockServer::start_blocking(Scenario::new().reply(Reply::text("scripted"))).unwrap();
    let r = post_json(
        s.port(),
        "/_mock/replies",
        &json!([{"text": "a"}, {"status": 529}]),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["remaining"], 3);
    let r = post_json(
        s.port(),
        "/_mock/replies",
        &json!({"tool_use": {"name": "Bash"}}),
    );
    assert_eq!(r.json()["queued"], 1);
    let r = post_json(s.port(), "/_mock/replies", &json!({"bogus": 1}));
    assert_eq!(r.status, 400);
    assert_eq!(post_message(s.port(), "m", "first").status, 200);
    let r = request(s.port(), "GET", "/_mock/requests", &[], b"");
    let reqs = r.json();
    assert_eq!(
        reqs.as_array().unwrap().len(),
        1,
        "control requests are not recorded"
    );
    assert_eq!(reqs[0]["path"], "/v1/messages");
    assert_eq!(reqs[0]["json"]["messages"][0]["content"], "first");
    assert_eq!(s.remaining_replies(), 3);
    assert_eq!(post_json(s.port(), "/_mock/reset", &json!({})).status, 200);
    assert!(s.requests().is_empty());
    assert_eq!(s.remaining_replies(), 1, "back to the scenario's replies");
}

#[test]
fn require_api_key() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .require_api_key("sk-good")
            .reply(Reply::text("ok")),
    )
    .unwrap();
    let body = br#"{"model":"m"}"#;
    let r = request(
        s.port(),
        "POST",
        "/v1/messages",
        &[("x-api-key", "sk-bad")],
        body,
    );
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    assert_eq!(
        s.remaining_replies(),
        1,
        "a refused request consumes no reply"
    );
    let r = request(
        s.port(),
        "POST",
        "/v1/messages",
        &[("x-api-key", "sk-good")],
        body,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn malformed_http_gets_400_and_the_server_survives() {
    let s = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let mut c = Conn::open(s.port());
    c.send_raw(b"THIS IS NOT HTTP\r\n\r\n");
    assert_eq!(c.read_response().status, 400);
    let mut c = Conn::open(s.port());
    c.send_raw(b"POST /v1/messages HTTP/1.1\r\ncontent-length: 100\r\n\r\nshort");
    drop(c); // client vanishes mid-body
    let mut c = Conn::open(s.port());
    c.send_raw(b"POST /v1/messages HTTP/1.1\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n");
    assert_eq!(c.read_response().status, 100);
    c.send_raw(b"{}");
    assert_eq!(c.read_response().status, 200);
}

#[test]
fn repeat_cycles_the_script() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("a"))
            .reply(Reply::status(529))
            .repeat(true),
    )
    .unwrap();
    let statuses: Vec<u16> = (0..5)
        .map(|_| post_message(s.port(), "m", "x").status)
        .collect();
    assert_eq!(statuses, [200, 529, 200, 529, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_start_and_shutdown_on_drop() {
    let s = MockServer::start(Scenario::new().reply(Reply::text("async")))
        .await
        .unwrap();
    let port = s.port();
    let r = tokio::task::spawn_blocking(move || post_message(port, "m", "x"))
        .await
        .unwrap();
    assert_eq!(r.status, 200);
    assert!(s.wait_for_requests(1, Duration::from_secs(1)).await);
    drop(s);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port released"
    );
}

#[test]
fn blocking_server_shuts_down_on_drop_even_with_a_hung_request() {
    let s = MockServer::start_blocking(Scenario::new().reply(Reply::hang())).unwrap();
    let port = s.port();
    let mut c = Conn::open(port);
    c.send("POST", "/v1/messages", &[], b"{}");
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    drop(s);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(c.is_closed());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
