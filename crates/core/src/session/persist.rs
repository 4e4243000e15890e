//! The session's transcript: opened at start (continuing a resumed one), `cleanupPeriodDays`,
//! and `/rewind` (the conversation, the files, or both, back to an earlier prompt).

use super::{Config, Session, SessionError, SessionOptions};
use crate::agent::Agent;
use crate::settings::Settings;
use crate::transcript::{self, FilesRewound, Identity, Transcript};
use serde_json::Value;
use std::path::Path;

/// Checks made before anything starts: `--session-id` must not name an existing transcript.
pub(super) fn check_session_id(
    options: &SessionOptions,
    config: &Config,
) -> Result<(), SessionError> {
    if options.no_session_persistence || options.resume.is_some() {
        return Ok(());
    }
    let path = transcript::path::session_file(
        &crate::paths::claude_dir(),
        &options.cwd,
        &config.session_id,
    );
    if options.session_id.is_some() && path.exists() {
        return Err(SessionError::SessionIdInUse(config.session_id.clone()));
    }
    Ok(())
}

/// `cleanupPeriodDays` as Claude Code reads it: absent = 30; a number below 1 (or not a
/// number) is refused with a warning and nothing is cleaned.
fn cleanup_days(settings: &Settings, warnings: &mut Vec<String>) -> Option<u64> {
    match settings.get("cleanupPeriodDays") {
        None | Some(Value::Null) => Some(transcript::cleanup::DEFAULT_DAYS),
        Some(v) => match v.as_u64().filter(|d| *d >= 1) {
            Some(d) => Some(d),
            None => {
                warnings.push(format!(
                    "cleanupPeriodDays must be a whole number of days, at least 1 (not {v}); old transcripts are not cleaned up"
                ));
                None
            }
        },
    }
}

/// Opens the transcript (unless `--no-session-persistence`), loads the resumed conversation
/// into the agent and starts the daily cleanup.
pub(super) fn start(
    options: &SessionOptions,
    config: &Config,
    settings: &Settings,
    agent: &mut Agent,
    warnings: &mut Vec<String>,
) -> Result<(), SessionError> {
    let claude = crate::paths::claude_dir();
    let cwd = &options.cwd;
    let entrypoint = options.entrypoint.clone().unwrap_or_else(|| "cli".into());
    // Checkpoints are for `/rewind`, an interactive command (print mode keeps none, as Claude
    // Code's does not).
    let checkpoints = entrypoint == "cli";
    let t = (!options.no_session_persistence).then(|| {
        let id = &config.session_id;
        Transcript::new(
            transcript::path::session_file(&claude, cwd, id),
            &Identity {
                session_id: id.clone(),
                cwd: cwd.clone(),
                entrypoint: entrypoint.clone(),
                git_branch: crate::prompt::git_root(cwd)
                    .as_deref()
                    .and_then(crate::prompt::git_branch),
            },
            checkpoints.then(|| claude.join("file-history").join(id)),
        )
    });
    if let Some(found) = &options.resume {
        let loaded = transcript::load(&found.path).map_err(|e| {
            SessionError::Resume(format!("cannot read {}: {e}", found.path.display()))
        })?;
        crate::debug_log!(
            crate::log::SESSION,
            "resumed {} ({} messages{})",
            found.path.display(),
            loaded.items.len(),
            if options.fork_session { ", forked" } else { "" }
        );
        warnings.extend(loaded.warnings.iter().cloned());
        if let Some(t) = &t {
            t.resume_from(&loaded, options.fork_session);
        }
        agent.restore(loaded.items);
    }
    agent.set_transcript(t);
    if let Some(days) = cleanup_days(settings, warnings) {
        transcript::cleanup::spawn_daily(
            claude,
            days,
            crate::paths::ccrs_config_dir().join("transcript-cleanup.stamp"),
        );
    }
    Ok(())
}

/// A prompt of the conversation that `/rewind` can return to.
#[derive(Clone, Debug, PartialEq)]
pub struct RewindPoint {
    /// Its position among the prompts (what [`Session::rewind`] takes).
    pub index: usize,
    pub text: String,
    /// The files a rewind to it would put back (relative to the cwd when inside it).
    pub files_changed: Vec<String>,
    /// Whether its files can be restored (it has a checkpoint).
    pub has_checkpoint: bool,
}

/// What a rewind takes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RewindScope {
    Conversation,
    Files,
    Both,
}

/// What a rewind did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rewound {
    /// The prompt's text (the front end offers it for editing).
    pub prompt: String,
    /// The files put back, when asked for.
    pub files: Option<FilesRewound>,
}

impl Session {
    /// The transcript file (`None` with `--no-session-persistence`); hooks get it as
    /// `transcript_path`.
    pub fn transcript_path(&self) -> Option<std::path::PathBuf> {
        self.agent.transcript().map(Transcript::path)
    }

    /// A subagent's transcript (a sidechain beside this session's), for the Agent tool.
    pub fn subagent_transcript(&self, agent_id: &str, meta: &Value) -> Option<Transcript> {
        self.agent.transcript().map(|t| t.subagent(agent_id, meta))
    }

    /// The prompts `/rewind` can return to, oldest first.
    pub fn rewind_points(&self) -> Vec<RewindPoint> {
        let conv = self.agent.conversation();
        let t = self.agent.transcript();
        conv.prompts()
            .iter()
            .enumerate()
            .map(|(index, m)| {
                let id = m.uuid.as_deref().unwrap_or("");
                RewindPoint {
                    index,
                    text: conv.prompt_text(index).unwrap_or_default(),
                    files_changed: t.map(|t| t.files_changed_since(id)).unwrap_or_default(),
                    has_checkpoint: t.is_some_and(|t| t.has_checkpoint(id)),
                }
            })
            .collect()
    }

    /// Takes the conversation, the files, or both back to just before prompt `index`.
    pub fn rewind(&mut self, index: usize, scope: RewindScope) -> Result<Rewound, String> {
        let conv = self.agent.conversation();
        let mark = conv
            .prompts()
            .get(index)
            .cloned()
            .ok_or_else(|| format!("there is no prompt {index} to rewind to"))?;
        let prompt = conv.prompt_text(index).unwrap_or_default();
        let files = match scope {
            RewindScope::Conversation => None,
            RewindScope::Files | RewindScope::Both => {
                let t = self
                    .agent
                    .transcript()
                    .ok_or("this session keeps no checkpoints (--no-session-persistence)")?;
                Some(t.rewind_files(mark.uuid.as_deref().unwrap_or(""))?)
            }
        };
        if scope != RewindScope::Files {
            self.agent.rewind(index);
        }
        crate::debug_log!(crate::log::SESSION, "rewound to prompt {index} ({scope:?})");
        Ok(Rewound { prompt, files })
    }
}

/// The transcript of `cwd`'s session `id` under the config dir.
pub fn transcript_file(cwd: &Path, id: &str) -> std::path::PathBuf {
    transcript::path::session_file(&crate::paths::claude_dir(), cwd, id)
}
