//! No orphans: whatever a Bash call started (`cmd &`, `setsid`, `nohup`, a background shell)
//! dies with ccrs, on SIGHUP/SIGTERM and on `kill -9`, in print mode and in the TUI.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, Tui, env, write};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `sleep` processes carrying `marker` in their arguments (not the shells that name it).
pub(crate) fn sleepers(marker: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmd
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let zombie = std::fs::read_to_string(e.path().join("stat"))
            .map(|s| {
                s.rsplit(')')
                    .next()
                    .is_some_and(|r| r.trim_start().starts_with('Z'))
            })
            .unwrap_or(true);
        if !zombie
            && args.first().is_some_and(|a| a.ends_with("sleep"))
            && args.get(1).is_some_and(|a| a.starts_with(marker))
        {
            out.push(pid);
        }
    }
    out
}

pub(crate) fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// A background shell, then a foreground call that leaves `cmd &`, a `setsid` escapee and a
/// `nohup` daemon behind and blocks.
fn scenario(marker: &str) -> Scenario {
    Scenario::new()
        .reply(Reply::tool_use(
            "Bash",
            json!({"command": format!("sleep {marker}1"), "run_in_background": true}),
        ))
        .reply(Reply::tool_use(
            "Bash",
            json!({"command": format!(
                "sleep {marker}2 & (setsid sleep {marker}3 &); nohup sleep {marker}4 >/dev/null 2>&1 & sleep {marker}5"
            )}),
        ))
        .reply(Reply::text("never reached"))
}

fn print_mode(e: &Env, mock: &MockServer) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ccrs"))
        .args(["-p", "go", "--allowedTools", "Bash"])
        .current_dir(&e.cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &e.home)
        .env("CLAUDE_CONFIG_DIR", e.home.join(".claude"))
        .env(
            "CCRS_MANAGED_SETTINGS_PATH",
            e.home.join("no-managed-settings.json"),
        )
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key")
        .env("ANTHROPIC_BASE_URL", mock.base_url())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn all_started(marker: &str) {
    assert!(
        wait_until(Duration::from_secs(20), || sleepers(marker).len() == 5),
        "not all started: {:?}",
        sleepers(marker)
    );
}

fn signal(pid: u32, sig: &str) {
    Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap();
}

fn assert_none_survive(marker: &str) {
    assert!(
        wait_until(Duration::from_secs(3), || sleepers(marker).is_empty()),
        "survivors: {:?}",
        sleepers(marker)
    );
}

#[test]
fn kill_9_in_print_mode_leaves_no_descendant() {
    let marker = "4011.";
    let e = env();
    let mock = MockServer::start_blocking(scenario(marker)).unwrap();
    let mut ccrs = print_mode(&e, &mock);
    all_started(marker);
    signal(ccrs.id(), "-KILL");
    ccrs.wait().unwrap();
    assert_none_survive(marker);
}

/// `sig` to ccrs in print mode ends it within 2 s with `code`, and everything it started.
fn signal_in_print_mode(marker: &str, sig: &str, code: i32) {
    let e = env();
    let mock = MockServer::start_blocking(scenario(marker)).unwrap();
    let mut ccrs = print_mode(&e, &mock);
    all_started(marker);
    let sent = Instant::now();
    signal(ccrs.id(), sig);
    let st = ccrs.wait().unwrap();
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(st.code(), Some(code), "{st:?}");
    assert_none_survive(marker);
}

#[test]
fn sighup_in_print_mode_ends_the_tool_and_the_process_promptly() {
    signal_in_print_mode("4012.", "-HUP", 129);
}

#[test]
fn sigterm_in_print_mode_ends_everything() {
    signal_in_print_mode("4013.", "-TERM", 143);
}

#[test]
fn sigint_in_print_mode_ends_everything() {
    signal_in_print_mode("4016.", "-INT", 130);
}

fn tui_with_scenario(e: &Env, marker: &str) -> (MockServer, Tui) {
    write(
        &e.cwd.join(".claude/settings.local.json"),
        r#"{"permissions": {"allow": ["Bash"]}}"#,
    );
    let mock = MockServer::start_blocking(scenario(marker)).unwrap();
    let mut t = Tui::start(e, &mock);
    t.submit("go");
    all_started(marker);
    (mock, t)
}

#[test]
fn sighup_in_the_tui_ends_everything() {
    let marker = "4014.";
    let e = env();
    let (_mock, mut t) = tui_with_scenario(&e, marker);
    let sent = Instant::now();
    signal(t.pid(), "-HUP");
    t.wait_exit();
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert_none_survive(marker);
}

#[test]
fn kill_9_of_the_tui_leaves_no_descendant() {
    let marker = "4015.";
    let e = env();
    let (_mock, mut t) = tui_with_scenario(&e, marker);
    signal(t.pid(), "-KILL");
    t.wait_exit();
    assert_none_survive(marker);
}
