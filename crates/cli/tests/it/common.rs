//! The harness of the interactive tests: the real `ccrs` binary in a real pseudo-terminal
//! against the scripted mock API, its screen reconstructed with a vt100 parser. Every wait is
//! for screen contents (or captured requests) with a timeout, never a fixed sleep.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use ccrs_mock::{MockServer, Reply};
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(20);
/// Longer than the TUI's question grace period (400 ms).
pub const QUESTION_GRACE: Duration = Duration::from_millis(600);

pub struct Env {
    pub _tmp: tempfile::TempDir,
    pub home: PathBuf,
    pub cwd: PathBuf,
}

pub fn env() -> Env {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let cwd = tmp.path().join("project");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&cwd).unwrap();
    Env {
        _tmp: tmp,
        home,
        cwd,
    }
}

/// What the terminal answers to the program's queries.
#[derive(Clone, Copy, PartialEq)]
pub enum Terminal {
    /// Answers the device-attributes query only (no kitty keyboard protocol).
    Plain,
    /// Also reports kitty keyboard protocol support (Shift-Enter is distinguishable).
    Kitty,
}

pub struct Shared {
    pub parser: vt100::Parser,
    pub raw: Vec<u8>,
    /// The program's side of the terminal is closed and everything it wrote was read.
    pub eof: bool,
}

pub struct Tui {
    pub child: Box<dyn Child + Send + Sync>,
    pub master: Box<dyn MasterPty + Send>,
    pub writer: Arc<Mutex<Box<dyn Write + Send>>>,
    pub shared: Arc<Mutex<Shared>>,
}

pub fn count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

pub struct Spawn<'a> {
    pub args: Vec<&'a str>,
    pub cols: u16,
    pub rows: u16,
    pub terminal: Terminal,
    pub extra_env: Vec<(&'a str, String)>,
    /// Run through `sh -c` and print `stty -a` after ccrs exits.
    pub stty_after: bool,
    /// Wait for the input line before returning (typing earlier would reach the terminal
    /// while it is still in cooked mode).
    pub wait_ready: bool,
}

impl Default for Spawn<'_> {
    fn default() -> Self {
        Spawn {
            args: vec![],
            cols: 100,
            rows: 30,
            terminal: Terminal::Plain,
            extra_env: vec![],
            stty_after: false,
            wait_ready: true,
        }
    }
}

impl Tui {
    pub fn start(e: &Env, mock: &MockServer) -> Tui {
        Tui::spawn(e, mock, Spawn::default())
    }

    pub fn spawn(e: &Env, mock: &MockServer, opts: Spawn<'_>) -> Tui {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: opts.rows,
                cols: opts.cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let bin = env!("CARGO_BIN_EXE_ccrs");
        let mut cmd = if opts.stty_after {
            let mut c = CommandBuilder::new("sh");
            c.arg("-c");
            c.arg("\"$0\" \"$@\"; echo \"EXIT:$?\"; stty -a");
            c.arg(bin);
            c
        } else {
            CommandBuilder::new(bin)
        };
        cmd.args(&opts.args);
        cmd.cwd(&e.cwd);
        cmd.env_clear();
        cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        cmd.env("HOME", &e.home);
        cmd.env("TERM", "xterm-256color");
        cmd.env("CLAUDE_CONFIG_DIR", e.home.join(".claude"));
        cmd.env("XDG_CONFIG_HOME", e.home.join(".config"));
        cmd.env(
            "CCRS_MANAGED_SETTINGS_PATH",
            e.home.join("no-managed-settings.json"),
        );
        cmd.env("CCRS_MANAGED_MEMORY_DIR", e.home.join("no-managed-memory"));
        cmd.env("ANTHROPIC_API_KEY", "sk-ant-test-key");
        cmd.env("ANTHROPIC_BASE_URL", mock.base_url());
        for (k, v) in &opts.extra_env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        // One writer (a pty allows only one): the test's keys and the terminal's answers.
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let shared = Arc::new(Mutex::new(Shared {
            parser: vt100::Parser::new(opts.rows, opts.cols, 2000),
            raw: Vec::new(),
            eof: false,
        }));
        let answers = writer.clone();
        let s2 = shared.clone();
        let terminal = opts.terminal;
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => {
                        s2.lock().unwrap().eof = true;
                        break;
                    }
                    Ok(n) => n,
                };
                let mut g = s2.lock().unwrap();
                g.parser.process(&buf[..n]);
                g.raw.extend_from_slice(&buf[..n]);
                // Answer terminal queries like a real terminal would. Only the new bytes (and
                // a few before them, for a query split across reads) are searched.
                let old_len = g.raw.len() - n;
                let from = old_len.saturating_sub(8);
                let fresh = &g.raw[from..];
                let overlap = &fresh[..old_len - from];
                // Queries that end in the new bytes (those in the overlap were answered).
                let new_queries = |q: &[u8]| count(fresh, q) - count(overlap, q);
                let mut reply = Vec::new();
                if terminal == Terminal::Kitty {
                    for _ in 0..new_queries(b"\x1b[?u") {
                        reply.extend_from_slice(b"\x1b[?0u");
                    }
                }
                for _ in 0..new_queries(b"\x1b[c") {
                    reply.extend_from_slice(b"\x1b[?62;22c");
                }
                drop(g);
                if !reply.is_empty() {
                    let mut w = answers.lock().unwrap();
                    let _ = w.write_all(&reply);
                    let _ = w.flush();
                }
            }
        });
        let t = Tui {
            child,
            master: pair.master,
            writer,
            shared,
        };
        if opts.wait_ready {
            t.wait_text("shift+tab");
        }
        t
    }

    pub fn send(&mut self, s: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(s.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// Types text and presses Enter.
    /// Answers the permission question on screen. Keys that come within the UI's grace period
    /// after a question appears go to the input box (issue 20 point 1), so a deliberate answer
    /// waits longer than that, counted from when the question was seen: load cannot shorten it.
    pub fn answer(&mut self, keys: &str) {
        std::thread::sleep(QUESTION_GRACE);
        self.send(keys);
    }

    pub fn submit(&mut self, s: &str) {
        self.send(s);
        // The text must be on screen before Enter, or Enter could arrive inside the same read
        // as a paste-like burst (that is fine too, but keep the test deterministic).
        let last = s.lines().last().unwrap_or("").to_string();
        if !last.is_empty() {
            self.wait_for(|t| t.contains(&last));
        }
        self.send("\r");
    }

    pub fn screen(&self) -> String {
        self.shared.lock().unwrap().parser.screen().contents()
    }

    /// The visible rows, one per terminal row (`screen()` joins soft-wrapped rows).
    pub fn rows(&self) -> Vec<String> {
        let g = self.shared.lock().unwrap();
        let cols = g.parser.screen().size().1;
        g.parser.screen().rows(0, cols).collect()
    }

    pub fn raw_len(&self) -> usize {
        self.shared.lock().unwrap().raw.len()
    }

    /// What the program printed after the first `from` bytes.
    pub fn raw_since(&self, from: usize) -> Vec<u8> {
        let g = self.shared.lock().unwrap();
        g.raw.get(from..).unwrap_or_default().to_vec()
    }

    pub fn raw(&self) -> Vec<u8> {
        self.shared.lock().unwrap().raw.clone()
    }

    pub fn cursor(&self) -> (u16, u16) {
        self.shared
            .lock()
            .unwrap()
            .parser
            .screen()
            .cursor_position()
    }

    pub fn wait_for(&self, pred: impl Fn(&str) -> bool) -> String {
        self.wait_for_within(TIMEOUT, pred)
    }

    pub fn wait_for_within(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting; screen:\n{s}\n---");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn wait_rows(&self, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
        let start = Instant::now();
        loop {
            let rows = self.rows();
            if pred(&rows) {
                return rows;
            }
            if start.elapsed() > TIMEOUT {
                panic!("timed out waiting; rows:\n{}\n---", rows.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(|s| s.contains(text))
    }

    pub fn resize(&mut self, cols: u16, rows: u16) {
        // The parser takes the new size before the program can draw for it.
        let mut g = self.shared.lock().unwrap();
        g.parser.screen_mut().set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    pub fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                // And everything it printed has been read.
                while !self.shared.lock().unwrap().eof && start.elapsed() < TIMEOUT {
                    std::thread::sleep(Duration::from_millis(5));
                }
                return st.exit_code();
            }
            if start.elapsed() > TIMEOUT {
                let _ = self.child.kill();
                panic!("ccrs did not exit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().unwrap()
    }

    /// Waits until the idle input prompt is back (no spinner).
    pub fn wait_idle(&self) -> String {
        self.wait_for(|s| !s.contains("esc to interrupt)") && s.lines().any(|l| l.starts_with('>')))
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// `ccrs` with `args` (print mode, usually) in the test's home and project, stdin closed.
pub fn ccrs(e: &Env, mock: &MockServer, args: &[&str]) -> Output {
    ccrs_in(&e.home, &e.cwd, mock, args, &[])
}

/// `ccrs` in `cwd` with `home` and extra environment.
pub fn ccrs_in(
    home: &Path,
    cwd: &Path,
    mock: &MockServer,
    args: &[&str],
    extra_env: &[(&str, &str)],
) -> Output {
    let mut cmd = ccrs_command(home, cwd, mock);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The `ccrs` binary in `cwd`, with only the test's environment: `home` and its config dirs, no
/// managed settings, a test key, the mock's URL.
pub fn ccrs_command(home: &Path, cwd: &Path, mock: &MockServer) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ccrs"));
    cmd.current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("CLAUDE_CONFIG_DIR", home.join(".claude"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env(
            "CCRS_MANAGED_SETTINGS_PATH",
            home.join("no-managed-settings.json"),
        )
        .env("CCRS_MANAGED_MEMORY_DIR", home.join("no-managed-memory"))
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key")
        .env("ANTHROPIC_BASE_URL", mock.base_url());
    cmd
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn wait_requests(mock: &MockServer, n: usize) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let r = mock.message_requests();
        if r.len() >= n {
            return r.into_iter().map(|r| r.json.unwrap()).collect();
        }
        if start.elapsed() > TIMEOUT {
            panic!("only {} of {n} requests arrived", r.len());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// All the text of a message's content (string or blocks).
pub fn content_text(msg: &Value) -> String {
    match &msg["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .map(|b| {
                b["text"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| b["content"].as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

pub fn last_user_text(req: &Value) -> String {
    let msgs = req["messages"].as_array().unwrap();
    content_text(msgs.last().unwrap())
}

pub fn write(p: &Path, s: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, s).unwrap();
}

/// Bash `touch <file>` as the model's call.
pub fn touch(file: &str) -> Reply {
    Reply::tool_use(
        "Bash",
        serde_json::json!({"command": format!("touch {file}"), "description": "Create a file"}),
    )
}

pub fn tool_results(req: &Value) -> Vec<Value> {
    let msgs = req["messages"].as_array().unwrap();
    msgs.last().unwrap()["content"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|b| b["type"] == "tool_result")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Processes whose command line contains `marker`.
pub fn processes_with(marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(marker) {
                out.push(cmd);
            }
        }
    }
    out
}

pub fn proc_cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let f: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    // utime and stime (fields 14 and 15 of the whole line).
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

/// Context switches of the process's threads, voluntary and involuntary.
pub fn proc_switches(pid: u32) -> u64 {
    task_counters(
        pid,
        &["voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:"],
    )
}

/// Times the process's threads went to sleep and were woken (voluntary context switches; the
/// involuntary ones measure the machine's load, not the program).
pub fn proc_wakeups(pid: u32) -> u64 {
    task_counters(pid, &["voluntary_ctxt_switches:"])
}

/// The sum over the process's threads of the `/proc/<pid>/task/*/status` counters `keys`.
fn task_counters(pid: u32, keys: &[&str]) -> u64 {
    let mut n = 0;
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        for l in status.lines() {
            if let Some(v) = keys.iter().find_map(|k| l.strip_prefix(k)) {
                n += v.trim().parse::<u64>().unwrap();
            }
        }
    }
    n
}

pub fn proc_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .parse()
        .unwrap()
}

/// `v` with the values that change from run to run replaced by placeholders (for snapshots):
/// ids, durations, timestamps, the temporary working directory and ccrs's version.
pub fn redact(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let placeholder = match k.as_str() {
                        "uuid" | "session_id" => Some("[uuid]"),
                        "duration_ms" | "duration_api_ms" | "ttft_ms" => Some("[ms]"),
                        "timestamp" => Some("[timestamp]"),
                        "cwd" => Some("[cwd]"),
                        "ccrs_version" => Some("[version]"),
                        // Counted by the mock from the request's size, which holds the
                        // machine's OS version and the temporary directory's name.
                        "input_tokens" | "inputTokens" => Some("[tokens]"),
                        "total_cost_usd" | "costUSD" => Some("[cost]"),
                        _ => None,
                    };
                    let v = match placeholder {
                        Some(p) if !v.is_null() => Value::String(p.to_string()),
                        _ => redact(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redact).collect()),
        // The mock's message and request ids are random.
        Value::String(s) if s.starts_with("msg_mock_") => Value::String("[msg id]".into()),
        Value::String(s) if s.starts_with("req_mock_") => Value::String("[request id]".into()),
        other => other.clone(),
    }
}
