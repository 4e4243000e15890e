//! Claude-account OAuth against the mock server: PKCE login, refresh before expiry and after a
//! 401 (through the real `ApiClient`), revocation, the store's file modes, and refresh races
//! between real processes.
//!
//! The multi-process tests re-run this test binary as the child (`child_process`, ignored in
//! normal runs): each child builds a `DefaultAuth` on the shared store and sends one request per
//! `go` line it reads, answering `CHILD: ok` or `CHILD: err <message>`.

// Test helpers outside #[test] functions may panic too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::api::{ApiClient, ClientConfig, Message, MessagesRequest};
use ccrs_core::auth::oauth::{self, LoginSession, OAuthConfig};
use ccrs_core::auth::{
    AuthConfig, AuthError, AuthProvider, CredentialSource, CredentialStore, DefaultAuth,
    OAuthTokens, StoredCredential,
};
use ccrs_core::cancel::CancelToken;
use ccrs_core::error::ApiError;
use ccrs_mock::{MockServer, OAuthConfig as MockOAuth, Reply, Scenario};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const REDIRECT: &str = "https://console.anthropic.com/oauth/code/callback";

fn scenario(require_oauth: bool) -> Scenario {
    Scenario::new()
        .fallback(Reply::text("pong"))
        .oauth(MockOAuth {
            require_valid_access_token: require_oauth,
            ..MockOAuth::default()
        })
}

fn oauth_cfg(server: &MockServer) -> OAuthConfig {
    OAuthConfig {
        authorize_url: format!("{}/oauth/authorize", server.base_url()),
        token_url: format!("{}/v1/oauth/token", server.base_url()),
        redirect_uri: REDIRECT.into(),
        timeout: Duration::from_secs(10),
        ..OAuthConfig::default()
    }
}

fn store_in(dir: &Path) -> CredentialStore {
    CredentialStore::new(dir.join("claude-code-rs/credentials.json"))
}

fn auth_for(server: &MockServer, store: &CredentialStore) -> Arc<DefaultAuth> {
    let mut cfg = AuthConfig::with_store(store.clone());
    cfg.oauth = oauth_cfg(server);
    Arc::new(DefaultAuth::new(cfg))
}

fn client(base_url: &str, auth: Arc<dyn AuthProvider>) -> ApiClient {
    let mut cfg = ClientConfig::from_env("00000000-0000-4000-8000-000000000000");
    cfg.base_url = base_url.to_string();
    cfg.retry.max_retries = 0;
    // Never write the model list into the real config directory.
    cfg.model_cache = None;
    cfg.custom_headers.clear();
    cfg.betas.clear();
    ApiClient::new(cfg, auth).unwrap()
}

async fn ask(client: &ApiClient) -> Result<String, ApiError> {
    let req = MessagesRequest::new("claude-sonnet-5", 64);
    let out = client
        .stream(
            &req,
            &[Message::user_text("ping")],
            &CancelToken::new(),
            &mut |_| {},
        )
        .await?;
    Ok(out.message.to_message().text())
}

fn stored_tokens(store: &CredentialStore) -> OAuthTokens {
    match store.load().unwrap().credential {
        Some(StoredCredential::OAuth(t)) => t,
        other => panic!("expected OAuth tokens in the store, found {other:?}"),
    }
}

fn now_ms() -> u64 {
    ccrs_core::timeutil::now_ms()
}

/// Seeds the mock with `access`/`refresh` and the store with the same, expiring at `expires_at`.
fn seed(
    server: &MockServer,
    store: &CredentialStore,
    access: &str,
    refresh: &str,
    expires_at: u64,
) {
    server.seed_oauth_tokens(access, refresh, 3600);
    store
        .login_save(&StoredCredential::OAuth(OAuthTokens {
            access_token: access.into(),
            refresh_token: Some(refresh.into()),
            expires_at: Some(expires_at),
            scopes: vec!["user:inference".into()],
        }))
        .unwrap();
}

fn refresh_grants(server: &MockServer) -> Vec<ccrs_mock::TokenGrant> {
    server
        .token_grants()
        .into_iter()
        .filter(|g| g.grant_type == "refresh_token")
        .collect()
}

/// GETs the authorize URL like a browser that stops at the redirect: (Location, body).
async fn authorize(url: &str) -> (String, String) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http.get(url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 302, "authorize refused the request");
    let location = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    (location, resp.text().await.unwrap())
}

#[tokio::test]
async fn pkce_login_end_to_end_with_either_paste_form() {
    let server = MockServer::start(scenario(true)).await.unwrap();
    let cfg = oauth_cfg(&server);
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());

    // The page's `code#state`.
    let session = LoginSession::begin(&cfg).unwrap();
    let (location, body) = authorize(&session.url).await;
    assert!(body.ends_with(&format!("#{}", session.state())), "{body}");
    let tokens = session.finish(&cfg, &body).await.unwrap();
    assert!(tokens.access_token.starts_with("sk-ant-oat01-"));
    assert!(tokens.refresh_token.is_some());
    let exp = tokens.expires_at.unwrap();
    assert!(exp > now_ms() + 3_500_000 && exp <= now_ms() + 3_600_000);
    assert!(!tokens.scopes.is_empty());
    assert!(location.starts_with(REDIRECT));

    // The full callback URL, pasted from the address bar.
    let session = LoginSession::begin(&cfg).unwrap();
    let (location, _) = authorize(&session.url).await;
    let tokens2 = session.finish(&cfg, &location).await.unwrap();
    assert_ne!(tokens.access_token, tokens2.access_token);

    let grants = server.token_grants();
    assert_eq!(grants.len(), 2);
    assert!(
        grants
            .iter()
            .all(|g| g.grant_type == "authorization_code" && g.ok)
    );

    // The saved login works for a real request.
    store
        .login_save(&StoredCredential::OAuth(tokens2.clone()))
        .unwrap();
    let auth = auth_for(&server, &store);
    assert_eq!(auth.source(), CredentialSource::StoredOAuth);
    let c = client(&server.base_url(), auth);
    assert_eq!(ask(&c).await.unwrap(), "pong");
    let req = server.message_requests().pop().unwrap();
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {}", tokens2.access_token).as_str())
    );
    assert!(req.header("x-api-key").is_none());
    assert!(
        req.header("anthropic-beta")
            .unwrap()
            .contains("oauth-2025-04-20")
    );
}

#[tokio::test]
async fn the_server_checks_the_verifier_against_the_challenge() {
    let server = MockServer::start(scenario(false)).await.unwrap();
    let cfg = oauth_cfg(&server);
    let session = LoginSession::begin(&cfg).unwrap();
    let (_, body) = authorize(&session.url).await;
    let p = session.check_paste(&body).unwrap();
    // A verifier that is not the one behind the challenge is refused by the server.
    let e = oauth::exchange_code(
        &cfg,
        &p.code,
        &p.state,
        "not-the-verifier-0123456789abcdefghijklmno",
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(e.contains("refused") && e.contains("ccrs login"), "{e}");
    let grants = server.token_grants();
    assert_eq!(grants.len(), 1);
    assert!(!grants[0].ok);
    assert!(
        grants[0]
            .error
            .as_deref()
            .unwrap()
            .contains("code_verifier"),
        "{grants:?}"
    );
}

#[tokio::test]
async fn a_code_from_another_login_attempt_is_refused_without_contacting_the_server() {
    let server = MockServer::start(scenario(false)).await.unwrap();
    let cfg = oauth_cfg(&server);
    let first = LoginSession::begin(&cfg).unwrap();
    let (location, body) = authorize(&first.url).await;
    let second = LoginSession::begin(&cfg).unwrap();
    for pasted in [&body, &location] {
        let e = second.finish(&cfg, pasted).await.unwrap_err().to_string();
        assert!(e.contains("state mismatch"), "{e}");
    }
    assert!(server.token_grants().is_empty());
    // The right attempt still works.
    first.finish(&cfg, &body).await.unwrap();
}

#[tokio::test]
async fn expired_token_is_refreshed_before_the_request_and_rotation_persisted() {
    let server = MockServer::start(scenario(true)).await.unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    seed(
        &server,
        &store,
        "sk-ant-oat01-old",
        "sk-ant-ort01-old",
        now_ms() - 1000,
    );
    server.expire_access_tokens();
    let c = client(&server.base_url(), auth_for(&server, &store));
    assert_eq!(ask(&c).await.unwrap(), "pong");

    // No 401 round trip: one request, made with the new token.
    let reqs = server.message_requests();
    assert_eq!(reqs.len(), 1);
    let t = stored_tokens(&store);
    assert_ne!(t.access_token, "sk-ant-oat01-old");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {}", t.access_token).as_str())
    );
    // The rotated refresh token is the one saved, and the only one still valid.
    assert_eq!(
        server.current_refresh_tokens(),
        vec![t.refresh_token.clone().unwrap()]
    );
    assert!(t.expires_at.unwrap() > now_ms() + 3_000_000);
    assert_eq!(refresh_grants(&server).len(), 1);
    assert_eq!(
        std::fs::metadata(store.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
}

#[tokio::test]
async fn unauthorized_triggers_one_refresh_and_the_retry_succeeds() {
    let server = MockServer::start(scenario(true)).await.unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    // The store believes the token is good for an hour; the server has expired it.
    seed(
        &server,
        &store,
        "sk-ant-oat01-a",
        "sk-ant-ort01-a",
        now_ms() + 3_600_000,
    );
    server.expire_access_tokens();
    let c = client(&server.base_url(), auth_for(&server, &store));
    assert_eq!(ask(&c).await.unwrap(), "pong");
    let reqs = server.message_requests();
    assert_eq!(reqs.len(), 2, "a 401 then the retry");
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer sk-ant-oat01-a")
    );
    let t = stored_tokens(&store);
    assert_eq!(
        reqs[1].header("authorization"),
        Some(format!("Bearer {}", t.access_token).as_str())
    );
    assert_eq!(refresh_grants(&server).len(), 1);
    assert_eq!(
        server.current_refresh_tokens(),
        vec![t.refresh_token.unwrap()]
    );
    // Later requests use the new token without refreshing again.
    assert_eq!(ask(&c).await.unwrap(), "pong");
    assert_eq!(refresh_grants(&server).len(), 1);
}

#[tokio::test]
async fn concurrent_requests_in_one_process_share_one_refresh() {
    let server = MockServer::start(scenario(true)).await.unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    seed(
        &server,
        &store,
        "sk-ant-oat01-b",
        "sk-ant-ort01-b",
        now_ms() + 3_600_000,
    );
    server.expire_access_tokens();
    let c = Arc::new(client(&server.base_url(), auth_for(&server, &store)));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { ask(&c).await.map_err(|e| e.to_string()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), "pong");
    }
    let grants = refresh_grants(&server);
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert!(grants[0].ok);
}

#[tokio::test]
async fn a_revoked_refresh_token_asks_to_log_in_again_and_keeps_the_store() {
    let server = MockServer::start(scenario(true)).await.unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    seed(
        &server,
        &store,
        "sk-ant-oat01-c",
        "sk-ant-ort01-c",
        now_ms() - 1000,
    );
    server.expire_access_tokens();
    assert!(server.revoke_refresh_token("sk-ant-ort01-c"));
    let before = std::fs::read(store.path()).unwrap();
    let c = client(&server.base_url(), auth_for(&server, &store));
    let e = ask(&c).await.unwrap_err();
    assert!(
        matches!(e, ApiError::Auth(AuthError::LoginExpired(_))),
        "unexpected {e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("run `ccrs login`"), "{msg}");
    assert!(msg.contains("expired or was revoked"), "{msg}");
    assert!(
        !msg.contains("sk-ant-ort01"),
        "a secret in the message: {msg}"
    );
    assert!(server.message_requests().is_empty());
    assert_eq!(std::fs::read(store.path()).unwrap(), before);

    // The same when the 401 comes first (the store thought the token was fine).
    let server = MockServer::start(scenario(true)).await.unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    seed(
        &server,
        &store,
        "sk-ant-oat01-d",
        "sk-ant-ort01-d",
        now_ms() + 3_600_000,
    );
    server.expire_access_tokens();
    server.revoke_refresh_token("sk-ant-ort01-d");
    let c = client(&server.base_url(), auth_for(&server, &store));
    let e = ask(&c).await.unwrap_err();
    assert!(
        matches!(e, ApiError::Auth(AuthError::LoginExpired(_))),
        "{e:?}"
    );
}

#[tokio::test]
async fn env_credentials_win_over_the_store() {
    let server = MockServer::start(scenario(false).require_api_key("sk-ant-env-key"))
        .await
        .unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    // An expired OAuth login in the store must not even be refreshed.
    seed(
        &server,
        &store,
        "sk-ant-oat01-e",
        "sk-ant-ort01-e",
        now_ms() - 1000,
    );
    let mut cfg = AuthConfig::with_store(store.clone());
    cfg.oauth = oauth_cfg(&server);
    cfg.api_key = Some("sk-ant-env-key".into());
    let auth = Arc::new(DefaultAuth::new(cfg.clone()));
    assert_eq!(auth.source(), CredentialSource::ApiKeyEnv);
    let c = client(&server.base_url(), auth);
    assert_eq!(ask(&c).await.unwrap(), "pong");
    let req = server.message_requests().pop().unwrap();
    assert_eq!(req.header("x-api-key"), Some("sk-ant-env-key"));
    assert!(req.header("authorization").is_none());
    assert!(
        req.header("anthropic-beta")
            .is_none_or(|b| !b.contains("oauth"))
    );
    assert!(server.token_grants().is_empty());

    // ANTHROPIC_AUTH_TOKEN beats the key.
    cfg.auth_token = Some("gateway-token".into());
    let c = client(&server.base_url(), Arc::new(DefaultAuth::new(cfg)));
    let _ = ask(&c).await;
    let req = server.message_requests().pop().unwrap();
    assert_eq!(req.header("authorization"), Some("Bearer gateway-token"));
    assert!(req.header("x-api-key").is_none());
}

#[tokio::test]
async fn api_key_helper_output_is_used_cached_and_rerun_once_after_401() {
    let server = MockServer::start(scenario(false).require_api_key("sk-ant-helper-good"))
        .await
        .unwrap();
    let d = tempfile::tempdir().unwrap();
    let count = d.path().join("runs");
    // First run prints a stale key, later runs the good one.
    let helper = format!(
        "echo run >> '{c}'; if [ \"$(wc -l < '{c}')\" -le 1 ]; then echo sk-ant-helper-stale; \
         else echo sk-ant-helper-good; fi",
        c = count.display()
    );
    let mut cfg = AuthConfig::with_store(store_in(d.path()));
    cfg.api_key_helper = Some(helper);
    let auth = Arc::new(DefaultAuth::new(cfg));
    assert_eq!(auth.source(), CredentialSource::ApiKeyHelper);
    let c = client(&server.base_url(), auth);
    let runs = || std::fs::read_to_string(&count).unwrap().lines().count();
    assert_eq!(ask(&c).await.unwrap(), "pong");
    assert_eq!(runs(), 2, "a 401 re-runs the helper once");
    let reqs = server.message_requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].header("x-api-key"), Some("sk-ant-helper-stale"));
    assert_eq!(reqs[1].header("x-api-key"), Some("sk-ant-helper-good"));
    assert_eq!(
        reqs[1].header("authorization"),
        Some("Bearer sk-ant-helper-good")
    );
    for _ in 0..3 {
        assert_eq!(ask(&c).await.unwrap(), "pong");
    }
    assert_eq!(runs(), 2, "cached for the TTL");
}

#[test]
fn store_file_is_0600_from_creation_and_no_temp_file_is_ever_readable_by_others() {
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    let dir = store.path().parent().unwrap().to_path_buf();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel::<String>();
    let watcher = {
        let (dir, stop) = (dir.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut scans = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if let Ok(rd) = std::fs::read_dir(&dir) {
                    for e in rd.flatten() {
                        if let Ok(m) = e.metadata() {
                            let mode = m.permissions().mode() & 0o777;
                            if mode & 0o077 != 0 {
                                let _ = tx.send(format!("{:?} {mode:o}", e.file_name()));
                            }
                        }
                    }
                    scans += 1;
                }
            }
            scans
        })
    };
    for i in 0..300 {
        let cred = StoredCredential::OAuth(OAuthTokens {
            access_token: format!("sk-ant-oat01-{i}"),
            refresh_token: Some(format!("sk-ant-ort01-{i}")),
            expires_at: Some(now_ms()),
            scopes: vec![],
        });
        store.login_save(&cred).unwrap();
        if i == 0 {
            assert_eq!(
                std::fs::metadata(store.path())
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o600
            );
            assert_eq!(
                std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
                0o700
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    let scans = watcher.join().unwrap();
    let leaks: Vec<String> = rx.try_iter().collect();
    assert!(leaks.is_empty(), "readable by others: {leaks:?}");
    assert!(scans > 10, "the watcher barely ran ({scans} scans)");
    // Only the store and its lock remain.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["credentials.json", "credentials.json.lock"]);
}

// ---- Real processes ----------------------------------------------------------------------

/// The child: one request per `go` line on stdin.
#[test]
#[ignore = "run by the multi-process tests as a child process"]
fn child_process() {
    let (Ok(store), Ok(base)) = (
        std::env::var("CCRS_TEST_CHILD_STORE"),
        std::env::var("CCRS_TEST_CHILD_BASE_URL"),
    ) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut cfg = AuthConfig::with_store(CredentialStore::new(store));
    // The token endpoint comes from CCRS_OAUTH_TOKEN_URL, as in ccrs itself.
    cfg.oauth = OAuthConfig::from_env();
    let auth = Arc::new(DefaultAuth::new(cfg));
    let c = {
        let _g = rt.enter();
        client(&base, auth)
    };
    let stdout = std::io::stdout();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() != "go" {
            break;
        }
        let answer = match rt.block_on(ask(&c)) {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("err {}", e.to_string().replace('\n', " ")),
        };
        let mut out = stdout.lock();
        let _ = writeln!(out, "CHILD: {answer}");
        let _ = out.flush();
    }
}

struct Child {
    proc: std::process::Child,
    stdin: std::process::ChildStdin,
    answers: mpsc::Receiver<String>,
}

fn spawn_child(server: &MockServer, store: &Path) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut proc = Command::new(exe)
        .args([
            "auth_oauth::child_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CCRS_TEST_CHILD_STORE", store)
        .env("CCRS_TEST_CHILD_BASE_URL", server.base_url())
        .env(
            "CCRS_OAUTH_TOKEN_URL",
            format!("{}/v1/oauth/token", server.base_url()),
        )
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("ANTHROPIC_AUTH_TOKEN")
        .env_remove("CLAUDE_CODE_OAUTH_TOKEN")
        .env_remove("ANTHROPIC_CUSTOM_HEADERS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdin = proc.stdin.take().unwrap();
    let stdout = proc.stdout.take().unwrap();
    let (tx, answers) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The harness may print `test child_process ... ` on the same line.
            if let Some(i) = line.find("CHILD: ")
                && tx.send(line[i + 7..].to_string()).is_err()
            {
                break;
            }
        }
    });
    Child {
        proc,
        stdin,
        answers,
    }
}

/// Sends `go` to every child at once and collects each answer.
fn round(children: &mut [Child]) -> Vec<String> {
    for c in children.iter_mut() {
        c.stdin.write_all(b"go\n").unwrap();
        c.stdin.flush().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    children
        .iter()
        .map(|c| {
            c.answers
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| "err no answer".into())
        })
        .collect()
}

fn finish(children: Vec<Child>) {
    for mut c in children {
        drop(c.stdin);
        let _ = c.proc.wait();
    }
}

#[test]
fn two_processes_refreshing_at_once_both_succeed_and_the_store_keeps_the_last_rotation() {
    let server = MockServer::start_blocking(scenario(true)).unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    // Expired in the store: both processes refresh before their first request.
    seed(
        &server,
        &store,
        "sk-ant-oat01-p",
        "sk-ant-ort01-p",
        now_ms() - 1000,
    );
    server.expire_access_tokens();
    for attempt in 0..3 {
        let mut children: Vec<Child> = (0..2).map(|_| spawn_child(&server, store.path())).collect();
        let answers = round(&mut children);
        finish(children);
        assert!(
            answers.iter().all(|a| a == "ok"),
            "attempt {attempt}: {answers:?}"
        );
        let t = stored_tokens(&store);
        // The store holds the one live refresh token: the last rotation.
        assert_eq!(
            server.current_refresh_tokens(),
            vec![t.refresh_token.clone().unwrap()],
            "attempt {attempt}"
        );
        assert!(server.live_access_tokens().contains(&t.access_token));
        let grants = refresh_grants(&server);
        assert!(grants.iter().all(|g| g.ok), "{grants:?}");
        // One refresh per expiry, however many processes saw it.
        assert_eq!(grants.len(), attempt + 1, "{grants:?}");
        // Expire again, in the store (via the server) for the next attempt.
        server.expire_access_tokens();
        let mut t = t;
        t.expires_at = Some(now_ms() - 1000);
        store.login_save(&StoredCredential::OAuth(t)).unwrap();
    }
}

#[test]
fn stress_ten_processes_three_expiries_zero_forced_logins() {
    let server = MockServer::start_blocking(scenario(true)).unwrap();
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    seed(
        &server,
        &store,
        "sk-ant-oat01-s",
        "sk-ant-ort01-s",
        now_ms() + 3_600_000,
    );
    let mut children: Vec<Child> = (0..10)
        .map(|_| spawn_child(&server, store.path()))
        .collect();
    // Warm-up: every process works with the seeded token.
    let answers = round(&mut children);
    assert!(answers.iter().all(|a| a == "ok"), "{answers:?}");
    let mut forced_logins = 0;
    for expiry in 1..=3 {
        server.expire_access_tokens();
        let answers = round(&mut children);
        forced_logins += answers.iter().filter(|a| a.contains("ccrs login")).count();
        assert!(
            answers.iter().all(|a| a == "ok"),
            "expiry {expiry}: {answers:?}"
        );
        let grants = refresh_grants(&server);
        assert_eq!(grants.len(), expiry, "one refresh per expiry: {grants:?}");
        assert!(grants.iter().all(|g| g.ok), "{grants:?}");
        let t = stored_tokens(&store);
        assert_eq!(
            server.current_refresh_tokens(),
            vec![t.refresh_token.unwrap()]
        );
    }
    finish(children);
    assert_eq!(forced_logins, 0);
    // Every request after an expiry hit a 401 at most once per process.
    let reqs = server.message_requests().len();
    assert!(reqs <= 10 + 3 * 20, "{reqs} requests");
}

/// A token endpoint that answers after `delay`, and reports when a request arrived.
async fn slow_token_endpoint(
    delay: Duration,
) -> (String, tokio::sync::mpsc::UnboundedReceiver<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/oauth/token", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then the body by content-length.
                loop {
                    let n = sock.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text[..end]
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        if buf.len() >= end + 4 + len {
                            break;
                        }
                    }
                }
                let _ = tx.send(());
                tokio::time::sleep(delay).await;
                let body = r#"{"access_token":"sk-ant-oat01-late","refresh_token":"sk-ant-ort01-late","expires_in":3600}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    (url, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_dropped_during_refresh_still_saves_the_rotated_tokens() {
    let (token_url, mut arrived) = slow_token_endpoint(Duration::from_millis(300)).await;
    let d = tempfile::tempdir().unwrap();
    let store = store_in(d.path());
    store
        .login_save(&StoredCredential::OAuth(OAuthTokens {
            access_token: "sk-ant-oat01-early".into(),
            refresh_token: Some("sk-ant-ort01-early".into()),
            expires_at: Some(now_ms() - 1000),
            scopes: vec![],
        }))
        .unwrap();
    let mut cfg = AuthConfig::with_store(store.clone());
    cfg.oauth.token_url = token_url;
    let auth = Arc::new(DefaultAuth::new(cfg));
    let a = auth.clone();
    let request = tokio::spawn(async move { a.credential().await.map(|_| ()) });
    // The refresh reached the server; the user gives up on the request (e.g. Ctrl-C).
    arrived.recv().await.unwrap();
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    // The server has rotated the token: it must end up in the store, and the lock be free.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let t = stored_tokens(&store);
        if t.refresh_token.as_deref() == Some("sk-ant-ort01-late") {
            assert_eq!(t.access_token, "sk-ant-oat01-late");
            break;
        }
        assert!(Instant::now() < deadline, "the rotated tokens were lost");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _lock = store.lock(Duration::from_secs(2)).await.unwrap();
}

#[tokio::test]
async fn a_refresher_that_does_not_answer_falls_back_to_refreshing_in_process() {
    // `true` exits at once without an answer; a missing program cannot be started: both
    // leave the refresh to this process, which re-reads the store under the lock first.
    for program in ["/bin/true", "/nonexistent/ccrs"] {
        let server = MockServer::start(scenario(true)).await.unwrap();
        let d = tempfile::tempdir().unwrap();
        let store = store_in(d.path());
        seed(
            &server,
            &store,
            "sk-ant-oat01-old",
            "sk-ant-ort01-old",
            now_ms() - 1000,
        );
        server.expire_access_tokens();
        let mut cfg = AuthConfig::with_store(store.clone());
        cfg.oauth = oauth_cfg(&server);
        cfg.refresher = ccrs_core::auth::Refresher::Detached {
            program: program.into(),
            args: vec![],
        };
        let c = client(&server.base_url(), Arc::new(DefaultAuth::new(cfg)));
        assert_eq!(ask(&c).await.unwrap(), "pong", "{program}");
        assert_eq!(refresh_grants(&server).len(), 1, "{program}");
        assert_ne!(stored_tokens(&store).access_token, "sk-ant-oat01-old");
    }
}
