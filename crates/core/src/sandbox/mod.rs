//! The Bash sandbox of a session: from the `sandbox` settings to the [`Confinement`] the exec
//! helper applies (Landlock + socket filter), which command runs sandboxed, what `/sandbox`
//! shows, and how a failure caused by the sandbox is explained. See docs/sandbox.md.
//!
//! API for the permission engine: [`Sandbox::shell_mode`] tells, for one Bash call, whether it
//! runs sandboxed with auto-allow, sandboxed with the regular flow, or outside the sandbox on
//! the model's request (`dangerouslyDisableSandbox`, which always asks). The Bash tool maps that
//! to its `Subject` (`Shell`, `SandboxedShell`, `UnsandboxedShell`).

mod paths;
pub mod proxy;
mod report;

pub use report::SandboxReport;

use crate::process::Confinement;
use crate::process::confine::KernelSupport;
use crate::settings::SandboxSettings;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Devices every command may write (not create or remove).
const WRITABLE_DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
];
/// Trees every command may write besides the working directories.
const WRITABLE_TREES: &[&str] = &["/dev/shm"];
/// Never writable by a sandboxed command, even inside a writable directory: what runs code
/// outside the sandbox later (git hooks and config, Claude Code's and editors' project
/// settings, shell start-up files). The same set as the permission engine's protected paths
/// (docs/permissions.md), except that `.git` itself stays writable (git must work) and only
/// its hooks and config are closed.
const PROTECTED: &[&str] = &[
    ".git/hooks",
    ".git/config",
    ".claude",
    ".vscode",
    ".idea",
    ".husky",
    ".gitconfig",
    ".gitmodules",
    ".ripgreprc",
    ".mcp.json",
    ".claude.json",
    ".envrc",
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
    ".zlogout",
];

/// How one Bash call runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShellMode {
    /// No sandbox in force (disabled, or unavailable without `failIfUnavailable`).
    Off,
    /// Sandboxed; `auto_allow` when `autoAllowBashIfSandboxed` spares the question.
    Sandboxed { auto_allow: bool },
    /// Outside the sandbox: an `excludedCommands` match (regular permission flow).
    Excluded,
    /// Outside the sandbox because the model asked (`dangerouslyDisableSandbox`) and
    /// `allowUnsandboxedCommands` permits it: always asks.
    Unsandboxed,
}

/// Everything a sandboxed spawn needs.
#[derive(Clone, Debug)]
pub struct SandboxedSpawn {
    pub confine: Arc<Confinement>,
    pub env: Vec<(OsString, OsString)>,
    pub env_remove: Vec<OsString>,
    /// A directory the command may write (for the Bash tool's own temp files).
    pub temp_dir: PathBuf,
}

/// The session's sandbox.
#[derive(Debug)]
pub struct Sandbox {
    settings: SandboxSettings,
    cwd: PathBuf,
    working_dirs: Vec<PathBuf>,
    temp: TempDir,
    support: KernelSupport,
    /// Why it is not in force (kernel, helper), when enabled but unavailable.
    unavailable: Option<String>,
    confinement: Arc<Confinement>,
    /// Paths and rules the kernel cannot express (reported by `/sandbox`).
    not_enforced: Vec<String>,
    /// The domain proxy, when domains are allowed.
    proxy: Option<proxy::Proxy>,
    policy: Arc<proxy::Policy>,
    prompter: proxy::PrompterSlot,
    /// Why the proxy is not running although domains are allowed.
    proxy_error: Option<String>,
}

/// The session's temp dir, removed with the sandbox.
#[derive(Debug)]
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Removes the temp dirs of this user's sessions whose ccrs is gone (killed before it could
/// clean up). The name carries the owner's pid; a reused pid only delays the removal.
fn sweep_stale_temp_dirs(base: &Path, uid: u32) {
    let prefix = format!("ccrs-sandbox-{uid}-");
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let owned = e
            .metadata()
            .is_ok_and(|m| std::os::unix::fs::MetadataExt::uid(&m) == uid);
        if owned && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn new_temp_dir() -> std::io::Result<TempDir> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    let uid = rustix::process::getuid().as_raw();
    sweep_stale_temp_dirs(&base, uid);
    let dir = base.join(format!(
        "ccrs-sandbox-{uid}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(TempDir(crate::paths::canonicalize_lenient(&dir)))
}

impl Sandbox {
    /// The sandbox for a session in `cwd` with these working directories; `Ok(None)` when the
    /// settings do not enable it. An error only when it is enabled, cannot work here and
    /// `failIfUnavailable` is set (the front end refuses to start).
    pub fn new(
        settings: SandboxSettings,
        cwd: &Path,
        working_dirs: &[PathBuf],
    ) -> Result<Option<Sandbox>, String> {
        if !settings.enabled {
            return Ok(None);
        }
        let support = crate::process::confine::kernel_support();
        let mut unavailable = None;
        if !support.filesystem() {
            unavailable = Some(
                "this kernel has no Landlock (Linux 5.13+ with landlock enabled in the LSM list)"
                    .to_string(),
            );
        } else if crate::process::helper().is_none() {
            unavailable = Some("no exec helper is configured (library use)".to_string());
        }
        if let Some(why) = &unavailable
            && settings.fail_if_unavailable
        {
            return Err(format!(
                "sandbox.failIfUnavailable is set but the sandbox cannot start: {why}"
            ));
        }
        let temp =
            new_temp_dir().map_err(|e| format!("cannot create the sandbox temp dir: {e}"))?;
        let cwd = crate::paths::canonicalize_lenient(cwd);
        let mut dirs: Vec<PathBuf> = vec![cwd.clone()];
        for d in working_dirs {
            let d = crate::paths::canonicalize_lenient(d);
            if !dirs.contains(&d) {
                dirs.push(d);
            }
        }
        let policy = Arc::new(proxy::Policy {
            allowed: std::sync::Mutex::new(settings.allowed_domains.clone()),
            denied: settings.denied_domains.clone(),
            local_settings: Some(cwd.join(".claude").join("settings.local.json")),
        });
        let prompter = proxy::PrompterSlot::default();
        let (proxy, proxy_error) = if settings.allowed_domains.is_empty() || unavailable.is_some() {
            (None, None)
        } else {
            match proxy::Proxy::start(policy.clone(), prompter.clone()) {
                Ok(p) => (Some(p), None),
                Err(e) => (None, Some(format!("cannot start the network proxy: {e}"))),
            }
        };
        let mut sb = Sandbox {
            settings,
            cwd,
            working_dirs: dirs,
            temp,
            support,
            unavailable,
            confinement: Arc::new(Confinement::default()),
            not_enforced: Vec::new(),
            proxy,
            policy,
            prompter,
            proxy_error,
        };
        sb.confinement = Arc::new(sb.build_confinement());
        Ok(Some(sb))
    }

    pub fn settings(&self) -> &SandboxSettings {
        &self.settings
    }

    /// Whether commands really run confined.
    pub fn in_force(&self) -> bool {
        self.unavailable.is_none()
    }

    /// Warnings for the front end to print once at start.
    pub fn startup_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if let Some(why) = &self.unavailable {
            w.push(format!(
                "sandbox.enabled is set but the sandbox is unavailable ({why}); Bash commands run unsandboxed"
            ));
        }
        for k in &self.settings.unsupported {
            w.push(format!(
                "{k} is not supported by ccrs's sandbox and is ignored"
            ));
        }
        if let Some(e) = &self.proxy_error {
            w.push(format!("sandbox: {e}; sandboxed commands have no network"));
        }
        for n in &self.not_enforced {
            w.push(format!("sandbox: {n}"));
        }
        w
    }

    fn build_confinement(&mut self) -> Confinement {
        let home = crate::paths::home_dir();
        let mut resolve = |list: &[crate::settings::SettingPath]| -> Vec<PathBuf> {
            let mut out = Vec::new();
            for p in list {
                match paths::resolve(p, &self.cwd, home.as_deref()) {
                    Ok(path) => out.push(path),
                    Err(why) => self.not_enforced.push(why),
                }
            }
            out
        };
        let allow_write = resolve(&self.settings.allow_write.clone());
        let deny_write = resolve(&self.settings.deny_write.clone());
        let allow_read = resolve(&self.settings.allow_read.clone());
        let deny_read: Vec<PathBuf> = resolve(&self.settings.deny_read.clone())
            .into_iter()
            // allowRead re-opens a denied path it names exactly (or contains).
            .filter(|d| !allow_read.iter().any(|a| d.starts_with(a)))
            .collect();
        let mut write: Vec<PathBuf> = self.working_dirs.clone();
        write.push(self.temp.0.clone());
        write.extend(WRITABLE_TREES.iter().map(PathBuf::from));
        write.extend(allow_write);
        Confinement {
            write,
            write_files: WRITABLE_DEVICES.iter().map(PathBuf::from).collect(),
            deny_read,
            deny_write,
            // Filled per spawn (see `protected_now`).
            read_only: Vec::new(),
            // Network: only the proxy's port (none without allowed domains).
            connect_tcp: Some(self.proxy.iter().map(proxy::Proxy::port).collect()),
            bind_tcp: self.settings.allow_local_binding,
            unix_sockets: self.settings.allow_all_unix_sockets,
            udp: false,
        }
    }

    /// How a Bash call of `command` runs.
    pub fn shell_mode(&self, command: &str, dangerously_disable: bool) -> ShellMode {
        if !self.in_force() {
            return ShellMode::Off;
        }
        if dangerously_disable && self.settings.allow_unsandboxed_commands {
            return ShellMode::Unsandboxed;
        }
        if self.is_excluded(command) {
            return ShellMode::Excluded;
        }
        ShellMode::Sandboxed {
            auto_allow: self.settings.auto_allow_bash_if_sandboxed,
        }
    }

    /// Whether every simple command of `command` matches an `excludedCommands` pattern. Calls
    /// with substitutions, redirections or `cd` always stay sandboxed (as in Claude Code).
    fn is_excluded(&self, command: &str) -> bool {
        if self.settings.excluded_commands.is_empty()
            || command.contains(['`', '>', '<', '(', ')', '$', '\n'])
        {
            return false;
        }
        let parts: Vec<&str> = command
            .split(['&', '|', ';'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        !parts.is_empty()
            && parts.iter().all(|p| {
                !p.starts_with("cd ")
                    && self
                        .settings
                        .excluded_commands
                        .iter()
                        .any(|pat| paths::command_matches(pat, p))
            })
    }

    /// Protected paths that exist now but not in `before` (a sandboxed command can create a
    /// protected path that did not exist when it started: only existing ones are bound
    /// read-only). The Bash tool tells the model and the user about them.
    pub fn new_protected_paths(&self, before: &[PathBuf]) -> Vec<PathBuf> {
        self.protected_now()
            .into_iter()
            .filter(|p| !before.contains(p))
            .collect()
    }

    /// The protected paths that exist now inside the writable trees (a `git init` during the
    /// session adds `.git/hooks`): bound read-only by the helper.
    pub fn protected_now(&self) -> Vec<PathBuf> {
        let home = crate::paths::home_dir().map(|h| crate::paths::canonicalize_lenient(&h));
        let mut roots: Vec<&Path> = Vec::new();
        for w in &self.confinement.write {
            if w.starts_with("/dev") || *w == self.temp.0 {
                continue;
            }
            roots.push(w);
        }
        let mut out = Vec::new();
        let mut add = |base: &Path| {
            for name in PROTECTED {
                let p = base.join(name);
                if p.symlink_metadata().is_ok() && !out.contains(&p) {
                    out.push(p);
                }
            }
        };
        for r in &roots {
            add(r);
            if let Some(h) = &home
                && h.starts_with(r)
            {
                add(h);
            }
        }
        out
    }

    /// The confinement and environment of a sandboxed spawn.
    pub fn spawn_parts(&self) -> SandboxedSpawn {
        let mut env_remove: Vec<OsString> =
            self.settings.deny_env.iter().map(OsString::from).collect();
        let mut env: Vec<(OsString, OsString)> = vec![
            ("TMPDIR".into(), self.temp.0.clone().into_os_string()),
            ("CCRS_SANDBOX".into(), "1".into()),
        ];
        // Every connection must go through the proxy (nothing else is reachable).
        const PROXY_VARS: &[&str] = &[
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "http_proxy",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
        ];
        match &self.proxy {
            Some(p) => env.extend(PROXY_VARS.iter().map(|k| ((*k).into(), p.url().into()))),
            None => env_remove.extend(PROXY_VARS.iter().map(OsString::from)),
        }
        for k in ["NO_PROXY", "no_proxy"] {
            env_remove.push(k.into());
        }
        let mut confine = (*self.confinement).clone();
        confine.read_only = self.protected_now();
        SandboxedSpawn {
            confine: Arc::new(confine),
            env,
            env_remove,
            temp_dir: self.temp.0.clone(),
        }
    }

    pub fn confinement(&self) -> &Confinement {
        &self.confinement
    }

    /// Lets the proxy ask the user about hosts no list decides (print mode's prompter denies).
    pub fn set_prompter(&self, p: Arc<dyn crate::permissions::PermissionPrompter>) {
        self.prompter.set(p);
    }

    /// The proxy's address, when one runs.
    pub fn proxy_url(&self) -> Option<String> {
        self.proxy.as_ref().map(proxy::Proxy::url)
    }

    /// The domains allowed so far (settings, rules and the user's answers).
    pub fn allowed_domains(&self) -> Vec<String> {
        self.policy
            .allowed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The `/sandbox` report.
    pub fn report(&self) -> SandboxReport {
        report::build(Some(self), &self.settings)
    }

    /// A note for the model and the user when a sandboxed command failed and its output shows
    /// the sandbox in the way: which path it could not write or read.
    pub fn explain_failure(&self, output: &str, cwd: &Path) -> Option<String> {
        let blocked = paths::blocked_paths(output, cwd, &self.confinement);
        let retry = if self.settings.allow_unsandboxed_commands {
            " If the command must run outside the sandbox, retry it with dangerouslyDisableSandbox: true (the user will be asked)."
        } else {
            " Running outside the sandbox is disabled by policy (sandbox.allowUnsandboxedCommands: false)."
        };
        if let Some((path, why)) = blocked.first() {
            return Some(format!(
                "The sandbox blocked {why} {}.{retry}",
                path.display()
            ));
        }
        if let Some(i) = output.find("ccrs sandbox: ") {
            let host = output[i + "ccrs sandbox: ".len()..]
                .split_whitespace()
                .next()
                .unwrap_or("");
            return Some(format!(
                "The sandbox blocked a connection to {host}: it is not an allowed domain (sandbox.network.allowedDomains, or WebFetch(domain:{host}) in permissions.allow).{retry}"
            ));
        }
        let lower = output.to_ascii_lowercase();
        let network = [
            "could not resolve host",
            "network is unreachable",
            "temporary failure in name resolution",
            "name or service not known",
            "connection refused",
            "failed to connect",
        ];
        if network.iter().any(|n| lower.contains(n)) {
            return Some(format!("Sandboxed commands have no network access.{retry}"));
        }
        None
    }

    /// Whether the kernel supports what the sandbox needs.
    pub fn kernel(&self) -> KernelSupport {
        self.support
    }

    pub fn temp_dir(&self) -> &Path {
        &self.temp.0
    }

    pub fn working_dirs(&self) -> &[PathBuf] {
        &self.working_dirs
    }

    pub fn not_enforced(&self) -> &[String] {
        &self.not_enforced
    }

    pub fn unavailable(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }
}

/// The `/sandbox` report when no sandbox is configured.
pub fn report_disabled(settings: &SandboxSettings) -> SandboxReport {
    report::build(None, settings)
}

/// What [`run_sandboxed`] observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxRun {
    pub exit: crate::process::Exit,
    /// stdout and stderr, merged.
    pub output: String,
}

/// Runs `command` with `bash -c` in `cwd` under the sandbox a session in `cwd` would use with
/// `settings` (`enabled` is forced on). For adversarial tests of the permission analyzer: run
/// what it allowed and check that nothing outside the boundary changed. Needs the exec helper
/// (`process::set_helper` with the `ccrs` binary, as the cli's tests can do).
pub async fn run_sandboxed(
    command: &str,
    cwd: &Path,
    mut settings: SandboxSettings,
) -> std::io::Result<SandboxRun> {
    settings.enabled = true;
    settings.fail_if_unavailable = true;
    let sb = Sandbox::new(settings, cwd, &[])
        .map_err(std::io::Error::other)?
        .ok_or_else(|| std::io::Error::other("sandbox not enabled"))?;
    let parts = sb.spawn_parts();
    let (mut reader, writer) = std::io::pipe()?;
    let mut spawn = crate::process::Spawn::new("bash")
        .arg("-c")
        .arg(command)
        .current_dir(cwd)
        .envs(parts.env)
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer)
        .confine(Some(parts.confine));
    for k in parts.env_remove {
        spawn = spawn.env_remove(k);
    }
    let mut child = spawn.spawn().await?;
    let exit = child.wait().await?;
    child.kill();
    let output = tokio::task::spawn_blocking(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut reader, &mut s);
        String::from_utf8_lossy(&s).into_owned()
    })
    .await
    .map_err(std::io::Error::other)?;
    Ok(SandboxRun { exit, output })
}
