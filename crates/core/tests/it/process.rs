//! `process::Spawn` without the exec helper (this test binary is not `ccrs`; the helper path
//! is tested through the real binary in the cli's tests): exit statuses, pipes, environment,
//! group kills on kill and on drop, and refusal to confine without the helper.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::tools_bash::{is_dead, wait_dead, wait_for_pids};
use ccrs_core::process::{Confinement, Exit, HelperState, Spawn, helper_state};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Everything the child writes on the pipe `take` hands over.
async fn read_all(pipe: Option<impl tokio::io::AsyncRead + Unpin>) -> String {
    let mut out = String::new();
    pipe.unwrap().read_to_string(&mut out).await.unwrap();
    out
}

fn sh(script: &str) -> Spawn {
    Spawn::new("/bin/sh").arg("-c").arg(script)
}

#[tokio::test]
async fn exit_codes_signals_and_output() {
    assert_eq!(helper_state(), HelperState::None);
    let mut c = sh("echo out; echo err >&2; exit 3")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null())
        .spawn()
        .await
        .unwrap();
    let out = read_all(c.stdout.take()).await;
    let err = read_all(c.stderr.take()).await;
    assert_eq!((out.as_str(), err.as_str()), ("out\n", "err\n"));
    assert_eq!(c.wait().await.unwrap(), Exit::Code(3));
    // Waiting again answers the same.
    assert_eq!(c.wait().await.unwrap(), Exit::Code(3));
    let mut c = sh("kill -TERM $$").spawn().await.unwrap();
    assert_eq!(c.wait().await.unwrap(), Exit::Signal(15));
}

#[tokio::test]
async fn environment_and_directory() {
    let d = tempfile::tempdir().unwrap();
    let mut c = sh("echo \"$A|${B-unset}|$(pwd -P)\"")
        .env("A", "1")
        .env("B", "2")
        .env_remove("B")
        .current_dir(d.path())
        .stdout(Stdio::piped())
        .spawn()
        .await
        .unwrap();
    let out = read_all(c.stdout.take()).await;
    let dir = d.path().canonicalize().unwrap();
    assert_eq!(out.trim(), format!("1|unset|{}", dir.display()));
    let mut c = Spawn::new("/usr/bin/env")
        .env_clear()
        .env("ONLY", "x")
        .stdout(Stdio::piped())
        .spawn()
        .await
        .unwrap();
    let out = read_all(c.stdout.take()).await;
    assert_eq!(out, "ONLY=x\n");
}

#[tokio::test]
async fn kill_and_drop_kill_the_whole_group() {
    let d = tempfile::tempdir().unwrap();
    let pids = d.path().join("pids");
    for drop_it in [false, true] {
        let _ = std::fs::remove_file(&pids);
        let script = format!(
            "sleep 1000 & echo $! >> {p}; echo $$ >> {p}; wait",
            p = pids.display()
        );
        let c = sh(&script).spawn().await.unwrap();
        let started = wait_for_pids(&pids, 2);
        if drop_it {
            drop(c);
        } else {
            c.kill();
            // The handle still answers after a kill.
            assert!(!c.group().may_be_alive());
        }
        for pid in started {
            assert!(wait_dead(pid), "{pid} survived (drop: {drop_it})");
        }
    }
}

#[tokio::test]
async fn a_shared_group_outlives_the_child() {
    let d = tempfile::tempdir().unwrap();
    let pids = d.path().join("pids");
    let script = format!("sleep 1000 & echo $! > {}", pids.display());
    let mut c = sh(&script).spawn().await.unwrap();
    assert_eq!(c.wait().await.unwrap(), Exit::Code(0));
    let group = c.group().clone();
    drop(c);
    let bg = wait_for_pids(&pids, 1)[0];
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!is_dead(bg), "killed while a handle was held");
    drop(group);
    assert!(wait_dead(bg), "survived the last handle");
}

#[tokio::test]
async fn missing_program_is_an_error() {
    let e = Spawn::new("/nonexistent/prog").spawn().await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
}

#[tokio::test]
async fn confinement_needs_the_helper() {
    let e = sh("true")
        .confine(Some(Arc::new(Confinement::default())))
        .spawn()
        .await
        .unwrap_err();
    assert!(e.to_string().contains("no exec helper"), "{e}");
}
