//! Transcripts Claude Code wrote (recorded by scripts/record_transcripts.sh against the mock)
//! read back into conversations the API accepts, and damaged transcripts read without losing
//! what is intact.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ccrs_core::message::{ContentBlock, Message, Role};
use ccrs_core::transcript::{self, Kind, Loaded};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cli/tests/fixtures/transcripts")
        .join(name)
}

/// The conversation as the API would get it (what `Conversation::restore` builds).
fn conversation(l: &Loaded) -> Vec<Message> {
    let mut c = ccrs_core::agent::Conversation::default();
    c.restore(l.items.clone());
    c.messages().to_vec()
}

/// What the Messages API requires of a conversation.
pub fn api_valid(msgs: &[Message]) -> Result<(), String> {
    if msgs.first().map(|m| m.role) != Some(Role::User) {
        return Err("does not start with a user message".into());
    }
    for (i, m) in msgs.iter().enumerate() {
        if i > 0 && msgs[i - 1].role == m.role {
            return Err(format!("messages {} and {i} have the same role", i - 1));
        }
        if m.content.is_empty() {
            return Err(format!("message {i} is empty"));
        }
        let uses: Vec<&str> = m.tool_uses().map(|(id, _, _)| id).collect();
        if !uses.is_empty() {
            let next = msgs
                .get(i + 1)
                .ok_or(format!("message {i}: calls unanswered"))?;
            let results: HashSet<&str> = next
                .content
                .iter()
                .filter_map(|b| match b {
                    ContentBlock::ToolResult { tool_use_id, .. } => Some(tool_use_id.as_str()),
                    _ => None,
                })
                .collect();
            for u in &uses {
                if !results.contains(u) {
                    return Err(format!("message {i}: {u} has no result"));
                }
            }
        }
        if m.role == Role::User {
            let prev: HashSet<&str> = if i > 0 {
                msgs[i - 1].tool_uses().map(|(id, _, _)| id).collect()
            } else {
                HashSet::new()
            };
            let mut seen_other = false;
            for b in &m.content {
                match b {
                    ContentBlock::ToolResult { tool_use_id, .. } => {
                        if !prev.contains(tool_use_id.as_str()) {
                            return Err(format!("message {i}: orphan result {tool_use_id}"));
                        }
                        if seen_other {
                            return Err(format!("message {i}: a result after other content"));
                        }
                    }
                    _ => seen_other = true,
                }
            }
        }
    }
    Ok(())
}

fn all_text(msgs: &[Message]) -> String {
    serde_json::to_string(msgs).unwrap()
}

#[test]
fn claude_code_tool_sessions_load_whole() {
    for name in ["2.1.197-tools.jsonl", "2.1.332-tools.jsonl"] {
        let l = transcript::load(&fixture(name)).unwrap();
        assert!(l.warnings.is_empty(), "{name}: {:?}", l.warnings);
        let msgs = conversation(&l);
        api_valid(&msgs).unwrap_or_else(|e| panic!("{name}: {e}"));
        // prompt, Write, result, Edit, result, two Bash calls, their results, the answer.
        assert_eq!(msgs.len(), 8, "{name}");
        assert_eq!(msgs[0].text(), "write notes");
        // The thinking, text and tool_use lines of one message are one message again.
        assert!(matches!(msgs[1].content[0], ContentBlock::Thinking { .. }));
        assert_eq!(msgs[1].content.len(), 3);
        // Parallel results sit on side branches in the file: both are back.
        assert_eq!(msgs[5].tool_uses().count(), 2);
        assert_eq!(msgs[6].content.len(), 2);
        assert_eq!(msgs[7].text(), "Done: notes.txt says one, three.");
        assert!(l.tail.is_empty());
        assert_eq!(
            l.items.iter().filter(|i| i.kind == Kind::Prompt).count(),
            1,
            "{name}"
        );
    }
}

#[test]
fn a_compacted_session_resumes_from_its_summary() {
    let l = transcript::load(&fixture("2.1.197-compacted.jsonl")).unwrap();
    let msgs = conversation(&l);
    api_valid(&msgs).unwrap();
    let text = all_text(&msgs);
    assert!(
        msgs[0]
            .text()
            .starts_with("This session is being continued")
    );
    // Kept by the compaction (its preserved segment), and what came after it.
    assert!(text.contains("Second answer, resumed."));
    assert!(text.contains("Third answer after compaction."));
    // Summarised away.
    assert!(!text.contains("Hello! First answer."));
    assert_eq!(l.items[0].kind, Kind::CompactSummary);

    let f = transcript::load(&fixture("2.1.197-forked.jsonl")).unwrap();
    let fm = conversation(&f);
    api_valid(&fm).unwrap();
    let ft = all_text(&fm);
    assert!(ft.contains("Second answer, resumed.") && ft.contains("Fourth answer in a fork."));
    assert!(!ft.contains("Hello! First answer."));
    assert_ne!(f.session_id, l.session_id);
}

#[test]
fn a_session_killed_while_its_tool_ran_is_closed() {
    let l = transcript::load(&fixture("2.1.197-killed-in-tool.jsonl")).unwrap();
    let msgs = conversation(&l);
    api_valid(&msgs).unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(
        l.tail.len(),
        1,
        "the closing results are written before the next line"
    );
    let last = msgs.last().unwrap();
    assert!(matches!(
        &last.content[0],
        ContentBlock::ToolResult { is_error: true, .. }
    ));
}

#[test]
fn interactive_and_subagent_sessions_load() {
    let l = transcript::load(&fixture("2.1.197-interactive.jsonl")).unwrap();
    let msgs = conversation(&l);
    api_valid(&msgs).unwrap();
    let prompts: Vec<&str> = l
        .items
        .iter()
        .filter(|i| i.kind == Kind::Prompt)
        .map(|i| i.message.content.first())
        .filter_map(|b| match b {
            Some(ContentBlock::Text { text }) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(prompts, ["write notes", "second prompt"]);
    // Claude Code's checkpoints of both prompts come along.
    assert_eq!(l.snapshots.len(), 2);
    assert!(l.snapshots[1].files.contains_key("notes.txt"));

    let s = transcript::load(&fixture("2.1.197-subagent.jsonl")).unwrap();
    let sm = conversation(&s);
    api_valid(&sm).unwrap();
    assert_eq!(sm.len(), 4);
    assert!(all_text(&sm).contains("Sub agent finished: from-sub"));
}

/// A transcript cut at every line boundary and in the middle of lines: it always loads, valid
/// for the API, and holds every message whose line is complete.
#[test]
fn a_transcript_cut_anywhere_loads_what_is_whole() {
    let bytes = std::fs::read(fixture("2.1.197-tools.jsonl")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.jsonl");
    let full = conversation(&transcript::load(&fixture("2.1.197-tools.jsonl")).unwrap());
    let mut cuts: Vec<usize> = (0..bytes.len()).step_by(97).collect();
    cuts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    for cut in cuts {
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let l = transcript::load(&p).unwrap();
        let msgs = conversation(&l);
        if msgs.is_empty() {
            continue;
        }
        api_valid(&msgs).unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        // What was written whole is there: every message but the repairs at the end is a
        // prefix of the full conversation.
        let whole = msgs.len() - usize::from(!l.tail.is_empty());
        for (i, m) in msgs[..whole].iter().enumerate() {
            for b in &m.content {
                assert!(
                    full[i].content.contains(b),
                    "cut at {cut}: message {i} differs"
                );
            }
        }
        // A cut inside a line is reported (unless the piece happens to be JSON itself).
        let start = bytes[..cut]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let piece = &bytes[start..cut];
        let torn = !piece.is_empty() && serde_json::from_slice::<serde_json::Value>(piece).is_err();
        let warned = l.warnings.iter().any(|w| w.contains("cut off"));
        assert_eq!(torn, warned, "cut at {cut}");
    }
}

#[test]
fn bad_lines_are_skipped_never_the_rest() {
    let good = std::fs::read_to_string(fixture("2.1.197-tools.jsonl")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    // Garbage in the middle (a disk error, another program): cc#50347 stopped reading there.
    lines.insert(4, "\u{0}\u{0}garbage{{{");
    lines.insert(9, "[1, 2, 3]");
    lines.insert(12, "");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let l = transcript::load(&p).unwrap();
    assert_eq!(conversation(&l).len(), 8);
    assert_eq!(l.warnings.len(), 2, "{:?}", l.warnings);
}

#[test]
fn chains_with_cycles_duplicates_and_missing_parents_load() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.jsonl");
    let line = |uuid: &str, parent: Option<&str>, ty: &str, text: &str, ts: &str| {
        serde_json::json!({
            "parentUuid": parent, "isSidechain": false, "type": ty, "uuid": uuid,
            "timestamp": ts,
            "message": {"role": ty, "content": [{"type": "text", "text": text}]},
        })
        .to_string()
    };
    let lines = [
        line("a", None, "user", "one", "2026-01-01T00:00:00.000Z"),
        line(
            "b",
            Some("a"),
            "assistant",
            "two",
            "2026-01-01T00:00:01.000Z",
        ),
        // A lost parent: attaches to the line written just before.
        line(
            "c",
            Some("gone"),
            "user",
            "three",
            "2026-01-01T00:00:02.000Z",
        ),
        line(
            "d",
            Some("c"),
            "assistant",
            "four-old",
            "2026-01-01T00:00:03.000Z",
        ),
        // The same uuid again: the later line wins.
        line(
            "d",
            Some("c"),
            "assistant",
            "four",
            "2026-01-01T00:00:03.500Z",
        ),
    ];
    std::fs::write(&p, lines.join("\n")).unwrap();
    let msgs = conversation(&transcript::load(&p).unwrap());
    let texts: Vec<String> = msgs.iter().map(Message::text).collect();
    assert_eq!(texts, ["one", "two", "three", "four"]);

    let cyc = [
        line("x", Some("y"), "user", "x", "2026-01-01T00:00:00.000Z"),
        line("y", Some("x"), "assistant", "y", "2026-01-01T00:00:01.000Z"),
    ];
    std::fs::write(&p, cyc.join("\n")).unwrap();
    let l = transcript::load(&p).unwrap();
    let msgs = conversation(&l);
    api_valid(&msgs).unwrap();
    assert_eq!(msgs.len(), 2);
}

/// Compaction as the agent installs it: a boundary, the summary, then the session goes on; a
/// resume reads from the boundary (the summary first, nothing from before it), and the file
/// still holds the whole history.
#[test]
fn a_compacted_conversation_resumes_from_its_summary() {
    use ccrs_core::agent::Conversation;
    use ccrs_core::transcript::{Identity, Transcript};
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("s.jsonl");
    let t = Transcript::new(
        path.clone(),
        &Identity {
            session_id: "11111111-1111-4111-8111-111111111111".into(),
            cwd: d.path().to_path_buf(),
            entrypoint: "cli".into(),
            git_branch: None,
        },
        None,
    );
    let mut c = Conversation::default();
    c.set_transcript(Some(t));
    c.push_as(Message::user_text("old prompt"), Kind::Prompt);
    c.push(Message::assistant(vec![ContentBlock::text("old answer")]));
    c.compacted(
        "manual",
        12_345,
        vec![Message::user_text("Summary: the user said hi.")],
        true,
    );
    c.push(Message::assistant(vec![ContentBlock::text("after")]));
    c.push_as(Message::user_text("new prompt"), Kind::Prompt);
    c.push(Message::assistant(vec![ContentBlock::text("new answer")]));

    let l = transcript::load(&path).unwrap();
    assert_eq!(l.items[0].kind, Kind::CompactSummary);
    let msgs = conversation(&l);
    api_valid(&msgs).unwrap();
    let text = all_text(&msgs);
    assert!(text.contains("Summary: the user said hi.") && text.contains("new answer"));
    assert!(!text.contains("old prompt"), "{text}");
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains("old prompt") && raw.contains(r#""subtype":"compact_boundary""#));
    assert!(raw.contains(r#""preTokens":12345"#) && raw.contains(r#""trigger":"manual""#));
}
