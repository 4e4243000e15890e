//! A server ccrs starts as a child process, speaking newline-delimited JSON on stdin/stdout.
//!
//! It is started through [`crate::process::Spawn`]: in its own process group, under the exec
//! helper that kills it and everything it started when ccrs dies in any way (`kill -9`
//! included). Closing sends end of file on stdin, then kills the whole tree after a grace
//! period; dropping the transport kills at once. Its stderr is kept (the last few KB) for the
//! report when it fails, and goes to the debug log.

use super::{Inbound, Inbox, Transport};
use crate::BoxFuture;
use crate::mcp::McpError;
use crate::process::{ProcessGroup, Spawn};
use serde_json::Value;
use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::ChildStdin;
use tokio::sync::watch;

/// One message may be this large (an image or a big file); a longer line ends the connection.
const MAX_LINE: usize = 64 << 20;
/// How much of stderr is kept.
const STDERR_KEEP: usize = 4096;

pub struct StdioTransport {
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    group: Arc<ProcessGroup>,
    pid: u32,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    /// Set once the process has exited.
    exited: watch::Receiver<bool>,
    /// Why it ended (set before `exited`).
    reason: Arc<Mutex<Option<String>>>,
    /// Set once stderr reached its end.
    stderr_done: watch::Receiver<bool>,
}

/// What the process is started with.
pub struct Command<'a> {
    pub name: &'a str,
    pub command: &'a str,
    pub args: &'a [String],
    pub env: &'a [(String, String)],
    pub cwd: &'a Path,
}

/// Starts the server. `Err` when it cannot be started (not found, not executable).
pub async fn connect(cmd: Command<'_>, inbox: Inbox) -> Result<Arc<dyn Transport>, McpError> {
    let mut child = Spawn::new(cmd.command)
        .args(cmd.args)
        .current_dir(cmd.cwd)
        .envs(crate::env::overlay())
        .env("CLAUDECODE", "1")
        .env("CLAUDE_PROJECT_DIR", cmd.cwd)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .await
        .map_err(|e| McpError::Transport(format!("cannot start {}: {e}", cmd.command)))?;
    let pid = child.id();
    let group = child.group().clone();
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr_pipe = child.stderr.take();
    let stderr = Arc::new(Mutex::new(VecDeque::new()));
    let (exited_tx, exited) = watch::channel(false);
    let (stderr_done_tx, stderr_done) = watch::channel(false);
    if let Some(err) = stderr_pipe {
        let keep = stderr.clone();
        let name = cmd.name.to_string();
        tokio::spawn(async move {
            read_stderr(err, keep, &name).await;
            let _ = stderr_done_tx.send(true);
        });
    } else {
        let _ = stderr_done_tx.send(true);
    }
    let name = cmd.name.to_string();
    let reason_slot = Arc::new(Mutex::new(None));
    let reason_keep = reason_slot.clone();
    tokio::spawn(async move {
        let why = match stdout {
            Some(out) => read_stdout(out, &inbox).await,
            None => None,
        };
        // End of output: the server exited or closed stdout. Its exit status says why.
        let status = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
        let reason = match (why, status) {
            (Some(w), _) => w,
            (None, Ok(Ok(e))) if e.success() => "the server exited".to_string(),
            (None, Ok(Ok(crate::process::Exit::Code(c)))) => {
                format!("the server exited with status {c}")
            }
            (None, Ok(Ok(crate::process::Exit::Signal(s)))) => {
                format!("the server was killed by signal {s}")
            }
            (None, _) => "the server closed its output".to_string(),
        };
        crate::debug_log!(crate::log::MCP, "{name}: {reason}");
        if let Ok(mut r) = reason_keep.lock() {
            *r = Some(reason.clone());
        }
        let _ = exited_tx.send(true);
        let _ = inbox.send(Inbound::Closed(reason)).await;
        child.wait_helper().await;
    });
    Ok(Arc::new(StdioTransport {
        stdin: tokio::sync::Mutex::new(stdin),
        group,
        pid,
        stderr,
        exited,
        reason: reason_slot,
        stderr_done,
    }))
}

/// Reads messages until end of file; `Some(reason)` when the stream broke.
async fn read_stdout(out: tokio::process::ChildStdout, inbox: &Inbox) -> Option<String> {
    let mut r = BufReader::with_capacity(64 * 1024, out);
    let mut line = Vec::new();
    loop {
        line.clear();
        // `read_until` has no bound of its own: read the buffer piece by piece.
        loop {
            let buf = match r.fill_buf().await {
                Ok(b) => b,
                Err(e) => return Some(format!("reading its output failed: {e}")),
            };
            if buf.is_empty() {
                return None;
            }
            let (take, done) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            line.extend_from_slice(&buf[..take]);
            r.consume(take);
            if line.len() > MAX_LINE {
                return Some(format!("it sent a message over {} MB", MAX_LINE >> 20));
            }
            if done {
                break;
            }
        }
        let text = line.trim_ascii();
        if !text.is_empty() && !super::deliver(inbox, text).await {
            return None;
        }
    }
}

async fn read_stderr(err: tokio::process::ChildStderr, keep: Arc<Mutex<VecDeque<u8>>>, name: &str) {
    let mut r = BufReader::new(err);
    let mut line = Vec::new();
    loop {
        line.clear();
        match r.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        crate::debug_log!(
            crate::log::MCP,
            "{name} stderr: {}",
            String::from_utf8_lossy(line.trim_ascii_end())
        );
        if let Ok(mut k) = keep.lock() {
            k.extend(line.iter().copied());
            let excess = k.len().saturating_sub(STDERR_KEEP);
            k.drain(..excess);
        }
    }
}

impl Transport for StdioTransport {
    fn send(&self, msg: Value) -> BoxFuture<'_, Result<(), McpError>> {
        Box::pin(async move {
            let mut line = serde_json::to_vec(&msg)
                .map_err(|e| McpError::Transport(format!("cannot encode a message: {e}")))?;
            line.push(b'\n');
            let mut stdin = self.stdin.lock().await;
            let Some(w) = stdin.as_mut() else {
                return Err(McpError::Closed("the connection is closed".into()));
            };
            let res = async {
                w.write_all(&line).await?;
                w.flush().await
            }
            .await;
            res.map_err(|e| McpError::Closed(format!("writing to the server failed: {e}")))
        })
    }

    fn close(&self, grace: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // End of file on stdin asks the server to exit (the MCP spec's shutdown).
            self.stdin.lock().await.take();
            let mut exited = self.exited.clone();
            let _ = tokio::time::timeout(grace, exited.wait_for(|e| *e)).await;
            self.group.kill();
        })
    }

    fn stderr_tail(&self) -> String {
        let bytes: Vec<u8> = self
            .stderr
            .lock()
            .map(|k| k.iter().copied().collect())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        // Whole lines only (the first may have been cut), the last ten.
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let from = lines.len().saturating_sub(10);
        lines[from..].join("\n")
    }

    fn pid(&self) -> Option<u32> {
        Some(self.pid)
    }

    fn ended(&self, bound: Duration) -> BoxFuture<'_, Option<String>> {
        Box::pin(async move {
            // A write can fail (broken pipe) before the exit is seen: wait for the exit status
            // and the rest of stderr, which say more.
            let (mut exited, mut done) = (self.exited.clone(), self.stderr_done.clone());
            let both = async {
                let _ = exited.wait_for(|e| *e).await;
                let _ = done.wait_for(|d| *d).await;
            };
            let _ = tokio::time::timeout(bound, both).await;
            self.reason.lock().ok().and_then(|r| r.clone())
        })
    }
}

impl Drop for StdioTransport {
    fn drop(&mut self) {
        self.group.kill();
    }
}
