//! What one hook answered: its exit code and output read the way Claude Code reads them.
//! Exit 0 is success (stdout that starts with `{` is the JSON output); exit 2 is a blocking
//! error whose stderr is the message; anything else (another code, a timeout, a program that
//! cannot start) is a non-blocking error the user is told about.

use super::run::{Ended, RunResult};
use serde_json::{Map, Value};

/// How a hook run counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Success,
    /// Exit code 2: the event's blocking behaviour, with stderr as the message.
    Blocking,
    /// Any other failure: reported to the user, the session goes on.
    NonBlocking(String),
    /// The user interrupted.
    Cancelled,
}

/// One hook's answer.
#[derive(Clone, Debug)]
pub struct Reply {
    /// How it is named in messages: the command line, or `callback`.
    pub name: String,
    pub verdict: Verdict,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The JSON output (exit 0, stdout an object).
    pub json: Option<Map<String, Value>>,
    /// Why stdout that looked like JSON was taken as plain text.
    pub json_error: Option<String>,
    pub duration_ms: u64,
}

impl Reply {
    /// A command hook's run.
    pub fn from_run(name: String, timeout_secs: f64, r: RunResult) -> Reply {
        let duration_ms = r.duration.as_millis() as u64;
        let (verdict, exit_code) = match &r.ended {
            Ended::Exited(e) => match e.code() {
                0 => (Verdict::Success, Some(0)),
                2 => (Verdict::Blocking, Some(2)),
                c => (
                    Verdict::NonBlocking(format!(
                        "failed with status {c}{}",
                        first_line(&r.stderr).map_or(String::new(), |l| format!(": {l}"))
                    )),
                    Some(c),
                ),
            },
            Ended::TimedOut => (
                Verdict::NonBlocking(format!(
                    "timed out after {} and was stopped",
                    seconds(timeout_secs)
                )),
                None,
            ),
            Ended::Cancelled => (Verdict::Cancelled, None),
            Ended::SpawnFailed(e) => (Verdict::NonBlocking(format!("could not start: {e}")), None),
        };
        let mut reply = Reply {
            name,
            verdict,
            exit_code,
            stdout: r.stdout,
            stderr: r.stderr,
            json: None,
            json_error: None,
            duration_ms,
        };
        if reply.verdict == Verdict::Success {
            reply.parse_stdout();
        }
        reply
    }

    /// An in-process callback's answer: its JSON output, or its error.
    pub fn from_callback(result: Result<Value, String>, duration_ms: u64) -> Reply {
        let mut reply = Reply {
            name: "callback".into(),
            verdict: Verdict::Success,
            exit_code: None,
            stdout: String::new(),
            stderr: String::new(),
            json: None,
            json_error: None,
            duration_ms,
        };
        match result {
            Ok(Value::Object(m)) => {
                reply.stdout = Value::Object(m.clone()).to_string();
                reply.json = Some(m);
            }
            Ok(Value::Null) => {}
            Ok(other) => {
                reply.json_error = Some(format!("expected a JSON object, got {other}"));
            }
            Err(e) => {
                reply.verdict = Verdict::NonBlocking(format!("failed: {e}"));
                reply.stderr = e;
            }
        }
        reply
    }

    /// Stdout that starts with `{` is the JSON output; invalid JSON is reported and the text
    /// is taken as plain output.
    fn parse_stdout(&mut self) {
        let t = self.stdout.trim();
        if !t.starts_with('{') {
            return;
        }
        match serde_json::from_str::<Value>(t) {
            Ok(Value::Object(m)) => self.json = Some(m),
            Ok(_) => self.json_error = Some("not a JSON object".into()),
            Err(e) => self.json_error = Some(e.to_string()),
        }
    }

    fn get(&self, key: &str) -> Option<&Value> {
        self.json.as_ref().and_then(|m| m.get(key))
    }

    fn str_of(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// `continue: false`: the session stops after this hook; `Some(stopReason)`.
    pub fn stop(&self) -> Option<String> {
        (self.get("continue") == Some(&Value::Bool(false)))
            .then(|| self.str_of("stopReason").unwrap_or("").to_string())
    }

    pub fn system_message(&self) -> Option<&str> {
        self.str_of("systemMessage")
            .filter(|s| !s.trim().is_empty())
    }

    /// Top-level `decision` (`block`, or the deprecated `approve`).
    pub fn decision(&self) -> Option<&str> {
        self.str_of("decision")
    }

    pub fn reason(&self) -> Option<&str> {
        self.str_of("reason")
    }

    /// A key of `hookSpecificOutput`.
    pub fn specific(&self, key: &str) -> Option<&Value> {
        self.get("hookSpecificOutput").and_then(|h| h.get(key))
    }

    pub fn specific_str(&self, key: &str) -> Option<&str> {
        self.specific(key).and_then(Value::as_str)
    }

    /// `hookSpecificOutput.additionalContext`, when not blank.
    pub fn additional_context(&self) -> Option<&str> {
        self.specific_str("additionalContext")
            .filter(|s| !s.trim().is_empty())
    }

    /// Stdout for events that add it to the context: plain text on success, not JSON.
    pub fn plain_stdout(&self) -> Option<&str> {
        if self.verdict != Verdict::Success || self.json.is_some() {
            return None;
        }
        let t = self.stdout.trim();
        (!t.is_empty()).then_some(t)
    }

    /// `[command]: stderr`, Claude Code's form of a blocking error's message.
    pub fn blocking_message(&self) -> String {
        format!("[{}]: {}", self.name, self.stderr)
    }
}

fn first_line(s: &str) -> Option<&str> {
    s.lines().map(str::trim).find(|l| !l.is_empty())
}

fn seconds(s: f64) -> String {
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Exit;
    use std::time::Duration;

    fn run(ended: Ended, stdout: &str, stderr: &str) -> Reply {
        Reply::from_run(
            "h.sh".into(),
            60.0,
            RunResult {
                ended,
                stdout: stdout.into(),
                stderr: stderr.into(),
                duration: Duration::from_millis(3),
            },
        )
    }

    #[test]
    fn exit_codes_and_json() {
        let r = run(
            Ended::Exited(Exit::Code(0)),
            " {\"continue\": false, \"stopReason\": \"done\", \"hookSpecificOutput\": {\"additionalContext\": \"ctx\"}}\n",
            "",
        );
        assert_eq!(r.verdict, Verdict::Success);
        assert_eq!(r.stop().as_deref(), Some("done"));
        assert_eq!(r.additional_context(), Some("ctx"));
        assert_eq!(r.plain_stdout(), None);
        let r = run(Ended::Exited(Exit::Code(0)), "{not json\n", "");
        assert!(r.json.is_none() && r.json_error.is_some());
        assert_eq!(r.plain_stdout(), Some("{not json"));
        let r = run(
            Ended::Exited(Exit::Code(2)),
            "{\"decision\":\"approve\"}",
            "no\n",
        );
        assert_eq!(r.verdict, Verdict::Blocking);
        assert!(r.json.is_none(), "JSON counts on exit 0 only");
        assert_eq!(r.blocking_message(), "[h.sh]: no\n");
        let r = run(Ended::Exited(Exit::Code(1)), "", "\n oops \nmore");
        assert_eq!(
            r.verdict,
            Verdict::NonBlocking("failed with status 1: oops".into())
        );
        let r = run(Ended::Exited(Exit::Signal(9)), "", "");
        assert_eq!(
            r.verdict,
            Verdict::NonBlocking("failed with status 137".into())
        );
        let r = run(Ended::TimedOut, "", "");
        assert_eq!(
            r.verdict,
            Verdict::NonBlocking("timed out after 60 s and was stopped".into())
        );
    }

    #[test]
    fn callbacks() {
        let r = Reply::from_callback(
            Ok(serde_json::json!({"decision": "block", "reason": "r"})),
            1,
        );
        assert_eq!(r.decision(), Some("block"));
        assert_eq!(r.reason(), Some("r"));
        let r = Reply::from_callback(Err("host gone".into()), 1);
        assert_eq!(r.verdict, Verdict::NonBlocking("failed: host gone".into()));
        let r = Reply::from_callback(Ok(serde_json::json!([1])), 1);
        assert!(r.json_error.is_some());
    }
}
