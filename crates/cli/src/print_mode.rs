//! `ccrs -p`: one query, printed as text, one JSON result, or a stream of JSON lines.

use crate::args::{Args, InputFormat, OutputFormat};
use crate::sdk_messages as msg;
use crate::setup::{self, SetupOptions};
use anyhow::{Result, bail};
use ccrs_core::api::ContentBlock;
use ccrs_core::cancel::CancelToken;
use ccrs_core::events::{AgentEvent, EventSink};
use ccrs_core::permissions::DenyPrompter;
use serde_json::Value;
use std::io::{IsTerminal, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Piped stdin beyond this is cut (as Claude Code does).
const MAX_STDIN: u64 = 10 * 1024 * 1024;

/// Writes the JSON lines of stream-json (or collects them for `json --verbose`).
struct PrintSink {
    format: OutputFormat,
    verbose: bool,
    partial: bool,
    session_id: String,
    collected: Mutex<Vec<Value>>,
}

impl PrintSink {
    fn line(&self, v: Value) {
        match self.format {
            OutputFormat::StreamJson => {
                let mut out = std::io::stdout().lock();
                // A closed stdout (e.g. `| head`) must not crash us.
                let _ = serde_json::to_writer(&mut out, &v);
                let _ = out.write_all(b"\n");
                let _ = out.flush();
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
        let sid = self.session_id.as_str();
        match event {
            AgentEvent::BlockComplete {
                message_id,
                model,
                block,
                usage,
                request_id,
            } => self.line(msg::assistant(
                sid,
                &message_id,
                &model,
                &block,
                &usage,
                request_id.as_deref(),
            )),
            AgentEvent::ToolFinished { id, output, .. } => {
                self.line(msg::tool_result(sid, &id, &output))
            }
            AgentEvent::StreamEvent(v) if self.partial => self.line(msg::stream_event(sid, &v)),
            AgentEvent::ApiRetry {
                attempt,
                max_retries,
                delay_ms,
                status,
                error,
            } => self.line(msg::api_retry(
                sid,
                attempt,
                max_retries,
                delay_ms,
                status,
                &error,
            )),
            AgentEvent::Warning(w) => eprintln!("ccrs: warning: {w}"),
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

/// Cancels `token` on SIGINT/SIGTERM; remembers which for the exit code.
fn watch_signals(token: CancelToken) -> Arc<Mutex<Option<i32>>> {
    let which = Arc::new(Mutex::new(None));
    let w = which.clone();
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return;
        };
        let code = tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
        };
        if let Ok(mut g) = w.lock() {
            *g = Some(code);
        }
        token.cancel();
    });
    which
}

pub async fn run(args: Args) -> Result<i32> {
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
    let settings = setup::load_settings(&args, &cwd)?;
    let prompt = gather_prompt(args.prompt.as_deref())?;
    let auth = crate::auth_setup::provider(&settings)?;
    let mut session = setup::build(
        &args,
        settings,
        cwd.clone(),
        SetupOptions {
            prompter: Arc::new(DenyPrompter),
            auth,
        },
    )?;
    for w in &session.warnings {
        eprintln!("ccrs: warning: {w}");
    }
    let sink = Arc::new(PrintSink {
        format: args.output_format,
        verbose: args.verbose,
        partial: args.include_partial_messages,
        session_id: session.session_id.clone(),
        collected: Mutex::new(Vec::new()),
    });
    let agent = &mut session.agent;
    let cwd_str = cwd.display().to_string();
    let init = msg::init(&msg::InitInfo {
        cwd: &cwd_str,
        session_id: &session.session_id,
        tools: agent.offered_tool_names(),
        model: &agent.config.model,
        permission_mode: agent.permissions().mode().as_str(),
        api_key_source: session.auth_source.api_key_source(),
        slash_commands: Vec::new(),
    });
    sink.line(init);
    let cancel = CancelToken::new();
    let signal = watch_signals(cancel.clone());
    let res = agent
        .query(vec![ContentBlock::text(prompt)], sink.clone(), &cancel)
        .await;
    agent.session_state().shells.kill_all();
    let (result, is_error) = msg::result(
        &res,
        &session.session_id,
        args.max_turns,
        args.max_budget_usd,
    );
    match args.output_format {
        OutputFormat::StreamJson => sink.line(result.clone()),
        OutputFormat::Json => {
            let mut out = std::io::stdout().lock();
            if args.verbose {
                let mut all = sink.collected.lock().map(|c| c.clone()).unwrap_or_default();
                all.push(result.clone());
                let _ = serde_json::to_writer(&mut out, &all);
            } else {
                let _ = serde_json::to_writer(&mut out, &result);
            }
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        }
        OutputFormat::Text => {
            let text = if is_error {
                None
            } else {
                Some(
                    result
                        .get("result")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                )
            };
            match text {
                Some(t) => {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(t.as_bytes());
                    if !t.ends_with('\n') {
                        let _ = out.write_all(b"\n");
                    }
                    let _ = out.flush();
                }
                None => {
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
                            println!(
                                "Error: Reached max turns ({})",
                                args.max_turns.unwrap_or(res.num_turns)
                            )
                        }
                        Some("error_max_budget_usd") => {
                            println!(
                                "Error: Exceeded USD budget ({})",
                                args.max_budget_usd.unwrap_or(0.0)
                            )
                        }
                        _ => eprintln!("Error: {first}"),
                    }
                }
            }
        }
    }
    if let Ok(g) = signal.lock()
        && let Some(code) = *g
    {
        return Ok(code);
    }
    Ok(if is_error { 1 } else { 0 })
}
