//! The ccrs side of a spawn: the builder, the running child, and the exec helper it goes
//! through when the front end configured one.

use super::Exit;
use super::confine::Confinement;
use super::group::ProcessGroup;
use super::wire::{HelperArgs, Report};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::unix::pipe;
use tokio::sync::OnceCell;

/// The exit code of a helper that could not attach to its parent's pipes.
pub(crate) const ATTACH_FAILED: i32 = 125;

static HELPER: Mutex<Option<PathBuf>> = Mutex::new(None);
/// Whether the configured helper works here (probed once, at the first spawn that needs it).
static HELPER_WORKS: OnceCell<Result<(), String>> = OnceCell::const_new();

/// Configures the exec helper: the `ccrs` binary itself (the front end passes its own path).
/// Without one, spawns are direct: children still get their own group and die on kill or drop,
/// but not when ccrs is killed, and nothing can be confined.
pub fn set_helper(path: impl Into<PathBuf>) {
    *HELPER.lock().unwrap_or_else(|e| e.into_inner()) = Some(path.into());
}

/// The configured helper, if any.
pub fn helper() -> Option<PathBuf> {
    HELPER.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// How spawns run in this process, for `/sandbox` and `doctor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HelperState {
    /// No helper configured (library use, tests).
    None,
    /// Configured; not probed yet (no spawn needed it).
    Unprobed,
    Works,
    /// Configured but it cannot attach here (e.g. /proc is not mounted).
    Broken(String),
}

pub fn helper_state() -> HelperState {
    if helper().is_none() {
        return HelperState::None;
    }
    match HELPER_WORKS.get() {
        None => HelperState::Unprobed,
        Some(Ok(())) => HelperState::Works,
        Some(Err(e)) => HelperState::Broken(e.clone()),
    }
}

/// Checks once per process that the helper can attach; the error says why not.
pub async fn probe_helper() -> Result<(), String> {
    let Some(path) = helper() else {
        return Err("no exec helper is configured".into());
    };
    HELPER_WORKS
        .get_or_init(|| async move {
            let mut s = Spawn::new("/");
            s.stdin = Some(Stdio::null());
            s.stdout = Some(Stdio::null());
            s.stderr = Some(Stdio::null());
            match s.spawn_helper(&path, true).await {
                Ok(_) => Ok(()),
                Err(e) => Err(format!(
                    "the exec helper ({}) does not work here: {e}",
                    path.display()
                )),
            }
        })
        .await
        .clone()
}

#[derive(Debug)]
enum EnvOp {
    Set(OsString, OsString),
    Remove(OsString),
    Clear,
}

/// A process to start: `Spawn::new(program).args(..).group(true).die_with_parent(true)
/// .confine(c).spawn().await`.
///
/// - `group` (default true): the program leads a new process group, so a kill reaches every
///   process it starts that stays in the group.
/// - `die_with_parent` (default true): the program runs under the exec helper (when one is
///   configured), which kills the program and every descendant, including those that left the
///   group or daemonized, when ccrs dies in any way (`kill -9` included) or the returned
///   [`Child`]'s [`ProcessGroup`] is killed or dropped.
/// - `confine`: Landlock restrictions the helper applies before exec'ing the program; needs the
///   helper (an error without it).
///
/// Dropping the [`Child`] (or the last clone of its [`ProcessGroup`]) kills everything.
#[derive(Debug)]
pub struct Spawn {
    program: OsString,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    env: Vec<EnvOp>,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    group: bool,
    die_with_parent: bool,
    confine: Option<Arc<Confinement>>,
}

impl Spawn {
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Spawn {
            program: program.as_ref().to_os_string(),
            args: Vec::new(),
            cwd: None,
            env: Vec::new(),
            stdin: None,
            stdout: None,
            stderr: None,
            group: true,
            die_with_parent: true,
            confine: None,
        }
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cwd = Some(dir.as_ref().to_path_buf());
        self
    }

    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Self {
        self.env.push(EnvOp::Set(
            k.as_ref().to_os_string(),
            v.as_ref().to_os_string(),
        ));
        self
    }

    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (k, v) in vars {
            self = self.env(k, v);
        }
        self
    }

    pub fn env_remove(mut self, k: impl AsRef<OsStr>) -> Self {
        self.env.push(EnvOp::Remove(k.as_ref().to_os_string()));
        self
    }

    /// Starts from an empty environment (later `env` calls add to it).
    pub fn env_clear(mut self) -> Self {
        self.env.push(EnvOp::Clear);
        self
    }

    pub fn stdin(mut self, s: impl Into<Stdio>) -> Self {
        self.stdin = Some(s.into());
        self
    }

    pub fn stdout(mut self, s: impl Into<Stdio>) -> Self {
        self.stdout = Some(s.into());
        self
    }

    pub fn stderr(mut self, s: impl Into<Stdio>) -> Self {
        self.stderr = Some(s.into());
        self
    }

    pub fn group(mut self, yes: bool) -> Self {
        self.group = yes;
        self
    }

    pub fn die_with_parent(mut self, yes: bool) -> Self {
        self.die_with_parent = yes;
        self
    }

    pub fn confine(mut self, c: Option<Arc<Confinement>>) -> Self {
        self.confine = c;
        self
    }

    fn command(&mut self, program: &OsStr) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        if let Some(d) = &self.cwd {
            cmd.current_dir(d);
        }
        for op in &self.env {
            match op {
                EnvOp::Set(k, v) => cmd.env(k, v),
                EnvOp::Remove(k) => cmd.env_remove(k),
                EnvOp::Clear => cmd.env_clear(),
            };
        }
        if let Some(s) = self.stdin.take() {
            cmd.stdin(s);
        }
        if let Some(s) = self.stdout.take() {
            cmd.stdout(s);
        }
        if let Some(s) = self.stderr.take() {
            cmd.stderr(s);
        }
        // The group (or the helper's tree) is killed explicitly; tokio must not kill only the
        // direct child.
        cmd.kill_on_drop(false);
        cmd
    }

    /// Starts the process. Under the helper this waits for the helper's report that the
    /// program runs (a missing program or a confinement failure is an error here).
    pub async fn spawn(mut self) -> io::Result<Child> {
        let use_helper = self.die_with_parent || self.confine.is_some();
        if use_helper && let Some(path) = helper() {
            match probe_helper().await {
                Ok(()) => return self.spawn_helper(&path, false).await,
                Err(e) if self.confine.is_some() => {
                    return Err(io::Error::other(format!("cannot confine the command: {e}")));
                }
                // Runs anyway, without the guarantee (helper_state() tells why).
                Err(_) => {}
            }
        }
        if self.confine.is_some() {
            return Err(io::Error::other(
                "cannot confine the command: no exec helper is configured",
            ));
        }
        let program = self.program.clone();
        let mut cmd = self.command(&program);
        cmd.args(&self.args);
        if self.group {
            cmd.process_group(0);
        }
        let inner = cmd.spawn()?;
        let pid = inner.id().unwrap_or(0);
        let group = ProcessGroup::new(pid, self.group.then_some(pid), None);
        Ok(Child::new(inner, pid, group, None, Vec::new()))
    }

    async fn spawn_helper(&mut self, helper: &Path, probe: bool) -> io::Result<Child> {
        let (control_r, control_w) = std::io::pipe()?;
        let (status_r, status_w) = std::io::pipe()?;
        let args = HelperArgs {
            ppid: rustix::process::getpid().as_raw_nonzero().get(),
            control_fd: control_r.as_raw_fd(),
            status_fd: status_w.as_raw_fd(),
            group: self.group,
            probe,
            confine: match &self.confine {
                Some(c) => Some(serde_json::to_string(&**c).map_err(io::Error::other)?),
                None => None,
            },
            program: self.program.clone(),
            args: self.args.clone(),
        };
        let mut cmd = self.command(helper.as_os_str());
        cmd.arg0("ccrs").args(args.to_argv());
        // The helper leads its own group: signals for ccrs's terminal group do not reach it.
        cmd.process_group(0);
        let mut inner = cmd.spawn()?;
        // tokio's `wait` (polled below while the helper starts) closes the child's stdin: keep
        // the pipes aside until then.
        let pipes = (inner.stdin.take(), inner.stdout.take(), inner.stderr.take());
        let mut status = BufReader::new(pipe::Receiver::from_owned_fd(OwnedFd::from(status_r))?);
        // ccrs keeps its copies of the helper's ends until the helper has opened its own.
        let mut held = Some((control_r, status_w));
        let mut warnings = Vec::new();
        let mut line = String::new();
        let mut helper_exit = None;
        let pid = loop {
            line.clear();
            tokio::select! {
                r = status.read_line(&mut line) => {
                    let n = r?;
                    if n == 0 {
                        return Err(helper_died(helper_exit));
                    }
                    match Report::decode(&line) {
                        Some(Report::Warning(w)) => warnings.push(w),
                        Some(Report::Started(pid)) => break pid,
                        Some(Report::Failed { errno, message }) => {
                            let kind = io::Error::from_raw_os_error(errno).kind();
                            return Err(io::Error::new(kind, message));
                        }
                        Some(Report::Ended(_)) | None => {
                            return Err(io::Error::other(format!(
                                "unexpected report from the exec helper: {}",
                                line.trim()
                            )));
                        }
                    }
                }
                st = inner.wait(), if helper_exit.is_none() => {
                    helper_exit = Some(st?);
                    // Without its copies of the write end, the status pipe reaches end of file.
                    held = None;
                }
            }
        };
        drop(held);
        (inner.stdin, inner.stdout, inner.stderr) = pipes;
        let group = ProcessGroup::new(
            pid,
            self.group.then_some(pid),
            Some(OwnedFd::from(control_w)),
        );
        Ok(Child::new(inner, pid, group, Some(status), warnings))
    }
}

fn helper_died(exit: Option<std::process::ExitStatus>) -> io::Error {
    match exit.map(Exit::from_status) {
        Some(Exit::Code(ATTACH_FAILED)) => io::Error::other(
            "the exec helper could not open ccrs's pipes through /proc (is /proc mounted?)",
        ),
        Some(e) => io::Error::other(format!(
            "the exec helper ended before starting the program (exit {})",
            e.code()
        )),
        None => io::Error::other("the exec helper closed its status pipe"),
    }
}

/// A running process started by [`Spawn`].
#[derive(Debug)]
pub struct Child {
    pub stdin: Option<tokio::process::ChildStdin>,
    pub stdout: Option<tokio::process::ChildStdout>,
    pub stderr: Option<tokio::process::ChildStderr>,
    /// The helper (or the program itself without one).
    inner: tokio::process::Child,
    pid: u32,
    group: Arc<ProcessGroup>,
    status: Option<BufReader<pipe::Receiver>>,
    ended: Option<Exit>,
    warnings: Vec<String>,
}

impl Child {
    fn new(
        mut inner: tokio::process::Child,
        pid: u32,
        group: ProcessGroup,
        status: Option<BufReader<pipe::Receiver>>,
        warnings: Vec<String>,
    ) -> Self {
        Child {
            stdin: inner.stdin.take(),
            stdout: inner.stdout.take(),
            stderr: inner.stderr.take(),
            inner,
            pid,
            group: Arc::new(group),
            status,
            ended: None,
            warnings,
        }
    }

    /// The program's pid.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// The kill handle. Clone it to keep what the program leaves running alive after this
    /// `Child` is dropped; everything dies when the last clone is dropped.
    pub fn group(&self) -> &Arc<ProcessGroup> {
        &self.group
    }

    /// What the confinement could not enforce on this kernel.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Kills the program and everything it started.
    pub fn kill(&self) {
        self.group.kill();
    }

    /// Consumes the child once the program ended; under the helper, waits for the helper to
    /// exit (no descendant left) and marks the group gone, so holders of it stop counting it
    /// as alive. Spawn it as a task: it may take as long as what the program left running.
    pub async fn wait_helper(mut self) {
        if self.status.is_some() {
            let _ = self.inner.wait().await;
            self.group.mark_gone();
        }
    }

    /// Waits for the program to end (processes it left behind may still run). Cancel-safe.
    pub async fn wait(&mut self) -> io::Result<Exit> {
        if let Some(e) = self.ended {
            return Ok(e);
        }
        let exit = match &mut self.status {
            None => {
                let exit = Exit::from_status(self.inner.wait().await?);
                if self.group.pgid().is_none() {
                    // A lone process, now reaped: its pid may be reused.
                    self.group.mark_gone();
                }
                exit
            }
            Some(status) => {
                let mut line = String::new();
                loop {
                    line.clear();
                    // `read_line` keeps a partial line in `line` across cancellation only for
                    // the same call; reports are single short writes, so this is atomic.
                    if status.read_line(&mut line).await? == 0 {
                        // The helper died before reporting (killed from outside): take its
                        // status for the program's.
                        break Exit::from_status(self.inner.wait().await?);
                    }
                    if let Some(Report::Ended(e)) = Report::decode(&line) {
                        break e;
                    }
                }
            }
        };
        self.ended = Some(exit);
        Ok(exit)
    }
}
