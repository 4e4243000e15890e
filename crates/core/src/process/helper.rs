//! The exec helper: `ccrs` re-executed between ccrs and a program it starts.
//!
//! 1. It opens its own ends of two pipes that ccrs holds, through `/proc/<ccrs>/fd/<n>`, and
//!    checks that its parent is still that ccrs (if ccrs died first, `/proc/<pid>` is gone or
//!    the parent changed: it exits). Nothing is inherited, so no other child can hold these
//!    pipes open.
//! 2. It becomes a child subreaper, so whatever the program leaves behind (`cmd &`, daemons,
//!    `setsid` escapees) is re-parented to it rather than to init.
//! 3. It applies the confinement (Landlock, socket filter) while single-threaded, then starts
//!    the program (in a new process group if asked), lets go of the program's stdio and
//!    reports `S <pid>`.
//! 4. It reaps children, reporting the program's end (`X <code>` / `K <signal>`), and exits when
//!    no descendant is left. When the control pipe reaches end of file (ccrs killed the spawn,
//!    dropped it, or died in any way, `kill -9` included: the kernel closes ccrs's descriptors)
//!    it kills the program's group and every descendant, round after round, since each kill
//!    re-parents the victim's children to it.
//!
//! This replaces PR_SET_PDEATHSIG on the program: that signal fires when the *thread* that
//! spawned the child exits (tokio's blocking threads come and go), only reaches the direct
//! child, and cannot be set without `pre_exec` (unsafe). The pipe is tied to the ccrs process.

use super::Exit;
use super::confine::Confinement;
use super::spawn::ATTACH_FAILED;
use super::wire::{HelperArgs, Report};
use rustix::process::{Pid, Signal, WaitOptions};
use std::ffi::OsString;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long the helper keeps killing before it gives up and exits (a process stuck in the
/// kernel cannot be reaped sooner).
const KILL_LIMIT: Duration = Duration::from_secs(5);

/// Opens ccrs's descriptor `fd` (a pipe end) as a new descriptor of our own.
fn open_parent_fd(ppid: i32, fd: i32, write: bool) -> std::io::Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(!write)
        .write(write)
        // Opening a FIFO read-only would wait for a writer; ccrs's end may already be gone.
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(format!("/proc/{ppid}/fd/{fd}"))?;
    rustix::fs::fcntl_setfl(&file, rustix::fs::OFlags::empty())?;
    Ok(file)
}

fn report(status: &mut File, r: &Report) {
    // ccrs may be gone; nothing to do then.
    let _ = status.write_all(r.encode().as_bytes());
}

/// The pids of our direct children (including re-parented orphans).
fn children() -> Vec<i32> {
    let mut pids = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return pids;
    };
    for t in tasks.flatten() {
        if let Ok(s) = std::fs::read_to_string(t.path().join("children")) {
            pids.extend(s.split_whitespace().filter_map(|p| p.parse::<i32>().ok()));
        }
    }
    pids
}

fn kill_pid(pid: i32, group: bool) {
    if let Some(p) = Pid::from_raw(pid) {
        if group {
            let _ = rustix::process::kill_process_group(p, Signal::KILL);
        } else {
            let _ = rustix::process::kill_process(p, Signal::KILL);
        }
    }
}

/// Kills the program's group (while the program, its leader, is unreaped its id cannot have
/// been reused) and every child, until none is left. Then exits.
fn kill_tree(program: i32, group: bool, program_reaped: &AtomicBool) -> ! {
    let until = Instant::now() + KILL_LIMIT;
    loop {
        if group && !program_reaped.load(Ordering::SeqCst) {
            kill_pid(program, true);
        }
        let kids = children();
        if kids.is_empty() || Instant::now() > until {
            break;
        }
        for k in kids {
            kill_pid(k, false);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    std::process::exit(0)
}

/// Replaces our stdin/stdout/stderr with /dev/null so the program's pipes reach end of file
/// when the program's processes close them, not when the helper exits.
fn release_stdio(devnull: &File) {
    let _ = rustix::stdio::dup2_stdin(devnull);
    let _ = rustix::stdio::dup2_stdout(devnull);
    let _ = rustix::stdio::dup2_stderr(devnull);
}

fn exit_of(st: rustix::process::WaitStatus) -> Exit {
    match (st.exit_status(), st.terminating_signal()) {
        (Some(c), _) => Exit::Code(c),
        (None, Some(s)) => Exit::Signal(s),
        _ => Exit::Code(-1),
    }
}

/// Runs the helper; `argv` is what follows [`super::HELPER_ARG`]. Returns the exit code.
pub fn main(argv: &[OsString]) -> i32 {
    let Ok(args) = HelperArgs::parse(argv) else {
        return 2;
    };
    let Ok(mut status) = open_parent_fd(args.ppid, args.status_fd, true) else {
        return ATTACH_FAILED;
    };
    let Ok(mut control) = open_parent_fd(args.ppid, args.control_fd, false) else {
        return ATTACH_FAILED;
    };
    // The race: ccrs may have died before we opened its pipes (and its pid been reused).
    if rustix::process::getppid().map(|p| p.as_raw_nonzero().get()) != Some(args.ppid) {
        return ATTACH_FAILED;
    }
    if args.probe {
        report(&mut status, &Report::Started(0));
        return 0;
    }
    let fail = |status: &mut File, errno: i32, message: String| {
        report(status, &Report::Failed { errno, message });
        1
    };
    let devnull = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        Ok(f) => f,
        Err(e) => return fail(&mut status, e.raw_os_error().unwrap_or(0), e.to_string()),
    };
    if let Err(e) = rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
        report(
            &mut status,
            &Report::Warning(format!("cannot become a subreaper: {e}")),
        );
    }
    if let Some(json) = &args.confine {
        let c: Confinement = match serde_json::from_str(json) {
            Ok(c) => c,
            Err(e) => return fail(&mut status, 0, format!("bad confinement: {e}")),
        };
        match super::confine::apply(&c) {
            Ok(warnings) => {
                for w in warnings {
                    report(&mut status, &Report::Warning(w));
                }
            }
            Err(e) => return fail(&mut status, 0, format!("cannot confine the command: {e}")),
        }
    }
    let mut cmd = std::process::Command::new(&args.program);
    cmd.args(&args.args);
    if args.group {
        cmd.process_group(0);
    }
    let child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            let message = format!("cannot run {}: {e}", args.program.to_string_lossy());
            return fail(&mut status, e.raw_os_error().unwrap_or(0), message);
        }
    };
    let program = child.id() as i32;
    // Reaped below with wait(); the handle is not needed.
    drop(child);
    release_stdio(&devnull);
    drop(devnull);
    report(&mut status, &Report::Started(program as u32));

    let reaped = Arc::new(AtomicBool::new(false));
    let spawned = std::thread::Builder::new().stack_size(64 * 1024).spawn({
        let reaped = reaped.clone();
        move || {
            let mut buf = [0u8; 64];
            // Nothing is ever written: this returns at end of file (or on error).
            while matches!(control.read(&mut buf), Ok(n) if n > 0) {}
            kill_tree(program, args.group, &reaped)
        }
    });
    if spawned.is_err() {
        // Without a watcher the tree could outlive ccrs: do not let it run.
        kill_tree(program, args.group, &reaped);
    }
    loop {
        match rustix::process::wait(WaitOptions::empty()) {
            Ok(Some((pid, st))) => {
                if pid.as_raw_nonzero().get() == program {
                    reaped.store(true, Ordering::SeqCst);
                    report(&mut status, &Report::Ended(exit_of(st)));
                }
            }
            Ok(None) => {}
            Err(rustix::io::Errno::INTR) => {}
            // ECHILD: no descendant is left.
            Err(_) => break,
        }
    }
    0
}
