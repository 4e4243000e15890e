//! Background shells started by `Bash` with `run_in_background`, read by `BashOutput` and
//! stopped by `KillShell`.
//!
//! Each shell runs in its own process group through [`crate::process::Spawn`] (under the exec
//! helper in the `ccrs` binary, so nothing survives ccrs). A small OS thread reads the merged
//! stdout/stderr pipe into a bounded ring and a task waits for the exit, so shells keep
//! capturing whatever the front end is doing and cost nothing while idle. Every group still
//! alive is killed when the manager is dropped or [`ShellManager::kill_all`] is called.

use crate::cancel::CancelToken;
use crate::process::{Confinement, Exit, ProcessGroup, Spawn};
use crate::tools::bash::capture::incomplete_utf8_suffix;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Unread output kept per shell; older unread output is dropped (and counted).
pub const BUFFER_BYTES: usize = 1 << 20;
/// After the shell exits, how long to wait for output still in the pipe before calling it done.
const EXIT_GRACE: Duration = Duration::from_millis(150);
const THREAD_STACK: usize = 64 * 1024;
const READ_CHUNK: usize = 16 * 1024;

/// How to start a shell process.
#[derive(Clone, Debug, Default)]
pub struct SpawnSpec {
    pub shell: PathBuf,
    /// The script given to `-c`.
    pub script: String,
    pub cwd: PathBuf,
    /// Added to the inherited environment.
    pub env: Vec<(OsString, OsString)>,
    /// Removed from it (`sandbox.credentials.envVars`).
    pub env_remove: Vec<OsString>,
    /// The sandbox, when the command runs sandboxed.
    pub confine: Option<Arc<Confinement>>,
}

impl SpawnSpec {
    /// The shell process: `-c script` in `cwd`, stdin closed, stdout and stderr both on `out`
    /// (merged in order), in a new process group so a kill reaches every child.
    pub fn spawn(&self, out: std::io::PipeWriter) -> std::io::Result<Spawn> {
        let mut s = Spawn::new(&self.shell)
            .arg("-c")
            .arg(&self.script)
            .current_dir(&self.cwd)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        for k in &self.env_remove {
            s = s.env_remove(k);
        }
        Ok(s.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .group(true)
            .confine(self.confine.clone()))
    }
}

/// The state of a background shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellStatus {
    Running,
    Exited(i32),
    /// Died from a signal it was not sent by KillShell.
    Signaled(i32),
    /// Stopped by KillShell (or session end).
    Killed,
}

impl ShellStatus {
    /// `running`, `completed`, `failed` or `killed`.
    pub fn label(self) -> &'static str {
        match self {
            ShellStatus::Running => "running",
            ShellStatus::Exited(0) => "completed",
            ShellStatus::Exited(_) | ShellStatus::Signaled(_) => "failed",
            ShellStatus::Killed => "killed",
        }
    }

    pub fn is_running(self) -> bool {
        self == ShellStatus::Running
    }
}

#[derive(Debug)]
struct State {
    /// Unread output.
    buf: VecDeque<u8>,
    /// Unread bytes dropped from the front of `buf` since the last read.
    dropped: u64,
    status: ShellStatus,
    /// The pipe reached end of file: no process holds its write end any more.
    eof: bool,
    kill_requested: bool,
}

/// Output not read before, taken from a shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewOutput {
    pub text: String,
    /// Older unread bytes that did not fit in the buffer.
    pub dropped_bytes: u64,
    pub status: ShellStatus,
}

/// One background shell.
#[derive(Debug)]
pub struct BackgroundShell {
    pub id: String,
    pub command: String,
    pid: u32,
    group: Arc<ProcessGroup>,
    started: Instant,
    state: Mutex<State>,
    eof_cv: Condvar,
    /// Becomes true once the shell exited and its output was collected.
    done: watch::Sender<bool>,
}

impl BackgroundShell {
    fn new(id: String, command: &str, pid: u32, group: Arc<ProcessGroup>) -> Self {
        BackgroundShell {
            id,
            command: command.to_string(),
            pid,
            group,
            started: Instant::now(),
            state: Mutex::new(State {
                buf: VecDeque::new(),
                dropped: 0,
                status: ShellStatus::Running,
                eof: false,
                kill_requested: false,
            }),
            eof_cv: Condvar::new(),
            done: watch::channel(false).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn status(&self) -> ShellStatus {
        self.lock().status
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    fn push(&self, data: &[u8]) {
        let mut s = self.lock();
        let data = if data.len() > BUFFER_BYTES {
            s.dropped += (data.len() - BUFFER_BYTES) as u64;
            &data[data.len() - BUFFER_BYTES..]
        } else {
            data
        };
        s.buf.extend(data);
        let excess = s.buf.len().saturating_sub(BUFFER_BYTES);
        if excess > 0 {
            s.buf.drain(..excess);
            s.dropped += excess as u64;
        }
    }

    /// Takes the output written since the last call. While the shell may still write, a UTF-8
    /// sequence cut at the end is kept for the next call.
    pub fn take_output(&self) -> NewOutput {
        let mut s = self.lock();
        let mut bytes: Vec<u8> = s.buf.drain(..).collect();
        if !s.eof {
            let keep = incomplete_utf8_suffix(&bytes);
            let tail = bytes.split_off(bytes.len() - keep);
            s.buf.extend(tail);
        }
        if s.buf.capacity() > 64 * 1024 {
            s.buf.shrink_to(64 * 1024);
        }
        let dropped = std::mem::take(&mut s.dropped);
        NewOutput {
            text: String::from_utf8_lossy(&bytes).into_owned(),
            dropped_bytes: dropped,
            status: s.status,
        }
    }

    /// Whether the shell has exited and its output was collected.
    pub fn is_done(&self) -> bool {
        *self.done.borrow()
    }

    /// Waits until the shell is done, at most `timeout`; false on timeout or cancellation.
    pub async fn wait(&self, timeout: Duration, cancel: &CancelToken) -> bool {
        let mut rx = self.done.subscribe();
        let done = async move { rx.wait_for(|d| *d).await.is_ok() };
        tokio::select! {
            r = tokio::time::timeout(timeout, done) => r.unwrap_or(false),
            _ = cancel.cancelled() => false,
        }
    }

    /// Kills the shell and everything it started. False when the shell was no longer running
    /// (what it left behind is killed all the same).
    pub fn kill(&self) -> bool {
        let mut s = self.lock();
        let running = s.status.is_running();
        if running {
            s.kill_requested = true;
        }
        drop(s);
        self.group.kill();
        running
    }

    fn reader(self: Arc<Self>, mut pipe: std::io::PipeReader) {
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let mut s = self.lock();
        s.eof = true;
        if !s.status.is_running() {
            self.group.mark_gone_if_direct();
        }
        drop(s);
        self.eof_cv.notify_all();
    }

    /// Records the shell's end, then waits (a little) for the output still in flight.
    fn ended(&self, exit: Exit) {
        let mut s = self.lock();
        s.status = match exit {
            _ if s.kill_requested => ShellStatus::Killed,
            Exit::Code(c) => ShellStatus::Exited(c),
            Exit::Signal(sig) => ShellStatus::Signaled(sig),
        };
        let deadline = Instant::now() + EXIT_GRACE;
        while !s.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            s = self
                .eof_cv
                .wait_timeout(s, left)
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        if s.eof {
            self.group.mark_gone_if_direct();
        }
        drop(s);
        self.done.send_replace(true);
    }
}

/// The registry of background shells of one session.
#[derive(Default, Debug)]
pub struct ShellManager {
    shells: Mutex<Vec<Arc<BackgroundShell>>>,
    lingering: Mutex<Vec<Arc<ProcessGroup>>>,
}

fn new_id(taken: &[Arc<BackgroundShell>]) -> String {
    loop {
        let id = uuid::Uuid::new_v4().simple().to_string()[..6].to_string();
        if !taken.iter().any(|s| s.id == id) {
            return id;
        }
    }
}

impl ShellManager {
    fn lock(&self) -> MutexGuard<'_, Vec<Arc<BackgroundShell>>> {
        self.shells.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts `spec` in the background (stdin null, stdout and stderr into one pipe, own process
    /// group). Returns the new shell's id.
    pub async fn start(&self, command: &str, spec: &SpawnSpec) -> std::io::Result<String> {
        let (reader, writer) = std::io::pipe()?;
        // `spawn` consumes the command, dropping its copies of the write end.
        let mut child = spec.spawn(writer)?.spawn().await?;
        let shell = Arc::new(BackgroundShell::new(
            new_id(&self.lock()),
            command,
            child.id(),
            child.group().clone(),
        ));
        std::thread::Builder::new()
            .name(format!("ccrs-bg-read-{}", shell.id))
            .stack_size(THREAD_STACK)
            .spawn({
                let shell = shell.clone();
                move || shell.reader(reader)
            })?;
        tokio::spawn({
            let shell = shell.clone();
            async move {
                let exit = child.wait().await.unwrap_or(Exit::Code(-1));
                // The grace wait blocks on a condvar: off the runtime's threads.
                let s = shell.clone();
                let _ = tokio::task::spawn_blocking(move || s.ended(exit)).await;
                child.wait_helper().await;
            }
        });
        let id = shell.id.clone();
        self.lock().push(shell);
        Ok(id)
    }

    pub fn get(&self, id: &str) -> Option<Arc<BackgroundShell>> {
        self.lock().iter().find(|s| s.id == id).cloned()
    }

    /// Every shell of the session, oldest first.
    pub fn list(&self) -> Vec<Arc<BackgroundShell>> {
        self.lock().clone()
    }

    /// Keeps the processes a foreground command left running (`server &`) alive until the
    /// session ends.
    pub fn track_lingering(&self, group: Arc<ProcessGroup>) {
        let mut list = self.lingering.lock().unwrap_or_else(|e| e.into_inner());
        list.retain(|l| l.may_be_alive());
        list.push(group);
    }

    /// Kills every shell still running and every group foreground commands left behind (front
    /// ends call this at exit; drop does it too).
    pub fn kill_all(&self) {
        for s in self.lock().iter() {
            s.kill();
        }
        let lingering = self.lingering.lock().unwrap_or_else(|e| e.into_inner());
        for l in lingering.iter() {
            l.kill();
        }
    }
}

impl Drop for ShellManager {
    fn drop(&mut self) {
        self.kill_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(script: &str) -> SpawnSpec {
        SpawnSpec {
            shell: PathBuf::from("/bin/sh"),
            script: script.to_string(),
            cwd: std::env::temp_dir(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn captures_output_and_exit_status() {
        let m = ShellManager::default();
        let id = m
            .start("x", &spec("echo one; echo two >&2; exit 4"))
            .await
            .unwrap();
        assert_eq!(id.len(), 6);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        let sh = m.get(&id).unwrap();
        assert!(sh.wait(Duration::from_secs(10), &CancelToken::new()).await);
        let out = sh.take_output();
        assert_eq!(out.text, "one\ntwo\n");
        assert_eq!(out.status, ShellStatus::Exited(4));
        assert_eq!(out.status.label(), "failed");
        assert_eq!(sh.take_output().text, "");
        assert!(!sh.kill());
    }

    #[tokio::test]
    async fn ring_drops_oldest_unread_output() {
        let m = ShellManager::default();
        // 1.5 MB of 'a', then a marker.
        let id = m
            .start(
                "x",
                &spec("head -c 1500000 /dev/zero | tr '\\0' a; echo END"),
            )
            .await
            .unwrap();
        let sh = m.get(&id).unwrap();
        assert!(sh.wait(Duration::from_secs(20), &CancelToken::new()).await);
        let out = sh.take_output();
        assert_eq!(out.text.len(), BUFFER_BYTES);
        assert!(out.text.ends_with("aEND\n"));
        assert_eq!(out.dropped_bytes, 1_500_004 - BUFFER_BYTES as u64);
    }

    #[test]
    fn held_back_utf8_suffix_waits_for_the_rest() {
        let sh = BackgroundShell::new(
            "abc".into(),
            "",
            0,
            Arc::new(ProcessGroup::detached_for_tests()),
        );
        let euro = "€".as_bytes();
        sh.push(b"a");
        sh.push(&euro[..1]);
        assert_eq!(sh.take_output().text, "a");
        sh.push(&euro[1..]);
        assert_eq!(sh.take_output().text, "€");
    }

    #[tokio::test]
    async fn drop_kills_running_groups() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pids");
        let m = ShellManager::default();
        let script = format!(
            "sleep 1000 & echo $! > {p}; echo $$ >> {p}; wait",
            p = pidfile.display()
        );
        m.start("x", &spec(&script)).await.unwrap();
        let pids = wait_for_pids(&pidfile, 2);
        drop(m);
        for pid in pids {
            assert!(wait_gone(pid), "process {pid} survived");
        }
    }

    pub(crate) fn wait_for_pids(file: &std::path::Path, n: usize) -> Vec<u32> {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(s) = std::fs::read_to_string(file) {
                let pids: Vec<u32> = s.lines().filter_map(|l| l.trim().parse().ok()).collect();
                if pids.len() >= n {
                    return pids;
                }
            }
            assert!(Instant::now() < until, "pids never written");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// True once /proc/<pid> is gone or a zombie (killed, awaiting its reaper).
    pub(crate) fn wait_gone(pid: u32) -> bool {
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
                Err(_) => return true,
                Ok(s)
                    if s.rsplit(')')
                        .next()
                        .is_some_and(|r| r.trim_start().starts_with('Z')) =>
                {
                    return true;
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        false
    }
}
