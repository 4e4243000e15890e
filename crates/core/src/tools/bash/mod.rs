//! The `Bash` tool: runs a command line in a fresh shell in the session's persistent working
//! directory, with a bounded capture of its merged stdout/stderr, a timeout and cancellation
//! that kill the whole process group, or starts it in the background (see [`super::shells`]).
//!
//! A command that succeeds without printing anything yields `(no output)`, so the model never
//! sees an empty result.

pub mod capture;
pub mod command;

use self::capture::{Capture, DEFAULT_MAX_OUTPUT_CHARS, MAX_OUTPUT_CHARS_CEILING};
use self::command::benign_exit1;
use crate::BoxFuture;
use crate::cancel::CancelToken;
use crate::permissions::Dialect;
use crate::process::{Exit, ProcessGroup};
use crate::sandbox::ShellMode;
use crate::tools::shells::{ShellManager, SpawnSpec};
use crate::tools::{Subject, Tool, ToolContext, ToolOutput, schema};
use serde_json::{Value, json};
use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::time::Instant;

pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;
pub const MAX_TIMEOUT_MS: u64 = 600_000;
/// How long ccrs keeps reading after the shell exited, for output still in flight from
/// background children that inherited the pipe.
const EXIT_GRACE: Duration = Duration::from_millis(150);
/// Bound on reaping a killed shell (a process stuck in the kernel can delay its death).
const REAP_LIMIT: Duration = Duration::from_secs(2);
const READ_CHUNK: usize = 64 * 1024;

pub const ABORTED: &str = "<error>Command was aborted before completion</error>";
pub const NO_OUTPUT: &str = "(no output)";

/// The output cap in chars: `BASH_MAX_OUTPUT_LENGTH`, at most 150,000.
pub fn max_output_chars(ctx: &ToolContext) -> usize {
    ctx.env_u64("BASH_MAX_OUTPUT_LENGTH")
        .map(|n| (n as usize).min(MAX_OUTPUT_CHARS_CEILING))
        .unwrap_or(DEFAULT_MAX_OUTPUT_CHARS)
}

/// The default and maximum timeouts (ms): `BASH_DEFAULT_TIMEOUT_MS` and `BASH_MAX_TIMEOUT_MS`
/// as read by `var` (positive numbers), the max never below the default.
fn timeout_bounds(var: impl Fn(&str) -> Option<u64>) -> (u64, u64) {
    let default = var("BASH_DEFAULT_TIMEOUT_MS").unwrap_or(DEFAULT_TIMEOUT_MS);
    let max = var("BASH_MAX_TIMEOUT_MS")
        .unwrap_or(MAX_TIMEOUT_MS)
        .max(default);
    (default, max)
}

/// The timeout for a call: the requested ms (default `BASH_DEFAULT_TIMEOUT_MS`), clamped to
/// `BASH_MAX_TIMEOUT_MS` (never below the default).
fn timeout_ms(ctx: &ToolContext, requested: Option<f64>) -> u64 {
    let (default, max) = timeout_bounds(|k| ctx.env_u64(k));
    match requested {
        Some(t) if t.is_finite() && t >= 1.0 => (t as u64).min(max),
        _ => default,
    }
}

fn format_secs(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{:.1}s", ms as f64 / 1000.0)
    }
}

pub struct BashTool {
    description: String,
}

impl Default for BashTool {
    fn default() -> Self {
        Self::new()
    }
}

impl BashTool {
    pub fn new() -> Self {
        // No call context yet: the settings overlay and ccrs's environment.
        let (default, max) = timeout_bounds(|k| crate::env::parse::<u64>(k).filter(|n| *n > 0));
        BashTool {
            description: format!(
                "Runs a shell command (stdout and stderr combined). The cwd persists between \
                 calls; exported variables do not. Quote paths with spaces. Prefer \
                 Read/Grep/Glob/Edit to cat/grep/find/sed. timeout in ms (default {default}, max \
                 {max}); for long runs use run_in_background, then BashOutput."
            ),
        }
    }
}

/// Why the foreground run stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    Exited(Exit),
    TimedOut,
    Aborted,
}

/// Keeps reading a pipe that background children still hold, so they do not die of SIGPIPE
/// once ccrs stops listening; end of file means the whole group is gone.
fn spawn_drain(mut rx: pipe::Receiver, group: Arc<ProcessGroup>) {
    tokio::spawn(async move {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = rx.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
        group.mark_gone_if_direct();
    });
}

/// Runs the shell in the foreground until it exits (plus a short grace for in-flight output),
/// times out or is cancelled. Returns the captured text and how it ended.
async fn run_foreground(
    spec: &SpawnSpec,
    timeout: Duration,
    cancel: &CancelToken,
    max_chars: usize,
    shells: &ShellManager,
) -> std::io::Result<(String, Ended, Vec<String>)> {
    let (reader, writer) = std::io::pipe()?;
    // The command (holding the pipe's write ends) drops after `spawn`, so EOF comes when the
    // children exit.
    let mut child = spec.spawn(writer)?.spawn().await?;
    let warnings = child.warnings().to_vec();
    let group = child.group().clone();
    let mut rx = pipe::Receiver::from_owned_fd(OwnedFd::from(reader))?;
    let mut cap = Capture::new(max_chars);
    let mut buf = vec![0u8; READ_CHUNK];
    let deadline = tokio::time::sleep(timeout);
    let grace = tokio::time::sleep(Duration::from_secs(86_400));
    tokio::pin!(deadline, grace);
    let mut status: Option<Exit> = None;
    let mut eof = false;
    let ended = loop {
        if eof && let Some(st) = status {
            break Ended::Exited(st);
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled() => break Ended::Aborted,
            _ = &mut deadline => break Ended::TimedOut,
            st = child.wait(), if status.is_none() => {
                status = Some(st.unwrap_or(Exit::Code(-1)));
                grace.as_mut().reset(Instant::now() + EXIT_GRACE);
            }
            _ = &mut grace, if status.is_some() => {
                if let Some(st) = status {
                    break Ended::Exited(st);
                }
            }
            r = rx.read(&mut buf), if !eof => match r {
                Ok(0) => eof = true,
                Ok(n) => cap.push(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => eof = true,
            },
        }
    };
    if matches!(ended, Ended::Exited(_)) {
        // The shell is reaped; what it left running in the background lives on until the
        // session ends (or ccrs dies).
        if eof {
            group.mark_gone_if_direct();
        }
        if group.may_be_alive() {
            shells.track_lingering(group.clone());
        }
        tokio::spawn(child.wait_helper());
    } else {
        group.kill();
        let _ = tokio::time::timeout(REAP_LIMIT, child.wait()).await;
        // Collect what the killed processes wrote before dying.
        let until = Instant::now() + EXIT_GRACE;
        while !eof {
            match tokio::time::timeout_at(until, rx.read(&mut buf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => eof = true,
                Ok(Ok(n)) => cap.push(&buf[..n]),
                Err(_) => break,
            }
        }
    }
    if !eof {
        // Whoever still holds the pipe must not die of SIGPIPE while the group lives.
        spawn_drain(rx, group);
    }
    Ok((cap.finish(), ended, warnings))
}

/// Reads the directory the EXIT trap recorded and makes it the session's shell cwd. Returns a
/// note when it had to be reset to the project directory.
fn adopt_final_cwd(ctx: &ToolContext, cwd_file: &Path) -> Option<String> {
    let bytes = std::fs::read(cwd_file).ok()?;
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    let dir = PathBuf::from(OsStr::from_bytes(bytes));
    if !dir.is_absolute() || !dir.is_dir() {
        return None;
    }
    if ctx.env_flag("CLAUDE_BASH_MAINTAIN_PROJECT_WORKING_DIR") {
        command::set_shell_cwd(ctx, ctx.cwd.clone());
        return None;
    }
    if command::inside_working_dirs(ctx, &dir) {
        command::set_shell_cwd(ctx, dir);
        None
    } else {
        command::set_shell_cwd(ctx, ctx.cwd.clone());
        Some(format!("Shell cwd was reset to {}", ctx.cwd.display()))
    }
}

/// Removes the trap's temp file however the call ends.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The model's `dangerouslyDisableSandbox` flag.
fn disable_sandbox(input: &Value) -> bool {
    input
        .get("dangerouslyDisableSandbox")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn structured(stdout: &str, interrupted: bool) -> Value {
    json!({
        "stdout": stdout,
        "stderr": "",
        "interrupted": interrupted,
        "isImage": false,
        "noOutputExpected": false,
    })
}

fn join_nonempty(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

impl BashTool {
    /// Runs the command in the directory and with the shell the permission engine checked
    /// (`subject`, from [`Tool::subject`]): never a directory or shell resolved again.
    async fn run(&self, input: Value, subject: &Subject, ctx: &ToolContext) -> ToolOutput {
        let Some(command) = input.get("command").and_then(Value::as_str) else {
            return ToolOutput::tool_use_error("The required parameter `command` is missing");
        };
        if command.trim().is_empty() {
            return ToolOutput::tool_use_error("`command` is empty");
        }
        if ctx.cancel.is_cancelled() {
            return ToolOutput::error(ABORTED).with_structured(structured("", true));
        }
        let (Subject::Shell {
            cwd: checked_cwd,
            dialect,
            ..
        }
        | Subject::SandboxedShell {
            cwd: checked_cwd,
            dialect,
            ..
        }
        | Subject::UnsandboxedShell {
            cwd: checked_cwd,
            dialect,
            ..
        }) = subject
        else {
            return ToolOutput::error(
                "internal error: the Bash call was not checked as a shell command",
            );
        };
        let shell = command::shell_path(ctx);
        if Dialect::of_shell(&shell) != *dialect {
            return ToolOutput::error(format!(
                "The shell changed since the command was checked ({} is not {dialect:?}); run it again.",
                shell.display()
            ));
        }
        let (cwd, cwd_note) = command::adopt_checked_cwd(ctx, checked_cwd);
        let env_file = ctx
            .env_var("CLAUDE_ENV_FILE")
            .map(PathBuf::from)
            .filter(|p| p.is_file());
        let background = input
            .get("run_in_background")
            .and_then(Value::as_bool)
            .unwrap_or(false)
            && !ctx.env_flag("CLAUDE_CODE_DISABLE_BACKGROUND_TASKS");
        let mut env: Vec<(OsString, OsString)> = command::child_env(ctx);
        let note = cwd_note.as_deref().unwrap_or("");
        let sandbox = ctx.session.sandbox.get().cloned();
        let sandboxed = match &sandbox {
            Some(sb) => matches!(
                sb.shell_mode(command, disable_sandbox(&input)),
                ShellMode::Sandboxed { .. }
            )
            .then(|| sb.spawn_parts()),
            None => None,
        };
        let (confine, env_remove, temp_dir) = match sandboxed {
            Some(p) => {
                env.extend(p.env);
                (Some(p.confine), p.env_remove, Some(p.temp_dir))
            }
            None => (None, Vec::new(), None),
        };
        let protected_before = confine.as_ref().map(|c| c.read_only.clone());
        if matches!(subject, Subject::SandboxedShell { .. }) && confine.is_none() {
            // It was allowed because it would run in the sandbox.
            return ToolOutput::error(
                "internal error: the command was allowed to run in the sandbox, which is not set up",
            );
        }

        if background {
            let spec = SpawnSpec {
                shell,
                script: command::build_script(command, None, env_file.as_deref()),
                cwd,
                env,
                env_remove,
                confine,
            };
            return match ctx.session.shells.start(command, &spec).await {
                Ok(id) => {
                    let text = format!("Command running in background with ID: {id}");
                    let mut s = structured("", false);
                    s["backgroundTaskId"] = json!(id);
                    ToolOutput::ok(join_nonempty(&[&text, note])).with_structured(s)
                }
                Err(e) => ToolOutput::error(format!("Failed to start the command: {e}")),
            };
        }

        // Inside the sandbox only its temp dir is writable for the EXIT trap.
        let cwd_file = TempFile(
            temp_dir
                .unwrap_or_else(std::env::temp_dir)
                .join(format!("ccrs-cwd-{}", uuid::Uuid::new_v4().simple())),
        );
        let sandboxed = confine.is_some();
        let spec = SpawnSpec {
            shell,
            script: command::build_script(command, Some(&cwd_file.0), env_file.as_deref()),
            cwd: cwd.clone(),
            env,
            env_remove,
            confine,
        };
        let timeout = timeout_ms(ctx, input.get("timeout").and_then(Value::as_f64));
        let max_chars = max_output_chars(ctx);
        let (output, ended, warnings) = match run_foreground(
            &spec,
            Duration::from_millis(timeout),
            &ctx.cancel,
            max_chars,
            &ctx.session.shells,
        )
        .await
        {
            Ok(r) => r,
            Err(e) => {
                return ToolOutput::error(format!("Failed to run {}: {e}", spec.shell.display()));
            }
        };
        let mut notes: Vec<String> = cwd_note.into_iter().collect();
        // What the sandbox could not enforce on this machine.
        notes.extend(warnings.into_iter().map(|w| format!("Sandbox: {w}")));
        if matches!(ended, Ended::Exited(_))
            && let Some(n) = adopt_final_cwd(ctx, &cwd_file.0)
        {
            notes.push(n);
        }
        if let (Some(before), Some(sb)) = (&protected_before, &sandbox) {
            for p in sb.new_protected_paths(before) {
                notes.push(format!(
                    "Warning: the command created {}, a protected path (it can make code run outside the sandbox later); the user should review it.",
                    p.display()
                ));
            }
        }
        if sandboxed
            && matches!(ended, Ended::Exited(e) if !e.success())
            && let Some(sb) = &sandbox
            && let Some(n) = sb.explain_failure(&output, &cwd)
        {
            notes.push(n);
        }
        let notes = notes.join("\n");
        let benign = benign_exit1(command);
        let (text, is_error, interrupted) = match ended {
            Ended::Exited(exit) if exit.success() => {
                (join_nonempty(&[&output, &notes]), false, false)
            }
            Ended::Exited(Exit::Code(1)) if benign.is_some() => {
                let body = match benign {
                    Some(kind) if output.is_empty() => kind.empty_text(),
                    _ => &output,
                };
                (join_nonempty(&[body, &notes]), false, false)
            }
            Ended::Exited(Exit::Code(n)) => (
                join_nonempty(&[&format!("Exit code {n}"), &output, &notes]),
                true,
                false,
            ),
            Ended::Exited(e @ Exit::Signal(sig)) => (
                join_nonempty(&[
                    &format!(
                        "Exit code {} (killed by {})",
                        e.code(),
                        command::signal_name(sig)
                    ),
                    &output,
                    &notes,
                ]),
                true,
                false,
            ),
            Ended::TimedOut => (
                join_nonempty(&[
                    &output,
                    &format!("Command timed out after {}", format_secs(timeout)),
                    &notes,
                ]),
                true,
                true,
            ),
            Ended::Aborted => (join_nonempty(&[&output, ABORTED, &notes]), true, true),
        };
        let text = if text.is_empty() {
            NO_OUTPUT.to_string()
        } else {
            text
        };
        ToolOutput {
            content: crate::api::ToolResultContent::Text(text),
            is_error,
            structured: Some(structured(&output, interrupted)),
        }
    }
}

impl Tool for BashTool {
    fn name(&self) -> &str {
        "Bash"
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn input_schema(&self) -> Value {
        json!({
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "timeout": {"type": "number", "description": "Milliseconds"},
                "description": {"type": "string", "description": "What it does, in 5-10 words"},
                "run_in_background": {"type": "boolean"},
                "dangerouslyDisableSandbox": {"type": "boolean", "description": "Run outside the sandbox (asks the user)"}
            },
            "required": ["command"],
            "additionalProperties": false
        })
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn subject(&self, input: &Value, ctx: &ToolContext) -> Subject {
        let command = input
            .get("command")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let cwd = command::checked_cwd(ctx);
        let dialect = Dialect::of_shell(&command::shell_path(ctx));
        let mode = ctx
            .session
            .sandbox
            .get()
            .map(|sb| sb.shell_mode(&command, disable_sandbox(input)));
        match mode {
            Some(ShellMode::Sandboxed { auto_allow: true }) => Subject::SandboxedShell {
                command,
                cwd,
                dialect,
            },
            Some(ShellMode::Unsandboxed) => Subject::UnsandboxedShell {
                command,
                cwd,
                dialect,
            },
            _ => Subject::Shell {
                command,
                cwd,
                dialect,
            },
        }
    }

    fn call<'a>(&'a self, input: Value, ctx: &'a ToolContext) -> BoxFuture<'a, ToolOutput> {
        Box::pin(async move {
            let subject = self.subject(&input, ctx);
            self.run(input, &subject, ctx).await
        })
    }

    fn call_checked<'a>(
        &'a self,
        input: Value,
        subject: &'a Subject,
        ctx: &'a ToolContext,
    ) -> BoxFuture<'a, ToolOutput> {
        Box::pin(self.run(input, subject, ctx))
    }

    fn summary(&self, input: &Value) -> String {
        schema::shorten(
            input.get("command").and_then(Value::as_str).unwrap_or(""),
            80,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> (tempfile::TempDir, ToolContext) {
        let d = tempfile::tempdir().unwrap();
        let c = ToolContext::for_tests(d.path());
        (d, c)
    }

    #[test]
    fn timeout_is_defaulted_and_clamped() {
        let (_d, c) = ctx();
        assert_eq!(timeout_ms(&c, None), DEFAULT_TIMEOUT_MS);
        assert_eq!(timeout_ms(&c, Some(0.0)), DEFAULT_TIMEOUT_MS);
        assert_eq!(timeout_ms(&c, Some(-5.0)), DEFAULT_TIMEOUT_MS);
        assert_eq!(timeout_ms(&c, Some(5000.0)), 5000);
        assert_eq!(timeout_ms(&c, Some(9e9)), MAX_TIMEOUT_MS);
        let mut c2 = c.clone();
        c2.env = std::sync::Arc::new(vec![
            ("BASH_DEFAULT_TIMEOUT_MS".into(), "700000".into()),
            ("BASH_MAX_TIMEOUT_MS".into(), "1000".into()),
        ]);
        // The max never falls below the default.
        assert_eq!(timeout_ms(&c2, None), 700_000);
        assert_eq!(timeout_ms(&c2, Some(9e9)), 700_000);
    }

    #[test]
    fn output_cap_honours_env_and_ceiling() {
        let (_d, mut c) = ctx();
        assert_eq!(max_output_chars(&c), 30_000);
        c.env = std::sync::Arc::new(vec![("BASH_MAX_OUTPUT_LENGTH".into(), "999999".into())]);
        assert_eq!(max_output_chars(&c), 150_000);
        c.env = std::sync::Arc::new(vec![("BASH_MAX_OUTPUT_LENGTH".into(), "500".into())]);
        assert_eq!(max_output_chars(&c), 500);
    }

    #[test]
    fn description_is_short() {
        let t = BashTool::new();
        let words = t.description().split_whitespace().count();
        assert!(words <= 60, "{words} words");
        assert!(
            crate::tools::schema::validate(
                &t.input_schema(),
                &json!({"command": "ls", "timeout": 5, "dangerouslyDisableSandbox": true})
            )
            .is_empty()
        );
    }

    #[test]
    fn seconds_format() {
        assert_eq!(format_secs(120_000), "120s");
        assert_eq!(format_secs(500), "0.5s");
    }

    #[test]
    fn subject_and_summary() {
        let (d, c) = ctx();
        let t = BashTool::new();
        let input = json!({"command": "cargo test\n--all"});
        assert_eq!(
            t.subject(&input, &c),
            Subject::Shell {
                command: "cargo test\n--all".into(),
                cwd: d.path().to_path_buf(),
                dialect: Dialect::of_shell(&command::shell_path(&c)),
            }
        );
        assert_eq!(t.summary(&input), "cargo test…");
    }
}
