//! Transcripts in Claude Code's own format and place, so a session either program wrote resumes
//! in the other: `<config dir>/projects/<cwd, non-alphanumerics as '-'>/<session id>.jsonl`,
//! one JSON object per line (`user` / `assistant` / `system` / `last-prompt` /
//! `file-history-snapshot` …), each message chained to the one before by `parentUuid`.
//!
//! - [`Transcript`] appends: every message the conversation takes in is written before the next
//!   step of the loop (`kill -9` loses at most the message being streamed); see `writer`.
//! - [`load`] reads one back into a conversation the API accepts, holding only the live chain
//!   (`index`, `load`).
//! - [`latest`], [`by_id`], [`sessions`], [`summarize`] find sessions (`--continue`,
//!   `--resume`, the picker); [`cleanup`] applies `cleanupPeriodDays`.
//! - `history`: the checkpoints of edited files behind `/rewind`.
//!
//! Subagents write sidechains through [`Transcript::subagent`]; compaction writes its boundary
//! through [`Transcript::compact_boundary`] followed by a [`Kind::CompactSummary`] message.

pub mod cleanup;
mod history;
mod index;
mod line;
mod list;
mod load;
pub mod path;
mod writer;

pub use history::{FilesRewound, Snapshot};
pub use line::{AssistantMeta, Kind};
pub use list::{FindError, SessionFile, Summary, by_id, latest, sessions, summarize};
pub use load::{Item, Loaded, load};
pub use writer::{Identity, Transcript};

impl Transcript {
    /// Continues `loaded` in this transcript: the same file goes on after its last message, or
    /// (`fork`) its conversation is copied into this new file first. Checkpoints come along.
    pub fn resume_from(&self, loaded: &Loaded, fork: bool) {
        if fork {
            self.copy_lines(loaded.chain_lines());
        } else {
            self.continue_after(loaded.leaf.clone());
        }
        self.defer(loaded.tail.clone());
        // The checkpoints of a forked session are linked into this one's directory.
        let from = loaded.session_id.as_ref().and_then(|id| {
            let dir = self.with_history(|h| h.dir().to_path_buf())?;
            Some(dir.parent()?.join(id))
        });
        let snapshots = loaded.snapshots.clone();
        self.with_history(|h| h.resume(snapshots, from.as_deref()));
    }

    /// Puts the files edited since the prompt `message_id` back as they were then.
    pub fn rewind_files(&self, message_id: &str) -> Result<FilesRewound, String> {
        self.with_history(|h| h.rewind(message_id))
            .unwrap_or_else(|| Err("this session keeps no checkpoints".into()))
    }

    /// The files a rewind to the prompt `message_id` would put back (empty when it has no
    /// checkpoint).
    pub fn files_changed_since(&self, message_id: &str) -> Vec<String> {
        self.with_history(|h| h.changed_since(message_id))
            .unwrap_or_default()
    }

    /// Whether the prompt `message_id` has a checkpoint of the files.
    pub fn has_checkpoint(&self, message_id: &str) -> bool {
        self.with_history(|h| h.has(message_id)).unwrap_or(false)
    }
}
