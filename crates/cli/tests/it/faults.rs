//! The real binary under API faults and on a corporate network: every fault ends with a
//! recovery or a clear message well within its bound (the bounds asserted here are generous;
//! `scripts/fault_times.sh` measures the real times).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, ccrs_command, env};
use ccrs_core::auth::{CredentialStore, OAuthTokens, StoredCredential};
use ccrs_mock::{MockProxy, MockServer, OAuthConfig, ProxyOptions, Reply, Scenario, TestCa};
use serde_json::Value;
use std::process::Output;
use std::time::{Duration, Instant};

fn run(e: &Env, mock: &MockServer, args: &[&str], vars: &[(&str, &str)]) -> (Output, Duration) {
    let mut c = ccrs_command(&e.home, &e.cwd, mock);
    c.args(args).stdin(std::process::Stdio::null());
    for (k, v) in vars {
        c.env(k, v);
    }
    let started = Instant::now();
    let out = c.output().unwrap();
    (out, started.elapsed())
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_html_page_ends_print_mode_at_once_with_a_hint() {
    let mock = MockServer::start_blocking(Scenario::new().fallback(Reply::html(
        200,
        "<html><title>Guest Wi-Fi login</title></html>",
    )))
    .unwrap();
    let e = env();
    let (out, took) = run(&e, &mock, &["-p", "hi"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(10), "{took:?}");
    let err = stderr(&out);
    for want in [
        "content-type text/html",
        "Guest Wi-Fi login",
        "ANTHROPIC_BASE_URL",
        "HTTPS_PROXY",
    ] {
        assert!(err.contains(want), "{want}: {err}");
    }
    assert_eq!(mock.message_requests().len(), 1, "not retried");
}

#[test]
fn a_broken_stream_is_retried_and_stream_json_says_so() {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("A partial answer that breaks off").cut_after_events(5))
            .reply(Reply::text("Whole answer.")),
    )
    .unwrap();
    let e = env();
    let (out, _) = run(
        &e,
        &mock,
        &["-p", "hi", "--output-format", "stream-json", "--verbose"],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let retry = lines
        .iter()
        .find(|l| l["subtype"] == "api_retry")
        .expect("an api_retry line");
    assert_eq!(retry["attempt"], 1);
    assert_eq!(retry["error_status"], Value::Null);
    assert_eq!(retry["error"], "unknown");
    assert_eq!(retry["discarded_output"], true);
    assert!(
        retry["error_message"]
            .as_str()
            .unwrap()
            .contains("connection lost"),
        "{retry}"
    );
    assert!(retry["retry_delay_ms"].as_u64().unwrap() <= 500);
    assert_eq!(lines.last().unwrap()["result"], "Whole answer.");
}

#[test]
fn a_stall_with_api_timeout_ms_ends_in_seconds() {
    let mock = MockServer::start_blocking(
        Scenario::new().fallback(Reply::text("never").stall_after_events(0)),
    )
    .unwrap();
    let e = env();
    let (out, took) = run(&e, &mock, &["-p", "hi"], &[("API_TIMEOUT_MS", "1000")]);
    assert_eq!(out.status.code(), Some(1));
    // Two attempts of 1 s and a 0.5 s pause.
    assert!(took < Duration::from_secs(15), "{took:?}");
    let err = stderr(&out);
    assert!(
        err.contains("the API sent nothing for 1.0s (API_TIMEOUT_MS=1000)")
            && err.contains("gave up after 2 attempts"),
        "{err}"
    );
}

/// A TLS mock whose CA the OS does not know, and the CA in a file.
fn tls_mock(e: &Env, scenario: Scenario) -> (MockServer, std::path::PathBuf) {
    let ca = TestCa::new("Corp Inspection CA").unwrap();
    let mock = MockServer::start_blocking_tls(scenario, &ca).unwrap();
    let pem = e.home.join("corp-ca.pem");
    std::fs::write(&pem, &ca.ca_pem).unwrap();
    (mock, pem)
}

#[test]
fn an_untrusted_certificate_fails_at_once_naming_the_variables() {
    let e = env();
    let (mock, _) = tls_mock(&e, Scenario::new().fallback(Reply::text("secure")));
    let (out, took) = run(&e, &mock, &["-p", "hi"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(10), "{took:?}");
    let err = stderr(&out);
    assert!(
        err.contains("not trusted") && err.contains("NODE_EXTRA_CA_CERTS"),
        "{err}"
    );
    assert!(!err.contains("gave up"), "not retried: {err}");
}

#[test]
fn ca_from_the_settings_env_and_a_proxy_serve_the_api_and_the_oauth_refresh() {
    let e = env();
    let (mock, pem) = tls_mock(
        &e,
        Scenario::new()
            .fallback(Reply::text("secure pong"))
            .oauth(OAuthConfig {
                require_valid_access_token: true,
                ..Default::default()
            }),
    );
    let proxy = MockProxy::start_blocking(ProxyOptions {
        basic_auth: Some(("alice".into(), "pw".into())),
        refuse: false,
    })
    .unwrap();
    // The CA only in the user's settings `env`, as Claude Code's users set it.
    std::fs::create_dir_all(e.home.join(".claude")).unwrap();
    std::fs::write(
        e.home.join(".claude/settings.json"),
        serde_json::json!({"env": {"NODE_EXTRA_CA_CERTS": pem}}).to_string(),
    )
    .unwrap();
    // An expired Claude-account login: the refresh goes through the proxy too.
    mock.seed_oauth_tokens("", "sk-ant-ort01-r1", 0);
    CredentialStore::new(e.home.join(".config/claude-code-rs/credentials.json"))
        .login_save(&StoredCredential::OAuth(OAuthTokens {
            access_token: "sk-ant-oat01-old".into(),
            refresh_token: Some("sk-ant-ort01-r1".into()),
            expires_at: Some(1000),
            scopes: vec!["user:inference".into()],
        }))
        .unwrap();
    let mut c = ccrs_command(&e.home, &e.cwd, &mock);
    c.env_remove("ANTHROPIC_API_KEY")
        .stdin(std::process::Stdio::null())
        .env("HTTPS_PROXY", proxy.url_with_auth("alice", "pw"))
        .env(
            "CCRS_OAUTH_TOKEN_URL",
            format!("{}/v1/oauth/token", mock.base_url()),
        )
        .args(["-p", "hi"]);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "secure pong\n");
    assert_eq!(
        mock.token_grants()
            .iter()
            .filter(|g| g.ok && g.grant_type == "refresh_token")
            .count(),
        1
    );
    let tunnels: Vec<_> = proxy
        .requests()
        .into_iter()
        .filter(|r| r.method == "CONNECT" && r.status == 200)
        .collect();
    // The refresher's connection and the API client's.
    assert!(tunnels.len() >= 2, "{tunnels:?}");
    assert!(
        tunnels
            .iter()
            .all(|t| t.target == format!("127.0.0.1:{}", mock.port()))
    );
}
