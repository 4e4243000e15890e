//! Appending a session's transcript: one `write(2)` per line on an `O_APPEND` file, so a line
//! is in the kernel (and survives `kill -9`) as soon as `record` returns. Durability against a
//! power cut comes from `fdatasync`, done by one background thread after each line (coalesced),
//! so the session never waits for the disk. `CCRS_TRANSCRIPT_FSYNC=sync` syncs inline instead,
//! `off` never (both for measuring).

use super::history::FileHistory;
use super::line::{self, AssistantLine, Context, Kind, UserLine};
use crate::message::{ContentBlock, Message, Role};
use serde_json::Value;
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// How lines reach the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SyncPolicy {
    /// `fdatasync` on the background thread after each line (the default).
    Background,
    /// `fdatasync` before `record` returns.
    Inline,
    /// Never (the page cache still survives `kill -9`).
    Off,
}

fn policy() -> SyncPolicy {
    static P: OnceLock<SyncPolicy> = OnceLock::new();
    *P.get_or_init(|| match std::env::var("CCRS_TRANSCRIPT_FSYNC").as_deref() {
        Ok("sync") => SyncPolicy::Inline,
        Ok("off") => SyncPolicy::Off,
        _ => SyncPolicy::Background,
    })
}

/// The background `fdatasync` thread, started by the first line written.
fn syncer() -> Option<&'static Mutex<Sender<Arc<File>>>> {
    static S: OnceLock<Option<Mutex<Sender<Arc<File>>>>> = OnceLock::new();
    S.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Arc<File>>();
        std::thread::Builder::new()
            .name("ccrs-fsync".into())
            .spawn(move || sync_loop(rx))
            .ok()
            .map(|_| Mutex::new(tx))
    })
    .as_ref()
}

fn sync_loop(rx: Receiver<Arc<File>>) {
    while let Ok(first) = rx.recv() {
        // Everything queued meanwhile is covered by one sync per file.
        let mut files = vec![first];
        while let Ok(f) = rx.try_recv() {
            if !files.iter().any(|g| Arc::ptr_eq(g, &f)) {
                files.push(f);
            }
        }
        for f in files {
            let _ = f.sync_data();
        }
    }
}

fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An open transcript (or a subagent's sidechain). Cheap to clone: clones write to the same
/// file and continue the same chain.
#[derive(Clone)]
pub struct Transcript {
    inner: Arc<Mutex<Writer>>,
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcript")
            .field("path", &self.path())
            .finish()
    }
}

/// The file and what writing it needs.
pub(super) struct Sink {
    path: PathBuf,
    /// Opened by the first line (a session that sends nothing leaves no file).
    file: Option<Arc<File>>,
    /// A write failed part-way (or a crash left half a line): the next line starts on a fresh
    /// line.
    torn: bool,
    buf: Vec<u8>,
}

pub(super) struct Writer {
    sink: Sink,
    ctx: Context,
    sidechain: bool,
    agent_id: Option<String>,
    /// The uuid the next message line chains to (`parentUuid`).
    last: Option<String>,
    /// The uuid of the last assistant line (tool results name it).
    last_assistant: Option<String>,
    /// Lines that close what a resumed session left open, written before its next line.
    pending: Vec<(Message, Kind)>,
    /// The permission mode written on prompt lines.
    permission_mode: Option<String>,
    /// The first error, for the front end (reported once).
    error: Option<String>,
    reported: bool,
    /// Checkpoints of edited files (main chain only).
    pub(super) history: Option<FileHistory>,
}

/// Starts the next line on its own line if the file does not end with a newline (a line torn
/// by a crash), so the first new line is not glued to the fragment.
fn ends_torn(file: &File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] != b'\n')
}

pub(super) fn open_append(path: &Path) -> io::Result<File> {
    open_append_with(path, || {})
}

/// [`open_append`], with `between` run after the directory is made and before the file is
/// opened (where a test plays the other process).
///
/// The project directory can vanish in that gap: another ccrs (or Claude Code) sweeping
/// `cleanupPeriodDays` removes project directories it finds empty, and a new session's is
/// empty until its first line. Opening then fails with `NotFound`, which lost a session's
/// first line (its prompt), so the directory is made again and the open retried.
fn open_append_with(path: &Path, mut between: impl FnMut()) -> io::Result<File> {
    const ATTEMPTS: usize = 5;
    let mut attempt = 1;
    loop {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        between();
        match std::fs::OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
        {
            Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < ATTEMPTS => attempt += 1,
            r => return r,
        }
    }
}

impl Sink {
    fn new(path: PathBuf) -> Sink {
        Sink {
            path,
            file: None,
            torn: false,
            buf: Vec::new(),
        }
    }

    fn open(&mut self) -> io::Result<Arc<File>> {
        if let Some(f) = &self.file {
            return Ok(f.clone());
        }
        let created = !self.path.exists();
        let file = open_append(&self.path)?;
        if ends_torn(&file)? {
            self.torn = true;
        }
        if created
            && policy() != SyncPolicy::Off
            && let Some(dir) = self.path.parent()
            && let Ok(d) = File::open(dir)
        {
            // The new directory entry must survive a power cut too.
            let _ = d.sync_all();
        }
        let file = Arc::new(file);
        self.file = Some(file.clone());
        Ok(file)
    }

    /// Writes one line built by `build` (which appends JSON to the buffer).
    pub(super) fn write_with(
        &mut self,
        build: impl FnOnce(&mut Vec<u8>) -> serde_json::Result<()>,
    ) -> io::Result<()> {
        let file = self.open()?;
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        if self.torn {
            buf.push(b'\n');
        }
        let built = build(&mut buf);
        let res = match built {
            Ok(()) => {
                buf.push(b'\n');
                let mut f: &File = &file;
                f.write_all(&buf)
            }
            Err(e) => Err(io::Error::other(e)),
        };
        // Keep the allocation for the next line, unless a huge line made it big.
        if buf.capacity() <= 1 << 20 {
            self.buf = buf;
        }
        match res {
            Ok(()) => {
                self.torn = false;
                match policy() {
                    SyncPolicy::Background => match syncer() {
                        Some(tx) => {
                            if let Ok(tx) = tx.lock() {
                                let _ = tx.send(file);
                            }
                        }
                        None => {
                            let _ = file.sync_data();
                        }
                    },
                    SyncPolicy::Inline => file.sync_data()?,
                    SyncPolicy::Off => {}
                }
                Ok(())
            }
            Err(e) => {
                self.torn = true;
                Err(e)
            }
        }
    }
}

impl Writer {
    /// A writer at the start of its chain; `agent_id` makes it a subagent's sidechain.
    fn new(
        sink: Sink,
        ctx: Context,
        agent_id: Option<String>,
        history: Option<FileHistory>,
    ) -> Writer {
        Writer {
            sink,
            ctx,
            sidechain: agent_id.is_some(),
            agent_id,
            last: None,
            last_assistant: None,
            pending: Vec::new(),
            permission_mode: None,
            error: None,
            reported: false,
            history,
        }
    }

    fn fail(&mut self, e: io::Error) {
        if self.error.is_none() {
            self.error = Some(format!(
                "cannot write the transcript {}: {e}",
                self.sink.path.display()
            ));
        }
    }

    /// Writes the line(s) of one message; returns the uuid of the last one.
    fn record_one(&mut self, msg: &Message, kind: &Kind) -> Option<String> {
        match msg.role {
            Role::Assistant => self.assistant(msg, kind),
            Role::User => {
                let mut last = None;
                for part in line::user_parts(msg) {
                    last = self.user_part(part, kind).or(last);
                }
                last
            }
        }
    }

    fn assistant(&mut self, msg: &Message, kind: &Kind) -> Option<String> {
        let default_meta;
        let meta = match kind {
            Kind::Assistant(m) => m,
            _ => {
                default_meta = line::AssistantMeta::default();
                &default_meta
            }
        };
        let uuid = new_uuid();
        let ts = crate::timeutil::now_iso();
        // An answer that was cut off has no id from the API: give it one of the same form.
        let generated;
        let id = if meta.id.is_empty() {
            generated = format!("msg_ccrs_{}", uuid.replace('-', ""));
            generated.as_str()
        } else {
            meta.id.as_str()
        };
        let line = AssistantLine {
            parent_uuid: self.last.as_deref(),
            is_sidechain: self.sidechain,
            agent_id: self.agent_id.as_deref(),
            message: line::ApiMessage {
                id,
                ty: "message",
                role: "assistant",
                model: &meta.model,
                content: &msg.content,
                stop_reason: meta.stop_reason.as_deref(),
                stop_sequence: meta.stop_sequence.as_deref(),
                usage: &meta.usage,
            },
            request_id: meta.request_id.as_deref(),
            ty: "assistant",
            uuid: &uuid,
            timestamp: &ts,
            ctx: &self.ctx,
        };
        match self.sink.write_with(|b| serde_json::to_writer(b, &line)) {
            Ok(()) => {
                self.last = Some(uuid.clone());
                self.last_assistant = Some(uuid.clone());
                Some(uuid)
            }
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }

    fn user_part(&mut self, part: &[ContentBlock], kind: &Kind) -> Option<String> {
        let uuid = new_uuid();
        let ts = crate::timeutil::now_iso();
        let result_id = line::result_id(part);
        let structured = match (kind, result_id) {
            (Kind::ToolResults(list), Some(id)) => {
                list.iter().find(|(i, _)| i == id).map(|(_, v)| v)
            }
            _ => None,
        };
        let ctx = &self.ctx;
        let line = UserLine {
            parent_uuid: self.last.as_deref(),
            is_sidechain: self.sidechain,
            agent_id: self.agent_id.as_deref(),
            ty: "user",
            message: part,
            is_meta: *kind == Kind::Meta,
            is_compact_summary: *kind == Kind::CompactSummary,
            uuid: &uuid,
            timestamp: &ts,
            tool_use_result: structured,
            source_tool_assistant_uuid: result_id.and(self.last_assistant.as_deref()),
            permission_mode: if *kind == Kind::Prompt {
                self.permission_mode.as_deref()
            } else {
                None
            },
            ctx,
        };
        match self.sink.write_with(|b| serde_json::to_writer(b, &line)) {
            Ok(()) => {
                self.last = Some(uuid.clone());
                Some(uuid)
            }
            Err(e) => {
                self.fail(e);
                None
            }
        }
    }
}

/// Who writes a transcript: the fields every line carries.
#[derive(Clone, Debug)]
pub struct Identity {
    pub session_id: String,
    pub cwd: PathBuf,
    /// `cli` (interactive) or `sdk-cli` (print mode), as Claude Code writes it.
    pub entrypoint: String,
    /// The branch checked out in `cwd` (`HEAD` when detached or not a repository).
    pub git_branch: Option<String>,
}

impl Transcript {
    /// A transcript at `path` (created with the first line). `history_dir` is where the file
    /// checkpoints of this session go (`None`: none are kept).
    pub fn new(path: PathBuf, id: &Identity, history_dir: Option<PathBuf>) -> Transcript {
        let ctx = Context {
            user_type: "external",
            entrypoint: id.entrypoint.clone(),
            cwd: id.cwd.display().to_string(),
            session_id: id.session_id.clone(),
            version: crate::CLAUDE_CODE_COMPAT_VERSION.to_string(),
            git_branch: id.git_branch.clone().unwrap_or_else(|| "HEAD".into()),
        };
        Transcript {
            inner: Arc::new(Mutex::new(Writer::new(
                Sink::new(path),
                ctx,
                None,
                history_dir.map(|d| FileHistory::new(d, id.cwd.clone())),
            ))),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Writer> {
        match self.inner.lock() {
            Ok(g) => g,
            // A panic while writing leaves the writer usable: every field stays consistent.
            Err(p) => p.into_inner(),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.lock().sink.path.clone()
    }

    pub fn session_id(&self) -> String {
        self.lock().ctx.session_id.clone()
    }

    /// Appends a message (as one or more lines). Returns the uuid of its last line.
    pub fn record(&self, msg: &Message, kind: &Kind) -> Option<String> {
        let mut w = self.lock();
        for (m, k) in std::mem::take(&mut w.pending) {
            w.record_one(&m, &k);
        }
        let uuid = w.record_one(msg, kind);
        if *kind == Kind::Prompt
            && let Some(u) = &uuid
        {
            let w = &mut *w;
            if let Some(h) = w.history.as_mut() {
                let line = h.snapshot(u);
                if let Err(e) = write_value(w, &line) {
                    w.fail(e);
                }
            }
        }
        uuid
    }

    /// The permission mode written on the next prompt lines.
    pub fn set_permission_mode(&self, mode: &str) {
        self.lock().permission_mode = Some(mode.to_string());
    }

    /// Lines written before the next one: what closes a resumed conversation's open turn
    /// (written only if the session goes on).
    pub fn defer(&self, lines: Vec<(Message, Kind)>) {
        self.lock().pending.extend(lines);
    }

    /// Continues the chain after `uuid` (a resumed conversation's last message).
    pub fn continue_after(&self, uuid: Option<String>) {
        self.lock().last = uuid;
    }

    /// The uuid the next line chains to.
    pub fn leaf(&self) -> Option<String> {
        self.lock().last.clone()
    }

    /// Ends the conversation at `leaf` (`None`: at nothing, `/clear`) until the next message:
    /// an explicit `last-prompt` line, as Claude Code's `/rewind` and `/clear` write.
    pub fn set_leaf(&self, leaf: Option<String>, rewound: bool) {
        let mut w = self.lock();
        w.last = leaf;
        w.last_assistant = None;
        w.pending.clear();
        if w.sink.file.is_none() && !w.sink.path.exists() {
            return;
        }
        let w = &mut *w;
        let line = line::LastPromptLine {
            ty: "last-prompt",
            last_prompt: None,
            leaf_uuid: w.last.as_deref(),
            explicit: true,
            rewound,
            session_id: &w.ctx.session_id,
        };
        if let Err(e) = w.sink.write_with(|b| serde_json::to_writer(b, &line)) {
            w.fail(e);
        }
    }

    /// Writes a compact boundary (the root of the compacted conversation that follows; the
    /// summary comes next as a [`Kind::CompactSummary`] message). Returns its uuid.
    pub fn compact_boundary(&self, trigger: &str, pre_tokens: u64) -> Option<String> {
        let mut w = self.lock();
        let w = &mut *w;
        let uuid = new_uuid();
        let ts = crate::timeutil::now_iso();
        let line = line::BoundaryLine {
            parent_uuid: None,
            logical_parent_uuid: w.last.as_deref(),
            is_sidechain: w.sidechain,
            ty: "system",
            subtype: "compact_boundary",
            content: "Conversation compacted",
            is_meta: false,
            timestamp: &ts,
            uuid: &uuid,
            level: "info",
            compact_metadata: line::CompactMetadata {
                trigger,
                pre_tokens,
            },
            ctx: &w.ctx,
        };
        match w.sink.write_with(|b| serde_json::to_writer(b, &line)) {
            Ok(()) => {
                w.last = Some(uuid.clone());
                w.last_assistant = None;
                Some(uuid)
            }
            Err(e) => {
                w.fail(e);
                None
            }
        }
    }

    /// A subagent's transcript: `<session dir>/subagents/agent-<agent_id>.jsonl`, its lines
    /// `isSidechain: true` with `agentId`, its own chain; `meta` goes to
    /// `agent-<agent_id>.meta.json` (Claude Code writes `agentType`, `description`,
    /// `toolUseId`, `spawnDepth`).
    pub fn subagent(&self, agent_id: &str, meta: &Value) -> Transcript {
        let w = self.lock();
        let dir = w
            .sink
            .path
            .with_extension("")
            .join("subagents")
            .join(format!("agent-{agent_id}.jsonl"));
        let meta_path = dir.with_extension("meta.json");
        let child = Writer::new(
            Sink::new(dir),
            w.ctx.clone(),
            Some(agent_id.to_string()),
            None,
        );
        drop(w);
        if let Some(parent) = meta_path.parent()
            && std::fs::create_dir_all(parent).is_ok()
        {
            let _ = crate::fsutil::atomic_write(&meta_path, meta.to_string().as_bytes(), None);
        }
        Transcript {
            inner: Arc::new(Mutex::new(child)),
        }
    }

    /// A problem writing the transcript, once (the front end shows it as a warning).
    pub fn take_error(&self) -> Option<String> {
        let mut w = self.lock();
        if w.reported {
            return None;
        }
        let e = w.error.clone();
        if e.is_some() {
            w.reported = true;
        }
        e
    }

    /// Before a tool writes `paths`: their current content is kept so `/rewind` can restore
    /// it (the first time each is touched in a prompt's turn).
    pub fn track_edits(&self, paths: &[PathBuf]) {
        let mut w = self.lock();
        let w = &mut *w;
        let Some(h) = w.history.as_mut() else {
            return;
        };
        if let Some(line) = h.track(paths)
            && let Err(e) = write_value(w, &line)
        {
            w.fail(e);
        }
    }

    /// Copies raw lines (a forked conversation) into this transcript: each gets this session's
    /// id and is chained to the previous one.
    pub(super) fn copy_lines(&self, lines: impl Iterator<Item = Value>) {
        let mut w = self.lock();
        let w = &mut *w;
        for mut v in lines {
            if let Some(obj) = v.as_object_mut() {
                obj.insert("sessionId".into(), Value::String(w.ctx.session_id.clone()));
                let is_root = obj.get("parentUuid").is_some_and(Value::is_null);
                if !is_root {
                    obj.insert(
                        "parentUuid".into(),
                        w.last.clone().map_or(Value::Null, Value::String),
                    );
                }
                let uuid = obj.get("uuid").and_then(Value::as_str).map(str::to_string);
                let is_assistant = obj.get("type").and_then(Value::as_str) == Some("assistant");
                match write_value(w, &v) {
                    Ok(()) => {
                        if uuid.is_some() {
                            w.last = uuid.clone();
                        }
                        if is_assistant {
                            w.last_assistant = uuid;
                        }
                    }
                    Err(e) => w.fail(e),
                }
            }
        }
    }

    /// The file checkpoints of this session (for `/rewind`).
    pub(super) fn with_history<T>(&self, f: impl FnOnce(&mut FileHistory) -> T) -> Option<T> {
        self.lock().history.as_mut().map(f)
    }
}

fn write_value(w: &mut Writer, v: &Value) -> io::Result<()> {
    w.sink.write_with(|b| serde_json::to_writer(b, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(cwd: &Path) -> Identity {
        Identity {
            session_id: "11111111-1111-4111-8111-111111111111".into(),
            cwd: cwd.to_path_buf(),
            entrypoint: "sdk-cli".into(),
            git_branch: Some("main".into()),
        }
    }

    fn lines(p: &Path) -> Vec<Value> {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn messages_chain_and_a_torn_end_is_not_glued_to() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p/s.jsonl");
        let t = Transcript::new(path.clone(), &id(dir.path()), None);
        assert!(!path.exists());
        let u1 = t.record(&Message::user_text("hi"), &Kind::Prompt).unwrap();
        t.record(
            &Message::assistant(vec![ContentBlock::text("yo")]),
            &Kind::Plain,
        );
        let l = lines(&path);
        assert_eq!(l[1]["parentUuid"], u1.as_str());
        assert_eq!(l[1]["type"], "assistant");
        assert!(
            l[1]["message"]["id"]
                .as_str()
                .unwrap()
                .starts_with("msg_ccrs_")
        );
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // A crash left half a line: the next writer starts on a new line.
        let mut f = open_append(&path).unwrap();
        f.write_all(b"{\"parentUuid\":\"x\",\"trunc").unwrap();
        let t2 = Transcript::new(path.clone(), &id(dir.path()), None);
        t2.record(&Message::user_text("again"), &Kind::Prompt);
        let text = std::fs::read_to_string(&path).unwrap();
        let last = text.lines().last().unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(last).unwrap()["message"]["content"],
            "again"
        );
    }

    /// A cleanup sweep in another process removed the new, still empty, project directory
    /// between its creation and the file's: the first line (the prompt) must still be written.
    #[test]
    fn a_directory_removed_before_the_first_line_is_made_again() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("projects/-w");
        let path = proj.join("s.jsonl");
        let mut removals = 0;
        let f = open_append_with(&path, || {
            if removals < 2 {
                std::fs::remove_dir(&proj).unwrap();
                removals += 1;
            }
        })
        .unwrap();
        let mut f: &File = &f;
        f.write_all(b"{}\n").unwrap();
        assert_eq!(removals, 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
    }

    #[test]
    fn subagents_write_sidechains_beside_the_session() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let t = Transcript::new(path.clone(), &id(dir.path()), None);
        let c = t.subagent(
            "a0123",
            &serde_json::json!({"agentType": "general-purpose"}),
        );
        c.record(&Message::user_text("task"), &Kind::Prompt);
        let side = dir.path().join("s/subagents/agent-a0123.jsonl");
        let l = lines(&side);
        assert_eq!(l[0]["isSidechain"], true);
        assert_eq!(l[0]["agentId"], "a0123");
        assert!(
            dir.path()
                .join("s/subagents/agent-a0123.meta.json")
                .exists()
        );
        assert!(!path.exists());
    }
}
