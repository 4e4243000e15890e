//! `ccrs -p`: one query, printed as text, one JSON result, or a stream of JSON lines. It only
//! drives a core `Session` (the same one the interactive UI drives) and renders its events.

use crate::args::{Args, InputFormat, OutputFormat};
use crate::output;
use crate::sdk_messages as msg;
use crate::setup;
use anyhow::{Result, bail};
use ccrs_core::cancel::CancelToken;
use ccrs_core::events::{AgentEvent, EventSink};
use ccrs_core::hooks::EndReason;
use ccrs_core::permissions::DenyPrompter;
use ccrs_core::session::{Outcome, Prepared, QueryResult, SessionSetup, UserInput};
use serde_json::Value;
use std::io::{IsTerminal, Read};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Piped stdin beyond this is cut (as Claude Code does).
const MAX_STDIN: u64 = 10 * 1024 * 1024;

/// Writes the JSON lines of stream-json (or collects them for `json --verbose`).
struct PrintSink {
    format: OutputFormat,
    verbose: bool,
    partial: bool,
    /// `--include-hook-events`: every hook run (else only SessionStart's, as Claude Code).
    hook_events: bool,
    session_id: String,
    collected: Mutex<Vec<Value>>,
}

impl PrintSink {
    /// Whether events become JSON lines at all (a tool's result can be as large as a file:
    /// text output builds none).
    fn wants_lines(&self) -> bool {
        match self.format {
            OutputFormat::StreamJson => true,
            OutputFormat::Json => self.verbose,
            _ => false,
        }
    }

    fn line(&self, v: Value) {
        match self.format {
            OutputFormat::StreamJson => {
                output::json_line(&v);
            }
            OutputFormat::Json if self.verbose => {
                if let Ok(mut c) = self.collected.lock() {
                    c.push(v);
                }
            }
            _ => {}
        }
    }
}

impl EventSink for PrintSink {
    fn emit(&self, event: AgentEvent) {
        let lines = self.wants_lines();
        let sid = self.session_id.as_str();
        // A subagent's events carry the id of the tool call that runs it.
        let (event, parent) = event.innermost();
        match event {
            AgentEvent::BlockComplete {
                message_id,
                model,
                block,
                usage,
                request_id,
            } if lines => self.line(msg::assistant(
                sid,
                parent,
                message_id,
                model,
                block,
                usage,
                request_id.as_deref(),
            )),
            AgentEvent::ToolFinished { id, output, .. } if lines => {
                self.line(msg::tool_result(sid, parent, id, output))
            }
            AgentEvent::StreamEvent(v) if self.partial => {
                self.line(msg::stream_event(sid, parent, v))
            }
            AgentEvent::ApiRetry(n) => self.line(msg::api_retry(sid, n)),
            AgentEvent::Warning(w) => eprintln!("ccrs: warning: {w}"),
            AgentEvent::HookStarted {
                hook_id,
                hook_name,
                event,
                ..
            } if self.hook_events || event == "SessionStart" => {
                self.line(msg::hook_started(sid, hook_id, hook_name, event))
            }
            AgentEvent::HookFinished(run) => {
                if let Some(m) = &run.message {
                    eprintln!("ccrs: {m}");
                }
                if self.hook_events || run.event == "SessionStart" {
                    self.line(msg::hook_response(sid, run));
                }
            }
            _ => {}
        }
    }
}

/// The prompt: the argument, then piped stdin (prompt first, as Claude Code builds it).
fn gather_prompt(arg: Option<&str>) -> Result<String> {
    let stdin = std::io::stdin();
    let mut piped = String::new();
    if !stdin.is_terminal() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = std::io::stdin()
                .lock()
                .take(MAX_STDIN)
                .read_to_end(&mut buf);
            let _ = tx.send(buf);
        });
        let got = if arg.is_some() {
            // A parent that never closes our stdin must not hang a prompt given as argument.
            match rx.recv_timeout(Duration::from_secs(3)) {
                Ok(b) => Some(b),
                Err(_) => {
                    eprintln!("ccrs: warning: no stdin data received in 3s, proceeding without it");
                    None
                }
            }
        } else {
            rx.recv().ok()
        };
        if let Some(b) = got {
            piped = String::from_utf8_lossy(&b).into_owned();
        }
    }
    let prompt = match (
        arg.filter(|a| !a.trim().is_empty()),
        piped.trim().is_empty(),
    ) {
        (Some(a), true) => a.to_string(),
        (Some(a), false) => format!("{a}\n{piped}"),
        (None, false) => piped,
        (None, true) => bail!(
            "Input must be provided either through stdin or as a prompt argument when using --print"
        ),
    };
    Ok(prompt)
}

/// Cancels `token` on SIGINT/SIGTERM/SIGHUP; remembers which for the exit code.
fn watch_signals(token: CancelToken) -> Arc<Mutex<Option<i32>>> {
    let which = Arc::new(Mutex::new(None));
    let w = which.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        let code = tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
            _ = hup.recv() => 129,
        };
        if let Ok(mut g) = w.lock() {
            *g = Some(code);
        }
        token.cancel();
    });
    which
}

/// A result for input that needed no request (an unknown command), as Claude Code reports it.
fn local_result(text: String) -> QueryResult {
    let mut r = QueryResult::new();
    r.result_text = text;
    r
}

pub async fn run(args: Args, session_id: String) -> Result<i32> {
    if args.output_format == OutputFormat::StreamJson && !args.verbose {
        bail!("When using --print, --output-format=stream-json requires --verbose");
    }
    if args.input_format == InputFormat::StreamJson {
        if args.output_format != OutputFormat::StreamJson {
            bail!("--input-format=stream-json requires output-format=stream-json.");
        }
        bail!("--input-format=stream-json is not supported by this version of ccrs yet");
    }
    let cwd = std::env::current_dir()?;
    let mut options = setup::options(&args, &cwd)?;
    options.session_id = Some(session_id);
    let setup = SessionSetup::load(options)?;
    let prompt = gather_prompt(args.prompt.as_deref())?;
    let auth = crate::auth_setup::provider(setup.settings())?;
    let mut session = setup.start(auth, Arc::new(DenyPrompter))?;
    for w in session
        .warnings()
        .iter()
        .cloned()
        .chain(setup::not_yet_honoured(&args))
    {
        eprintln!("ccrs: warning: {w}");
    }
    let sink = Arc::new(PrintSink {
        format: args.output_format,
        verbose: args.verbose,
        partial: args.include_partial_messages,
        hook_events: args.include_hook_events,
        session_id: session.id().to_string(),
        collected: Mutex::new(Vec::new()),
    });
    let cwd_str = cwd.display().to_string();
    // `init` and the first request wait for the MCP servers (unless MCP_CONNECTION_NONBLOCKING).
    session.wait_for_mcp().await;
    let init = msg::init(&msg::InitInfo {
        cwd: &cwd_str,
        session_id: session.id(),
        tools: session.offered_tools(),
        model: session.model(),
        permission_mode: session.permission_mode().as_str(),
        api_key_source: session.auth_source().api_key_source(),
        slash_commands: session.slash_commands(),
        skills: session.skills().iter().map(|s| s.name.clone()).collect(),
        mcp_servers: session.mcp().status_json(),
    });
    let cancel = CancelToken::new();
    output::cancel_on_broken_pipe(&cancel);
    let signal = watch_signals(cancel.clone());
    sink.line(init);
    let res = match session.prepare(UserInput::Text(prompt)).await {
        Prepared::Turn(turn) => {
            for p in &turn.problems {
                eprintln!("ccrs: warning: {p}");
            }
            session.run(turn, sink.clone(), &cancel).await
        }
        Prepared::Local { builtin, .. } => local_result(format!(
            "/{} is only available in the interactive session",
            builtin.name
        )),
        Prepared::Unknown { name, .. } => local_result(format!("Unknown command: /{name}")),
    };
    session.shutdown().await;
    let (result, is_error) = msg::result(&res, session.id(), args.max_turns, args.max_budget_usd);
    match args.output_format {
        OutputFormat::StreamJson => sink.line(result.clone()),
        OutputFormat::Json => {
            if args.verbose {
                let mut all = sink.collected.lock().map(|c| c.clone()).unwrap_or_default();
                all.push(result.clone());
                output::json_line(&Value::Array(all));
            } else {
                output::json_line(&result);
            }
        }
        OutputFormat::Text if !is_error => {
            let text = result.get("result").and_then(Value::as_str).unwrap_or("");
            match &res.outcome {
                // `continue: false` leaves no answer; say why the run ended.
                Outcome::HookStopped { reason } if text.is_empty() => {
                    eprintln!("ccrs: stopped by a hook: {reason}")
                }
                _ => {
                    output::text(text);
                }
            }
        }
        OutputFormat::Text => {
            let errors = result
                .get("errors")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let first = errors
                .first()
                .and_then(Value::as_str)
                .unwrap_or("Execution error");
            match result.get("subtype").and_then(Value::as_str) {
                Some("error_max_turns") => {
                    output::text(&format!(
                        "Error: Reached max turns ({})",
                        args.max_turns.unwrap_or(res.num_turns)
                    ));
                }
                Some("error_max_budget_usd") => {
                    output::text(&format!(
                        "Error: Exceeded USD budget ({})",
                        args.max_budget_usd.unwrap_or(0.0)
                    ));
                }
                _ => eprintln!("Error: {first}"),
            }
        }
    }
    session
        .end(EndReason::Other, sink.clone() as Arc<dyn EventSink>)
        .await;
    if output::broken() {
        return Ok(output::BROKEN_PIPE_STATUS);
    }
    if let Ok(g) = signal.lock()
        && let Some(code) = *g
    {
        return Ok(code);
    }
    Ok(if is_error { 1 } else { 0 })
}
