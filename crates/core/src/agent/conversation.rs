//! The conversation as sent to the API. Every message enters through [`Conversation::push`]
//! (the one place a transcript writer hooks in), so the history stays valid for the API: roles
//! alternate and no message is empty.

use crate::message::{ContentBlock, Message, Role};

#[derive(Clone, Debug, Default)]
pub struct Conversation {
    messages: Vec<Message>,
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

    /// Appends a message. Content for a user turn that follows a user message (after an error
    /// or an interruption) joins that message, so roles keep alternating; an assistant message
    /// with nothing the API accepts is dropped.
    pub fn push(&mut self, msg: Message) {
        match msg.role {
            Role::Assistant if !has_content(&msg) => {}
            Role::User => self.push_user(msg.content),
            Role::Assistant => self.messages.push(msg),
        }
    }

    fn push_user(&mut self, content: Vec<ContentBlock>) {
        if let Some(last) = self.messages.last_mut()
            && last.role == Role::User
        {
            last.content.extend(content);
            return;
        }
        self.messages.push(Message::user(content));
    }

    /// Replaces the history (compaction). Goes through [`Self::push`], so it stays valid.
    pub fn replace(&mut self, messages: Vec<Message>) {
        self.messages.clear();
        for m in messages {
            self.push(m);
        }
    }

    /// Forgets everything (`/clear`).
    pub fn clear(&mut self) {
        self.messages.clear();
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
}
