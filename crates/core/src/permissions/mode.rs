use std::fmt;
use std::str::FromStr;

/// Permission mode (`--permission-mode`, `permissions.defaultMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Ask for anything that is not allowed by a rule or read-only.
    #[default]
    Default,
    /// File edits inside the working directories are allowed.
    AcceptEdits,
    /// Nothing that changes anything runs.
    Plan,
    /// Everything runs except what a deny (or ask) rule stops.
    BypassPermissions,
    /// Anything not allowed by a rule is denied without asking.
    DontAsk,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Default => "default",
            Mode::AcceptEdits => "acceptEdits",
            Mode::Plan => "plan",
            Mode::BypassPermissions => "bypassPermissions",
            Mode::DontAsk => "dontAsk",
        }
    }

    pub const ALL: [Mode; 5] = [
        Mode::Default,
        Mode::AcceptEdits,
        Mode::Plan,
        Mode::BypassPermissions,
        Mode::DontAsk,
    ];
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "default" | "manual" => Ok(Mode::Default),
            "acceptEdits" => Ok(Mode::AcceptEdits),
            "plan" => Ok(Mode::Plan),
            "bypassPermissions" => Ok(Mode::BypassPermissions),
            "dontAsk" => Ok(Mode::DontAsk),
            other => Err(format!(
                "invalid permission mode '{other}' (expected one of: default, acceptEdits, plan, bypassPermissions, dontAsk)"
            )),
        }
    }
}
