//! The OAuth endpoints: PKCE authorization codes, refresh rotation, revocation, token checks on
//! `/v1/messages`, and one winner when refreshes race.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Response, post_json, request};
use ccrs_mock::{CLAUDE_CODE_CLIENT_ID, MockServer, OAuthConfig, Reply, Scenario, s256_challenge};
use serde_json::{Value, json};
use std::sync::{Arc, Barrier};

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const REDIRECT: &str = "http://localhost:54545/callback";

fn query_param(url: &str, name: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// Runs the authorize step; returns the code from the redirect.
fn authorize(s: &MockServer, state: &str) -> String {
    let url = s.authorize_url(REDIRECT, &s256_challenge(VERIFIER), state);
    let target = url.strip_prefix(&s.base_url()).unwrap();
    let r = request(s.port(), "GET", target, &[], b"");
    assert_eq!(r.status, 302, "{}", r.text());
    let location = r.header("location").unwrap().to_string();
    assert!(
        location.starts_with(&format!("{REDIRECT}?code=")),
        "{location}"
    );
    assert_eq!(query_param(&location, "state").as_deref(), Some(state));
    let code = query_param(&location, "code").unwrap();
    assert_eq!(
        r.text(),
        format!("{code}#{state}"),
        "manual flow shows CODE#STATE"
    );
    code
}

fn exchange(s: &MockServer, code: &str, verifier: &str) -> Response {
    post_json(
        s.port(),
        "/v1/oauth/token",
        &json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": CLAUDE_CODE_CLIENT_ID, "code_verifier": verifier, "state": "st"}),
    )
}

fn refresh(port: u16, token: &str) -> Response {
    post_json(
        port,
        "/v1/oauth/token",
        &json!({"grant_type": "refresh_token", "refresh_token": token,
            "client_id": CLAUDE_CODE_CLIENT_ID, "scope": "user:profile user:inference"}),
    )
}

#[test]
fn pkce_code_exchange() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    let code = authorize(&s, "st");
    let r = exchange(&s, &code, VERIFIER);
    assert_eq!(r.status, 200, "{}", r.text());
    let t = r.json();
    assert_eq!(t["token_type"], "Bearer");
    assert!(
        t["access_token"]
            .as_str()
            .unwrap()
            .starts_with("sk-ant-oat01-")
    );
    assert!(
        t["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("sk-ant-ort01-")
    );
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(t["scope"], "user:profile user:inference");
    assert_eq!(t["account"]["email_address"], "mock@example.com");
    assert!(t["account"]["uuid"].is_string() && t["organization"]["uuid"].is_string());
    assert_eq!(
        s.current_refresh_tokens(),
        vec![t["refresh_token"].as_str().unwrap().to_string()]
    );
    assert_eq!(
        s.live_access_tokens(),
        vec![t["access_token"].as_str().unwrap().to_string()]
    );
    // Codes are one-time.
    let again = exchange(&s, &code, VERIFIER);
    assert_eq!(again.status, 400);
    assert_eq!(again.json()["error"], "invalid_grant");
}

#[test]
fn wrong_verifier_or_redirect_is_refused() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    let code = authorize(&s, "st");
    let r = exchange(&s, &code, "not-the-verifier");
    assert_eq!(r.status, 400);
    let e = r.json();
    assert_eq!(e["error"], "invalid_grant");
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier")
    );
    // The code died with the failed attempt.
    assert_eq!(exchange(&s, &code, VERIFIER).status, 400);

    let code = authorize(&s, "st");
    let r = post_json(
        s.port(),
        "/v1/oauth/token",
        &json!({"grant_type": "authorization_code", "code": code, "redirect_uri": "http://evil/cb",
            "client_id": CLAUDE_CODE_CLIENT_ID, "code_verifier": VERIFIER}),
    );
    assert_eq!(r.status, 400);
    assert!(s.current_refresh_tokens().is_empty());
    let grants = s.token_grants();
    assert_eq!(grants.len(), 3);
    assert!(
        grants
            .iter()
            .all(|g| !g.ok && g.grant_type == "authorization_code")
    );
}

#[test]
fn bad_authorize_requests_are_refused() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    for q in [
        "response_type=code&client_id=wrong&redirect_uri=x&code_challenge=c&code_challenge_method=S256",
        "response_type=code&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e&redirect_uri=x&code_challenge=c&code_challenge_method=plain",
        "response_type=code&client_id=9d1c250a-e61b-44d9-88ed-5944d1962f5e&redirect_uri=x&code_challenge_method=S256",
    ] {
        let r = request(s.port(), "GET", &format!("/oauth/authorize?{q}"), &[], b"");
        assert_eq!(r.status, 400, "{q}");
    }
    let r = post_json(
        s.port(),
        "/v1/oauth/token",
        &json!({"grant_type": "password"}),
    );
    assert_eq!(r.json()["error"], "unsupported_grant_type");
    let r = request(s.port(), "POST", "/v1/oauth/token", &[], b"not json");
    assert_eq!(r.json()["error"], "invalid_request");
}

#[test]
fn refresh_rotates_and_old_tokens_die() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    s.seed_oauth_tokens("sk-ant-oat01-seed", "sk-ant-ort01-seed", 60);
    let r = refresh(s.port(), "sk-ant-ort01-seed");
    assert_eq!(r.status, 200, "{}", r.text());
    let new_refresh = r.json()["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(new_refresh, "sk-ant-ort01-seed");
    assert_eq!(s.current_refresh_tokens(), vec![new_refresh.clone()]);
    let r = refresh(s.port(), "sk-ant-ort01-seed");
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"], "invalid_grant");
    assert!(s.revoke_refresh_token(&new_refresh));
    assert_eq!(refresh(s.port(), &new_refresh).status, 400, "revoked");
    assert!(!s.revoke_refresh_token(&new_refresh));
}

#[test]
fn without_rotation_the_refresh_token_stays() {
    let s = MockServer::start_blocking(Scenario::new().oauth(OAuthConfig {
        rotate_refresh_tokens: false,
        access_token_ttl_secs: 28800,
        ..Default::default()
    }))
    .unwrap();
    s.seed_oauth_tokens("", "sk-ant-ort01-keep", 0);
    for _ in 0..3 {
        let r = refresh(s.port(), "sk-ant-ort01-keep");
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["refresh_token"], "sk-ant-ort01-keep");
        assert_eq!(r.json()["expires_in"], 28800);
    }
    assert_eq!(s.live_access_tokens().len(), 3);
}

#[test]
fn setup_token_lifetime_can_be_requested() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    let code = authorize(&s, "st");
    let r = post_json(
        s.port(),
        "/v1/oauth/token",
        &json!({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": CLAUDE_CODE_CLIENT_ID, "code_verifier": VERIFIER, "state": "st",
            "expires_in": 31536000}),
    );
    assert_eq!(r.json()["expires_in"], 31536000);
}

#[test]
fn concurrent_refreshes_of_one_token_have_exactly_one_winner() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    s.seed_oauth_tokens("", "sk-ant-ort01-shared", 0);
    let n = 20;
    let barrier = Arc::new(Barrier::new(n));
    let port = s.port();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                refresh(port, "sk-ant-ort01-shared")
            })
        })
        .collect();
    let results: Vec<Response> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<&Response> = results.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "exactly one refresh wins");
    assert!(
        results
            .iter()
            .filter(|r| r.status != 200)
            .all(|r| r.status == 400)
    );
    let rotated = winners[0].json()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(s.current_refresh_tokens(), vec![rotated]);
    let grants = s.token_grants();
    assert_eq!(grants.len(), n);
    assert_eq!(grants.iter().filter(|g| g.ok).count(), 1);
}

#[test]
fn messages_require_a_live_access_token_when_configured() {
    let s = MockServer::start_blocking(
        Scenario::new()
            .oauth(OAuthConfig {
                require_valid_access_token: true,
                ..Default::default()
            })
            .reply(Reply::text("one"))
            .reply(Reply::text("two")),
    )
    .unwrap();
    s.seed_oauth_tokens("sk-ant-oat01-live", "sk-ant-ort01-r", 3600);
    let post = |auth: Option<&str>| {
        let h: Vec<(&str, &str)> = auth.map(|a| vec![("authorization", a)]).unwrap_or_default();
        request(s.port(), "POST", "/v1/messages", &h, br#"{"model":"m"}"#)
    };
    assert_eq!(post(Some("Bearer sk-ant-oat01-live")).status, 200);
    let r = post(None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"]["type"], "authentication_error");
    let r = post(Some("Bearer sk-ant-oat01-forged"));
    assert_eq!(r.status, 401);
    s.expire_access_tokens();
    let r = post(Some("Bearer sk-ant-oat01-live"));
    assert_eq!(r.status, 401);
    assert_eq!(
        r.json(),
        json!({"type": "error", "error": {"type": "authentication_error", "message": "OAuth token has expired"}})
    );
    assert_eq!(
        s.remaining_replies(),
        1,
        "refused requests consume no reply"
    );
    // A refresh yields a token that works.
    let t: Value = refresh(s.port(), "sk-ant-ort01-r").json();
    let bearer = format!("Bearer {}", t["access_token"].as_str().unwrap());
    assert_eq!(post(Some(&bearer)).status, 200);
}

#[test]
fn form_encoded_token_requests_work_too() {
    let s = MockServer::start_blocking(Scenario::new()).unwrap();
    s.seed_oauth_tokens("", "sk-ant-ort01-f", 0);
    let body = format!(
        "grant_type=refresh_token&refresh_token=sk-ant-ort01-f&client_id={CLAUDE_CODE_CLIENT_ID}"
    );
    let r = request(
        s.port(),
        "POST",
        "/v1/oauth/token",
        &[("content-type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}
