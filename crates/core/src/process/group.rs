//! Killing what a spawn started: the process group (or, under the exec helper, the whole tree
//! of descendants), exactly once, never a group whose id may have been reused.

use std::os::fd::OwnedFd;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Sends SIGKILL to the process group `pgid` (the group's leader pid). Errors (the group is gone)
/// are ignored.
pub fn kill_group(pgid: u32) {
    if pgid <= 1 {
        return;
    }
    if let Some(pid) = i32::try_from(pgid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

fn kill_process(pid: u32) {
    if let Some(pid) = i32::try_from(pid)
        .ok()
        .filter(|p| *p > 1)
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// The processes of one spawn, killed when [`kill`](Self::kill) is called or the last handle is
/// dropped. Share it (`Arc`) to keep what a command left running (`server &`) alive past its
/// [`Child`](super::Child) until the session ends.
///
/// Under the exec helper, killing closes the helper's control pipe: the helper, which is a
/// subreaper, kills the program's group and every descendant that left it, then exits. Without
/// the helper the group (or the lone process) is sent SIGKILL, unless [`mark_gone`](Self::mark_gone) said that every
/// member has exited (the id may then belong to someone else).
#[derive(Debug)]
pub struct ProcessGroup {
    pid: u32,
    pgid: Option<u32>,
    control: Mutex<Option<OwnedFd>>,
    supervised: bool,
    gone: AtomicBool,
}

impl ProcessGroup {
    pub(crate) fn new(pid: u32, pgid: Option<u32>, control: Option<OwnedFd>) -> Self {
        ProcessGroup {
            pid,
            pgid,
            supervised: control.is_some(),
            control: Mutex::new(control),
            gone: AtomicBool::new(false),
        }
    }

    /// A group that refers to nothing (for tests of code that holds one).
    pub fn detached_for_tests() -> Self {
        let g = ProcessGroup::new(0, None, None);
        g.gone.store(true, Ordering::SeqCst);
        g
    }

    /// The process group id (the program's pid) when the program leads its own group.
    pub fn pgid(&self) -> Option<u32> {
        self.pgid
    }

    /// Whether a kill may still reach something: not killed yet and not known to be gone.
    pub fn may_be_alive(&self) -> bool {
        !self.gone.load(Ordering::SeqCst)
    }

    /// Records that every member has exited (e.g. the group's output pipe reached end of file
    /// after the leader was reaped): later kills send nothing.
    pub fn mark_gone(&self) {
        self.gone.store(true, Ordering::SeqCst);
        // The helper exits by itself once its tree is empty; the pipe is no longer needed.
        self.control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    /// [`mark_gone`](Self::mark_gone) for a direct spawn, where the caller's evidence (leader
    /// reaped, pipe closed) is all there is; under the helper the helper's own exit says it.
    pub fn mark_gone_if_direct(&self) {
        if !self.supervised {
            self.mark_gone();
        }
    }

    /// Kills every process of the spawn. Idempotent.
    pub fn kill(&self) {
        let control = self
            .control
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if self.gone.swap(true, Ordering::SeqCst) {
            return;
        }
        match control {
            // End of file on the control pipe is the helper's order to kill its tree.
            Some(fd) => drop(fd),
            None => match self.pgid {
                Some(pgid) => kill_group(pgid),
                None => kill_process(self.pid),
            },
        }
    }
}

/// Groups kept alive until ccrs exits (see [`ProcessGroup::keep_until_exit`]).
static KEPT: Mutex<Vec<std::sync::Arc<ProcessGroup>>> = Mutex::new(Vec::new());

impl ProcessGroup {
    /// Lets what the spawn left running (a daemon a credential helper started) live until ccrs
    /// exits, when the exec helper kills it; without the helper it is left alone.
    pub fn keep_until_exit(self: std::sync::Arc<Self>) {
        let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|g| g.may_be_alive());
        if self.may_be_alive() {
            kept.push(self);
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_is_idempotent_and_respects_gone() {
        let g = ProcessGroup::new(0, None, None);
        assert!(g.may_be_alive());
        g.kill();
        assert!(!g.may_be_alive());
        g.kill();
        let g = ProcessGroup::new(1, Some(1), None);
        g.mark_gone();
        assert!(!g.may_be_alive());
    }
}
