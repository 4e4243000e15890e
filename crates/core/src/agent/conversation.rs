//! The conversation as sent to the API. Every message enters through [`Conversation::push_as`]
//! (`push` is the plain case): it is written to the transcript there, then appended so the
//! history stays valid for the API: roles alternate and no message is empty. It also remembers
//! where each prompt starts, for `/rewind`.

use crate::events::{INTERRUPTED, INTERRUPTED_TOOL_USE};
use crate::message::{ContentBlock, Message, Role};
use crate::transcript::{Item, Kind, Transcript};

/// Where a prompt starts in the conversation (a point `/rewind` returns to).
#[derive(Clone, Debug, PartialEq)]
pub struct PromptMark {
    /// The prompt's transcript line (`None` when no transcript is written).
    pub uuid: Option<String>,
    /// The line before it: where the transcript goes on after a rewind to it.
    pub parent: Option<String>,
    /// The message holding the prompt, and the block it starts at (a prompt after an
    /// interruption joins the user message before it).
    pub message: usize,
    pub block: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Conversation {
    messages: Vec<Message>,
    transcript: Option<Transcript>,
    prompts: Vec<PromptMark>,
}

/// True when a message has something the API accepts (it refuses a message of empty text
/// blocks only).
pub fn has_content(m: &Message) -> bool {
    m.content.iter().any(|b| !b.is_empty_text())
}

impl Conversation {
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Appends a message the loop adds (see [`Self::push_as`]).
    pub fn push(&mut self, msg: Message) {
        self.push_as(msg, Kind::Plain);
    }

    /// Appends a message of `kind`, writing it to the transcript first. Content for a user turn
    /// that follows a user message (after an error or an interruption) joins that message, so
    /// roles keep alternating; an assistant message with nothing the API accepts is dropped.
    pub fn push_as(&mut self, msg: Message, kind: Kind) {
        if msg.role == Role::Assistant && !has_content(&msg) {
            return;
        }
        let mut mark = None;
        if let Some(t) = &self.transcript {
            let parent = t.leaf();
            let uuid = t.record(&msg, &kind);
            if kind == Kind::Prompt {
                mark = Some((uuid, parent));
            }
        } else if kind == Kind::Prompt {
            mark = Some((None, None));
        }
        if let Some((uuid, parent)) = mark {
            self.mark_prompt(uuid, parent, &msg);
        }
        self.append(msg, false);
    }

    /// Records where a prompt about to be appended starts.
    fn mark_prompt(&mut self, uuid: Option<String>, parent: Option<String>, msg: &Message) {
        let (message, block) = match self.messages.last() {
            Some(last) if last.role == Role::User && msg.role == Role::User => {
                (self.messages.len() - 1, last.content.len())
            }
            _ => (self.messages.len(), 0),
        };
        self.prompts.push(PromptMark {
            uuid,
            parent,
            message,
            block,
        });
    }

    /// Appends without writing: user content joins a user message; with `merge_assistant`, an
    /// assistant message joins one before it too (a transcript may hold one line per block).
    fn append(&mut self, msg: Message, merge_assistant: bool) {
        if let Some(last) = self.messages.last_mut()
            && last.role == msg.role
            && (msg.role == Role::User || merge_assistant)
        {
            last.content.extend(msg.content);
            return;
        }
        self.messages.push(msg);
    }

    /// Starts writing to `transcript` (or stops, with `None`).
    pub fn set_transcript(&mut self, transcript: Option<Transcript>) {
        self.transcript = transcript;
    }

    pub fn transcript(&self) -> Option<&Transcript> {
        self.transcript.as_ref()
    }

    /// Replaces the conversation with one read from a transcript (nothing is written).
    pub fn restore(&mut self, items: Vec<Item>) {
        self.messages.clear();
        self.prompts.clear();
        let mut last_uuid: Option<String> = None;
        for it in items {
            if it.message.role == Role::Assistant && !has_content(&it.message) {
                continue;
            }
            if it.kind == Kind::Prompt {
                self.mark_prompt(it.uuid.clone(), last_uuid.clone(), &it.message);
            }
            if it.uuid.is_some() {
                last_uuid = it.uuid;
            }
            self.append(it.message, true);
        }
    }

    /// The prompts of the conversation, oldest first.
    pub fn prompts(&self) -> &[PromptMark] {
        &self.prompts
    }

    /// The text of prompt `i`.
    pub fn prompt_text(&self, i: usize) -> Option<String> {
        let m = self.prompts.get(i)?;
        let msg = self.messages.get(m.message)?;
        // Up to the next prompt when it joined the same message (after an interruption).
        let end = match self.prompts.get(i + 1) {
            Some(next) if next.message == m.message => next.block,
            _ => msg.content.len(),
        };
        let mut out = String::new();
        for b in msg.content.get(m.block..end)? {
            if let ContentBlock::Text { text } = b {
                if text == INTERRUPTED || text == INTERRUPTED_TOOL_USE {
                    continue;
                }
                if !out.is_empty() {
                    out.push('\n');
                }
                out.push_str(text);
            }
        }
        Some(out)
    }

    /// Takes the conversation back to just before prompt `i` (the transcript goes on from the
    /// line before it). Returns the prompt's text.
    pub fn rewind(&mut self, i: usize) -> Option<String> {
        let text = self.prompt_text(i)?;
        let m = self.prompts[i].clone();
        self.messages.truncate(m.message + 1);
        if let Some(last) = self.messages.get_mut(m.message) {
            last.content.truncate(m.block);
            if last.content.is_empty() {
                self.messages.pop();
            }
        }
        self.prompts.truncate(i);
        if let Some(t) = &self.transcript {
            t.set_leaf(m.parent, true);
        }
        Some(text)
    }

    /// Forgets everything (`/clear`); the transcript records that the conversation was
    /// cleared.
    pub fn clear(&mut self) {
        self.messages.clear();
        self.prompts.clear();
        if let Some(t) = &self.transcript {
            t.set_leaf(None, false);
        }
    }

    /// Replaces the history with a compacted one (`Agent::install_compacted`): the transcript
    /// gets a compact boundary (`trigger`: `manual` or `auto`; `pre_tokens`: the context size
    /// before), then the new messages, the first as the compaction's summary when `summarized`.
    /// Goes through [`Self::push_as`], so it stays valid.
    pub fn compacted(
        &mut self,
        trigger: &str,
        pre_tokens: u64,
        messages: Vec<Message>,
        summarized: bool,
    ) {
        if let Some(t) = &self.transcript {
            t.compact_boundary(trigger, pre_tokens);
        }
        self.messages.clear();
        self.prompts.clear();
        for (i, m) in messages.into_iter().enumerate() {
            let kind = if i == 0 && summarized {
                Kind::CompactSummary
            } else {
                Kind::Plain
            };
            self.push_as(m, kind);
        }
    }

    /// A problem writing the transcript, once.
    pub fn take_transcript_error(&self) -> Option<String> {
        self.transcript.as_ref().and_then(Transcript::take_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_alternate_and_empty_answers_are_dropped() {
        let mut c = Conversation::default();
        c.push(Message::user(vec![ContentBlock::text("a")]));
        c.push(Message::user(vec![ContentBlock::text("b")]));
        assert_eq!(c.len(), 1);
        assert_eq!(c.messages()[0].content.len(), 2);
        c.push(Message::assistant(vec![ContentBlock::text("")]));
        assert_eq!(c.len(), 1);
        c.push(Message::assistant(vec![ContentBlock::text("ok")]));
        c.push(Message::user(vec![ContentBlock::text("c")]));
        assert_eq!(c.len(), 3);
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn rewinding_to_a_prompt_keeps_what_came_before_it() {
        let mut c = Conversation::default();
        c.push_as(Message::user_text("one"), Kind::Prompt);
        c.push(Message::assistant(vec![ContentBlock::text("1")]));
        c.push_as(Message::user_text("two"), Kind::Prompt);
        c.push(Message::user_text("[Request interrupted by user]"));
        // A prompt after an interruption joins the user message before it.
        c.push_as(Message::user_text("three"), Kind::Prompt);
        assert_eq!(c.len(), 3);
        assert_eq!(c.prompts()[2].block, 2);
        assert_eq!(c.rewind(2).as_deref(), Some("three"));
        assert_eq!(c.messages()[2].content.len(), 2);
        assert_eq!(c.rewind(1).as_deref(), Some("two"));
        assert_eq!(c.len(), 2);
        assert_eq!(c.prompts().len(), 1);
        assert!(c.rewind(5).is_none());
    }
}
