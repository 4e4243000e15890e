//! Running one command hook: `/bin/sh -c <command>` (or the exec form) through
//! [`crate::process::Spawn`], the input JSON on stdin, stdout and stderr captured (bounded), a
//! timeout that kills the hook with everything it started, and cancellation that does the same.
//! What a hook leaves running after it exits lives until ccrs exits (the exec helper kills it
//! then), as the processes an `apiKeyHelper` starts do.

use super::config::{CommandHook, Shell};
use crate::cancel::CancelToken;
use crate::process::{Exit, Spawn};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// Bytes kept of each of stdout and stderr; the rest is read and dropped.
pub const MAX_CAPTURE: usize = 1 << 20;
/// How long ccrs keeps reading after the hook exited, for output still in flight from
/// background children that inherited its pipes.
const EXIT_GRACE: Duration = Duration::from_millis(200);

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    Exited(Exit),
    TimedOut,
    Cancelled,
    /// It could not start (the shell or program is missing, ...).
    SpawnFailed(String),
}

#[derive(Clone, Debug)]
pub struct RunResult {
    pub ended: Ended,
    pub stdout: String,
    pub stderr: String,
    pub duration: Duration,
}

/// What a run needs besides the hook.
pub struct RunSpec<'a> {
    pub cwd: &'a Path,
    pub env: &'a [(String, String)],
    pub input: &'a [u8],
    pub timeout: Duration,
    pub cancel: &'a CancelToken,
}

/// Runs `hook` to its end, timeout or cancellation.
pub async fn run(hook: &CommandHook, spec: &RunSpec<'_>) -> RunResult {
    let started = Instant::now();
    let spawn = match &hook.args {
        Some(args) => Spawn::new(&hook.command).args(args),
        None => Spawn::new(match hook.shell {
            Shell::Sh => "/bin/sh",
            Shell::Bash => "bash",
        })
        .arg("-c")
        .arg(&hook.command),
    };
    let child = spawn
        .current_dir(spec.cwd)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .await;
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            return RunResult {
                ended: Ended::SpawnFailed(e.to_string()),
                stdout: String::new(),
                stderr: String::new(),
                duration: started.elapsed(),
            };
        }
    };
    let mut stdin = child.stdin.take();
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let mut out_buf = Vec::new();
    let mut err_buf = Vec::new();
    let deadline = tokio::time::Instant::now() + spec.timeout;
    let ended = {
        // A hook that never reads its input must not block: the write runs beside the rest
        // and its errors (a closed pipe) are ignored.
        let write = async {
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(spec.input).await;
            }
            drop(stdin.take());
        };
        let reads = async {
            tokio::join!(
                read_bounded(out.as_mut(), &mut out_buf),
                read_bounded(err.as_mut(), &mut err_buf)
            )
        };
        tokio::pin!(write, reads);
        let (mut written, mut read) = (false, false);
        let work = async {
            let exit = loop {
                tokio::select! {
                    () = &mut write, if !written => written = true,
                    _ = &mut reads, if !read => read = true,
                    e = child.wait() => break e,
                }
            };
            // A background child that inherited the pipes may hold them open: what is in
            // flight is read for a moment, then the hook counts as done.
            if !read {
                let _ = tokio::time::timeout(EXIT_GRACE, &mut reads).await;
            }
            exit
        };
        tokio::select! {
            r = work => match r {
                Ok(e) => Ended::Exited(e),
                Err(e) => Ended::SpawnFailed(e.to_string()),
            },
            _ = tokio::time::sleep_until(deadline) => Ended::TimedOut,
            _ = spec.cancel.cancelled() => Ended::Cancelled,
        }
    };
    match &ended {
        Ended::Exited(_) => {
            child.group().clone().keep_until_exit();
            tokio::spawn(child.wait_helper());
        }
        // The hook and everything it started (its group, or under the exec helper its tree).
        _ => child.kill(),
    }
    RunResult {
        ended,
        stdout: lossy(out_buf),
        stderr: lossy(err_buf),
        duration: started.elapsed(),
    }
}

/// Reads to end of file, keeping the first [`MAX_CAPTURE`] bytes.
async fn read_bounded<R: AsyncRead + Unpin>(r: Option<&mut R>, buf: &mut Vec<u8>) {
    let Some(r) = r else { return };
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let room = MAX_CAPTURE.saturating_sub(buf.len());
                buf.extend_from_slice(&chunk[..n.min(room)]);
            }
        }
    }
}

fn lossy(b: Vec<u8>) -> String {
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(cmd: &str) -> CommandHook {
        CommandHook {
            command: cmd.into(),
            args: None,
            shell: Shell::Sh,
        }
    }

    async fn go(cmd: &str, input: &[u8], timeout: Duration) -> RunResult {
        let dir = std::env::temp_dir();
        run(
            &hook(cmd),
            &RunSpec {
                cwd: &dir,
                env: &[("HOOK_TEST_VAR".into(), "set".into())],
                input,
                timeout,
                cancel: &CancelToken::new(),
            },
        )
        .await
    }

    #[tokio::test]
    async fn stdin_stdout_stderr_and_exit() {
        let r = go(
            "cat; echo \"$HOOK_TEST_VAR\" >&2; exit 3",
            b"{\"a\":1}",
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(r.stdout, "{\"a\":1}");
        assert_eq!(r.stderr, "set\n");
        assert_eq!(r.ended, Ended::Exited(Exit::Code(3)));
    }

    #[tokio::test]
    async fn a_big_input_a_hook_never_reads_does_not_block() {
        let big = vec![b'x'; 4 << 20];
        let r = go("echo done", &big, Duration::from_secs(10)).await;
        assert_eq!(r.stdout, "done\n");
        assert_eq!(r.ended, Ended::Exited(Exit::Code(0)));
    }

    #[tokio::test]
    async fn output_is_bounded_and_background_children_do_not_hold_the_run() {
        let r = go(
            "head -c 3000000 /dev/zero | tr '\\0' y; sleep 30 &",
            b"",
            Duration::from_secs(20),
        )
        .await;
        assert_eq!(r.stdout.len(), MAX_CAPTURE);
        assert_eq!(r.ended, Ended::Exited(Exit::Code(0)));
        assert!(r.duration < Duration::from_secs(15), "{:?}", r.duration);
    }

    #[tokio::test]
    async fn timeout_and_missing_programs() {
        let r = go("sleep 30", b"", Duration::from_millis(200)).await;
        assert_eq!(r.ended, Ended::TimedOut);
        let r = run(
            &CommandHook {
                command: "/nonexistent/prog".into(),
                args: Some(vec![]),
                shell: Shell::Sh,
            },
            &RunSpec {
                cwd: Path::new("/"),
                env: &[],
                input: b"",
                timeout: Duration::from_secs(5),
                cancel: &CancelToken::new(),
            },
        )
        .await;
        assert!(matches!(r.ended, Ended::SpawnFailed(_)), "{:?}", r.ended);
    }
}
