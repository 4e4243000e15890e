//! A transcript back into a conversation the API accepts.
//!
//! The chain's user and assistant lines become messages (attachments and system lines are
//! Claude Code's own context and are not sent; API error notices are dropped). Then what a
//! crash or another program left behind is repaired: a tool call without its result gets an
//! error result, a result whose call is missing is dropped, results come first in their message,
//! and a turn that never finished is closed the way an interruption closes it. Repairs inside
//! the history are made again at every load (they are deterministic); those at the end are
//! written to the transcript before the session's next line, so what the model saw is what the
//! file says.

use super::history::Snapshot;
use super::index::{Index, LineKind};
use super::line::Kind;
use crate::events::{INTERRUPTED, INTERRUPTED_TOOL_USE};
use crate::message::{ContentBlock, Message, Role, ToolResultContent};
use serde::Deserialize;
use std::collections::HashSet;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// One message of a loaded conversation, as its line wrote it.
#[derive(Clone, Debug)]
pub struct Item {
    pub message: Message,
    pub kind: Kind,
    /// The line's uuid (`None` for repairs).
    pub uuid: Option<String>,
}

/// A transcript read back.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    /// The session id its lines carry.
    pub session_id: Option<String>,
    /// The conversation, oldest first, repairs included.
    pub items: Vec<Item>,
    /// The repairs at the end (already in `items`): to be written before the next line.
    pub tail: Vec<(Message, Kind)>,
    /// The uuid the next line chains to.
    pub leaf: Option<String>,
    /// File checkpoints of the conversation's prompts.
    pub snapshots: Vec<Snapshot>,
    /// Lines that were skipped, and other problems.
    pub warnings: Vec<String>,
    /// The chain's lines (offset, length), for copying it into a fork.
    chain: Vec<(u64, u32)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Full {
    #[serde(rename = "type")]
    ty: String,
    uuid: Option<String>,
    message: Option<Message>,
    #[serde(default)]
    is_meta: bool,
    #[serde(default)]
    is_compact_summary: bool,
    #[serde(default)]
    is_api_error_message: bool,
    session_id: Option<String>,
}

fn is_marker(m: &Message) -> bool {
    matches!(m.content.as_slice(), [ContentBlock::Text { text }]
        if text == INTERRUPTED || text == INTERRUPTED_TOOL_USE)
}

/// What kind of user line this is: a prompt is what the user typed (a rewind point).
fn user_kind(f: &Full, m: &Message) -> Kind {
    if f.is_compact_summary {
        return Kind::CompactSummary;
    }
    if f.is_meta {
        return Kind::Meta;
    }
    if m.content
        .iter()
        .any(|b| matches!(b, ContentBlock::ToolResult { .. }))
    {
        return Kind::ToolResults(Vec::new());
    }
    // A local command and its output (`/compact`, `/exit`) are not prompts to return to.
    let local_output = matches!(m.content.first(), Some(ContentBlock::Text { text })
        if text.starts_with("<local-command-") || text.starts_with("<command-name>"));
    if is_marker(m) || local_output {
        Kind::Plain
    } else {
        Kind::Prompt
    }
}

/// Reads the conversation of the transcript at `path`.
pub fn load(path: &Path) -> std::io::Result<Loaded> {
    let mut ix = Index::read(path)?;
    let chain = ix.chain();
    let file = super::index::open_regular(path)?;
    let mut items = Vec::with_capacity(chain.len());
    let mut session_id = None;
    let mut offsets = Vec::with_capacity(chain.len());
    let mut buf = Vec::new();
    let mut leaf = None;
    for i in chain {
        let e = &ix.entries[i as usize];
        offsets.push((e.offset, e.len));
        if !matches!(e.kind, LineKind::User | LineKind::Assistant) {
            continue;
        }
        buf.resize(e.len as usize, 0);
        file.read_exact_at(&mut buf, e.offset)?;
        let Ok(f) = serde_json::from_slice::<Full>(&buf) else {
            ix.warnings.push(format!(
                "{}: a message at byte {} could not be read; skipped",
                path.display(),
                e.offset
            ));
            continue;
        };
        if f.uuid.is_some() {
            leaf = f.uuid.clone();
        }
        if f.session_id.is_some() {
            session_id = f.session_id.clone();
        }
        let Some(message) = f.message.as_ref() else {
            continue;
        };
        let kind = match (&f.ty[..], message.role) {
            ("user", Role::User) => user_kind(&f, message),
            ("assistant", Role::Assistant) if !f.is_api_error_message => {
                Kind::Assistant(Default::default())
            }
            _ => continue,
        };
        let Full { uuid, message, .. } = f;
        items.push(Item {
            message: message.unwrap_or_else(|| Message::user(Vec::new())),
            kind,
            uuid,
        });
        if buf.capacity() > 4 << 20 {
            buf = Vec::new();
        }
    }
    let tail = repair(&mut items);
    items.extend(tail.iter().map(|(m, k)| Item {
        message: m.clone(),
        kind: k.clone(),
        uuid: None,
    }));
    // The checkpoints of the prompts that are in the conversation.
    let prompt_ids: HashSet<&str> = items
        .iter()
        .filter(|i| i.kind == Kind::Prompt)
        .filter_map(|i| i.uuid.as_deref())
        .collect();
    let snapshots = std::mem::take(&mut ix.snapshots)
        .into_iter()
        .filter(|s| prompt_ids.contains(s.message_id.as_str()))
        .collect();
    Ok(Loaded {
        path: path.to_path_buf(),
        session_id,
        items,
        tail,
        leaf,
        snapshots,
        warnings: ix.warnings,
        chain: offsets,
    })
}

impl Loaded {
    /// The chain's lines as JSON, one at a time (for a fork).
    pub(super) fn chain_lines(&self) -> impl Iterator<Item = serde_json::Value> + '_ {
        let file = super::index::open_regular(&self.path).ok();
        self.chain.iter().filter_map(move |(off, len)| {
            let f = file.as_ref()?;
            let mut buf = vec![0u8; *len as usize];
            f.read_exact_at(&mut buf, *off).ok()?;
            serde_json::from_slice(&buf).ok()
        })
    }
}

fn error_result(id: String) -> ContentBlock {
    ContentBlock::ToolResult {
        tool_use_id: id,
        content: ToolResultContent::Text(INTERRUPTED_TOOL_USE.into()),
        is_error: true,
    }
}

fn tool_use_ids(m: &Message) -> impl Iterator<Item = &str> {
    m.content.iter().filter_map(|b| match b {
        ContentBlock::ToolUse { id, .. } => Some(id.as_str()),
        _ => None,
    })
}

/// Makes the items valid for the API (see the module doc); returns the repairs at the end.
fn repair(items: &mut Vec<Item>) -> Vec<(Message, Kind)> {
    // Leading assistant lines have no prompt: the API refuses a conversation that starts so.
    let first_user = items
        .iter()
        .position(|i| i.message.role == Role::User)
        .unwrap_or(items.len());
    items.drain(..first_user);
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    let mut rest = std::mem::take(items).into_iter().peekable();
    // The tool calls of the last assistant group, waiting for results.
    let mut open: Vec<String> = Vec::new();
    while rest.peek().is_some() {
        // An assistant group: consecutive assistant lines are one message.
        let mut group_has_assistant = false;
        while let Some(it) = rest.next_if(|i| i.message.role == Role::Assistant) {
            open.extend(tool_use_ids(&it.message).map(str::to_string));
            group_has_assistant = true;
            out.push(it);
        }
        // The user group after it.
        let mut users: Vec<Item> = Vec::new();
        while let Some(it) = rest.next_if(|i| i.message.role == Role::User) {
            users.push(it);
        }
        if !group_has_assistant && users.is_empty() {
            break;
        }
        // Results answer the open calls (once each); others are dropped.
        let mut answered: HashSet<String> = HashSet::new();
        for u in &mut users {
            u.message.content.retain(|b| match b {
                ContentBlock::ToolResult { tool_use_id, .. } => {
                    open.contains(tool_use_id) && answered.insert(tool_use_id.clone())
                }
                _ => true,
            });
        }
        users.retain(|u| !u.message.content.is_empty());
        let missing: Vec<String> = open.drain(..).filter(|id| !answered.contains(id)).collect();
        if !missing.is_empty() && !users.is_empty() {
            // Inside the history: answered where the call's results belong.
            users.insert(
                0,
                Item {
                    message: Message::user(missing.into_iter().map(error_result).collect()),
                    kind: Kind::ToolResults(Vec::new()),
                    uuid: None,
                },
            );
        } else if !missing.is_empty() {
            // At the end: the turn was cut off while its tools ran.
            out.append(&mut users);
            *items = out;
            let mut content: Vec<ContentBlock> = missing.into_iter().map(error_result).collect();
            content.push(ContentBlock::text(INTERRUPTED_TOOL_USE));
            return vec![(Message::user(content), Kind::ToolResults(Vec::new()))];
        }
        // Results first, as the API requires.
        let (mut results, others): (Vec<Item>, Vec<Item>) = users
            .into_iter()
            .partition(|u| matches!(u.kind, Kind::ToolResults(_)));
        results.extend(others);
        out.extend(results);
    }
    *items = out;
    // A turn that ended on the user's side (a prompt or results the model never answered)
    // is closed as an interruption closes it.
    match items.last() {
        Some(last)
            if last.message.role == Role::User
                && matches!(last.kind, Kind::Prompt | Kind::ToolResults(_))
                && !is_marker(&last.message) =>
        {
            vec![(Message::user_text(INTERRUPTED), Kind::Plain)]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(m: Message, kind: Kind) -> Item {
        Item {
            message: m,
            kind,
            uuid: None,
        }
    }

    fn call(id: &str) -> Message {
        Message::assistant(vec![ContentBlock::ToolUse {
            id: id.into(),
            name: "Bash".into(),
            input: json!({}),
        }])
    }

    fn result(id: &str) -> Message {
        Message::user(vec![ContentBlock::ToolResult {
            tool_use_id: id.into(),
            content: ToolResultContent::Text("ok".into()),
            is_error: false,
        }])
    }

    #[test]
    fn an_unanswered_call_at_the_end_is_closed() {
        let mut items = vec![
            item(Message::user_text("go"), Kind::Prompt),
            item(call("t1"), Kind::Assistant(Default::default())),
        ];
        let tail = repair(&mut items);
        assert_eq!(tail.len(), 1);
        let c = &tail[0].0.content;
        assert!(
            matches!(&c[0], ContentBlock::ToolResult { tool_use_id, is_error: true, .. } if tool_use_id == "t1")
        );
        assert_eq!(c[1], ContentBlock::text(INTERRUPTED_TOOL_USE));
    }

    #[test]
    fn inside_the_history_missing_results_come_first_and_orphans_go() {
        let mut items = vec![
            item(Message::user_text("go"), Kind::Prompt),
            item(call("t1"), Kind::Assistant(Default::default())),
            item(result("zz"), Kind::ToolResults(vec![])),
            item(Message::user_text("next"), Kind::Prompt),
            item(
                Message::assistant(vec![ContentBlock::text("ok")]),
                Kind::Assistant(Default::default()),
            ),
        ];
        let tail = repair(&mut items);
        assert!(tail.is_empty());
        // The orphan result is gone, an error result answers t1 before the next prompt.
        assert_eq!(items.len(), 5);
        assert!(
            matches!(&items[2].message.content[0], ContentBlock::ToolResult { tool_use_id, .. } if tool_use_id == "t1")
        );
        assert_eq!(items[3].message.text(), "next");
    }

    #[test]
    fn a_prompt_without_answer_is_closed_and_leading_answers_dropped() {
        let mut items = vec![
            item(
                Message::assistant(vec![ContentBlock::text("stray")]),
                Kind::Assistant(Default::default()),
            ),
            item(Message::user_text("hello"), Kind::Prompt),
        ];
        let tail = repair(&mut items);
        assert_eq!(items.len(), 1);
        assert_eq!(tail[0].0.text(), INTERRUPTED);
        // Already closed: nothing more.
        let mut closed = vec![
            item(Message::user_text("hello"), Kind::Prompt),
            item(Message::user_text(INTERRUPTED), Kind::Plain),
        ];
        assert!(repair(&mut closed).is_empty());
    }

    #[test]
    fn split_parallel_calls_are_one_group() {
        let mut items = vec![
            item(Message::user_text("go"), Kind::Prompt),
            item(call("a"), Kind::Assistant(Default::default())),
            item(call("b"), Kind::Assistant(Default::default())),
            item(result("a"), Kind::ToolResults(vec![])),
            item(result("b"), Kind::ToolResults(vec![])),
        ];
        let tail = repair(&mut items);
        assert_eq!(items.len(), 5);
        assert_eq!(tail[0].0.text(), INTERRUPTED);
    }
}
