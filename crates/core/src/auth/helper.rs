//! The `apiKeyHelper` setting: a shell command whose stdout is the key.

use super::AuthError;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Default cache lifetime of the helper's output (`CLAUDE_CODE_API_KEY_HELPER_TTL_MS`).
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// How long the helper may run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of the helper's stderr goes into an error message.
const STDERR_TAIL: usize = 400;

/// `CLAUDE_CODE_API_KEY_HELPER_TTL_MS`, else 5 minutes.
pub fn ttl_from_env() -> Duration {
    crate::env::parse::<u64>("CLAUDE_CODE_API_KEY_HELPER_TTL_MS")
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_TTL)
}

/// Runs `command` with `/bin/sh -c` and returns its trimmed stdout. The helper runs in its own
/// process group, killed whole on timeout (or when the run is dropped, e.g. the request waiting
/// for it was cancelled) so nothing it started lingers.
pub async fn run(command: &str, timeout: Duration) -> Result<String, AuthError> {
    let mut child = crate::process::Spawn::new("/bin/sh")
        .arg("-c")
        .arg(command)
        // Settings `env` entries reach child processes too.
        .envs(crate::env::overlay())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .await
        .map_err(|e| AuthError::Helper(format!("cannot start /bin/sh ({e})")))?;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let work = async {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let read_out = async {
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(s) = stderr.as_mut() {
                let _ = s.read_to_end(&mut err).await;
            }
        };
        tokio::join!(read_out, read_err);
        let status = child.wait().await;
        (status, out, err)
    };
    let (status, out, err) = match tokio::time::timeout(timeout, work).await {
        Ok(r) => {
            // What the helper started (an agent it needs next time) lives with the session.
            child.group().clone().keep_until_exit();
            tokio::spawn(child.wait_helper());
            r
        }
        Err(_) => {
            // Dropping `child` kills its process group on the way out.
            return Err(AuthError::Helper(format!(
                "`{}` did not finish within {}",
                short(command),
                human(timeout)
            )));
        }
    };
    let status =
        status.map_err(|e| AuthError::Helper(format!("cannot wait for the helper ({e})")))?;
    if !status.success() {
        let code = match status {
            crate::process::Exit::Code(c) => format!("status {c}"),
            crate::process::Exit::Signal(_) => "a signal".to_string(),
        };
        return Err(AuthError::Helper(format!(
            "`{}` exited with {code}{}",
            short(command),
            stderr_tail(&err)
        )));
    }
    let key = String::from_utf8_lossy(&out).trim().to_string();
    if key.is_empty() {
        return Err(AuthError::Helper(format!(
            "`{}` printed nothing on stdout{}",
            short(command),
            stderr_tail(&err)
        )));
    }
    Ok(key)
}

fn human(d: Duration) -> String {
    if d.as_millis().is_multiple_of(1000) {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// The command as shown in messages (it is the user's own setting; long ones are cut).
fn short(command: &str) -> String {
    let c = command.trim();
    if c.chars().count() > 80 {
        let mut s: String = c.chars().take(77).collect();
        s.push_str("...");
        s
    } else {
        c.to_string()
    }
}

fn stderr_tail(err: &[u8]) -> String {
    let text = String::from_utf8_lossy(err);
    let t = text.trim();
    if t.is_empty() {
        return String::new();
    }
    let n = t.chars().count();
    let tail: String = t.chars().skip(n.saturating_sub(STDERR_TAIL)).collect();
    format!(": {}", tail.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn output_is_trimmed() {
        assert_eq!(
            run("printf '  sk-ant-key \\n\\n'", DEFAULT_TIMEOUT)
                .await
                .unwrap(),
            "sk-ant-key"
        );
    }

    #[tokio::test]
    async fn failure_reports_status_and_stderr_tail() {
        let e = run(
            "echo noise; echo 'vault: permission denied' >&2; exit 3",
            DEFAULT_TIMEOUT,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("apiKeyHelper failed:"), "{e}");
        assert!(e.contains("status 3"), "{e}");
        assert!(e.contains("vault: permission denied"), "{e}");
        // stdout (possibly a secret) is never shown.
        assert!(!e.contains("sk-half-secret"), "{e}");
    }

    #[tokio::test]
    async fn long_stderr_is_cut_to_its_tail() {
        let e = run(
            "i=0; while [ $i -lt 300 ]; do echo line$i >&2; i=$((i+1)); done; exit 1",
            DEFAULT_TIMEOUT,
        )
        .await
        .unwrap_err()
        .to_string();
        assert!(e.contains("line299"), "{e}");
        assert!(!e.contains("line1\n"), "{e}");
        assert!(e.len() < 600, "{}", e.len());
    }

    #[tokio::test]
    async fn empty_output_is_an_error() {
        let e = run("true", DEFAULT_TIMEOUT).await.unwrap_err().to_string();
        assert!(e.contains("printed nothing"), "{e}");
    }

    #[tokio::test]
    async fn a_dropped_helper_run_kills_its_process_group() {
        // What happens when the request waiting for the credential is cancelled.
        let d = tempfile::tempdir().unwrap();
        let marker = d.path().join("still-running");
        let cmd = format!("(sleep 1.5; touch '{}') & sleep 30", marker.display());
        let dropped =
            tokio::time::timeout(Duration::from_millis(300), run(&cmd, DEFAULT_TIMEOUT)).await;
        assert!(dropped.is_err(), "the helper finished early");
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert!(
            !marker.exists(),
            "the helper's process group outlived the dropped run"
        );
    }

    #[tokio::test]
    async fn hanging_helper_times_out_and_is_killed() {
        let d = tempfile::tempdir().unwrap();
        let marker = d.path().join("still-running");
        // The grandchild would write the marker after 1.5 s if the process group survived.
        let cmd = format!("(sleep 1.5; touch '{}') & sleep 30", marker.display());
        let started = std::time::Instant::now();
        let e = run(&cmd, Duration::from_millis(300))
            .await
            .unwrap_err()
            .to_string();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(e.contains("did not finish within"), "{e}");
        tokio::time::sleep(Duration::from_millis(2000)).await;
        assert!(
            !marker.exists(),
            "the helper's process group outlived the timeout"
        );
    }
}
