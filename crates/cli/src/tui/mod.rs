//! The interactive session: `ccrs` without `-p`.
//!
//! One task, no polling: the loop waits on the terminal's events (crossterm's `EventStream`),
//! the agent's events (an mpsc channel fed by [`UiSink`]), permission questions (another
//! channel), signals, and — only while the model works — a spinner interval. Finished output
//! goes into the terminal's scrollback once; only the small live region at the bottom is
//! redrawn (see [`terminal`]).

mod complete;
mod editor;
mod highlight;
mod history;
mod markdown;
mod prompt;
// Round 2 of issue 20 wires the scrollable question into the permission prompt.
#[cfg_attr(not(test), allow(dead_code))]
mod question;
mod render;
mod slash;
mod terminal;
mod text;
mod theme;

use crate::args::Args;
use crate::login;
use crate::setup;
use anyhow::Result;
use ccrs_core::auth::{AuthError, DefaultAuth};
use ccrs_core::cancel::CancelToken;
use ccrs_core::events::{AgentEvent, EventSink};
use ccrs_core::message::ContentBlock;
use ccrs_core::permissions::{Mode, PermissionEngine, PromptAnswer};
use ccrs_core::session::{
    CustomCommand, Outcome, Prepared, QueryResult, Session, SessionSetup, ToolSet, Turn, UserInput,
};
use ccrs_core::tools::{ToolContext, schema};
use complete::Completion;
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use editor::Editor;
use futures_core::Stream;
use history::History;
use markdown::Markdown;
use prompt::{ActivePrompt, Decision, PromptJob, UiPrompter};
use render::{CallState, Refusal};
use std::collections::HashMap;
use std::io::{IsTerminal, Stdout};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use terminal::Screen;
use theme::{Style, Theme};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

/// Spinner frame interval (only while the model works).
const SPINNER_INTERVAL: Duration = Duration::from_millis(120);
/// Minimum time between two frames (≈ 60 fps).
const FRAME_INTERVAL: Duration = Duration::from_millis(16);
/// Second Ctrl-C (or Esc) within this time confirms.
const CONFIRM_WINDOW: Duration = Duration::from_secs(2);
const SPINNER_FRAMES: &[&str] = &["·", "✢", "✳", "✶", "✻", "✽", "✻", "✶", "✳", "✢"];
const VERBS: &[&str] = &[
    "Thinking",
    "Working",
    "Pondering",
    "Computing",
    "Considering",
    "Crafting",
    "Reasoning",
    "Brewing",
];
/// Menu rows shown under the input.
const MENU_ROWS: usize = 6;
/// Queued prompts shown in the live region.
const QUEUE_ROWS: usize = 3;

/// Forwards the agent's events to the UI loop.
struct UiSink {
    tx: mpsc::UnboundedSender<AgentEvent>,
}

impl EventSink for UiSink {
    fn emit(&self, event: AgentEvent) {
        // Raw stream events and result messages are not displayed: don't queue them.
        if matches!(
            event,
            AgentEvent::StreamEvent(_) | AgentEvent::ToolResults(_)
        ) {
            return;
        }
        let _ = self.tx.send(event);
    }
}

/// The model is working.
struct Busy {
    cancel: CancelToken,
    started: Instant,
    verb: &'static str,
    frame: usize,
    /// Output tokens of the finished requests of this query.
    tokens_done: u64,
    /// Characters streamed by the current request (≈ 4 per token).
    chars_now: usize,
    /// A retry in progress.
    status: Option<String>,
    /// The tool call waiting or running.
    running: Option<String>,
    interrupted: bool,
}

impl Busy {
    fn new(cancel: CancelToken) -> Self {
        let now = Instant::now();
        let verb = VERBS[(ccrs_core::timeutil::now_ms() as usize / 7) % VERBS.len()];
        Busy {
            cancel,
            started: now,
            verb,
            frame: 0,
            tokens_done: 0,
            chars_now: 0,
            status: None,
            running: None,
            interrupted: false,
        }
    }

    fn tokens(&self) -> u64 {
        self.tokens_done + (self.chars_now as u64).div_ceil(4)
    }
}

/// The completion menu under the input.
struct Menu {
    completion: Completion,
    /// Selected item (Tab cycles); `None` until the first Tab.
    selected: Option<usize>,
    /// Live slash suggestions (they follow typing) rather than an explicit Tab menu.
    live: bool,
}

/// Why the loop woke up.
enum Wake {
    Term(Option<std::io::Result<Event>>),
    Agent(AgentEvent),
    Prompt(PromptJob),
    Done(QueryResult),
    Tick,
    Draw,
    Signal(SignalKind),
}

struct Signals {
    term: Signal,
    hup: Signal,
    int: Signal,
}

impl Signals {
    fn new() -> Result<Self> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    async fn recv(&mut self) -> SignalKind {
        tokio::select! {
            _ = self.term.recv() => SignalKind::terminate(),
            _ = self.hup.recv() => SignalKind::hangup(),
            _ = self.int.recv() => SignalKind::interrupt(),
        }
    }
}

struct Ui {
    theme: Theme,
    screen: Screen<Stdout>,
    /// `None` while the terminal is handed to someone else (login, Ctrl-Z).
    events: Option<EventStream>,
    signals: Signals,
    editor: Editor,
    history: History,
    agent_rx: mpsc::UnboundedReceiver<AgentEvent>,
    sink: Arc<dyn EventSink>,
    prompt_rx: mpsc::UnboundedReceiver<PromptJob>,
    // What the loop needs while a query holds the session: all of it comes from the session.
    engine: Arc<PermissionEngine>,
    tools: ToolSet,
    /// A context like a tool call's, for the file tools' previews in the permission prompt.
    preview_ctx: ToolContext,
    cwd: PathBuf,
    auth: Arc<DefaultAuth>,
    bypass_allowed: bool,
    /// The model shown in the status line.
    model: String,
    busy: Option<Busy>,
    prompt: Option<ActivePrompt>,
    menu: Option<Menu>,
    /// Prompts typed while the model works, sent after the turn.
    queue: Vec<String>,
    /// Lines waiting to go into the scrollback at the next frame.
    pending: Vec<String>,
    md: Markdown,
    thinking: Markdown,
    in_thinking: bool,
    refusals: HashMap<String, Refusal>,
    todos_shown: bool,
    /// A transient message in the status line.
    hint: Option<String>,
    ctrl_c_at: Option<Instant>,
    esc_at: Option<Instant>,
    exit: bool,
    started: Instant,
    lines_added: u64,
    lines_removed: u64,
    /// The custom commands as last discovered (for completion while a query runs).
    custom: Vec<CustomCommand>,
    last_draw: Instant,
    draw_at: Option<Instant>,
}

/// Starts the interactive session. Returns the process exit code.
pub async fn run(args: Args, session_id: String, debug_file: Option<PathBuf>) -> Result<i32> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "interactive mode needs a terminal on stdin; use -p/--print to pipe input (e.g. `echo hi | ccrs -p`)"
        );
    }
    let cwd = std::env::current_dir()?;
    let mut options = setup::options(&args, &cwd)?;
    options.session_id = Some(session_id);
    let setup = SessionSetup::load(options)?;
    let auth = match crate::auth_setup::default_provider(setup.settings()) {
        Ok(a) => a,
        Err(e)
            if matches!(
                e.downcast_ref::<AuthError>(),
                Some(AuthError::Missing | AuthError::Store { .. } | AuthError::StoreMovedAside(_))
            ) =>
        {
            // First launch, or a saved login that cannot be read: offer to log in (on the
            // plain terminal, before the UI starts).
            let opts = login::LoginOptions {
                moved_aside: match e.downcast_ref::<AuthError>() {
                    Some(AuthError::StoreMovedAside(m)) => Some(m.clone()),
                    _ => None,
                },
                ..login::LoginOptions::default()
            };
            match login::first_launch(&opts).await {
                Ok(true) => crate::auth_setup::default_provider(setup.settings())?,
                Ok(false) => return Ok(1),
                Err(e) => {
                    eprintln!("ccrs: {e:#}");
                    return Ok(1);
                }
            }
        }
        Err(e) => return Err(e),
    };
    let (prompt_tx, prompt_rx) = mpsc::unbounded_channel();
    let prompter = Arc::new(UiPrompter::new(prompt_tx));
    let mut session = setup.start(auth.clone(), prompter)?;
    let mut warnings: Vec<String> = session.warnings().to_vec();
    warnings.extend(setup::not_yet_honoured(&args));

    terminal::install_panic_hook();
    // The guard first: if entering fails half-way, what was changed is undone.
    let _guard = terminal::Guard;
    terminal::enter()?;
    let (w, h) = crossterm::terminal::size().unwrap_or((80, 24));
    let theme = Theme::detect();
    let (agent_tx, agent_rx) = mpsc::unbounded_channel();
    let mut ui = Ui {
        theme,
        screen: Screen::new(std::io::stdout(), w, h),
        events: Some(EventStream::new()),
        signals: Signals::new()?,
        editor: Editor::new(),
        history: History::load(Some(History::default_path()), &cwd),
        agent_rx,
        sink: Arc::new(UiSink { tx: agent_tx }),
        prompt_rx,
        engine: session.permissions().clone(),
        tools: session.tools().clone(),
        preview_ctx: session.tool_context(),
        cwd: cwd.clone(),
        auth,
        // Bypass joins the Shift-Tab cycle when the session may use it (it started in it, or
        // --allow-dangerously-skip-permissions where starting in it would have been allowed).
        bypass_allowed: session.bypass_allowed(),
        model: session.model().to_string(),
        busy: None,
        prompt: None,
        menu: None,
        queue: Vec::new(),
        pending: Vec::new(),
        md: Markdown::assistant(theme, w as usize),
        thinking: Markdown::thinking(theme, w as usize),
        in_thinking: false,
        refusals: HashMap::new(),
        todos_shown: false,
        hint: None,
        ctrl_c_at: None,
        esc_at: None,
        exit: false,
        started: Instant::now(),
        lines_added: 0,
        lines_removed: 0,
        custom: session.custom_commands().to_vec(),
        last_draw: Instant::now(),
        draw_at: None,
    };
    ui.header(&warnings, debug_file.as_deref());
    if let Some(p) = args.prompt.as_deref().filter(|p| !p.trim().is_empty()) {
        ui.queue.push(p.to_string());
    }
    ui.run(&mut session).await;
    ui.shutdown(&session);
    session.close();
    Ok(0)
}

impl Ui {
    fn width(&self) -> usize {
        self.screen.width()
    }

    /// The terminal's new size: the live region and the streams' wrapping follow it.
    fn resize(&mut self, w: u16, h: u16) {
        self.screen.resize(w, h);
        self.md.set_width(w as usize);
        self.thinking.set_width(w as usize);
    }

    fn header(&mut self, warnings: &[String], debug_file: Option<&std::path::Path>) {
        let t = self.theme;
        let model = match ccrs_core::models::info(&self.model) {
            Some(m) => format!("{} ({})", m.display, self.model),
            None => self.model.clone(),
        };
        let lines = render::header(&t, &model, &self.cwd, self.width());
        self.pending.extend(lines);
        for w in warnings {
            self.pending.push(render::warning(&t, w));
        }
        if let Some(f) = debug_file {
            self.pending
                .push(t.paint(theme::SECONDARY, &format!("  Debug log: {}", f.display())));
        }
    }

    /// Appends an item (a prompt, a tool call, …) to the scrollback, after a blank line.
    fn item(&mut self, lines: Vec<String>) {
        if lines.is_empty() {
            return;
        }
        self.pending.push(String::new());
        self.pending.extend(lines);
    }

    async fn run(&mut self, session: &mut Session) {
        self.request_draw();
        while !self.exit {
            if self.busy.is_none() && !self.queue.is_empty() {
                let text = std::mem::take(&mut self.queue).join("\n");
                self.submit(session, text.clone(), text).await;
                continue;
            }
            self.draw_if_due();
            let draw_at = self.draw_at;
            let wake = tokio::select! {
                ev = next_event(&mut self.events) => Wake::Term(ev),
                s = self.signals.recv() => Wake::Signal(s),
                _ = sleep_until(draw_at), if draw_at.is_some() => Wake::Draw,
            };
            match wake {
                Wake::Term(ev) => {
                    let mut submit = self.on_term(ev);
                    // Handle a burst (typing fast, a non-bracketed paste) before drawing.
                    let mut n = 0;
                    while submit.is_none() && !self.exit && n < 512 {
                        // Polled with this task's waker: crossterm's EventStream keeps the
                        // first waker it sees, so a no-op waker (`now_or_never`) would lose
                        // every later event.
                        let ready = tokio::select! {
                            biased;
                            ev = next_event(&mut self.events) => Some(ev),
                            _ = std::future::ready(()) => None,
                        };
                        match ready {
                            Some(ev) => submit = self.on_term(ev),
                            None => break,
                        }
                        n += 1;
                    }
                    if let Some((shown, sent)) = submit {
                        self.submit(session, shown, sent).await;
                    }
                }
                Wake::Signal(s) => self.on_signal(s),
                Wake::Draw => self.draw_now(),
                _ => {}
            }
        }
    }

    /// Hands the terminal back (cooked mode, no live region, nobody reading keys) so another
    /// program or a plain prompt can use it.
    fn suspend(&mut self) {
        self.draw_now();
        let _ = self.screen.clear_live();
        terminal::restore();
        // Dropping the stream stops crossterm's reader thread: typed keys go to the new owner.
        self.events = None;
    }

    fn resume(&mut self) {
        if let Err(e) = terminal::enter() {
            self.pending
                .push(render::warning(&self.theme, &format!("terminal: {e}")));
        }
        self.events = Some(EventStream::new());
        // The size may have changed while someone else had the terminal (no event told us).
        if let Ok((w, h)) = crossterm::terminal::size() {
            self.resize(w, h);
        }
        self.screen.invalidate();
        self.request_draw();
    }

    /// `/login`: the login flow on the plain terminal, then the new credential is used at once.
    async fn login(&mut self) {
        self.suspend();
        let result = login::login(&login::LoginOptions::default()).await;
        self.auth.reload().await;
        self.resume();
        if let Err(e) = result {
            let lines = render::error(&self.theme, &format!("{e:#}"), self.width());
            self.pending.extend(lines);
        }
    }

    /// `/logout`.
    async fn logout(&mut self) {
        struct Lines(Vec<String>);
        impl login::LoginIo for Lines {
            fn say(&mut self, text: &str) {
                self.0.extend(text.lines().map(|l| format!("  ⎿  {l}")));
            }
            fn ask(&mut self, _: &str) -> std::io::Result<Option<String>> {
                Ok(None)
            }
            fn ask_secret(&mut self, _: &str) -> std::io::Result<Option<String>> {
                Ok(None)
            }
        }
        let mut out = Lines(Vec::new());
        let store = self.auth.config().store.clone();
        if let Err(e) = login::logout_with(&mut out, &store) {
            out.0.push(format!("  ⎿  {e:#}"));
        }
        self.auth.reload().await;
        let t = self.theme;
        self.pending
            .extend(out.0.iter().map(|l| t.paint(theme::SECONDARY, l)));
    }

    /// Ctrl-Z: stop like any terminal program; the UI comes back on `fg`.
    fn stop(&mut self) {
        self.suspend();
        let _ =
            rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TSTP);
        // Running again (SIGCONT).
        self.resume();
    }

    fn on_signal(&mut self, s: SignalKind) {
        if s == SignalKind::interrupt() {
            // Like Ctrl-C.
            self.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
            return;
        }
        if let Some(b) = &self.busy {
            b.cancel.cancel();
        }
        self.exit = true;
    }

    /// Handles a submitted input: the session turns it into a turn (a custom command
    /// expanded, `@paths` attached) or a built-in command carried out here.
    async fn submit(&mut self, session: &mut Session, shown: String, sent: String) {
        self.menu = None;
        self.history.add(&sent);
        let w = self.width();
        self.item(render::user_prompt(&self.theme, &shown, w));
        let prepared = session.prepare(UserInput::Text(sent)).await;
        self.custom = session.custom_commands().to_vec();
        match prepared {
            Prepared::Local { builtin, args } => {
                let outcome = {
                    let mut ctx = slash::Ctx {
                        theme: self.theme,
                        width: w,
                        session,
                        started: self.started,
                        lines_added: self.lines_added,
                        lines_removed: self.lines_removed,
                    };
                    slash::handle(builtin, &args, &mut ctx)
                };
                self.model = session.model().to_string();
                match outcome {
                    slash::Outcome::Print(lines) => self.pending.extend(lines),
                    slash::Outcome::Exit => self.exit = true,
                    slash::Outcome::Login => self.login().await,
                    slash::Outcome::Logout => self.logout().await,
                }
            }
            Prepared::Unknown { name, suggestions } => {
                let lines = slash::unknown(&self.theme, &name, &suggestions);
                self.pending.extend(lines);
            }
            Prepared::Turn(turn) => {
                for n in &turn.notes {
                    self.pending
                        .push(self.theme.paint(theme::SECONDARY, &format!("  ⎿  {n}")));
                }
                for p in &turn.problems {
                    self.pending.push(render::warning(&self.theme, p));
                }
                self.run_query(session, turn).await;
            }
        }
    }

    /// Runs one turn while keeping the terminal responsive.
    async fn run_query(&mut self, session: &mut Session, turn: Turn) {
        let cancel = CancelToken::new();
        // The footer shows the model this turn uses (a command's frontmatter may choose one).
        self.model = turn
            .options
            .model
            .clone()
            .unwrap_or_else(|| session.model().to_string());
        self.busy = Some(Busy::new(cancel.clone()));
        let w = self.width();
        self.md = Markdown::assistant(self.theme, w);
        self.thinking = Markdown::thinking(self.theme, w);
        self.in_thinking = false;
        self.refusals.clear();
        let result = {
            let fut = session.run(turn, self.sink.clone(), &cancel);
            tokio::pin!(fut);
            let mut tick = tokio::time::interval(SPINNER_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                self.draw_if_due();
                let draw_at = self.draw_at;
                // Agent events first: the stream's text shows before the query's end.
                let wake = tokio::select! {
                    biased;
                    Some(ev) = self.agent_rx.recv() => Wake::Agent(ev),
                    Some(job) = self.prompt_rx.recv() => Wake::Prompt(job),
                    ev = next_event(&mut self.events) => Wake::Term(ev),
                    res = &mut fut => Wake::Done(res),
                    s = self.signals.recv() => Wake::Signal(s),
                    _ = sleep_until(draw_at), if draw_at.is_some() => Wake::Draw,
                    _ = tick.tick() => Wake::Tick,
                };
                match wake {
                    Wake::Agent(ev) => self.on_agent_event(ev),
                    Wake::Prompt(job) => self.open_prompt(job),
                    Wake::Term(ev) => {
                        if let Some((_, sent)) = self.on_term(ev) {
                            self.queue.push(sent);
                        }
                    }
                    Wake::Done(res) => break res,
                    Wake::Signal(s) => self.on_signal(s),
                    Wake::Draw => {
                        // Nothing changed since the frame was asked for: do not ask for
                        // another (that would redraw at the frame rate while busy).
                        self.draw_now();
                        continue;
                    }
                    Wake::Tick => {
                        if let Some(b) = &mut self.busy {
                            b.frame = b.frame.wrapping_add(1);
                        }
                        if let Some(p) = &self.prompt
                            && p.abandoned()
                        {
                            self.prompt = None;
                        }
                    }
                }
                // Whatever woke us may have changed the live region (a new prompt, the
                // spinner): the next frame slot shows it.
                self.request_draw();
            }
        };
        while let Ok(ev) = self.agent_rx.try_recv() {
            self.on_agent_event(ev);
        }
        self.model = session.model().to_string();
        self.finish_query(&result);
    }

    fn flush_streams(&mut self) {
        let lines = self.thinking.finish();
        self.pending.extend(lines);
        self.in_thinking = false;
        let lines = self.md.finish();
        self.pending.extend(lines);
    }

    fn finish_query(&mut self, res: &QueryResult) {
        self.flush_streams();
        // A question the agent stopped waiting for.
        self.prompt = None;
        let t = self.theme;
        let w = self.width();
        match &res.outcome {
            Outcome::Completed => {}
            Outcome::Cancelled => self.item(vec![format!(
                "{}{}",
                t.paint(theme::SECONDARY, "  ⎿  "),
                t.paint(theme::ERROR, "Interrupted · tell ccrs what to do instead")
            )]),
            Outcome::Failed(e) => {
                let lines = render::error(&t, &format!("API Error: {e}"), w);
                self.item(lines);
            }
            Outcome::MaxTurns => self.item(vec![t.paint(
                theme::WARN,
                "  ⎿  Stopped: the turn limit (--max-turns) was reached",
            )]),
            Outcome::MaxBudget => self.item(vec![t.paint(
                theme::WARN,
                "  ⎿  Stopped: the budget (--max-budget-usd) was reached",
            )]),
        }
        self.busy = None;
        self.request_draw();
    }

    fn title(&self, name: &str, input: &serde_json::Value) -> (String, String) {
        let summary = match self.tools.get(name) {
            Some(t) => t.summary(input),
            None => schema::default_summary(input),
        };
        let cwd = self.cwd.to_string_lossy();
        let summary = summary.replace(&format!("{cwd}/"), "");
        (name.to_string(), summary)
    }

    fn stream_lines(&mut self, lines: Vec<String>, first: bool) {
        if lines.is_empty() {
            return;
        }
        if first {
            self.pending.push(String::new());
        }
        self.pending.extend(lines);
    }

    fn on_agent_event(&mut self, ev: AgentEvent) {
        let t = self.theme;
        let w = self.width();
        match ev {
            AgentEvent::RequestStarted { .. } => {
                if let Some(b) = &mut self.busy {
                    b.chars_now = 0;
                    b.status = None;
                }
            }
            AgentEvent::TextDelta(s) => {
                if self.in_thinking {
                    let lines = self.thinking.finish();
                    self.pending.extend(lines);
                    self.in_thinking = false;
                }
                if let Some(b) = &mut self.busy {
                    b.chars_now += s.len();
                    b.status = None;
                }
                let first = self.md.nothing_emitted();
                let lines = self.md.push(&s);
                self.stream_lines(lines, first);
            }
            AgentEvent::ThinkingDelta(s) => {
                if let Some(b) = &mut self.busy {
                    b.chars_now += s.len();
                    b.status = None;
                }
                if !self.in_thinking {
                    self.in_thinking = true;
                    self.item(vec![t.paint(theme::DIM.italic(), "✻ Thinking…")]);
                }
                let lines = self.thinking.push(&s);
                self.pending.extend(lines);
            }
            AgentEvent::BlockComplete { block, .. } => match block {
                ContentBlock::Text { .. } => {
                    let first = self.md.nothing_emitted();
                    let lines = self.md.finish();
                    self.stream_lines(lines, first);
                }
                ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } => {
                    let lines = self.thinking.finish();
                    self.pending.extend(lines);
                    self.in_thinking = false;
                }
                ContentBlock::ToolUse { name, input, .. } => {
                    self.flush_streams();
                    let (n, s) = self.title(&name, &input);
                    if let Some(b) = &mut self.busy {
                        b.running = Some(render::tool_call(&t, &n, &s, CallState::Running, w));
                    }
                }
                _ => {}
            },
            AgentEvent::MessageComplete(m) => {
                if let Some(b) = &mut self.busy {
                    b.tokens_done += m.usage.output_tokens;
                    b.chars_now = 0;
                }
            }
            AgentEvent::ToolStarted { name, input, .. } => {
                self.todos_shown = false;
                let (n, s) = self.title(&name, &input);
                if let Some(b) = &mut self.busy {
                    b.running = Some(render::tool_call(&t, &n, &s, CallState::Running, w));
                }
            }
            AgentEvent::ToolFinished {
                id,
                name,
                input,
                output,
            } => {
                if let Some(b) = &mut self.busy {
                    b.running = None;
                }
                let refusal = self.refusals.remove(&id);
                if name == "TodoWrite" && !output.is_error && refusal.is_none() {
                    if !self.todos_shown {
                        let list = render::todos_from_input(&input);
                        self.item(render::todos(&t, &list, w));
                    }
                    self.todos_shown = false;
                    return;
                }
                self.count_changes(&output);
                let state = if output.is_error || refusal.is_some() {
                    CallState::Error
                } else {
                    CallState::Ok
                };
                let (n, s) = self.title(&name, &input);
                let mut lines = vec![render::tool_call(&t, &n, &s, state, w)];
                lines.extend(render::tool_result(
                    &t,
                    &name,
                    &input,
                    &output,
                    refusal.as_ref(),
                    &self.cwd,
                    w,
                ));
                self.item(lines);
            }
            AgentEvent::PermissionDenied {
                tool_use_id,
                reason,
                ..
            } => {
                self.refusals
                    .entry(tool_use_id)
                    .or_insert(Refusal::Rule(reason));
            }
            AgentEvent::ApiRetry(n) => {
                let lines = render::retry(&t, &n, w);
                self.pending.extend(lines);
                if let Some(b) = &mut self.busy {
                    b.status = Some(format!(
                        "Retrying in {}s… (attempt {}/{})",
                        n.delay_ms.div_ceil(1000),
                        n.attempt,
                        n.max_retries
                    ));
                }
            }
            AgentEvent::TodosUpdated(list) => {
                self.todos_shown = true;
                self.item(render::todos(&t, &list, w));
            }
            AgentEvent::Warning(msg) => {
                let line = render::warning(&t, &msg);
                self.pending.push(line);
            }
            // Nothing runs nested loops yet (subagents will).
            AgentEvent::StreamEvent(_) | AgentEvent::ToolResults(_) | AgentEvent::Nested { .. } => {
            }
        }
        self.request_draw();
    }

    fn count_changes(&mut self, output: &ccrs_core::tools::ToolOutput) {
        let Some(s) = &output.structured else {
            return;
        };
        match s.get("type").and_then(serde_json::Value::as_str) {
            Some("update") => {
                if let Some(p) = s.get("structuredPatch") {
                    let (a, d) = render::patch_counts(p);
                    self.lines_added += a as u64;
                    self.lines_removed += d as u64;
                }
            }
            Some("create") => {
                if let Some(c) = s.get("content").and_then(serde_json::Value::as_str) {
                    self.lines_added += c.lines().count() as u64;
                }
            }
            _ => {}
        }
    }

    fn open_prompt(&mut self, job: PromptJob) {
        let (n, s) = self.title(&job.request.tool_name, &job.request.input);
        let title = if s.is_empty() {
            n
        } else {
            format!("{n}({})", text::truncate(&s, 60))
        };
        // Prompts come one at a time from the agent; a second one would wait behind.
        if self.prompt.is_some() {
            let _ = job.reply.send(PromptAnswer::Deny {
                message: ccrs_core::permissions::USER_REJECTED.to_string(),
            });
            return;
        }
        self.prompt = Some(ActivePrompt::new(job, &self.preview_ctx, title));
        self.menu = None;
    }

    /// Terminal input. Returns a submitted input (shown, sent).
    fn on_term(&mut self, ev: Option<std::io::Result<Event>>) -> Option<(String, String)> {
        let ev = match ev {
            Some(Ok(e)) => e,
            // The terminal is gone: nothing more can be typed.
            Some(Err(_)) | None => {
                if let Some(b) = &self.busy {
                    b.cancel.cancel();
                }
                self.exit = true;
                return None;
            }
        };
        let out = match ev {
            Event::Key(k) if k.kind != KeyEventKind::Release => self.on_key(k),
            Event::Paste(s) => {
                if let Some(p) = &mut self.prompt {
                    if let Some(ed) = &mut p.feedback {
                        ed.insert_str(&s.replace(['\r', '\n'], " "));
                    }
                } else {
                    self.editor.paste(&s);
                    self.history.reset();
                    self.update_live_menu();
                }
                None
            }
            Event::Resize(w, h) => {
                self.resize(w, h);
                None
            }
            _ => None,
        };
        self.request_draw();
        out
    }

    fn interrupt(&mut self) {
        if let Some(b) = &mut self.busy
            && !b.interrupted
        {
            b.cancel.cancel();
            b.interrupted = true;
        }
    }

    fn cycle_mode(&mut self) {
        let next = match self.engine.mode() {
            Mode::Default => Mode::AcceptEdits,
            Mode::AcceptEdits => Mode::Plan,
            Mode::Plan if self.bypass_allowed => Mode::BypassPermissions,
            _ => Mode::Default,
        };
        self.engine.set_mode(next);
    }

    fn on_key(&mut self, k: KeyEvent) -> Option<(String, String)> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let alt = k.modifiers.contains(KeyModifiers::ALT);
        let shift = k.modifiers.contains(KeyModifiers::SHIFT);
        if !(ctrl && k.code == KeyCode::Char('c')) {
            self.ctrl_c_at = None;
            if self.hint.as_deref().is_some_and(|h| h.contains("Ctrl-C")) {
                self.hint = None;
            }
        }
        if k.code != KeyCode::Esc {
            self.esc_at = None;
            if self.hint.as_deref().is_some_and(|h| h.contains("Esc")) {
                self.hint = None;
            }
        }
        if ctrl && k.code == KeyCode::Char('c') {
            if self.busy.is_some() {
                self.interrupt();
            } else if !self.editor.is_empty() {
                self.editor.clear();
                self.history.reset();
                self.menu = None;
            } else if self.ctrl_c_at.is_some_and(|t| t.elapsed() < CONFIRM_WINDOW) {
                self.exit = true;
            } else {
                self.ctrl_c_at = Some(Instant::now());
                self.hint = Some("Press Ctrl-C again to exit".into());
            }
            return None;
        }
        if let Some(p) = &mut self.prompt {
            if let Some(d) = p.key(k)
                && let Some(p) = self.prompt.take()
            {
                let id = p.job.request.tool_use_id.clone();
                if let Decision::No(fb) = &d {
                    self.refusals.insert(id, Refusal::User(fb.clone()));
                }
                let (line, _) = p.answer(&d, &self.theme);
                self.item(vec![line]);
            }
            return None;
        }
        if ctrl && k.code == KeyCode::Char('d') {
            if self.editor.is_empty() && self.busy.is_none() {
                self.exit = true;
            } else {
                self.editor.delete();
            }
            return None;
        }
        if k.code == KeyCode::BackTab {
            self.cycle_mode();
            return None;
        }
        if k.code == KeyCode::Esc {
            if self.menu.as_ref().is_some_and(|m| !m.live) {
                self.menu = None;
            } else if self.busy.is_some() {
                self.interrupt();
            } else if !self.editor.is_empty() {
                if self.esc_at.is_some_and(|t| t.elapsed() < CONFIRM_WINDOW) {
                    self.editor.clear();
                    self.menu = None;
                    self.hint = None;
                } else {
                    self.esc_at = Some(Instant::now());
                    self.hint = Some("Esc again to clear the input".into());
                }
            }
            return None;
        }
        let w = self.width();
        let pw = 2;
        let mut edited = true;
        match k.code {
            KeyCode::Enter if shift || alt => self.editor.insert_char('\n'),
            KeyCode::Char('j') if ctrl => self.editor.insert_char('\n'),
            KeyCode::Enter => {
                if self.editor.before_cursor().ends_with('\\') {
                    self.editor.backspace();
                    self.editor.insert_char('\n');
                } else {
                    // Enter on a chosen file accepts it; the prompt is sent with the next one.
                    if let Some(m) = self.menu.take()
                        && !m.live
                        && m.selected.is_some()
                    {
                        return None;
                    }
                    if self.editor.text().trim().is_empty() {
                        return None;
                    }
                    self.history.reset();
                    return Some(self.editor.take());
                }
            }
            KeyCode::Tab => {
                self.complete();
                edited = false;
            }
            KeyCode::Backspace if alt || ctrl => self.editor.kill_word_back(),
            KeyCode::Backspace => self.editor.backspace(),
            KeyCode::Delete => self.editor.delete(),
            KeyCode::Left if ctrl || alt => self.editor.word_left(),
            KeyCode::Right if ctrl || alt => self.editor.word_right(),
            KeyCode::Left => self.editor.left(),
            KeyCode::Right => self.editor.right(),
            KeyCode::Home => self.editor.home(),
            KeyCode::End => self.editor.end(),
            KeyCode::Up => {
                edited = false;
                if let Some(m) = &mut self.menu
                    && !m.completion.items.is_empty()
                {
                    let n = m.completion.items.len();
                    m.selected = Some(m.selected.map_or(n - 1, |s| (s + n - 1) % n));
                    self.apply_menu_selection();
                } else if !self.editor.vertical(-1, w, pw) {
                    let cur = self.editor.text().to_string();
                    if let Some(h) = self.history.prev(&cur) {
                        self.editor.set(&h);
                    }
                }
            }
            KeyCode::Down => {
                edited = false;
                if let Some(m) = &mut self.menu
                    && !m.completion.items.is_empty()
                {
                    let n = m.completion.items.len();
                    m.selected = Some(m.selected.map_or(0, |s| (s + 1) % n));
                    self.apply_menu_selection();
                } else if !self.editor.vertical(1, w, pw)
                    && let Some(h) = self.history.next()
                {
                    self.editor.set(&h);
                }
            }
            KeyCode::Char(c) if ctrl => match c {
                'a' => self.editor.home(),
                'e' => self.editor.end(),
                'b' => self.editor.left(),
                'f' => self.editor.right(),
                'w' | 'h' => self.editor.kill_word_back(),
                'u' => self.editor.kill_to_start(),
                'k' => self.editor.kill_to_end(),
                'y' => self.editor.yank(),
                'l' => {
                    self.screen.invalidate();
                    edited = false;
                }
                'z' => {
                    self.stop();
                    edited = false;
                }
                _ => edited = false,
            },
            KeyCode::Char(c) if alt => match c {
                'b' => self.editor.word_left(),
                'f' => self.editor.word_right(),
                'd' => self.editor.kill_word_forward(),
                _ => edited = false,
            },
            KeyCode::Char(c) => self.editor.insert_char(c),
            _ => edited = false,
        }
        if edited {
            self.history.reset();
            self.update_live_menu();
        }
        None
    }

    /// Slash suggestions follow the input while it is a lone `/word` (any other menu closes).
    fn update_live_menu(&mut self) {
        let before = self.editor.before_cursor();
        // The command list is gathered only while a command is being typed, not per keystroke.
        let typing_command = before.starts_with('/') && before.len() == self.editor.text().len();
        self.menu = if typing_command {
            complete::slash(before, &slash::all_names(&self.custom)).map(|c| Menu {
                completion: c,
                selected: None,
                live: true,
            })
        } else {
            None
        };
    }

    fn apply_menu_selection(&mut self) {
        let Some(m) = &mut self.menu else { return };
        let Some(i) = m.selected else { return };
        let Some(c) = m.completion.items.get(i) else {
            return;
        };
        let value = c.value.clone();
        self.editor
            .replace_before_cursor(m.completion.replace_len, &value);
        m.completion.replace_len = value.len();
    }

    fn complete(&mut self) {
        if let Some(m) = &mut self.menu
            && (m.selected.is_some() || m.live)
            && !m.completion.items.is_empty()
        {
            // Tab again: next candidate.
            let n = m.completion.items.len();
            if n == 1 {
                let v = m.completion.items[0].value.clone();
                let len = m.completion.replace_len;
                self.menu = None;
                self.editor.replace_before_cursor(len, &v);
                if !v.ends_with('/') {
                    self.editor.insert_char(' ');
                }
                return;
            }
            m.selected = Some(m.selected.map_or(0, |s| (s + 1) % n));
            self.apply_menu_selection();
            return;
        }
        let before = self.editor.before_cursor().to_string();
        let names = slash::all_names(&self.custom);
        let c = complete::slash(&before, &names).or_else(|| complete::paths(&before, &self.cwd));
        let Some(c) = c else { return };
        if c.items.len() == 1 {
            let v = c.items[0].value.clone();
            self.editor.replace_before_cursor(c.replace_len, &v);
            if !v.ends_with('/') {
                self.editor.insert_char(' ');
            }
            self.menu = None;
            return;
        }
        let prefix = c.common_prefix();
        let mut c = c;
        if prefix.len() > c.replace_len {
            self.editor.replace_before_cursor(c.replace_len, &prefix);
            c.replace_len = prefix.len();
        }
        self.menu = Some(Menu {
            completion: c,
            selected: None,
            live: false,
        });
    }

    fn mode_label(&self) -> (String, Style) {
        match self.engine.mode() {
            Mode::Default => (
                "shift+tab: accept edits / plan · /help".into(),
                theme::SECONDARY,
            ),
            Mode::AcceptEdits => (
                "⏵⏵ accept edits on (shift+tab to cycle)".into(),
                Style::fg(theme::Color::Magenta),
            ),
            Mode::Plan => (
                "⏸ plan mode on (shift+tab to cycle)".into(),
                Style::fg(theme::Color::Cyan),
            ),
            Mode::BypassPermissions => (
                "⏵⏵ bypass permissions on (shift+tab to cycle)".into(),
                theme::ERROR,
            ),
            Mode::DontAsk => (
                "dontAsk mode: calls no rule allows are denied".into(),
                theme::WARN,
            ),
        }
    }

    /// The live region: rows and the cursor.
    fn live(&self) -> (Vec<String>, Option<(usize, usize)>) {
        let t = self.theme;
        let w = self.width();
        let max = self.screen.max_live_rows();
        let mut rows: Vec<String> = Vec::new();
        if let Some(b) = &self.busy {
            rows.push(String::new());
            if let Some(r) = &b.running {
                rows.push(r.clone());
            }
            let frame = SPINNER_FRAMES[b.frame % SPINNER_FRAMES.len()];
            let secs = b.started.elapsed().as_secs();
            let verb = if b.interrupted {
                "Interrupting"
            } else {
                b.verb
            };
            let mut detail = format!(
                "({secs}s · ↓ {} tokens · esc to interrupt)",
                slash::thousands(b.tokens())
            );
            if let Some(s) = &b.status {
                detail = format!("({secs}s · {s})");
            }
            rows.push(format!(
                "{} {} {}",
                t.paint(theme::ACCENT, frame),
                t.paint(theme::ACCENT, &format!("{verb}…")),
                t.paint(theme::SECONDARY, &detail)
            ));
        }
        rows.push(String::new());
        for q in self.queue.iter().take(QUEUE_ROWS) {
            let first = q.lines().next().unwrap_or("");
            rows.push(t.paint(
                theme::SECONDARY,
                &text::truncate(&format!("  ⏵ queued: {}", text::sanitize(first)), w - 1),
            ));
        }
        let footer = self.footer();
        if let Some(p) = &self.prompt {
            let room = max.saturating_sub(rows.len() + 1).max(4);
            let (lines, cursor) = p.render(&t, w, room);
            let off = rows.len();
            rows.extend(lines);
            rows.push(footer);
            return (rows, cursor.map(|(r, c)| (r + off, c)));
        }
        let view = self.editor.view("> ", w);
        let menu_rows: Vec<String> = self.menu_rows();
        let fixed = rows.len() + menu_rows.len() + 2;
        let room = max.saturating_sub(fixed).max(1);
        // Show the part of a tall input around the cursor.
        let (start, end) = if view.rows.len() > room {
            let s = view.cursor.0.saturating_sub(room - 1);
            (s, s + room)
        } else {
            (0, view.rows.len())
        };
        let off = rows.len();
        for (i, r) in view.rows[start..end].iter().enumerate() {
            if start + i == 0 {
                rows.push(format!(
                    "{}{}",
                    t.paint(Style::plain().bold(), ">"),
                    r.strip_prefix('>').unwrap_or(r)
                ));
            } else {
                rows.push(r.clone());
            }
        }
        let cursor = (off + view.cursor.0 - start, view.cursor.1);
        rows.push(t.paint(theme::SECONDARY, &"─".repeat(w.saturating_sub(1))));
        rows.extend(menu_rows);
        rows.push(footer);
        (rows, Some(cursor))
    }

    fn menu_rows(&self) -> Vec<String> {
        let Some(m) = &self.menu else {
            return Vec::new();
        };
        let t = self.theme;
        let w = self.width();
        let items = &m.completion.items;
        let sel = m.selected.unwrap_or(usize::MAX);
        let start = if sel != usize::MAX && sel >= MENU_ROWS {
            sel + 1 - MENU_ROWS
        } else {
            0
        };
        let name_w = items
            .iter()
            .map(|c| text::width(&c.value))
            .max()
            .unwrap_or(0)
            .min(32);
        let mut out = Vec::new();
        for (i, c) in items.iter().enumerate().skip(start).take(MENU_ROWS) {
            let pad = name_w.saturating_sub(text::width(&c.value));
            let line = format!("  {}{}  {}", c.value, " ".repeat(pad), c.detail);
            let line = text::truncate(&line, w.saturating_sub(1));
            // The description is dimmed, unless the cut ended the row (with `…`) before it.
            let split = line.len().min(2 + c.value.len() + pad);
            out.push(if i == sel {
                t.paint(theme::SELECTED, &line)
            } else if c.detail.is_empty() || !line.is_char_boundary(split) {
                line
            } else {
                let (a, b) = line.split_at(split);
                format!("{}{}", a, t.paint(theme::SECONDARY, b))
            });
        }
        if items.len() > MENU_ROWS + start {
            out.push(t.paint(
                theme::SECONDARY,
                &format!("  … {} more", items.len() - MENU_ROWS - start),
            ));
        }
        out
    }

    fn footer(&self) -> String {
        let t = self.theme;
        let w = self.width();
        let (label, style) = match &self.hint {
            Some(h) => (h.clone(), theme::WARN),
            None => self.mode_label(),
        };
        let model = ccrs_core::models::info(&self.model)
            .map(|m| m.display.to_string())
            .unwrap_or_else(|| self.model.clone());
        let right = model;
        let left = format!("  {label}");
        let gap = w
            .saturating_sub(1)
            .saturating_sub(text::width(&left) + text::width(&right));
        if gap < 2 {
            return t.paint(style, &text::truncate(&left, w.saturating_sub(1)));
        }
        format!(
            "{}{}{}",
            t.paint(style, &left),
            " ".repeat(gap),
            t.paint(theme::SECONDARY, &right)
        )
    }

    /// Asks for a frame: now if the last one is old enough, else at the next frame slot.
    fn request_draw(&mut self) {
        if self.draw_at.is_none() {
            let due = self.last_draw + FRAME_INTERVAL;
            self.draw_at = Some(due);
        }
    }

    fn draw_if_due(&mut self) {
        if let Some(at) = self.draw_at
            && Instant::now() >= at
        {
            self.draw_now();
        }
    }

    fn draw_now(&mut self) {
        self.draw_at = None;
        self.last_draw = Instant::now();
        // The size now, not the last resize event's: a frame laid out for a wider terminal
        // than the real one would wrap and leave stale rows behind.
        if let Ok((w, h)) = crossterm::terminal::size()
            && (w as usize, h as usize) != self.screen.size()
        {
            self.resize(w, h);
        }
        let (live, cursor) = self.live();
        let scroll = std::mem::take(&mut self.pending);
        // A write error means the terminal is gone; the next read will end the session.
        let _ = self.screen.frame(&scroll, &live, cursor);
    }

    fn shutdown(&mut self, session: &Session) {
        if let Some(p) = self.prompt.take() {
            drop(p);
        }
        let t = self.theme;
        let mut input = 0;
        let mut output = 0;
        for m in session.usage() {
            input += m.usage.total_input();
            output += m.usage.output_tokens;
        }
        let summary = format!(
            "Total cost: {} · {} input, {} output tokens · {}",
            slash::dollars(session.cost_usd()),
            slash::thousands(input),
            slash::thousands(output),
            slash::duration(self.started.elapsed())
        );
        self.pending.push(String::new());
        self.pending.push(t.paint(theme::SECONDARY, &summary));
        let scroll = std::mem::take(&mut self.pending);
        let _ = self.screen.clear_live();
        let _ = self.screen.frame(&scroll, &[], None);
        terminal::restore();
    }
}

/// The next terminal event (never, while the terminal is handed over).
async fn next_event(events: &mut Option<EventStream>) -> Option<std::io::Result<Event>> {
    match events {
        Some(e) => std::future::poll_fn(|cx| std::pin::Pin::new(&mut *e).poll_next(cx)).await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at` (a branch that is disabled when there is nothing to wait for).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}
