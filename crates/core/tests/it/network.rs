//! The API client on a corporate network: TLS with a CA the OS does not know, a CONNECT proxy
//! (with and without credentials, refusing), NO_PROXY, and a forward proxy for http:// URLs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{TEST_API_KEY, api_key_auth, client_config};
use ccrs_core::api::client::ClientEvent;
use ccrs_core::api::{ApiClient, ContentBlock, Message, MessagesRequest};
use ccrs_core::cancel::CancelToken;
use ccrs_core::error::ApiError;
use ccrs_core::net::{NetConfig, ProxySetting};
use ccrs_mock::{MockProxy, MockServer, ProxyOptions, Reply, Scenario, TestCa};
use std::time::{Duration, Instant};

struct Outcome {
    result: Result<Vec<ContentBlock>, ApiError>,
    retries: usize,
    elapsed: Duration,
}

async fn ask(base_url: &str, net: NetConfig) -> Outcome {
    let mut cfg = client_config(base_url);
    cfg.net = net;
    cfg.retry.max_retries = 10;
    let started = Instant::now();
    let client = ApiClient::new(cfg, api_key_auth(TEST_API_KEY)).unwrap();
    let mut retries = 0;
    let result = tokio::time::timeout(
        Duration::from_secs(30),
        client.stream(
            &MessagesRequest::new("claude-opus-5-5", 100),
            &[Message::user_text("hi")],
            &CancelToken::new(),
            &mut |e| {
                if matches!(e, ClientEvent::Retry(_)) {
                    retries += 1
                }
            },
        ),
    )
    .await
    .expect("the client hung")
    .map(|o| o.message.content);
    Outcome {
        result,
        retries,
        elapsed: started.elapsed(),
    }
}

fn ca_file(dir: &std::path::Path, ca: &TestCa) -> std::path::PathBuf {
    let p = dir.join("corp-ca.pem");
    std::fs::write(&p, &ca.ca_pem).unwrap();
    p
}

fn proxy(var: &'static str, url: String) -> Option<ProxySetting> {
    Some(ProxySetting { var, url })
}

fn proxies(https: Option<ProxySetting>, http: Option<ProxySetting>) -> NetConfig {
    let mut n = NetConfig::default();
    n.https_proxy = https;
    n.http_proxy = http;
    n
}

#[tokio::test]
async fn tls_with_an_extra_ca_works_and_without_it_fails_at_once_naming_the_variable() {
    let ca = TestCa::new("Corp Inspection CA").unwrap();
    let s = MockServer::start_tls(Scenario::new().fallback(Reply::text("secure hello")), &ca)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut net = NetConfig::default();
    net.add_ca_file("NODE_EXTRA_CA_CERTS", ca_file(dir.path(), &ca));
    assert!(net.problems.is_empty(), "{:?}", net.problems);
    let ok = ask(&s.base_url(), net).await;
    assert_eq!(ok.result.unwrap(), vec![ContentBlock::text("secure hello")]);

    let bad = ask(&s.base_url(), NetConfig::default()).await;
    assert_eq!(bad.retries, 0, "a certificate problem is not retried");
    assert!(bad.elapsed < Duration::from_secs(5), "{:?}", bad.elapsed);
    let e = bad.result.unwrap_err().to_string();
    assert!(
        e.contains("not trusted")
            && e.contains("NODE_EXTRA_CA_CERTS")
            && e.contains("SSL_CERT_FILE"),
        "{e}"
    );
    assert!(e.contains("no extra CA is set"), "{e}");
}

#[tokio::test]
async fn an_unusable_ca_file_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut net = NetConfig::default();
    net.add_ca_file("SSL_CERT_FILE", dir.path().join("missing.pem"));
    std::fs::write(dir.path().join("junk.pem"), "not a certificate").unwrap();
    net.add_ca_file("NODE_EXTRA_CA_CERTS", dir.path().join("junk.pem"));
    assert_eq!(net.problems.len(), 2, "{:?}", net.problems);
    assert!(
        net.problems[0].starts_with("SSL_CERT_FILE="),
        "{:?}",
        net.problems
    );
    assert!(
        net.problems[1].contains("no PEM certificate"),
        "{:?}",
        net.problems
    );
    assert_eq!(net.extra_certificates(), 0);
}

#[tokio::test]
async fn https_through_a_connect_proxy_with_credentials() {
    let ca = TestCa::new("Corp CA").unwrap();
    let s = MockServer::start_tls(Scenario::new().fallback(Reply::text("via proxy")), &ca)
        .await
        .unwrap();
    let p = MockProxy::start(ProxyOptions {
        basic_auth: Some(("alice".into(), "s3cret".into())),
        refuse: false,
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut net = proxies(
        proxy("HTTPS_PROXY", p.url_with_auth("alice", "s3cret")),
        None,
    );
    net.add_ca_file("NODE_EXTRA_CA_CERTS", ca_file(dir.path(), &ca));
    let ok = ask(&s.base_url(), net.clone()).await;
    assert_eq!(ok.result.unwrap(), vec![ContentBlock::text("via proxy")]);
    let seen = p.requests();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].method, "CONNECT");
    assert_eq!(seen[0].target, format!("127.0.0.1:{}", s.port()));
    assert_eq!(seen[0].status, 200);
    assert!(
        seen[0]
            .proxy_authorization
            .as_deref()
            .unwrap()
            .starts_with("Basic ")
    );

    // Without the credentials: a clear, immediate error naming the variable.
    net.https_proxy = proxy("https_proxy", p.url());
    let bad = ask(&s.base_url(), net.clone()).await;
    assert_eq!(bad.retries, 0);
    let e = bad.result.unwrap_err().to_string();
    assert!(e.contains("407") && e.contains("https_proxy"), "{e}");
    assert!(!e.contains("s3cret"));

    // NO_PROXY exempts the host: the proxy sees nothing more.
    net.https_proxy = proxy("HTTPS_PROXY", p.url());
    net.no_proxy = Some(("NO_PROXY", "localhost,127.0.0.1".into()));
    let direct = ask(&s.base_url(), net).await;
    assert_eq!(
        direct.result.unwrap(),
        vec![ContentBlock::text("via proxy")]
    );
    assert_eq!(p.requests().len(), 2);
}

#[tokio::test]
async fn a_refusing_or_missing_proxy_fails_at_once() {
    let s = MockServer::start(Scenario::new().fallback(Reply::text("never")))
        .await
        .unwrap();
    let ca = TestCa::new("x").unwrap();
    let tls = MockServer::start_tls(Scenario::new(), &ca).await.unwrap();
    let refusing = MockProxy::start(ProxyOptions {
        refuse: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let bad = ask(
        &tls.base_url(),
        proxies(proxy("HTTPS_PROXY", refusing.url()), None),
    )
    .await;
    assert_eq!(bad.retries, 0);
    let e = bad.result.unwrap_err().to_string();
    assert!(
        e.contains("refused to open a tunnel")
            && e.contains("HTTPS_PROXY")
            && e.contains("NO_PROXY"),
        "{e}"
    );
    // A proxy address where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let gone = ask(
        &tls.base_url(),
        proxies(
            proxy("HTTPS_PROXY", format!("http://127.0.0.1:{port}")),
            None,
        ),
    )
    .await;
    assert!(gone.elapsed < Duration::from_secs(5), "{:?}", gone.elapsed);
    let e = gone.result.unwrap_err().to_string();
    assert!(e.contains("proxy") && e.contains("HTTPS_PROXY"), "{e}");
    assert_eq!(s.message_requests().len(), 0);
}

#[tokio::test]
async fn http_urls_use_http_proxy_as_a_forward_proxy() {
    let s = MockServer::start(Scenario::new().fallback(Reply::text("forwarded")))
        .await
        .unwrap();
    let p = MockProxy::start(ProxyOptions::default()).await.unwrap();
    // HTTPS_PROXY is only for https:// URLs: not used here.
    let net = proxies(
        proxy("HTTPS_PROXY", "http://127.0.0.1:1".into()),
        proxy("HTTP_PROXY", p.url()),
    );
    let ok = ask(&s.base_url(), net).await;
    assert_eq!(ok.result.unwrap(), vec![ContentBlock::text("forwarded")]);
    let seen = p.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].target,
        format!("http://127.0.0.1:{}/v1/messages", s.port())
    );
    // A 407 from a forward proxy is an HTTP answer: still named as a proxy problem.
    let auth = MockProxy::start(ProxyOptions {
        basic_auth: Some(("u".into(), "p".into())),
        refuse: false,
    })
    .await
    .unwrap();
    let bad = ask(
        &s.base_url(),
        proxies(None, proxy("http_proxy", auth.url())),
    )
    .await;
    assert_eq!(bad.retries, 0);
    let e = bad.result.unwrap_err().to_string();
    assert!(e.contains("407") && e.contains("http_proxy"), "{e}");
}
