//! The API client against the mock: streaming, retries, error mapping, headers and body.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{TEST_API_KEY, api_key_auth, client_config};
use ccrs_core::BoxFuture;
use ccrs_core::api::client::{ClientEvent, StreamOutcome};
use ccrs_core::api::{ApiClient, ContentBlock, Message, MessagesRequest, SystemBlock, ToolSpec};
use ccrs_core::auth::{AuthError, AuthHeader, AuthProvider, Credential, CredentialSource};
use ccrs_core::cancel::CancelToken;
use ccrs_core::error::ApiError;
use ccrs_mock::{MockServer, OAuthConfig, Reply, Scenario};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn request() -> MessagesRequest {
    let mut r = MessagesRequest::new("claude-sonnet-5", 1234);
    r.system = vec![SystemBlock::new("You are a test.")];
    r.tools = vec![ToolSpec {
        name: "Echo".into(),
        description: "echo".into(),
        input_schema: json!({"type": "object", "properties": {"text": {"type": "string"}}}),
        ..Default::default()
    }];
    r
}

fn client_with(
    server: &MockServer,
    f: impl FnOnce(&mut ccrs_core::api::ClientConfig),
) -> ApiClient {
    let mut cfg = client_config(&server.base_url());
    f(&mut cfg);
    ApiClient::new(cfg, api_key_auth(TEST_API_KEY)).unwrap()
}

struct Run {
    result: Result<StreamOutcome, ApiError>,
    events: Vec<ClientEvent>,
    elapsed: Duration,
}

impl Run {
    fn retries(&self) -> Vec<(u32, Option<u16>, u64)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Retry(n) => Some((n.attempt, n.status, n.delay_ms)),
                _ => None,
            })
            .collect()
    }

    fn ok(self) -> StreamOutcome {
        match self.result {
            Ok(o) => o,
            Err(e) => panic!("request failed: {e}"),
        }
    }

    fn err(self) -> ApiError {
        match self.result {
            Ok(o) => panic!("expected an error, got {:?}", o.message),
            Err(e) => e,
        }
    }
}

async fn run_with(client: &ApiClient, cancel: &CancelToken) -> Run {
    let started = Instant::now();
    let mut events = Vec::new();
    let messages = vec![Message::user_text("hello")];
    let result = tokio::time::timeout(
        Duration::from_secs(20),
        client.stream(&request(), &messages, cancel, &mut |e| events.push(e)),
    )
    .await
    .expect("the client hung");
    Run {
        result,
        events,
        elapsed: started.elapsed(),
    }
}

async fn run(client: &ApiClient) -> Run {
    run_with(client, &CancelToken::new()).await
}

async fn server(replies: Vec<Reply>) -> MockServer {
    MockServer::start(Scenario::new().replies(replies))
        .await
        .unwrap()
}

#[tokio::test]
async fn text_reply_is_assembled_with_usage_and_request_id() {
    let s = server(vec![Reply::text(
        "Hello from the mock, streamed in pieces.",
    )])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    let deltas: String = r
        .events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Update(ccrs_core::api::StreamUpdate::TextDelta(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, "Hello from the mock, streamed in pieces.");
    let o = r.ok();
    assert_eq!(
        o.message.content,
        vec![ContentBlock::text(
            "Hello from the mock, streamed in pieces."
        )]
    );
    assert_eq!(o.message.stop_reason.as_deref(), Some("end_turn"));
    assert!(o.message.id.starts_with("msg_mock_"));
    assert!(
        o.message
            .request_id
            .as_deref()
            .unwrap()
            .starts_with("req_mock_")
    );
    assert_eq!(o.message.model, "claude-sonnet-5");
    let body_len = s.message_requests()[0].body.len() as u64;
    assert_eq!(o.message.usage.input_tokens, body_len / 4);
    assert_eq!(o.message.usage.output_tokens, 40 / 4 + 1);
    assert!(o.ttft.is_some());
}

#[tokio::test]
async fn headers_and_body_are_what_the_api_expects() {
    let s = server(vec![Reply::text("ok")]).await;
    let c = client_with(&s, |cfg| {
        cfg.custom_headers = vec![("X-Custom".into(), "v1".into())]
    });
    run(&c).await.ok();
    let reqs = s.message_requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(r.header("x-api-key"), Some(TEST_API_KEY));
    assert_eq!(
        r.header("authorization"),
        None,
        "an API key is not also sent as Bearer"
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("user-agent"),
        Some(format!("ccrs/{}", ccrs_core::VERSION).as_str())
    );
    assert_eq!(
        r.header("x-claude-code-session-id"),
        Some("00000000-0000-4000-8000-000000000001")
    );
    assert_eq!(r.header("x-custom"), Some("v1"));
    assert_eq!(
        r.header("anthropic-beta"),
        None,
        "no betas asked for, none sent"
    );
    let b = r.json.as_ref().unwrap();
    assert_eq!(b["stream"], true);
    assert_eq!(b["model"], "claude-sonnet-5");
    assert_eq!(b["max_tokens"], 1234);
    assert_eq!(b["tools"][0]["name"], "Echo");
    assert_eq!(b["tools"][0]["input_schema"]["type"], "object");
    assert_eq!(b["system"][0]["text"], "You are a test.");
    assert_eq!(b["messages"][0]["role"], "user");
    assert_eq!(b["messages"][0]["content"][0]["text"], "hello");
}

#[tokio::test]
async fn betas_are_sent_once_each() {
    let s = server(vec![Reply::text("ok")]).await;
    let c = client_with(&s, |cfg| {
        cfg.betas = vec![
            "interleaved-thinking-2025-05-14".into(),
            "context-1m-2025-08-07".into(),
        ]
    });
    let mut req = request();
    req.max_tokens = 8192;
    req.thinking = Some(json!({"type": "enabled", "budget_tokens": 2048}));
    c.stream(
        &req,
        &[Message::user_text("hello")],
        &CancelToken::new(),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        s.message_requests()[0].header("anthropic-beta"),
        Some("interleaved-thinking-2025-05-14,context-1m-2025-08-07")
    );
}

#[tokio::test]
async fn bearer_tokens_and_oauth_extras() {
    let s = server(vec![Reply::text("ok"), Reply::text("ok")]).await;
    let bearer = |is_oauth| {
        Arc::new(ccrs_core::auth::StaticAuth(Credential {
            header: AuthHeader::Bearer("tok-123".into()),
            source: CredentialSource::AuthTokenEnv,
            is_oauth,
        }))
    };
    for is_oauth in [false, true] {
        let c = ApiClient::new(client_config(&s.base_url()), bearer(is_oauth)).unwrap();
        run(&c).await.ok();
    }
    let reqs = s.message_requests();
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some("Bearer tok-123"));
        assert_eq!(r.header("x-api-key"), None);
    }
    assert_eq!(reqs[0].header("anthropic-beta"), None);
    let betas = reqs[1].header("anthropic-beta").unwrap();
    assert!(
        betas.contains("oauth-2025-04-20") && betas.contains("claude-code-20250219"),
        "{betas}"
    );
    let sys = &reqs[1].json.as_ref().unwrap()["system"];
    assert_eq!(sys[0]["text"], ccrs_core::api::client::OAUTH_IDENTITY);
    assert_eq!(sys[1]["text"], "You are a test.");
}

#[tokio::test]
async fn overloaded_529_is_retried_with_a_retry_event() {
    let s = server(vec![Reply::status(529), Reply::text("after retry")]).await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    let retries = r.retries();
    assert_eq!(retries.len(), 1, "{:?}", r.events);
    assert_eq!((retries[0].0, retries[0].1), (1, Some(529)));
    assert!(
        (375..=500).contains(&retries[0].2),
        "backoff of the first retry: {}",
        retries[0].2
    );
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("after retry")]
    );
    assert_eq!(s.message_requests().len(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let s = server(vec![
        Reply::error(429, "rate_limit_error", "Rate limited").header("retry-after", "1"),
        Reply::text("ok"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    assert_eq!(r.retries(), vec![(1, Some(429), 1000)]);
    assert!(r.elapsed >= Duration::from_millis(950), "{:?}", r.elapsed);
    r.ok();
}

#[tokio::test]
async fn server_errors_are_retried() {
    let s = server(vec![
        Reply::status(500).header("retry-after-ms", "10"),
        Reply::status(503).header("retry-after-ms", "10"),
        Reply::text("third time lucky"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    assert_eq!(
        r.retries().iter().map(|x| x.1).collect::<Vec<_>>(),
        [Some(500), Some(503)]
    );
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("third time lucky")]
    );
}

#[tokio::test]
async fn retries_run_out_with_the_attempt_count() {
    let s = MockServer::start(Scenario::new().fallback(
        Reply::error(529, "overloaded_error", "Overloaded").header("retry-after-ms", "5"),
    ))
    .await
    .unwrap();
    let c = client_with(&s, |cfg| cfg.retry.max_retries = 3);
    let e = run(&c).await.err();
    assert_eq!(e.attempts(), 4);
    assert!(matches!(e.last(), ApiError::Overloaded { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with(
            "the API is overloaded (HTTP 529): Overloaded (gave up after 4 attempts in"
        ),
        "{text}"
    );
    assert_eq!(e.status(), Some(529));
    assert_eq!(e.category(), "overloaded");
    assert_eq!(s.message_requests().len(), 4);
}

#[tokio::test]
async fn unauthorized_fails_fast_without_retry() {
    let s = server(vec![
        Reply::error(401, "authentication_error", "invalid x-api-key"),
        Reply::text("never"),
    ])
    .await;
    let c = client_with(&s, |cfg| cfg.retry.max_retries = 5);
    let r = run(&c).await;
    assert!(r.elapsed < Duration::from_millis(500), "{:?}", r.elapsed);
    assert!(r.retries().is_empty());
    let e = r.err();
    assert!(
        matches!(&e, ApiError::Unauthorized { status: 401, message } if message == "invalid x-api-key"),
        "{e:?}"
    );
    assert_eq!(s.message_requests().len(), 1);
}

#[tokio::test]
async fn prompt_too_long_is_recognised() {
    let s = server(vec![Reply::error(
        400,
        "invalid_request_error",
        "prompt is too long: 210000 tokens > 200000 maximum",
    )])
    .await;
    let c = client_with(&s, |_| {});
    let e = run(&c).await.err();
    assert!(
        matches!(&e, ApiError::PromptTooLong { message } if message.contains("210000")),
        "{e:?}"
    );
    assert_eq!(s.message_requests().len(), 1, "not retried");
}

/// The retry notices of a run.
fn notices(r: &Run) -> Vec<ccrs_core::api::RetryNotice> {
    r.events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Retry(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

/// The text streamed after the last retry notice (what the front end shows in the end).
fn text_after_last_retry(r: &Run) -> String {
    let start = r
        .events
        .iter()
        .rposition(|e| matches!(e, ClientEvent::Retry(_)))
        .map_or(0, |i| i + 1);
    r.events[start..]
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Update(ccrs_core::api::StreamUpdate::TextDelta(t)) => Some(t.as_str()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_stream_cut_after_text_is_retried_and_the_partial_answer_replaced() {
    let s = server(vec![
        Reply::text("some text that will be cut off half way").cut_after_events(5),
        Reply::text("the whole answer"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    assert!(r.elapsed < Duration::from_secs(5));
    let n = notices(&r);
    assert_eq!(n.len(), 1);
    assert!(n[0].discarded_output, "{n:?}");
    assert!(!n[0].non_streaming);
    assert_eq!(
        (n[0].attempt, n[0].status, n[0].category),
        (1, None, "unknown")
    );
    assert!(n[0].message.contains("connection lost"), "{}", n[0].message);
    assert_eq!(text_after_last_retry(&r), "the whole answer");
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("the whole answer")]
    );
    assert_eq!(s.message_requests().len(), 2);
}

#[tokio::test]
async fn a_stream_cut_before_content_is_retried() {
    let s = server(vec![
        Reply::text("lost").cut_after_events(1),
        Reply::text("second try"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    assert_eq!(r.retries().len(), 1);
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("second try")]
    );
}

#[tokio::test]
async fn malformed_event_json_is_reported() {
    let s = server(vec![Reply::raw_sse(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"x\"}}\n\nevent: content_block_start\ndata: {\"type\": \"content_block_start\", \"index\": 0, oops\n\n",
    )])
    .await;
    let c = client_with(&s, |_| {});
    let e = run(&c).await.err();
    assert!(
        matches!(&e, ApiError::Malformed(m) if m.contains("content_block_start")),
        "{e:?}"
    );
    assert_eq!(s.message_requests().len(), 1);
}

#[tokio::test]
async fn in_stream_overload_before_content_is_retried() {
    let s = server(vec![
        Reply::sse_error("overloaded_error", "Overloaded", 1),
        Reply::text("recovered"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    let retries = r.retries();
    assert_eq!(retries.len(), 1);
    assert_eq!(retries[0].1, None, "no HTTP status for an in-stream error");
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("recovered")]
    );
}

#[tokio::test]
async fn in_stream_overload_after_content_is_retried() {
    let s = server(vec![
        Reply::text("partial answer").with_sse_error("overloaded_error", "Overloaded", 4),
        Reply::text("recovered in full"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    let n = notices(&r);
    assert_eq!(n.len(), 1);
    assert!(n[0].discarded_output);
    assert_eq!(n[0].category, "overloaded");
    assert!(
        n[0].message.contains("overloaded_error: Overloaded"),
        "{}",
        n[0].message
    );
    assert_eq!(text_after_last_retry(&r), "recovered in full");
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("recovered in full")]
    );
}

#[tokio::test]
async fn an_in_stream_invalid_request_error_is_final() {
    let s = server(vec![
        Reply::text("partial").with_sse_error("invalid_request_error", "bad", 4),
        Reply::text("must not be used"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let e = run(&c).await.err();
    assert!(
        matches!(&e, ApiError::StreamError { kind, .. } if kind == "invalid_request_error"),
        "{e:?}"
    );
    assert_eq!(s.message_requests().len(), 1);
}

#[tokio::test]
async fn two_broken_streams_in_a_row_fall_back_to_a_non_streaming_request() {
    let s = server(vec![
        Reply::text("first try, cut").cut_after_events(4),
        Reply::text("second try, overloaded").with_sse_error("overloaded_error", "Overloaded", 4),
        Reply::content(vec![
            json!({"type": "text", "text": "Whole answer."}),
            json!({"type": "tool_use", "id": "toolu_9", "name": "Echo", "input": {"text": "x"}}),
        ])
        .usage(ccrs_mock::UsageSpec {
            input_tokens: Some(11),
            output_tokens: Some(22),
            ..Default::default()
        }),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    let n = notices(&r);
    assert_eq!(n.len(), 2);
    assert!(!n[0].non_streaming && n[1].non_streaming, "{n:?}");
    assert_eq!(text_after_last_retry(&r), "Whole answer.");
    let o = r.ok();
    assert_eq!(
        o.message.content,
        vec![
            ContentBlock::text("Whole answer."),
            ContentBlock::ToolUse {
                id: "toolu_9".into(),
                name: "Echo".into(),
                input: json!({"text": "x"})
            }
        ]
    );
    assert_eq!(o.message.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(
        (o.message.usage.input_tokens, o.message.usage.output_tokens),
        (11, 22)
    );
    let reqs = s.message_requests();
    let streams: Vec<Option<bool>> = reqs
        .iter()
        .map(|r| r.json.as_ref().unwrap()["stream"].as_bool())
        .collect();
    assert_eq!(streams, [Some(true), Some(true), Some(false)]);
    assert_eq!(reqs[2].json.as_ref().unwrap()["max_tokens"], 1234);
}

#[tokio::test]
async fn a_silent_server_times_out_after_one_retry() {
    let s = server(vec![Reply::hang(), Reply::hang(), Reply::text("never")]).await;
    let c = client_with(&s, |cfg| {
        cfg.stall_timeout = Duration::from_millis(300);
        cfg.stall_limit = "API_TIMEOUT_MS=300".into();
        cfg.retry.max_retries = 10;
    });
    let r = run(&c).await;
    // Two attempts of 0.3 s and a 0.5 s pause: well under the bound.
    assert!(r.elapsed < Duration::from_secs(4), "{:?}", r.elapsed);
    assert_eq!(notices(&r).len(), 1);
    let e = r.err();
    assert!(
        matches!(e.last(), ApiError::Timeout { ms: 300, .. }),
        "{e:?}"
    );
    assert_eq!(
        e.to_string().split(" (gave up").next().unwrap(),
        "the API sent nothing for 0.3s (API_TIMEOUT_MS=300)"
    );
    assert_eq!(s.message_requests().len(), 2);
}

#[tokio::test]
async fn a_stall_after_headers_or_mid_stream_ends_within_two_timeouts() {
    for stall_at in [0, 5] {
        let s =
            MockServer::start(Scenario::new().fallback(
                Reply::text("Hello there, a partial answer").stall_after_events(stall_at),
            ))
            .await
            .unwrap();
        let c = client_with(&s, |cfg| {
            cfg.stall_timeout = Duration::from_millis(300);
            cfg.retry.max_retries = 10;
        });
        let r = run(&c).await;
        assert!(r.elapsed < Duration::from_secs(4), "{:?}", r.elapsed);
        let n = notices(&r);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].discarded_output, stall_at > 0);
        assert!(matches!(r.err().last(), ApiError::Timeout { .. }));
        assert_eq!(s.message_requests().len(), 2);
    }
}

#[tokio::test]
async fn a_slow_but_steady_stream_is_not_a_stall() {
    let s = server(vec![
        Reply::text("slow stream of text, one piece at a time").chunk_delay_ms(150),
    ])
    .await;
    let c = client_with(&s, |cfg| cfg.stall_timeout = Duration::from_millis(600));
    let r = run(&c).await;
    assert!(notices(&r).is_empty());
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text(
            "slow stream of text, one piece at a time"
        )]
    );
}

#[tokio::test]
async fn an_html_page_fails_at_once_with_its_content_type_and_a_hint() {
    let s = MockServer::start(Scenario::new().fallback(Reply::html(
        200,
        "<html><head><title>Network login required</title></head><body>Sign in</body></html>",
    )))
    .await
    .unwrap();
    let c = client_with(&s, |cfg| cfg.retry.max_retries = 10);
    let r = run(&c).await;
    assert!(r.elapsed < Duration::from_secs(2), "{:?}", r.elapsed);
    assert!(notices(&r).is_empty());
    let e = r.err();
    assert!(matches!(e, ApiError::NotApi { status: 200, .. }), "{e:?}");
    let text = e.to_string();
    for want in [
        "HTTP 200",
        "content-type text/html",
        "\"Network login required\"",
        "ANTHROPIC_BASE_URL",
        "HTTPS_PROXY",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    assert_eq!(s.message_requests().len(), 1);
}

#[tokio::test]
async fn a_json_answer_to_a_streaming_request_is_accepted() {
    // A gateway that ignores `"stream": true` and answers with the whole message.
    let whole = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "text", "text": "Whole."}], "stop_reason": "end_turn",
        "stop_sequence": null, "usage": {"input_tokens": 3, "output_tokens": 4}});
    let s = server(vec![
        Reply::error_body(200, whole.to_string()).header("content-type", "application/json"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let o = run(&c).await.ok();
    assert_eq!(o.message.content, vec![ContentBlock::text("Whole.")]);
    assert_eq!(o.message.usage.output_tokens, 4);
}

#[tokio::test]
async fn unknown_events_with_non_json_data_are_skipped() {
    let s = server(vec![
        Reply::text("Fine, thanks.")
            .inject(2, "event: telemetry\ndata: not json at all\n\n")
            .inject(4, "data: {broken\n\n")
            .inject(5, ": a comment\n\n"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    assert!(notices(&r).is_empty());
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("Fine, thanks.")]
    );
}

#[tokio::test]
async fn connection_refused_ends_within_seconds() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = client_config(&format!("http://127.0.0.1:{port}"));
    cfg.retry.max_retries = 10;
    let c = ApiClient::new(cfg, api_key_auth(TEST_API_KEY)).unwrap();
    let r = run(&c).await;
    // 3 attempts, 0.5 s + 1 s of waiting.
    assert!(r.elapsed < Duration::from_secs(5), "{:?}", r.elapsed);
    let n = notices(&r);
    assert_eq!(
        n.iter()
            .map(|n| (n.attempt, n.max_retries))
            .collect::<Vec<_>>(),
        [(1, 2), (2, 2)]
    );
    let e = r.err();
    assert_eq!(e.attempts(), 3);
    let text = e.to_string();
    assert!(
        text.contains(&format!("cannot reach the API at http://127.0.0.1:{port}"))
            && text.contains("refused")
            && text.contains("ANTHROPIC_BASE_URL")
            && text.contains("gave up after 3 attempts"),
        "{text}"
    );
}

#[tokio::test]
async fn a_1m_model_sends_the_name_and_the_beta() {
    let s = server(vec![Reply::text("big")]).await;
    let c = client_with(&s, |_| {});
    let mut req = request();
    req.model = "claude-opus-5-5[1m]".into();
    let messages = vec![Message::user_text("hello")];
    c.stream(&req, &messages, &CancelToken::new(), &mut |_| {})
        .await
        .unwrap();
    let sent = &s.message_requests()[0];
    assert_eq!(sent.json.as_ref().unwrap()["model"], "claude-opus-5-5");
    assert_eq!(sent.header("anthropic-beta"), Some("context-1m-2025-08-07"));
}

#[tokio::test]
async fn cancellation_ends_the_stream_promptly() {
    let s = server(vec![
        Reply::text("a long answer that streams slowly").chunk_delay_ms(200),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let cancel = CancelToken::new();
    let t = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        t.cancel();
    });
    let r = run_with(&c, &cancel).await;
    assert!(r.elapsed < Duration::from_millis(1000), "{:?}", r.elapsed);
    assert!(matches!(r.err(), ApiError::Cancelled));
}

/// A provider that never produces a credential (an `apiKeyHelper` or OAuth refresh that
/// hangs), or hangs only in the refresh after a 401.
struct HangingAuth {
    in_refresh_only: bool,
}

impl AuthProvider for HangingAuth {
    fn credential(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        let hang = !self.in_refresh_only;
        Box::pin(async move {
            if hang {
                std::future::pending::<()>().await;
            }
            Ok(Credential {
                header: AuthHeader::Bearer("sk-ant-oat01-unknown".into()),
                source: CredentialSource::StoredOAuth,
                is_oauth: true,
            })
        })
    }
    fn refresh_after_unauthorized<'a>(
        &'a self,
        _failed: &'a Credential,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(std::future::pending())
    }
    fn source(&self) -> CredentialSource {
        CredentialSource::StoredOAuth
    }
}

#[tokio::test]
async fn cancellation_ends_a_hanging_credential_fetch_or_refresh() {
    let s = MockServer::start(Scenario::new().oauth(OAuthConfig {
        require_valid_access_token: true,
        ..Default::default()
    }))
    .await
    .unwrap();
    for in_refresh_only in [false, true] {
        let auth = Arc::new(HangingAuth { in_refresh_only });
        let c = ApiClient::new(client_config(&s.base_url()), auth).unwrap();
        let cancel = CancelToken::new();
        let t = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            t.cancel();
        });
        let r = run_with(&c, &cancel).await;
        assert!(r.elapsed < Duration::from_secs(2), "{:?}", r.elapsed);
        assert!(matches!(r.err(), ApiError::Cancelled));
    }
    // The first provider never got as far as a request; the second one's was refused.
    assert_eq!(s.message_requests().len(), 1);
}

#[tokio::test]
async fn blocks_of_every_kind_are_assembled_in_order() {
    let s = server(vec![Reply::content(vec![
        json!({"type": "thinking", "thinking": "Considering the options at length.", "signature": "sig-abc"}),
        json!({"type": "redacted_thinking", "data": "opaque-data"}),
        json!({"type": "text", "text": "I will echo."}),
        json!({"type": "tool_use", "id": "toolu_1", "name": "Echo", "input": {"text": "a \"quoted\" ünïcode value 🌍"}}),
        json!({"type": "tool_use", "id": "toolu_2", "name": "Echo", "raw_input": "{\"text\": \"unterminated"}),
    ])])
    .await;
    let c = client_with(&s, |_| {});
    let o = run(&c).await.ok();
    assert_eq!(
        o.message.content,
        vec![
            ContentBlock::Thinking {
                thinking: "Considering the options at length.".into(),
                signature: "sig-abc".into()
            },
            ContentBlock::RedactedThinking {
                data: "opaque-data".into()
            },
            ContentBlock::text("I will echo."),
            ContentBlock::ToolUse {
                id: "toolu_1".into(),
                name: "Echo".into(),
                input: json!({"text": "a \"quoted\" ünïcode value 🌍"})
            },
            ContentBlock::ToolUse {
                id: "toolu_2".into(),
                name: "Echo".into(),
                input: json!({})
            },
        ]
    );
    assert_eq!(o.message.stop_reason.as_deref(), Some("tool_use"));
    assert_eq!(o.malformed_tool_inputs.len(), 1);
    assert_eq!(o.malformed_tool_inputs[0].id, "toolu_2");
}

#[tokio::test]
async fn server_tool_blocks_are_kept_verbatim() {
    let result = json!({"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
        "content": [{"type": "web_search_result", "url": "https://example.com", "title": "Example", "encrypted_content": "xyz"}]});
    let s = server(vec![Reply::content(vec![
        json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "rust"}}),
        result.clone(),
        json!({"type": "text", "text": "Found it."}),
    ])])
    .await;
    let c = client_with(&s, |_| {});
    let o = run(&c).await.ok();
    assert_eq!(
        o.message.content[0].to_value(),
        json!({"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "rust"}})
    );
    assert_eq!(o.message.content[1].to_value(), result);
    assert_eq!(o.message.stop_reason.as_deref(), Some("end_turn"));
}

/// An OAuth provider with a stale and a fresh token, to exercise the 401 → refresh → retry path
/// against the mock's token checks.
struct TwoTokens {
    current: Mutex<String>,
    fresh: String,
    refreshes: Mutex<u32>,
}

impl AuthProvider for TwoTokens {
    fn credential(&self) -> BoxFuture<'_, Result<Credential, AuthError>> {
        let t = self.current.lock().unwrap().clone();
        Box::pin(async move {
            Ok(Credential {
                header: AuthHeader::Bearer(t),
                source: CredentialSource::StoredOAuth,
                is_oauth: true,
            })
        })
    }
    fn refresh_after_unauthorized<'a>(
        &'a self,
        _failed: &'a Credential,
    ) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            *self.refreshes.lock().unwrap() += 1;
            *self.current.lock().unwrap() = self.fresh.clone();
            Ok(true)
        })
    }
    fn source(&self) -> CredentialSource {
        CredentialSource::StoredOAuth
    }
}

#[tokio::test]
async fn expired_oauth_token_is_refreshed_once_and_retried() {
    let s = MockServer::start(
        Scenario::new()
            .oauth(OAuthConfig {
                require_valid_access_token: true,
                ..Default::default()
            })
            .reply(Reply::text("authorised")),
    )
    .await
    .unwrap();
    s.seed_oauth_tokens("sk-ant-oat01-stale", "", 3600);
    s.expire_access_tokens();
    s.seed_oauth_tokens("sk-ant-oat01-fresh", "", 3600);
    let auth = Arc::new(TwoTokens {
        current: Mutex::new("sk-ant-oat01-stale".into()),
        fresh: "sk-ant-oat01-fresh".into(),
        refreshes: Mutex::new(0),
    });
    let c = ApiClient::new(client_config(&s.base_url()), auth.clone()).unwrap();
    let r = run(&c).await;
    assert!(r.retries().is_empty(), "a refresh is not a retry");
    assert_eq!(
        r.ok().message.content,
        vec![ContentBlock::text("authorised")]
    );
    assert_eq!(*auth.refreshes.lock().unwrap(), 1);
    let reqs = s.message_requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer sk-ant-oat01-stale")
    );
    assert_eq!(
        reqs[1].header("authorization"),
        Some("Bearer sk-ant-oat01-fresh")
    );
}

#[tokio::test]
async fn a_second_401_after_refresh_is_final() {
    let s = MockServer::start(Scenario::new().oauth(OAuthConfig {
        require_valid_access_token: true,
        ..Default::default()
    }))
    .await
    .unwrap();
    let auth = Arc::new(TwoTokens {
        current: Mutex::new("sk-ant-oat01-unknown".into()),
        fresh: "sk-ant-oat01-also-unknown".into(),
        refreshes: Mutex::new(0),
    });
    let c = ApiClient::new(client_config(&s.base_url()), auth.clone()).unwrap();
    let e = run(&c).await.err();
    assert!(matches!(e, ApiError::Unauthorized { .. }), "{e:?}");
    assert_eq!(*auth.refreshes.lock().unwrap(), 1);
    assert_eq!(s.message_requests().len(), 2);
}

#[test]
fn error_bodies_that_are_not_json_are_shown_shortened() {
    // (sync test: the blocking server from a plain thread, the client on its own runtime)
    let s = MockServer::start_blocking(
        Scenario::new().reply(Reply::error_body(403, "<html>blocked by proxy</html>")),
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let e = rt.block_on(async {
        let c = client_with(&s, |_| {});
        run(&c).await.err()
    });
    let ApiError::Forbidden { message } = &e else {
        panic!("{e:?}")
    };
    assert!(
        message.starts_with("blocked by proxy (content-type application/json: not an API answer")
            && message.contains("HTTPS_PROXY"),
        "{message}"
    );
}

#[tokio::test]
async fn the_client_reuses_one_connection() {
    let s = server(vec![
        Reply::text("one"),
        Reply::status(529).header("retry-after-ms", "5"),
        Reply::text("two"),
        Reply::text("three"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    for _ in 0..3 {
        run(&c).await.ok();
    }
    let reqs = s.message_requests();
    assert_eq!(reqs.len(), 4);
    assert!(
        reqs.iter().all(|r| r.connection == reqs[0].connection),
        "{:?}",
        reqs.iter().map(|r| r.connection).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_model_list_is_fetched_alongside_the_first_request_and_cached_for_a_day() {
    let s = server(vec![Reply::text("one"), Reply::text("two")]).await;
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cfg/models.json");
    let c = client_with(&s, |cfg| cfg.model_cache = Some(cache.clone()));
    run(&c).await.ok();
    // In the background: the request itself never waited for it.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cache.exists() {
        assert!(Instant::now() < deadline, "the model list was not cached");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut paths: Vec<String> = s.requests().iter().map(|r| r.path.clone()).collect();
    paths.sort();
    assert_eq!(paths, ["/v1/messages", "/v1/models"]);
    let models = s
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/models")
        .unwrap();
    assert_eq!(models.header("x-api-key"), Some(TEST_API_KEY));
    let catalog = ccrs_core::models::catalog::read(&cache).unwrap();
    assert_eq!(catalog.base_url, s.base_url());
    assert_eq!(catalog.newest("opus"), Some("claude-opus-5-5"));
    // Fresh: a new client (a new run) does not fetch it again.
    let c2 = client_with(&s, |cfg| cfg.model_cache = Some(cache.clone()));
    run(&c2).await.ok();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        s.requests()
            .iter()
            .filter(|r| r.path == "/v1/models")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_slow_model_list_never_delays_the_answer() {
    let s = MockServer::start(Scenario::new().reply(Reply::text("quick")).route(
        "GET /v1/models",
        ccrs_mock::Route::new(200, "{}").delay_ms(5000),
    ))
    .await
    .unwrap();
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("models.json");
    let c = client_with(&s, |cfg| cfg.model_cache = Some(cache.clone()));
    let r = run(&c).await;
    assert!(r.elapsed < Duration::from_secs(3), "{:?}", r.elapsed);
    assert_eq!(r.ok().message.content, vec![ContentBlock::text("quick")]);
    assert!(!cache.exists());
}
