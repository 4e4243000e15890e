//! The `statusLine` setting: a command whose output the terminal UI shows under the prompt.
//! It runs like a hook (same spawn, environment and kill on timeout), gets the session's state
//! as JSON on stdin, and is re-run when the front end asks (after a turn, a model or mode
//! change): at most one run at a time, at most one every [`MIN_INTERVAL`], the latest request
//! winning.

use super::run::{self, Ended, RunSpec};
use super::{CommandHook, Hooks, SessionFacts, Shell, StatusLineConfig};
use crate::cancel::CancelToken;
use crate::log;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

/// A run that takes longer is killed (the line keeps its previous text).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Runs are at least this far apart.
pub const MIN_INTERVAL: Duration = Duration::from_millis(300);
/// Lines of output shown.
const MAX_LINES: usize = 4;

/// What the status line command is told (Claude Code's input shape).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusInput {
    pub model_id: String,
    pub model_display: String,
    pub cost_usd: f64,
    pub duration_ms: u64,
    pub api_duration_ms: u64,
    pub lines_added: u64,
    pub lines_removed: u64,
    pub exceeds_200k_tokens: bool,
}

struct State {
    running: bool,
    /// A request that came while a run was going.
    pending: Option<StatusInput>,
}

/// The status line's runner; its text arrives on the receiver [`Hooks::status_line_runner`]
/// returns (`None` until the first run succeeds).
#[derive(Clone)]
pub struct StatusLine {
    config: StatusLineConfig,
    facts: SessionFacts,
    state: Arc<Mutex<State>>,
    tx: Arc<watch::Sender<Option<String>>>,
}

impl Hooks {
    /// The runner for the `statusLine` setting, if one is configured.
    pub fn status_line_runner(&self) -> Option<(StatusLine, watch::Receiver<Option<String>>)> {
        let config = self.status_line()?.clone();
        let (tx, rx) = watch::channel(None);
        Some((
            StatusLine {
                config,
                facts: self.facts(),
                state: Arc::new(Mutex::new(State {
                    running: false,
                    pending: None,
                })),
                tx: Arc::new(tx),
            },
            rx,
        ))
    }
}

impl StatusLine {
    /// Asks for a new text (runs in the background; needs a tokio runtime).
    pub fn refresh(&self, input: StatusInput) {
        {
            let Ok(mut st) = self.state.lock() else {
                return;
            };
            if st.running {
                st.pending = Some(input);
                return;
            }
            st.running = true;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let mut next = Some(input);
            while let Some(input) = next.take() {
                this.run_once(&input).await;
                tokio::time::sleep(MIN_INTERVAL).await;
                if let Ok(mut st) = this.state.lock() {
                    next = st.pending.take();
                    if next.is_none() {
                        st.running = false;
                    }
                }
            }
        });
    }

    /// The JSON the command gets.
    pub fn input_json(&self, i: &StatusInput) -> serde_json::Value {
        let f = &self.facts;
        json!({
            "hook_event_name": "Status",
            "session_id": f.session_id,
            "transcript_path": f.transcript_path.display().to_string(),
            "cwd": f.cwd.display().to_string(),
            "model": {"id": i.model_id, "display_name": i.model_display},
            "workspace": {
                "current_dir": f.cwd.display().to_string(),
                "project_dir": f.project_dir.display().to_string(),
            },
            "version": crate::VERSION,
            "output_style": {"name": "default"},
            "cost": {
                "total_cost_usd": i.cost_usd,
                "total_duration_ms": i.duration_ms,
                "total_api_duration_ms": i.api_duration_ms,
                "total_lines_added": i.lines_added,
                "total_lines_removed": i.lines_removed,
            },
            "exceeds_200k_tokens": i.exceeds_200k_tokens,
        })
    }

    async fn run_once(&self, input: &StatusInput) {
        let bytes = serde_json::to_vec(&self.input_json(input)).unwrap_or_default();
        let hook = CommandHook {
            command: self.config.command.clone(),
            args: None,
            shell: Shell::Sh,
        };
        let env = super::hook_env(&self.facts);
        let r = run::run(
            &hook,
            &RunSpec {
                cwd: &self.facts.cwd,
                env: &env,
                input: &bytes,
                timeout: TIMEOUT,
                cancel: &CancelToken::new(),
            },
        )
        .await;
        crate::debug_log!(
            log::HOOKS,
            "statusLine `{}`: {:?} in {} ms",
            self.config.command,
            r.ended,
            r.duration.as_millis()
        );
        if let Ended::Exited(e) = r.ended
            && e.success()
        {
            let pad = " ".repeat(self.config.padding);
            let text: Vec<String> = r
                .stdout
                .lines()
                .take(MAX_LINES)
                .map(|l| format!("{pad}{}", l.trim_end()))
                .collect();
            let text = text.join("\n");
            self.tx
                .send_replace((!text.trim().is_empty()).then_some(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{Settings, SettingsLayer, SettingsSource};

    #[tokio::test]
    async fn runs_the_command_with_the_session_state() {
        let dir = tempfile::tempdir().unwrap();
        let Ok(serde_json::Value::Object(value)) = serde_json::from_str(
            r#"{"statusLine": {"type": "command", "padding": 1,
                "command": "read -r line; printf '%s\n' \"$line\" | sed 's/.*\"display_name\":\"\\([^\"]*\\)\".*/[\\1]/'; echo second"}}"#,
        ) else {
            panic!()
        };
        let settings = Settings {
            layers: vec![SettingsLayer {
                source: SettingsSource::User,
                path: None,
                value,
            }],
            warnings: vec![],
        };
        let hooks = Hooks::from_settings(&settings, SessionFacts::new("s1", dir.path()));
        let (line, mut rx) = hooks.status_line_runner().unwrap();
        line.refresh(StatusInput {
            model_id: "claude-x".into(),
            model_display: "Opus".into(),
            ..Default::default()
        });
        tokio::time::timeout(Duration::from_secs(10), rx.changed())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(rx.borrow().as_deref(), Some(" [Opus]\n second"));
    }
}
