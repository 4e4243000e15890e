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
mod keys;
mod live;
mod markdown;
mod mcp_view;
mod picker;
mod prompt;
mod question;
mod render;
mod slash;
mod terminal;
mod text;
mod theme;
mod transcript;

use crate::args::Args;
use crate::login;
use crate::setup;
use anyhow::Result;
use ccrs_core::auth::{AuthError, DefaultAuth};
use ccrs_core::cancel::CancelToken;
use ccrs_core::events::{AgentEvent, EventSink};
use ccrs_core::hooks::status_line::{StatusInput, StatusLine};
use ccrs_core::hooks::{EndReason, Hooks};
use ccrs_core::permissions::{PermissionEngine, PromptAnswer};
use ccrs_core::session::{
    CustomCommand, Prepared, QueryResult, Session, SessionSetup, ToolSet, Turn, UserInput,
};
use ccrs_core::tools::ToolContext;
use complete::Completion;
use crossterm::event::{Event, EventStream, KeyCode, KeyEvent, KeyModifiers};
use editor::Editor;
use futures_core::Stream;
use history::History;
use markdown::Markdown;
use prompt::{ActivePrompt, PromptJob, UiPrompter};
use render::Refusal;
use std::collections::HashMap;
use std::io::{IsTerminal, Stdout};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use terminal::Screen;
use theme::Theme;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{mpsc, watch};

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
/// Nothing typed this long after an answer fires the `idle_prompt` notification hook.
const IDLE_NOTIFY_AFTER: Duration = Duration::from_secs(60);
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
    /// Time spent waiting for the user's answers (the spinner's clock stops meanwhile).
    paused: Duration,
    /// The user refused a call without a message: the turn ends quietly.
    refused: bool,
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
            paused: Duration::ZERO,
            refused: false,
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
    HintOver,
    Signal(SignalKind),
    /// The status line has a new text.
    Status,
    /// Nothing was typed for a while after the answer (`idle_prompt` notification).
    Idle,
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
    /// `/model` or `/permissions` open in the live region.
    picker: Option<picker::Picker>,
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
    /// The last folded tool output (title, whole text), for Ctrl-O.
    folded: Option<(String, String)>,
    /// A transient message in the status line.
    hint: Option<String>,
    /// When the hint's confirmation window ends.
    hint_until: Option<Instant>,
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
    hooks: Hooks,
    /// The `statusLine` command's runner and its latest text.
    status_line: Option<(StatusLine, watch::Receiver<Option<String>>)>,
    /// When the `idle_prompt` notification fires if nothing is typed.
    idle_at: Option<Instant>,
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
    let mut setup = SessionSetup::load(options)?;
    crate::mcp_cmd::ask_approvals(&mut setup, &mut login::Terminal);
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
    // A person answers here: permission prompts and idle waits notify hooks.
    session.hooks().set_interactive(true);
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
        picker: None,
        menu: None,
        queue: Vec::new(),
        pending: Vec::new(),
        md: Markdown::assistant(theme, w as usize),
        thinking: Markdown::thinking(theme, w as usize),
        in_thinking: false,
        refusals: HashMap::new(),
        todos_shown: false,
        folded: None,
        hint: None,
        hint_until: None,
        ctrl_c_at: None,
        esc_at: None,
        exit: false,
        started: Instant::now(),
        lines_added: 0,
        lines_removed: 0,
        custom: session.custom_commands().to_vec(),
        last_draw: Instant::now(),
        draw_at: None,
        hooks: session.hooks().clone(),
        status_line: session.hooks().status_line_runner(),
        idle_at: None,
    };
    ui.header(&warnings, debug_file.as_deref());
    if let Some(p) = args.prompt.as_deref().filter(|p| !p.trim().is_empty()) {
        ui.queue.push(p.to_string());
    }
    ui.refresh_status_line(&session);
    ui.run(&mut session).await;
    session
        .end(EndReason::PromptInputExit, ui.sink.clone())
        .await;
    while let Ok(ev) = ui.agent_rx.try_recv() {
        ui.on_agent_event(ev);
    }
    ui.shutdown(&session);
    session.shutdown().await;
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
            let hint_until = self.hint_until;
            let idle_at = self.idle_at;
            let wake = tokio::select! {
                ev = next_event(&mut self.events) => Wake::Term(ev),
                s = self.signals.recv() => Wake::Signal(s),
                _ = sleep_until(draw_at), if draw_at.is_some() => Wake::Draw,
                _ = sleep_until(hint_until), if hint_until.is_some() => Wake::HintOver,
                _ = sleep_until(idle_at), if idle_at.is_some() => Wake::Idle,
                _ = status_changed(&mut self.status_line) => Wake::Status,
            };
            match wake {
                Wake::Idle => {
                    self.idle_at = None;
                    self.hooks.notify(
                        "idle_prompt",
                        "Claude is waiting for your input",
                        &self.sink,
                    );
                }
                Wake::Status => self.request_draw(),
                Wake::Term(ev) => {
                    self.idle_at = None;
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
                Wake::HintOver => self.expire_hint(),
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

    /// Opens `path` in `$VISUAL`/`$EDITOR` (vi without either) with the terminal given back.
    fn edit(&mut self, path: &std::path::Path) {
        let editor = ["VISUAL", "EDITOR"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
            .unwrap_or_else(|| "vi".into());
        self.suspend();
        // The editor may carry arguments (`code -w`): let the shell split them.
        let status = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("sh")
            .arg(path)
            .status();
        self.resume();
        let note = match status {
            Ok(s) if s.success() => format!(
                "  ⎿  Edited {} (applies from the next conversation: /clear)",
                path.display()
            ),
            Ok(s) => format!("  ⎿  {editor} ended with {s}"),
            Err(e) => format!("  ⎿  cannot run {editor}: {e}"),
        };
        self.pending.push(self.theme.paint(theme::SECONDARY, &note));
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
        let turn_text = sent.clone();
        let prepared = session.prepare(UserInput::Text(sent)).await;
        self.custom = session.custom_commands().to_vec();
        match prepared {
            // Without arguments, /model and /permissions open a picker in the live region.
            Prepared::Local { builtin, args }
                if builtin.name == "model" && args.trim().is_empty() =>
            {
                self.picker = Some(picker::Picker::models(session.model()));
            }
            Prepared::Local { builtin, args }
                if builtin.name == "permissions" && args.trim().is_empty() =>
            {
                self.picker = Some(picker::Picker::rules(
                    &self.engine,
                    &self.cwd,
                    &ccrs_core::paths::claude_dir(),
                ));
            }
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
                    slash::Outcome::Compact(instructions) => {
                        self.pending
                            .push(self.theme.paint(theme::SECONDARY, "  ⎿  Compacting…"));
                        self.draw_now();
                        let cancel = ccrs_core::cancel::CancelToken::new();
                        let report = session
                            .compact(
                                Some(instructions.as_str()).filter(|i| !i.trim().is_empty()),
                                &cancel,
                            )
                            .await;
                        self.pending.push(
                            self.theme
                                .paint(theme::SECONDARY, &format!("  ⎿  {}", report.headline())),
                        );
                        self.request_draw();
                    }
                    slash::Outcome::Edit(path) => {
                        self.edit(&path);
                        session.reload_memory();
                    }
                }
            }
            Prepared::Unknown { name, suggestions } => {
                let lines = slash::unknown(&self.theme, &name, &suggestions);
                self.pending.extend(lines);
            }
            Prepared::Turn(turn) => {
                for word in complete::unmatched_at_words(&turn_text, &self.cwd) {
                    self.pending.push(render::warning(
                        &self.theme,
                        &format!("{word} matches no file: sent as plain text"),
                    ));
                }
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
                let hint_until = self.hint_until;
                // Agent events first: the stream's text shows before the query's end.
                let wake = tokio::select! {
                    biased;
                    Some(ev) = self.agent_rx.recv() => Wake::Agent(ev),
                    Some(job) = self.prompt_rx.recv() => Wake::Prompt(job),
                    ev = next_event(&mut self.events) => Wake::Term(ev),
                    res = &mut fut => Wake::Done(res),
                    s = self.signals.recv() => Wake::Signal(s),
                    _ = sleep_until(draw_at), if draw_at.is_some() => Wake::Draw,
                    _ = sleep_until(hint_until), if hint_until.is_some() => Wake::HintOver,
                    _ = tick.tick() => Wake::Tick,
                    _ = status_changed(&mut self.status_line) => Wake::Status,
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
                    Wake::HintOver => self.expire_hint(),
                    Wake::Status | Wake::Idle => {}
                    Wake::Draw => {
                        // Nothing changed since the frame was asked for: do not ask for
                        // another (that would redraw at the frame rate while busy).
                        self.draw_now();
                        continue;
                    }
                    Wake::Tick => {
                        // The spinner stands still while a question waits for the user.
                        if let Some(b) = &mut self.busy
                            && self.prompt.is_none()
                        {
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
        self.refresh_status_line(session);
        self.idle_at = Some(Instant::now() + IDLE_NOTIFY_AFTER);
    }

    /// Asks the `statusLine` command for a new text.
    fn refresh_status_line(&self, session: &Session) {
        let Some((line, _)) = &self.status_line else {
            return;
        };
        let usage = session.usage();
        line.refresh(StatusInput {
            model_id: session.model().to_string(),
            model_display: ccrs_core::models::info(session.model())
                .map_or_else(|| session.model().to_string(), |m| m.display.to_string()),
            cost_usd: session.cost_usd(),
            duration_ms: self.started.elapsed().as_millis() as u64,
            api_duration_ms: session.api_duration().as_millis() as u64,
            lines_added: self.lines_added,
            lines_removed: self.lines_removed,
            exceeds_200k_tokens: usage.iter().any(|m| m.usage.total_input() > 200_000),
        });
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

/// Resolves when the status line's text changes (never without a status line).
async fn status_changed(line: &mut Option<(StatusLine, watch::Receiver<Option<String>>)>) {
    match line {
        Some((_, rx)) => {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
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
