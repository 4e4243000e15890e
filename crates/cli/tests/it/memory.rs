//! Memory files (`CLAUDE.md`) reach the model as Claude Code 2.1.197 sends them: the first text
//! block of the first user message, byte for byte (compared with a recorded fixture); nested
//! ones come with the Read that reaches their directory; `--bare` and odd files.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::{ccrs_in, stderr, wait_requests, write};
use ccrs_mock::{MockServer, Reply, Scenario};
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

const FIXTURE: &str = include_str!("fixtures/memory/claude-code-2.1.197-first-block.txt");

/// The tree Claude Code was run in (`/tmp/mcap`), rebuilt under `t`: three directory levels,
/// `.claude/CLAUDE.md`, `CLAUDE.local.md`, rules, an import chain deeper than the limit, an
/// import cycle, imports in a code span and a fence, a missing import and a binary one.
fn claude_code_tree(t: &Path) {
    let home = t.join("home");
    write(
        &home.join(".claude/CLAUDE.md"),
        "# User memory\nAlways be USER-RULE-1.\n@~/extra-user.md\n",
    );
    write(
        &home.join("extra-user.md"),
        "USER-EXTRA imported from home\n",
    );
    write(
        &home.join(".claude/rules/style.md"),
        "USER-RULES-FILE rule\n",
    );
    let root = t.join("root");
    write(&root.join("CLAUDE.md"), "ROOT-LEVEL project memory\n");
    write(
        &root.join("a/CLAUDE.md"),
        "MID-LEVEL project memory\n<!-- an html comment HIDDEN-COMMENT -->\nKeep `@notimported.md` in code span.\n```\n@fenced.md\n```\n",
    );
    write(&root.join("a/notimported.md"), "NOT-IMPORTED\n");
    write(&root.join("a/fenced.md"), "FENCED\n");
    write(&root.join("a/.claude/CLAUDE.md"), "MID-DOTCLAUDE memory\n");
    write(&root.join("a/CLAUDE.local.md"), "MID-LOCAL memory\n");
    let b = root.join("a/b");
    write(
        &b.join("CLAUDE.md"),
        "CWD-LEVEL memory\nSee @docs/one.md and @missing.md and @./pic.png\nCycle: @docs/x.md\n",
    );
    let chain = ["one", "two", "three", "four", "five", "six"];
    for (i, name) in chain.iter().enumerate() {
        let next = chain
            .get(i + 1)
            .map(|n| format!(" @{n}.md"))
            .unwrap_or_default();
        let upper = name.to_uppercase();
        write(
            &b.join(format!("docs/{name}.md")),
            &format!("{upper} depth{}{next}\n", i + 1),
        );
    }
    write(&b.join("docs/x.md"), "X imports @y.md\n");
    write(&b.join("docs/y.md"), "Y imports @x.md back\n");
    std::fs::write(b.join("pic.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    write(&b.join(".claude/rules/r1.md"), "PROJECT-RULE file\n");
    write(&b.join("CLAUDE.local.md"), "CWD-LOCAL memory\n");
}

fn today_in(text: &str) -> String {
    let i = text.find("Today's date is ").unwrap() + "Today's date is ".len();
    text[i..i + 10].to_string()
}

#[test]
fn first_request_matches_claude_code() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::canonicalize(tmp.path()).unwrap();
    claude_code_tree(&t);
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("hi"))).unwrap();
    let out = ccrs_in(
        &t.join("home"),
        &t.join("root/a/b"),
        &mock,
        &["-p", "say hi"],
        &[],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let req = &wait_requests(&mock, 1)[0];
    let content = req["messages"][0]["content"].as_array().unwrap();
    let sent = content[0]["text"].as_str().unwrap();
    let ours = sent.replace(&t.display().to_string(), "/tmp/mcap");
    let expected = FIXTURE.replace(&today_in(FIXTURE), &today_in(sent));
    assert_eq!(ours, expected);
    assert_eq!(content[1]["text"], "say hi");
    assert_eq!(content.len(), 2);
    // Nothing of it in the system prompt: that stays the same for every project.
    assert!(!req["system"].to_string().contains("CWD-LEVEL"));
    // The depth limit is said once (the user may wonder why six.md is missing).
    assert!(
        stderr(&out).contains("five.md: not imported by") && stderr(&out).contains("4 levels"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bare_skips_discovery_but_reads_add_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::canonicalize(tmp.path()).unwrap();
    claude_code_tree(&t);
    write(&t.join("extra/CLAUDE.md"), "EXTRA-DIR memory\n");
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("hi"))).unwrap();
    let extra = t.join("extra");
    let out = ccrs_in(
        &t.join("home"),
        &t.join("root/a/b"),
        &mock,
        &[
            "-p",
            "say hi",
            "--bare",
            "--add-dir",
            extra.to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let req = &wait_requests(&mock, 1)[0];
    let first = req["messages"][0]["content"][0]["text"].as_str().unwrap();
    assert!(first.contains("EXTRA-DIR memory"), "{first}");
    assert!(!req.to_string().contains("CWD-LEVEL"));
    assert!(!req.to_string().contains("USER-RULE-1"));

    // Without --bare and without the variable, --add-dir's files are not read (Claude Code).
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("hi"))).unwrap();
    let out = ccrs_in(
        &t.join("home"),
        &t.join("root/a/b"),
        &mock,
        &["-p", "say hi", "--add-dir", extra.to_str().unwrap()],
        &[],
    );
    assert!(out.status.success());
    let req = &wait_requests(&mock, 1)[0];
    assert!(!req.to_string().contains("EXTRA-DIR"));
    assert!(req.to_string().contains("CWD-LEVEL"));
    assert!(
        stderr(&out).contains("CLAUDE_CODE_ADDITIONAL_DIRECTORIES_CLAUDE_MD"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nested_memory_comes_with_the_read_that_reaches_it() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::canonicalize(tmp.path()).unwrap();
    let cwd = t.join("proj");
    write(&cwd.join("CLAUDE.md"), "TOP memory\n");
    write(&cwd.join("sub/CLAUDE.md"), "SUB nested memory\n");
    write(&cwd.join("sub/file.txt"), "hello from sub\n");
    let file = cwd.join("sub/file.txt");
    let mock = MockServer::start_blocking(Scenario::new().replies([
        Reply::tool_use("Read", json!({"file_path": file})),
        Reply::tool_use("Read", json!({"file_path": file})),
        Reply::text("done"),
    ]))
    .unwrap();
    std::fs::create_dir_all(t.join("home")).unwrap();
    let out = ccrs_in(&t.join("home"), &cwd, &mock, &["-p", "read the file"], &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let reqs = wait_requests(&mock, 3);
    assert!(!reqs[0].to_string().contains("SUB nested"));
    let after_read = reqs[1]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let blocks = after_read["content"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "tool_result");
    assert_eq!(
        blocks[1]["text"],
        format!(
            "<system-reminder>\nContents of {}:\n\nSUB nested memory\n</system-reminder>",
            cwd.join("sub/CLAUDE.md").display()
        )
    );
    // Once only: the second Read of the same directory brings nothing more.
    let last = reqs[2]["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["content"].as_array().unwrap().len(), 1);
}

#[test]
fn odd_memory_files_never_hang_or_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::canonicalize(tmp.path()).unwrap();
    let cwd = t.join("proj");
    std::fs::create_dir_all(cwd.join(".claude")).unwrap();
    std::fs::create_dir_all(t.join("home/.claude")).unwrap();
    // A FIFO nobody writes to, a 5 MB file, invalid UTF-8.
    let made = std::process::Command::new("mkfifo")
        .arg(cwd.join("CLAUDE.md"))
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::write(cwd.join("CLAUDE.local.md"), vec![b'x'; 5_000_000]).unwrap();
    std::fs::write(cwd.join(".claude/CLAUDE.md"), b"bad \xff\xfe utf8 ok\n").unwrap();
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("hi"))).unwrap();
    let start = Instant::now();
    let out = ccrs_in(&t.join("home"), &cwd, &mock, &["-p", "say hi"], &[]);
    assert!(start.elapsed() < Duration::from_secs(15));
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("CLAUDE.md: not loaded: not a regular file"),
        "{err}"
    );
    assert!(
        err.contains("CLAUDE.local.md: not loaded: 5 MB, over the 4 MiB limit"),
        "{err}"
    );
    let req = &wait_requests(&mock, 1)[0];
    let first = req["messages"][0]["content"][0]["text"].as_str().unwrap();
    assert!(first.contains("bad \u{fffd}\u{fffd} utf8 ok"), "{first}");
}

/// `-p "/cmd x 'y z'"` with a `!` line: the first request carries what Claude Code 2.1.197 sent
/// for the same file and arguments (recorded: `/tmp/mcap/rec-cmd`), the command ran through the
/// permission engine with the file's `allowed-tools`; a span the rules do not allow is not run
/// and the user is told.
#[test]
fn custom_command_runs_its_shell_spans_like_claude_code() {
    let tmp = tempfile::tempdir().unwrap();
    let t = std::fs::canonicalize(tmp.path()).unwrap();
    let cwd = t.join("proj");
    std::fs::create_dir_all(t.join("home")).unwrap();
    write(
        &cwd.join(".claude/commands/cmd.md"),
        "---\ndescription: A test command\nallowed-tools: Bash(echo:*), Bash(date:*)\nargument-hint: [a] [b]\n---\nFirst arg $1, second $2, all: $ARGUMENTS\nOutput: !`echo BANG-OUTPUT`\nDone.\n",
    );
    let marker = t.join("shouldnot");
    write(
        &cwd.join(".claude/commands/cmd3.md"),
        &format!("C: !`touch {}`\nD: !`echo plain`\n", marker.display()),
    );
    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs_in(&t.join("home"), &cwd, &mock, &["-p", "/cmd x 'y z'"], &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let req = &wait_requests(&mock, 1)[0];
    let content = req["messages"][0]["content"].as_array().unwrap();
    let texts: Vec<&str> = content
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "<command-message>cmd</command-message>\n<command-name>/cmd</command-name>\n<command-args>x 'y z'</command-args>\n",
            "First arg y z, second , all: x 'y z'\nOutput: BANG-OUTPUT\nDone.\n"
        ]
    );

    let mock = MockServer::start_blocking(Scenario::new().reply(Reply::text("ok"))).unwrap();
    let out = ccrs_in(&t.join("home"), &cwd, &mock, &["-p", "/cmd3"], &[]);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(!marker.exists(), "a span the rules do not allow ran");
    let err = stderr(&out);
    assert!(
        err.contains("was not run") && err.contains("Bash(touch:*)"),
        "{err}"
    );
    let req = &wait_requests(&mock, 1)[0];
    let body = req["messages"][0]["content"][1]["text"].as_str().unwrap();
    assert!(body.starts_with("C: [!`touch "), "{body}");
    assert!(body.ends_with("permission needed]\nD: plain\n"), "{body}");
}
