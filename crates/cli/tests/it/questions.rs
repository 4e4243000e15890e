//! Issue 20 round 2 in a real terminal: permission questions that cannot be answered by
//! accident and can be read whole, Ctrl-O, `@` suggestions, the Ctrl-C hint's window.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::json;
use std::time::Duration;

/// The question's rows on screen: from its top rule to the last option.
fn question_rows(rows: &[String]) -> String {
    live_box(rows, "3. No")
}

/// A box of the live region (a question, a picker): from its top rule to its last row, the
/// last one containing `last`.
fn live_box(rows: &[String], last: &str) -> String {
    let start = rows.iter().position(|r| r.starts_with("────")).unwrap_or(0);
    let end = rows
        .iter()
        .rposition(|r| r.contains(last))
        .unwrap_or(rows.len() - 1);
    rows[start..=end]
        .iter()
        .map(|r| same_length_tmp(r.trim_end()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A row with the test's temporary directory name made constant (same length: same wrapping).
fn same_length_tmp(row: &str) -> String {
    match row.find("/.tmp") {
        Some(i) if row.len() >= i + 11 && row.is_char_boundary(i + 11) => {
            format!("{}/.tmpXXXXXX{}", &row[..i], &row[i + 11..])
        }
        _ => row.to_string(),
    }
}

/// The question shows this line of the command's body.
fn shows_body_line(question: &str, line: &str) -> bool {
    question.lines().any(|r| r.trim() == line)
}

/// The spinner's row ("✻ Thinking… (3s · …)").
fn spinner(s: &str) -> String {
    s.lines()
        .find(|l| l.contains("esc to interrupt)"))
        .unwrap_or("")
        .to_string()
}

#[test]
fn typed_text_cannot_approve_anything() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(touch("approved.txt"))
            .reply(Reply::text("Answer to the typed prompt.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("make a file");
    t.wait_text("Do you want to proceed?");
    // Typing as the question pops up: letters, the options' digits, Enter, in one burst.
    t.send("yes 2 a always 1\r");
    let s = t.wait_text("queued: yes 2 a always 1");
    // Typed later and slowly: letters still never answer.
    std::thread::sleep(QUESTION_GRACE);
    t.send("a");
    std::thread::sleep(QUESTION_GRACE);
    t.send("y");
    let s2 = t.wait_text("> ay");
    assert!(s2.contains("Do you want to proceed?"), "{s2}");
    assert!(s.contains("❯ 1. Yes"), "{s}");
    assert!(!e.cwd.join("approved.txt").exists());
    assert!(!e.cwd.join(".claude/settings.local.json").exists());
    assert_eq!(mock.message_requests().len(), 1);
    // The spinner's clock stands still while the question waits.
    let before = spinner(&t.screen());
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(spinner(&t.screen()), before);
    // Only a deliberate key after a pause answers: Esc refuses and ends the turn; the typed
    // prompt is then sent.
    t.answer("\x1b");
    t.wait_text("Answer to the typed prompt.");
    assert!(!e.cwd.join("approved.txt").exists());
    assert!(!e.cwd.join(".claude/settings.local.json").exists());
    let reqs = wait_requests(&mock, 2);
    assert!(last_user_text(&reqs[1]).ends_with("\nyes 2 a always 1"));
    let r = &tool_results(&reqs[1])[0];
    assert!(
        r["content"].to_string().contains("doesn't want to proceed"),
        "{r}"
    );
    // The rest typed during the question is still in the input box.
    t.wait_text("> ay");
}

const SIX_LINES: &str = "for f in one two; do\n  echo \"$f\"\ndone\necho the fourth line\necho the fifth line, which is long enough to wrap in a narrow window\ntouch six.txt";

#[test]
fn a_six_line_command_is_readable_to_its_last_line_in_60x20() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                json!({"command": SIX_LINES, "description": "Print and touch"}),
            ))
            .reply(Reply::text("Ran it.")),
    )
    .unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 60,
            rows: 20,
            ..Default::default()
        },
    );
    t.submit("go");
    let rows = t.wait_rows(|r| r.iter().any(|l| l.contains("Do you want to proceed?")));
    insta::assert_snapshot!("question_60x20_first", question_rows(&rows));
    assert!(!shows_body_line(&question_rows(&rows), "touch six.txt"));
    // The options and the rule are on screen; the body scrolls to its last line.
    let mut seen = question_rows(&rows);
    for _ in 0..10 {
        if shows_body_line(&seen, "touch six.txt") {
            break;
        }
        t.answer("\x1b[6~");
        std::thread::sleep(Duration::from_millis(50));
        let rows = t.wait_rows(|r| r.iter().any(|l| l.contains("Do you want to proceed?")));
        seen = question_rows(&rows);
    }
    assert!(shows_body_line(&seen, "touch six.txt"), "{seen}");
    assert!(!shows_body_line(&seen, "for f in one two; do"), "{seen}");
    assert!(seen.contains("3. No"), "{seen}");
    insta::assert_snapshot!("question_60x20_last", seen);
    assert!(!e.cwd.join("six.txt").exists());
    t.send("1");
    t.wait_text("Ran it.");
    assert!(e.cwd.join("six.txt").exists());
}

#[test]
fn ctrl_o_expands_the_folded_output() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use("Bash", json!({"command": "seq 1 12"})))
            .reply(Reply::text("Counted.")),
    )
    .unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            args: vec!["--allowedTools", "Bash(seq:*)"],
            ..Default::default()
        },
    );
    t.submit("count");
    let s = t.wait_text("Counted.");
    assert!(s.contains("… +9 lines (ctrl+o to expand)"), "{s}");
    assert!(!s.lines().any(|l| l.trim() == "12"), "{s}");
    t.wait_idle();
    t.send("\x0f");
    let rows = t.wait_rows(|r| r.iter().any(|l| l.trim() == "12"));
    let start = rows
        .iter()
        .position(|r| r.contains("all 12 lines"))
        .unwrap();
    let shown: Vec<&str> = rows[start..start + 13]
        .iter()
        .map(|r| r.trim_end())
        .collect();
    insta::assert_snapshot!("ctrl_o_expanded", shown.join("\n"));
}

#[test]
fn at_suggestions_follow_typing_and_tab_cycles() {
    let e = env();
    for f in ["main.rs", "makefile", "mod.rs", "other.txt"] {
        write(&e.cwd.join(f), "x\n");
    }
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("Seen."))).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.send("look at @m");
    let rows = t.wait_rows(|r| r.iter().any(|l| l.trim() == "@mod.rs"));
    let menu: Vec<&str> = rows
        .iter()
        .filter(|r| r.starts_with("  @"))
        .map(|r| r.trim_end())
        .collect();
    assert_eq!(menu, ["  @main.rs", "  @makefile", "  @mod.rs"]);
    // Tab cycles through the matches.
    t.send("\t");
    t.wait_text("> look at @main.rs");
    t.send("\t");
    t.wait_text("> look at @makefile");
    t.send("\t");
    t.wait_text("> look at @mod.rs");
    // An @word that matches nothing says so while typing, and again when sent.
    t.send(" and @ma");
    t.wait_text("> look at @mod.rs and @ma");
    t.send("x");
    t.wait_text("no file matches @max");
    t.send("\r");
    let s = t.wait_text("Seen.");
    assert!(
        s.contains("@max matches no file: sent as plain text"),
        "{s}"
    );
    let reqs = wait_requests(&mock, 1);
    assert!(last_user_text(&reqs[0]).contains("look at @mod.rs and @max"));
}

#[test]
fn the_ctrl_c_hint_ends_with_its_window_then_ctrl_c_starts_again() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.send("\x03");
    t.wait_text("Press Ctrl-C again to exit");
    // The hint goes when its window closes (2 s) ...
    t.wait_for(|s| !s.contains("Press Ctrl-C again to exit"));
    // ... and the next Ctrl-C asks again rather than exiting or doing nothing.
    t.send("\x03");
    t.wait_text("Press Ctrl-C again to exit");
    t.send("\x03");
    assert_eq!(t.wait_exit(), 0);
}

/// The picker's rows on screen: from its top rule to its help line.
fn picker_rows(rows: &[String]) -> String {
    live_box(rows, "esc to c")
}

#[test]
fn model_picker_shows_prices_and_context_and_switches() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("Switched."))).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/model");
    let rows = t.wait_rows(|r| r.iter().any(|l| l.contains("Select a model")));
    insta::assert_snapshot!("model_picker", picker_rows(&rows));
    t.send("\x1b[B");
    t.send("\r");
    let s = t.wait_text("Set model to");
    let line = s.lines().find(|l| l.contains("Set model to")).unwrap();
    let id = line
        .rsplit_once('(')
        .and_then(|(_, r)| r.strip_suffix(')'))
        .unwrap()
        .to_string();
    t.submit("hello");
    t.wait_text("Switched.");
    let reqs = wait_requests(&mock, 1);
    assert_eq!(reqs[0]["model"], id.as_str());
    assert_ne!(id, "claude-opus-5-5");
}

#[test]
fn permissions_editor_adds_and_removes_rules_per_file() {
    let e = env();
    let local = e.cwd.join(".claude/settings.local.json");
    write(
        &local,
        r#"{"permissions": {"allow": ["Bash(ls)"]}, "zzz": "keep me"}"#,
    );
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/permissions");
    let rows = t.wait_rows(|r| r.iter().any(|l| l.contains("Permission rules")));
    insta::assert_snapshot!("rules_editor", picker_rows(&rows));
    // Remove the allow rule of the local file.
    t.send("\x1b[B");
    t.wait_for(|s| {
        s.lines()
            .any(|l| l.contains('❯') && l.contains("allow Bash(ls)"))
    });
    t.send("d");
    t.wait_text("Removed allow rule Bash(ls)");
    // Add a deny rule to the project file.
    t.send("\x1b[B\x1b[B");
    t.send("a");
    t.wait_text("Add to projectSettings:");
    t.send("deny Read(./.env)\r");
    t.wait_text("Added deny rule Read(./.env)");
    // A rule that does not parse changes nothing.
    t.send("a");
    t.wait_text("Add to projectSettings:");
    t.send("Bash(unclosed\r");
    t.wait_text("Not added");
    t.send("\x1b");
    let s = t.wait_text("⎿  Added deny rule Read(./.env)");
    assert!(s.contains("⎿  Removed allow rule Bash(ls)"), "{s}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&local).unwrap()).unwrap();
    assert_eq!(v["permissions"]["allow"], json!([]));
    assert_eq!(v["zzz"], "keep me");
    let project = e.cwd.join(".claude/settings.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&project).unwrap()).unwrap();
    assert_eq!(v["permissions"]["deny"], json!(["Read(./.env)"]));
    // In force at once: the editor shows what the engine holds.
    t.submit("/permissions");
    let rows = t.wait_rows(|r| r.iter().any(|l| l.contains("deny  Read(./.env)")));
    let editor = picker_rows(&rows);
    assert!(!editor.contains("Bash(ls)"), "{editor}");
}
