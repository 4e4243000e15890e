//! The fault modes: HTML answers, stalls, injected raw events, non-streaming answers, the
//! models list, TLS with a test CA, the forward proxy and a slow token endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Conn, post_json, post_message, request};
use ccrs_mock::{MockProxy, MockServer, OAuthConfig, ProxyOptions, Reply, Scenario, TestCa};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn message_body(stream: Option<bool>) -> Value {
    let mut b = json!({"model": "claude-opus-5-5", "max_tokens": 100,
        "messages": [{"role": "user", "content": "hi"}]});
    if let Some(s) = stream {
        b["stream"] = json!(s);
    }
    b
}

#[test]
fn html_reply_is_a_page_not_an_api_answer() {
    let s = MockServer::start_blocking(
        Scenario::new().reply(Reply::html(200, "<html><title>Portal</title></html>")),
    )
    .unwrap();
    let r = post_message(s.port(), "m", "hi");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.text(), "<html><title>Portal</title></html>");
    // The JSON form.
    let j: Reply = serde_json::from_value(json!({"status": 200,
        "headers": {"content-type": "text/html; charset=utf-8"},
        "body": "<html><title>Portal</title></html>"}))
    .unwrap();
    assert_eq!(j, Reply::html(200, "<html><title>Portal</title></html>"));
}

#[test]
fn stall_after_headers_and_mid_stream() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("never sent").stall_after_events(0))
            .reply(Reply::text("Hello there, partial").stall_after_events(4)),
    )
    .unwrap();
    for expect_events in [0usize, 4] {
        let mut c = Conn::open(s.port());
        c.set_read_timeout(Duration::from_millis(500));
        c.send(
            "POST",
            "/v1/messages",
            &[("content-type", "application/json")],
            message_body(Some(true)).to_string().as_bytes(),
        );
        let started = Instant::now();
        let r = c.read_response();
        // The body never ends: the reader gives up at its timeout with what arrived.
        assert!(!r.complete);
        assert!(started.elapsed() >= Duration::from_millis(400));
        assert_eq!(r.status, 200);
        assert_eq!(r.chunks.len(), expect_events);
    }
}

#[test]
fn raw_text_is_injected_between_events() {
    let raw = "event: telemetry\ndata: not json\n\n";
    let s = MockServer::start_blocking(
        Scenario::new().reply(Reply::text("ok").inject(2, raw).inject(99, ": tail\n\n")),
    )
    .unwrap();
    let r = post_message(s.port(), "m", "hi");
    assert!(r.complete);
    let texts: Vec<String> = r
        .chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    assert!(texts[0].starts_with("event: message_start"));
    assert_eq!(texts[2], raw);
    assert_eq!(texts.last().unwrap(), ": tail\n\n");
    assert!(texts[texts.len() - 2].starts_with("event: message_stop"));
    let j: Reply = serde_json::from_value(json!({"text": "ok", "stall_after_events": 3,
        "inject": [{"at": 2, "raw": raw}]}))
    .unwrap();
    assert_eq!(j, Reply::text("ok").stall_after_events(3).inject(2, raw));
    assert!(
        serde_json::from_value::<Reply>(json!({"status": 500, "stall_after_events": 1})).is_err()
    );
}

#[test]
fn non_streaming_requests_get_the_whole_message() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::content(vec![
                json!({"type": "text", "text": "Let me run it."}),
                json!({"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}}),
            ]))
            .reply(Reply::text("x").with_sse_error("overloaded_error", "Overloaded", 3))
            .reply(Reply::text("cut").cut_after_events(2)),
    )
    .unwrap();
    for first in [true, false] {
        let r = post_json(s.port(), "/v1/messages", &message_body(Some(false)));
        if first {
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type"), Some("application/json"));
            let m = r.json();
            assert_eq!(m["type"], "message");
            assert_eq!(m["model"], "claude-opus-5-5");
            assert_eq!(m["stop_reason"], "tool_use");
            assert_eq!(
                m["content"][0],
                json!({"type": "text", "text": "Let me run it."})
            );
            assert_eq!(
                m["content"][1],
                json!({"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {"command": "ls"}})
            );
            assert!(m["usage"]["output_tokens"].as_u64().unwrap() > 1);
        } else {
            // An in-stream error becomes the HTTP error.
            assert_eq!(r.status, 529);
            assert_eq!(r.json()["error"]["type"], "overloaded_error");
        }
    }
    // A cut drops the connection half-way through the body.
    let mut c = Conn::open(s.port());
    c.send(
        "POST",
        "/v1/messages",
        &[("content-type", "application/json")],
        message_body(Some(false)).to_string().as_bytes(),
    );
    let mut raw = Vec::new();
    let _ = c_read_all(&mut c, &mut raw);
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(body.len() < len, "{body}");
}

fn c_read_all(c: &mut Conn, out: &mut Vec<u8>) -> std::io::Result<usize> {
    c.set_read_timeout(Duration::from_secs(5));
    c.reader().read_to_end(out)
}

#[test]
fn models_are_listed_unless_a_route_says_otherwise() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    let r = request(s.port(), "GET", "/v1/models", &[], b"");
    assert_eq!(r.status, 200);
    let ids: Vec<String> = r.json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect();
    assert!(ids.contains(&"claude-opus-5-5".to_string()), "{ids:?}");
    assert_eq!(r.json()["has_more"], false);
    s.set_route(
        "GET /v1/models",
        ccrs_mock::Route::new(200, r#"{"data":[{"type":"model","id":"claude-opus-6"}]}"#),
    );
    let r = request(s.port(), "GET", "/v1/models", &[], b"");
    assert_eq!(r.json()["data"][0]["id"], "claude-opus-6");
}

/// A TLS client (tokio-rustls) that trusts only `ca_pem`.
async fn tls_get(port: u16, ca_pem: &str, path: &str) -> std::io::Result<String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn tls_with_a_test_ca() {
    let ca = TestCa::new("test CA").unwrap();
    let s = MockServer::start_tls(Scenario::new(), &ca).await.unwrap();
    assert!(s.base_url().starts_with("https://127.0.0.1:"));
    let answer = tls_get(s.port(), &ca.ca_pem, "/v1/models").await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("claude-opus-5-5"));
    // A client trusting another CA refuses the certificate.
    let other = TestCa::new("another CA").unwrap();
    let e = tls_get(s.port(), &other.ca_pem, "/v1/models")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("certificate"), "{e}");
}

#[test]
fn connect_proxy_tunnels_and_checks_credentials() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    let p = MockProxy::start_blocking(ProxyOptions {
        basic_auth: Some(("u".into(), "p w".into())),
        refuse: false,
    })
    .unwrap();
    let target = format!("127.0.0.1:{}", s.port());
    // Without credentials: 407.
    let mut c = Conn::open(p.port());
    c.send_raw(format!("CONNECT {target} HTTP/1.1\r\nhost: {target}\r\n\r\n").as_bytes());
    let r = c.read_response();
    assert_eq!(r.status, 407);
    assert!(r.header("proxy-authenticate").is_some());
    // With them: a tunnel to the mock.
    let mut tcp = std::net::TcpStream::connect(("127.0.0.1", p.port())).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    tcp.write_all(
        format!(
            "CONNECT {target} HTTP/1.1\r\nhost: {target}\r\nproxy-authorization: Basic dTpwIHc=\r\n\r\n"
        )
        .as_bytes(),
    )
    .unwrap();
    let mut buf = [0u8; 39];
    tcp.read_exact(&mut buf).unwrap();
    assert_eq!(&buf[..], b"HTTP/1.1 200 Connection established\r\n\r\n");
    tcp.write_all(b"GET /v1/models HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut rest = String::new();
    tcp.read_to_string(&mut rest).unwrap();
    assert!(rest.starts_with("HTTP/1.1 200"), "{rest}");
    let reqs = p.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!((reqs[0].status, reqs[1].status), (407, 200));
    assert_eq!(reqs[1].method, "CONNECT");
    assert_eq!(reqs[1].target, target);
    assert_eq!(
        reqs[1].proxy_authorization.as_deref(),
        Some("Basic dTpwIHc=")
    );
    assert_eq!(s.requests().len(), 1, "the request reached the server");
}

#[test]
fn forward_proxy_rewrites_absolute_form_and_refusing_proxy_says_403() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    let p = MockProxy::start_blocking(ProxyOptions::default()).unwrap();
    let url = format!("http://127.0.0.1:{}/v1/models?x=1", s.port());
    let r = request(
        p.port(),
        "GET",
        &url,
        &[("proxy-connection", "keep-alive")],
        b"",
    );
    assert_eq!(r.status, 200);
    assert!(r.text().contains("claude-opus-5-5"));
    let got = s.requests();
    assert_eq!(
        (got[0].path.as_str(), got[0].query.as_str()),
        ("/v1/models", "x=1")
    );
    assert!(got[0].header("proxy-connection").is_none());
    assert_eq!(p.requests()[0].target, url);

    let refusing = MockProxy::start_blocking(ProxyOptions {
        refuse: true,
        ..Default::default()
    })
    .unwrap();
    let r = request(refusing.port(), "CONNECT", "127.0.0.1:1", &[], b"");
    assert_eq!(r.status, 403);
}

#[test]
fn token_answers_can_be_delayed_after_the_refresh_token_is_spent() {
    let s = MockServer::start_blocking(Scenario::new().oauth(OAuthConfig {
        token_delay_ms: 400,
        ..Default::default()
    }))
    .unwrap();
    s.seed_oauth_tokens("", "r1", 0);
    let port = s.port();
    let t = std::thread::spawn(move || {
        post_json(
            port,
            "/v1/oauth/token",
            &json!({"grant_type": "refresh_token", "refresh_token": "r1",
                "client_id": ccrs_mock::CLAUDE_CODE_CLIENT_ID}),
        )
    });
    // Spent before the answer is sent.
    let started = Instant::now();
    while s.current_refresh_tokens().contains(&"r1".to_string()) {
        assert!(started.elapsed() < Duration::from_secs(5));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!t.is_finished());
    let r = t.join().unwrap();
    assert_eq!(r.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}
