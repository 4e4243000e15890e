//! `ccrs doctor` against the mock: a healthy setup exits 0, each kind of problem is named and
//! exits 1. The output is snapshotted with the run's paths, ports and timings replaced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, ccrs_command, env};
use ccrs_mock::{MockProxy, MockServer, ProxyOptions, Reply, Scenario, TestCa};
use std::process::Output;

fn doctor(e: &Env, mock: &MockServer, vars: &[(&str, &str)]) -> Output {
    let mut c = ccrs_command(&e.home, &e.cwd, mock);
    // Each test says which credential there is.
    c.env_remove("ANTHROPIC_API_KEY").arg("doctor");
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// The output with what differs between runs replaced.
fn redact(e: &Env, out: &Output, ports: &[u16]) -> String {
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s = s.replace(env!("CARGO_BIN_EXE_ccrs"), "[BIN]");
    s = s.replace(&e.cwd.display().to_string(), "[CWD]");
    s = s.replace(&e.home.display().to_string(), "[HOME]");
    for p in ports {
        s = s.replace(&p.to_string(), "[PORT]");
    }
    s = s.replace(
        &format!("version {} ", env!("CARGO_PKG_VERSION")),
        "version [VERSION] ",
    );
    let s = mask_number(&s, "in ", " ms", "[MS]");
    mask_number(&s, "valid for ", " more minutes", "[N]")
}

/// Replaces the digits between `before` and `after` (`in 14 ms` → `in [MS] ms`).
fn mask_number(s: &str, before: &str, after: &str, mask: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(before) {
        let (head, tail) = rest.split_at(i + before.len());
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with(after) {
            out.push_str(mask);
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn a_healthy_setup() {
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let e = env();
    let out = doctor(&e, &mock, &[("ANTHROPIC_API_KEY", "sk-ant-test-key")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    insta::assert_snapshot!("doctor_healthy", redact(&e, &out, &[mock.port()]));
    assert_eq!(mock.requests()[0].path, "/v1/models");
    assert_eq!(
        mock.requests()[0].header("x-api-key"),
        Some("sk-ant-test-key")
    );
}

#[test]
fn every_kind_of_problem_is_named() {
    let mock = MockServer::start_blocking(Scenario::new().route(
        "GET /v1/models",
        ccrs_mock::Route::html("<html><title>Sign in to the Wi-Fi</title></html>"),
    ))
    .unwrap();
    let e = env();
    let claude = e.home.join(".claude");
    std::fs::create_dir_all(&claude).unwrap();
    std::fs::write(
        claude.join("settings.json"),
        serde_json::json!({
            "model": "opus[1m]",
            "statusLine": {"type": "command", "command": "x"},
            "permissions": {"allow": ["Bassh(ls)", "bash(ls)", "Read"], "deny": ["WebFetch(domain:"]},
            "env": {"NODE_EXTRA_CA_CERTS": "/nonexistent/ca.pem"}
        })
        .to_string(),
    )
    .unwrap();
    std::fs::create_dir_all(e.cwd.join(".claude")).unwrap();
    std::fs::write(e.cwd.join(".claude/settings.local.json"), "{\"model\": \n").unwrap();
    let store = e.home.join(".config/claude-code-rs");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("credentials.json"), "{\"oauth\": 7}").unwrap();
    let out = doctor(&e, &mock, &[("HTTPS_PROXY", "socks5://proxy:1080")]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("doctor_problems", redact(&e, &out, &[mock.port()]));
    // Doctor reads, never repairs.
    assert_eq!(
        std::fs::read(store.join("credentials.json")).unwrap(),
        b"{\"oauth\": 7}"
    );
}

#[test]
fn proxy_and_ca_in_force() {
    let ca = TestCa::new("Corp CA").unwrap();
    let mock =
        MockServer::start_blocking_tls(Scenario::new().fallback(Reply::text("x")), &ca).unwrap();
    let proxy = MockProxy::start_blocking(ProxyOptions::default()).unwrap();
    let e = env();
    let pem = e.home.join("corp.pem");
    std::fs::write(&pem, &ca.ca_pem).unwrap();
    let out = doctor(
        &e,
        &mock,
        &[
            ("ANTHROPIC_API_KEY", "sk-ant-test-key"),
            ("https_proxy", &proxy.url_with_auth("me", "secret")),
            ("NO_PROXY", "internal.example"),
            ("NODE_EXTRA_CA_CERTS", pem.to_str().unwrap()),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let text = redact(&e, &out, &[mock.port(), proxy.port()]);
    assert!(!text.contains("secret"), "{text}");
    insta::assert_snapshot!("doctor_proxy_and_ca", text);
    assert_eq!(proxy.requests()[0].method, "CONNECT");
}
