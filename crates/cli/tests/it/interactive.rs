//! The real `ccrs` binary in interactive mode, in a real pseudo-terminal, against the scripted
//! mock API: what a user sees and what reaches the API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::Value;
use std::time::{Duration, Instant};

#[test]
fn a_prompt_streams_the_answer_inline() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text(
        "Hello from the **mock** server.\n\n- one\n- two",
    )))
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.wait_text("ccrs");
    t.wait_text("> ");
    t.submit("say hello");
    let s = t.wait_text("• two");
    assert!(s.contains("● Hello from the mock server."), "{s}");
    assert!(s.contains("> say hello"), "{s}");
    let reqs = wait_requests(&mock, 1);
    assert_eq!(last_user_text(&reqs[0]), "say hello");
    t.wait_idle();
    // Every frame is one write, but the reader may have caught one half-way: wait for its end.
    // One snapshot of the output, taken when no frame is half-way: reading it twice could catch
    // a later frame half-written.
    let frames_closed = |raw: &[u8]| count(raw, b"\x1b[?2026h") == count(raw, b"\x1b[?2026l");
    let start = Instant::now();
    let raw = loop {
        let raw = t.raw();
        if frames_closed(&raw) || start.elapsed() > TIMEOUT {
            break raw;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // Inline rendering: no alternate screen, no full-screen clear, synchronized frames.
    assert_eq!(count(&raw, b"\x1b[?1049h"), 0, "alternate screen used");
    assert_eq!(count(&raw, b"\x1b[2J"), 0, "screen cleared");
    let bsu = count(&raw, b"\x1b[?2026h");
    assert!(bsu > 0);
    assert_eq!(bsu, count(&raw, b"\x1b[?2026l"));
    // The answer is printed once (append-only), not redrawn.
    assert_eq!(
        count(&raw, b"Hello from the "),
        1,
        "{} requests; output: {:?}",
        mock.message_requests().len(),
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn first_prompt_from_the_command_line() {
    let e = env();
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("Answer to the argument")))
            .unwrap();
    let t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            args: vec!["what is this project?"],
            ..Default::default()
        },
    );
    t.wait_text("Answer to the argument");
    let reqs = wait_requests(&mock, 1);
    assert_eq!(last_user_text(&reqs[0]), "what is this project?");
}

#[test]
fn model_command_changes_the_next_request() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("first"))
            .reply(Reply::text("second")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("one");
    t.wait_text("● first");
    t.wait_idle();
    t.submit("/model");
    let s = t.wait_text("claude-haiku-5-5");
    assert!(s.contains("❯ Opus 5.5"), "current model selected: {s}");
    t.send("\x1b");
    t.wait_for(|s| !s.contains("Select a model"));
    t.submit("/model haiku");
    t.wait_text("Set model to Haiku 5.5");
    t.wait_text("Haiku 5.5");
    t.submit("two");
    t.wait_text("● second");
    let reqs = wait_requests(&mock, 2);
    assert_eq!(reqs[0]["model"], "claude-opus-5-5");
    assert_eq!(reqs[1]["model"], "claude-haiku-5-5");
}

#[test]
fn clear_starts_a_new_conversation() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("first answer"))
            .reply(Reply::text("second answer"))
            .reply(Reply::text("third answer")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("one");
    t.wait_text("first answer");
    t.wait_idle();
    t.submit("two");
    t.wait_text("second answer");
    t.wait_idle();
    t.submit("/clear");
    t.wait_text("Conversation cleared");
    t.submit("three");
    t.wait_text("third answer");
    let reqs = wait_requests(&mock, 3);
    assert_eq!(reqs[1]["messages"].as_array().unwrap().len(), 3);
    let msgs = reqs[2]["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert_eq!(content_text(&msgs[0]), "three");
}

#[test]
fn custom_command_expands_arguments_for_one_turn() {
    let e = env();
    write(
        &e.cwd.join(".claude/commands/greet.md"),
        "---\ndescription: Greet someone\nargument-hint: <name>\nmodel: haiku\n---\nSay hello to $0 (all: $ARGUMENTS).\n",
    );
    write(
        &e.home.join(".claude/commands/frontend/component.md"),
        "Make a component named $0.",
    );
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("greeted"))
            .reply(Reply::text("made"))
            .reply(Reply::text("plain")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/help");
    let s = t.wait_text("Custom commands");
    assert!(s.contains("/greet <name>"), "{s}");
    assert!(s.contains("Greet someone (project)"), "{s}");
    assert!(s.contains("(user:frontend)"), "{s}");
    t.submit("/greet Bob \"the builder\"");
    t.wait_text("greeted");
    t.wait_idle();
    t.submit("/frontend:component Button");
    t.wait_text("made");
    t.wait_idle();
    t.submit("normal prompt");
    t.wait_text("plain");
    let reqs = wait_requests(&mock, 3);
    assert_eq!(
        last_user_text(&reqs[0]),
        "<command-message>greet</command-message>\n<command-name>/greet</command-name>\n<command-args>Bob \"the builder\"</command-args>\n\nSay hello to Bob (all: Bob \"the builder\").\n"
    );
    assert_eq!(reqs[0]["model"], "claude-haiku-5-5");
    assert!(
        last_user_text(&reqs[1]).ends_with("</command-args>\n\nMake a component named Button.")
    );
    // `model` applied to that turn only.
    assert_eq!(reqs[2]["model"], "claude-opus-5-5");
}

/// A command name about as wide as the terminal: its menu row is cut inside the name, and
/// colouring the description must not split the row inside the `…`.
#[test]
fn a_command_name_as_wide_as_the_terminal_is_listed() {
    let e = env();
    let name = "a".repeat(36);
    write(
        &e.cwd.join(format!(".claude/commands/{name}.md")),
        "Do the long thing.",
    );
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 40,
            ..Default::default()
        },
    );
    t.send("/aa");
    t.wait_rows(|rows| {
        rows.iter()
            .any(|r| r.starts_with("  /aaaaaaaaaaaaaaaaaaaa"))
    });
    t.send("a");
    t.wait_text("> /aaa");
}

#[test]
fn unknown_command_suggests_the_closest() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/modle");
    t.wait_text("Unknown command: /modle. Did you mean /model?");
    assert!(mock.message_requests().is_empty());
}

#[test]
fn resize_keeps_one_clean_live_region() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text(
        "An answer long enough to wrap when the terminal gets narrow, with more words.",
    )))
    .unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 80,
            rows: 24,
            ..Default::default()
        },
    );
    t.submit("first");
    t.wait_text("more words.");
    t.wait_idle();
    t.send("typed text");
    t.wait_text("> typed text");
    for (c, r) in [(60u16, 20u16), (100, 30), (40, 15), (80, 24)] {
        t.resize(c, r);
        // Redrawn for the new width: its rule under the input, the input once.
        let rule = "─".repeat(c as usize - 1);
        t.wait_rows(|rows| {
            rows.contains(&rule)
                && rows
                    .iter()
                    .filter(|l| l.starts_with("> typed text"))
                    .count()
                    == 1
        });
    }
    let rows = t.rows();
    let s = rows.join("\n");
    assert_eq!(s.matches("shift+tab: accept").count(), 1, "{s}");
    assert_eq!(s.matches("> typed text").count(), 1, "{s}");
    assert_eq!(s.matches("> first").count(), 1, "{s}");
    // No stale rule (or any other row) of an earlier layout is left behind.
    let rules = rows
        .iter()
        .filter(|l| !l.is_empty() && l.chars().all(|c| c == '─'))
        .count();
    assert_eq!(rules, 1, "{s}");
    // The cursor is at the end of the input.
    let (row, col) = t.cursor();
    let line = t.rows()[row as usize].clone();
    assert!(
        line.starts_with("> typed text"),
        "cursor row {row}: {line:?}\n{s}"
    );
    assert_eq!(col, 12);
    // Typing still works after the resizes.
    t.submit("!");
    t.wait_text("> typed text!");
}

#[test]
fn terminal_is_restored_at_exit() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            stty_after: true,
            ..Default::default()
        },
    );
    t.wait_text("shift+tab");
    t.send("\x04"); // Ctrl-D on an empty line
    let s = t.wait_text("EXIT:0");
    assert!(s.contains("Total cost: $0.0000"), "{s}");
    // `stty -a` run after ccrs exited: the terminal is back in cooked mode with echo.
    let stty = t.wait_for(|s| s.contains("icanon") && s.contains("echo"));
    assert!(stty.contains(" icanon") && stty.contains(" echo"), "{stty}");
    assert!(
        !stty.contains("-icanon") && !stty.contains("-echo "),
        "{stty}"
    );
    let raw = t.raw();
    assert!(
        count(&raw, b"\x1b[?2004l") >= 1,
        "bracketed paste not disabled"
    );
    let last_show = raw.windows(6).rposition(|w| w == b"\x1b[?25h").unwrap();
    let last_hide = raw.windows(6).rposition(|w| w == b"\x1b[?25l").unwrap_or(0);
    assert!(last_show > last_hide, "cursor left hidden");
    t.wait_exit();
}

#[test]
fn double_ctrl_c_exits_and_single_clears_the_input() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.send("some draft");
    t.wait_text("> some draft");
    t.send("\x03");
    t.wait_for(|s| !s.contains("some draft"));
    t.send("\x03");
    t.wait_text("Press Ctrl-C again to exit");
    t.send("\x03");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn sigterm_exits_cleanly() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            stty_after: true,
            ..Default::default()
        },
    );
    t.wait_text("shift+tab");
    let ccrs_pid = {
        // The child is `sh`; ccrs is its child.
        let sh = t.pid();
        let start = Instant::now();
        loop {
            let kids = std::fs::read_to_string(format!("/proc/{sh}/task/{sh}/children"))
                .unwrap_or_default();
            if let Some(p) = kids.split_whitespace().next() {
                break p.to_string();
            }
            assert!(start.elapsed() < TIMEOUT);
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    std::process::Command::new("kill")
        .args(["-TERM", &ccrs_pid])
        .status()
        .unwrap();
    t.wait_text("EXIT:0");
    let s = t.wait_for(|s| s.contains("icanon"));
    assert!(!s.contains("-icanon"), "{s}");
    t.wait_exit();
}

#[test]
fn history_is_kept_across_sessions() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("ok1"))
            .reply(Reply::text("ok2")),
    )
    .unwrap();
    {
        let mut t = Tui::start(&e, &mock);
        t.submit("remember this prompt");
        t.wait_text("ok1");
        t.wait_idle();
        t.submit("and this one");
        t.wait_text("ok2");
        t.wait_idle();
        t.send("\x04");
        t.wait_exit();
    }
    let history =
        std::fs::read_to_string(e.home.join(".config/claude-code-rs/history.jsonl")).unwrap();
    assert_eq!(history.lines().count(), 2);
    let mut t = Tui::start(&e, &mock);
    t.wait_text("shift+tab");
    t.send("\x1b[A");
    t.wait_text("> and this one");
    t.send("\x1b[A");
    t.wait_text("> remember this prompt");
    t.send("\x1b[B");
    t.wait_text("> and this one");
}

#[test]
fn multiline_input_backslash_enter_and_paste() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("got lines"))
            .reply(Reply::text("got paste")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.send("line one\\");
    t.wait_text("line one\\");
    t.send("\r");
    t.wait_for(|s| s.contains("> line one\n"));
    // Alt-Enter (ESC CR) also inserts a newline.
    t.send("line two\x1b\r");
    t.wait_for(|s| s.contains("  line two\n"));
    t.submit("line three");
    t.wait_text("got lines");
    t.wait_idle();
    t.send("see: \x1b[200~alpha\r\nbeta\r\ngamma\r\n\x1b[201~");
    t.wait_text("[Pasted text #1 +3 lines]");
    t.send("\r");
    t.wait_text("got paste");
    let reqs = wait_requests(&mock, 2);
    assert_eq!(last_user_text(&reqs[0]), "line one\nline two\nline three");
    let second = reqs[1]["messages"].as_array().unwrap();
    assert_eq!(
        content_text(second.last().unwrap()),
        "see: alpha\nbeta\ngamma\n"
    );
}

#[test]
fn shift_enter_inserts_a_newline_with_the_kitty_protocol() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("two lines"))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            terminal: Terminal::Kitty,
            ..Default::default()
        },
    );
    t.wait_text("shift+tab");
    // The kitty keyboard protocol was enabled.
    assert!(
        count(&t.raw(), b"\x1b[>1u") >= 1,
        "{:?}",
        String::from_utf8_lossy(&t.raw()[..200.min(t.raw().len())])
    );
    t.send("first");
    t.wait_text("> first");
    t.send("\x1b[13;2u"); // Shift-Enter
    t.send("second");
    t.wait_text("  second");
    t.send("\x1b[13u"); // Enter
    t.wait_text("two lines");
    let reqs = wait_requests(&mock, 1);
    assert_eq!(last_user_text(&reqs[0]), "first\nsecond");
    t.send("\x04");
    t.wait_exit();
    // The flags were popped at exit.
    assert!(count(&t.raw(), b"\x1b[<1u") >= 1);
}

#[test]
fn at_mention_attaches_the_file_and_tab_completes_it() {
    let e = env();
    write(&e.cwd.join("notes.txt"), "first note\nsecond note\n");
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("read it"))).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.send("summarise @no");
    t.wait_text("@no");
    t.send("\t");
    t.wait_text("> summarise @notes.txt");
    t.send("\r");
    t.wait_text("read it");
    t.wait_text("Read ");
    let reqs = wait_requests(&mock, 1);
    let text = last_user_text(&reqs[0]);
    assert!(text.starts_with("summarise @notes.txt"), "{text}");
    // The Read tool's own format (issue 13: one line format for Read and `@` attachments).
    assert!(text.contains("1\tfirst note\n2\tsecond note"), "{text}");
    assert!(
        text.contains("Called the Read tool with the following input"),
        "{text}"
    );
}

#[test]
fn tab_completes_slash_commands() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.send("/sta");
    t.wait_text("Show version, session, model");
    t.send("\t");
    t.wait_text("> /status");
    t.send("\r");
    let s = t.wait_text("Permission mode:");
    assert!(s.contains("Session ID:"), "{s}");
    assert!(s.contains("ANTHROPIC_API_KEY environment variable"), "{s}");
}

#[test]
fn shift_tab_cycles_permission_modes() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.wait_text("shift+tab: accept edits");
    t.send("\x1b[Z");
    t.wait_text("accept edits on");
    t.send("\x1b[Z");
    t.wait_text("plan mode on");
    t.send("\x1b[Z");
    t.wait_text("shift+tab: accept edits");
    t.submit("/status");
    t.wait_text("Permission mode: default");
}

#[test]
fn typed_ahead_prompts_are_queued_and_sent_after_the_turn() {
    let e = env();
    let long: String = (0..60).map(|i| format!("w{i} ")).collect();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text(long).chunk_delay_ms(30))
            .reply(Reply::text("queued answer")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("start");
    t.wait_text("esc to interrupt)");
    t.submit("follow up");
    t.wait_text("queued: follow up");
    t.wait_text("queued answer");
    let reqs = wait_requests(&mock, 2);
    assert_eq!(last_user_text(&reqs[1]), "follow up");
}

#[test]
fn cost_shows_the_session_usage() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("priced"))).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("hi");
    t.wait_text("priced");
    t.wait_idle();
    t.submit("/cost");
    let s = t.wait_text("Usage by model:");
    assert!(s.contains("Total cost:            $0.0"), "{s}");
    assert!(s.contains("claude-opus-5-5:"), "{s}");
}

#[test]
fn no_colour_with_no_color_set() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("*plain*"))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            extra_env: vec![("NO_COLOR", "1".into())],
            ..Default::default()
        },
    );
    t.submit("hi");
    t.wait_text("● plain");
    t.wait_idle();
    let raw = String::from_utf8_lossy(&t.raw()).into_owned();
    // Only the reset that closes each line; no colour or attribute ever switched on.
    let sgr_on = raw
        .match_indices("\x1b[")
        .filter(|(i, _)| {
            let rest = &raw[i + 2..];
            let end = rest.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(0);
            rest[end..].starts_with('m') && &rest[..end] != "0"
        })
        .count();
    assert_eq!(sgr_on, 0);
}

#[test]
fn missing_credentials_offer_a_login_and_no_exits() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            extra_env: vec![("ANTHROPIC_API_KEY", String::new())],
            wait_ready: false,
            ..Default::default()
        },
    );
    t.wait_text("No credentials found");
    t.wait_text("Log in now?");
    t.send("n\r");
    assert_eq!(t.wait_exit(), 1);
}

const KEY: &str = "sk-ant-api03-test_key_0123456789abcdef";

#[test]
fn first_launch_login_then_the_session_uses_the_key() {
    let e = env();
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("logged in answer"))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            extra_env: vec![("ANTHROPIC_API_KEY", String::new())],
            wait_ready: false,
            ..Default::default()
        },
    );
    t.wait_text("Log in now?");
    t.send("y\r");
    t.wait_text("Choose 1 or 2");
    t.send("1\r");
    t.wait_text("API key:");
    t.send(&format!("{KEY}\r"));
    let s = t.wait_text("shift+tab: accept");
    assert!(s.contains("Logged in with your API key"), "{s}");
    assert!(!s.contains(KEY), "the key was echoed: {s}");
    t.submit("hello");
    t.wait_text("logged in answer");
    let reqs = mock.message_requests();
    assert_eq!(reqs[0].header("x-api-key"), Some(KEY));
}

#[test]
fn login_and_logout_inside_the_session() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/logout");
    t.wait_text("No saved credential to remove");
    t.submit("/login");
    t.wait_text("Choose 1 or 2");
    t.send("1\r");
    t.wait_text("API key:");
    t.send(&format!("{KEY}\r"));
    t.wait_text("Logged in with your API key");
    // The environment's key still wins, and the session goes on.
    t.wait_text("ANTHROPIC_API_KEY is set");
    t.wait_text("shift+tab: accept");
    t.submit("/status");
    t.wait_text("Auth: ANTHROPIC_API_KEY environment variable");
    t.submit("/logout");
    t.wait_text("Logged out: removed");
    t.send("\x04");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn permission_yes_runs_the_command() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(touch("created.txt"))
            .reply(Reply::text("File created.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("make a file");
    let s = t.wait_text("Do you want to proceed?");
    assert!(s.contains("Bash command"), "{s}");
    assert!(s.contains("touch created.txt"), "{s}");
    assert!(s.contains("Create a file"), "{s}");
    assert!(s.contains("1. Yes"), "{s}");
    assert!(
        s.contains("2. Yes, and don't ask again for Bash(touch created.txt)"),
        "{s}"
    );
    assert!(
        s.contains("3. No, and tell ccrs what to do differently"),
        "{s}"
    );
    assert!(!e.cwd.join("created.txt").exists());
    t.answer("1");
    let s = t.wait_text("File created.");
    assert!(s.contains("✔ Bash(touch created.txt) · Yes"), "{s}");
    assert!(s.contains("● Bash(touch created.txt)"), "{s}");
    assert!(!s.contains("Do you want to proceed?"), "{s}");
    assert!(e.cwd.join("created.txt").exists());
    let reqs = wait_requests(&mock, 2);
    assert_eq!(tool_results(&reqs[1])[0]["is_error"], false);
}

#[test]
fn permission_no_with_feedback_skips_the_command_and_tells_the_model() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(touch("unwanted.txt"))
            .reply(Reply::text("Understood, I will not.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("make a file");
    t.wait_text("Do you want to proceed?");
    // Arrow keys + Enter: down twice to option 3.
    t.answer("\x1b[B\x1b[B");
    t.wait_for(|s| s.lines().any(|l| l.contains("❯ 3. No")));
    t.send("\r");
    t.wait_text("what to do differently:");
    t.send("use a temporary directory");
    t.wait_text("use a temporary directory");
    t.send("\r");
    let s = t.wait_text("Understood, I will not.");
    assert!(
        s.contains("✘ Bash(touch unwanted.txt) · No: use a temporary directory"),
        "{s}"
    );
    assert!(s.contains("Rejected by user"), "{s}");
    assert!(!e.cwd.join("unwanted.txt").exists());
    let reqs = wait_requests(&mock, 2);
    let r = &tool_results(&reqs[1])[0];
    assert_eq!(r["is_error"], true);
    let text = r["content"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| r["content"].to_string());
    assert!(
        text.contains("The user said:\nuse a temporary directory"),
        "{text}"
    );
}

#[test]
fn permission_esc_denies_ends_the_turn_and_records_the_refusal() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(touch("nope.txt"))
            .reply(Reply::text("What instead?")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("make a file");
    t.wait_text("Do you want to proceed?");
    t.answer("\x1b");
    let s = t.wait_text("✘ Bash(touch nope.txt) · No");
    assert!(!s.contains("Interrupted"), "{s}");
    t.wait_idle();
    assert!(!e.cwd.join("nope.txt").exists());
    // No request after the refusal: the turn ended and waits for the user.
    assert_eq!(mock.message_requests().len(), 1);
    t.submit("do something else");
    t.wait_text("What instead?");
    let reqs = wait_requests(&mock, 2);
    let r = &tool_results(&reqs[1])[0];
    let text = r["content"].to_string();
    assert!(text.contains("doesn't want to proceed"), "{text}");
    assert!(!text.contains("The user said"), "{text}");
    // The conversation says the turn was stopped there, then the new prompt follows.
    let last = last_user_text(&reqs[1]);
    assert!(
        last.contains("[Request interrupted by user for tool use]\ndo something else"),
        "{last}"
    );
}

#[test]
fn permission_always_saves_the_rule_and_the_next_call_runs_unasked() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(touch("a.txt"))
            .reply(Reply::text("Once."))
            .reply(touch("a.txt"))
            .reply(Reply::text("Twice, unasked.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("first");
    t.wait_text("Do you want to proceed?");
    t.answer("2");
    t.wait_text("Once.");
    let local = std::fs::read_to_string(e.cwd.join(".claude/settings.local.json")).unwrap();
    let v: Value = serde_json::from_str(&local).unwrap();
    assert_eq!(
        v["permissions"]["allow"],
        serde_json::json!(["Bash(touch a.txt)"])
    );
    t.wait_idle();
    std::fs::remove_file(e.cwd.join("a.txt")).unwrap();
    t.submit("again");
    // No prompt: the call runs and the turn finishes by itself.
    let s = t.wait_text("Twice, unasked.");
    assert!(e.cwd.join("a.txt").exists());
    assert_eq!(
        s.matches("don't ask again for Bash(touch a.txt)").count(),
        1,
        "{s}"
    );
    t.submit("/permissions");
    let s = t.wait_text("settings.local.json");
    assert!(s.contains("Bash(touch a.txt)"), "{s}");
}

#[test]
fn thinking_todos_markdown_and_code_render_in_the_scrollback() {
    let e = env();
    let todos = serde_json::json!({"todos": [
        {"content": "Read the code", "status": "completed", "activeForm": "Reading the code"},
        {"content": "Write the fix", "status": "in_progress", "activeForm": "Writing the fix"},
        {"content": "Run the tests", "status": "pending", "activeForm": "Running the tests"}
    ]});
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::content(vec![
                serde_json::json!({"type": "thinking", "thinking": "Let me plan this carefully.", "signature": "sig"}),
                serde_json::json!({"type": "text", "text": "Plan:"}),
                serde_json::json!({"type": "tool_use", "name": "TodoWrite", "input": todos}),
            ]))
            .reply(Reply::text("## Result\n\n```rust\nfn main() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("fix it");
    let s = t.wait_text("└───");
    for want in [
        "✻ Thinking…",
        "Let me plan this carefully.",
        "● Plan:",
        "● Update Todos",
        "⎿  ☒ Read the code",
        "◐ Write the fix",
        "☐ Run the tests",
        "Result",
        "rust",
        "│ fn main() {}",
        "│ a │ b │",
    ] {
        assert!(s.contains(want), "missing {want:?}:\n{s}");
    }
    // Thinking is dimmed (SGR 2) and the in-progress todo highlighted.
    let raw = String::from_utf8_lossy(&t.raw()).into_owned();
    assert!(raw.contains("\x1b[2;3mLet me plan"), "thinking not dimmed");
}

#[test]
fn api_retries_and_errors_are_shown() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::status(529).header("retry-after-ms", "100"))
            .reply(Reply::text("after retry"))
            .reply(Reply::error(
                400,
                "invalid_request_error",
                "bad things happened",
            )),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("one");
    let s = t.wait_text("after retry");
    assert!(
        s.contains("API error 529 · Retrying in 1s… (attempt 1/"),
        "{s}"
    );
    t.wait_idle();
    t.submit("two");
    let s = t.wait_text("bad things happened");
    assert!(s.contains("API Error:"), "{s}");
    let raw = String::from_utf8_lossy(&t.raw()).into_owned();
    assert!(raw.contains("\x1b[31mAPI Error:"), "errors are red");
    // The session goes on.
    t.wait_idle();
    t.submit("/cost");
    t.wait_text("Total cost:");
}

#[test]
fn custom_command_allowed_tools_apply_to_that_turn_only() {
    let e = env();
    write(
        &e.cwd.join(".claude/commands/mk.md"),
        "---\nallowed-tools: Bash(touch allowed.txt)\n---\nCreate the file.\n",
    );
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(touch("allowed.txt"))
            .reply(Reply::text("Made it."))
            .reply(touch("allowed.txt"))
            .reply(Reply::text("Made it again.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/mk");
    t.wait_text("Made it.");
    assert!(e.cwd.join("allowed.txt").exists());
    std::fs::remove_file(e.cwd.join("allowed.txt")).unwrap();
    t.wait_idle();
    // The grant is gone after that turn: the same call asks now.
    t.submit("again please");
    t.wait_text("Do you want to proceed?");
    assert!(!e.cwd.join("allowed.txt").exists());
    t.answer("1");
    t.wait_text("Made it again.");
    assert!(e.cwd.join("allowed.txt").exists());
}

#[test]
fn wide_characters_edit_and_wrap() {
    let e = env();
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("日本語の答え 🦀"))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 30,
            ..Default::default()
        },
    );
    // 20 wide characters do not fit on one 30-column row: they wrap onto a second.
    t.send("漢字漢字漢字漢字漢字漢字漢字漢字漢字漢字");
    let s = t.wait_for(|s| s.matches('漢').count() == 10);
    let rows: Vec<&str> = s.lines().filter(|l| l.contains('漢')).collect();
    assert_eq!(rows.len(), 2, "{s}");
    assert!(rows[0].starts_with("> 漢字"), "{s}");
    // The cursor sits after the last character of the second row.
    let (row, col) = t.cursor();
    let line = t.rows()[row as usize].clone();
    assert!(line.contains('漢'), "{line}");
    assert_eq!(col as usize, 2 + 2 * line.trim_start().chars().count());
    // Backspace removes a whole wide character; the edit goes out intact.
    t.send("\x7f\x7f");
    t.send("\r");
    t.wait_text("日本語の答え 🦀");
    let reqs = wait_requests(&mock, 1);
    assert_eq!(
        last_user_text(&reqs[0]),
        "漢字漢字漢字漢字漢字漢字漢字漢字漢字"
    );
}

#[test]
fn write_prompt_shows_the_new_file_and_no_leaves_it_absent() {
    let e = env();
    let target = e.cwd.join("new_file.txt");
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Write",
                serde_json::json!({"file_path": target.to_string_lossy(), "content": "first line\nsecond line\n"}),
            ))
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("write a file");
    let s = t.wait_text("Do you want to proceed?");
    assert!(s.contains("Create file"), "{s}");
    assert!(s.contains("new_file.txt"), "{s}");
    assert!(s.contains("+first line"), "{s}");
    assert!(s.contains("+second line"), "{s}");
    t.answer("3");
    t.wait_text("what to do differently:");
    t.send("\r"); // no feedback after all: the turn ends
    t.wait_for(|s| {
        s.lines()
            .any(|l| l.contains("✘ Write(") && l.trim_end().ends_with("· No"))
    });
    t.wait_idle();
    assert_eq!(mock.message_requests().len(), 1);
    assert!(!target.exists());
}

#[test]
fn edit_of_an_attached_file_shows_the_diff_then_applies_it() {
    let e = env();
    let file = e.cwd.join("notes.txt");
    write(&file, "alpha\nbeta\ngamma\n");
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Edit",
                serde_json::json!({"file_path": file.to_string_lossy(), "old_string": "beta", "new_string": "BETA\nbeta two"}),
            ))
            .reply(Reply::text("Edited.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    // The @ mention records the read, so Edit may change the file without a Read first.
    t.submit("change @notes.txt");
    let s = t.wait_text("Do you want to proceed?");
    assert!(s.contains("Edit file"), "{s}");
    assert!(s.contains("2 -beta"), "{s}");
    assert!(s.contains("2 +BETA"), "{s}");
    assert!(s.contains("3 +beta two"), "{s}");
    t.answer("1");
    let s = t.wait_text("Edited.");
    assert!(
        s.contains("Updated notes.txt with 2 additions and 1 removal"),
        "{s}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "alpha\nBETA\nbeta two\ngamma\n"
    );
    let raw = String::from_utf8_lossy(&t.raw()).into_owned();
    assert!(raw.contains("\x1b[32m+BETA"), "added lines are green");
    assert!(raw.contains("\x1b[31m-beta"), "removed lines are red");
    t.submit("/cost");
    t.wait_text("Total code changes:    2 lines added, 1 line removed");
}

#[test]
fn bypass_mode_joins_the_cycle_when_allowed() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            args: vec!["--allow-dangerously-skip-permissions"],
            // Root is refused outside a sandbox; the tests may run as root.
            extra_env: vec![("IS_SANDBOX", "1".into())],
            ..Default::default()
        },
    );
    for want in [
        "accept edits on",
        "plan mode on",
        "bypass permissions on",
        "shift+tab: accept",
    ] {
        t.send("\x1b[Z");
        t.wait_text(want);
    }
}

#[test]
fn init_asks_the_model_for_a_claude_md() {
    let e = env();
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("I will write it."))).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/init");
    t.wait_text("I will write it.");
    let reqs = wait_requests(&mock, 1);
    let text = last_user_text(&reqs[0]);
    assert!(text.contains("CLAUDE.md"), "{text}");
    assert!(text.contains("build, lint and test"), "{text}");
}

#[test]
fn quit_and_exit_commands_end_the_session() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    for cmd in ["/quit", "/exit", "/q"] {
        let mut t = Tui::start(&e, &mock);
        t.submit(cmd);
        assert_eq!(t.wait_exit(), 0, "{cmd}");
    }
}

#[test]
fn settings_warnings_are_shown_once_at_start() {
    let e = env();
    write(
        &e.cwd.join(".claude/settings.json"),
        "{\n  \"model\": \"x\",\n}\n",
    );
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("fine"))).unwrap();
    let mut t = Tui::start(&e, &mock);
    let s = t.wait_text("invalid JSON at line 3");
    assert_eq!(s.matches("invalid JSON").count(), 1, "{s}");
    t.submit("hi");
    let s = t.wait_text("fine");
    assert_eq!(s.matches("invalid JSON").count(), 1, "{s}");
}

#[test]
fn sighup_exits_and_restores_the_terminal() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    std::process::Command::new("kill")
        .args(["-HUP", &t.pid().to_string()])
        .status()
        .unwrap();
    assert_eq!(t.wait_exit(), 0);
    let raw = t.raw();
    assert!(count(&raw, b"\x1b[?2004l") >= 1, "bracketed paste left on");
}

#[test]
fn background_shells_are_killed_at_exit() {
    let e = env();
    write(
        &e.cwd.join(".claude/settings.local.json"),
        r#"{"permissions": {"allow": ["Bash(sleep 28.777)"]}}"#,
    );
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                serde_json::json!({"command": "sleep 28.777", "run_in_background": true}),
            ))
            .reply(Reply::text("Started it.")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("start a background job");
    t.wait_text("Started it.");
    assert!(!processes_with("28.777").is_empty(), "not running");
    t.wait_idle();
    t.send("\x04");
    assert_eq!(t.wait_exit(), 0);
    let start = Instant::now();
    while !processes_with("28.777").is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "left running: {:?}",
            processes_with("28.777")
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn ctrl_z_hands_the_terminal_back_and_takes_it_again() {
    let e = env();
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("still here"))).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.send("draft");
    t.wait_text("> draft");
    let before = t.raw_len();
    // In the test's pty ccrs's process group is orphaned, so the stop itself is discarded by
    // the kernel; what is checked is the hand-over: cooked mode out, raw mode back in.
    t.send("\x1a");
    let start = Instant::now();
    loop {
        let since = t.raw_since(before);
        let off = since.windows(8).position(|w| w == b"\x1b[?2004l");
        let on = since.windows(8).rposition(|w| w == b"\x1b[?2004h");
        if let (Some(a), Some(b)) = (off, on)
            && a < b
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no hand-over");
        std::thread::sleep(Duration::from_millis(5));
    }
    // The input survived and typing works.
    t.submit(" more");
    t.wait_text("still here");
    let reqs = wait_requests(&mock, 1);
    assert_eq!(last_user_text(&reqs[0]), "draft more");
}
