//! Background shells started by `Bash` with `run_in_background` (filled in by the Bash tool).

/// The registry of background shells of one session.
#[derive(Default, Debug)]
pub struct ShellManager {}

impl ShellManager {
    /// Kills every background shell (called at exit).
    pub fn kill_all(&self) {}
}
