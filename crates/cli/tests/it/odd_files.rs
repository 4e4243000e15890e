//! The real `ccrs` binary and files that would hang it or pile up (issue 19): SIGTERM ends a run
//! whose tool is stuck in the kernel, and the temp file of a killed write is gone after the next
//! run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{Env, ccrs_command, env};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::json;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn spawn(e: &Env, mock: &MockServer, args: &[&str]) -> Child {
    ccrs_command(&e.home, &e.cwd, mock)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

fn mkfifo(p: &Path) {
    assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
}

#[test]
fn sigterm_ends_a_run_whose_tool_is_stuck_in_the_kernel() {
    // The directory walk opens `.ignore` itself; as a FIFO without a writer that open never
    // returns. SIGTERM must still end the process promptly.
    let e = env();
    std::fs::write(e.cwd.join("a.txt"), "needle\n").unwrap();
    let fifo = e.cwd.join(".ignore");
    mkfifo(&fifo);
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use("Grep", json!({"pattern": "needle"})))
            .reply(Reply::text("done")),
    )
    .unwrap();
    let mut child = spawn(&e, &mock, &["-p", "find the needle"]);
    // Wait until the tool runs: the first request was answered and the second not yet sent.
    let deadline = Instant::now() + Duration::from_secs(20);
    while mock.requests().is_empty() {
        assert!(Instant::now() < deadline, "no request reached the mock");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended by itself"
    );
    let sent = Instant::now();
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&child),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(10));
    let took = sent.elapsed();
    // Unblock the abandoned reader in case the process is still there.
    let _ = child.kill();
    assert!(status.is_some(), "ccrs did not exit after SIGTERM");
    assert!(took < Duration::from_millis(2500), "took {took:?}");
}

#[test]
fn the_temp_file_of_a_killed_write_is_gone_after_the_next_run() {
    use ccrs_core::fsutil::temp::{STALE_AFTER, TempName};
    let e = env();
    let target = e.cwd.join("big.txt");
    std::fs::write(&target, "the user's file\n").unwrap();
    // What a ccrs killed in the middle of a Write leaves: a full-size temp file named for a
    // process that is gone, and its journal entry.
    let mut name = TempName::new("big.txt".as_ref());
    name.pid = {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ccrs"))
            .arg("--version")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = c.id();
        c.wait().unwrap();
        pid
    };
    let temp = e.cwd.join(name.file_name());
    std::fs::write(&temp, vec![b'x'; 8 << 20]).unwrap();
    let old = SystemTime::now() - STALE_AFTER - Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&temp)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let journal = e.home.join(".config/claude-code-rs/pending-writes");
    std::fs::create_dir_all(&journal).unwrap();
    std::os::unix::fs::symlink(&temp, journal.join(format!("{}-{}", name.pid, name.id))).unwrap();
    // A look-alike of the user's own.
    let lookalike = e.cwd.join(".big.txt.ccrs-tmp-mine");
    std::fs::write(&lookalike, "mine").unwrap();

    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("hi"))).unwrap();
    let mut child = spawn(&e, &mock, &["-p", "say hi"]);
    assert!(wait_exit(&mut child, Duration::from_secs(20)).is_some_and(|s| s.success()));

    assert!(!temp.exists(), "the stale temp file survived the next run");
    assert_eq!(std::fs::read_dir(&journal).unwrap().count(), 0);
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the user's file\n"
    );
    assert_eq!(std::fs::read_to_string(&lookalike).unwrap(), "mine");
}
