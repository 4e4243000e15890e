//! Compaction: the conversation replaced by a summary before it outgrows the model's window
//! (`/compact`, automatically at a threshold, and once after a 400 "prompt is too long").
//!
//! It must never fail or forget (user-pains item 4):
//! - the summary request is made to fit first (old tool output dropped, deterministically);
//! - when no summary can be had (the request fails, is cancelled, or the answer is empty), a
//!   fallback that cannot fail keeps the conversation with old tool output dropped, and the
//!   oldest turns too if that is not enough;
//! - after either, the memory files, the todo list and the user's last message (verbatim) are
//!   put back, and the report says what was dropped.
//!
//! The threshold follows Claude Code 2.1: window − min(max output, 20 000) − 13 000 tokens;
//! `CLAUDE_AUTOCOMPACT_PCT_OVERRIDE` (a percentage of that), `CLAUDE_CODE_AUTO_COMPACT_WINDOW`
//! (the window), `DISABLE_AUTO_COMPACT` / `DISABLE_COMPACT` and the `autoCompactEnabled`
//! setting (passed in as [`AutoCompact`]) turn it off.

use super::Agent;
use crate::api::{ContentBlock, Message, MessagesRequest, ToolResultContent};
use crate::cancel::CancelToken;
use crate::error::ApiError;
use crate::log;
use crate::message::Role;

/// Output room kept free below the window (Claude Code's `min(max output, 20 000)`).
const OUTPUT_RESERVE: u64 = 20_000;
/// Headroom for the next request's growth (Claude Code's 13 000).
const HEADROOM: u64 = 13_000;
/// Tool results of this many last messages are never dropped (the model is working on them).
const KEEP_RECENT_MESSAGES: usize = 4;
/// The summary is asked for in at most this many output tokens.
const SUMMARY_MAX_TOKENS: u64 = 16_000;

/// What the summary request asks (our own words, short: every token is paid).
const SUMMARY_PROMPT: &str = "Summarize this conversation so that the work can continue without it. Reply with text only; do not call tools. Write inside <summary></summary>:\n1. The user's requests and intent, and every instruction or constraint they gave (verbatim when it matters: what not to touch, secrets, style).\n2. Files read, created or changed, with the important code and why.\n3. Errors met and how they were fixed; user feedback.\n4. Decisions taken and why.\n5. What was being done right before this request, and the next step (only if the user asked for it), quoting the latest messages.";

/// The first words of the message that replaces a compacted conversation (Claude Code's, so the
/// model reads it the same way).
pub const CONTINUATION: &str = "This session is being continued from a previous conversation that ran out of context. The summary below covers the earlier portion of the conversation.";

/// Why compaction ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactTrigger {
    /// `/compact`.
    Manual,
    /// The context reached the threshold, or the API said the prompt is too long.
    Auto,
}

impl CompactTrigger {
    pub fn as_str(self) -> &'static str {
        match self {
            CompactTrigger::Manual => "manual",
            CompactTrigger::Auto => "auto",
        }
    }
}

/// Whether and when to compact on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutoCompact {
    pub enabled: bool,
    /// `CLAUDE_AUTOCOMPACT_PCT_OVERRIDE`: compact at this percentage of the threshold.
    pub pct: Option<u64>,
    /// `CLAUDE_CODE_AUTO_COMPACT_WINDOW`: the window to count with.
    pub window: Option<u64>,
}

impl Default for AutoCompact {
    fn default() -> Self {
        AutoCompact {
            enabled: true,
            pct: None,
            window: None,
        }
    }
}

impl AutoCompact {
    /// From the environment (the settings' `env` overlay included) and `autoCompactEnabled`.
    pub fn from_env(setting: Option<bool>) -> Self {
        let off = crate::env::flag("DISABLE_AUTO_COMPACT") || crate::env::flag("DISABLE_COMPACT");
        AutoCompact {
            enabled: !off && setting.unwrap_or(true),
            pct: crate::env::parse::<u64>("CLAUDE_AUTOCOMPACT_PCT_OVERRIDE")
                .filter(|p| (1..=100).contains(p)),
            window: crate::env::parse::<u64>("CLAUDE_CODE_AUTO_COMPACT_WINDOW").filter(|w| *w > 0),
        }
    }

    /// The context size (tokens) at which `model`'s conversation is compacted.
    pub fn threshold(&self, model: &str) -> u64 {
        let window = self
            .window
            .unwrap_or_else(|| crate::models::context_window(model));
        let reserve = crate::models::max_output_tokens(model).min(OUTPUT_RESERVE);
        let base = window
            .saturating_sub(reserve)
            .saturating_sub(HEADROOM)
            .max(1);
        match self.pct {
            Some(p) => (base * p / 100).max(1),
            None => base,
        }
    }
}

/// What a compaction did, for the user and the transcript.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompactReport {
    pub trigger: Option<CompactTrigger>,
    /// Estimated context before and after (tokens).
    pub pre_tokens: u64,
    pub post_tokens: u64,
    /// The model's summary; `None` when the fallback was used.
    pub summary: Option<String>,
    /// Why there is no summary (the summary request's error).
    pub fallback_reason: Option<String>,
    /// What was dropped, one line each ("tool output of Read (12,345 chars)", "3 oldest turns").
    pub dropped: Vec<String>,
    /// Nothing to compact.
    pub nothing: bool,
}

impl CompactReport {
    /// One line for the user.
    pub fn headline(&self) -> String {
        if self.nothing {
            return "Not enough messages to compact.".into();
        }
        let how = match &self.summary {
            Some(_) => "summarized".to_string(),
            None => format!(
                "kept without a summary ({})",
                self.fallback_reason.as_deref().unwrap_or("no summary")
            ),
        };
        format!(
            "Compacted ({}): about {} → {} tokens, {how}; {} dropped",
            self.trigger.map_or("manual", CompactTrigger::as_str),
            self.pre_tokens,
            self.post_tokens,
            if self.dropped.is_empty() {
                "nothing else".to_string()
            } else {
                self.dropped.join(", ")
            }
        )
    }
}

/// About how many tokens messages take (4 bytes a token, on the JSON the API gets).
pub fn estimate_tokens(messages: &[Message]) -> u64 {
    let bytes: usize = messages
        .iter()
        .map(|m| serde_json::to_string(m).map_or(0, |s| s.len()))
        .sum();
    (bytes as u64).div_ceil(4)
}

/// Replaces the content of old tool results (all but the last `keep` messages) with a note of
/// its size. Deterministic: the same history always loses the same output. Returns what went.
pub fn drop_old_tool_output(messages: &mut [Message], keep: usize) -> Vec<String> {
    let names: Vec<(String, String)> = messages
        .iter()
        .flat_map(|m| {
            m.tool_uses()
                .map(|(id, n, _)| (id.to_string(), n.to_string()))
        })
        .collect();
    let cut = messages.len().saturating_sub(keep);
    let mut dropped = Vec::new();
    for m in &mut messages[..cut] {
        for b in &mut m.content {
            if let ContentBlock::ToolResult {
                tool_use_id,
                content,
                ..
            } = b
            {
                let size = content.as_text().len();
                if size <= 200 {
                    continue;
                }
                let name = names
                    .iter()
                    .find(|(id, _)| id == tool_use_id)
                    .map_or("a tool", |(_, n)| n.as_str());
                *content = ToolResultContent::Text(format!(
                    "[output of {name} dropped by compaction: {size} characters]"
                ));
                dropped.push(format!("output of {name} ({size} chars)"));
            }
        }
    }
    dropped
}

/// Drops the oldest turns until `messages` fit `budget` tokens. A cut is made only before a
/// user message that is not tool results, so the history stays valid for the API.
fn drop_oldest_turns(messages: &mut Vec<Message>, budget: u64) -> usize {
    let mut dropped = 0;
    while estimate_tokens(messages) > budget && messages.len() > 2 {
        let next = messages
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, m)| {
                m.role == Role::User
                    && !m
                        .content
                        .iter()
                        .any(|b| matches!(b, ContentBlock::ToolResult { .. }))
            })
            .map(|(i, _)| i);
        match next {
            Some(i) if i < messages.len() - 1 => {
                messages.drain(..i);
                dropped += 1;
            }
            _ => break,
        }
    }
    dropped
}

/// The text of the user's last typed message (not tool results), verbatim.
fn last_user_text(messages: &[Message]) -> Option<String> {
    messages.iter().rev().find_map(|m| {
        if m.role != Role::User {
            return None;
        }
        let t: Vec<&str> = m
            .content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } if !text.starts_with("<system-reminder>") => {
                    Some(text.as_str())
                }
                _ => None,
            })
            .collect();
        (!t.is_empty()).then(|| t.join("\n"))
    })
}

/// The summary inside `<summary>` (the `<analysis>` part is left out), or the whole text.
fn summary_of(text: &str) -> String {
    let t = match (text.find("<summary>"), text.rfind("</summary>")) {
        (Some(a), Some(b)) if b > a => &text[a + "<summary>".len()..b],
        _ => text,
    };
    t.trim().to_string()
}

impl Agent {
    /// The context size of the last request (input + output tokens), or an estimate.
    pub fn context_tokens(&self) -> u64 {
        if self.last_context_tokens > 0 {
            self.last_context_tokens
        } else {
            estimate_tokens(self.conversation.messages())
        }
    }

    /// Compacts the conversation (see the module documentation). Never fails: the worst case
    /// is the fallback, and the report says so.
    pub async fn compact(
        &mut self,
        trigger: CompactTrigger,
        instructions: Option<&str>,
        cancel: &CancelToken,
    ) -> CompactReport {
        let history = self.conversation.messages().to_vec();
        let mut report = CompactReport {
            trigger: Some(trigger),
            pre_tokens: self.context_tokens(),
            ..Default::default()
        };
        if history.len() < 2 {
            report.nothing = true;
            return report;
        }
        // PreCompact hooks (issue 17, the hooks engine) are called here, with the trigger and
        // `instructions`; what they print joins the instructions.
        let model = self.config.model.clone();
        let budget = AutoCompact::default().threshold(&model);
        let last_text = last_user_text(&history);

        // The summary request, made to fit: old tool output goes first, then old turns.
        let mut to_summarize = history.clone();
        let mut dropped = Vec::new();
        if estimate_tokens(&to_summarize) > budget {
            dropped = drop_old_tool_output(&mut to_summarize, KEEP_RECENT_MESSAGES);
        }
        let turns = drop_oldest_turns(&mut to_summarize, budget);
        let mut summary = None;
        for attempt in 0..2 {
            match self
                .summarize(&model, &to_summarize, instructions, cancel)
                .await
            {
                Ok(s) if !s.is_empty() => {
                    summary = Some(s);
                    break;
                }
                Ok(_) => {
                    report.fallback_reason = Some("the summary was empty".into());
                    break;
                }
                Err(ApiError::PromptTooLong { .. }) if attempt == 0 => {
                    // Our estimate was short: drop all but the latest output and try once more.
                    dropped.extend(drop_old_tool_output(&mut to_summarize, 2));
                    drop_oldest_turns(&mut to_summarize, budget / 2);
                }
                Err(e) => {
                    report.fallback_reason = Some(e.to_string());
                    break;
                }
            }
        }

        let mut reinject: Vec<ContentBlock> = Vec::new();
        if let Some(memory) = &self.memory {
            let m = memory.lock().unwrap_or_else(|e| e.into_inner());
            if !m.files().is_empty() {
                reinject.push(ContentBlock::text(m.reminder()));
            }
        }
        let todos = self
            .session
            .todos
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default();
        let new_history = match &summary {
            Some(s) => {
                report.dropped = vec![format!("{} earlier messages (summarized)", history.len())];
                let mut content = reinject;
                content.push(ContentBlock::text(format!(
                    "{CONTINUATION}\n\nSummary:\n{s}"
                )));
                if !todos.is_empty() {
                    let list: Vec<String> = todos
                        .iter()
                        .map(|t| format!("- [{:?}] {}", t.status, t.content))
                        .collect();
                    content.push(ContentBlock::text(format!(
                        "<system-reminder>\nThe todo list before compaction:\n{}\n</system-reminder>",
                        list.join("\n")
                    )));
                }
                if let Some(t) = &last_text {
                    content.push(ContentBlock::text(format!(
                        "The user's last message before compaction, verbatim:\n{t}"
                    )));
                }
                vec![Message::user(content)]
            }
            None => {
                // The fallback: the conversation itself, old tool output dropped (and the
                // oldest turns if needed). It cannot fail.
                let mut kept = history.clone();
                report.dropped = drop_old_tool_output(&mut kept, KEEP_RECENT_MESSAGES);
                let n = drop_oldest_turns(&mut kept, budget / 2);
                if n > 0 {
                    report.dropped.push(format!("{n} oldest turns"));
                    if !reinject.is_empty()
                        && let Some(first) = kept.first_mut()
                    {
                        reinject.append(&mut first.content);
                        first.content = reinject;
                    }
                }
                kept
            }
        };
        if summary.is_some() && (turns > 0 || !dropped.is_empty()) {
            crate::debug_log!(
                log::SESSION,
                "compaction: the summary request left out {} output(s) and {turns} turn(s)",
                dropped.len()
            );
        }
        report.summary = summary;
        self.install_compacted(&report, new_history);
        report.post_tokens = estimate_tokens(self.conversation.messages());
        self.last_context_tokens = 0;
        crate::debug_log!(log::SESSION, "{}", report.headline());
        report
    }

    /// The one place a compacted history replaces the old one. The transcript (issue 16b,
    /// `Agent::compacted` on branch transcript) hooks in here: it writes the `compact_boundary`
    /// line (trigger, pre_tokens) and then the new messages, so the file keeps the whole
    /// history and `--resume` starts from the boundary.
    fn install_compacted(&mut self, report: &CompactReport, messages: Vec<Message>) {
        crate::debug_log!(
            log::SESSION,
            "compact boundary: {} at {} tokens, {} message(s) after",
            report.trigger.map_or("manual", CompactTrigger::as_str),
            report.pre_tokens,
            messages.len()
        );
        self.conversation.replace(messages);
    }

    /// One summary request: the history, then the summary prompt; no thinking.
    async fn summarize(
        &self,
        model: &str,
        history: &[Message],
        instructions: Option<&str>,
        cancel: &CancelToken,
    ) -> Result<String, ApiError> {
        let mut prompt = SUMMARY_PROMPT.to_string();
        if let Some(i) = instructions.map(str::trim).filter(|i| !i.is_empty()) {
            prompt.push_str("\n\nAdditional instructions:\n");
            prompt.push_str(i);
        }
        let mut messages = history.to_vec();
        // The history ends with the assistant's answer, or with user content (tool results):
        // the prompt joins that or follows it.
        match messages.last_mut() {
            Some(m) if m.role == Role::User => m.content.push(ContentBlock::text(prompt)),
            _ => messages.push(Message::user(vec![ContentBlock::text(prompt)])),
        }
        let mut req = MessagesRequest::new(
            model,
            SUMMARY_MAX_TOKENS.min(crate::models::max_output_tokens(model)),
        );
        req.system = self.config.system.clone();
        // Tool definitions must be there for the tool_use blocks of the history.
        req.tools = self.tool_specs(model);
        let outcome = self
            .client
            .stream(&req, &messages, cancel, &mut |_| {})
            .await?;
        Ok(summary_of(outcome.message.last_text().unwrap_or("")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool_round(id: &str, out: &str) -> [Message; 2] {
        [
            Message::assistant(vec![ContentBlock::ToolUse {
                id: id.into(),
                name: "Read".into(),
                input: json!({}),
            }]),
            Message::user(vec![ContentBlock::ToolResult {
                tool_use_id: id.into(),
                content: ToolResultContent::Text(out.into()),
                is_error: false,
            }]),
        ]
    }

    #[test]
    fn threshold_follows_claude_code() {
        let a = AutoCompact::default();
        let m = "claude-sonnet-4-5-20250929";
        let w = crate::models::context_window(m);
        let r = crate::models::max_output_tokens(m).min(20_000);
        assert_eq!(a.threshold(m), w - r - 13_000);
        let half = AutoCompact { pct: Some(50), ..a };
        assert_eq!(half.threshold(m), (w - r - 13_000) / 2);
        let small = AutoCompact {
            window: Some(40_000),
            ..a
        };
        assert_eq!(small.threshold(m), 40_000 - r - 13_000);
    }

    #[test]
    fn old_tool_output_goes_first_and_deterministically() {
        let big = "x".repeat(5000);
        let mut msgs = vec![Message::user(vec![ContentBlock::text("start")])];
        for i in 0..4 {
            msgs.extend(tool_round(&format!("t{i}"), &big));
        }
        let mut a = msgs.clone();
        let mut b = msgs.clone();
        let da = drop_old_tool_output(&mut a, 4);
        let db = drop_old_tool_output(&mut b, 4);
        assert_eq!(da, db);
        assert_eq!(
            da,
            ["output of Read (5000 chars)", "output of Read (5000 chars)"]
        );
        assert_eq!(a, b);
        // The last two rounds are untouched.
        assert_eq!(a[8], msgs[8]);
        assert!(estimate_tokens(&a) < estimate_tokens(&msgs));
    }

    #[test]
    fn oldest_turns_go_at_user_prompts_only() {
        let big = "y".repeat(4000);
        let mut msgs = Vec::new();
        for i in 0..5 {
            msgs.push(Message::user(vec![ContentBlock::text(format!(
                "ask {i} {big}"
            ))]));
            msgs.extend(tool_round(&format!("t{i}"), "ok"));
            msgs.push(Message::assistant(vec![ContentBlock::text("done")]));
        }
        let n = drop_oldest_turns(&mut msgs, 3000);
        assert!(n >= 3, "{n}");
        assert_eq!(msgs[0].role, Role::User);
        assert!(
            matches!(&msgs[0].content[0], ContentBlock::Text { text } if text.starts_with("ask"))
        );
        assert_eq!(last_user_text(&msgs).unwrap(), format!("ask 4 {big}"));
        assert_eq!(
            summary_of("<analysis>a</analysis>\n<summary>\nS\n</summary>"),
            "S"
        );
        assert_eq!(summary_of("plain"), "plain");
    }
}
