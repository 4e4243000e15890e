//! What `/sandbox` shows: the mode, what is in force, and what the kernel supports.

use super::Sandbox;
use crate::process::confine::{KernelSupport, kernel_support};
use crate::settings::SandboxSettings;
use std::path::PathBuf;

/// The sandbox's state, for `/sandbox` (the TUI renders it; [`SandboxReport::lines`] is a
/// plain rendering).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxReport {
    /// "off", "sandboxed, auto-allow", "sandboxed, regular permissions", "unavailable".
    pub mode: String,
    pub enabled: bool,
    pub in_force: bool,
    /// Why it is not in force although enabled.
    pub unavailable: Option<String>,
    pub kernel: KernelSupport,
    pub exec_helper: String,
    pub writable: Vec<PathBuf>,
    pub deny_read: Vec<PathBuf>,
    pub deny_write: Vec<PathBuf>,
    pub network: String,
    pub excluded_commands: Vec<String>,
    pub allow_unsandboxed_commands: bool,
    pub hidden_env: Vec<String>,
    pub not_enforced: Vec<String>,
}

fn helper_text() -> String {
    use crate::process::HelperState;
    match crate::process::helper_state() {
        HelperState::None => "none (commands cannot be confined)".into(),
        HelperState::Unprobed | HelperState::Works => "ccrs (re-executed)".into(),
        HelperState::Broken(why) => format!("broken: {why}"),
    }
}

pub(super) fn build(sb: Option<&Sandbox>, s: &SandboxSettings) -> SandboxReport {
    let kernel = sb.map(Sandbox::kernel).unwrap_or_else(kernel_support);
    let in_force = sb.is_some_and(Sandbox::in_force);
    let mode = match (s.enabled, in_force) {
        (false, _) => "off".to_string(),
        (true, false) => "unavailable: commands run unsandboxed".to_string(),
        (true, true) if s.auto_allow_bash_if_sandboxed => {
            "sandboxed, auto-allow (no question for sandboxed commands)".to_string()
        }
        (true, true) => "sandboxed, regular permissions".to_string(),
    };
    let c = sb.map(Sandbox::confinement);
    SandboxReport {
        mode,
        enabled: s.enabled,
        in_force,
        unavailable: sb.and_then(|b| b.unavailable().map(str::to_string)),
        kernel,
        exec_helper: helper_text(),
        writable: c.map(|c| c.write.clone()).unwrap_or_default(),
        deny_read: c.map(|c| c.deny_read.clone()).unwrap_or_default(),
        deny_write: c.map(|c| c.deny_write.clone()).unwrap_or_default(),
        network: match sb.and_then(Sandbox::proxy_url) {
            _ if !kernel.tcp() => "not confined (the kernel lacks Landlock TCP rules)".into(),
            Some(url) => format!(
                "through the proxy {url} to: {} (other hosts are asked about; UDP and Unix sockets refused)",
                sb.map(Sandbox::allowed_domains)
                    .unwrap_or_default()
                    .join(", ")
            ),
            None => "none (no TCP connections; UDP and Unix sockets refused)".into(),
        },
        excluded_commands: s.excluded_commands.clone(),
        allow_unsandboxed_commands: s.allow_unsandboxed_commands,
        hidden_env: s.deny_env.clone(),
        not_enforced: sb.map(|b| b.not_enforced().to_vec()).unwrap_or_default(),
    }
}

impl SandboxReport {
    /// A plain-text rendering, one fact a line.
    pub fn lines(&self) -> Vec<String> {
        let list = |v: &[PathBuf]| -> String {
            if v.is_empty() {
                "none".into()
            } else {
                v.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let k = self.kernel;
        let mut out = vec![
            format!("Sandbox: {}", self.mode),
            format!(
                "Kernel: Landlock {} (filesystem {}, TCP rules {}, signal/socket scoping {})",
                if k.abi > 0 {
                    format!("ABI {}", k.abi)
                } else {
                    "missing".into()
                },
                yes(k.filesystem()),
                yes(k.tcp()),
                yes(k.scopes())
            ),
            format!("Exec helper: {}", self.exec_helper),
        ];
        if let Some(u) = &self.unavailable {
            out.push(format!("Unavailable: {u}"));
        }
        if self.enabled {
            out.push(format!("Writable: {}", list(&self.writable)));
            out.push(format!("Unreadable: {}", list(&self.deny_read)));
            out.push(format!(
                "Read-only inside writable: {}",
                list(&self.deny_write)
            ));
            out.push(format!("Network: {}", self.network));
            if !self.excluded_commands.is_empty() {
                out.push(format!(
                    "Run outside the sandbox: {}",
                    self.excluded_commands.join(", ")
                ));
            }
            if !self.hidden_env.is_empty() {
                out.push(format!("Hidden variables: {}", self.hidden_env.join(", ")));
            }
            out.push(format!(
                "dangerouslyDisableSandbox: {}",
                if self.allow_unsandboxed_commands {
                    "allowed, after a question"
                } else {
                    "refused by policy"
                }
            ));
            for n in &self.not_enforced {
                out.push(format!("Not enforced: {n}"));
            }
        }
        out
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
