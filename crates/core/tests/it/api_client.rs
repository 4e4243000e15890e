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
                ClientEvent::Retry {
                    attempt,
                    status,
                    delay_ms,
                    ..
                } => Some((*attempt, *status, *delay_ms)),
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
    let c = client_with(&s, |cfg| cfg.max_retries = 3);
    let e = run(&c).await.err();
    assert!(
        matches!(e, ApiError::Overloaded { attempts: 4, .. }),
        "{e:?}"
    );
    assert_eq!(s.message_requests().len(), 4);
}

#[tokio::test]
async fn unauthorized_fails_fast_without_retry() {
    let s = server(vec![
        Reply::error(401, "authentication_error", "invalid x-api-key"),
        Reply::text("never"),
    ])
    .await;
    let c = client_with(&s, |cfg| cfg.max_retries = 5);
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

#[tokio::test]
async fn a_stream_cut_after_text_is_an_error_not_a_hang() {
    let s = server(vec![
        Reply::text("some text that will be cut off half way").cut_after_events(5),
        Reply::text("must not be used"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let r = run(&c).await;
    assert!(r.elapsed < Duration::from_secs(5));
    let e = r.err();
    assert!(matches!(e, ApiError::StreamEnded(_)), "{e:?}");
    assert_eq!(
        s.message_requests().len(),
        1,
        "text was already shown: no retry"
    );
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
async fn in_stream_error_after_content_is_not_retried() {
    let s = server(vec![
        Reply::text("partial answer").with_sse_error("overloaded_error", "Overloaded", 4),
        Reply::text("must not be used"),
    ])
    .await;
    let c = client_with(&s, |_| {});
    let e = run(&c).await.err();
    assert!(
        matches!(&e, ApiError::StreamError { kind, .. } if kind == "overloaded_error"),
        "{e:?}"
    );
    assert_eq!(s.message_requests().len(), 1);
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let s = server(vec![Reply::hang(), Reply::hang()]).await;
    let c = client_with(&s, |cfg| {
        cfg.timeout = Duration::from_millis(300);
        cfg.max_retries = 0;
    });
    let r = run(&c).await;
    assert!(r.elapsed < Duration::from_secs(3), "{:?}", r.elapsed);
    assert!(matches!(r.err(), ApiError::Timeout { .. }));
}

#[tokio::test]
async fn a_stream_that_stalls_mid_way_times_out() {
    let s = server(vec![
        Reply::text("slow stream of text").chunk_delay_ms(2000),
    ])
    .await;
    let c = client_with(&s, |cfg| {
        cfg.timeout = Duration::from_millis(300);
        cfg.max_retries = 0;
    });
    let r = run(&c).await;
    assert!(r.elapsed < Duration::from_secs(3), "{:?}", r.elapsed);
    assert!(matches!(r.err(), ApiError::Timeout { .. }));
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
    assert!(
        matches!(&e, ApiError::Forbidden { message } if message == "<html>blocked by proxy</html>"),
        "{e:?}"
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
