//! The Bash sandbox with the real binary against the mock: what a sandboxed command (and its
//! children) cannot do, what the model is told, and the questions. Skipped, with a message,
//! where the kernel has no Landlock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, env, tool_results, write};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The Landlock ABI of this kernel (0 without it).
fn landlock_abi() -> i32 {
    ccrs_core::process::confine::kernel_support().abi
}

macro_rules! require_landlock {
    ($abi:expr) => {
        let have = landlock_abi();
        if have < $abi {
            eprintln!(
                "SKIPPED: this kernel's Landlock ABI is {have}, the test needs {}",
                $abi
            );
            return;
        }
    };
}

fn settings(e: &Env, sandbox: Value) {
    write(
        &e.cwd.join(".claude/settings.json"),
        &json!({"sandbox": sandbox}).to_string(),
    );
}

fn run(e: &Env, mock: &MockServer, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccrs"));
    cmd.args(args)
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
        .stdin(Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs one Bash call in print mode (auto-allowed by the sandbox) and returns its tool_result.
fn bash_result(e: &Env, input: Value, extra_env: &[(&str, &str)]) -> Value {
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use("Bash", input))
            .reply(Reply::text("done")),
    )
    .unwrap();
    let out = run(e, &mock, &["-p", "go"], extra_env);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reqs = mock.message_requests();
    assert_eq!(
        reqs.len(),
        2,
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    tool_results(reqs[1].json.as_ref().unwrap())
        .into_iter()
        .next()
        .unwrap()
}

fn text(r: &Value) -> String {
    match &r["content"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn outside(e: &Env) -> std::path::PathBuf {
    let o = e.home.parent().unwrap().join("outside");
    std::fs::create_dir_all(&o).unwrap();
    o
}

#[test]
fn writes_only_inside_the_project_and_children_are_bound_too() {
    require_landlock!(1);
    let e = env();
    settings(&e, json!({"enabled": true}));
    let out_dir = outside(&e);
    let cmd = format!(
        "touch inside.txt && (sh -c 'touch {o}/child.txt'; touch {o}/direct.txt; echo > ~/.bashrc) ; ls {o}; echo via-dev-stderr > /dev/stderr; echo null > /dev/null && echo null-ok",
        o = out_dir.display()
    );
    let r = bash_result(&e, json!({"command": cmd}), &[]);
    let t = text(&r);
    assert!(e.cwd.join("inside.txt").exists(), "{t}");
    assert!(!out_dir.join("child.txt").exists(), "{t}");
    assert!(!out_dir.join("direct.txt").exists(), "{t}");
    assert!(!e.home.join(".bashrc").exists(), "{t}");
    assert!(t.contains("Permission denied"), "{t}");
    // Writing to the command's own pipes and to /dev/null works.
    assert!(t.contains("via-dev-stderr") && t.contains("null-ok"), "{t}");
}

#[test]
fn a_failure_names_the_blocked_path() {
    require_landlock!(1);
    let e = env();
    settings(&e, json!({"enabled": true}));
    let out_dir = outside(&e);
    let r = bash_result(
        &e,
        json!({"command": format!("touch {}/x", out_dir.display())}),
        &[],
    );
    let t = text(&r);
    assert_eq!(r["is_error"], true, "{t}");
    assert!(
        t.contains(&format!(
            "The sandbox blocked writing to {}/x",
            out_dir.canonicalize().unwrap().display()
        )),
        "{t}"
    );
    assert!(t.contains("dangerouslyDisableSandbox"), "{t}");
}

#[test]
fn read_deny_rules_and_deny_read_are_enforced() {
    require_landlock!(1);
    let e = env();
    write(&e.cwd.join("secret.txt"), "TOPSECRET");
    write(&e.cwd.join("public.txt"), "PUBLIC");
    write(&e.home.join(".aws/credentials"), "AWSKEY");
    write(
        &e.cwd.join(".claude/settings.json"),
        &json!({"sandbox": {"enabled": true, "filesystem": {"denyRead": ["~/.aws"]}},
                "permissions": {"deny": ["Read(./secret.txt)"]}})
        .to_string(),
    );
    let r = bash_result(
        &e,
        // Indirection the analyzer cannot see through (it asks; auto-allow runs it): the kernel
        // must refuse what the Read deny rule names.
        json!({"command": "s=secret; a=.aws; cat public.txt; cat ./$s.txt; cat ~/$a/credentials; sh -c \"cat ./$s.txt\""}),
        &[],
    );
    let t = text(&r);
    assert!(t.contains("PUBLIC"), "{t}");
    assert!(!t.contains("TOPSECRET"), "{t}");
    assert!(!t.contains("AWSKEY"), "{t}");
    assert!(t.contains("The sandbox blocked reading"), "{t}");
}

#[test]
fn credentials_env_vars_are_hidden() {
    require_landlock!(1);
    let e = env();
    settings(
        &e,
        json!({"enabled": true, "credentials": {"envVars": [{"name": "DEMO_TOKEN", "mode": "deny"}]}}),
    );
    let r = bash_result(
        &e,
        json!({"command": "echo \"token=[${DEMO_TOKEN-unset}] other=[$OTHER]\""}),
        &[("DEMO_TOKEN", "abc123"), ("OTHER", "kept")],
    );
    assert_eq!(text(&r), "token=[unset] other=[kept]");
}

#[test]
fn network_is_off_without_allowed_domains() {
    require_landlock!(4);
    let e = env();
    settings(&e, json!({"enabled": true}));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // TCP (Landlock), UDP (the socket filter: DNS would be an exfiltration channel), and a
    // Unix socket to a daemon outside the sandbox (the filter; python3 when present).
    let unix = e.cwd.join("daemon.sock");
    let _daemon = std::os::unix::net::UnixListener::bind(&unix).unwrap();
    let cmd = format!(
        "(exec 3<>/dev/tcp/127.0.0.1/{port} && echo CONNECTED) 2>/dev/null || echo REFUSED; \
         (exec 5<>/dev/udp/127.0.0.1/53 && echo UDP-OPEN) 2>/dev/null || echo udp: refused; \
         if command -v python3 >/dev/null; then python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.connect(\"{}\"); print(\"UNIX-OPEN\")' 2>/dev/null || echo unix: refused; else echo unix: refused; fi",
        unix.display()
    );
    let r = bash_result(&e, json!({ "command": cmd }), &[]);
    let t = text(&r);
    assert!(t.contains("REFUSED"), "{t}");
    assert!(!t.contains("CONNECTED"), "{t}");
    assert!(t.contains("udp: refused") && !t.contains("UDP-OPEN"), "{t}");
    assert!(
        t.contains("unix: refused") && !t.contains("UNIX-OPEN"),
        "{t}"
    );
}

#[test]
fn dangerously_disable_sandbox_always_asks() {
    require_landlock!(1);
    let e = env();
    // Even a blanket allow rule does not spare the question; print mode cannot ask: denied.
    write(
        &e.cwd.join(".claude/settings.json"),
        &json!({"sandbox": {"enabled": true}, "permissions": {"allow": ["Bash"]}}).to_string(),
    );
    let out_dir = outside(&e);
    let r = bash_result(
        &e,
        json!({"command": format!("touch {}/unsandboxed", out_dir.display()),
               "dangerouslyDisableSandbox": true}),
        &[],
    );
    assert_eq!(r["is_error"], true, "{r}");
    assert!(!out_dir.join("unsandboxed").exists());
    assert!(
        text(&r).contains("Permission to use Bash has been denied"),
        "{r}"
    );
}

#[test]
fn unsandboxed_retry_is_refused_by_policy() {
    require_landlock!(1);
    let e = env();
    settings(
        &e,
        json!({"enabled": true, "allowUnsandboxedCommands": false}),
    );
    let out_dir = outside(&e);
    // The flag is ignored: the command runs sandboxed (and auto-allowed) and fails.
    let r = bash_result(
        &e,
        json!({"command": format!("touch {}/x", out_dir.display()),
               "dangerouslyDisableSandbox": true}),
        &[],
    );
    let t = text(&r);
    assert!(!out_dir.join("x").exists(), "{t}");
    assert!(t.contains("disabled by policy"), "{t}");
}

#[test]
fn excluded_commands_run_outside_with_the_regular_flow() {
    require_landlock!(1);
    let e = env();
    let out_dir = outside(&e);
    write(
        &e.cwd.join(".claude/settings.json"),
        &json!({"sandbox": {"enabled": true, "excludedCommands": ["touch *"]},
                "permissions": {"allow": ["Bash"]}})
        .to_string(),
    );
    let r = bash_result(
        &e,
        json!({"command": format!("touch {}/excluded", out_dir.display())}),
        &[],
    );
    assert_eq!(r["is_error"], false, "{r}");
    assert!(out_dir.join("excluded").exists());
}

#[test]
fn fail_if_unavailable_without_landlock_refuses_to_start() {
    if landlock_abi() > 0 {
        eprintln!("SKIPPED: this kernel has Landlock; the refusal needs a kernel without it");
        return;
    }
    let e = env();
    settings(&e, json!({"enabled": true, "failIfUnavailable": true}));
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("x"))).unwrap();
    let out = run(&e, &mock, &["-p", "go"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("failIfUnavailable"));
}

#[test]
fn the_temp_dir_is_writable_and_removed_at_exit() {
    require_landlock!(1);
    let e = env();
    settings(&e, json!({"enabled": true}));
    let r = bash_result(
        &e,
        json!({"command": "f=$(mktemp) && echo ok > \"$f\" && cat \"$f\" && echo \"$TMPDIR\""}),
        &[],
    );
    let t = text(&r);
    assert!(t.starts_with("ok\n"), "{t}");
    let tmp = t.lines().nth(1).unwrap();
    assert!(tmp.contains("ccrs-sandbox-"), "{t}");
    assert!(!Path::new(tmp).exists(), "temp dir left behind: {tmp}");
}

#[test]
fn temp_dirs_of_killed_sessions_are_swept() {
    require_landlock!(1);
    let base = std::env::temp_dir();
    let uid = rustix::process::getuid().as_raw();
    // A pid that cannot exist (above pid_max) stands for a killed ccrs.
    let stale = base.join(format!("ccrs-sandbox-{uid}-99999999-deadbeef"));
    std::fs::create_dir_all(stale.join("sub")).unwrap();
    let e = env();
    settings(&e, json!({"enabled": true}));
    bash_result(&e, json!({"command": "true"}), &[]);
    assert!(!stale.exists(), "stale sandbox temp dir kept");
}

#[test]
fn protected_paths_inside_the_project_stay_read_only_and_git_still_works() {
    require_landlock!(1);
    let e = env();
    settings(&e, json!({"enabled": true}));
    let git = |args: &[&str]| {
        let st = Command::new("git")
            .args(args)
            .current_dir(&e.cwd)
            .env("HOME", &e.home)
            .output()
            .unwrap();
        assert!(st.status.success(), "git {args:?}: {st:?}");
    };
    git(&["init", "-q"]);
    git(&["config", "user.email", "t@example.com"]);
    git(&["config", "user.name", "t"]);
    write(&e.cwd.join(".bashrc"), "# project rc\n");
    let config_before = std::fs::read_to_string(e.cwd.join(".git/config")).unwrap();
    let attack = "echo evil > .git/hooks/pre-commit; echo '[core]' >> .git/config; \
                  echo x > .claude/settings.local.json; echo x >> .bashrc; \
                  mv .git .git-moved; mv .claude .claude-moved; \
                  echo ok > file.txt && git add file.txt && git commit -qm one && echo COMMITTED";
    let r = bash_result(&e, json!({"command": attack}), &[]);
    let t = text(&r);
    assert!(t.contains("COMMITTED"), "{t}");
    assert!(!e.cwd.join(".git/hooks/pre-commit").exists(), "{t}");
    assert_eq!(
        std::fs::read_to_string(e.cwd.join(".git/config")).unwrap(),
        config_before,
        "{t}"
    );
    assert!(!e.cwd.join(".claude/settings.local.json").exists(), "{t}");
    assert_eq!(
        std::fs::read_to_string(e.cwd.join(".bashrc")).unwrap(),
        "# project rc\n"
    );
    assert!(
        e.cwd.join(".git/HEAD").exists() && !e.cwd.join(".git-moved").exists(),
        "{t}"
    );
    assert!(!e.cwd.join(".claude-moved").exists(), "{t}");
}

/// A one-purpose HTTP server on 127.0.0.1: answers every request with `HELLO` (at most
/// `n` connections, then it stops).
fn hello_server(n: usize) -> u16 {
    use std::io::{Read, Write};
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in l.incoming().take(n) {
            let Ok(mut c) = conn else { continue };
            let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut buf = [0u8; 4096];
            let mut head = Vec::new();
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => head.extend_from_slice(&buf[..k]),
                }
            }
            let _ = c.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nHELLO",
            );
        }
    });
    port
}

#[test]
fn network_goes_only_through_the_proxy_to_allowed_domains() {
    require_landlock!(4);
    let e = env();
    settings(
        &e,
        json!({"enabled": true, "network": {"allowedDomains": ["localhost"]}}),
    );
    let port = hello_server(8);
    // A minimal proxy client in bash: plain HTTP, a CONNECT tunnel, a non-allowed host, and a
    // direct connection that Landlock refuses.
    let cmd = format!(
        r#"pp=${{HTTP_PROXY##*:}}
exec 3<>/dev/tcp/127.0.0.1/$pp; printf 'GET http://localhost:{port}/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3; echo "plain: $(cat <&3 | tail -c 5)"
exec 3<>/dev/tcp/127.0.0.1/$pp; printf 'CONNECT localhost:{port} HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n' >&3; echo "tunnel: $(cat <&3 | tail -c 5)"
exec 3<>/dev/tcp/127.0.0.1/$pp; printf 'GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: x\r\n\r\n' >&3; echo "other: $(head -c 200 <&3 | tr -d '\r' | grep -m1 'ccrs sandbox')"
(exec 4<>/dev/tcp/127.0.0.1/{port} && echo DIRECT-OPEN) 2>/dev/null || echo direct: refused"#
    );
    let r = bash_result(&e, json!({"command": cmd}), &[]);
    let t = text(&r);
    assert!(t.contains("plain: HELLO"), "{t}");
    assert!(t.contains("tunnel: HELLO"), "{t}");
    assert!(
        t.contains("other: ccrs sandbox: 127.0.0.1 is not an allowed domain"),
        "{t}"
    );
    assert!(t.contains("direct: refused"), "{t}");
    assert!(!t.contains("DIRECT-OPEN"), "{t}");
}

/// The hook for adversarial tests: core's `run_sandboxed` in this test process, with the
/// real binary as the exec helper.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_sandboxed_hook_confines_a_command_line() {
    require_landlock!(1);
    ccrs_core::process::set_helper(env!("CARGO_BIN_EXE_ccrs"));
    let e = env();
    let out_dir = outside(&e);
    let target = out_dir.join("escaped");
    let run = ccrs_core::sandbox::run_sandboxed(
        &format!("echo in > inside; echo x > '{}'; exit 3", target.display()),
        &e.cwd,
        ccrs_core::settings::SandboxSettings::default(),
    )
    .await
    .unwrap();
    assert_eq!(run.exit, ccrs_core::process::Exit::Code(3));
    assert!(run.output.contains("Permission denied"), "{}", run.output);
    assert!(e.cwd.join("inside").exists());
    assert!(!target.exists());
}

#[test]
fn in_the_tui_dangerously_disable_sandbox_asks_and_yes_runs_outside() {
    require_landlock!(1);
    let e = env();
    write(
        &e.cwd.join(".claude/settings.json"),
        &json!({"sandbox": {"enabled": true}, "permissions": {"allow": ["Bash"]}}).to_string(),
    );
    let out_dir = outside(&e);
    let target = out_dir.join("unsandboxed");
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                json!({"command": format!("touch {}", target.display()),
                       "dangerouslyDisableSandbox": true}),
            ))
            .reply(Reply::text("Done outside.")),
    )
    .unwrap();
    let mut t = crate::common::Tui::start(&e, &mock);
    t.submit("go");
    let s = t.wait_text("Do you want to proceed?");
    assert!(s.contains("outside the sandbox"), "{s}");
    assert!(!target.exists());
    t.answer("1");
    t.wait_text("Done outside.");
    assert!(target.exists());
}

#[test]
fn in_the_tui_a_new_domain_is_asked_about() {
    require_landlock!(4);
    let e = env();
    settings(
        &e,
        json!({"enabled": true, "network": {"allowedDomains": ["example.invalid"]}}),
    );
    let port = hello_server(2);
    let cmd = format!(
        r#"exec 3<>/dev/tcp/127.0.0.1/${{HTTP_PROXY##*:}}; printf 'GET http://localhost:{port}/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' >&3; echo "got: $(cat <&3 | tail -c 5)""#
    );
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use("Bash", json!({ "command": cmd })))
            .reply(Reply::text("Fetched.")),
    )
    .unwrap();
    let mut t = crate::common::Tui::start(&e, &mock);
    t.submit("go");
    let s = t.wait_text("Do you want to proceed?");
    assert!(s.contains("localhost"), "{s}");
    t.answer("1");
    t.wait_text("Fetched.");
    let reqs = crate::common::wait_requests(&mock, 2);
    let r = tool_results(&reqs[1]).into_iter().next().unwrap();
    assert!(text(&r).contains("got: HELLO"), "{r}");
}

#[test]
fn a_protected_path_created_by_a_command_is_reported() {
    require_landlock!(1);
    let e = env();
    // No project .claude yet: only existing protected paths can be bound read-only, so the
    // creation succeeds, and the result says so.
    write(
        &e.home.join(".claude/settings.json"),
        &json!({"sandbox": {"enabled": true}}).to_string(),
    );
    let r = bash_result(
        &e,
        json!({"command": "mkdir .claude && echo '{}' > .claude/settings.json"}),
        &[],
    );
    let t = text(&r);
    let created = e.cwd.canonicalize().unwrap().join(".claude");
    assert!(
        t.contains(&format!("the command created {}", created.display())),
        "{t}"
    );
}
