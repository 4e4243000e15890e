//! What the interactive screen shows, in a real pseudo-terminal (vt100 snapshots): grapheme
//! editing, word wrapping at 60 columns, highlighted code, whole error messages, an
//! interrupted Bash call, `/status` and `/cost`, and the login offer for a corrupt store.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::json;

/// The screen's rows with trailing blanks (and blank rows at the end) dropped.
fn visible(t: &Tui) -> String {
    let rows = t.rows();
    let mut rows: Vec<String> = rows.iter().map(|r| r.trim_end().to_string()).collect();
    while rows.last().is_some_and(|r| r.is_empty()) {
        rows.pop();
    }
    rows.join("\n")
}

/// The rows of the screen that contain `needle`, with coloured runs marked `«colour:text»`
/// (vt100's ANSI index, or `bold`).
fn colour_rows(t: &Tui, needle: &str) -> String {
    let g = t.shared.lock().unwrap();
    let screen = g.parser.screen();
    let (rows, cols) = screen.size();
    let mut out = Vec::new();
    for r in 0..rows {
        let mut line = String::new();
        let mut open: Option<String> = None;
        for c in 0..cols {
            let Some(cell) = screen.cell(r, c) else {
                continue;
            };
            if cell.is_wide_continuation() {
                continue;
            }
            let tag = match cell.fgcolor() {
                vt100::Color::Idx(i) => Some(format!("{i}")),
                vt100::Color::Rgb(r, g, b) => Some(format!("#{r:02x}{g:02x}{b:02x}")),
                vt100::Color::Default if cell.bold() => Some("bold".to_string()),
                vt100::Color::Default => None,
            };
            let text = if cell.has_contents() {
                cell.contents().to_string()
            } else {
                " ".to_string()
            };
            if tag != open {
                if open.is_some() {
                    line.push('»');
                }
                if let Some(t) = &tag {
                    line.push_str(&format!("«{t}:"));
                }
                open = tag;
            }
            line.push_str(&text);
        }
        if open.is_some() {
            line.push('»');
        }
        let line = line.trim_end().to_string();
        if line.contains(needle) {
            out.push(line);
        }
    }
    out.join("\n")
}

#[test]
fn backspace_deletes_a_flag_emoji_and_a_combining_mark_whole() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let mut t = Tui::start(&e, &mock);
    // A flag (two regional indicators), then a letter with a combining acute accent.
    t.send("ab🇫🇷");
    t.wait_text("ab🇫🇷");
    let before = t.cursor();
    t.send("\x7f");
    t.wait_for(|s| !s.contains('🇫') && s.contains("> ab"));
    // The cursor went back two columns (the flag's width), not one.
    let after = t.cursor();
    assert_eq!(before.1 - after.1, 2, "{before:?} → {after:?}");
    t.send("ce\u{301}x");
    t.wait_text("abce\u{301}x");
    // Left over `x`, then Backspace removes `é` (two code points) as one.
    t.send("\x1b[D\x7f");
    t.wait_for(|s| s.contains("> abcx"));
    insta::assert_snapshot!(
        "flag_deleted_whole",
        visible(&t)
            .lines()
            .filter(|l| l.starts_with('>'))
            .collect::<Vec<_>>()
            .join("\n")
    );
    t.send("\r");
    t.wait_text("● ok");
    let reqs = wait_requests(&mock, 1);
    assert_eq!(last_user_text(&reqs[0]), "abcx");
}

#[test]
fn input_and_header_wrap_between_words_at_60_columns() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 60,
            rows: 20,
            ..Default::default()
        },
    );
    let prompt = "please refactor the configuration loader so that every settings file is read once and the warnings are shown";
    t.send(prompt);
    t.wait_text("warnings are shown");
    let screen = visible(&t)
        .replace(&e.cwd.display().to_string(), "<cwd>")
        .replace(env!("CARGO_PKG_VERSION"), "<version>");
    insta::assert_snapshot!("wrapped_at_60_columns", screen);
    // No row of the header or the input ends inside a word: every word of the prompt and of
    // the hint line is whole on some row.
    let rows = t.rows();
    for w in prompt
        .split(' ')
        .chain("/help for help · @ to attach files · shift+tab to switch modes".split(' '))
    {
        assert!(
            rows.iter().any(|r| r.split_whitespace().any(|x| x == w)),
            "{w:?} is split:\n{screen}"
        );
    }
    t.send("\r");
    t.wait_text("● ok");
    assert_eq!(last_user_text(&wait_requests(&mock, 1)[0]), prompt);
}

#[test]
fn code_blocks_are_highlighted() {
    let e = env();
    let answer = "Here:\n\n```rust\n// add two numbers\nfn add(a: i32, b: i32) -> i32 {\n    let s = \"sum\";\n    a + b + 1\n}\n```\n\n```json\n{\"key\": true, \"n\": 2}\n```\n";
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text(answer))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 60,
            ..Default::default()
        },
    );
    t.submit("show code");
    t.wait_text("\"n\": 2}");
    insta::assert_snapshot!("highlighted_code", colour_rows(&t, "│"));
}

#[test]
fn api_errors_are_shown_whole() {
    let e = env();
    let message = "messages.0.content.0.text: the request is invalid for a reason this long sentence explains; see https://docs.anthropic.com/en/api/errors#invalid-request-error";
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::error(
        400,
        "invalid_request_error",
        message,
    )))
    .unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 60,
            ..Default::default()
        },
    );
    t.submit("hi");
    // `screen()` joins soft-wrapped rows: the URL is there in one piece, nothing is cut.
    let s = t.wait_text("#invalid-request-error");
    assert!(
        s.contains("https://docs.anthropic.com/en/api/errors#invalid-request-error"),
        "{s}"
    );
    assert!(!s.contains('…'), "{s}");
    t.wait_idle();
    let rows: Vec<String> = visible(&t)
        .lines()
        .skip_while(|l| !l.contains("API Error"))
        .take_while(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    insta::assert_snapshot!("api_error_whole", rows.join("\n"));
}

#[test]
fn the_no_credential_error_is_shown_whole() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 60,
            // The environment's key would win over a logout.
            extra_env: vec![("ANTHROPIC_API_KEY", String::new())],
            wait_ready: false,
            ..Default::default()
        },
    );
    // Log in, log out, then ask: the request fails for want of a credential.
    t.wait_text("Log in now?");
    t.send("y\r");
    t.wait_text("Choose 1 or 2");
    t.send("1\r");
    t.wait_text("API key:");
    t.send("sk-ant-api03-test_key_0123456789abcdef\r");
    t.wait_text("shift+tab");
    t.submit("/logout");
    t.wait_text("Logged out");
    t.submit("hello");
    let s = t.wait_text("interactive session)");
    assert!(s.contains("or run `ccrs login` (or `/login` in an"), "{s}");
    assert!(!s.contains('…'), "{s}");
}

#[test]
fn esc_during_a_bash_call_shows_a_clean_interrupted_line() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::tool_use(
                "Bash",
                json!({"command": "echo started; touch ran; sleep 30", "description": "Wait"}),
            ))
            .reply(Reply::text("next answer")),
    )
    .unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            args: vec!["--allowedTools", "Bash(echo:*) Bash(touch:*) Bash(sleep:*)"],
            ..Default::default()
        },
    );
    t.submit("wait a bit");
    t.wait_text("Bash(echo started; touch ran; sleep 30)");
    // The command runs (its first line is out) before Esc.
    let start = std::time::Instant::now();
    while !e.cwd.join("ran").exists() {
        assert!(start.elapsed() < TIMEOUT, "the command never ran");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    t.send("\x1b");
    let s = t.wait_text("⎿  Interrupted");
    assert!(!s.contains("<error>"), "{s}");
    assert!(!s.contains("aborted before completion"), "{s}");
    t.wait_idle();
    let rows: Vec<String> = visible(&t)
        .lines()
        .skip_while(|l| !l.contains("● Bash"))
        .take_while(|l| !l.starts_with('>'))
        .map(str::to_string)
        .collect();
    insta::assert_snapshot!("bash_interrupted", rows.join("\n").trim_end().to_string());
}

#[test]
fn status_reads_the_settings_files_again() {
    let e = env();
    let mock = MockServer::start_blocking(Scenario::new()).unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/status");
    t.wait_text("Setting sources: none");
    // A settings.local.json made during the session (as "don't ask again" does).
    write(
        &e.cwd.join(".claude/settings.local.json"),
        r#"{"permissions": {"allow": ["Bash(ls:*)"]}}"#,
    );
    t.submit("/status");
    let s = t.wait_text("(new during this session)");
    assert!(s.contains("local:"), "{s}");
    assert!(s.contains("settings.local.json"), "{s}");
}

#[test]
fn a_corrupt_store_is_moved_aside_with_a_login_offer() {
    let e = env();
    let store = e.home.join(".config/claude-code-rs/credentials.json");
    write(&store, "{\"api_key\": \"sk-ant-trunc");
    let mock =
        MockServer::start_blocking(Scenario::new().reply(Reply::text("logged in again"))).unwrap();
    let mut t = Tui::spawn(
        &e,
        &mock,
        Spawn {
            cols: 80,
            extra_env: vec![("ANTHROPIC_API_KEY", String::new())],
            wait_ready: false,
            ..Default::default()
        },
    );
    t.wait_text("Log in now?");
    let aside: Vec<_> = std::fs::read_dir(store.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("credentials.json.corrupt-"))
        .collect();
    assert_eq!(aside.len(), 1, "moved aside before the offer");
    assert!(!store.exists());
    let screen = t
        .screen()
        .replace(&e.home.display().to_string(), "<home>")
        .replace(&aside[0], "credentials.json.corrupt-<ms>");
    insta::assert_snapshot!("corrupt_store_offer", screen.trim_end());
    t.send("y\r");
    t.wait_text("Choose 1 or 2");
    t.send("1\r");
    t.wait_text("API key:");
    t.send("sk-ant-api03-test_key_0123456789abcdef\r");
    t.wait_text("shift+tab");
    t.submit("hello");
    t.wait_text("logged in again");
    // The old file is still there, next to the new login.
    assert_eq!(
        std::fs::read(store.with_file_name(&aside[0])).unwrap(),
        b"{\"api_key\": \"sk-ant-trunc"
    );
    assert!(store.exists());
}

#[test]
fn cost_columns_align_for_long_model_ids() {
    let e = env();
    let mock = MockServer::start_blocking(
        Scenario::new()
            .reply(Reply::text("one"))
            .reply(Reply::text("two")),
    )
    .unwrap();
    let mut t = Tui::start(&e, &mock);
    t.submit("/model claude-sonnet-4-5-20250929-long-custom-id");
    t.submit("first");
    t.wait_text("● one");
    t.wait_idle();
    t.submit("/model haiku");
    t.submit("second");
    t.wait_text("● two");
    t.wait_idle();
    t.submit("/cost");
    let s = t.wait_text("Usage by model:");
    let rows: Vec<&str> = s.lines().filter(|l| l.contains(" input, ")).collect();
    assert_eq!(rows.len(), 2, "{s}");
    let colons: Vec<usize> = rows
        .iter()
        .map(|r| r.find(":  ").unwrap())
        .collect::<Vec<_>>();
    assert_eq!(colons[0], colons[1], "{rows:#?}");
}
