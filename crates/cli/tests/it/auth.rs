//! `ccrs login`, `ccrs logout` and print mode's credentials, through the real binary against the
//! mock server (API key and OAuth logins, refresh across concurrent `ccrs -p` processes, a
//! corrupt store, environment precedence).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_mock::{MockServer, OAuthConfig as MockOAuth, Reply, Scenario};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KEY: &str = "sk-ant-api03-cli-test-key-0123456789abcdefghij";

/// An isolated home: `$HOME`, `$XDG_CONFIG_HOME` and a working directory.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Home { dir }
    }

    fn store(&self) -> PathBuf {
        self.dir.path().join("xdg/claude-code-rs/credentials.json")
    }

    /// `ccrs` with a clean environment (no credentials leak in from the test runner).
    fn ccrs(&self, server: &MockServer) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ccrs"));
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("ANTHROPIC_BASE_URL", server.base_url())
            .env(
                "CCRS_OAUTH_AUTHORIZE_URL",
                format!("{}/oauth/authorize", server.base_url()),
            )
            .env(
                "CCRS_OAUTH_TOKEN_URL",
                format!("{}/v1/oauth/token", server.base_url()),
            )
            .current_dir(self.dir.path().join("work"));
        c
    }
}

fn run_with_stdin(mut cmd: Command, input: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn print_mode(home: &Home, server: &MockServer) -> Command {
    let mut c = home.ccrs(server);
    c.args(["-p", "ping", "--output-format", "stream-json", "--verbose"])
        .stdin(Stdio::null());
    c
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn api_key_source(out: &Output) -> String {
    lines(out)
        .into_iter()
        .find(|v| v["type"] == "system" && v["subtype"] == "init")
        .map(|v| v["apiKeySource"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("no init line: {}", text(out)))
}

fn result_text(out: &Output) -> Option<String> {
    lines(out)
        .into_iter()
        .find(|v| v["type"] == "result")
        .and_then(|v| v["result"].as_str().map(str::to_string))
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A browser stopping at the authorize redirect: the body is the page's `code#state`.
fn authorize(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let resp = String::from_utf8(resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 302"), "{head}");
    body.to_string()
}

fn stored(home: &Home) -> Value {
    serde_json::from_slice(&std::fs::read(home.store()).unwrap()).unwrap()
}

#[test]
fn api_key_login_is_used_by_print_mode_and_logout_removes_it() {
    let server = MockServer::start_blocking(
        Scenario::new()
            .fallback(Reply::text("pong"))
            .require_api_key(KEY),
    )
    .unwrap();
    let home = Home::new();

    // Before login: a clear error.
    let out = print_mode(&home, &server).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ccrs login"),
        "{}",
        text(&out)
    );

    let mut login = home.ccrs(&server);
    login.args(["login", "--api-key"]);
    let out = run_with_stdin(login, &format!("{KEY}\n"));
    assert!(out.status.success(), "{}", text(&out));
    let all = text(&out);
    assert!(all.contains("Logged in with your API key"), "{all}");
    assert!(!all.contains(KEY), "the key was printed: {all}");
    assert_eq!(mode(&home.store()), 0o600);
    assert_eq!(mode(home.store().parent().unwrap()), 0o700);
    assert_eq!(stored(&home), serde_json::json!({"api_key": KEY}));

    let out = print_mode(&home, &server).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(api_key_source(&out), "/login managed key");
    assert_eq!(result_text(&out).as_deref(), Some("pong"));
    assert_eq!(
        server
            .message_requests()
            .last()
            .unwrap()
            .header("x-api-key"),
        Some(KEY)
    );

    let out = home.ccrs(&server).arg("logout").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("removed an API key"), "{}", text(&out));
    assert!(!home.store().exists());
    let out = print_mode(&home, &server).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_malformed_key_is_explained_and_nothing_is_saved() {
    let server = MockServer::start_blocking(Scenario::new()).unwrap();
    let home = Home::new();
    let mut login = home.ccrs(&server);
    login.args(["login", "--api-key"]);
    let out = run_with_stdin(login, "sk-proj-wrongvendor1234567890\n");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("sk-ant-"), "{}", text(&out));
    assert!(!text(&out).contains("wrongvendor"), "{}", text(&out));
    assert!(!home.store().exists());
}

#[test]
fn oauth_login_through_the_binary_then_concurrent_print_runs_share_one_refresh() {
    let server = MockServer::start_blocking(Scenario::new().fallback(Reply::text("pong")).oauth(
        MockOAuth {
            require_valid_access_token: true,
            ..MockOAuth::default()
        },
    ))
    .unwrap();
    let home = Home::new();

    let mut login = home.ccrs(&server);
    let mut child = login
        .args(["login", "--oauth"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut shown = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "no URL in: {shown}"
        );
        shown.push_str(&line);
        // The URL is alone on its line, exactly as it must be copied.
        if line.starts_with("http://127.0.0.1") {
            break line.trim_end().to_string();
        }
    };
    assert!(shown.contains("Anthropic's terms"), "{shown}");
    assert!(url.contains("code_challenge_method=S256") && url.contains("state="));
    let code = authorize(&url);
    writeln!(stdin, "{code}").unwrap();
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{shown}{rest}");
    assert!(
        rest.contains("Logged in with your Claude account"),
        "{rest}"
    );
    assert_eq!(mode(&home.store()), 0o600);
    let access = stored(&home)["oauth"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(server.live_access_tokens().contains(&access));

    let out = print_mode(&home, &server).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(api_key_source(&out), "none");
    let req = server.message_requests().pop().unwrap();
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {access}").as_str())
    );

    // The server expires the token; four `ccrs -p` at once: one refresh, all succeed.
    server.expire_access_tokens();
    let children: Vec<_> = (0..4)
        .map(|_| {
            print_mode(&home, &server)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(result_text(&out).as_deref(), Some("pong"), "{}", text(&out));
    }
    let refreshes: Vec<_> = server
        .token_grants()
        .into_iter()
        .filter(|g| g.grant_type == "refresh_token")
        .collect();
    assert_eq!(refreshes.len(), 1, "{refreshes:?}");
    let s = stored(&home);
    assert_eq!(
        server.current_refresh_tokens(),
        vec![s["oauth"]["refresh_token"].as_str().unwrap().to_string()]
    );
}

#[test]
fn a_corrupt_store_is_reported_and_replaced_by_a_new_login() {
    let server = MockServer::start_blocking(
        Scenario::new()
            .fallback(Reply::text("pong"))
            .require_api_key(KEY),
    )
    .unwrap();
    let home = Home::new();
    std::fs::create_dir_all(home.store().parent().unwrap()).unwrap();
    std::fs::write(home.store(), b"{\"oauth\": {\"access_token\": 12").unwrap();
    std::fs::set_permissions(home.store(), std::fs::Permissions::from_mode(0o600)).unwrap();

    let out = print_mode(&home, &server).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not be read")
            && err.contains("moved to")
            && err.contains("kept, not deleted")
            && err.contains("ccrs login"),
        "{err}"
    );
    // Moved aside, never deleted.
    let kept: Vec<_> = std::fs::read_dir(home.store().parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("credentials.json.corrupt-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        std::fs::read(&kept[0]).unwrap(),
        b"{\"oauth\": {\"access_token\": 12"
    );

    let mut login = home.ccrs(&server);
    login.args(["login", "--api-key"]);
    let out = run_with_stdin(login, &format!("{KEY}\n"));
    assert!(out.status.success(), "{}", text(&out));
    let out = print_mode(&home, &server).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_store_readable_by_others_is_fixed_with_a_warning() {
    let server = MockServer::start_blocking(
        Scenario::new()
            .fallback(Reply::text("pong"))
            .require_api_key(KEY),
    )
    .unwrap();
    let home = Home::new();
    std::fs::create_dir_all(home.store().parent().unwrap()).unwrap();
    std::fs::write(
        home.store(),
        serde_json::json!({"api_key": KEY}).to_string(),
    )
    .unwrap();
    std::fs::set_permissions(home.store(), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = print_mode(&home, &server).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("readable by other users"),
        "{}",
        text(&out)
    );
    assert_eq!(mode(&home.store()), 0o600);
}

#[test]
fn environment_key_wins_over_the_stored_one() {
    let env_key = "sk-ant-api03-from-the-environment-0123456789";
    let server = MockServer::start_blocking(
        Scenario::new()
            .fallback(Reply::text("pong"))
            .require_api_key(env_key),
    )
    .unwrap();
    let home = Home::new();
    let mut login = home.ccrs(&server);
    login.args(["login", "--api-key"]);
    let out = run_with_stdin(login, &format!("{KEY}\n"));
    assert!(out.status.success(), "{}", text(&out));

    let out = print_mode(&home, &server)
        .env("ANTHROPIC_API_KEY", env_key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(api_key_source(&out), "ANTHROPIC_API_KEY");

    // Login says the variable still wins.
    let mut login = home.ccrs(&server);
    login
        .args(["login", "--api-key"])
        .env("ANTHROPIC_API_KEY", env_key);
    let out = run_with_stdin(login, &format!("{KEY}\n"));
    assert!(
        text(&out).contains("ANTHROPIC_API_KEY is set"),
        "{}",
        text(&out)
    );
}

#[test]
fn login_and_logout_see_a_key_set_in_the_settings_env() {
    let env_key = "sk-ant-api03-from-the-settings-env-0123456789";
    let server = MockServer::start_blocking(
        Scenario::new()
            .fallback(Reply::text("pong"))
            .require_api_key(env_key),
    )
    .unwrap();
    let home = Home::new();
    let settings = home.dir.path().join(".claude/settings.json");
    std::fs::create_dir_all(settings.parent().unwrap()).unwrap();
    std::fs::write(
        &settings,
        serde_json::json!({"env": {"ANTHROPIC_API_KEY": env_key}}).to_string(),
    )
    .unwrap();
    let mut login = home.ccrs(&server);
    login.args(["login", "--api-key"]);
    let out = run_with_stdin(login, &format!("{KEY}\n"));
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("ANTHROPIC_API_KEY is set"),
        "{}",
        text(&out)
    );
    // A session does use the settings' key.
    let out = print_mode(&home, &server).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(api_key_source(&out), "ANTHROPIC_API_KEY");
    let out = home.ccrs(&server).arg("logout").output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("ANTHROPIC_API_KEY is still set"),
        "{}",
        text(&out)
    );
}

#[test]
fn api_key_helper_from_user_settings_is_used_by_print_mode() {
    let server = MockServer::start_blocking(
        Scenario::new()
            .fallback(Reply::text("pong"))
            .require_api_key(KEY),
    )
    .unwrap();
    let home = Home::new();
    let claude = home.dir.path().join(".claude");
    std::fs::create_dir_all(&claude).unwrap();
    std::fs::write(
        claude.join("settings.json"),
        serde_json::json!({"apiKeyHelper": format!("printf '%s\\n' {KEY}")}).to_string(),
    )
    .unwrap();
    let out = print_mode(&home, &server).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(api_key_source(&out), "apiKeyHelper");
    let req = server.message_requests().pop().unwrap();
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );

    // A failing helper stops the run with its stderr.
    std::fs::write(
        claude.join("settings.json"),
        serde_json::json!({"apiKeyHelper": "echo 'vault is sealed' >&2; exit 2"}).to_string(),
    )
    .unwrap();
    let out = print_mode(&home, &server).output().unwrap();
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("vault is sealed"), "{}", text(&out));
}
